/* .dockerignore patterns as docker matches them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "build/ignore.h"

static struct ignore ig;

static void use(const char *text)
{
	berr_t err = NULL;

	ignore_clear(&ig);
	assert_int_equal(ignore_parse(text, strlen(text), ".dockerignore", &ig, &err), 0);
}

static void test_patterns(void **state)
{
	(void)state;
	use("# comment\n\n  node_modules  \n/build\n./tmp/*.log\n*.md\n!README.md\n**/*.o\nsecret?\n[ab].txt\n");
	assert_true(ignore_excludes(&ig, "node_modules"));
	assert_true(ignore_excludes(&ig, "node_modules/x/y.js")); /* a parent matched */
	assert_false(ignore_excludes(&ig, "src/node_modules")); /* anchored at the root */
	assert_true(ignore_excludes(&ig, "build/out"));
	assert_true(ignore_excludes(&ig, "tmp/a.log"));
	assert_false(ignore_excludes(&ig, "tmp/sub/a.log")); /* '*' stays in one component */
	assert_true(ignore_excludes(&ig, "CHANGES.md"));
	assert_false(ignore_excludes(&ig, "README.md")); /* the exception comes later */
	assert_true(ignore_excludes(&ig, "a.o"));
	assert_true(ignore_excludes(&ig, "deep/er/b.o"));
	assert_true(ignore_excludes(&ig, "secret1"));
	assert_false(ignore_excludes(&ig, "secret12"));
	assert_true(ignore_excludes(&ig, "b.txt"));
	assert_false(ignore_excludes(&ig, "c.txt"));
	assert_false(ignore_excludes(&ig, "Dockerfile"));
}

static void test_exceptions_inside_excluded_dirs(void **state)
{
	(void)state;
	use("docs\n!docs/keep/**\n");
	assert_true(ignore_excludes(&ig, "docs/a"));
	assert_false(ignore_excludes(&ig, "docs/keep/a"));
	assert_true(ignore_may_include_below(&ig, "docs"));
	assert_false(ignore_may_include_below(&ig, "other"));
	use("*\n!app\n");
	assert_true(ignore_excludes(&ig, "x"));
	assert_false(ignore_excludes(&ig, "app/main.c"));
	use("**\n");
	assert_true(ignore_excludes(&ig, "any/thing"));
	use("a/../b\n");
	assert_true(ignore_excludes(&ig, "b"));
	assert_false(ignore_excludes(&ig, "a"));
}

static void test_bad_patterns(void **state)
{
	berr_t err = NULL;

	(void)state;
	ignore_clear(&ig);
	assert_int_equal(ignore_parse("ok\n[abc\n", 8, ".dockerignore", &ig, &err), -1);
	assert_string_equal(err_msg(err), ".dockerignore:2: '[abc': a '[' without its ']'");
	err_free(&err);
	assert_int_equal(ignore_parse("\n\n!\n", 4, ".dockerignore", &ig, &err), -1);
	assert_string_equal(err_msg(err), ".dockerignore:3: '!' without a pattern");
	err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_patterns),
		cmocka_unit_test(test_exceptions_inside_excluded_dirs),
		cmocka_unit_test(test_bad_patterns),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	ignore_clear(&ig);
	return r;
}
