/* The common layer: resolving paths inside a root (openat2 and the forced
 * fallback must agree and never escape), units, signals, atomic writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/error.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/syscalls.h"
#include "common/units.h"

static char root[64];
static char outside[64];

static int make_tree(void **state)
{
	char path[256];

	(void)state;
	strcpy(root, "/tmp/berth-unit-root.XXXXXX");
	strcpy(outside, "/tmp/berth-unit-out.XXXXXX");
	if (!mkdtemp(root) || !mkdtemp(outside))
		return -1;
	snprintf(path, sizeof(path), "%s/etc", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/passwd", root);
	close(open(path, O_CREAT | O_WRONLY, 0644));
	snprintf(path, sizeof(path), "%s/escape", root);
	if (symlink("/../../../../..", path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/abs", root);
	if (symlink(outside, path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/rel", root);
	return symlink("../../../etc", path);
}

static int remove_tree(void **state)
{
	char cmd[256];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", root, outside);
	return system(cmd);
}

/* The inode a path inside root resolves to, or 0. */
static ino_t resolve(const char *path, int flags)
{
	int rootfd = open(root, O_PATH | O_DIRECTORY);
	int fd = sys_openat_in_root(rootfd, path, O_PATH | flags, 0);
	struct stat st = { 0 };

	if (fd >= 0)
		fstat(fd, &st);
	if (fd >= 0)
		close(fd);
	close(rootfd);
	return st.st_ino;
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_ino : 0;
}

static void check_confined(void)
{
	char etc[256], created[256];

	snprintf(etc, sizeof(etc), "%s/etc", root);
	/* ".." and absolute links stop at the root. */
	assert_int_equal(resolve("/escape", O_DIRECTORY), ino_of(root));
	assert_int_equal(resolve("../../..", O_DIRECTORY), ino_of(root));
	assert_int_equal(resolve("/rel", O_DIRECTORY), ino_of(etc));
	/* An absolute link to a host directory resolves inside the root. */
	assert_int_equal(resolve("/abs", O_DIRECTORY), 0);
	assert_int_not_equal(resolve("/etc/passwd", 0), 0);
	/* Creating through an escaping link lands inside the root. */
	{
		int rootfd = open(root, O_PATH | O_DIRECTORY);
		int fd = sys_openat_in_root(rootfd, "/escape/created",
					    O_CREAT | O_WRONLY, 0644);

		assert_true(fd >= 0);
		close(fd);
		close(rootfd);
	}
	snprintf(created, sizeof(created), "%s/created", root);
	assert_int_equal(access(created, F_OK), 0);
	unlink(created);
	snprintf(created, sizeof(created), "%s/created", outside);
	assert_int_not_equal(access(created, F_OK), 0);
}

static void test_openat_in_root(void **state)
{
	(void)state;
	unsetenv("BERTH_FORCE_FALLBACK");
	check_confined();
}

static void test_openat_in_root_fallback(void **state)
{
	(void)state;
	setenv("BERTH_FORCE_FALLBACK", "openat2", 1);
	assert_true(sys_fallback_forced("openat2"));
	check_confined();
	unsetenv("BERTH_FORCE_FALLBACK");
}

static void check_beneath(void)
{
	static const char *const out[] = {
		"abs", "escape/x", "rel/passwd", "/etc/passwd", "../x", "etc/../../x",
	};
	int rootfd = open(root, O_PATH | O_DIRECTORY), fd;
	char link[300];

	snprintf(link, sizeof(link), "%s/inside", root);
	assert_int_equal(symlink("etc", link), 0);
	fd = sys_openat_beneath(rootfd, "inside/../etc/./passwd", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	fd = sys_openat_beneath(rootfd, "inside/passwd", O_RDONLY);
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < sizeof(out) / sizeof(*out); i++) {
		errno = 0;
		assert_int_equal(sys_openat_beneath(rootfd, out[i], O_RDONLY), -1);
		if (errno != EXDEV)
			fail_msg("%s: errno %d, expected EXDEV", out[i], errno);
	}
	unlink(link);
	close(rootfd);
}

static void test_openat_beneath(void **state)
{
	(void)state;
	check_beneath();
	setenv("BERTH_FORCE_FALLBACK", "openat2", 1);
	check_beneath();
	unsetenv("BERTH_FORCE_FALLBACK");
}

