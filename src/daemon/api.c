/* berthd's API connections: accept, read one request (head and
 * Content-Length body, both capped), answer, close.  The head is parsed
 * by the proxy's strict parser (proxy/http.h), so the API refuses what
 * the proxy refuses. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "container/log_follow.h"
#include "container/log_reader.h"
#include "daemon/api.h"
#include "proxy/http.h"

enum stream { STREAM_NONE, STREAM_EVENTS, STREAM_LOG };

struct api_conn {
	int fd;
	uint64_t opened_ns;
	bool tcp;       /* needs the bearer token */
	char *in;
	size_t in_len;
	char *out;
	size_t out_len, out_off;
	bool done;      /* the answer is complete: close once written */
	enum stream stream;
	int64_t after_id;
	struct log_follow *follow; /* a log stream with follow=1 */
};

struct api {
	int unix_fd, tcp_fd;
	char sock_path[4200];
	char *token;
	struct api_conn *conns[API_MAX_CONNS];
};

static int listen_unix(struct api *a, const char *run_root, berr_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (snprintf(a->sock_path, sizeof(a->sock_path), "%s/berthd.sock", run_root) >=
	    (int)sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "%s/berthd.sock: path too long", run_root);
	memcpy(sa.sun_path, a->sock_path, strlen(a->sock_path) + 1);
	if ((a->unix_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		return err_sys(err, "%s: socket", a->sock_path);
	if (unlink(a->sock_path) < 0 && errno != ENOENT)
		return err_sys(err, "%s: remove the old socket", a->sock_path);
	/* Root only: the socket is made unreachable before it exists. */
	mode_t old = umask(0077);
	int r = bind(a->unix_fd, (struct sockaddr *)&sa, sizeof(sa));

	umask(old);
	if (r < 0 || chmod(a->sock_path, 0600) < 0 || listen(a->unix_fd, 64) < 0)
		return err_sys(err, "%s", a->sock_path);
	return 0;
}

static int listen_tcp(struct api *a, const char *addr, berr_t *err)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char ip[INET_ADDRSTRLEN];
	const char *colon = strrchr(addr, ':');
	char *end;
	long port = colon ? strtol(colon + 1, &end, 10) : 0;
	int one = 1;

	if (!colon || colon == addr || (size_t)(colon - addr) >= sizeof(ip) || *end || port < 1 ||
	    port > 65535)
		return err_set(err, EINVAL, "--listen '%s': expected IPv4:PORT", addr);
	memcpy(ip, addr, (size_t)(colon - addr));
	ip[colon - addr] = '\0';
	if (inet_pton(AF_INET, ip, &sa.sin_addr) != 1)
		return err_set(err, EINVAL, "--listen '%s': '%s' is not an IPv4 address", addr, ip);
	sa.sin_port = htons((uint16_t)port);
	if ((a->tcp_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
	    setsockopt(a->tcp_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(a->tcp_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(a->tcp_fd, 64) < 0)
		return err_sys(err, "--listen %s", addr);
	return 0;
}

static int read_token(struct api *a, const char *file, berr_t *err)
{
	char *text;
	size_t len;

	if (fs_read_file_at(AT_FDCWD, file, 4096, &text, &len, err) < 0)
		return err_prefix(err, "--token-file");
	text[strcspn(text, "\r\n")] = '\0';
	if (strlen(text) < 16) {
		free(text);
		return err_set(err, EINVAL, "--token-file %s: the token must be at least 16 characters", file);
	}
	a->token = text;
	return 0;
}

static int watch(struct berthd *d, int fd, uint64_t tag, uint32_t events, int op)
{
	struct epoll_event ev = { .events = events, .data.u64 = tag };

	return epoll_ctl(d->epfd, op, fd, &ev);
}

int api_open(struct berthd *d, const char *tcp, const char *token_file, berr_t *err)
{
	struct api *a = calloc(1, sizeof(*a));

	if (!a)
		return err_sys(err, "api");
	a->unix_fd = a->tcp_fd = -1;
	d->api = a;
	if (tcp && !token_file)
		return err_set(err, EINVAL, "--listen needs --token-file: the API over TCP takes bearer tokens");
	if (listen_unix(a, d->run_root, err) < 0 || (tcp && (read_token(a, token_file, err) < 0 ||
							     listen_tcp(a, tcp, err) < 0)))
		return -1;
	if (watch(d, a->unix_fd, API_TAG_LISTEN, EPOLLIN, EPOLL_CTL_ADD) < 0 ||
	    (a->tcp_fd >= 0 && watch(d, a->tcp_fd, API_TAG_LISTEN | 1, EPOLLIN, EPOLL_CTL_ADD) < 0))
		return err_sys(err, "epoll");
	return 0;
}

static void conn_close(struct berthd *d, size_t slot)
{
	struct api_conn *c = d->api->conns[slot];

	close(c->fd);
	free(c->in);
	free(c->out);
	if (c->follow)
		log_follow_close(c->follow);
	free(c->follow);
	free(c);
	d->api->conns[slot] = NULL;
}

void api_close(struct berthd *d)
{
	struct api *a = d->api;

	if (!a)
		return;
	for (size_t i = 0; i < API_MAX_CONNS; i++)
		if (a->conns[i])
			conn_close(d, i);
	if (a->unix_fd >= 0) {
		close(a->unix_fd);
		unlink(a->sock_path);
	}
	if (a->tcp_fd >= 0)
		close(a->tcp_fd);
	free(a->token);
	free(a);
	d->api = NULL;
}

static void out_append(struct api_conn *c, const char *p, size_t len)
{
	char *bigger = realloc(c->out, c->out_len + len + 1);

	if (!bigger) {
		c->done = true; /* out of memory: the connection just closes */
		return;
	}
	c->out = bigger;
	memcpy(c->out + c->out_len, p, len);
	c->out_len += len;
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 411: return "Length Required";
	case 409: return "Conflict";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 503: return "Service Unavailable";
	default: return status < 500 ? "Error" : "Internal Server Error";
	}
}

static void head(struct api_conn *c, int status, const char *type, const char *framing)
{
	char h[512];
	int n = snprintf(h, sizeof(h), "HTTP/1.1 %d %s\r\nContent-Type: %s\r\n%s%s\r\n\r\n", status,
			 reason(status), type, framing,
			 c->tcp && status == 401 ? "\r\nWWW-Authenticate: Bearer" : "");

	out_append(c, h, (size_t)n);
}

void api_reply_text(struct api_conn *c, int status, const char *type, const char *text, size_t len)
{
	char framing[96];

	snprintf(framing, sizeof(framing), "Content-Length: %zu\r\nConnection: close", len);
	head(c, status, type, framing);
	out_append(c, text, len);
	c->done = true;
}

void api_reply_json(struct api_conn *c, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;

	json_decref(body);
	if (!text) {
		api_reply_text(c, 500, "application/json", "{\"message\":\"out of memory\"}", 27);
		return;
	}
	api_reply_text(c, status, "application/json", text, strlen(text));
	free(text);
}

void api_reply_error(struct api_conn *c, int status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	api_reply_json(c, status, json_pack("{s:s}", "message", msg));
}

static void stream_begin(struct api_conn *c, const char *type)
{
	head(c, 200, type, "Transfer-Encoding: chunked\r\nConnection: close");
}

void api_stream_send(struct api_conn *c, const char *p, size_t len)
{
	char size[24];

	if (!len)
		return;
	out_append(c, size, (size_t)snprintf(size, sizeof(size), "%zx\r\n", len));
	out_append(c, p, len);
	out_append(c, "\r\n", 2);
}

static void log_line(void *ctx, const char *line, size_t len)
{
	struct api_conn *c = ctx;

	api_stream_send(c, line, len);
	api_stream_send(c, "\n", 1);
}

/* What the monitor appended since the last turn, across rotations
 * (container/log_follow.h); held back while the client reads slowly. */
static void feed_log(struct api_conn *c)
{
	berr_t err = NULL;
	int r;

	while (c->out_len - c->out_off < (1u << 20) &&
	       (r = log_follow_poll(c->follow, log_line, c, &err)) > 0)
		;
	if (err) {
		fprintf(stderr, "berthd: log stream: %s\n", err_msg(err));
		err_free(&err);
		api_stream_end(c);
	}
}

void api_stream_events(struct api_conn *c, int64_t after_id)
{
	stream_begin(c, "application/x-ndjson");
	c->stream = STREAM_EVENTS;
	c->after_id = after_id;
}

int api_stream_log(struct api_conn *c, const char *dir, bool follow, berr_t *err)
{
	cleanup_free char *all = NULL;
	size_t len, live;

	/* Every rotated file and the live one, as `berth logs` reads them. */
	if (log_read_all(dir, "container.log", &all, &len, &live, err) < 0)
		return -1;
	if (follow) {
		if (!(c->follow = calloc(1, sizeof(*c->follow))))
			return err_set(err, ENOMEM, "log stream: out of memory");
		c->follow->fd = -1;
		if (log_follow_open(c->follow, dir, "container.log", (off_t)live, err) < 0) {
			free(take_ptr(c->follow));
			return -1;
		}
	}
	stream_begin(c, "text/plain; charset=utf-8");
	api_stream_send(c, all, len);
	if (follow)
		c->stream = STREAM_LOG;
	else
		api_stream_end(c);
	return 0;
}

void api_stream_end(struct api_conn *c)
{
	out_append(c, "0\r\n\r\n", 5);
	c->stream = STREAM_NONE;
	c->done = true;
}

static bool authorized(const struct api *a, const struct api_conn *c, const char *buf,
		       const struct http_head *h)
{
	if (!c->tcp)
		return true;
	size_t tlen = strlen(a->token);

	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *f = &h->headers[i];
		const char *v = buf + f->value.off;
		unsigned char diff = 0;

		if (!http_header_is(buf, f, "authorization") || f->value.len != tlen + 7 ||
		    strncmp(v, "Bearer ", 7))
			continue;
		for (size_t k = 0; k < tlen; k++) /* in constant time */
			diff |= (unsigned char)(v[7 + k] ^ a->token[k]);
		return diff == 0;
	}
	return false;
}

static void dispatch(struct berthd *d, struct api_conn *c, const struct http_head *h)
{
	cleanup_free char *method = strndup(c->in + h->method.off, h->method.len);
	cleanup_free char *target = strndup(c->in + h->target.off, h->target.len);
	struct api_request rq = { 0 };

	if (!method || !target) {
		api_reply_error(c, 500, "out of memory");
		return;
	}
	char *q = strchr(target, '?');

	if (q)
		*q++ = '\0';
	rq.method = method;
	rq.path = target;
	rq.query = q ? q : "";
	if (h->content_length) {
		rq.body = json_loadb(c->in + h->len, h->content_length, 0, NULL);
		rq.body_bad = !rq.body;
	}
	api_route(d, c, &rq);
	json_decref(rq.body);
}

/* A request is complete: parse, check, route.  0: wait for more. */
static int request(struct berthd *d, struct api_conn *c)
{
	struct http_head h;
	berr_t err = NULL;
	int r = http_parse_request(c->in, c->in_len, API_MAX_HEAD, &h, &err);

	if (r < 0) {
		api_reply_error(c, h.status ? h.status : 400, "bad request: %s", err_msg(err));
		err_free(&err);
		return 1;
	}
	if (r == 0)
		return 0;
	if (h.body == HTTP_BODY_CHUNKED || h.content_length > API_MAX_BODY) {
		api_reply_error(c, h.body == HTTP_BODY_CHUNKED ? 411 : 413,
				"a request body must have a Content-Length of at most %u bytes", API_MAX_BODY);
		return 1;
	}
	if (c->in_len < h.len + h.content_length)
		return 0;
	if (!authorized(d->api, c, c->in, &h))
		api_reply_error(c, 401, "a valid bearer token is needed (Authorization: Bearer TOKEN)");
	else
		dispatch(d, c, &h);
	return 1;
}

static void conn_flush(struct berthd *d, size_t slot)
{
	struct api_conn *c = d->api->conns[slot];

	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			watch(d, c->fd, API_TAG_CONN | slot, EPOLLIN | EPOLLOUT, EPOLL_CTL_MOD);
			return;
		}
		if (w < 0) {
			conn_close(d, slot);
			return;
		}
		c->out_off += (size_t)w;
	}
	c->out_off = c->out_len = 0;
	if (c->done && c->stream == STREAM_NONE)
		conn_close(d, slot);
	else
		watch(d, c->fd, API_TAG_CONN | slot, EPOLLIN, EPOLL_CTL_MOD);
}

