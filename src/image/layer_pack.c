/* A directory in overlayfs's upper-layer format packed as an OCI layer
 * tar straight into a store blob: overlay whiteouts (0/0 character
 * devices) become ".wh.<name>" entries, opaque directories get a
 * ".wh..wh..opq" entry, overlayfs's own xattrs are left out.  Entries go
 * in name order and hard links stay links, so the same tree packs to the
 * same bytes. */
#include "image/layer_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/overlayfs.h"
#include "image/store_internal.h"

#define CHUNK 65536
#define DEPTH_MAX 256
#define WHITEOUT ".wh."
#define OPAQUE ".wh..wh..opq"

struct link_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct packer {
	struct archive *a;
	struct blob_writer w;
	berr_t *err;        /* set by the write callback too */
	struct link_seen *links;
	size_t n_links;
	int depth;
};

static la_ssize_t write_cb(struct archive *a, void *ctx, const void *buf, size_t len)
{
	struct packer *p = ctx;

	(void)a;
	return blob_writer_write(&p->w, buf, len, p->err) < 0 ? -1 : (la_ssize_t)len;
}

static int archive_fail(struct packer *p, const char *what, const char *path)
{
	if (*p->err)
		return err_prefix(p->err, "pack '%s'", path);
	return err_set(p->err, EIO, "pack %s '%s': %s", what, path, archive_error_string(p->a));
}

static int write_header(struct packer *p, struct archive_entry *e, const char *path)
{
	return archive_write_header(p->a, e) == ARCHIVE_OK ? 0 : archive_fail(p, "header of", path);
}

/* A hard link to a file packed before, or NULL (and this one recorded). */
static const char *seen_link(struct packer *p, const struct stat *st, const char *path)
{
	struct link_seen *grown;

	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return NULL;
	for (size_t i = 0; i < p->n_links; i++)
		if (p->links[i].dev == st->st_dev && p->links[i].ino == st->st_ino)
			return p->links[i].path;
	grown = realloc(p->links, (p->n_links + 1) * sizeof(*p->links));
	if (!grown)
		return NULL;
	p->links = grown;
	p->links[p->n_links] = (struct link_seen){ st->st_dev, st->st_ino, strdup(path) };
	if (p->links[p->n_links].path)
		p->n_links++;
	return NULL;
}

static int add_xattr(void *ctx, const char *key, const void *value, size_t len, berr_t *err)
{
	(void)err;
	archive_entry_xattr_add_entry(ctx, key, value, len);
	return 0;
}

static int write_data(struct packer *p, int fd, const char *path)
{
	char buf[CHUNK];
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(p->err, "read '%s'", path);
		if (archive_write_data(p->a, buf, (size_t)n) != n)
			return archive_fail(p, "data of", path);
	}
	return 0;
}

/* An empty regular file entry: a whiteout or the opaque marker. */
static int write_marker(struct packer *p, const char *path)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return err_set(p->err, ENOMEM, "out of memory");
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	r = write_header(p, e, path);
	archive_entry_free(e);
	return r;
}

static int pack_dir(struct packer *p, int dfd, const char *rel);

static int pack_entry(struct packer *p, int dfd, const char *name, const char *path,
		      struct archive_entry *e)
{
	cleanup_close int fd = -1;
	char target[PATH_MAX];
	const char *link;
	struct stat st;
	ssize_t n;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(p->err, "stat '%s'", path);
	if (overlay_is_whiteout(&st)) {
		char wh[PATH_MAX];
		const char *slash = strrchr(path, '/');

		if (snprintf(wh, sizeof(wh), "%.*s%s%s", slash ? (int)(slash - path + 1) : 0, path,
			     WHITEOUT, name) >= (int)sizeof(wh))
			return err_set(p->err, ENAMETOOLONG, "'%s': path too long", path);
		return write_marker(p, wh);
	}
	archive_entry_copy_stat(e, &st);
	archive_entry_set_pathname(e, path);
	if ((link = seen_link(p, &st, path))) {
		archive_entry_set_size(e, 0);
		archive_entry_set_hardlink(e, link);
		return write_header(p, e, path);
	}
	if (S_ISLNK(st.st_mode)) {
		n = readlinkat(dfd, name, target, sizeof(target) - 1);
		if (n < 0)
			return err_sys(p->err, "readlink '%s'", path);
		target[n] = '\0';
		archive_entry_set_symlink(e, target);
		return write_header(p, e, path);
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode))
		return write_header(p, e, path);
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
		    (S_ISDIR(st.st_mode) ? O_DIRECTORY : O_NONBLOCK));
	if (fd < 0)
		return err_sys(p->err, "open '%s'", path);
	if (xattrs_each(fd, path, add_xattr, e, p->err) < 0 || write_header(p, e, path) < 0)
		return -1;
	if (S_ISREG(st.st_mode))
		return write_data(p, fd, path);
	if (overlay_is_opaque(fd)) {
		char marker[PATH_MAX];

		if (snprintf(marker, sizeof(marker), "%s/" OPAQUE, path) >= (int)sizeof(marker))
			return err_set(p->err, ENAMETOOLONG, "'%s': path too long", path);
		if (write_marker(p, marker) < 0)
			return -1;
	}
	return pack_dir(p, fd, path);
}

static int pack_dir(struct packer *p, int dfd, const char *rel)
{
	struct dirent **list = NULL;
	int n, r = 0;

	if (++p->depth > DEPTH_MAX)
		return err_set(p->err, ELOOP, "'%s': directories nested deeper than %d", rel, DEPTH_MAX);
	n = scandirat(dfd, ".", &list, NULL, alphasort);
	if (n < 0)
		return err_sys(p->err, "read '%s'", rel);
	for (int i = 0; i < n; i++) {
		const char *name = list[i]->d_name;
		char path[PATH_MAX];

		if (r == 0 && strcmp(name, ".") && strcmp(name, "..")) {
			struct archive_entry *e = archive_entry_new();

			if (snprintf(path, sizeof(path), "%s%s%s", rel, *rel ? "/" : "", name) >=
			    (int)sizeof(path))
				r = err_set(p->err, ENAMETOOLONG, "'%s/%s': path too long", rel, name);
			else if (!e)
				r = err_set(p->err, ENOMEM, "out of memory");
			else
				r = pack_entry(p, dfd, name, path, e);
			archive_entry_free(e);
		}
		free(list[i]);
	}
	free(list);
	p->depth--;
	return r;
}

static void packer_clear(struct packer *p)
{
	for (size_t i = 0; i < p->n_links; i++)
		free(p->links[i].path);
	free(p->links);
	if (p->a)
		archive_write_free(p->a);
}

int layer_pack(struct store *s, int dirfd, char blob[DIGEST_MAX], uint64_t *size,
	       berr_t *err)
{
	struct packer p = { .err = err };
	int r;

	if (blob_writer_open(s, &p.w, err) < 0)
		return -1;
	p.a = archive_write_new();
	if (!p.a || archive_write_set_format_pax_restricted(p.a) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(p.a, 1) != ARCHIVE_OK ||
	    archive_write_open(p.a, &p, NULL, write_cb, NULL) != ARCHIVE_OK) {
		r = err_set(err, ENOMEM, "pack a layer: cannot start the tar writer");
		goto out;
	}
	r = pack_dir(&p, dirfd, "");
	if (r == 0 && archive_write_close(p.a) != ARCHIVE_OK)
		r = archive_fail(&p, "the end of", "layer");
	if (r == 0)
		r = blob_writer_commit(&p.w, NULL, blob, size, err);
out:
	if (r < 0)
		blob_writer_abort(&p.w);
	packer_clear(&p);
	return r;
}
