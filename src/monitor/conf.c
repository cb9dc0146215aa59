/* monitor.conf (see conf.h). */
#include "monitor/conf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void monitor_conf_default(struct monitor_conf *c)
{
	*c = (struct monitor_conf){
		.log_max_size = LOG_DEFAULT_MAX_SIZE,
		.log_max_files = LOG_DEFAULT_MAX_FILES,
		.stop_signal = 15,
		.stop_timeout_s = 10,
	};
	restart_policy_default(&c->restart);
}

static int number(const char *v, uint64_t max, uint64_t *out)
{
	char *end;

	if (!*v || *v == '-')
		return -1;
	errno = 0;
	unsigned long long n = strtoull(v, &end, 10);

	if (errno || *end || n > max)
		return -1;
	*out = n;
	return 0;
}

static int set(struct monitor_conf *c, const char *key, const char *v)
{
	uint64_t n = 0;
	struct restart_policy *r = &c->restart;

	if (!strcmp(key, "restart"))
		return restart_policy_parse_mode(v, r);
	if (!strcmp(key, "restart-multiplier")) {
		char *end;

		r->multiplier = strtod(v, &end);
		return *end || end == v || !(r->multiplier >= 1.0 && r->multiplier <= 100.0) ? -1 : 0;
	}
	if (number(v, UINT64_MAX, &n) < 0)
		return -1;
	/* Delays beyond a year are mistakes, and would overflow with jitter. */
	if (!strncmp(key, "restart-", 8) && n > BACKOFF_MAX_NS)
		return -1;
	if (!strcmp(key, "restart-delay-ns"))
		r->delay_ns = n;
	else if (!strcmp(key, "restart-max-delay-ns"))
		r->max_delay_ns = n;
	else if (!strcmp(key, "restart-reset-ns"))
		r->reset_ns = n;
	else if (!strcmp(key, "log-max-size"))
		c->log_max_size = n;
	else if (!strcmp(key, "log-max-files") && n >= 1 && n <= 1000)
		c->log_max_files = (unsigned)n;
	else if (!strcmp(key, "stop-signal") && n >= 1 && n <= 64)
		c->stop_signal = (int)n;
	else if (!strcmp(key, "stop-timeout") && n <= 86400)
		c->stop_timeout_s = (unsigned)n;
	else if (!strcmp(key, "tty") && n <= 1)
		c->tty = n;
	else if (!strcmp(key, "interactive") && n <= 1)
		c->interactive = n;
	else if (!strcmp(key, "rm") && n <= 1)
		c->remove = n;
	else
		return -1;
	return 0;
}

int monitor_conf_parse(const char *text, struct monitor_conf *c, unsigned *bad_line)
{
	char line[512];
	unsigned no = 0;

	while (*text) {
		size_t len = strcspn(text, "\n");

		no++;
		if (len >= sizeof(line))
			return *bad_line = no, -1;
		memcpy(line, text, len);
		line[len] = 0;
		text += len + (text[len] == '\n');
		if (!len)
			continue;
		char *eq = strchr(line, '=');

		if (!eq)
			return *bad_line = no, -1;
		*eq = 0;
		if (set(c, line, eq + 1) < 0)
			return *bad_line = no, -1;
	}
	if (c->restart.delay_ns == 0 || c->restart.max_delay_ns < c->restart.delay_ns)
		return *bad_line = no, -1;
	return 0;
}
