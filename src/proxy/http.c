/* HTTP/1.1 head parser (RFC 9112), strict on everything that frames a
 * message: see http.h for why. */
#include "proxy/http.h"

#include <stddef.h>
#include <string.h>
#include <strings.h>

/* tchar of RFC 9110 5.6.2: the characters of methods and header names. */
static bool is_tchar(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* Field values and reasons: visible characters, blanks and obs-text. */
static bool is_value_char(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

static int fail(struct http_head *h, int status, berr_t *err, const char *what)
{
	h->status = status;
	return err_set(err, 0, "HTTP head: %s", what);
}

static struct http_span span(size_t off, size_t len)
{
	return (struct http_span){ (uint32_t)off, (uint32_t)len };
}

/* Locate the head's end in buf[from, len): 1 found (*end past its final
 * CRLF), 0 more needed, -1 bare LF (refused at once, not after a timeout). */
static int find_end(const char *buf, size_t from, size_t len, size_t *end)
{
	const char *lf;

	for (size_t i = from; i < len; i++) {
		if (!(lf = memchr(buf + i, '\n', len - i)))
			return 0;
		i = (size_t)(lf - buf);
		if (i == from || buf[i - 1] != '\r')
			return -1;
		if (i >= from + 3 && buf[i - 2] == '\n' && buf[i - 3] == '\r') {
			*end = i + 1;
			return 1;
		}
	}
	return 0;
}

/* "HTTP/1.x": 1 with *minor set, 0 another version, -1 not a version. */
static int parse_version(const char *p, size_t len, int *minor)
{
	if (len != 8 || memcmp(p, "HTTP/", 5) || p[6] != '.' ||
	    p[5] < '0' || p[5] > '9' || p[7] < '0' || p[7] > '9')
		return -1;
	if (p[5] != '1' || p[7] > '1')
		return 0;
	*minor = p[7] - '0';
	return 1;
}

/* method SP request-target SP HTTP-version */
static int parse_request_line(const char *buf, size_t off, size_t len,
			      struct http_head *h, berr_t *err)
{
	size_t i = off, stop = off + len, m, t;

	while (i < stop && is_tchar((unsigned char)buf[i]))
		i++;
	if (i == off || i >= stop || buf[i] != ' ')
		return fail(h, 400, err, "bad method in the request line");
	h->method = span(off, i - off);
	m = ++i;
	while (i < stop && (unsigned char)buf[i] > 0x20 && buf[i] != 0x7f)
		i++;
	if (i == m || i >= stop || buf[i] != ' ')
		return fail(h, 400, err, "bad target in the request line");
	h->target = span(m, i - m);
	t = ++i;
	switch (parse_version(buf + t, stop - t, &h->minor)) {
	case 1:
		return 0;
	case 0:
		return fail(h, 505, err, "HTTP version not supported");
	default:
		return fail(h, 400, err, "bad version in the request line");
	}
}

/* HTTP-version SP 3DIGIT SP reason-phrase (the reason may be missing). */
static int parse_status_line(const char *buf, size_t off, size_t len,
			     struct http_head *h, berr_t *err)
{
	const char *p = buf + off;

	if (len < 12 || parse_version(p, 8, &h->minor) != 1 || p[8] != ' ')
		return fail(h, 502, err, "bad status line");
	for (size_t i = 9; i < 12; i++)
		if (p[i] < '0' || p[i] > '9')
			return fail(h, 502, err, "bad status code");
	h->status = (p[9] - '0') * 100 + (p[10] - '0') * 10 + (p[11] - '0');
	if (h->status < 100 || (len > 12 && p[12] != ' '))
		return fail(h, 502, err, "bad status code");
	for (size_t i = 12; i < len; i++)
		if (!is_value_char((unsigned char)p[i]))
			return fail(h, 502, err, "control character in the reason phrase");
	return 0;
}

/* name ":" OWS value OWS; a line starting with a blank is obs-fold. */
static int parse_header(const char *buf, size_t off, size_t len, int bad,
			struct http_head *h, berr_t *err)
{
	size_t i = off, stop = off + len, v;

	if (h->nheaders == HTTP_MAX_HEADERS)
		return fail(h, bad == 400 ? 431 : bad, err, "too many header fields");
	if (buf[off] == ' ' || buf[off] == '\t')
		return fail(h, bad, err, "obsolete line folding (obs-fold)");
	while (i < stop && is_tchar((unsigned char)buf[i]))
		i++;
	if (i == off || i >= stop || buf[i] != ':')
		return fail(h, bad, err, "bad header field name");
	h->headers[h->nheaders].name = span(off, i - off);
	for (i++; i < stop && (buf[i] == ' ' || buf[i] == '\t'); i++)
		;
	v = i;
	for (; i < stop; i++)
		if (!is_value_char((unsigned char)buf[i]))
			return fail(h, bad, err, "control character in a header field value");
	while (stop > v && (buf[stop - 1] == ' ' || buf[stop - 1] == '\t'))
		stop--;
	h->headers[h->nheaders++].value = span(v, stop - v);
	return 0;
}

static bool value_is(const char *buf, struct http_span v, const char *s)
{
	return strlen(s) == v.len && !strncasecmp(buf + v.off, s, v.len);
}

/* Digits only: no sign, no list, no blank (a list of equal values is
 * legal, but one value is all a client needs). */
static int parse_length(const char *p, size_t len, uint64_t *out)
{
	uint64_t n = 0;

	if (len == 0 || len > 18)
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(p[i] - '0');
	}
	*out = n;
	return 0;
}

/* What the Connection header's comma-separated tokens say. */
struct conn_tokens {
	bool close, keep_alive, upgrade;
};

static void connection_tokens(const char *buf, struct http_span v, struct conn_tokens *t)
{
	size_t i = v.off, stop = v.off + v.len;

	while (i < stop) {
		size_t s, e;

		while (i < stop && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == ','))
			i++;
		for (s = i; i < stop && buf[i] != ','; i++)
			;
		for (e = i; e > s && (buf[e - 1] == ' ' || buf[e - 1] == '\t'); e--)
			;
		struct http_span tok = span(s, e - s);

		t->close |= value_is(buf, tok, "close");
		t->keep_alive |= value_is(buf, tok, "keep-alive");
		t->upgrade |= value_is(buf, tok, "upgrade");
	}
}

