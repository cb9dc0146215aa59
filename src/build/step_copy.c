/* COPY and ADD: sources from the build context (or, with --from, from
 * another stage's or image's root) written into an overlay of the stage
 * so far; the overlay's writable layer becomes the step's layer.  ADD
 * also unpacks local tar archives; it fetches no URLs. */
#include <archive.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/steps.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/syscalls.h"
#include "common/tree_copy.h"
#include "container/config.h"
#include "container/rootfs.h"
#include "image/layer.h"
#include "image/layer_pack.h"
#include "image/store_internal.h"

#define ADD_TAR_MAX (8ULL << 30)

struct copy_args {
	char **srcs;
	char dest[PATH_MAX];
	bool dest_is_dir;     /* a trailing '/' */
	const char *from, *chown, *chmod;
	bool add;
};

static void copy_args_clear(struct copy_args *a)
{
	strv_free(a->srcs);
}

static int parse_flags(const struct df_instruction *in, struct copy_args *a, berr_t *err)
{
	for (char *const *f = in->flags; *f; f++) {
		if (!strncmp(*f, "--from=", 7) && !a->add)
			a->from = *f + 7;
		else if (!strncmp(*f, "--chown=", 8))
			a->chown = *f + 8;
		else if (!strncmp(*f, "--chmod=", 8))
			a->chmod = *f + 8;
		else if (strcmp(*f, "--link") && strcmp(*f, "--link=true"))
			return err_set(err, EINVAL, "%s: unknown flag '%s'", in->keyword, *f);
	}
	return 0;
}

/* Sources and destination, variables expanded; a relative destination
 * is under WORKDIR. */
static int parse_copy(struct build *b, struct stage *st, const struct df_instruction *in,
		      struct copy_args *a, berr_t *err)
{
	struct vars v = { .st = st, .args = b->args };
	struct words_opts wo;
	cleanup_strv char **words = NULL;
	const char *wd = json_string_value(json_object_get(st->meta.config, "WorkingDir"));
	size_t n;
	char *dest;

	a->add = !strcmp(in->keyword, "ADD");
	vars_opts(b, &v, &wo);
	if (parse_flags(in, a, err) < 0)
		return -1;
	for (size_t i = 0; in->argv && in->argv[i]; i++) {
		cleanup_free char *w = NULL;

		if (words_expand_one(in->argv[i], &wo, &w, err) < 0 || strv_push(&words, w) < 0)
			return *err ? -1 : err_set(err, ENOMEM, "out of memory");
	}
	if (!in->argv && words_expand(in->args, &wo, &words, err) < 0)
		return -1;
	n = strv_len(words);
	if (n < 2)
		return err_set(err, EINVAL, "%s needs a source and a destination", in->keyword);
	dest = words[n - 1];
	a->dest_is_dir = dest[strlen(dest) - 1] == '/';
	if (snprintf(a->dest, sizeof(a->dest), "%s%s%s", dest[0] == '/' ? "" : (wd ? wd : "/"),
		     dest[0] == '/' || (wd && wd[strlen(wd) - 1] == '/') ? "" : "/", dest) >=
	    (int)sizeof(a->dest))
		return err_set(err, ENAMETOOLONG, "%s: destination too long", in->keyword);
	free(words[n - 1]);
	words[n - 1] = NULL;
	for (char *const *s = words; a->add && *s; s++)
		if (strstr(*s, "://"))
			return err_set(err, EINVAL, "ADD %s: berth build downloads nothing; fetch it in a RUN step, or put it in the build context", *s);
	a->srcs = words;
	words = NULL;
	return 0;
}

/* ---- a stage's root, mounted -------------------------------------------- */

/* Remove tmp/<name>; err NULL: a failure only leaves debris that the
 * next store_open removes. */
static int remove_tmp(struct build *b, const char *name, berr_t *err)
{
	cleanup_close int tmp = openat(b->store.rootfd, "tmp", O_PATH | O_DIRECTORY | O_CLOEXEC);
	berr_t e = NULL;

	if (tmp >= 0 && fs_remove_tree_at(tmp, name, &e) == 0)
		return 0;
	if (!err) {
		err_free(&e);
		return 0;
	}
	if (e)
		*err = e;
	return e ? -1 : err_sys(err, "open '%s/tmp'", b->store.root);
}

