/* Layer unpacking: what a well-formed layer becomes on disk, that the diff
 * id is the digest of the uncompressed tar whatever the compression, and
 * that hostile layers are refused or confined: nothing may appear in the
 * sentinel directory that sits next to the destination.  The hostile
 * cases run twice, the second time through the openat2 fallback. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "common/error.h"
#include "image/layer.h"

#define MIB (1024 * 1024)
#define TARBUF_SIZE (16 * MIB)
#define NAME "sha256:test"

static char base[64], dest[128], sentinel[128];
static int destfd = -1;
static char *tarbuf;
static size_t tarused;

/* ---- fixture --------------------------------------------------------- */

static int setup(void **state)
{
	char file[160];
	int fd;

	(void)state;
	strcpy(base, "/tmp/berth-layer.XXXXXX");
	if (!mkdtemp(base))
		return -1;
	snprintf(dest, sizeof(dest), "%s/dest", base);
	snprintf(sentinel, sizeof(sentinel), "%s/sentinel", base);
	snprintf(file, sizeof(file), "%s/file", sentinel);
	if (mkdir(dest, 0755) < 0 || mkdir(sentinel, 0755) < 0)
		return -1;
	fd = open(file, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0 || write(fd, "safe\n", 5) != 5 || close(fd) < 0)
		return -1;
	destfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return destfd < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	close(destfd);
	destfd = -1;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	return system(cmd) == 0 ? 0 : -1;
}

static int fallback_on(void **state)
{
	(void)state;
	return setenv("BERTH_FORCE_FALLBACK", "openat2", 1);
}

static int fallback_off(void **state)
{
	(void)state;
	return unsetenv("BERTH_FORCE_FALLBACK");
}

/* The sentinel holds exactly its one file, unlinked elsewhere, unchanged. */
static void assert_sentinel_untouched(void)
{
	char file[160];
	DIR *d = opendir(sentinel);
	struct dirent *de;
	struct stat st;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "file"))
			fail_msg("sentinel gained '%s'", de->d_name);
	}
	closedir(d);
	snprintf(file, sizeof(file), "%s/file", sentinel);
	assert_int_equal(lstat(file, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_nlink, 1);
	assert_int_equal(st.st_size, 5);
}

/* Nothing but dest and sentinel may appear in base either. */
static void assert_base_clean(void)
{
	DIR *d = opendir(base);
	struct dirent *de;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "dest") &&
		    strcmp(de->d_name, "sentinel"))
			fail_msg("'%s' appeared next to dest", de->d_name);
	}
	closedir(d);
	assert_sentinel_untouched();
}

/* ---- building archives in memory --------------------------------------- */

struct ent {
	const char *path;
	mode_t type;     /* AE_IF*; 0: regular */
	mode_t perm;     /* 0: 0644, or 0755 for directories */
	const char *data;
	const char *link; /* symlink target, or hard link target with hard */
	bool hard;
	int64_t uid, gid;
	time_t mtime;
	unsigned major, minor;
	const char *xattr, *xval;
};

static struct archive *tb_new(char filter)
{
	struct archive *a = archive_write_new();

	assert_non_null(a);
	assert_int_equal(archive_write_set_format_pax_restricted(a),
			 ARCHIVE_OK);
	if (filter == 'g')
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	if (filter == 'z')
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, tarbuf, TARBUF_SIZE,
						   &tarused), ARCHIVE_OK);
	return a;
}

static struct archive_entry *tb_entry(const struct ent *s, int64_t size)
{
	struct archive_entry *e = archive_entry_new();
	mode_t type = s->type ? s->type : AE_IFREG;

