/* libcurl behind http_do: one easy handle per exchange keeps the code
 * simple; connection reuse matters little next to layer sizes. */
#include "registry/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "common/cleanup.h"

/* A stalled registry is given up on rather than waited for forever. */
#define LOW_SPEED_BYTES 1
#define LOW_SPEED_SECONDS 60L
#define CONNECT_SECONDS 30L
#define MAX_REDIRECTS 5L

struct exchange {
	const struct http_request *rq;
	struct http_response *rs;
	berr_t *err;
	bool sink_failed;
	long status;   /* of the answer being received (each redirect has one) */
	uint64_t skip; /* bytes to drop: a Range request answered in full */
};

#define ERROR_BODY_MAX 4096

int http_global_init(berr_t *err)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return err_set(err, EIO, "libcurl: initialisation failed");
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
	struct exchange *x = ctx;
	size_t len = size * n;

	/* Bodies of error answers and of redirects are not the resource:
	 * the start of an error body is kept for the message. */
	if (x->status < 200 || x->status >= 300) {
		struct http_buf b = { x->rs->error_body, x->rs->error_len,
				      ERROR_BODY_MAX, "error body" };
		berr_t ignored = NULL;

		http_buf_sink(&b, data, len < ERROR_BODY_MAX - b.len ? len : ERROR_BODY_MAX - b.len,
			      &ignored);
		err_free(&ignored);
		x->rs->error_body = b.data;
		x->rs->error_len = b.len;
		return len;
	}
	if (x->skip > 0) {
		size_t drop = x->skip < len ? (size_t)x->skip : len;

		x->skip -= drop;
		data += drop;
		len -= drop;
	}
	if (x->rq->sink && len > 0 &&
	    x->rq->sink(x->rq->sink_ctx, data, len, x->err) < 0) {
		x->sink_failed = true;
		return 0;
	}
	return size * n;
}

/* "HTTP/1.1 206 Partial Content": a new answer starts. */
static void on_status_line(struct exchange *x, const char *line, size_t len)
{
	char buf[64];
	long status = 0;

	snprintf(buf, sizeof(buf), "%.*s", (int)(len < 63 ? len : 63), line);
	if (sscanf(buf, "HTTP/%*s %ld", &status) != 1)
		return;
	x->status = status;
	free(x->rs->error_body);
	x->rs->error_body = NULL;
	x->rs->error_len = 0;
	/* A server that ignores Range sends everything again. */
	x->skip = (status == 200 && x->rq->range_from > 0) ? x->rq->range_from : 0;
}

static void keep_header(char **slot, const char *value, size_t len)
{
	while (len > 0 && (value[len - 1] == '\r' || value[len - 1] == '\n' ||
			   value[len - 1] == ' '))
		len--;
	while (len > 0 && (*value == ' ' || *value == '\t'))
		value++, len--;
	free(*slot);
	*slot = strndup(value, len);
}

static size_t on_header(char *line, size_t size, size_t n, void *ctx)
{
	static const struct {
		const char *name;
		size_t off;
	} kept[] = {
		{ "WWW-Authenticate:", offsetof(struct http_response, www_authenticate) },
		{ "Location:", offsetof(struct http_response, location) },
		{ "Content-Type:", offsetof(struct http_response, content_type) },
		{ "Docker-Content-Digest:", offsetof(struct http_response, content_digest) },
	};
	struct exchange *x = ctx;
	size_t len = size * n;

	if (len > 5 && strncmp(line, "HTTP/", 5) == 0)
		on_status_line(x, line, len);
	for (size_t i = 0; i < sizeof(kept) / sizeof(*kept); i++) {
		size_t k = strlen(kept[i].name);

		if (len > k && strncasecmp(line, kept[i].name, k) == 0)
			keep_header((char **)((char *)x->rs + kept[i].off), line + k, len - k);
	}
	return len;
}

