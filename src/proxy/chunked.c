/* Chunked transfer coding (RFC 9112 7.1).  The proxy passes the bytes
 * through and only needs to know where the body ends, and to refuse a
 * framing the backend could read differently; berth's API client
 * (src/cli/service) decodes the same framing to read berthd's streams. */
#include "proxy/http.h"

#include <string.h>

enum {
	CH_SIZE,        /* hex digits of the chunk size */
	CH_EXT,         /* ";" chunk extensions up to CR */
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TRAILER,     /* start of a trailer line, or the final CRLF */
	CH_TRAILER_LINE,
	CH_TRAILER_LF,
	CH_END_LF,
	CH_DONE,
};

/* Extension and trailer lines are bounded: nothing else limits them. */
#define CHUNK_LINE_MAX 4096
/* 15 hex digits: sizes stay far from overflowing a uint64_t. */
#define CHUNK_DIGITS_MAX 15

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int bad(berr_t *err, const char *what)
{
	return err_set(err, 0, "chunked body: %s", what);
}

/* A byte of a trailer field line (its content is not checked: the
 * backend gets it as sent, and nothing in it frames the message). */
static int step_trailer_line(struct http_chunked *c, char b, berr_t *err)
{
	if (b == '\r')
		return CH_TRAILER_LF;
	if (b == '\n' || ++c->line > CHUNK_LINE_MAX)
		return bad(err, "invalid trailer line");
	return CH_TRAILER_LINE;
}

/* One byte outside chunk data: the state's next state, or -1. */
static int step(struct http_chunked *c, char b, berr_t *err)
{
	int v;

	switch (c->state) {
	case CH_SIZE:
		if ((v = hexval(b)) >= 0) {
			if (++c->digits > CHUNK_DIGITS_MAX)
				return bad(err, "chunk size too large");
			c->remaining = c->remaining * 16 + (uint64_t)v;
			return CH_SIZE;
		}
		if (c->digits == 0 || (b != ';' && b != '\r'))
			return bad(err, "invalid chunk size");
		c->line = 0;
		return b == ';' ? CH_EXT : CH_SIZE_LF;
	case CH_EXT:
		if (b == '\r')
			return CH_SIZE_LF;
		if (b == '\n' || ++c->line > CHUNK_LINE_MAX)
			return bad(err, "invalid chunk extension");
		return CH_EXT;
	case CH_SIZE_LF:
		if (b != '\n')
			return bad(err, "chunk size line not ended by CRLF");
		return c->remaining ? CH_DATA : CH_TRAILER;
	case CH_DATA_CR:
		return b == '\r' ? CH_DATA_LF : bad(err, "chunk data not followed by CRLF");
	case CH_DATA_LF:
		if (b != '\n')
			return bad(err, "chunk data not followed by CRLF");
		c->digits = 0;
		return CH_SIZE;
	case CH_TRAILER:
		c->line = 0;
		return b == '\r' ? CH_END_LF : step_trailer_line(c, b, err);
	case CH_TRAILER_LINE:
		return step_trailer_line(c, b, err);
	case CH_TRAILER_LF:
		return b == '\n' ? CH_TRAILER : bad(err, "trailer line not ended by CRLF");
	default: /* CH_END_LF */
		return b == '\n' ? CH_DONE : bad(err, "chunked body not ended by CRLF");
	}
}

/* The framing loop of both: with out, each chunk's data bytes are also
 * moved to out + *out_len (out may be p itself: data never moves ahead
 * of the bytes still to be read). */
static ssize_t feed(struct http_chunked *c, const char *p, size_t len, char *out,
		    size_t *out_len, bool *done, berr_t *err)
{
	size_t i = 0;

	*done = false;
	while (i < len) {
		if (c->state == CH_DATA) {
			size_t n = len - i < c->remaining ? len - i : (size_t)c->remaining;

			if (out) {
				memmove(out + *out_len, p + i, n);
				*out_len += n;
			}
			c->remaining -= n;
			i += n;
			if (c->remaining == 0)
				c->state = CH_DATA_CR;
			continue;
		}
		int next = step(c, p[i++], err);

		if (next < 0)
			return -1;
		c->state = next;
		if (next == CH_DONE) {
			*done = true;
			break;
		}
	}
	return (ssize_t)i;
}

ssize_t http_chunked_feed(struct http_chunked *c, const char *p, size_t len,
			  bool *done, berr_t *err)
{
	return feed(c, p, len, NULL, NULL, done, err);
}

ssize_t http_chunked_decode(struct http_chunked *c, char *p, size_t len, size_t *data_len,
			    bool *done, berr_t *err)
{
	*data_len = 0;
	return feed(c, p, len, p, data_len, done, err);
}
