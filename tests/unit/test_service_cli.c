/* The services CLI's pure parts: reading berthd's responses (whole or
 * fed a byte at a time, chunked, close-delimited, streamed by line, and
 * malformed or oversized ones refused with one-line errors), request
 * paths, project names and scale's SERVICE=N. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "cli/service/api_client.h"
#include "cli/service/service.h"

/* Feed s (whole, or one byte at a time), finish, and take the reply:
 * 0 with *reply, or -1 with the error's message in *msg (malloc'd). */
static int read_reply(const char *s, size_t len, bool bytewise, api_line_fn line, void *ctx,
		      json_t **reply, char **msg)
{
	struct api_reader r = { .line = line, .ctx = ctx };
	berr_t err = NULL;
	int k = 0;

	for (size_t i = 0; k == 0 && i < len && !r.done; i += bytewise ? 1 : len)
		k = api_reader_feed(&r, s + i, bytewise ? 1 : len, &err);
	if (k == 0 && !r.done)
		k = api_reader_finish(&r, &err);
	if (k == 0)
		k = api_reader_reply(&r, reply, &err);
	*msg = NULL;
	if (k < 0) {
		assert_non_null(err);
		assert_null(strchr(err_msg(err), '\n'));
		*msg = strdup(err_msg(err));
	}
	err_free(&err);
	api_reader_free(&r);
	return k;
}

/* The JSON reply of s read both ways, compact, as a string to compare. */
static char *reply_text(const char *s)
{
	char *out[2], *msg;

	for (int way = 0; way < 2; way++) {
		json_t *j = NULL;

		assert_int_equal(read_reply(s, strlen(s), way, NULL, NULL, &j, &msg), 0);
		out[way] = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		json_decref(j);
	}
	assert_string_equal(out[0], out[1]);
	free(out[1]);
	return out[0];
}

/* The error of s (the same both ways). */
static char *error_text(const char *s, size_t len)
{
	char *msg[2];
	json_t *j = NULL;

	for (int way = 0; way < 2; way++)
		assert_int_equal(read_reply(s, len, way, NULL, NULL, &j, &msg[way]), -1);
	assert_string_equal(msg[0], msg[1]);
	free(msg[1]);
	return msg[0];
}

static void expect_reply(const char *s, const char *want)
{
	char *got = reply_text(s);

	assert_string_equal(got, want);
	free(got);
}

static void expect_error(const char *s, const char *part)
{
	char *got = error_text(s, strlen(s));

	if (!strstr(got, part))
		fail_msg("error '%s' does not say '%s'", got, part);
	free(got);
}

static void test_length_body(void **state)
{
	expect_reply("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 27\r\n\r\n"
		     "{\"name\":\"web\",\"revision\":3}",
		     "{\"name\":\"web\",\"revision\":3}");
	/* bytes after the body are not read as part of it */
	expect_reply("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]garbage", "[]");
	expect_reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "null");
}

static void test_chunked_body(void **state)
{
	expect_reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
		     "5\r\n[{\"a\"\r\n4;ext=1\r\n:1},\r\n3\r\n2 ]\r\n0\r\nTrailer: x\r\n\r\n",
		     "[{\"a\":1},2]");
}

static void test_close_delimited_body(void **state)
{
	expect_reply("HTTP/1.1 200 OK\r\n\r\n{\"ok\": true}", "{\"ok\":true}");
}

static void test_server_errors(void **state)
{
	const char *bad = "HTTP/1.1 400 Bad\r\nContent-Length: 32\r\n\r\n"
			  "{\"message\": \"services.web: bad\"}";
	char *got = error_text(bad, strlen(bad));

	/* the server's message as it is: the CLI adds the service's name */
	assert_string_equal(got, "services.web: bad");
	free(got);
	expect_error("HTTP/1.1 404 Not Found\r\nContent-Length: 36\r\n\r\n"
		     "{\"message\": \"no such service: web\"}\n",
		     "no such service: web");
	/* no message: the status is named */
	expect_error("HTTP/1.1 500 Oops\r\nContent-Length: 5\r\n\r\nboom!", "500");
	expect_error("HTTP/1.1 409 C\r\nContent-Length: 2\r\n\r\n{}", "409");
}