/* The framing headers: Content-Length, Transfer-Encoding, Connection,
 * Upgrade, Host.  bad is the status for a malformed one. */
struct framing {
	bool has_length, chunked, upgrade_field;
	unsigned hosts;
	struct conn_tokens conn;
};

static int scan_framing(const char *buf, struct http_head *h, int bad, struct framing *f,
			berr_t *err)
{
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *hd = &h->headers[i];
		uint64_t n;

		if (http_header_is(buf, hd, "content-length")) {
			if (parse_length(buf + hd->value.off, hd->value.len, &n) < 0)
				return fail(h, bad, err, "bad Content-Length");
			if (f->has_length && n != h->content_length)
				return fail(h, bad, err, "differing Content-Length fields");
			f->has_length = true;
			h->content_length = n;
		} else if (http_header_is(buf, hd, "transfer-encoding")) {
			if (f->chunked)
				return fail(h, bad, err, "more than one Transfer-Encoding field");
			if (!value_is(buf, hd->value, "chunked"))
				return fail(h, bad == 400 ? 501 : bad, err,
					    "Transfer-Encoding other than chunked");
			f->chunked = true;
		} else if (http_header_is(buf, hd, "connection")) {
			connection_tokens(buf, hd->value, &f->conn);
		} else if (http_header_is(buf, hd, "upgrade")) {
			f->upgrade_field = true;
		} else if (http_header_is(buf, hd, "host")) {
			f->hosts++;
		}
	}
	if (f->chunked && f->has_length)
		return fail(h, bad, err, "both Content-Length and Transfer-Encoding");
	if (f->chunked && h->minor == 0)
		return fail(h, bad, err, "Transfer-Encoding in an HTTP/1.0 message");
	h->keep_alive = !f->conn.close && (h->minor == 1 || f->conn.keep_alive);
	h->upgrade = f->conn.upgrade && f->upgrade_field;
	return 0;
}

