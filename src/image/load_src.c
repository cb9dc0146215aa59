/* Reading the input of `berth load`: a tar (any compression libarchive
 * knows) is streamed once, every regular file going straight into the
 * blob store; a directory is read file by file, never outside it. */
#include "image/load_src.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/syscalls.h"
#include "image/store_internal.h"

/* An archive of more files than this is not an image export. */
#define LOAD_ENTRIES_MAX 100000
#define LINK_HOPS_MAX 16

static const char *const small_names[] = {
	"manifest.json", "index.json", "oci-layout", "repositories", NULL,
};

static bool is_small(const char *path)
{
	for (size_t i = 0; small_names[i]; i++)
		if (strcmp(path, small_names[i]) == 0)
			return true;
	return false;
}

/* Lexically clean a path relative to the input's root ("./a//b/../c" ->
 * "a/c"); absolute paths and ".." above the root are refused. */
static int path_clean(const char *in, char out[PATH_MAX], berr_t *err)
{
	size_t len = 0;

	if (in[0] == '/')
		return err_set(err, EINVAL, "'%.200s' is an absolute path", in);
	for (const char *p = in; *p;) {
		size_t n = strcspn(p, "/");

		if (n == 2 && p[0] == '.' && p[1] == '.') {
			if (len == 0)
				return err_set(err, EINVAL, "'%.200s' points outside the archive", in);
			while (len > 0 && out[len - 1] != '/')
				len--;
			len = len > 0 ? len - 1 : 0;
		} else if (n > 0 && !(n == 1 && p[0] == '.')) {
			if (len + n + 2 >= PATH_MAX)
				return err_set(err, ENAMETOOLONG, "'%.200s': path too long", in);
			if (len > 0)
				out[len++] = '/';
			memcpy(out + len, p, n);
			len += n;
		}
		p += n + (p[n] == '/');
	}
	out[len] = '\0';
	return 0;
}

/* The digest a path names, if any: "blobs/sha256/<hex>" (OCI layouts,
 * newer docker) or "<hex>.json" (the config of older docker archives). */
static int expected_digest(const char *path, char digest[DIGEST_MAX], berr_t *err)
{
	const char *hex = NULL;
	size_t n = strlen(path);

	digest[0] = '\0';
	if (strncmp(path, "blobs/sha256/", 13) == 0)
		hex = path + 13;
	else if (n == 64 + 5 && strcmp(path + 64, ".json") == 0 &&
		 strspn(path, "0123456789abcdef") == 64)
		hex = path;
	if (!hex)
		return 0;
	snprintf(digest, DIGEST_MAX, "sha256:%.64s", hex);
	if (!digest_valid(digest) || (hex == path + 13 && strlen(hex) != 64))
		return err_set(err, EINVAL, "archive entry '%.200s': not named by a sha256 digest", path);
	return 0;
}

static int add_path(json_t *map, const char *path, const char *value, berr_t *err)
{
	if (json_object_set_new(map, path, json_string(value)) < 0)
		return err_set(err, EINVAL, "archive entry '%.200s': name is not valid UTF-8", path);
	return 0;
}

/* A symlink's target, relative to the link's directory; hard link
 * targets are already relative to the archive's root.  Targets that
 * leave the archive are simply not recorded (nothing can use them). */
static int add_link(struct load_src *src, const char *path, struct archive_entry *e,
		    berr_t *err)
{
	const char *hard = archive_entry_hardlink(e);
	const char *soft = archive_entry_symlink(e);
	char joined[PATH_MAX * 2], target[PATH_MAX];
	const char *slash = strrchr(path, '/');
	berr_t ignored = NULL;

	if (hard)
		snprintf(joined, sizeof(joined), "%s", hard);
	else
		snprintf(joined, sizeof(joined), "%.*s%s%s", slash ? (int)(slash - path) : 0,
			 path, slash ? "/" : "", soft ? soft : "");
	if (strlen(joined) >= PATH_MAX || path_clean(joined, target, &ignored) < 0) {
		err_free(&ignored);
		return 0;
	}
	return add_path(src->links, path, target, err);
}

