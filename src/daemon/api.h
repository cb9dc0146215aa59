/* berthd's API: JSON over HTTP/1.1 on a unix socket (root only) and, when
 * asked, on TCP with a bearer token (api.c: connections; api_routes.c:
 * what each path does; docs/berthd.md: the reference).  One request per
 * connection; streams (events, logs with follow) are chunked and fed on
 * every turn of berthd's loop. */
#ifndef BERTH_DAEMON_API_H
#define BERTH_DAEMON_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "daemon/daemon.h"

#define API_MAX_HEAD (64u << 10)
#define API_MAX_BODY (4u << 20)
#define API_MAX_CONNS 256
/* From a connection's accept to its whole request. */
#define API_REQUEST_TIMEOUT_NS (10ull * 1000000000)

struct api_conn;

/* Listen on <run_root>/berthd.sock and, with tcp ("IP:PORT"), there with
 * the token read from token_file. */
int api_open(struct berthd *d, const char *tcp, const char *token_file, berr_t *err);
void api_close(struct berthd *d);

/* epoll events: listeners are tagged API_TAG_LISTEN, connections by slot. */
#define API_TAG_LISTEN 0x100000000ull
#define API_TAG_CONN 0x200000000ull
void api_event(struct berthd *d, uint64_t tag, uint32_t events);
/* Once per turn: requests that did not arrive in time are answered 408
 * and closed; streams get what is new. */
void api_turn(struct berthd *d);

/* For api_routes.c: the request and what to answer. */
struct api_request {
	const char *method, *path, *query; /* NUL-terminated copies */
	json_t *body;                      /* NULL when none or not JSON */
	bool body_bad;                     /* a body that is not JSON */
};

void api_reply_json(struct api_conn *c, int status, json_t *body); /* steals body */
void api_reply_error(struct api_conn *c, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void api_reply_text(struct api_conn *c, int status, const char *type, const char *text, size_t len);
/* A chunked stream of the events after after_id. */
void api_stream_events(struct api_conn *c, int64_t after_id);
/* The log of the container in dir (rotated files first); with follow
 * the stream stays open for what comes next.  -1 before anything is
 * answered. */
int api_stream_log(struct api_conn *c, const char *dir, bool follow, berr_t *err);
/* The last chunk: the answer is complete. */
void api_stream_end(struct api_conn *c);
/* Bytes of one chunk of a stream. */
void api_stream_send(struct api_conn *c, const char *p, size_t len);

void api_route(struct berthd *d, struct api_conn *c, const struct api_request *rq);
/* One feed of a stream (api_routes.c knows the content). */
void api_feed_events(struct berthd *d, struct api_conn *c, int64_t *after_id);

#endif
