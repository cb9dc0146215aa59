/* berthd's API client (see api_client.h). */
#include "cli/service/api_client.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/unix_socket.h"

/* A request that is not a stream is answered at once (berthd deploys in
 * the background): a daemon that hangs is reported, not waited for. */
#define API_TIMEOUT_S 60

static bool is_2xx(const struct api_reader *r)
{
	return r->head.status >= 200 && r->head.status < 300;
}

/* Streaming 2xx bodies go to the line callback; everything else (error
 * bodies included) is kept whole for api_reader_reply. */
static bool streaming(const struct api_reader *r)
{
	return r->line && is_2xx(r);
}

static int append(struct api_reader *r, const char *data, size_t n, berr_t *err)
{
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap : 4096;
		char *p;

		while (cap < r->len + n)
			cap *= 2;
		if (!(p = realloc(r->buf, cap)))
			return err_set(err, ENOMEM, "berthd's response: out of memory");
		r->buf = p;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, data, n);
	r->len += n;
	return 0;
}

static int parse_head(struct api_reader *r, berr_t *err)
{
	int k = http_parse_response(r->buf, r->len, API_HEAD_MAX, false, &r->head, err);

	/* A head that reaches API_HEAD_MAX unended is refused by the parser. */
	if (k <= 0)
		return k < 0 ? err_prefix(err, "berthd's response") : 0;
	if (r->head.body == HTTP_BODY_LENGTH && r->head.content_length > API_BODY_MAX)
		return err_set(err, EMSGSIZE, "berthd's response: body of %llu bytes is over %d MiB",
			       (unsigned long long)r->head.content_length, API_BODY_MAX >> 20);
	r->have_head = true;
	r->decoded = r->head.len;
	r->remaining = r->head.content_length;
	r->done = r->head.body == HTTP_BODY_NONE;
	return 0;
}

/* Decode what follows r->decoded (bytes after the body's end are dropped:
 * berthd sends one response per connection). */
static int decode(struct api_reader *r, berr_t *err)
{
	size_t raw = r->len - r->decoded;
	size_t data;
	bool end = false;
	ssize_t used;

	switch (r->head.body) {
	case HTTP_BODY_LENGTH:
		data = raw < r->remaining ? raw : (size_t)r->remaining;
		r->remaining -= data;
		end = r->remaining == 0;
		break;
	case HTTP_BODY_CHUNKED:
		used = http_chunked_decode(&r->chunked, r->buf + r->decoded, raw, &data, &end, err);
		if (used < 0)
			return err_prefix(err, "berthd's response");
		break;
	case HTTP_BODY_CLOSE:
		data = raw;
		break;
	default:
		data = 0;
		end = true;
	}
	r->decoded += data;
	r->len = r->decoded;
	r->done = end;
	if (!streaming(r) && r->decoded - r->head.len > API_BODY_MAX)
		return err_set(err, EMSGSIZE, "berthd's response: body over %d MiB", API_BODY_MAX >> 20);
	return 0;
}

/* Hand the complete lines of a streamed body on; with last, the rest too. */
static int emit_lines(struct api_reader *r, bool last, berr_t *err)
{
	char *start = r->buf + r->head.len, *end = r->buf + r->decoded, *p = start, *nl;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		if (r->line(r->ctx, p, (size_t)(nl - p), err) < 0)
			return -1;
		p = nl + 1;
	}
	if (last && p < end && r->line(r->ctx, p, (size_t)(end - p), err) < 0)
		return -1;
	if (last)
		p = end;
	memmove(start, p, (size_t)(end - p));
	r->decoded = r->len = r->head.len + (size_t)(end - p);
	if (r->decoded - r->head.len > API_LINE_MAX)
		return err_set(err, EMSGSIZE, "berthd's stream: a line over %d KiB", API_LINE_MAX / 1024);
	return 0;
}

int api_reader_feed(struct api_reader *r, const char *data, size_t n, berr_t *err)
{
	if (r->done || n == 0)
		return 0;
	if (append(r, data, n, err) < 0)
		return -1;
	if (!r->have_head && parse_head(r, err) < 0)
		return -1;
	if (!r->have_head)
		return 0; /* more of the head to come */
	if (decode(r, err) < 0)
		return -1;
	return streaming(r) ? emit_lines(r, r->done, err) : 0;
}

int api_reader_finish(struct api_reader *r, berr_t *err)
{
	if (!r->have_head)
		return err_set(err, EPROTO, r->len ? "berthd's response: cut short in its head"
						   : "berthd closed the connection without a response");
	if (r->head.body == HTTP_BODY_CLOSE && !r->done) {
		r->done = true;
		return streaming(r) ? emit_lines(r, true, err) : 0;
	}
	if (!r->done)
		return err_set(err, EPROTO, "berthd's response: body cut short");
	return 0;
}

/* Errors are {"message": "..."}; anything else is named by its status. */
static int server_error(const struct api_reader *r, berr_t *err)
{
	const char *body = r->buf + r->head.len;
	json_t *j = json_loadb(body, r->decoded - r->head.len, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "message"));
	int k;

	if (msg && *msg)
		k = err_set(err, EPROTO, "%s", msg);
	else
		k = err_set(err, EPROTO, "berthd answered %d without a message", r->head.status);
	json_decref(j);
	return k;
}

