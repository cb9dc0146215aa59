/* One HTTP exchange through libcurl: the request body from memory or an
 * fd, the response body streamed to a sink, the few response headers a
 * registry client needs kept.  Redirects are followed (blob storage often
 * answers with one); only http and https are allowed. */
#ifndef BERTH_REGISTRY_HTTP_H
#define BERTH_REGISTRY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Returns 0 to go on, -1 to abort the transfer (with *err set). */
typedef int (*http_sink_fn)(void *ctx, const void *data, size_t len,
			    berr_t *err);

struct http_request {
	const char *method;         /* "GET", "HEAD", "PUT", "POST" */
	const char *url;
	const char *const *headers; /* NULL-terminated "Name: value", or NULL */
	const char *userpwd;        /* "user:pass" for Basic auth, or NULL */
	const void *body;           /* request body from memory ... */
	size_t body_len;
	int body_fd;                /* ... or from an fd (-1: none) */
	uint64_t body_fd_len;
	uint64_t range_from;        /* Range: bytes=N- when > 0 */
	http_sink_fn sink;          /* response body; NULL discards it */
	void *sink_ctx;
	const char *progress;       /* label of a progress line on stderr, or NULL */
};

struct http_response {
	long status;
	char *www_authenticate;
	char *location;
	char *content_type;
	char *content_digest; /* Docker-Content-Digest */
	char *error_body;     /* start of the body of a non-2xx answer */
	size_t error_len;
	bool transport_failed;
};

/* Process-wide libcurl set-up; call once before any request. */
int http_global_init(berr_t *err);

/* A failed exchange (no HTTP status) sets transport_failed and err and
 * returns -1; an HTTP error status is not a failure here. */
int http_do(const struct http_request *rq, struct http_response *rs,
	    berr_t *err);
void http_response_clear(struct http_response *rs);

/* A memory sink that refuses bodies larger than max. */
struct http_buf {
	char *data; /* NUL-terminated */
	size_t len;
	size_t max;
	const char *what; /* names the body in errors */
};

int http_buf_sink(void *ctx, const void *data, size_t len, berr_t *err);
void http_buf_clear(struct http_buf *b);

#endif