static void conn_readable(struct berthd *d, size_t slot)
{
	struct api_conn *c = d->api->conns[slot];
	char buf[16384];
	ssize_t n = recv(c->fd, buf, sizeof(buf), 0);

	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(d, slot);
		return;
	}
	if (n < 0 || c->done || c->stream != STREAM_NONE)
		return; /* what comes after the one request is not read */
	char *bigger = c->in_len + (size_t)n <= API_MAX_HEAD + API_MAX_BODY
			       ? realloc(c->in, c->in_len + (size_t)n) : NULL;

	if (!bigger) {
		conn_close(d, slot);
		return;
	}
	c->in = bigger;
	memcpy(c->in + c->in_len, buf, (size_t)n);
	c->in_len += (size_t)n;
	if (request(d, c))
		conn_flush(d, slot);
}

static void accept_one(struct berthd *d, int lfd, bool tcp)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	size_t slot = 0;

	if (fd < 0)
		return;
	while (slot < API_MAX_CONNS && d->api->conns[slot])
		slot++;
	struct api_conn *c = slot < API_MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;

	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->tcp = tcp;
	c->opened_ns = berthd_now();
	d->api->conns[slot] = c;
	if (watch(d, fd, API_TAG_CONN | slot, EPOLLIN, EPOLL_CTL_ADD) < 0)
		conn_close(d, slot);
}

