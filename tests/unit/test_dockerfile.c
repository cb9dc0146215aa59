/* The Dockerfile parser: directives, continuations, comments, flags, the
 * exec form, and errors that name the line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "build/dockerfile.h"

static struct dockerfile df;

static int parse(const char *text, berr_t *err)
{
	dockerfile_clear(&df);
	return dockerfile_parse(text, strlen(text), "Dockerfile", &df, err);
}

static void expect_error(const char *text, const char *msg)
{
	berr_t err = NULL;

	assert_int_equal(parse(text, &err), -1);
	if (!strstr(err_msg(err), msg))
		fail_msg("error '%s' lacks '%s'", err_msg(err), msg);
	err_free(&err);
}

static void test_instructions(void **state)
{
	const char *text =
		"# syntax=docker/dockerfile:1\n"
		"\n"
		"# a comment\n"
		"ARG BASE=busybox\n"
		"from $BASE AS build\n"
		"RUN echo a \\\n"
		"  # comment inside\n"
		"\n"
		"    && echo b   \\  \n"
		"    && echo c\r\n"
		"COPY --from=build --chown=1:2 [\"a b\", \"/dst/\"]\n"
		"CMD [\"sh\", \"-c\", \"echo hi\"]\n"
		"ENTRYPOINT [not json\n"
		"LABEL a=b \\";

	(void)state;
	assert_int_equal(parse(text, NULL), 0);
	assert_int_equal(df.n, 7);
	assert_string_equal(df.ins[0].keyword, "ARG");
	assert_int_equal(df.ins[0].line, 4);
	assert_string_equal(df.ins[1].keyword, "FROM");
	assert_string_equal(df.ins[1].args, "$BASE AS build");
	assert_int_equal(df.ins[2].line, 6);
	assert_string_equal(df.ins[2].args, "echo a     && echo b       && echo c");
	assert_null(df.ins[2].argv);
	assert_string_equal(df_flag(&df.ins[3], "from"), "build");
	assert_string_equal(df_flag(&df.ins[3], "chown"), "1:2");
	assert_null(df_flag(&df.ins[3], "chmod"));
	assert_string_equal(df.ins[3].argv[0], "a b");
	assert_string_equal(df.ins[3].argv[1], "/dst/");
	assert_null(df.ins[3].argv[2]);
	assert_string_equal(df.ins[4].argv[2], "echo hi");
	assert_null(df.ins[5].argv); /* not JSON: the shell form, as docker reads it */
	assert_string_equal(df.ins[6].args, "a=b");
	assert_int_equal(df.escape, '\\');
}

static void test_escape_directive(void **state)
{
	(void)state;
	assert_int_equal(parse("# escape=`\nFROM scratch\nRUN dir C:\\ `\n  /w\n", NULL), 0);
	assert_int_equal(df.escape, '`');
	assert_string_equal(df.ins[1].args, "dir C:\\   /w");
	/* After an instruction or comment, a directive is only a comment. */
	assert_int_equal(parse("# hello\n# escape=`\nFROM scratch\n", NULL), 0);
	assert_int_equal(df.escape, '\\');
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("FROM scratch\nRUNN echo\n", "Dockerfile:2: unknown instruction 'RUNN'");
	expect_error("FROM scratch\nCOPY\n", "Dockerfile:2: COPY needs arguments");
	expect_error("RUN echo\n", "Dockerfile:1: the first instruction must be FROM");
	expect_error("# comment only\n", "Dockerfile: no FROM instruction");
	expect_error("# escape=x\nFROM scratch\n", "Dockerfile:1: escape must be \\ or `, not 'x'");
	expect_error("# escape=`\n# escape=\\\nFROM a\n", "Dockerfile:2: a second escape directive");
	expect_error("FROM a\nSHELL sh -c\n", "Dockerfile:2: SHELL needs a JSON array");
	expect_error("FROM a\nRUN \0x\n", "Dockerfile:2: RUN needs arguments"); /* strlen stops at the NUL */
	expect_error("FROM a\nEXTRAORDINARYLONGWORD x\n", "unknown instruction 'EXTRAORDINARYLONGWORD'");
	berr_t err = NULL;
	assert_int_equal(dockerfile_parse("FROM a\0", 7, "Dockerfile", &df, &err), -1);
	assert_non_null(strstr(err_msg(err), "NUL byte"));
	err_free(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instructions),
		cmocka_unit_test(test_escape_directive),
		cmocka_unit_test(test_errors),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	dockerfile_clear(&df);
	return r;
}
