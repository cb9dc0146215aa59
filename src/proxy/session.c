/* Client sessions: the HTTP state machine and the byte tunnels.
 *
 * Every event ends in run(): it alternates advance() (parse, move bytes
 * between the four buffers as the message framing allows) and flush()
 * (write what is buffered) until neither makes progress, then asks epoll
 * for exactly the events that could let it make more.  A step returning
 * -1 means the session ends; only the event handlers free it. */
#include "proxy/session.h"

#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "proxy/addr.h"
#include "proxy/backend.h"
#include "proxy/ipcount.h"
#include "proxy/listener.h"
#include "proxy/rewrite.h"

#define container_of(p, type, field) ((type *)((char *)(p) - offsetof(type, field)))

/* The shortest grace for a client to read an error response. */
#define LINGER_MS 2000
/* Buffer sizes (the client's input and the backend's output also hold a
 * head of max_head): 16 KiB moves bodies at full speed on loopback and
 * keeps an idle-heavy proxy small. */
#define BUF_SIZE (16 * 1024)

enum state {
	S_HEAD,    /* waiting for a request head */
	S_PROXY,   /* a request in flight */
	S_TUNNEL,  /* bytes both ways: TCP mode, or after 101 */
	S_CLOSING, /* sending what is left, then S_LINGER */
	S_LINGER,  /* write side shut: reading until the client closes */
};

struct session {
	struct watch cw;     /* the client */
	struct upconn *bc;   /* the backend connection, or NULL */
	struct session *prev, *next;
	struct listener *l;
	struct proxy *px;
	struct sockaddr_storage peer;
	char ip[INET6_ADDRSTRLEN];
	enum state st;
	struct buf cin, cout, bin, bout;
	int64_t deadline_us;
	int64_t head_started_us, req_started_us;

	struct backend *b;
	bool connecting, reused;
	unsigned attempts;
	bool client_eof, backend_eof, backend_shut;

	/* the request in flight */
	int minor;
	bool keep_alive, method_head, upgrade;
	enum http_body req_body;
	uint64_t req_left;
	struct http_chunked req_ch;
	bool req_done;
	char *replay;      /* its head, to resend on a fresh connection */
	size_t replay_len; /* 0: none */
	size_t replay_cap; /* kept from request to request: no malloc each */

	/* its response */
	bool resp_started, resp_done, backend_keep_alive;
	enum http_body resp_body;
	uint64_t resp_left;
	struct http_chunked resp_ch;
};

static const char *reason(int status)
{
	switch (status) {
	case 400: return "Bad Request";
	case 408: return "Request Timeout";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static void set_deadline(struct session *s, int64_t ms)
{
	s->deadline_us = now_us() + ms * 1000;
}

static void count_status(struct listener *l, int status)
{
	if (status >= 100 && status < 600)
		l->responses_by_class[status / 100]++;
}

/* Let go of the backend connection: back to the pool when keep is set. */
static void detach_backend(struct session *s, bool keep)
{
	if (s->bc) {
		if (keep)
			backend_release(s->bc);
		else
			upconn_close(s->px, s->bc);
		s->bc = NULL;
	}
	if (s->b)
		backend_put(s->b);
	s->b = NULL;
	buf_consume(&s->bin, buf_len(&s->bin));
	buf_consume(&s->bout, buf_len(&s->bout));
	s->replay_len = 0;
	s->backend_eof = s->backend_shut = false;
}

/* Answer status and close (after the client has read it). */
static int fail_request(struct session *s, int status)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg),
			 "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n%s\n",
			 status, reason(status), strlen(reason(status)) + 1, reason(status));

	detach_backend(s, false);
	count_status(s->l, status);
	if (s->resp_started || !buf_append(&s->cout, msg, (size_t)n))
		return -1; /* a response was half sent: only closing tells the client */
	s->st = S_CLOSING;
	set_deadline(s, LINGER_MS);
	return 1;
}

static void on_backend(struct watch *w, uint32_t events);

/* Connect s to backend b (a pooled connection unless fresh). */
static int attach_backend(struct session *s, struct backend *b, bool fresh)
{
	berr_t err = NULL;
	struct upconn *u;

	if (fresh) {
		/* a stale pooled connection failed: do not take another */
		struct upconn *idle = b->idle;

		b->idle = NULL;
		int r = backend_connect(b, &u, &s->reused, &err);

		b->idle = idle;
		if (r < 0)
			goto failed;
	} else if (backend_connect(b, &u, &s->reused, &err) < 0) {
		goto failed;
	}
	u->owner = s;
	u->w.on_event = on_backend;
	s->b = b;
	b->active++;
	s->bc = u;
	s->connecting = !s->reused;
	s->attempts++;
	return 0;
failed:
	err_free(&err);
	backend_failed(b);
	return -1;
}