	assert_non_null(e);
	archive_entry_set_pathname(e, s->path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, s->perm ? s->perm
				 : type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_uid(e, s->uid);
	archive_entry_set_gid(e, s->gid);
	archive_entry_set_mtime(e, s->mtime ? s->mtime : 1000000000, 0);
	archive_entry_set_size(e, size);
	if (s->link && s->hard)
		archive_entry_set_hardlink(e, s->link);
	else if (s->link)
		archive_entry_set_symlink(e, s->link);
	if (type == AE_IFCHR || type == AE_IFBLK)
		archive_entry_set_rdev(e, makedev(s->major, s->minor));
	if (s->xattr)
		archive_entry_xattr_add_entry(e, s->xattr, s->xval,
					      strlen(s->xval));
	return e;
}

static void tb_put(struct archive *a, struct ent s)
{
	size_t len = s.data ? strlen(s.data) : 0;
	struct archive_entry *e = tb_entry(&s, (int64_t)len);

	/* ARCHIVE_WARN: a UTF-8 name written as bytes in the C locale */
	assert_true(archive_write_header(a, e) >= ARCHIVE_WARN);
	if (len)
		assert_int_equal(archive_write_data(a, s.data, len),
				 (la_ssize_t)len);
	archive_entry_free(e);
}

/* A regular file of size zero bytes, written a MiB at a time. */
static void tb_zeros(struct archive *a, const char *path, int64_t size)
{
	struct archive_entry *e = tb_entry(&(struct ent){ .path = path }, size);
	char *zero = calloc(1, MIB);

	assert_non_null(zero);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	for (int64_t left = size; left > 0; left -= MIB)
		assert_int_equal(archive_write_data(a, zero, MIB), MIB);
	free(zero);
	archive_entry_free(e);
}

/* A memfd holding len bytes of buf, positioned at 0. */
static int memfd_of(const char *buf, size_t len)
{
	int fd = memfd_create("layer", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, buf, len), (ssize_t)len);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

static int tb_finish(struct archive *a)
{
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	return memfd_of(tarbuf, tarused);
}

/* Compress exactly these bytes (then zeros more zero bytes) into out:
 * format "raw" wraps no header around them, and no block padding. */
static size_t compress(char filter, const char *in, size_t len,
		       size_t zeros, char *out, size_t cap)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	char *zero = calloc(1, MIB);
	size_t used = 0;

	assert_non_null(zero);
	assert_int_equal(archive_write_set_format_raw(a), ARCHIVE_OK);
	if (filter == 'g')
		assert_int_equal(archive_write_add_filter_gzip(a), ARCHIVE_OK);
	else
		assert_int_equal(archive_write_add_filter_zstd(a), ARCHIVE_OK);
	assert_int_equal(archive_write_set_bytes_in_last_block(a, 1),
			 ARCHIVE_OK);
	assert_int_equal(archive_write_open_memory(a, out, cap, &used),
			 ARCHIVE_OK);
	archive_entry_set_pathname(e, "data");
	archive_entry_set_filetype(e, AE_IFREG);
	assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, in, len), (la_ssize_t)len);
	for (size_t left = zeros; left; left -= MIB)
		assert_int_equal(archive_write_data(a, zero, MIB), MIB);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	archive_entry_free(e);
	free(zero);
	return used;
}

/* ---- running and checking ----------------------------------------------- */

static int unpack_fd(int fd, const struct layer_limits *lim,
		     struct layer_result *res, berr_t *err)
{
	int ret = layer_unpack(fd, destfd, NAME, lim, res, err);

	close(fd);
	return ret;
}

/* Unpack and expect failure with a message containing want. */
static void expect_refused(int fd, const struct layer_limits *lim,
			   const char *want)
{
	struct layer_limits none = { 0 };
	struct layer_result res;
	berr_t err = NULL;

	char got[1024];

	if (unpack_fd(fd, lim ? lim : &none, &res, &err) == 0)
		fail_msg("unpacking succeeded, expected \"%s\"", want);
	snprintf(got, sizeof(got), "%s", err_msg(err));
	err_free(&err);
	if (!strstr(got, want))
		fail_msg("error \"%s\" lacks \"%s\"", got, want);
}

static void expect_ok(int fd, struct layer_result *res)
{
	struct layer_limits none = { 0 };
	struct layer_result ignored;
	berr_t err = NULL;

	if (unpack_fd(fd, &none, res ? res : &ignored, &err) < 0)
		fail_msg("unpacking failed: %s", err_msg(err));
}

static void lstat_in(const char *rel, struct stat *st)
{
	if (fstatat(destfd, rel, st, AT_SYMLINK_NOFOLLOW) < 0)
		fail_msg("dest/%s: %s", rel, strerror(errno));
}