int api_reader_reply(const struct api_reader *r, json_t **reply, berr_t *err)
{
	json_error_t jerr;
	size_t n = r->decoded - r->head.len;

	if (!is_2xx(r))
		return server_error(r, err);
	if (r->line || n == 0) {
		*reply = json_null();
		return 0;
	}
	*reply = json_loadb(r->buf + r->head.len, n, 0, &jerr);
	if (!*reply)
		return err_set(err, EPROTO, "berthd's response: not JSON: %s", jerr.text);
	return 0;
}

void api_reader_free(struct api_reader *r)
{
	free(r->buf);
	r->buf = NULL;
	r->len = r->cap = 0;
}

int api_path(char out[API_PATH_MAX], const char *prefix, const char *name, const char *suffix,
	     berr_t *err)
{
	size_t n = (size_t)snprintf(out, API_PATH_MAX, "%s", prefix);

	for (const unsigned char *p = (const unsigned char *)name; *p && n < API_PATH_MAX; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || strchr("-._~", *p);

		n += (size_t)snprintf(out + n, API_PATH_MAX - n, plain ? "%c" : "%%%02X", *p);
	}
	if (n < API_PATH_MAX)
		n += (size_t)snprintf(out + n, API_PATH_MAX - n, "%s", suffix);
	if (n >= API_PATH_MAX || !*name)
		return err_set(err, EINVAL, "'%s': not a name berthd can be asked about", name);
	return 0;
}

static int connect_berthd(const char *run_root, bool timeout, int *fd, berr_t *err)
{
	char path[PATH_MAX];
	struct timeval tv = { .tv_sec = API_TIMEOUT_S };
	cleanup_err berr_t cerr = NULL;

	if (snprintf(path, sizeof(path), "%s/" API_SOCKET_NAME, run_root) >= (int)sizeof(path))
		return err_set(err, ENAMETOOLONG, "--run-root '%s': path too long", run_root);
	if (unix_connect(path, "berthd's socket", fd, &cerr) < 0) {
		if (cerr->errnum == ENOENT || cerr->errnum == ECONNREFUSED)
			return err_set(err, cerr->errnum,
				       "berthd is not running (no socket at %s): start it with `berthd`", path);
		*err = take_ptr(cerr);
		return -1;
	}
	if (timeout && (setsockopt(*fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
			setsockopt(*fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0))
		return err_sys(err, "berthd's socket");
	return 0;
}

static int send_all(int fd, const char *p, size_t n, berr_t *err)
{
	while (n) {
		ssize_t k = send(fd, p, n, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return err_sys(err, "send to berthd");
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Keys sorted: the definition goes as service_json_dump writes it. */
static int send_request(int fd, const char *method, const char *path, json_t *body, berr_t *err)
{
	cleanup_free char *text = body ? json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	cleanup_free char *head = NULL;
	size_t len = text ? strlen(text) : 0;
	int n;

	if (body && !text)
		return err_set(err, ENOMEM, "%s %s: out of memory", method, path);
	n = asprintf(&head, "%s %s HTTP/1.1\r\nHost: berthd\r\nConnection: close\r\n"
			    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n",
		     method, path, len);
	if (n < 0)
		return err_set(err, ENOMEM, "%s %s: out of memory", method, path);
	if (send_all(fd, head, (size_t)n, err) < 0 || send_all(fd, text, len, err) < 0)
		return -1;
	return 0;
}

static int read_response(int fd, struct api_reader *r, berr_t *err)
{
	char buf[65536];

	while (!r->done) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return err_set(err, ETIMEDOUT, "berthd did not answer within %d s", API_TIMEOUT_S);
		if (n < 0)
			return err_sys(err, "read from berthd");
		if (n == 0)
			return api_reader_finish(r, err);
		if (api_reader_feed(r, buf, (size_t)n, err) < 0)
			return -1;
	}
	return 0;
}

/* One exchange; r holds the response (the caller frees it). */
static int exchange(const char *run_root, const char *method, const char *path, json_t *body,
		    struct api_reader *r, berr_t *err)
{
	cleanup_close int fd = -1;

	if (connect_berthd(run_root, !r->line, &fd, err) < 0 ||
	    send_request(fd, method, path, body, err) < 0 || read_response(fd, r, err) < 0)
		return -1;
	return 0;
}

int api_call(const char *run_root, const char *method, const char *path, json_t *body,
	     int *status, json_t **reply, berr_t *err)
{
	struct api_reader r = { 0 };
	json_t *j = NULL;
	int k = exchange(run_root, method, path, body, &r, err);

	if (status)
		*status = r.have_head ? r.head.status : 0;
	if (k == 0)
		k = api_reader_reply(&r, &j, err);
	api_reader_free(&r);
	if (k == 0 && reply)
		*reply = j;
	else
		json_decref(j);
	return k;
}

int api_service(const char *run_root, const char *method, const char *name, const char *action,
		json_t *body, int *status, json_t **reply, berr_t *err)
{
	char path[API_PATH_MAX];
	int got = 0, r = api_path(path, "/v1/services/", name, action, err);

	if (r == 0)
		r = api_call(run_root, method, path, body, &got, reply, err);
	if (status)
		*status = got;
	return r < 0 && got ? err_prefix(err, "%s", name) : r;
}

int api_stream(const char *run_root, const char *path, api_line_fn line, void *ctx,
	       berr_t *err)
{
	struct api_reader r = { .line = line, .ctx = ctx };
	json_t *j = NULL;
	int k = exchange(run_root, "GET", path, NULL, &r, err);

	if (k == 0)
		k = api_reader_reply(&r, &j, err);
	json_decref(j);
	api_reader_free(&r);
	return k;
}
