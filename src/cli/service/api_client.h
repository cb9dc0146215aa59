/* A client of berthd's API: HTTP/1.1 over the unix socket
 * <run_root>/berthd.sock, one request per connection (docs/berth-service.md
 * lists the requests the CLI makes).
 *
 * Responses are read with the proxy's head parser and chunked decoder
 * (proxy/http.h) and bounded: a head over API_HEAD_MAX or a body over
 * API_BODY_MAX is refused, so a broken or hostile peer on the socket
 * cannot make berth allocate without end. */
#ifndef BERTH_CLI_SERVICE_API_CLIENT_H
#define BERTH_CLI_SERVICE_API_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "proxy/http.h"

#define API_SOCKET_NAME "berthd.sock"
#define API_HEAD_MAX (64 * 1024)
#define API_BODY_MAX (64 * 1024 * 1024)
/* A line of a streamed body (a log line, an event) is no longer. */
#define API_LINE_MAX (1024 * 1024)
#define API_PATH_MAX 1024

/* Called with each line of a streamed 2xx body, without its newline. */
typedef int (*api_line_fn)(void *ctx, const char *line, size_t len, berr_t *err);

/* A response being read: fed what the socket yields, then finished at
 * its end.  buf holds the head, then the decoded body (for a streamed
 * body: the line not yet complete), then bytes not yet decoded. */
struct api_reader {
	char *buf;
	size_t len, cap;
	size_t decoded;   /* end of the decoded part of buf */
	bool have_head, done;
	struct http_head head;
	struct http_chunked chunked;
	uint64_t remaining; /* of a Content-Length body */
	api_line_fn line;   /* NULL: the body is kept whole */
	void *ctx;
};

/* Feed n more bytes; -1 on a malformed or oversized response, or when
 * the line callback failed. */
int api_reader_feed(struct api_reader *r, const char *data, size_t n, berr_t *err);

/* The peer closed: a response cut short is an error. */
int api_reader_finish(struct api_reader *r, berr_t *err);

/* The finished response: a 2xx body as JSON in *reply (JSON null for a
 * streamed or empty body), else the server's {"message"} as the error. */
int api_reader_reply(const struct api_reader *r, json_t **reply, berr_t *err);

void api_reader_free(struct api_reader *r);

/* prefix + name percent-encoded + suffix ("/v1/services/", "web",
 * "/deploy"): names come from the command line. */
int api_path(char out[API_PATH_MAX], const char *prefix, const char *name, const char *suffix,
	     berr_t *err);

/* method path with body (NULL: none) to berthd under run_root; the
 * response's status in *status (may be NULL; 0 when none came) and its
 * JSON in *reply (may be NULL: not wanted).  Not 2xx: -1 with the
 * server's message. */
int api_call(const char *run_root, const char *method, const char *path, json_t *body,
	     int *status, json_t **reply, berr_t *err);

/* method /v1/services/NAME + action (suffix: "", "/deploy" ...) as
 * api_call; berthd's own answers (not a failure to reach it) are
 * prefixed "NAME: " in errors. */
int api_service(const char *run_root, const char *method, const char *name, const char *action,
		json_t *body, int *status, json_t **reply, berr_t *err);

/* The same for a streamed body (follow=1): line is called per line
 * until the server ends the response. */
int api_stream(const char *run_root, const char *path, api_line_fn line, void *ctx,
	       berr_t *err);

#endif