static int read_small_entry(struct load_src *src, struct archive *a,
			    const char *path, berr_t *err)
{
	cleanup_free char *buf = malloc(STORE_JSON_MAX + 1);
	size_t len = 0;
	la_ssize_t n;

	if (!buf)
		return err_sys(err, "archive entry '%s'", path);
	while ((n = archive_read_data(a, buf + len, STORE_JSON_MAX + 1 - len)) > 0) {
		len += (size_t)n;
		if (len > STORE_JSON_MAX)
			return err_set(err, EFBIG, "archive entry '%s': larger than %zu bytes",
				       path, STORE_JSON_MAX);
	}
	if (n < 0)
		return err_set(err, EIO, "archive entry '%s': %s", path, archive_error_string(a));
	if (json_object_set_new(src->small, path, json_stringn(buf, len)) < 0)
		return err_set(err, EINVAL, "archive entry '%s': not UTF-8 text", path);
	return 0;
}

/* Stream a regular file into the blob store, checked against the digest
 * its name carries, if any. */
static int read_blob_entry(struct load_src *src, struct archive *a,
			   const char *path, berr_t *err)
{
	char expect[DIGEST_MAX], digest[DIGEST_MAX];
	struct blob_writer w;
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	if (expected_digest(path, expect, err) < 0 ||
	    blob_writer_open(src->s, &w, err) < 0)
		return -1;
	/* Sparse entries come as blocks at offsets; the holes are zeros. */
	while ((r = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK) {
		static const char zeros[4096];

		while ((uint64_t)off > w.size &&
		       blob_writer_write(&w, zeros, (uint64_t)off - w.size > sizeof(zeros)
				       ? sizeof(zeros) : (size_t)((uint64_t)off - w.size), err) == 0)
			;
		if ((uint64_t)off > w.size || blob_writer_write(&w, buf, size, err) < 0) {
			blob_writer_abort(&w);
			return err_prefix(err, "archive entry '%s'", path);
		}
	}
	if (r != ARCHIVE_EOF) {
		blob_writer_abort(&w);
		return err_set(err, EIO, "archive entry '%s': %s", path, archive_error_string(a));
	}
	if (blob_writer_commit(&w, expect[0] ? expect : NULL, digest, NULL, err) < 0)
		return err_prefix(err, "archive entry '%s'", path);
	return add_path(src->files, path, digest, err);
}

static int read_entry(struct load_src *src, struct archive *a,
		      struct archive_entry *e, berr_t *err)
{
	char path[PATH_MAX];
	mode_t type = archive_entry_filetype(e);
	const char *name = archive_entry_pathname(e);

	if (!name)
		return err_set(err, EINVAL, "archive entry without a name");
	if (path_clean(name, path, err) < 0)
		return err_prefix(err, "archive entry");
	if (!path[0] || type == AE_IFDIR)
		return 0;
	if (archive_entry_hardlink(e) || type == AE_IFLNK)
		return add_link(src, path, e, err);
	if (type != AE_IFREG)
		return 0; /* devices and fifos have no place in an image export */
	if (is_small(path))
		return read_small_entry(src, a, path, err);
	return read_blob_entry(src, a, path, err);
}

/* Errors leave naming the input to the caller. */
static int read_tar(struct load_src *src, int fd, berr_t *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	size_t count = 0;
	int r = 0, ar;

	if (!a)
		return err_set(err, ENOMEM, "out of memory");
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	if (archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK) {
		r = err_set(err, EINVAL, "%s", archive_error_string(a));
		goto out;
	}
	while ((ar = archive_read_next_header(a, &e)) == ARCHIVE_OK) {
		if (++count > LOAD_ENTRIES_MAX) {
			r = err_set(err, E2BIG, "more than %d entries", LOAD_ENTRIES_MAX);
			goto out;
		}
		if ((r = read_entry(src, a, e, err)) < 0)
			goto out;
	}
	if (ar != ARCHIVE_EOF)
		r = err_set(err, EINVAL, "%s", archive_error_string(a));
	else if (count == 0)
		r = err_set(err, EINVAL, "empty archive");
out:
	archive_read_free(a);
	return r < 0 ? -1 : 0;
}

int load_src_open(struct store *s, const char *path, struct load_src *src,
		  berr_t *err)
{
	cleanup_close int fd = -1;
	struct stat st;

	memset(src, 0, sizeof(*src));
	src->s = s;
	src->dirfd = -1;
	src->files = json_object();
	src->links = json_object();
	src->small = json_object();
	if (!src->files || !src->links || !src->small) {
		load_src_close(src);
		return err_set(err, ENOMEM, "load: out of memory");
	}
	fd = strcmp(path, "-") == 0 ? dup(0) : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		err_sys(err, "open");
		load_src_close(src);
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		src->dirfd = take_fd(fd);
		return 0;
	}
	if (read_tar(src, fd, err) < 0) {
		load_src_close(src);
		return -1;
	}
	return 0;
}

