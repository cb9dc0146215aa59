/* The proxy's HTTP parser: valid heads, pipelining, chunked framing and
 * every malformed or smuggling-prone input it must refuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "proxy/http.h"

/* Parse a request: 1/0/-1 as http_parse_request, *status the code. */
static int req(const char *s, struct http_head *h)
{
	berr_t err = NULL;
	int r = http_parse_request(s, strlen(s), 8192, h, &err);

	if (r < 0) {
		assert_non_null(err);
		assert_null(strchr(err_msg(err), '\n'));
	}
	err_free(&err);
	return r;
}

static int refused(const char *s)
{
	struct http_head h;

	assert_int_equal(req(s, &h), -1);
	return h.status;
}

static void test_simple_get(void **state)
{
	const char *s = "GET /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Y:  v  \r\n\r\n";
	struct http_head h;

	assert_int_equal(req(s, &h), 1);
	assert_int_equal(h.len, strlen(s));
	assert_memory_equal(s + h.method.off, "GET", 3);
	assert_int_equal(h.target.len, 6);
	assert_int_equal(h.nheaders, 2);
	assert_memory_equal(s + h.headers[1].value.off, "v", h.headers[1].value.len);
	assert_int_equal(h.body, HTTP_BODY_NONE);
	assert_true(h.keep_alive);
	assert_false(h.upgrade);
}

static void test_incomplete(void **state)
{
	struct http_head h;

	assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\n", &h), 0);
	assert_int_equal(req("GET / HT", &h), 0);
	assert_int_equal(req("", &h), 0);
}

static void test_keep_alive_rules(void **state)
{
	struct http_head h;

	assert_int_equal(req("GET / HTTP/1.0\r\n\r\n", &h), 1);
	assert_false(h.keep_alive);
	assert_int_equal(req("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &h), 1);
	assert_true(h.keep_alive);
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\nConnection: foo, close\r\n\r\n", &h), 1);
	assert_false(h.keep_alive);
}

static void test_upgrade(void **state)
{
	struct http_head h;

	assert_int_equal(req("GET /ws HTTP/1.1\r\nHost: x\r\nConnection: keep-alive, Upgrade\r\n"
			     "Upgrade: websocket\r\n\r\n", &h), 1);
	assert_true(h.upgrade);
	assert_int_equal(req("GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n\r\n", &h), 1);
	assert_false(h.upgrade);
}

static void test_bodies(void **state)
{
	struct http_head h;

	assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12\r\n\r\n", &h), 1);
	assert_int_equal(h.body, HTTP_BODY_LENGTH);
	assert_int_equal(h.content_length, 12);
	assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
			     "Content-Length: 5\r\n\r\n", &h), 1);
	assert_int_equal(h.content_length, 5);
	assert_int_equal(req("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n", &h), 1);
	assert_int_equal(h.body, HTTP_BODY_CHUNKED);
}

/* Two requests in one read: the first head's length is where the next starts. */
static void test_pipelining(void **state)
{
	const char *s = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n"
			"POST /2 HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi"
			"\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n";
	struct http_head h;
	size_t off;

	assert_int_equal(req(s, &h), 1);
	assert_memory_equal(s + h.target.off, "/1", 2);
	off = h.len;
	assert_int_equal(req(s + off, &h), 1);
	assert_memory_equal(s + off + h.target.off, "/2", 2);
	off += h.len + h.content_length;
	/* the stray CRLF after a body is skipped */
	assert_int_equal(req(s + off, &h), 1);
	assert_int_equal(h.start, 2);
	assert_memory_equal(s + off + h.target.off, "/3", 2);
	assert_int_equal(off + h.len, strlen(s));
}

static void test_smuggling_refused(void **state)
{
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"), 400);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
				 "Content-Length: 4\r\n\r\n"), 400);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3, 3\r\n\r\n"), 400);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n"), 400);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n"), 400);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n"), 400);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
				 "Transfer-Encoding: chunked\r\n\r\n"), 400);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n"), 501);
	assert_int_equal(refused("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\n"), 501);
	assert_int_equal(refused("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n b\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nContent-Length : 3\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\nX: y\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\nHost: x\n\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\rX: y\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost: x\r\nX: a\001b\r\n\r\n"), 400);
}

