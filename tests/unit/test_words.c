/* Dockerfile words: substitution, quoting, splitting, and the errors a
 * malformed line gets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/words.h"
#include "common/strv.h"

static const char *vars(void *ctx, const char *name)
{
	static const char *const set[][2] = {
		{ "A", "alpha" }, { "EMPTY", "" }, { "TWO", "x y" }, { "_u1", "under" },
	};

	(void)ctx;
	for (size_t i = 0; i < sizeof(set) / sizeof(*set); i++)
		if (!strcmp(set[i][0], name))
			return set[i][1];
	return NULL;
}

static const struct words_opts split = { .escape = '\\', .lookup = vars, .split = true };
static const struct words_opts one = { .escape = '\\', .lookup = vars };

/* The words of text joined with '|', or "ERR: message". */
static char *run(const char *text, const struct words_opts *o)
{
	static char out[512];
	berr_t err = NULL;
	char **w = NULL;

	if (words_expand(text, o, &w, &err) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err_msg(err));
		err_free(&err);
		return out;
	}
	out[0] = '\0';
	for (size_t i = 0; w[i]; i++) {
		if (i)
			strcat(out, "|");
		strcat(out, w[i]);
	}
	strv_free(w);
	return out;
}

static void test_substitution(void **state)
{
	(void)state;
	assert_string_equal(run("$A ${A} x$A-y", &split), "alpha|alpha|xalpha-y");
	assert_string_equal(run("${NOPE:-def} ${EMPTY:-def} ${EMPTY-def}|", &split), "def|def||");
	assert_string_equal(run("${A:+set} ${NOPE:+set}end ${EMPTY+set}", &split), "set|end|set");
	assert_string_equal(run("${NOPE:-${A}/bin}", &split), "alpha/bin");
	assert_string_equal(run("${_u1} $1 $ cost", &split), "under|$1|$|cost");
	assert_string_equal(run("$NOPE", &split), "");
}

static void test_quotes_and_escapes(void **state)
{
	(void)state;
	assert_string_equal(run("'$A b' \"$A b\" \\$A a\\ b", &split), "$A b|alpha b|$A|a b");
	assert_string_equal(run("\"\" ''", &split), "|");
	assert_string_equal(run("\"a\\\"b\\c\"", &split), "a\"b\\c");
	assert_string_equal(run("$TWO \"$TWO\"", &split), "x y|x y");
	assert_string_equal(run("a  b\tc", &one), "a  b\tc");
	struct words_opts bt = split;
	bt.escape = '`';
	assert_string_equal(run("C:\\dir a` b", &bt), "C:\\dir|a b");
}

static void test_errors(void **state)
{
	(void)state;
	assert_string_equal(run("'open", &split),
			    "ERR: unterminated single quote at column 6 of ''open'");
	assert_non_null(strstr(run("\"open", &split), "unterminated double quote"));
	assert_non_null(strstr(run("${A", &split), "bad substitution"));
	assert_non_null(strstr(run("${A:-x", &split), "unterminated ${"));
	assert_non_null(strstr(run("${}", &split), "expected a variable name"));
	assert_non_null(strstr(run("${A%x}", &split), "expected }, :-, :+ or :?"));
	assert_string_equal(run("${NOPE:?set NOPE to the release}", &split),
			    "ERR: variable NOPE is not set: set NOPE to the release");
	assert_string_equal(run("${EMPTY:?}", &split),
			    "ERR: variable EMPTY is empty: a value is required");
	assert_string_equal(run("${EMPTY?}", &split), "");
}

static void test_one_word(void **state)
{
	berr_t err = NULL;
	char *w = NULL;

	(void)state;
	assert_int_equal(words_expand_one("/srv/$A dir", &split, &w, &err), 0);
	assert_string_equal(w, "/srv/alpha dir");
	free(w);
}

static void test_template_mode(void **state)
{
	struct words_opts t = { .escape = '\\', .lookup = vars, .template = true };

	(void)state;
	assert_string_equal(run("server $host:${A}; # 'q' \"d\" \\n $$A", &t),
			    "server $host:alpha; # 'q' \"d\" \\n $A");
	assert_string_equal(run("  ${NOPE:-8080} ${EMPTY:-x}${A:+on}  ", &t), "  8080 xon  ");
	assert_string_equal(run("port=${PORT}", &t),
			    "ERR: ${PORT}: PORT is not set (give it a value or a default: ${PORT:-default})");
	assert_string_equal(run("${DB:?set DB to the database URL}", &t),
			    "ERR: variable DB is not set: set DB to the database URL");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_substitution),
		cmocka_unit_test(test_quotes_and_escapes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_one_word),
		cmocka_unit_test(test_template_mode),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