void load_src_close(struct load_src *src)
{
	if (src->dirfd >= 0)
		close(src->dirfd);
	src->dirfd = -1;
	json_decref(src->files);
	json_decref(src->links);
	json_decref(src->small);
	src->files = src->links = src->small = NULL;
}

/* Follow the archive's links to a stored file. */
static const char *tar_lookup(struct load_src *src, const char *path)
{
	for (int hop = 0; hop <= LINK_HOPS_MAX; hop++) {
		json_t *d = json_object_get(src->files, path);

		if (d)
			return json_string_value(d);
		path = json_string_value(json_object_get(src->links, path));
		if (!path)
			return NULL;
	}
	return NULL;
}

/* A file of a directory input: opened inside the directory only (a
 * symlink in it cannot reach the host's files), stored once. */
static int dir_blob(struct load_src *src, const char *path, const char *expect,
		    berr_t *err)
{
	cleanup_close int fd = sys_openat_in_root(src->dirfd, path,
						  O_RDONLY | O_NONBLOCK | O_CLOEXEC, 0);
	char digest[DIGEST_MAX];
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return err_set(err, ENOENT, "'%.200s' is not in the image layout", path);
	if (fd < 0 || fstat(fd, &st) < 0)
		return err_sys(err, "open '%.200s'", path);
	if (!S_ISREG(st.st_mode))
		return err_set(err, EINVAL, "'%.200s' is not a regular file", path);
	if (store_blob_put_fd(src->s, fd, expect, digest, NULL, err) < 0)
		return err_prefix(err, "'%.200s'", path);
	return add_path(src->files, path, digest, err);
}

int load_src_blob(struct load_src *src, const char *path, const char *expect,
		  char digest[DIGEST_MAX], berr_t *err)
{
	char clean[PATH_MAX];
	const char *found;

	if (path_clean(path, clean, err) < 0)
		return -1;
	found = tar_lookup(src, clean);
	if (!found && src->dirfd >= 0) {
		if (dir_blob(src, clean, expect, err) < 0)
			return -1;
		found = tar_lookup(src, clean);
	}
	if (!found)
		return err_set(err, ENOENT, "'%.200s' is not in the archive", path);
	if (expect && strcmp(expect, found) != 0)
		return err_set(err, EINVAL, "'%.200s': content has digest %s, expected %s",
			       path, found, expect);
	snprintf(digest, DIGEST_MAX, "%s", found);
	return 0;
}

static int dir_small(struct load_src *src, const char *name, char **text,
		     size_t *len, berr_t *err)
{
	char digest[DIGEST_MAX];
	int r = load_src_blob(src, name, NULL, digest, err);

	if (r < 0 && (*err)->errnum == ENOENT) {
		err_free(err);
		*text = NULL;
		return 0;
	}
	if (r < 0)
		return -1;
	/* Stored as a blob like any file: small, and collected later. */
	return store_blob_read(src->s, digest, STORE_JSON_MAX, text, len, err);
}

int load_src_small(struct load_src *src, const char *name, char **text,
		   size_t *len, berr_t *err)
{
	json_t *v;

	*text = NULL;
	if (src->dirfd >= 0)
		return dir_small(src, name, text, len, err);
	v = json_object_get(src->small, name);
	if (!v)
		return 0;
	*text = malloc(json_string_length(v) + 1);
	if (!*text)
		return err_sys(err, "read '%s'", name);
	memcpy(*text, json_string_value(v), json_string_length(v) + 1);
	*len = json_string_length(v);
	return 0;
}