static void test_bad_heads(void **state)
{
	struct http_head h;
	char big[9000];

	assert_int_equal(refused("GET / HTTP/1.1\r\n\r\n"), 400); /* no Host */
	assert_int_equal(refused("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
	assert_int_equal(refused("GET  / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/2.0\r\nHost: x\r\n\r\n"), 505);
	assert_int_equal(refused("GET / FTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(refused("G(T / HTTP/1.1\r\nHost: x\r\n\r\n"), 400);
	assert_int_equal(refused("GET / HTTP/1.1\r\n: x\r\n\r\n"), 400);
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	memcpy(big, "GET /", 5);
	assert_int_equal(refused(big), 431);
	assert_int_equal(req("GET / HTTP/1.1\r\nHost: x\r\n", &h), 0);
}

static void test_too_many_headers(void **state)
{
	char s[4096] = "GET / HTTP/1.1\r\nHost: x\r\n";

	for (int i = 0; i < HTTP_MAX_HEADERS; i++)
		strcat(s, "A: b\r\n");
	strcat(s, "\r\n");
	assert_int_equal(refused(s), 431);
}

static int resp(const char *s, bool head_req, struct http_head *h)
{
	berr_t err = NULL;
	int r = http_parse_response(s, strlen(s), 8192, head_req, h, &err);

	err_free(&err);
	return r;
}

static void test_responses(void **state)
{
	struct http_head h;

	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false, &h), 1);
	assert_int_equal(h.status, 200);
	assert_int_equal(h.body, HTTP_BODY_LENGTH);
	assert_true(h.keep_alive);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\n", true, &h), 1);
	assert_int_equal(h.body, HTTP_BODY_NONE);
	assert_int_equal(resp("HTTP/1.1 204\r\n\r\n", false, &h), 1);
	assert_int_equal(h.body, HTTP_BODY_NONE);
	assert_int_equal(resp("HTTP/1.0 200 OK\r\n\r\n", false, &h), 1);
	assert_int_equal(h.body, HTTP_BODY_CLOSE);
	assert_false(h.keep_alive);
	assert_int_equal(resp("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\n"
			      "Upgrade: websocket\r\n\r\n", false, &h), 1);
	assert_int_equal(h.status, 101);
	assert_true(h.upgrade);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", false, &h), 1);
	assert_int_equal(h.body, HTTP_BODY_CHUNKED);
	assert_int_equal(resp("HTTP/1.1 2x0 OK\r\n\r\n", false, &h), -1);
	assert_int_equal(h.status, 502);
	assert_int_equal(resp("HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
			      false, &h), -1);
	assert_int_equal(h.status, 502);
}

/* Feed s in pieces of step bytes: its length when it ends, -1 malformed,
 * -2 still open at the end. */
static ssize_t chunked(const char *s, size_t step)
{
	struct http_chunked c = { 0 };
	berr_t err = NULL;
	size_t len = strlen(s), off = 0;
	bool done = false;

	while (off < len && !done) {
		size_t n = len - off < step ? len - off : step;
		ssize_t r = http_chunked_feed(&c, s + off, n, &done, &err);

		if (r < 0) {
			assert_null(strchr(err_msg(err), '\n'));
			err_free(&err);
			return -1;
		}
		off += (size_t)r;
	}
	return done ? (ssize_t)off : -2;
}

static void test_chunked_valid(void **state)
{
	const char *body = "5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n";

	for (size_t step = 1; step < 8; step++)
		assert_int_equal(chunked(body, step), strlen(body));
	assert_int_equal(chunked("0\r\nX-Sum: 1\r\n\r\n", 3), 15);
	/* the next request after the body is not part of it */
	assert_int_equal(chunked("0\r\n\r\nGET / HTTP/1.1\r\n", 100), 5);
	assert_int_equal(chunked("5\r\nhel", 100), -2);
}

static void test_chunked_invalid(void **state)
{
	assert_int_equal(chunked("-1\r\n", 10), -1);
	assert_int_equal(chunked("0x5\r\nhello\r\n0\r\n\r\n", 10), -1);
	assert_int_equal(chunked(" 5\r\nhello\r\n0\r\n\r\n", 10), -1);
	assert_int_equal(chunked("5 \r\nhello\r\n0\r\n\r\n", 10), -1);
	assert_int_equal(chunked("\r\n", 10), -1);
	assert_int_equal(chunked("fffffffffffffffff\r\n", 10), -1);
	assert_int_equal(chunked("5\nhello\r\n0\r\n\r\n", 10), -1);
	assert_int_equal(chunked("5\r\nhelloX\r\n0\r\n\r\n", 10), -1);
	assert_int_equal(chunked("5\r\nhello\r\n0\r\n\n", 10), -1);
	assert_int_equal(chunked("0\r\nX: y\n\r\n", 10), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_get),
		cmocka_unit_test(test_incomplete),
		cmocka_unit_test(test_keep_alive_rules),
		cmocka_unit_test(test_upgrade),
		cmocka_unit_test(test_bodies),
		cmocka_unit_test(test_pipelining),
		cmocka_unit_test(test_smuggling_refused),
		cmocka_unit_test(test_bad_heads),
		cmocka_unit_test(test_too_many_headers),
		cmocka_unit_test(test_responses),
		cmocka_unit_test(test_chunked_valid),
		cmocka_unit_test(test_chunked_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