void api_event(struct berthd *d, uint64_t tag, uint32_t events)
{
	if (tag & API_TAG_LISTEN) {
		bool tcp = tag & 1;

		accept_one(d, tcp ? d->api->tcp_fd : d->api->unix_fd, tcp);
		return;
	}
	size_t slot = (size_t)(tag & 0xffffffffu);

	if (slot >= API_MAX_CONNS || !d->api->conns[slot])
		return;
	if (events & EPOLLOUT)
		conn_flush(d, slot);
	if (d->api->conns[slot] && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		conn_readable(d, slot);
}

void api_turn(struct berthd *d)
{
	for (size_t i = 0; d->api && i < API_MAX_CONNS; i++) {
		struct api_conn *c = d->api->conns[i];

		if (!c)
			continue;
		if (c->stream == STREAM_NONE && !c->done &&
		    d->now_ns > c->opened_ns + API_REQUEST_TIMEOUT_NS) {
			/* A client that does not finish its request in time (a
			 * slow or stuck one) does not keep a connection slot. */
			api_reply_error(c, 408, "the request did not arrive within %llu s",
					API_REQUEST_TIMEOUT_NS / 1000000000ull);
			conn_flush(d, i);
			if (d->api->conns[i])
				conn_close(d, i);
			continue;
		}
		if (c->stream == STREAM_NONE || c->out_len - c->out_off > (1u << 20))
			continue;
		if (c->stream == STREAM_EVENTS)
			api_feed_events(d, c, &c->after_id);
		else
			feed_log(c);
		if (c->out_len > c->out_off)
			conn_flush(d, i);
	}
}