/* Attach s to a backend of its listener, trying the next ones while
 * connects fail at once: 0, or -1 when none is left to try. */
static int connect_any(struct session *s, struct backend *skip)
{
	for (; s->attempts <= s->l->nset; s->attempts++) {
		struct backend *b = backend_pick(s->l, skip);

		if (!b || b == skip)
			return -1;
		if (attach_backend(s, b, false) == 0)
			return 0;
		skip = b;
	}
	return -1;
}

/* A new connection failed: another backend, keeping what is in bout
 * (none of it was sent), or the request fails. */
static int retry_elsewhere(struct session *s)
{
	struct backend *failed = s->b;
	struct buf keep = s->bout;
	int r;

	backend_failed(failed);
	failed->active++; /* kept while skipped below */
	s->bout = (struct buf){ 0 };
	detach_backend(s, false);
	s->bout = keep;
	r = connect_any(s, failed);
	backend_put(failed);
	if (r == 0)
		return 1;
	return s->l->mode == MODE_TCP ? -1 : fail_request(s, 502);
}

/* A pooled connection the backend had closed meanwhile: the request
 * (no body, nothing of it answered) goes again on a new connection. */
static int replay(struct session *s)
{
	struct backend *b = s->b;
	size_t n = s->replay_len;
	int r;

	b->active++; /* kept while its connection is replaced */
	detach_backend(s, false);
	r = attach_backend(s, b, true);
	backend_put(b);
	if (r == 0 && buf_append(&s->bout, s->replay, n)) {
		s->replay_len = n;
		return 1;
	}
	return fail_request(s, 502);
}

/* The backend closed or failed before the response head was complete. */
static int backend_broken(struct session *s)
{
	if (s->connecting)
		return retry_elsewhere(s);
	if (s->reused && !s->resp_started && buf_len(&s->bin) == 0 && s->replay_len &&
	    s->attempts < 3)
		return replay(s);
	backend_failed(s->b);
	return s->l->mode == MODE_TCP ? -1 : fail_request(s, 502);
}

/* Keep the forwarded head of a request without a body, for replay();
 * without memory it just cannot be replayed. */
static void keep_replay(struct session *s)
{
	size_t n = buf_len(&s->bout);

	if (n > s->replay_cap) {
		char *p = realloc(s->replay, n);

		if (!p)
			return;
		s->replay = p;
		s->replay_cap = n;
	}
	memcpy(s->replay, buf_head(&s->bout), n);
	s->replay_len = n;
}

/* A complete request head: forward it to a backend. */
static int start_request(struct session *s, const struct http_head *h)
{
	const char *p = buf_head(&s->cin);

	s->l->requests++;
	s->minor = h->minor;
	s->keep_alive = h->keep_alive;
	s->upgrade = h->upgrade;
	s->method_head = h->method.len == 4 && !memcmp(p + h->method.off, "HEAD", 4);
	s->req_body = h->body;
	s->req_left = h->content_length;
	s->req_ch = (struct http_chunked){ 0 };
	s->req_done = h->body == HTTP_BODY_NONE;
	s->resp_started = s->resp_done = false;
	s->attempts = 0;
	if (!rewrite_request(p, h, s->ip, &s->bout))
		return fail_request(s, 431);
	if (s->req_done)
		keep_replay(s);
	buf_consume(&s->cin, h->start + h->len);
	s->st = S_PROXY;
	s->req_started_us = now_us();
	set_deadline(s, s->px->opts.backend_timeout_ms);
	if (connect_any(s, NULL) < 0)
		return fail_request(s, s->l->nset ? 502 : 503);
	return 1;
}

static int advance_head(struct session *s)
{
	struct http_head h;
	berr_t err = NULL;
	int r;

	if (buf_len(&s->cin) == 0)
		return s->client_eof ? -1 : 0;
	r = http_parse_request(buf_head(&s->cin), buf_len(&s->cin), s->px->opts.max_head, &h, &err);
	err_free(&err);
	if (r < 0)
		return fail_request(s, h.status);
	if (r == 1)
		return start_request(s, &h);
	if (s->client_eof)
		return -1;
	if (!s->head_started_us) {
		/* the whole head must come within the timeout, however slowly */
		s->head_started_us = now_us();
		set_deadline(s, s->px->opts.header_timeout_ms);
	}
	return 0;
}

