/* The HTTP probe: GET path with Connection: close, the status line and
 * headers parsed by the proxy's (fuzzed) parser; healthy iff the status
 * is the expected one, or any 2xx/3xx. */
#include <errno.h>
#include <poll.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "proxy/http.h"
#include "service/health_internal.h"

enum { HEAD_MAX = 16384 };

/* Wait for fd to be ready for events before the deadline; 0 on time out. */
static int wait_for(int fd, short events, uint64_t deadline)
{
	struct pollfd p = { .fd = fd, .events = events };
	int n;

	do
		n = poll(&p, 1, health_ms_left(deadline));
	while (n < 0 && errno == EINTR);
	return n;
}

static int send_request(int fd, const char *req, size_t len, uint64_t deadline)
{
	while (len) {
		ssize_t n = send(fd, req, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EAGAIN) {
			int w = wait_for(fd, POLLOUT, deadline);

			if (w == 0)
				errno = ETIMEDOUT;
			if (w <= 0)
				return -1;
			continue;
		}
		if (n < 0)
			return -1;
		req += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read until the response head is complete: 1 parsed, 0 unhealthy (why
 * in out), buf holding *len bytes. */
static int read_head(int fd, char *buf, size_t *len, uint64_t deadline,
		     struct http_head *head, struct health_result *out)
{
	berr_t perr = NULL;

	for (;;) {
		ssize_t n = read(fd, buf + *len, HEAD_MAX - *len);
		int r;

		if (n < 0 && errno == EAGAIN) {
			if (wait_for(fd, POLLIN, deadline) == 0) {
				health_say(out, "no response before the timeout");
				return 0;
			}
			continue;
		}
		if (n <= 0) {
			health_say(out, "connection closed before a complete response%s%s",
				   n < 0 ? ": " : "", n < 0 ? strerror(errno) : "");
			return 0;
		}
		*len += (size_t)n;
		r = http_parse_response(buf, *len, HEAD_MAX, false, head, &perr);
		if (r != 0) {
			if (r < 0)
				health_say(out, "bad response: %s", err_msg(perr));
			err_free(&perr);
			return r > 0;
		}
	}
}

static bool status_ok(const struct health_check *c, int status)
{
	return c->expect_status ? status == c->expect_status : status >= 200 && status < 400;
}

int health_probe_http(const struct health_target *t, const struct health_check *c,
		      uint64_t deadline, struct health_result *out, berr_t *err)
{
	cleanup_free char *buf = malloc(HEAD_MAX);
	char req[4096];
	struct http_head head;
	cleanup_close int fd = -1;
	size_t len = 0;
	int n;

	n = snprintf(req, sizeof(req),
		     "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUser-Agent: berth-healthcheck\r\n"
		     "Accept: */*\r\nConnection: close\r\n\r\n",
		     c->path ? c->path : "/", t->ip ? t->ip : "127.0.0.1", c->port);
	if (!buf)
		return err_set(err, ENOMEM, "health check: response buffer");
	if (n < 0 || (size_t)n >= sizeof(req))
		return err_set(err, EINVAL, "health check: HTTP path is too long");
	if (health_connect(t, c->port, deadline, &fd, out, err) < 0)
		return -1;
	if (fd < 0)
		return 0;
	if (send_request(fd, req, (size_t)n, deadline) < 0) {
		health_say(out, "send the request: %s", strerror(errno));
		return 0;
	}
	if (read_head(fd, buf, &len, deadline, &head, out) <= 0)
		return 0;
	out->code = head.status;
	out->healthy = status_ok(c, head.status);
	/* docker keeps what a check printed; here that is the response. */
	health_say(out, "%.*s", (int)(len < HEALTH_OUTPUT_MAX ? len : HEALTH_OUTPUT_MAX), buf);
	return 0;
}
