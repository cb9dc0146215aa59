#include "build/context.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/syscalls.h"

#define IGNORE_MAX (1 << 20)
#define MATCHES_MAX 100000

int context_open(const char *path, bool dockerignore, struct build_context *c,
		 berr_t *err)
{
	cleanup_free char *text = NULL;
	size_t len = 0;
	berr_t missing = NULL;

	memset(&c->ignore, 0, sizeof(c->ignore));
	c->path = realpath(path, NULL);
	if (!c->path)
		return err_sys(err, "build context '%s'", path);
	c->fd = open(c->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (c->fd < 0) {
		err_sys(err, "build context '%s'", path);
		free(c->path);
		return -1;
	}
	if (!dockerignore)
		return 0;
	if (fs_read_regular_at(c->fd, ".dockerignore", IGNORE_MAX, &text, &missing) < 0) {
		bool absent = missing->errnum == ENOENT;

		if (!absent)
			err_set(err, missing->errnum, "%s", err_msg(missing));
		err_free(&missing);
		if (absent)
			return 0;
		context_close(c);
		return -1;
	}
	len = strlen(text);
	if (ignore_parse(text, len, ".dockerignore", &c->ignore, err) < 0) {
		context_close(c);
		return -1;
	}
	return 0;
}

void context_close(struct build_context *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->path);
	c->path = NULL;
	ignore_clear(&c->ignore);
}

/* An excluded directory is still entered when an exception pattern may
 * bring back something below it. */
static bool excluded(const struct build_context *c, const char *rel, bool is_dir)
{
	return ignore_excludes(&c->ignore, rel) &&
	       !(is_dir && ignore_may_include_below(&c->ignore, rel));
}

static bool has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int join(const char *dir, const char *name, char out[PATH_MAX], berr_t *err)
{
	if (snprintf(out, PATH_MAX, "%s%s%s", dir, *dir ? "/" : "", name) >= PATH_MAX)
		return err_set(err, ENAMETOOLONG, "'%s/%s': path too long", dir, name);
	return 0;
}

/* Open rel below the context; leaving it is an error that says so. */
static int open_below(const struct build_context *c, const char *rel, int flags,
		      berr_t *err)
{
	int fd = sys_openat_beneath(c->fd, *rel ? rel : ".", flags);

	if (fd < 0 && errno == EXDEV)
		return err_set(err, EXDEV, "'%s' leads out of the build context (through a symlink)", rel);
	if (fd < 0)
		return err_sys(err, "'%s' in the build context", rel);
	return fd;
}