static bool exists_in(const char *rel)
{
	struct stat st;

	return fstatat(destfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void assert_content(const char *rel, const char *want)
{
	char got[256] = { 0 };
	int fd = openat(destfd, rel, O_RDONLY | O_NOFOLLOW);

	assert_true(fd >= 0);
	assert_true(read(fd, got, sizeof(got) - 1) >= 0);
	close(fd);
	assert_string_equal(got, want);
}

static void sha256_hex(const void *p, size_t n, char out[80])
{
	unsigned char md[32];
	unsigned int len = 0;
	int at = sprintf(out, "sha256:");

	assert_int_equal(EVP_Digest(p, n, md, &len, EVP_sha256(), NULL), 1);
	for (unsigned i = 0; i < len; i++)
		at += sprintf(out + at, "%02x", md[i]);
}

/* ---- well-formed layers ------------------------------------------------ */

static void test_files_dirs_owners(void **state)
{
	struct archive *a = tb_new(0);
	struct layer_result res;
	struct stat st;

	(void)state;
	tb_put(a, (struct ent){ .path = "./", .type = AE_IFDIR, .perm = 0711 });
	tb_put(a, (struct ent){ .path = "./etc/", .type = AE_IFDIR });
	tb_put(a, (struct ent){ .path = "./etc/hosts", .perm = 0640,
				.data = "127.0.0.1 localhost\n", .uid = 1000,
				.gid = 2000, .mtime = 1234567890 });
	tb_put(a, (struct ent){ .path = "bin/su", .perm = 04755,
				.data = "#!", .uid = 0, .gid = 0 });
	tb_put(a, (struct ent){ .path = "x/y/z", .data = "deep" });
	tb_put(a, (struct ent){ .path = "tmp", .type = AE_IFDIR,
				.perm = 01777 });
	tb_put(a, (struct ent){ .path = "run/fifo", .type = AE_IFIFO });
	tb_put(a, (struct ent){ .path = "caf\xc3\xa9", .data = "utf-8" });
	expect_ok(tb_finish(a), &res);

	assert_int_equal(fstat(destfd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0711);
	lstat_in("etc/hosts", &st);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 2000);
	assert_int_equal(st.st_mtim.tv_sec, 1234567890);
	assert_content("etc/hosts", "127.0.0.1 localhost\n");
	lstat_in("bin/su", &st); /* set-uid survives: chown came first */
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_content("x/y/z", "deep");
	lstat_in("x/y", &st);
	assert_true(S_ISDIR(st.st_mode));
	lstat_in("tmp", &st);
	assert_int_equal(st.st_mode & 07777, 01777);
	lstat_in("run/fifo", &st);
	assert_true(S_ISFIFO(st.st_mode));
	assert_content("caf\xc3\xa9", "utf-8");
	assert_int_equal(res.entries, 8);
	assert_int_equal(res.bytes, 20 + 2 + 4 + 5);
	assert_base_clean();
}

static void test_later_entries_replace(void **state)
{
	struct archive *a = tb_new(0);
	struct stat st;

	(void)state;
	tb_put(a, (struct ent){ .path = "f", .data = "old" });
	tb_put(a, (struct ent){ .path = "f", .data = "new" });
	tb_put(a, (struct ent){ .path = "d", .data = "file first" });
	tb_put(a, (struct ent){ .path = "d/", .type = AE_IFDIR, .perm = 0750 });
	tb_put(a, (struct ent){ .path = "d/", .type = AE_IFDIR, .perm = 0700 });
	tb_put(a, (struct ent){ .path = "d/kept", .data = "k" });
	expect_ok(tb_finish(a), NULL);
	assert_content("f", "new");
	lstat_in("d", &st);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0700);
	assert_content("d/kept", "k");
}

static void test_links_inside(void **state)
{
	struct archive *a = tb_new(0);
	struct stat f, h, h2;
	char target[64] = { 0 };

	(void)state;
	tb_put(a, (struct ent){ .path = "a/f", .data = "hello" });
	tb_put(a, (struct ent){ .path = "a/l", .type = AE_IFLNK, .link = "f",
				.uid = 7, .gid = 8 });
	tb_put(a, (struct ent){ .path = "abs", .type = AE_IFLNK,
				.link = "/a/f" });
	tb_put(a, (struct ent){ .path = "a/h", .link = "a/f", .hard = true });
	tb_put(a, (struct ent){ .path = "h2", .link = "/a/f", .hard = true });
	tb_put(a, (struct ent){ .path = "via", .link = "abs", .hard = true });
	expect_ok(tb_finish(a), NULL);

	assert_int_equal(readlinkat(destfd, "a/l", target, sizeof(target)), 1);
	assert_string_equal(target, "f");
	lstat_in("a/l", &f);
	assert_int_equal(f.st_uid, 7);
	assert_int_equal(readlinkat(destfd, "abs", target, sizeof(target)), 4);
	assert_string_equal(target, "/a/f");
	lstat_in("a/f", &f);
	lstat_in("a/h", &h);
	lstat_in("h2", &h2);
	assert_int_equal(f.st_ino, h.st_ino);
	assert_int_equal(f.st_ino, h2.st_ino);
	assert_int_equal(f.st_nlink, 3);
	lstat_in("via", &h); /* a hard link to a symlink is the symlink */
	assert_true(S_ISLNK(h.st_mode));
	assert_base_clean();
}

static void test_xattrs(void **state)
{
	struct archive *a = tb_new(0);
	char val[16] = { 0 };
	char path[160];

	(void)state;
	tb_put(a, (struct ent){ .path = "u", .data = "x", .xattr = "user.k",
				.xval = "v1" });
	tb_put(a, (struct ent){ .path = "r", .data = "x",
				.xattr = "trusted.overlay.redirect",
				.xval = "/elsewhere" });
	expect_ok(tb_finish(a), NULL);
	snprintf(path, sizeof(path), "%s/u", dest);
	assert_int_equal(lgetxattr(path, "user.k", val, sizeof(val)), 2);
	assert_string_equal(val, "v1");
	/* overlayfs' own xattrs never come from the archive */
	snprintf(path, sizeof(path), "%s/r", dest);
	assert_int_equal(lgetxattr(path, "trusted.overlay.redirect", val,
				   sizeof(val)), -1);
	assert_int_equal(errno, ENODATA);
}

/* The same tar, plain (with junk after the end marker), gzip and zstd:
 * one diff id, the sha256 of the plain bytes. */
static void test_diff_id(void **state)
{
	struct archive *a = tb_new(0);
	size_t cap = 4 * MIB, plain_len, len;
	char *plain = malloc(cap), *z = malloc(cap);
	struct layer_result res;
	char want[80];
	const char filters[] = { 'g', 'z' };

	(void)state;
	assert_non_null(plain);
	assert_non_null(z);
	tb_put(a, (struct ent){ .path = "d/", .type = AE_IFDIR });
	tb_put(a, (struct ent){ .path = "d/f", .data = "contents" });
	assert_true(tb_finish(a) >= 0); /* fd unused: bytes are in tarbuf */
	memcpy(plain, tarbuf, tarused);
	/* junk after the end marker, past what the tar parser reads ahead */
	for (size_t i = 0; i < 256 * 1024; i++)
		plain[tarused + i] = (char)(i * 7);
	plain_len = tarused + 256 * 1024;
	sha256_hex(plain, plain_len, want);

	expect_ok(memfd_of(plain, plain_len), &res);
	assert_string_equal(res.diff_id, want);
	for (size_t i = 0; i < sizeof(filters); i++) {
		assert_int_equal(teardown(state), 0);
		assert_int_equal(setup(state), 0);
		len = compress(filters[i], plain, plain_len, 0, z, cap);
		expect_ok(memfd_of(z, len), &res);
		assert_string_equal(res.diff_id, want);
		assert_content("d/f", "contents");
	}
	free(plain);
	free(z);
}

static void test_whiteouts(void **state)
{
	struct archive *a = tb_new('g');
	char val[4] = { 0 };
	char path[160];
	struct stat st;

	(void)state;
	tb_put(a, (struct ent){ .path = "d/", .type = AE_IFDIR });
	tb_put(a, (struct ent){ .path = "d/.wh.gone" });
	tb_put(a, (struct ent){ .path = ".wh.top" });
	tb_put(a, (struct ent){ .path = "o/", .type = AE_IFDIR });
	tb_put(a, (struct ent){ .path = "o/.wh..wh..opq" });
	tb_put(a, (struct ent){ .path = "new/.wh..wh..opq" });
	tb_put(a, (struct ent){ .path = "d/.wh..wh.plnk" });
	expect_ok(tb_finish(a), NULL);

	lstat_in("d/gone", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	lstat_in("top", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_false(exists_in("d/.wh.gone"));
	assert_false(exists_in("d/.wh..wh.plnk"));
	assert_false(exists_in("o/.wh..wh..opq"));
	snprintf(path, sizeof(path), "%s/o", dest);
	assert_int_equal(getxattr(path, "trusted.overlay.opaque", val,
				  sizeof(val)), 1);
	assert_string_equal(val, "y");
	snprintf(path, sizeof(path), "%s/new", dest);
	assert_int_equal(getxattr(path, "trusted.overlay.opaque", val,
				  sizeof(val)), 1);
}

static void test_not_a_layer(void **state)
{
	char junk[4096];
	char *z = malloc(MIB);
	size_t len;

	(void)state;
	assert_non_null(z);
	memset(junk, 'x', sizeof(junk));
	expect_refused(memfd_of(junk, sizeof(junk)), NULL, "layer " NAME ": ");
	expect_refused(memfd_of("", 0), NULL, "layer " NAME ": ");
	/* a gzip stream cut in half */
	len = compress('g', junk, sizeof(junk), 4 * MIB, z, MIB);
	expect_refused(memfd_of(z, len / 2), NULL, "layer " NAME ": ");
	free(z);
	assert_base_clean();
}

/* ---- hostile layers ---------------------------------------------------- */

static void test_dotdot_refused(void **state)
{
	const char *names[] = { "../pwned", "a/../../pwned", "./../sentinel/x",
				"/../pwned" };

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		struct archive *a = tb_new(0);
		char want[128];

		tb_put(a, (struct ent){ .path = names[i], .data = "x" });
		snprintf(want, sizeof(want),
			 "layer " NAME ": entry '%s' escapes the layer",
			 names[i]);
		expect_refused(tb_finish(a), NULL, want);
	}
	assert_base_clean();
}

static void test_absolute_confined(void **state)
{
	struct archive *a = tb_new(0);
	char abs[160];

	(void)state;
	snprintf(abs, sizeof(abs), "%s/pwned", sentinel);
	tb_put(a, (struct ent){ .path = "/x", .data = "x" });
	tb_put(a, (struct ent){ .path = abs, .data = "x" });
	tb_put(a, (struct ent){ .path = "a/./b/../c", .data = "c" });
	expect_ok(tb_finish(a), NULL);
	assert_content("x", "x");
	assert_content(abs + 1, "x");
	assert_content("a/c", "c");
	assert_base_clean();
}

/* "a" -> the sentinel's absolute path, then "a/pwned": refused while
 * dest/<sentinel> does not exist, and inside dest once it does. */
static void test_symlink_absolute_escape(void **state)
{
	struct archive *a = tb_new(0);
	char inside[160];

	(void)state;
	tb_put(a, (struct ent){ .path = "a", .type = AE_IFLNK,
				.link = sentinel });
	tb_put(a, (struct ent){ .path = "a/pwned", .data = "pwned" });
	expect_refused(tb_finish(a), NULL,
		       "entry 'a/pwned' lies below a dangling symlink");
	assert_base_clean();

	assert_int_equal(teardown(state), 0);
	assert_int_equal(setup(state), 0);
	a = tb_new(0);
	tb_put(a, (struct ent){ .path = sentinel + 1, .type = AE_IFDIR });
	tb_put(a, (struct ent){ .path = "a", .type = AE_IFLNK,
				.link = sentinel });
	tb_put(a, (struct ent){ .path = "a/pwned", .data = "pwned" });
	tb_put(a, (struct ent){ .path = "a/file", .data = "over" });
	expect_ok(tb_finish(a), NULL);
	snprintf(inside, sizeof(inside), "%s/pwned", sentinel + 1);
	assert_content(inside, "pwned");
	snprintf(inside, sizeof(inside), "%s/file", sentinel + 1);
	assert_content(inside, "over");
	assert_base_clean();
}

/* ".." in a symlink target stops at the layer root. */
static void test_symlink_relative_escape(void **state)
{
	struct archive *a = tb_new(0);

	(void)state;
	tb_put(a, (struct ent){ .path = "a", .type = AE_IFLNK,
				.link = "../../.." });
	tb_put(a, (struct ent){ .path = "a/pwned", .data = "pwned" });
	tb_put(a, (struct ent){ .path = "s", .type = AE_IFLNK,
				.link = "../sentinel" });
	tb_put(a, (struct ent){ .path = "s/", .type = AE_IFDIR });
	expect_ok(tb_finish(a), NULL);
	assert_content("pwned", "pwned");
	assert_base_clean();
}

static void test_hardlink_escape(void **state)
{
	char abs[160];
	struct {
		const char *target, *want;
	} cases[] = {
		{ "/etc/passwd", "entry 'h': resolving its hard link target" },
		{ "../sentinel/file", "entry 'h' escapes the layer" },
		{ abs, "entry 'h': resolving its hard link target" },
		{ "s/file", "entry 'h': resolving its hard link target" },
		{ "/", "entry 'h' is a hard link to a directory" },
	};

	(void)state;
	snprintf(abs, sizeof(abs), "%s/file", sentinel);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct archive *a = tb_new(0);

		tb_put(a, (struct ent){ .path = "s", .type = AE_IFLNK,
					.link = "../sentinel" });
		tb_put(a, (struct ent){ .path = "h", .link = cases[i].target,
					.hard = true });
		expect_refused(tb_finish(a), NULL, cases[i].want);
		assert_false(exists_in("h"));
	}
	assert_base_clean();
}

/* A directory replaced by a symlink, then written through. */
static void test_dir_replaced_by_symlink(void **state)
{
	struct archive *a = tb_new(0);
	struct stat st;

	(void)state;
	tb_put(a, (struct ent){ .path = "d/", .type = AE_IFDIR });
	tb_put(a, (struct ent){ .path = "d/f", .data = "f" });
	tb_put(a, (struct ent){ .path = "d", .type = AE_IFLNK,
				.link = sentinel });
	tb_put(a, (struct ent){ .path = "d/pwned", .data = "pwned" });
	expect_refused(tb_finish(a), NULL,
		       "entry 'd/pwned' lies below a dangling symlink");
	lstat_in("d", &st);
	assert_true(S_ISLNK(st.st_mode));
	assert_base_clean();

	a = tb_new(0);
	tb_put(a, (struct ent){ .path = "e/", .type = AE_IFDIR });
	tb_put(a, (struct ent){ .path = "e", .type = AE_IFLNK,
				.link = "../.." });
	tb_put(a, (struct ent){ .path = "e/sentinel/pwned", .data = "pwned" });
	expect_ok(tb_finish(a), NULL);
	assert_content("sentinel/pwned", "pwned");
	assert_base_clean();
}

static void test_devices(void **state)
{
	struct layer_limits allow = { .allow_devices = true };
	struct layer_result res;
	berr_t err = NULL;
	struct archive *a;
	struct stat st;

	(void)state;
	a = tb_new(0);
	tb_put(a, (struct ent){ .path = "dev/sda", .type = AE_IFBLK,
				.major = 8, .minor = 0 });
	expect_refused(tb_finish(a), NULL,
		       "layer " NAME ": entry 'dev/sda' is a device node, "
		       "refused");
	assert_false(exists_in("dev")); /* refused before its parents */

	a = tb_new(0);
	tb_put(a, (struct ent){ .path = "dev/null", .type = AE_IFCHR,
				.major = 1, .minor = 3 });
	expect_refused(tb_finish(a), NULL, "entry 'dev/null' is a device node");

	a = tb_new(0);
	tb_put(a, (struct ent){ .path = "dev/null", .type = AE_IFCHR,
				.perm = 0666, .major = 1, .minor = 3 });
	if (unpack_fd(tb_finish(a), &allow, &res, &err) < 0)
		fail_msg("allowed device refused: %s", err_msg(err));
	lstat_in("dev/null", &st);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(1, 3));
	assert_int_equal(st.st_mode & 07777, 0666);
	assert_base_clean();
}

