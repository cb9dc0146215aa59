/* The control socket.  Its clients come and go (berthd restarts, a
 * shell's socat): none of that touches the listeners, which is the point
 * of a separate proxy process. */
#include "proxy/control.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "proxy/conf.h"
#include "proxy/listener.h"
#include "proxy/stats.h"

/* A request line longer than this closes the client. */
#define LINE_MAX_BYTES (1024 * 1024)

struct client {
	struct watch w;
	struct client *next;
	struct buf in, out;
};

static struct {
	struct watch w;
	struct proxy *px;
	struct client *clients;
	char *path;
} ctl = { .w = { .fd = -1 } };

static void client_free(struct client *c)
{
	struct client **p = &ctl.clients;

	while (*p != c)
		p = &(*p)->next;
	*p = c->next;
	watch_close(ctl.px, &c->w);
	buf_free(&c->in);
	buf_free(&c->out);
	watch_free(&c->w, c);
}

static json_t *error_reply(berr_t err)
{
	return json_pack("{s:b,s:s}", "ok", 0, "error", err_msg(err));
}

static json_t *do_set(json_t *req, berr_t *err)
{
	struct listener_conf c;
	int r;

	if (conf_parse(req, &c, err) < 0)
		return NULL;
	r = listener_set(ctl.px, &c, err);
	listener_conf_free(&c);
	return r < 0 ? NULL : json_pack("{s:b}", "ok", 1);
}

static json_t *do_remove(json_t *req, berr_t *err)
{
	const char *listen_addr = json_string_value(json_object_get(req, "listen"));

	if (!listen_addr)
		return err_set(err, EINVAL, "listen: required string field missing"), NULL;
	if (listener_remove(ctl.px, listen_addr, err) < 0)
		return NULL;
	return json_pack("{s:b}", "ok", 1);
}

/* One request: its reply (an error reply when it failed). */
static json_t *handle(const char *line, size_t len)
{
	cleanup_err berr_t err = NULL;
	json_error_t jerr;
	json_t *req = json_loadb(line, len, 0, &jerr), *reply = NULL;
	const char *cmd = json_string_value(json_object_get(req, "cmd"));

	if (!req)
		err_set(&err, EINVAL, "request: bad JSON: %s", jerr.text);
	else if (!json_is_object(req) || !cmd)
		err_set(&err, EINVAL, "request: expected an object with a \"cmd\" string");
	else if (!strcmp(cmd, "set"))
		reply = do_set(req, &err);
	else if (!strcmp(cmd, "remove"))
		reply = do_remove(req, &err);
	else if (!strcmp(cmd, "stats"))
		reply = json_pack("{s:b,s:o*}", "ok", 1, "listeners", stats_json(ctl.px));
	else
		err_set(&err, EINVAL, "cmd: unknown command \"%s\"", cmd);
	json_decref(req);
	if (!reply && !err)
		err_set(&err, ENOMEM, "reply: out of memory");
	return reply ? reply : error_reply(err);
}

/* Answer every complete line in c->in: false when c must be closed. */
static bool serve_lines(struct client *c)
{
	char *nl;

	while ((nl = memchr(buf_head(&c->in), '\n', buf_len(&c->in)))) {
		size_t len = (size_t)(nl - buf_head(&c->in));
		json_t *reply = handle(buf_head(&c->in), len);
		char *text = reply ? json_dumps(reply, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
		bool ok = text && buf_append(&c->out, text, strlen(text)) && buf_append(&c->out, "\n", 1);

		json_decref(reply);
		free(text);
		buf_consume(&c->in, len + 1);
		if (!ok)
			return false;
	}
	return buf_room(&c->in) > 0;
}

static void on_client(struct watch *w, uint32_t events)
{
	struct client *c = (struct client *)w;
	berr_t err = NULL;
	bool eof = false;

	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = buf_read(&c->in, w->fd);

		eof = n == 0 || (n < 0 && errno != EAGAIN);
		if (!eof && !serve_lines(c))
			eof = true;
	}
	if (!eof && buf_len(&c->out) && buf_write(&c->out, w->fd) < 0 && errno != EAGAIN)
		eof = true;
	if (eof || watch_set(ctl.px, w, EPOLLIN | (buf_len(&c->out) ? EPOLLOUT : 0), &err) < 0) {
		err_free(&err);
		client_free(c);
	}
}

static void on_accept(struct watch *w, uint32_t events)
{
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	struct client *c;
	berr_t err = NULL;

	if (fd < 0)
		return;
	c = calloc(1, sizeof(*c));
	if (!c || buf_init(&c->in, LINE_MAX_BYTES) < 0 || buf_init(&c->out, 4 * LINE_MAX_BYTES) < 0) {
		if (c) {
			buf_free(&c->in);
			buf_free(&c->out);
		}
		free(c);
		close(fd);
		return;
	}
	c->w = (struct watch){ .fd = fd, .on_event = on_client };
	c->next = ctl.clients;
	ctl.clients = c;
	if (watch_set(ctl.px, &c->w, EPOLLIN, &err) < 0) {
		err_free(&err);
		client_free(c);
	}
}

int control_open(struct proxy *px, const char *path, berr_t *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(err, ENAMETOOLONG, "--control %s: path too long", path);
	strcpy(sa.sun_path, path);
	/* a socket left by a proxy that died; anything else is not ours */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) && unlink(path) < 0)
		return err_sys(err, "--control %s: remove the old socket", path);
	cleanup_close int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return err_sys(err, "--control %s: socket", path);
	old = umask(0177); /* 0600 from the start: no window where others connect */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0)
		return err_sys(err, "--control %s: bind", path);
	if (listen(fd, 16) < 0)
		return err_sys(err, "--control %s: listen", path);
	if (!(ctl.path = strdup(path)))
		return err_sys(err, "--control %s", path);
	ctl.px = px;
	ctl.w.fd = take_fd(fd);
	ctl.w.on_event = on_accept;
	return watch_set(px, &ctl.w, EPOLLIN, err);
}

void control_close(void)
{
	while (ctl.clients)
		client_free(ctl.clients);
	if (ctl.w.fd >= 0) {
		watch_close(ctl.px, &ctl.w);
		unlink(ctl.path);
	}
	free(ctl.path);
	ctl.path = NULL;
}
