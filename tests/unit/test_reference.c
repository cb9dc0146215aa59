/* Image references (docker's naming: default host and library/, ports,
 * tags, digests, refused spellings) and WWW-Authenticate challenges
 * (Bearer and Basic, quoting, unknown schemes and broken headers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "registry/auth.h"
#include "registry/reference.h"

#define DIGEST "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void check_ref(const char *text, const char *host, const char *repo,
		      const char *tag, const char *digest, const char *local)
{
	struct reference r;
	berr_t err = NULL;
	char *name;

	if (reference_parse(text, &r, &err) < 0)
		fail_msg("%s: %s", text, err_msg(err));
	assert_string_equal(r.host, host);
	assert_string_equal(r.repo, repo);
	if (tag)
		assert_string_equal(r.tag, tag);
	else
		assert_null(r.tag);
	if (digest)
		assert_string_equal(r.digest, digest);
	else
		assert_null(r.digest);
	name = reference_local_name(&r);
	if (local)
		assert_string_equal(name, local);
	else
		assert_null(name);
	free(name);
	reference_clear(&r);
}

static void test_reference_valid(void **state)
{
	check_ref("busybox", "docker.io", "library/busybox", "latest", NULL, "busybox:latest");
	check_ref("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "busybox:1.36");
	check_ref("user/app", "docker.io", "user/app", "latest", NULL, "user/app:latest");
	check_ref("docker.io/library/alpine:3", "docker.io", "library/alpine", "3", NULL,
		  "alpine:3");
	check_ref("127.0.0.1:5000/app:v1", "127.0.0.1:5000", "app", "v1", NULL,
		  "127.0.0.1:5000/app:v1");
	check_ref("localhost/a/b/c", "localhost", "a/b/c", "latest", NULL, "localhost/a/b/c:latest");
	check_ref("registry.example:443/my-app__x.y", "registry.example:443", "my-app__x.y",
		  "latest", NULL, "registry.example:443/my-app__x.y:latest");
	check_ref("127.0.0.1:5000/app@" DIGEST, "127.0.0.1:5000", "app", NULL, DIGEST, NULL);
	check_ref("app:v2@" DIGEST, "docker.io", "library/app", "v2", DIGEST, "app:v2");
	check_ref("[::1]:5000/app", "[::1]:5000", "app", "latest", NULL, "[::1]:5000/app:latest");
	check_ref("a---b", "docker.io", "library/a---b", "latest", NULL, "a---b:latest");
}

static void check_bad(const char *text, const char *words)
{
	struct reference r;
	berr_t err = NULL;

	if (reference_parse(text, &r, &err) == 0) {
		reference_clear(&r);
		fail_msg("'%s' was accepted", text);
	}
	if (!strstr(err_msg(err), words))
		fail_msg("%s: '%s' not in '%s'", text, words, err_msg(err));
	assert_null(strchr(err_msg(err), '\n'));
	err_free(&err);
}

static void test_reference_invalid(void **state)
{
	check_bad("", "empty");
	check_bad("Busybox", "Busybox");
	check_bad("app:", "tag ''");
	check_bad("app:-x", "tag '-x'");
	check_bad("app:a/b", "'app:a'");
	check_bad("host:99999999/app", "'host:99999999'");
	check_bad("[::1/app", "'[::1'");
	check_bad("app@sha256:abc", "sha256:abc");
	check_bad("app@md5:" DIGEST, "not a sha256 digest");
	check_bad("a//b", "a//b");
	check_bad("/app", "/app");
	check_bad("app/", "app/");
	check_bad("a..b", "a..b");
	check_bad("a___b", "a___b");
	check_bad("host:5000/", "host:5000/");
	check_bad("ho st:5000/app", "ho st:5000");
	check_bad("app:0123456789012345678901234567890123456789012345678901234567890123456789"
		  "0123456789012345678901234567890123456789012345678901234567890",
		  "at most 128");
}

static void test_loopback_hosts(void **state)
{
	assert_true(reference_host_is_loopback("localhost"));
	assert_true(reference_host_is_loopback("localhost:5000"));
	assert_true(reference_host_is_loopback("127.0.0.1:5000"));
	assert_true(reference_host_is_loopback("127.1.2.3"));
	assert_true(reference_host_is_loopback("[::1]:5000"));
	assert_false(reference_host_is_loopback("localhost.example.com"));
	assert_false(reference_host_is_loopback("127example.com"));
	assert_false(reference_host_is_loopback("docker.io"));
	assert_false(reference_host_is_loopback("10.0.0.1:5000"));
}

static void check_challenge(const char *header, enum auth_scheme scheme,
			    const char *realm, const char *service,
			    const char *scope)
{
	struct auth_challenge c;
	berr_t err = NULL;

	if (auth_challenge_parse(header, &c, &err) < 0)
		fail_msg("%s: %s", header, err_msg(err));
	assert_int_equal(c.scheme, scheme);
	const char *got[] = { c.realm, c.service, c.scope };
	const char *want[] = { realm, service, scope };
	for (int i = 0; i < 3; i++) {
		if (want[i])
			assert_string_equal(got[i], want[i]);
		else
			assert_null(got[i]);
	}
	auth_challenge_clear(&c);
}

static void test_challenge_valid(void **state)
{
	check_challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
			"scope=\"repository:library/busybox:pull\"",
			AUTH_BEARER, "https://auth.docker.io/token", "registry.docker.io",
			"repository:library/busybox:pull");
	check_challenge("bearer  realm=\"http://127.0.0.1:1/t\" , scope=\"repository:a:pull,push\"",
			AUTH_BEARER, "http://127.0.0.1:1/t", NULL, "repository:a:pull,push");
	check_challenge("Bearer realm=http://h/t,error=\"insufficient_scope\"", AUTH_BEARER,
			"http://h/t", NULL, NULL);
	check_challenge("Bearer realm=\"a\\\"b\"", AUTH_BEARER, "a\"b", NULL, NULL);
	check_challenge("Basic realm=\"Registry Realm\"", AUTH_BASIC, "Registry Realm", NULL, NULL);
	check_challenge("Basic", AUTH_BASIC, NULL, NULL, NULL);
}

static void check_challenge_bad(const char *header, const char *words)
{
	struct auth_challenge c;
	berr_t err = NULL;

	assert_int_equal(auth_challenge_parse(header, &c, &err), -1);
	if (!strstr(err_msg(err), words))
		fail_msg("%s: '%s' not in '%s'", header, words, err_msg(err));
	err_free(&err);
}

static void test_challenge_invalid(void **state)
{
	check_challenge_bad("Digest realm=\"x\"", "unsupported scheme 'Digest'");
	check_challenge_bad("", "unsupported scheme");
	check_challenge_bad("Bearer service=\"x\"", "without a realm");
	check_challenge_bad("Bearer realm=\"unterminated", "unterminated");
	check_challenge_bad("Bearer realm", "no value");
	check_challenge_bad("Bearer realm=\"a\" junk", "unexpected 'junk'");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reference_valid),
		cmocka_unit_test(test_reference_invalid),
		cmocka_unit_test(test_loopback_hosts),
		cmocka_unit_test(test_challenge_valid),
		cmocka_unit_test(test_challenge_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