/* Entries of dir matching one glob component, appended to out. */
static int glob_dir(const struct build_context *c, const char *dir, const char *pat,
		    char ***out, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	int fd = open_below(c, dir, O_RDONLY | O_DIRECTORY, err);
	struct dirent *de;
	char path[PATH_MAX];

	if (fd < 0 && ((*err)->errnum == ENOTDIR || (*err)->errnum == ENOENT)) {
		err_free(err);
		return 0; /* a candidate that is not a directory has no entries */
	}
	if (fd < 0)
		return -1;
	if (!(d = fdopendir(fd))) {
		close(fd);
		return err_sys(err, "read '%s' in the build context", dir);
	}
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..") ||
		    fnmatch(pat, de->d_name, 0) != 0)
			continue;
		if (join(dir, de->d_name, path, err) < 0)
			return -1;
		if (strv_len(*out) == MATCHES_MAX)
			return err_set(err, E2BIG, "more than %d matches", MATCHES_MAX);
		if (strv_push(out, path) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Extend every candidate by one pattern component. */
static int step(const struct build_context *c, char **cands, const char *comp,
		char ***next, berr_t *err)
{
	char path[PATH_MAX];

	for (size_t i = 0; cands[i]; i++) {
		if (has_glob(comp)) {
			if (glob_dir(c, cands[i], comp, next, err) < 0)
				return -1;
			continue;
		}
		if (join(cands[i], comp, path, err) < 0 || strv_push(next, path) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* Cleaned components; an absolute path or one above the context is an
 * error. */
static int components(const char *pattern, char ***out, berr_t *err)
{
	cleanup_free char *copy = strdup(pattern);
	char *save = NULL;

	if (!copy)
		return err_set(err, ENOMEM, "out of memory");
	if (pattern[0] == '/')
		return err_set(err, EINVAL, "'%s': an absolute source; sources are paths in the build context", pattern);
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		size_t n = strv_len(*out);

		if (!strcmp(p, "."))
			continue;
		if (!strcmp(p, "..")) {
			if (!n)
				return err_set(err, EXDEV, "'%s' is outside the build context", pattern);
			free((*out)[n - 1]);
			(*out)[n - 1] = NULL;
			continue;
		}
		if (strv_push(out, p) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

static int compare(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Keep the candidates that exist and are not ignored.  A named source
 * must stay in the context; a glob's match that leads out is only not a
 * match. */
static int keep_existing(const struct build_context *c, char **cands, bool globbed,
			 char ***out, berr_t *err)
{
	for (size_t i = 0; cands[i]; i++) {
		int fd;

		if (*cands[i] && ignore_excludes(&c->ignore, cands[i]))
			continue;
		fd = open_below(c, cands[i], O_PATH, err);
		if (fd < 0 && ((*err)->errnum == ENOENT || (*err)->errnum == ENOTDIR ||
			       (globbed && (*err)->errnum == EXDEV))) {
			err_free(err);
			continue;
		}
		if (fd < 0)
			return -1;
		close(fd);
		if (strv_push(out, cands[i]) < 0)
			return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int context_glob(const struct build_context *c, const char *pattern,
		 char ***out, berr_t *err)
{
	cleanup_strv char **comps = NULL, **cands = NULL, **found = NULL;

	if (components(pattern, &comps, err) < 0 || strv_push(&cands, "") < 0)
		return -1;
	for (size_t i = 0; comps && comps[i]; i++) {
		char **next = calloc(1, sizeof(char *));

		if (!next || step(c, cands, comps[i], &next, err) < 0) {
			strv_free(next);
			return next ? -1 : err_set(err, ENOMEM, "out of memory");
		}
		strv_free(cands);
		cands = next;
	}
	if (keep_existing(c, cands, has_glob(pattern), &found, err) < 0)
		return -1;
	if (!found)
		return err_set(err, ENOENT, "'%s': no such file in the build context%s", pattern,
			       c->ignore.n ? " (or excluded by .dockerignore)" : "");
	qsort(found, strv_len(found), sizeof(char *), compare);
	*out = found;
	found = NULL;
	return 0;
}

/* Where path leads, symlinks followed below the context: the parent
 * directory ("" for the context itself) and the last component ("." for
 * the context itself). */
static int context_resolve(const struct build_context *c, const char *path,
			   char parent[PATH_MAX], char name[NAME_MAX + 1], berr_t *err)
{
	cleanup_close int fd = open_below(c, path, O_PATH, err);
	char link[64], real[PATH_MAX];
	size_t top = strlen(c->path);
	const char *rel, *slash;
	ssize_t n;

	if (fd < 0)
		return -1;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, real, sizeof(real) - 1);
	if (n < 0)
		return err_sys(err, "resolve '%s' in the build context", path);
	real[n] = '\0';
	if (strncmp(real, c->path, top) || (real[top] && real[top] != '/'))
		return err_set(err, EXDEV, "'%s' leads out of the build context", path);
	rel = real[top] ? real + top + 1 : ".";
	slash = strrchr(rel, '/');
	snprintf(parent, PATH_MAX, "%.*s", slash ? (int)(slash - rel) : 0, rel);
	snprintf(name, NAME_MAX + 1, "%s", slash ? slash + 1 : rel);
	return 0;
}

/* ---- hashing ---------------------------------------------------------- */

struct hasher {
	const struct build_context *c;
	struct sha256 *h;
	int depth;
	berr_t *err;
};

static int feed(struct hasher *k, const void *data, size_t len)
{
	return sha256_update(k->h, data, len, k->err);
}

static int feed_file(struct hasher *k, int fd)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(k->err, "read a build context file");
		if (feed(k, buf, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

static int hash_path(struct hasher *k, int dirfd, const char *name, const char *rel);

/* Entries sorted, so the hash does not depend on readdir's order. */
static int hash_dir(struct hasher *k, int fd, const char *rel)
{
	struct dirent **list = NULL;
	char path[PATH_MAX];
	int n, r = 0;

	if (++k->depth > 256)
		return err_set(k->err, ELOOP, "'%s': directories nested too deep", rel);
	n = scandirat(fd, ".", &list, NULL, alphasort);
	if (n < 0)
		return err_sys(k->err, "read '%s' in the build context", rel);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		if (r == 0 && strcmp(name, ".") && strcmp(name, "..") &&
		    (r = join(rel, name, path, k->err)) == 0 &&
		    !excluded(k->c, path, list[i]->d_type == DT_DIR))
			r = hash_path(k, fd, name, path);
		free(list[i]);
	}
	free(list);
	k->depth--;
	return r;
}

/* Name, type and mode, then the content: file bytes, a link's target,
 * or the directory's entries. */
static int hash_path(struct hasher *k, int dirfd, const char *name, const char *rel)
{
	cleanup_close int fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int data = -1;
	char head[PATH_MAX + 64], target[PATH_MAX];
	struct stat st;
	ssize_t n;
	int len;

	if (fd < 0 || fstat(fd, &st) < 0)
		return err_sys(k->err, "'%s' in the build context", rel);
	len = snprintf(head, sizeof(head), "%s%c%o%c", rel, 0, (unsigned)st.st_mode, 0);
	if (feed(k, head, (size_t)len) < 0)
		return -1;
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(fd, "", target, sizeof(target));
		return n < 0 ? err_sys(k->err, "readlink '%s'", rel) : feed(k, target, (size_t)n);
	}
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
		data = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
			      (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK));
		if (data < 0)
			return err_sys(k->err, "open '%s' in the build context", rel);
		return S_ISDIR(st.st_mode) ? hash_dir(k, data, rel) : feed_file(k, data);
	}
	return 0;
}

/* A top-level source is followed if it is a symlink (below the context,
 * as COPY does), then hashed as what it leads to. */
int context_hash(const struct build_context *c, char *const *paths,
		 struct sha256 *h, berr_t *err)
{
	struct hasher k = { .c = c, .h = h, .err = err };

	for (size_t i = 0; paths[i]; i++) {
		char parent[PATH_MAX], name[NAME_MAX + 1], rel[PATH_MAX];
		cleanup_close int pfd = -1;

		if (context_resolve(c, paths[i], parent, name, err) < 0 ||
		    join(parent, name, rel, err) < 0)
			return -1;
		pfd = open_below(c, parent, O_RDONLY | O_DIRECTORY, err);
		if (pfd < 0 || hash_path(&k, pfd, name, rel) < 0)
			return -1;
	}
	return 0;
}

/* ---- copying ---------------------------------------------------------- */

static bool skip_ignored(void *ctx, const char *rel, bool is_dir)
{
	return excluded(ctx, rel, is_dir);
}

int context_copy(const struct build_context *c, const char *path, int ddir,
		 const char *dname, struct tree_copy_opts *o, berr_t *err)
{
	char parent[PATH_MAX], name[NAME_MAX + 1], rel[PATH_MAX];
	cleanup_close int pfd = -1, src = -1, dst = -1;
	struct stat st;

	o->skip = skip_ignored;
	o->skip_ctx = (void *)c;
	if (context_resolve(c, path, parent, name, err) < 0 || join(parent, name, rel, err) < 0)
		return -1;
	pfd = open_below(c, parent, O_RDONLY | O_DIRECTORY, err);
	if (pfd < 0 || fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return pfd < 0 ? -1 : err_sys(err, "'%s' in the build context", path);
	if (!S_ISDIR(st.st_mode))
		return tree_copy_entry(pfd, name, ddir, dname, rel, o, err);
	/* A directory: its contents, into dname. */
	if (mkdirat(ddir, dname, 0755) < 0 && errno != EEXIST)
		return err_sys(err, "mkdir '%s'", dname);
	src = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	dst = openat(ddir, dname, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (src < 0 || dst < 0)
		return err_sys(err, "copy '%s'", path);
	return tree_copy_contents(src, dst, strcmp(rel, ".") ? rel : "", o, err);
}