static void test_malformed(void **state)
{
	expect_error("", "without a response");
	expect_error("HTTP/1.1 200 OK\r\nContent-Le", "cut short");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n[1]", "cut short");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[1,2,", "cut short");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n", "chunk");
	expect_error("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n[1]XX0\r\n\r\n", "chunk");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n[1]", "berthd's response");
	expect_error("HTTP/1.1 200 OK\nContent-Length: 2\n\n[]", "berthd's response");
	expect_error("SSH-2.0-OpenSSH\r\n\r\n", "berthd's response");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{nope", "not JSON");
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "berthd's response");
}

static void test_oversized(void **state)
{
	size_t len = API_HEAD_MAX + 100;
	char *big = malloc(len);
	char *msg;

	/* a head that never ends */
	memcpy(big, "HTTP/1.1 200 OK\r\nX: ", 20);
	memset(big + 20, 'a', len - 20);
	/* fed whole: byte by byte would parse the head 64 Ki times */
	assert_int_equal(read_reply(big, len, false, NULL, NULL, NULL, &msg), -1);
	assert_non_null(strstr(msg, "head larger than the limit"));
	free(msg);
	free(big);
	expect_error("HTTP/1.1 200 OK\r\nContent-Length: 67108865\r\n\r\n", "64 MiB");
}

/* A chunked body over the cap is refused while it is read. */
static void test_oversized_chunked_stream(void **state)
{
	struct api_reader r = { 0 };
	const char *head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
	char chunk[65536 + 16];
	berr_t err = NULL;
	int k = api_reader_feed(&r, head, strlen(head), &err);
	size_t n = (size_t)snprintf(chunk, sizeof(chunk), "10000\r\n");

	memset(chunk + n, ' ', 65536);
	memcpy(chunk + n + 65536, "\r\n", 2);
	for (int i = 0; k == 0 && i < 1100; i++)
		k = api_reader_feed(&r, chunk, n + 65538, &err);
	assert_int_equal(k, -1);
	assert_non_null(strstr(err_msg(err), "over 64 MiB"));
	err_free(&err);
	api_reader_free(&r);
}

struct lines {
	char got[512];
	int n, fail_at;
};

static int on_line(void *ctx, const char *line, size_t len, berr_t *err)
{
	struct lines *l = ctx;

	if (++l->n == l->fail_at)
		return err_set(err, 0, "stop here");
	snprintf(l->got + strlen(l->got), sizeof(l->got) - strlen(l->got), "<%.*s>", (int)len, line);
	return 0;
}

static void test_streamed_lines(void **state)
{
	const char *chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			      "6\r\n{\"a\":1\r\n4\r\n}\n{\"\r\n5\r\nb\":2}\r\n2\r\n\nx\r\n0\r\n\r\n";
	const char *closed = "HTTP/1.1 200 OK\r\n\r\none\ntwo\n\nlast";

	for (int way = 0; way < 2; way++) {
		struct lines l = { 0 }, c = { 0 };
		json_t *j = NULL;
		char *msg;

		assert_int_equal(read_reply(chunked, strlen(chunked), way, on_line, &l, &j, &msg), 0);
		assert_string_equal(l.got, "<{\"a\":1}><{\"b\":2}><x>");
		json_decref(j);
		assert_int_equal(read_reply(closed, strlen(closed), way, on_line, &c, &j, &msg), 0);
		assert_string_equal(c.got, "<one><two><><last>");
		json_decref(j);
	}
}

static void test_streamed_errors(void **state)
{
	const char *refused = "HTTP/1.1 404 NF\r\nContent-Length: 24\r\n\r\n{\"message\": \"no events\"}";
	const char *lines = "HTTP/1.1 200 OK\r\n\r\na\nb\nc\n";
	struct lines l = { 0 }, stop = { .fail_at = 2 };
	json_t *j = NULL;
	char *msg;

	/* an error status is not streamed: its message is the error */
	assert_int_equal(read_reply(refused, strlen(refused), false, on_line, &l, &j, &msg), -1);
	assert_string_equal(msg, "no events");
	assert_int_equal(l.n, 0);
	free(msg);
	/* the callback's error ends the reading */
	assert_int_equal(read_reply(lines, strlen(lines), true, on_line, &stop, &j, &msg), -1);
	assert_string_equal(msg, "stop here");
	assert_string_equal(stop.got, "<a>");
	free(msg);
}