static uint64_t disk_used;

static int add_size(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)path;
	(void)flag;
	(void)ftw;
	disk_used += (uint64_t)st->st_blocks * 512;
	return 0;
}

/* 64 MiB of zeros in a gzip layer of a few dozen KiB, capped at 1 MiB:
 * refused before a byte is written. */
static void test_size_bomb(void **state)
{
	struct layer_limits lim = { .max_bytes = MIB };
	struct archive *a = tb_new('g');

	(void)state;
	tb_put(a, (struct ent){ .path = "small", .data = "ok" });
	tb_zeros(a, "zeros", 64 * MIB);
	assert_true(tarused < MIB);
	expect_refused(tb_finish(a), &lim,
		       "layer " NAME ": larger than 1048576 bytes "
		       "uncompressed");
	disk_used = 0;
	assert_int_equal(nftw(dest, add_size, 16, FTW_PHYS), 0);
	assert_true(disk_used < 2 * MIB);
	assert_base_clean();
}

/* Many files just under the cap each, summing over it. */
static void test_size_sum(void **state)
{
	struct layer_limits lim = { .max_bytes = 3 * MIB };
	struct archive *a = tb_new('z');
	char name[16];

	(void)state;
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		tb_zeros(a, name, MIB);
	}
	expect_refused(tb_finish(a), &lim, "(at entry 'f3')");
	assert_false(exists_in("f3"));
}

