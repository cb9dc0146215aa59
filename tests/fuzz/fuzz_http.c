/* libFuzzer target for the proxy's HTTP parser: any input parsed as a
 * request, as a response and as a chunked body must either parse or fail
 * with one error line and a status to answer, never crash or overflow;
 * whatever it accepts stays inside the input.  Chunked bodies are also
 * decoded in place, as berth's API client reads berthd's streams. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_failure(berr_t err, int status)
{
	if (!err || !err_msg(err)[0] || strchr(err_msg(err), '\n') || status < 400 || status > 505)
		__builtin_trap();
}

static void check_head(const struct http_head *h, size_t size)
{
	if (h->len > size || h->nheaders > HTTP_MAX_HEADERS)
		__builtin_trap();
	for (size_t i = 0; i < h->nheaders; i++)
		if (h->headers[i].value.off + h->headers[i].value.len > h->len)
			__builtin_trap();
}

/* Framed (feed) or decoded in place (decode, on a copy: the API client's
 * use), in pieces of 7 bytes, as reads may split it anywhere; decoding
 * never yields more data than the bytes it took. */
static void chunked(const char *p, size_t size, bool decode)
{
	struct http_chunked c = { 0 };
	berr_t err = NULL;
	bool done = false;
	size_t off = 0, data = 0;
	char *copy = decode ? malloc(size + 1) : NULL;

	if (copy)
		memcpy(copy, p, size);
	while (off < size && !done) {
		size_t n = size - off < 7 ? size - off : 7;
		ssize_t r = copy ? http_chunked_decode(&c, copy + off, n, &data, &done, &err)
				 : http_chunked_feed(&c, p + off, n, &done, &err);

		if (r < 0) {
			check_failure(err, 400);
			break;
		}
		if ((size_t)r > n || ((size_t)r < n && !done) || data > (size_t)r)
			__builtin_trap();
		off += (size_t)r;
	}
	free(copy);
	err_free(&err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	struct http_head h;
	berr_t err = NULL;
	int r;

	r = http_parse_request(p, size, 4096, &h, &err);
	if (r < 0)
		check_failure(err, h.status);
	else if (r == 1)
		check_head(&h, size);
	err_free(&err);
	r = http_parse_response(p, size, 4096, size & 1, &h, &err);
	if (r < 0)
		check_failure(err, h.status);
	else if (r == 1)
		check_head(&h, size);
	err_free(&err);
	chunked(p, size, false);
	chunked(p, size, true);
	return 0;
}
