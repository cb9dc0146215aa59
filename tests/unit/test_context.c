/* The build context: sources found by glob, never outside the context,
 * .dockerignore applied; hashing that sees content changes; copying. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/context.h"
#include "common/strv.h"

static char dir[64], ctx[128];

static void put(const char *rel, const char *text)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", ctx, rel);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	char path[256];

	(void)state;
	strcpy(dir, "/tmp/berth-unit-ctx.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(ctx, sizeof(ctx), "%s/ctx", dir);
	mkdir(ctx, 0755);
	snprintf(path, sizeof(path), "%s/sub", ctx);
	mkdir(path, 0755);
	put("a.txt", "a\n");
	put("b.txt", "b\n");
	put("notes.md", "md\n");
	put("sub/c.txt", "c\n");
	put("sub/ignored", "x\n");
	put(".dockerignore", "*.md\nsub/ignored\n");
	snprintf(path, sizeof(path), "%s/secret", dir);
	close(open(path, O_CREAT | O_WRONLY, 0600));
	snprintf(path, sizeof(path), "%s/link_in", ctx);
	symlink("sub/c.txt", path);
	snprintf(path, sizeof(path), "%s/link_out", ctx);
	symlink("/etc/passwd", path);
	snprintf(path, sizeof(path), "%s/link_up", ctx);
	return symlink("../secret", path);
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd);
}

static char *glob(const char *pattern)
{
	static char out[512];
	struct build_context c;
	berr_t err = NULL;
	char **m = NULL;

	assert_int_equal(context_open(ctx, true, &c, &err), 0);
	if (context_glob(&c, pattern, &m, &err) < 0) {
		snprintf(out, sizeof(out), "ERR: %s", err_msg(err));
		err_free(&err);
	} else {
		out[0] = '\0';
		for (size_t i = 0; m[i]; i++)
			snprintf(out + strlen(out), sizeof(out) - strlen(out), "%s%s", i ? "|" : "", m[i]);
		strv_free(m);
	}
	context_close(&c);
	return out;
}

static void test_glob(void **state)
{
	(void)state;
	assert_string_equal(glob("*.txt"), "a.txt|b.txt");
	assert_string_equal(glob("./sub/../a.txt"), "a.txt");
	assert_string_equal(glob("sub/*"), "sub/c.txt"); /* sub/ignored is excluded */
	assert_string_equal(glob("*/c.txt"), "sub/c.txt");
	assert_string_equal(glob("link_in"), "link_in");
	assert_string_equal(glob("."), "");
	assert_string_equal(glob("notes.md"),
			    "ERR: 'notes.md': no such file in the build context (or excluded by .dockerignore)");
	assert_string_equal(glob("../secret"), "ERR: '../secret' is outside the build context");
	assert_string_equal(glob("/etc/passwd"),
			    "ERR: '/etc/passwd': an absolute source; sources are paths in the build context");
	assert_string_equal(glob("link_out"), "ERR: 'link_out' leads out of the build context (through a symlink)");
	assert_string_equal(glob("link_up"), "ERR: 'link_up' leads out of the build context (through a symlink)");
}

static void hash(const char *pattern, char digest[DIGEST_MAX])
{
	struct build_context c;
	struct sha256 h;
	berr_t err = NULL;
	char **m = NULL;

	assert_int_equal(context_open(ctx, true, &c, &err), 0);
	assert_int_equal(context_glob(&c, pattern, &m, &err), 0);
	assert_int_equal(sha256_init(&h, &err), 0);
	assert_int_equal(context_hash(&c, m, &h, &err), 0);
	assert_int_equal(sha256_final(&h, digest, &err), 0);
	strv_free(m);
	context_close(&c);
}

static void test_hash(void **state)
{
	char one[DIGEST_MAX], two[DIGEST_MAX];

	(void)state;
	hash("sub", one);
	hash("sub", two);
	assert_string_equal(one, two);
	put("sub/ignored", "changed\n"); /* excluded: no effect */
	hash("sub", two);
	assert_string_equal(one, two);
	put("sub/c.txt", "C\n");
	hash("sub", two);
	assert_string_not_equal(one, two);
	put("sub/c.txt", "c\n");
}

static void test_copy(void **state)
{
	struct tree_copy_opts o = { .set_owner = true, .uid = 7, .gid = 8 };
	struct build_context c;
	berr_t err = NULL;
	char path[256];
	struct stat st;
	int dfd;

	(void)state;
	snprintf(path, sizeof(path), "%s/dest", dir);
	mkdir(path, 0755);
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	assert_int_equal(context_open(ctx, true, &c, &err), 0);
	assert_int_equal(context_copy(&c, "sub", dfd, "s", &o, &err), 0);
	assert_int_equal(context_copy(&c, "link_in", dfd, "f", &o, &err), 0);
	context_close(&c);
	assert_int_equal(fstatat(dfd, "s/c.txt", &st, 0), 0);
	assert_int_equal(st.st_uid, 7);
	assert_int_equal(st.st_gid, 8);
	assert_int_equal(fstatat(dfd, "s/ignored", &st, 0), -1);
	assert_int_equal(fstatat(dfd, "f", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode)); /* the top-level link was followed */
	close(dfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_copy),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