/* Junk after the end marker is hashed, so it is capped too. */
static void test_stream_bomb(void **state)
{
	struct layer_limits lim = { .max_bytes = MIB };
	char *z = malloc(4 * MIB);
	struct archive *a = tb_new(0);
	size_t len;

	(void)state;
	assert_non_null(z);
	tb_put(a, (struct ent){ .path = "f", .data = "x" });
	assert_true(tb_finish(a) >= 0);
	len = compress('z', tarbuf, tarused, 80 * MIB, z, 4 * MIB);
	expect_refused(memfd_of(z, len), &lim,
		       "layer " NAME ": uncompressed stream larger than");
	free(z);
}

static void test_entry_cap(void **state)
{
	struct layer_limits lim = { .max_entries = 5 };
	struct archive *a = tb_new(0);
	char name[16];
	int n = 0;

	(void)state;
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		tb_put(a, (struct ent){ .path = name });
	}
	expect_refused(tb_finish(a), &lim,
		       "layer " NAME ": more than 5 entries");
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		n += exists_in(name);
	}
	assert_int_equal(n, 5);
}

static void test_odd_names(void **state)
{
	struct archive *a;
	char long_name[PATH_MAX + 16];

	(void)state;
	memset(long_name, 'a', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	a = tb_new(0);
	tb_put(a, (struct ent){ .path = long_name, .data = "x" });
	expect_refused(tb_finish(a), NULL, "has a name over PATH_MAX");

	a = tb_new(0);
	tb_put(a, (struct ent){ .path = "evil\nname/../../x", .data = "x" });
	expect_refused(tb_finish(a), NULL, "entry 'evil?name/../../x' escapes");

	a = tb_new(0);
	tb_put(a, (struct ent){ .path = "d/.wh..", .data = "" });
	expect_refused(tb_finish(a), NULL, "is a whiteout of nothing");

	a = tb_new(0);
	tb_put(a, (struct ent){ .path = ".", .type = AE_IFLNK, .link = "x" });
	expect_refused(tb_finish(a), NULL, "names the layer root");
	assert_base_clean();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest wellformed[] = {
		T(test_files_dirs_owners),
		T(test_later_entries_replace),
		T(test_links_inside),
		T(test_xattrs),
		T(test_diff_id),
		T(test_whiteouts),
		T(test_not_a_layer),
	};
	const struct CMUnitTest hostile[] = {
		T(test_dotdot_refused),
		T(test_absolute_confined),
		T(test_symlink_absolute_escape),
		T(test_symlink_relative_escape),
		T(test_hardlink_escape),
		T(test_dir_replaced_by_symlink),
		T(test_devices),
		T(test_size_bomb),
		T(test_size_sum),
		T(test_stream_bomb),
		T(test_entry_cap),
		T(test_odd_names),
	};
	int failed;

	tarbuf = malloc(TARBUF_SIZE);
	if (!tarbuf)
		return 1;
	failed = cmocka_run_group_tests_name("layer", wellformed, NULL, NULL);
	failed += cmocka_run_group_tests_name("layer hostile", hostile, NULL,
					      NULL);
	failed += cmocka_run_group_tests_name("layer hostile, openat2 fallback",
					      hostile, fallback_on,
					      fallback_off);
	free(tarbuf);
	return failed ? 1 : 0;
}