/* Move body bytes framed by body/left/ch from src to dst: bytes moved,
 * -1 when the chunked framing is broken; *done when the body ended. */
static ssize_t move_body(struct buf *dst, struct buf *src, enum http_body body, uint64_t *left,
			 struct http_chunked *ch, bool *done)
{
	size_t n = buf_len(src), room = buf_room(dst);
	berr_t err = NULL;
	ssize_t r;

	if (n > room)
		n = room;
	switch (body) {
	case HTTP_BODY_LENGTH:
		if (n > *left)
			n = (size_t)*left;
		*left -= n;
		*done = *left == 0;
		return (ssize_t)buf_move(dst, src, n);
	case HTTP_BODY_CHUNKED:
		r = http_chunked_feed(ch, buf_head(src), n, done, &err);
		err_free(&err);
		return r < 0 ? -1 : (ssize_t)buf_move(dst, src, (size_t)r);
	case HTTP_BODY_CLOSE:
		return (ssize_t)buf_move(dst, src, n);
	default:
		*done = true;
		return 0;
	}
}

/* The response head in bin, once complete: forwarded to the client. */
static int response_head(struct session *s)
{
	const char *p = buf_head(&s->bin);
	struct http_head h;
	berr_t err = NULL;
	int r;

	r = http_parse_response(p, buf_len(&s->bin), s->bin.cap, s->method_head, &h, &err);
	err_free(&err);
	if (r < 0) {
		backend_failed(s->b);
		return fail_request(s, 502);
	}
	if (r == 0)
		return s->backend_eof ? backend_broken(s) : 0;
	if (h.status == 101 && !s->upgrade)
		return fail_request(s, 502);
	if (h.status < 200 && h.status != 101) {
		/* 100 Continue and the like: passed on, the final one follows */
		if (!buf_append(&s->cout, p, h.len))
			return 0;
		buf_consume(&s->bin, h.len);
		return 1;
	}
	s->keep_alive = s->keep_alive && h.body != HTTP_BODY_CLOSE && !s->l->removed;
	if (h.status == 101 ? !buf_append(&s->cout, p, h.len)
			    : !rewrite_response(p, &h, s->keep_alive, s->minor, &s->cout))
		return 0; /* cout first has to drain an earlier response */
	buf_consume(&s->bin, h.len);
	count_status(s->l, h.status);
	s->resp_started = true;
	if (h.status == 101) {
		backend_record(s->b, s->req_started_us);
		s->st = S_TUNNEL;
		set_deadline(s, s->px->opts.tunnel_timeout_ms);
		return 1;
	}
	s->resp_body = h.body;
	s->resp_left = h.content_length;
	s->resp_ch = (struct http_chunked){ 0 };
	s->backend_keep_alive = h.keep_alive;
	return 1;
}

/* The response is complete: the backend connection goes back to the
 * pool if both sides can reuse it, the client waits for its next request. */
static int finish_request(struct session *s)
{
	bool reuse = s->backend_keep_alive && s->req_done && !s->backend_eof &&
		     buf_len(&s->bin) == 0 && buf_len(&s->bout) == 0;

	backend_record(s->b, s->req_started_us);
	detach_backend(s, reuse);
	if (!s->keep_alive || !s->req_done) {
		s->st = S_CLOSING;
		set_deadline(s, LINGER_MS);
		return 1;
	}
	s->st = S_HEAD;
	s->head_started_us = 0;
	set_deadline(s, s->px->opts.idle_timeout_ms);
	return 1;
}

static int advance_proxy(struct session *s)
{
	bool done = false;
	ssize_t n;
	int progress = 0;

	if (!s->req_done) {
		n = move_body(&s->bout, &s->cin, s->req_body, &s->req_left, &s->req_ch, &done);
		if (n < 0)
			return fail_request(s, 400);
		s->req_done = done;
		progress |= n > 0 || done;
		if (!done && s->client_eof && buf_len(&s->cin) == 0)
			return -1; /* the client gave up mid-body */
	}
	if (!s->resp_started) {
		int r = buf_len(&s->bin) ? response_head(s)
			: s->backend_eof ? backend_broken(s) : 0;

		return r != 0 ? r : progress;
	}
	n = move_body(&s->cout, &s->bin, s->resp_body, &s->resp_left, &s->resp_ch, &done);
	if (n < 0) {
		backend_failed(s->b);
		return -1; /* half a response sent: closing tells the client */
	}
	if (s->resp_body == HTTP_BODY_CLOSE)
		done = s->backend_eof && buf_len(&s->bin) == 0;
	if (done)
		return finish_request(s);
	if (s->backend_eof && buf_len(&s->bin) == 0)
		return -1; /* truncated by the backend */
	return progress || n > 0;
}

