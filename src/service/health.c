/* One probe of any kind: the timing around it, and the TCP check, which
 * is nothing more than the connection the HTTP check makes too. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "service/health_internal.h"

enum { DEFAULT_TIMEOUT_NS = 30 * 1000000000ull };

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t health_mono_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

int health_ms_left(uint64_t deadline)
{
	uint64_t now = health_mono_ns();

	/* Rounded up: poll(0) would spin through the last millisecond. */
	return now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
}

void health_say(struct health_result *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->output, sizeof(out->output), fmt, ap);
	va_end(ap);
}

static int probe_tcp(const struct health_target *t, const struct health_check *c,
		     uint64_t deadline, struct health_result *out, berr_t *err)
{
	int fd;

	if (health_connect(t, c->port, deadline, &fd, out, err) < 0)
		return -1;
	if (fd < 0)
		return 0;
	close(fd);
	out->healthy = true;
	out->code = 0;
	health_say(out, "connected to port %d", c->port);
	return 0;
}

int health_probe(const struct health_target *t, const struct health_check *c,
		 struct health_result *out, berr_t *err)
{
	struct health_check eff = *c;
	uint64_t start = health_mono_ns(), deadline;
	int r;

	if (!eff.timeout_ns)
		eff.timeout_ns = DEFAULT_TIMEOUT_NS;
	deadline = start + eff.timeout_ns;
	c = &eff;

	*out = (struct health_result){ .code = -1, .start_ns = clock_ns(CLOCK_REALTIME) };
	if (c->kind != HEALTH_EXEC && (c->port < 1 || c->port > 65535))
		return err_set(err, EINVAL, "health check: port %d is not 1-65535", c->port);
	switch (c->kind) {
	case HEALTH_EXEC: r = health_probe_exec(t, c, deadline, out, err); break;
	case HEALTH_HTTP: r = health_probe_http(t, c, deadline, out, err); break;
	case HEALTH_TCP: r = probe_tcp(t, c, deadline, out, err); break;
	default: return err_set(err, EINVAL, "health check: unknown kind %d", (int)c->kind);
	}
	out->duration_ns = health_mono_ns() - start;
	return r;
}
