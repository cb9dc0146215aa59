/* HTTP/1.1 message heads and chunked bodies, parsed by hand for the proxy.
 *
 * Pure functions over a byte buffer, nothing allocated: the proxy feeds
 * them what it has read so far.  Strict where a lenient parser would let
 * a proxy and a backend disagree about where a request ends (request
 * smuggling): bare LF, obs-fold, Content-Length with Transfer-Encoding,
 * differing Content-Lengths and bad chunk sizes are all refused. */
#ifndef BERTH_PROXY_HTTP_H
#define BERTH_PROXY_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>

#include "common/error.h"

#define HTTP_MAX_HEADERS 100

struct http_span {
	uint32_t off, len; /* into the parsed buffer */
};

struct http_header {
	struct http_span name, value; /* value without surrounding blanks */
};

enum http_body {
	HTTP_BODY_NONE,
	HTTP_BODY_LENGTH,  /* content_length bytes */
	HTTP_BODY_CHUNKED,
	HTTP_BODY_CLOSE,   /* response delimited by the backend closing */
};

struct http_head {
	size_t len;            /* bytes of the head, final empty line included */
	size_t start;          /* empty lines skipped before the start line */
	struct http_span method, target; /* requests */
	int status;            /* responses: its code; errors: the code to answer */
	int minor;             /* HTTP/1.<minor> */
	enum http_body body;
	uint64_t content_length;
	bool keep_alive;
	bool upgrade;          /* Connection: upgrade with an Upgrade header */
	size_t nheaders;
	/* last: the parser zeroes what is before it, not its 1.6 KB */
	struct http_header headers[HTTP_MAX_HEADERS];
};

/* Parse the request head at the start of buf (len bytes read so far, at
 * most max of them may be head).  Returns 1 when complete, 0 when more
 * bytes are needed, -1 when malformed: head->status is then the status
 * to answer (400, 431, 501 or 505) before closing. */
int http_parse_request(const char *buf, size_t len, size_t max,
		       struct http_head *head, berr_t *err);

/* The same for a response to a request with method_head (a HEAD request,
 * whose response has no body whatever it says). */
int http_parse_response(const char *buf, size_t len, size_t max, bool method_head,
			struct http_head *head, berr_t *err);

/* Whether header h of a head parsed from buf is named name (any case).
 * Inline: its callers pass literals, whose strlen is then folded. */
static inline bool http_header_is(const char *buf, const struct http_header *h,
				  const char *name)
{
	return strlen(name) == h->name.len && !strncasecmp(buf + h->name.off, name, h->name.len);
}

/* Framing of a chunked body passed through unchanged. */
struct http_chunked {
	int state;
	uint64_t remaining; /* of the current chunk's data */
	unsigned digits;    /* of the current chunk size */
	size_t line;        /* bytes of the current extension or trailer line */
};

/* Account for the next len bytes of a chunked body.  Returns how many
 * belong to it (fewer than len only when it ended: *done is then set),
 * or -1 when the framing is malformed. */
ssize_t http_chunked_feed(struct http_chunked *c, const char *p, size_t len,
			  bool *done, berr_t *err);

/* The same, decoding in place: the data bytes of the len framed ones are
 * moved to the start of p and counted in *data_len. */
ssize_t http_chunked_decode(struct http_chunked *c, char *p, size_t len, size_t *data_len,
			    bool *done, berr_t *err);

#endif