/* Half-closes pass through a tunnel; it ends when both sides closed. */
static int advance_tunnel(struct session *s)
{
	if (s->connecting)
		return 0;
	if (s->client_eof && buf_len(&s->cin) == 0 && !s->backend_shut && s->bc) {
		shutdown(s->bc->w.fd, SHUT_WR);
		s->backend_shut = true;
	}
	if (s->backend_eof && buf_len(&s->bin) == 0 && buf_len(&s->cout) == 0)
		return -1;
	return 0;
}

static int advance(struct session *s)
{
	switch (s->st) {
	case S_HEAD:
		return advance_head(s);
	case S_PROXY:
		return advance_proxy(s);
	case S_TUNNEL:
		return advance_tunnel(s);
	case S_CLOSING:
		if (buf_len(&s->cout))
			return 0;
		/* shut the write side and read until the client closes, so
		 * unread input cannot turn the close into a reset that loses
		 * the response */
		shutdown(s->cw.fd, SHUT_WR);
		s->st = S_LINGER;
		return 1;
	default:
		buf_consume(&s->cin, buf_len(&s->cin));
		return s->client_eof ? -1 : 0;
	}
}

/* Write one buffer to fd: bytes written, 0 if it would block, -1 broken. */
static ssize_t write_some(struct buf *b, int fd)
{
	ssize_t n;

	if (buf_len(b) == 0)
		return 0;
	n = buf_write(b, fd);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	return n;
}

/* Send what is buffered for each side: progress made, or -1. */
static int flush(struct session *s)
{
	bool tunnel = s->st == S_TUNNEL;
	ssize_t c, b = 0;

	c = write_some(buf_len(&s->cout) || !tunnel ? &s->cout : &s->bin, s->cw.fd);
	if (c < 0)
		return -1;
	if (s->bc && !s->connecting) {
		b = write_some(buf_len(&s->bout) || !tunnel ? &s->bout : &s->cin, s->bc->w.fd);
		if (b < 0)
			return s->st == S_PROXY ? backend_broken(s) : -1;
	}
	return c > 0 || b > 0;
}

static void update_events(struct session *s)
{
	bool tunnel = s->st == S_TUNNEL;
	uint32_t ce = 0, be = 0;
	berr_t err = NULL;

	if (!s->client_eof && s->st != S_CLOSING && buf_room(&s->cin))
		ce |= EPOLLIN;
	if (buf_len(&s->cout) || (tunnel && buf_len(&s->bin)))
		ce |= EPOLLOUT;
	if (s->bc) {
		if (!s->connecting && !s->backend_eof && buf_room(&s->bin))
			be |= EPOLLIN;
		if (s->connecting || buf_len(&s->bout) || (tunnel && buf_len(&s->cin)))
			be |= EPOLLOUT;
		watch_set(s->px, &s->bc->w, be, &err);
	}
	watch_set(s->px, &s->cw, ce, &err);
	err_free(&err);
}

/* advance() as far as it goes before each flush(): a response head and
 * the body behind it leave in one send, one segment, not two. */
static int run(struct session *s)
{
	int a, f;

	do {
		while ((a = advance(s)) > 0)
			;
		if (a < 0 || (f = flush(s)) < 0)
			return -1;
	} while (f > 0);
	update_events(s);
	return 0;
}

static void session_free(struct session *s)
{
	struct listener *l = s->l;

	detach_backend(s, false);
	watch_close(s->px, &s->cw);
	if (s->prev)
		s->prev->next = s->next;
	else
		s->px->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	ipcount_put(s->px->ips, &s->peer);
	buf_free(&s->cin);
	buf_free(&s->cout);
	buf_free(&s->bin);
	buf_free(&s->bout);
	free(s->replay);
	watch_free(&s->cw, s);
	listener_put(l);
}

/* Read once from fd into b: 0, or -1 when the session cannot go on. */
static int read_side(struct buf *b, int fd, bool *eof)
{
	ssize_t n = buf_read(b, fd);

	if (n == 0)
		*eof = true;
	return n < 0 && errno != EAGAIN ? -1 : 0;
}