int scratch_root_mount(struct build *b, struct stage *st, struct scratch_root *r, berr_t *err)
{
	char name[TMP_NAME_MAX];

	if (stage_view(st, err) < 0 || store_tmp_name(name, err) < 0)
		return -1;
	if (snprintf(r->dir, sizeof(r->dir), "%s/tmp/%s", b->store.root, name) >= (int)sizeof(r->dir) ||
	    snprintf(r->rootfs, sizeof(r->rootfs), "%s/rootfs", r->dir) >= (int)sizeof(r->rootfs))
		return err_set(err, ENAMETOOLONG, "store root '%s' too long", b->store.root);
	if (fs_mkdir_p(r->dir, 0700, err) < 0)
		return -1;
	r->made = true;
	if (container_rootfs_mount(&b->store, &st->view, r->dir,
				   &(struct rootfs_opts){ .discard = true }, err) < 0)
		return -1;
	r->mounted = true;
	return 0;
}

int scratch_root_finish(struct build *b, struct stage *st, struct scratch_root *r,
			const char *created_by, berr_t *err)
{
	char upper[sizeof(r->dir) + 8], blob[DIGEST_MAX];
	cleanup_close int fd = -1;
	int res = 0;

	if (r->mounted && container_rootfs_unmount(r->dir, err) < 0)
		return -1;
	r->mounted = false;
	snprintf(upper, sizeof(upper), "%s/upper", r->dir);
	if (created_by && (fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		res = err_sys(err, "open the writable layer '%s'", upper);
	if (res == 0 && created_by &&
	    (layer_pack(&b->store, fd, blob, NULL, err) < 0 ||
	     stage_add_layer(st, blob, created_by, err) < 0))
		res = -1;
	if (r->made && remove_tmp(b, strrchr(r->dir, '/') + 1, res == 0 ? err : NULL) < 0)
		res = -1;
	r->made = false;
	return res;
}

/* ---- where sources come from ------------------------------------------- */

struct source_root {
	struct build_context own; /* --from's root, when there is one */
	const struct build_context *c;
	struct stage image;       /* --from an image */
	struct scratch_root mount;
	bool strip_slash;         /* --from paths are absolute in their root */
};

static int open_from(struct build *b, const char *from, struct source_root *s, berr_t *err)
{
	long i = build_find_stage(b, from);
	struct stage *st = &s->image;
	char id[DIGEST_MAX];

	if (i >= 0)
		st = &b->done[i];
	else if (build_base_image(b, &s->image, from, id, err) < 0)
		return err_prefix(err, "--from=%s is not a stage of this Dockerfile, and", from);
	if (scratch_root_mount(b, st, &s->mount, err) < 0 ||
	    context_open(s->mount.rootfs, false, &s->own, err) < 0)
		return -1;
	s->c = &s->own;
	s->strip_slash = true;
	return 0;
}

/* s starts as the build's context; --from replaces it. */
static int source_root_open(struct build *b, const struct copy_args *a, struct source_root *s,
			    berr_t *err)
{
	return a->from ? open_from(b, a->from, s, err) : 0;
}

static void source_root_close(struct build *b, struct source_root *s)
{
	berr_t ignore = NULL;

	if (s->c == &s->own)
		context_close(&s->own);
	scratch_root_finish(b, &s->image, &s->mount, NULL, &ignore);
	err_free(&ignore);
	if (s->image.doc)
		stage_clear(&s->image);
}

/* Every source's matches, in order. */
static int expand_sources(const struct source_root *s, const struct copy_args *a,
			  char ***out, bool *several, berr_t *err)
{
	*several = strv_len(a->srcs) > 1;
	for (char *const *src = a->srcs; *src; src++) {
		cleanup_strv char **m = NULL;
		const char *p = *src;

		while (s->strip_slash && *p == '/')
			p++;
		if (context_glob(s->c, *p ? p : ".", &m, err) < 0)
			return -1;
		*several |= strv_len(m) > 1 || strpbrk(p, "*?[");
		for (char *const *x = m; *x; x++)
			if (strv_push(out, *x) < 0)
				return err_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

int step_copy_key(struct build *b, struct stage *st, const struct df_instruction *in,
		  char extra[DIGEST_MAX], berr_t *err)
{
	struct copy_args a = { 0 };
	cleanup_strv char **paths = NULL;
	struct sha256 h;
	bool several;
	long i;
	int r = -1;

	if (parse_copy(b, st, in, &a, err) < 0)
		goto out;
	if (a.from && (i = build_find_stage(b, a.from)) >= 0) {
		/* A stage is what its key says it is. */
		memcpy(extra, b->done_keys[i], DIGEST_MAX);
		r = 0;
		goto out;
	}
	if (a.from) {
		struct stage img = { 0 };

		r = build_base_image(b, &img, a.from, extra, err);
		if (r < 0)
			err_prefix(err, "--from=%s is not a stage of this Dockerfile, and", a.from);
		stage_clear(&img);
		goto out;
	}
	if (expand_sources(&(struct source_root){ .c = &b->ctx }, &a, &paths, &several, err) < 0 ||
	    sha256_init(&h, err) < 0)
		goto out;
	if (context_hash(&b->ctx, paths, &h, err) < 0) {
		sha256_free(&h);
		goto out;
	}
	r = sha256_final(&h, extra, err);
out:
	copy_args_clear(&a);
	return r;
}

/* ---- writing into the stage's root ---------------------------------------- */

/* Open directory path of the root, making what is missing (owned by the
 * copy's owner, as docker does); symlinks resolve inside the root. */
static int open_dir_in_root(int rootfd, const char *path, const struct tree_copy_opts *o,
			    berr_t *err)
{
	cleanup_free char *copy = strdup(path);
	char prefix[PATH_MAX] = "";
	char *save = NULL;
	int cur = dup(rootfd);

	if (!copy || cur < 0) {
		if (cur >= 0)
			close(cur);
		return err_sys(err, "destination '%s'", path);
	}
	for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		int next;

		if (mkdirat(cur, c, 0755) == 0 && o->set_owner &&
		    fchownat(cur, c, o->uid + o->id_shift, o->gid + o->id_shift, AT_SYMLINK_NOFOLLOW) < 0) {
			close(cur);
			return err_sys(err, "chown '%s'", path);
		}
		snprintf(prefix + strlen(prefix), sizeof(prefix) - strlen(prefix), "/%s", c);
		next = sys_openat_in_root(rootfd, prefix, O_RDONLY | O_DIRECTORY, 0);
		close(cur);
		if (next < 0)
			return err_sys(err, "destination '%s' (at '%s')", path, prefix);
		cur = next;
	}
	return cur;
}

static bool is_dir_in_root(int rootfd, const char *path)
{
	int fd = sys_openat_in_root(rootfd, path, O_PATH | O_DIRECTORY, 0);

	if (fd < 0)
		return false;
	close(fd);
	return true;
}

/* ADD unpacks a local archive that libarchive reads as a tar (plain,
 * gzip, bzip2, xz, zstd). */
static bool is_tar(int fd)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	bool tar;

	if (!a)
		return false;
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	tar = archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK &&
	      archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	lseek(fd, 0, SEEK_SET);
	return tar;
}

/* Unpack through the layer unpacker (which refuses what escapes its
 * directory) into tmp/, then merge into ddir. */
static int add_tar(struct build *b, int fd, const char *name, int ddir,
		   const struct tree_copy_opts *o, berr_t *err)
{
	static const struct layer_limits lim = { .max_bytes = ADD_TAR_MAX };
	struct tree_copy_opts merge = *o;
	char tmp[TMP_NAME_MAX], path[PATH_MAX];
	cleanup_close int dest = -1;
	struct layer_result res;
	int r;

	merge.skip = NULL;
	if (store_tmp_name(tmp, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/tmp/%s", b->store.root, tmp);
	if (mkdir(path, 0700) < 0 || (dest = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_sys(err, "ADD: '%s'", path);
	r = layer_unpack(fd, dest, name, &lim, &res, err);
	if (r == 0)
		r = tree_copy_contents(dest, ddir, "", &merge, err);
	remove_tmp(b, tmp, NULL);
	return r;
}

static int copy_match(struct build *b, const struct source_root *s, int rootfd,
		      const struct copy_args *a, const char *match, bool several,
		      struct tree_copy_opts *o, berr_t *err)
{
	cleanup_close int src = sys_openat_beneath(s->c->fd, *match ? match : ".", O_RDONLY | O_NONBLOCK);
	cleanup_close int ddir = -1;
	const char *slash = strrchr(a->dest, '/'), *base = strrchr(match, '/');
	char parent[PATH_MAX];
	struct stat st;
	bool into;

	if (src < 0 || fstat(src, &st) < 0)
		return err_sys(err, "source '%s'", match);
	into = a->dest_is_dir || several || S_ISDIR(st.st_mode) || is_dir_in_root(rootfd, a->dest);
	snprintf(parent, sizeof(parent), "%.*s", into ? (int)strlen(a->dest) : (int)(slash - a->dest),
		 a->dest);
	ddir = open_dir_in_root(rootfd, parent, o, err);
	if (ddir < 0)
		return -1;
	if (a->add && S_ISREG(st.st_mode) && is_tar(src))
		return add_tar(b, src, match, ddir, o, err);
	if (S_ISDIR(st.st_mode))
		return context_copy(s->c, match, ddir, ".", o, err);
	return context_copy(s->c, match, ddir, into ? (base ? base + 1 : match) : slash + 1, o, err);
}

static int owner_and_mode(const struct copy_args *a, const char *rootfs,
			  struct tree_copy_opts *o, berr_t *err)
{
	char *end;
	long mode;

	/* From the context everything is root's; from a stage, as it was. */
	o->set_owner = !a->from || a->chown;
	if (a->chown && container_user_resolve(rootfs, a->chown, &o->uid, &o->gid, err) < 0)
		return err_prefix(err, "--chown");
	if (!a->chmod)
		return 0;
	mode = strtol(a->chmod, &end, 8);
	if (!*a->chmod || *end || mode < 0 || mode > 07777)
		return err_set(err, EINVAL, "--chmod=%s: expected an octal mode like 0755", a->chmod);
	o->set_mode = true;
	o->mode = (mode_t)mode;
	return 0;
}

static int copy_all(struct build *b, const struct copy_args *a, struct source_root *s,
		    struct scratch_root *r, berr_t *err)
{
	cleanup_strv char **matches = NULL;
	cleanup_close int rootfd = -1;
	struct tree_copy_opts o = { 0 };
	bool several;

	if (expand_sources(s, a, &matches, &several, err) < 0 ||
	    owner_and_mode(a, r->rootfs, &o, err) < 0)
		return -1;
	if (several && !a->dest_is_dir)
		return err_set(err, EINVAL, "with several sources the destination must be a directory ending in /, not '%s'",
			       a->dest);
	rootfd = open(r->rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, "open '%s'", r->rootfs);
	for (char *const *m = matches; *m; m++)
		if (copy_match(b, s, rootfd, a, *m, several, &o, err) < 0)
			return -1;
	return 0;
}

int step_copy(struct build *b, struct stage *st, const struct df_instruction *in,
	      berr_t *err)
{
	struct copy_args a = { 0 };
	struct source_root s = { .own = { .fd = -1 } };
	struct scratch_root r = { 0 };
	int res = -1;

	s.c = &b->ctx;
	if (parse_copy(b, st, in, &a, err) < 0 || source_root_open(b, &a, &s, err) < 0 ||
	    scratch_root_mount(b, st, &r, err) < 0 || copy_all(b, &a, &s, &r, err) < 0)
		goto out;
	res = scratch_root_finish(b, st, &r, in->text, err);
out:
	if (r.made) {
		berr_t ignore = NULL;

		scratch_root_finish(b, st, &r, NULL, &ignore);
		err_free(&ignore);
	}
	source_root_close(b, &s);
	copy_args_clear(&a);
	return res;
}
