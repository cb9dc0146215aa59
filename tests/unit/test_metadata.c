/* Metadata instructions applied to an image config as docker applies
 * them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "build/metadata.h"

static const char *lookup(void *ctx, const char *name)
{
	return metadata_env(ctx, name);
}

/* Apply every instruction after FROM; the config as compact JSON, or
 * "ERR: line: message". */
static char *apply(const char *dockerfile, const char *base_config)
{
	static char out[2048];
	struct stage_meta m = { 0 };
	struct dockerfile df;
	berr_t err = NULL;
	char *text;

	m.doc = json_loads(base_config, 0, NULL);
	m.config = json_object_get(m.doc, "config");
	assert_int_equal(dockerfile_parse(dockerfile, strlen(dockerfile), "Dockerfile", &df, &err), 0);
	struct words_opts w = { .escape = '\\', .lookup = lookup, .ctx = &m, .split = true };
	for (size_t i = 1; i < df.n; i++)
		if (metadata_apply(&m, &df.ins[i], &w, &err) < 0) {
			snprintf(out, sizeof(out), "ERR: %d: %s", df.ins[i].line, err_msg(err));
			err_free(&err);
			goto done;
		}
	text = json_dumps(m.doc, JSON_COMPACT | JSON_SORT_KEYS);
	snprintf(out, sizeof(out), "%s", text);
	free(text);
done:
	dockerfile_clear(&df);
	json_decref(m.doc);
	return out;
}

#define EMPTY "{\"config\":{}}"

static void test_env_and_labels(void **state)
{
	(void)state;
	assert_string_equal(apply("FROM x\nENV A=1 B=\"two words\"\nENV C=$A-${B}\nENV A=3 D=$A\n", EMPTY),
			    "{\"config\":{\"Env\":[\"A=3\",\"B=two words\",\"C=1-two words\",\"D=1\"]}}");
	assert_string_equal(apply("FROM x\nENV PATH /opt/bin:$PATH and more\n",
				  "{\"config\":{\"Env\":[\"PATH=/bin\"]}}"),
			    "{\"config\":{\"Env\":[\"PATH=/opt/bin:/bin and more\"]}}");
	assert_string_equal(apply("FROM x\nLABEL a=b \"c d\"='e f'\n", EMPTY),
			    "{\"config\":{\"Labels\":{\"a\":\"b\",\"c d\":\"e f\"}}}");
	assert_string_equal(apply("FROM x\nLABEL novalue\n", EMPTY),
			    "ERR: 2: 'novalue': expected KEY=VALUE");
}

static void test_commands(void **state)
{
	(void)state;
	assert_string_equal(apply("FROM x\nCMD echo $HOME\n", EMPTY),
			    "{\"config\":{\"Cmd\":[\"/bin/sh\",\"-c\",\"echo $HOME\"]}}");
	/* ENTRYPOINT drops an inherited Cmd, but not one set in the stage. */
	assert_string_equal(apply("FROM x\nENTRYPOINT [\"/app\"]\n",
				  "{\"config\":{\"Cmd\":[\"old\"]}}"),
			    "{\"config\":{\"Entrypoint\":[\"/app\"]}}");
	assert_string_equal(apply("FROM x\nCMD [\"-v\"]\nENTRYPOINT [\"/app\"]\n", EMPTY),
			    "{\"config\":{\"Cmd\":[\"-v\"],\"Entrypoint\":[\"/app\"]}}");
	assert_string_equal(apply("FROM x\nSHELL [\"/bin/bash\", \"-xc\"]\nCMD run\n", EMPTY),
			    "{\"config\":{\"Cmd\":[\"/bin/bash\",\"-xc\",\"run\"],\"Shell\":[\"/bin/bash\",\"-xc\"]}}");
}

static void test_one_word_instructions(void **state)
{
	(void)state;
	assert_string_equal(apply("FROM x\nWORKDIR /a\nWORKDIR b/../c/.\nUSER app:staff\nSTOPSIGNAL SIGQUIT\nMAINTAINER me\n", EMPTY),
			    "{\"author\":\"me\",\"config\":{\"StopSignal\":\"SIGQUIT\",\"User\":\"app:staff\",\"WorkingDir\":\"/a/c\"}}");
	assert_string_equal(apply("FROM x\nWORKDIR ../..\n", EMPTY), "{\"config\":{\"WorkingDir\":\"/\"}}");
	assert_string_equal(apply("FROM x\nSTOPSIGNAL NOPE\n", EMPTY), "ERR: 2: unknown signal 'NOPE'");
}

static void test_ports_volumes_onbuild(void **state)
{
	(void)state;
	assert_string_equal(apply("FROM x\nEXPOSE 80 53/udp\nVOLUME [\"/data\"]\nVOLUME /a /b\nONBUILD RUN make\n", EMPTY),
			    "{\"config\":{\"ExposedPorts\":{\"53/udp\":{},\"80/tcp\":{}},\"OnBuild\":[\"RUN make\"],"
			    "\"Volumes\":{\"/a\":{},\"/b\":{},\"/data\":{}}}}");
	assert_string_equal(apply("FROM x\nEXPOSE 70000\n", EMPTY),
			    "ERR: 2: EXPOSE: '70000' is not an integer in [1, 65535]");
	assert_string_equal(apply("FROM x\nEXPOSE 80/http\n", EMPTY),
			    "ERR: 2: EXPOSE 80/http: the protocol must be tcp, udp or sctp");
	assert_string_equal(apply("FROM x\nONBUILD FROM y\n", EMPTY), "ERR: 2: ONBUILD FROM is not allowed");
}

static void test_healthcheck(void **state)
{
	(void)state;
	assert_string_equal(apply("FROM x\nHEALTHCHECK --interval=5s --retries=3 CMD wget -q localhost\n", EMPTY),
			    "{\"config\":{\"Healthcheck\":{\"Interval\":5000000000,\"Retries\":3,"
			    "\"Test\":[\"CMD-SHELL\",\"wget -q localhost\"]}}}");
	assert_string_equal(apply("FROM x\nHEALTHCHECK CMD [\"/check\", \"-q\"]\n", EMPTY),
			    "{\"config\":{\"Healthcheck\":{\"Test\":[\"CMD\",\"/check\",\"-q\"]}}}");
	assert_string_equal(apply("FROM x\nHEALTHCHECK NONE\n", EMPTY),
			    "{\"config\":{\"Healthcheck\":{\"Test\":[\"NONE\"]}}}");
	assert_string_equal(apply("FROM x\nHEALTHCHECK --interval=soon CMD true\n", EMPTY),
			    "ERR: 2: --interval=soon: 'soon' is not a duration like 30s or 1m30s");
	assert_string_equal(apply("FROM x\nHEALTHCHECK --bogus=1 CMD true\n", EMPTY),
			    "ERR: 2: HEALTHCHECK: unknown flag '--bogus=1'");
	assert_string_equal(apply("FROM x\nHEALTHCHECK wget\n", EMPTY),
			    "ERR: 2: HEALTHCHECK: expected NONE or [flags] CMD command");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_env_and_labels),
		cmocka_unit_test(test_commands),
		cmocka_unit_test(test_one_word_instructions),
		cmocka_unit_test(test_ports_volumes_onbuild),
		cmocka_unit_test(test_healthcheck),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
