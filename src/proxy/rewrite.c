/* Forwarded heads.  Connection-scoped fields (RFC 9110 7.6.1) belong to
 * one hop: the proxy speaks for itself on each side. */
#include "proxy/rewrite.h"

#include <string.h>

static bool put(struct buf *out, const char *p, size_t n)
{
	return buf_append(out, p, n);
}

static bool puts_(struct buf *out, const char *s)
{
	return put(out, s, strlen(s));
}

static bool hop_by_hop(const char *buf, const struct http_header *hd)
{
	static const char *const names[] = {
		"connection", "keep-alive", "proxy-connection", "te", "x-forwarded-proto",
		"x-forwarded-for",
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (http_header_is(buf, hd, names[i]))
			return true;
	return false;
}

/* Start line and the fields that are not hop-by-hop, as received. */
static bool copy_head(const char *buf, const struct http_head *h, struct buf *out)
{
	const char *line = buf + h->start;
	const char *crlf = memchr(line, '\r', h->len - h->start);

	if (!put(out, line, (size_t)(crlf - line) + 2))
		return false;
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *hd = &h->headers[i];

		if (hop_by_hop(buf, hd))
			continue;
		if (!put(out, buf + hd->name.off, hd->name.len) || !puts_(out, ": ") ||
		    !put(out, buf + hd->value.off, hd->value.len) || !puts_(out, "\r\n"))
			return false;
	}
	return true;
}

bool rewrite_request(const char *buf, const struct http_head *h, const char *client_ip,
		     struct buf *out)
{
	if (!copy_head(buf, h, out) || !puts_(out, "X-Forwarded-For: "))
		return false;
	/* earlier proxies' addresses first, in order, then the client's */
	for (size_t i = 0; i < h->nheaders; i++) {
		const struct http_header *hd = &h->headers[i];

		if (http_header_is(buf, hd, "x-forwarded-for") && hd->value.len &&
		    (!put(out, buf + hd->value.off, hd->value.len) || !puts_(out, ", ")))
			return false;
	}
	return puts_(out, client_ip) && puts_(out, "\r\nX-Forwarded-Proto: http\r\n") &&
	       (!h->upgrade || puts_(out, "Connection: upgrade\r\n")) && puts_(out, "\r\n");
}

bool rewrite_response(const char *buf, const struct http_head *h, bool keep_alive,
		      int client_minor, struct buf *out)
{
	const char *conn = !keep_alive ? "Connection: close\r\n"
			 : client_minor == 0 ? "Connection: keep-alive\r\n" : "";

	return copy_head(buf, h, out) && puts_(out, conn) && puts_(out, "\r\n");
}
