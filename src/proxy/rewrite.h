/* The heads the proxy forwards: hop-by-hop fields dropped, its own
 * X-Forwarded-* and Connection fields added. */
#ifndef BERTH_PROXY_REWRITE_H
#define BERTH_PROXY_REWRITE_H

#include <stdbool.h>

#include "proxy/buf.h"
#include "proxy/http.h"

/* Append the request head h (parsed from buf) for a backend to out, with
 * client_ip appended to X-Forwarded-For.  false when out is too small. */
bool rewrite_request(const char *buf, const struct http_head *h, const char *client_ip,
		     struct buf *out);

/* Append the response head h for the client to out; keep_alive says
 * whether the client connection stays open after it, client_minor is the
 * request's HTTP/1.x. */
bool rewrite_response(const char *buf, const struct http_head *h, bool keep_alive,
		      int client_minor, struct buf *out);

#endif