static size_t on_read(char *buf, size_t size, size_t n, void *ctx)
{
	struct exchange *x = ctx;
	ssize_t r;

	do
		r = read(x->rq->body_fd, buf, size * n);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		err_sys(x->err, "read request body");
		x->sink_failed = true;
		return CURL_READFUNC_ABORT;
	}
	return (size_t)r;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow,
		       curl_off_t ultotal, curl_off_t ulnow)
{
	struct exchange *x = ctx;
	curl_off_t total = dltotal ? dltotal : ultotal, now = dltotal ? dlnow : ulnow;

	if (total > 0)
		fprintf(stderr, "\r%s: %" PRId64 " / %" PRId64 " KiB ", x->rq->progress,
			(int64_t)(now / 1024), (int64_t)(total / 1024));
	return 0;
}

static struct curl_slist *make_headers(const struct http_request *rq)
{
	struct curl_slist *list = NULL, *next;

	/* libcurl would otherwise wait for "100 Continue" on uploads. */
	list = curl_slist_append(list, "Expect:");
	for (const char *const *h = rq->headers; list && h && *h; h++) {
		next = curl_slist_append(list, *h);
		if (!next) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

static void set_body(CURL *c, const struct http_request *rq, struct exchange *x)
{
	if (rq->body_fd >= 0) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)rq->body_fd_len);
	} else if (rq->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, rq->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)rq->body_len);
	}
	if (strcmp(rq->method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	else if (strcmp(rq->method, "POST") == 0 && !rq->body && rq->body_fd < 0)
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, rq->method);
}

static void set_options(CURL *c, const struct http_request *rq,
			struct exchange *x, struct curl_slist *headers)
{
	curl_easy_setopt(c, CURLOPT_URL, rq->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, MAX_REDIRECTS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_SECONDS);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)LOW_SPEED_BYTES);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_SECONDS);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "berth/0.1");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	if (rq->userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, rq->userpwd);
	}
	if (rq->range_from > 0)
		curl_easy_setopt(c, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)rq->range_from);
	if (rq->progress) {
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, x);
	}
	set_body(c, rq, x);
}

int http_do(const struct http_request *rq, struct http_response *rs,
	    berr_t *err)
{
	struct exchange x = { .rq = rq, .rs = rs, .err = err };
	struct curl_slist *headers = make_headers(rq);
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(rs, 0, sizeof(*rs));
	if (!c || !headers) {
		curl_slist_free_all(headers);
		curl_easy_cleanup(c);
		return err_set(err, ENOMEM, "%s %s: out of memory", rq->method, rq->url);
	}
	set_options(c, rq, &x, headers);
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &rs->status);
	if (rq->progress)
		fputc('\n', stderr);
	curl_slist_free_all(headers);
	curl_easy_cleanup(c);
	if (x.sink_failed)
		return -1;
	if (rc != CURLE_OK) {
		rs->transport_failed = true;
		return err_set(err, EIO, "%s %s: %s", rq->method, rq->url,
			       curl_easy_strerror(rc));
	}
	return 0;
}

void http_response_clear(struct http_response *rs)
{
	free(rs->www_authenticate);
	free(rs->location);
	free(rs->content_type);
	free(rs->content_digest);
	free(rs->error_body);
	memset(rs, 0, sizeof(*rs));
}

int http_buf_sink(void *ctx, const void *data, size_t len, berr_t *err)
{
	struct http_buf *b = ctx;
	char *grown;

	if (len > b->max - b->len)
		return err_set(err, EFBIG, "%s: larger than %zu bytes", b->what, b->max);
	grown = realloc(b->data, b->len + len + 1);
	if (!grown)
		return err_set(err, ENOMEM, "%s: out of memory", b->what);
	memcpy(grown + b->len, data, len);
	b->data = grown;
	b->len += len;
	b->data[b->len] = '\0';
	return 0;
}

void http_buf_clear(struct http_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}