static void on_client(struct watch *w, uint32_t events)
{
	struct session *s = container_of(w, struct session, cw);

	if (events & EPOLLERR || ((events & EPOLLHUP) && !(events & EPOLLIN)) ||
	    ((events & EPOLLIN) && read_side(&s->cin, w->fd, &s->client_eof) < 0)) {
		session_free(s);
		return;
	}
	if (events & EPOLLIN && s->st == S_TUNNEL)
		set_deadline(s, s->px->opts.tunnel_timeout_ms);
	if (run(s) < 0)
		session_free(s);
}

/* Where a non-blocking connect is: 1 connected, 0 still going (the
 * event was for an earlier connection of this watch), -1 failed. */
static int connect_result(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int e = 0;

	if (poll(&p, 1, 0) < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) < 0 || e)
		return -1;
	return p.revents & (POLLOUT | POLLERR | POLLHUP) ? 1 : 0;
}

static int backend_event(struct session *s, uint32_t events)
{
	if (s->connecting) {
		int r = connect_result(s->bc->w.fd);

		if (r < 0)
			return retry_elsewhere(s);
		s->connecting = r == 0;
		if (r && s->l->mode == MODE_TCP)
			backend_record(s->b, s->req_started_us);
		return 0;
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		if (!buf_room(&s->bin) || read_side(&s->bin, s->bc->w.fd, &s->backend_eof) < 0)
			return s->st == S_PROXY ? backend_broken(s) : -1;
		set_deadline(s, s->st == S_TUNNEL ? s->px->opts.tunnel_timeout_ms
						  : s->px->opts.backend_timeout_ms);
	}
	return 0;
}

static void on_backend(struct watch *w, uint32_t events)
{
	struct session *s = container_of(w, struct upconn, w)->owner;

	if (backend_event(s, events) < 0 || run(s) < 0)
		session_free(s);
}

/* Deadlines at now: 1 progress (an error answered), 0 none, -1 close. */
static int expire(struct session *s, int64_t now)
{
	if (s->b && s->b->draining && now >= s->b->drain_deadline_us)
		return -1; /* drain timeout: in-flight work on a removed backend ends */
	if (!s->deadline_us || now < s->deadline_us)
		return 0;
	s->deadline_us = 0;
	if (s->st == S_HEAD && buf_len(&s->cin))
		return fail_request(s, 408);
	if (s->st == S_PROXY && !s->resp_started) {
		backend_failed(s->b);
		return fail_request(s, 504);
	}
	return -1;
}

void sessions_tick(struct proxy *px, int64_t now)
{
	struct session *s, *next;

	for (s = px->sessions; s; s = next) {
		int r = expire(s, now);

		next = s->next;
		if (r < 0 || (r > 0 && run(s) < 0))
			session_free(s);
	}
}

void sessions_close_idle(struct proxy *px, struct listener *l)
{
	struct session *s, *next;

	for (s = px->sessions; s; s = next) {
		next = s->next;
		if (s->l == l && s->st == S_HEAD && buf_len(&s->cin) == 0)
			session_free(s);
	}
}

void sessions_close_all(struct proxy *px)
{
	while (px->sessions)
		session_free(px->sessions);
}

void session_start(struct listener *l, int fd, const struct sockaddr_storage *peer)
{
	struct proxy *px = l->px;
	struct session *s = calloc(1, sizeof(*s));

	if (!s) {
		ipcount_put(px->ips, peer);
		close(fd);
		return;
	}
	s->cw = (struct watch){ .fd = fd, .on_event = on_client };
	s->l = l;
	s->px = px;
	s->peer = *peer;
	addr_ip(peer, s->ip, sizeof(s->ip));
	s->next = px->sessions;
	if (s->next)
		s->next->prev = s;
	px->sessions = s;
	l->sessions++;
	l->accepted++;
	if (buf_init(&s->cin, px->opts.max_head + BUF_SIZE) < 0 || buf_init(&s->cout, BUF_SIZE) < 0 ||
	    buf_init(&s->bin, BUF_SIZE) < 0 || buf_init(&s->bout, px->opts.max_head + BUF_SIZE) < 0) {
		session_free(s);
		return;
	}
	s->req_started_us = now_us();
	if (l->mode == MODE_TCP) {
		s->st = S_TUNNEL;
		set_deadline(s, px->opts.tunnel_timeout_ms);
		if (connect_any(s, NULL) < 0) {
			session_free(s);
			return;
		}
	} else {
		/* a client that connects and says nothing gets the header timeout */
		s->st = S_HEAD;
		set_deadline(s, px->opts.header_timeout_ms);
	}
	if (run(s) < 0)
		session_free(s);
}