static void test_close_range_fallback(void **state)
{
	int fd = open("/dev/null", O_RDONLY);

	(void)state;
	setenv("BERTH_FORCE_FALLBACK", "clone3,close_range", 1);
	assert_int_equal(sys_cloexec_fds_from(fd), 0);
	assert_int_equal(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	unsetenv("BERTH_FORCE_FALLBACK");
	close(fd);
}

static void test_units(void **state)
{
	berr_t err = NULL;
	int64_t v;
	int sig;

	(void)state;
	assert_int_equal(units_parse_bytes("512m", "--memory", &v, &err), 0);
	assert_int_equal(v, 512LL << 20);
	assert_int_equal(units_parse_bytes("1g", "--memory", &v, &err), 0);
	assert_int_equal(v, 1LL << 30);
	assert_int_equal(units_parse_bytes("100", "--memory", &v, &err), 0);
	assert_int_equal(v, 100);
	assert_int_equal(units_parse_bytes("12x", "--memory", &v, &err), -1);
	assert_non_null(strstr(err_msg(err), "--memory"));
	err_free(&err);
	assert_int_equal(units_parse_signal("KILL", &sig, &err), 0);
	assert_int_equal(sig, SIGKILL);
	assert_int_equal(units_parse_signal("sigterm", &sig, &err), 0);
	assert_int_equal(sig, SIGTERM);
	assert_int_equal(units_parse_signal("9", &sig, &err), 0);
	assert_int_equal(sig, 9);
	assert_int_equal(units_parse_signal("RTMIN+2", &sig, &err), 0);
	assert_int_equal(sig, SIGRTMIN + 2);
	assert_int_equal(units_parse_signal("NOPE", &sig, &err), -1);
	err_free(&err);
	assert_int_equal(units_parse_signal("999", &sig, &err), -1);
	err_free(&err);
}

static void test_atomic_write(void **state)
{
	int dirfd = open(root, O_PATH | O_DIRECTORY);
	berr_t err = NULL;
	char *text = NULL;

	(void)state;
	assert_int_equal(fs_write_atomic_at(dirfd, "state.json", "one", 3, 0600, FS_DURABLE, &err), 0);
	assert_int_equal(fs_write_atomic_at(dirfd, "state.json", "two", 3, 0600, FS_VOLATILE, &err), 0);
	assert_int_equal(fs_read_file_at(dirfd, "state.json", 16, &text, NULL, &err), 0);
	assert_string_equal(text, "two");
	free(text);
	assert_int_equal(fs_read_file_at(dirfd, "state.json", 2, &text, NULL, &err), -1);
	assert_non_null(strstr(err_msg(err), "larger than 2 bytes"));
	err_free(&err);
	close(dirfd);
}

static void test_strv_contains(void **state)
{
	char **v = NULL;

	(void)state;
	assert_false(strv_contains(NULL, "a"));
	assert_int_equal(strv_push(&v, "a"), 0);
	assert_int_equal(strv_push(&v, "bc"), 0);
	assert_true(strv_contains(v, "bc"));
	assert_false(strv_contains(v, "b"));
	strv_free(v);
}

static void test_error_context(void **state)
{
	berr_t err = NULL;

	(void)state;
	errno = ENOENT;
	assert_int_equal(err_sys(&err, "open '%s'", "x"), -1);
	err_prefix(&err, "mounts[%d]", 2);
	assert_string_equal(err_msg(err), "mounts[2]: open 'x': No such file or directory");
	assert_int_equal(err->errnum, ENOENT);
	err_free(&err);
	assert_null(err);
	/* What a message quotes cannot break it into lines. */
	err_set(&err, EINVAL, "bad '%s'", "a\nb\tc\x1b");
	assert_string_equal(err_msg(err), "bad 'a?b?c?'");
	err_prefix(&err, "line\n%d", 2);
	assert_string_equal(err_msg(err), "line?2: bad 'a?b?c?'");
	err_free(&err);
}

static void test_durations(void **state)
{
	static const struct { const char *s; int64_t ns; } good[] = {
		{ "0", 0 }, { "30s", 30000000000LL }, { "1m30s", 90000000000LL },
		{ "500ms", 500000000LL }, { "1.5h", 5400000000000LL }, { "10us", 10000 },
		{ "3ns", 3 },
	};
	static const char *const bad[] = { "", "30", "s", "1.2.3s", "-1s", "5d", "1m30", "1e3s" };
	berr_t err = NULL;
	int64_t ns;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(*good); i++) {
		assert_int_equal(units_parse_duration(good[i].s, "--interval", &ns, &err), 0);
		assert_int_equal(ns, good[i].ns);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(units_parse_duration(bad[i], "--interval", &ns, &err), -1);
		assert_non_null(strstr(err_msg(err), "--interval: '"));
		err_free(&err);
	}
}

/* A bind mount shares st_dev with its source: removing a tree must still
 * stop at it, or it deletes what the mount shows (a shared image layer). */
static void test_remove_tree_stops_at_bind_mounts(void **state)
{
	char tree[300], mnt[300], kept[300];
	berr_t err = NULL;
	int parent;

	(void)state;
	snprintf(tree, sizeof(tree), "%s/tree", outside);
	snprintf(mnt, sizeof(mnt), "%s/tree/mnt", outside);
	snprintf(kept, sizeof(kept), "%s/etc/passwd", root);
	assert_int_equal(fs_mkdir_p(mnt, 0755, &err), 0);
	if (mount(root, mnt, NULL, MS_BIND, NULL) < 0) {
		skip();
		return;
	}
	parent = open(outside, O_PATH | O_DIRECTORY);
	assert_int_equal(fs_remove_tree_at(parent, "tree", &err), -1);
	assert_int_equal(err->errnum, EBUSY);
	assert_non_null(strstr(err_msg(err), "mount point"));
	err_free(&err);
	assert_int_equal(access(kept, F_OK), 0);
	assert_int_equal(umount2(mnt, MNT_DETACH), 0);
	assert_int_equal(fs_remove_tree_at(parent, "tree", &err), 0);
	close(parent);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openat_in_root),
		cmocka_unit_test(test_openat_in_root_fallback),
		cmocka_unit_test(test_openat_beneath),
		cmocka_unit_test(test_close_range_fallback),
		cmocka_unit_test(test_units),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_atomic_write),
		cmocka_unit_test(test_error_context),
		cmocka_unit_test(test_remove_tree_stops_at_bind_mounts),
		cmocka_unit_test(test_strv_contains),
	};

	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