static void test_stream_line_cap(void **state)
{
	struct api_reader r = { .line = on_line };
	struct lines l = { 0 };
	const char *head = "HTTP/1.1 200 OK\r\n\r\n";
	static char block[65536];
	berr_t err = NULL;
	int k;

	r.ctx = &l;
	memset(block, 'x', sizeof(block));
	k = api_reader_feed(&r, head, strlen(head), &err);
	for (int i = 0; k == 0 && i < 40; i++)
		k = api_reader_feed(&r, block, sizeof(block), &err);
	assert_int_equal(k, -1);
	assert_non_null(strstr(err_msg(err), "a line over"));
	err_free(&err);
	api_reader_free(&r);
}

static void test_paths(void **state)
{
	char path[API_PATH_MAX];
	berr_t err = NULL;
	char long_name[API_PATH_MAX];

	assert_int_equal(api_path(path, "/v1/services/", "web_1.a-b", "/deploy", &err), 0);
	assert_string_equal(path, "/v1/services/web_1.a-b/deploy");
	assert_int_equal(api_path(path, "/v1/services/", "a b/../c?d#%", "", &err), 0);
	assert_string_equal(path, "/v1/services/a%20b%2F..%2Fc%3Fd%23%25");
	assert_int_equal(api_path(path, "/v1/services/", "", "", &err), -1);
	err_free(&err);
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = 0;
	assert_int_equal(api_path(path, "/v1/services/", long_name, "", &err), -1);
	err_free(&err);
}

static void expect_name(const char *top, const char *dir, const char *want)
{
	char *name = NULL;
	berr_t err = NULL;

	assert_int_equal(svc_project_name(top, dir, &name, &err), 0);
	assert_string_equal(name, want);
	free(name);
}

static void test_project_name(void **state)
{
	char *name = NULL;
	berr_t err = NULL;

	expect_name(NULL, "/home/me/My App", "my-app");
	expect_name(NULL, "/srv/shop_v2/", "shop_v2");
	expect_name(NULL, "/srv/Caf\xc3\xa9.d", "caf---d");
	expect_name("Blog", "/anything", "blog");
	expect_name("x.y", "/d", "x-y");
	assert_int_equal(svc_project_name(NULL, "/", &name, &err), -1);
	assert_non_null(strstr(err_msg(err), "no project name"));
	err_free(&err);
	assert_null(name);
}

static void expect_scale_error(const char *arg, const char *part)
{
	char *name = NULL;
	int n = -1;
	berr_t err = NULL;

	assert_int_equal(svc_parse_scale(arg, &name, &n, &err), -1);
	if (!strstr(err_msg(err), part))
		fail_msg("error '%s' does not say '%s'", err_msg(err), part);
	assert_null(name);
	err_free(&err);
}

static void test_scale_args(void **state)
{
	char *name = NULL;
	int n = -1;
	berr_t err = NULL;

	assert_int_equal(svc_parse_scale("web=3", &name, &n, &err), 0);
	assert_string_equal(name, "web");
	assert_int_equal(n, 3);
	free(name);
	assert_int_equal(svc_parse_scale("a=b=0", &name, &n, &err), -1); /* "b=0" is no number */
	err_free(&err);
	assert_int_equal(svc_parse_scale("api=0", &name, &n, &err), 0);
	assert_int_equal(n, 0);
	free(name);
	expect_scale_error("web", "SERVICE=REPLICAS");
	expect_scale_error("=3", "SERVICE=REPLICAS");
	expect_scale_error("web=", "'web='");
	expect_scale_error("web=-1", "'web=-1'");
	expect_scale_error("web=1001", "web=1001");
	expect_scale_error("web=3x", "web=3x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_length_body),
		cmocka_unit_test(test_chunked_body),
		cmocka_unit_test(test_close_delimited_body),
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_oversized),
		cmocka_unit_test(test_oversized_chunked_stream),
		cmocka_unit_test(test_streamed_lines),
		cmocka_unit_test(test_streamed_errors),
		cmocka_unit_test(test_stream_line_cap),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_project_name),
		cmocka_unit_test(test_scale_args),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