/* Split the complete head [start, end) into start line and fields. */
static int parse_head(const char *buf, size_t start, size_t end, bool request,
		      struct http_head *h, berr_t *err)
{
	int bad = request ? 400 : 502;
	size_t pos = start, off, len;
	bool first = true;

	while (pos < end) {
		off = pos;
		len = (size_t)((const char *)memchr(buf + pos, '\r', end - pos) - (buf + pos));
		if (buf[off + len + 1] != '\n')
			return fail(h, bad, err, "bare CR in the head");
		pos += len + 2;
		if (len == 0 && first)
			return fail(h, bad, err, "empty start line");
		if (len == 0)
			break;
		if (first && request && parse_request_line(buf, off, len, h, err) < 0)
			return -1;
		if (first && !request && parse_status_line(buf, off, len, h, err) < 0)
			return -1;
		if (!first && parse_header(buf, off, len, bad, h, err) < 0)
			return -1;
		first = false;
	}
	h->len = end;
	return 0;
}

/* Shared front: skip empty lines before a request, find the end, parse. */
static int parse(const char *buf, size_t len, size_t max, bool request,
		 struct http_head *h, berr_t *err)
{
	int bad = request ? 400 : 502;
	size_t start = 0, end;

	memset(h, 0, offsetof(struct http_head, headers));
	/* A client may send a CRLF after a body (RFC 9112 2.2). */
	while (request && start + 1 < len && buf[start] == '\r' && buf[start + 1] == '\n')
		start += 2;
	h->start = start;
	if (len > max)
		len = max;
	switch (find_end(buf, start, len, &end)) {
	case -1:
		return fail(h, bad, err, "line not ended by CRLF");
	case 0:
		if (len == max)
			return fail(h, request ? 431 : 502, err, "head larger than the limit");
		return 0;
	}
	return parse_head(buf, start, end, request, h, err) < 0 ? -1 : 1;
}

int http_parse_request(const char *buf, size_t len, size_t max,
		       struct http_head *head, berr_t *err)
{
	struct framing f = { 0 };
	int r = parse(buf, len, max, true, head, err);

	if (r <= 0)
		return r;
	if (scan_framing(buf, head, 400, &f, err) < 0)
		return -1;
	if (head->minor == 1 && f.hosts != 1)
		return fail(head, 400, err, "HTTP/1.1 request without exactly one Host field");
	if (f.hosts > 1)
		return fail(head, 400, err, "more than one Host field");
	if (f.chunked)
		head->body = HTTP_BODY_CHUNKED;
	else if (head->content_length > 0)
		head->body = HTTP_BODY_LENGTH;
	return 1;
}

int http_parse_response(const char *buf, size_t len, size_t max, bool method_head,
			struct http_head *head, berr_t *err)
{
	struct framing f = { 0 };
	int r = parse(buf, len, max, false, head, err);

	if (r <= 0)
		return r;
	int status = head->status;

	if (scan_framing(buf, head, 502, &f, err) < 0)
		return -1;
	head->status = status;
	if (status < 200 || status == 204 || status == 304 || method_head)
		head->body = HTTP_BODY_NONE;
	else if (f.chunked)
		head->body = HTTP_BODY_CHUNKED;
	else if (f.has_length)
		head->body = head->content_length ? HTTP_BODY_LENGTH : HTTP_BODY_NONE;
	else {
		head->body = HTTP_BODY_CLOSE;
		head->keep_alive = false;
	}
	return 1;
}
