/* `berth save [-o FILE] [--format docker|oci] IMAGE...`: a tar of the
 * images to FILE or standard output (never to a terminal, as docker
 * refuses).  A file is written under a temporary name and renamed when
 * whole, so a failed save leaves nothing (or the old file) behind. */
#include "cli/image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/save.h"

struct save_out {
	const char *path; /* NULL: standard output */
	char *tmp;        /* the temporary name, renamed to path at the end */
	int fd;
};

/* An existing non-regular file (/dev/null, a fifo) is written in place:
 * renaming over it would replace the device or pipe. */
static int out_open(struct save_out *o, berr_t *err)
{
	/* dirname and basename may write into their argument: one copy each. */
	cleanup_free char *dir = strdup(o->path), *base = strdup(o->path);
	struct stat st;

	if (!dir || !base)
		return err_sys(err, "save");
	if (stat(o->path, &st) == 0 && !S_ISREG(st.st_mode)) {
		o->fd = open(o->path, O_WRONLY | O_CLOEXEC);
		return o->fd < 0 ? err_sys(err, "open '%s'", o->path) : 0;
	}
	if (asprintf(&o->tmp, "%s/.%s.berth-XXXXXX", dirname(dir), basename(base)) < 0) {
		o->tmp = NULL;
		return err_sys(err, "save");
	}
	o->fd = mkostemp(o->tmp, O_CLOEXEC);
	if (o->fd < 0) {
		err_sys(err, "create '%s'", o->tmp);
		free(o->tmp);
		o->tmp = NULL;
		return -1;
	}
	if (fchmod(o->fd, 0644) < 0)
		return err_sys(err, "chmod '%s'", o->tmp);
	return 0;
}

static int out_finish(struct save_out *o, bool ok, berr_t *err)
{
	int r = 0;

	if (ok && o->tmp && (fsync(o->fd) < 0 || rename(o->tmp, o->path) < 0))
		r = err_sys(err, "write '%s'", o->path);
	if (close(o->fd) < 0 && ok && r == 0)
		r = err_sys(err, "write '%s'", o->path);
	if (o->tmp && (!ok || r < 0))
		unlink(o->tmp);
	free(o->tmp);
	return r;
}

static int save_to(struct store *s, char *const *refs, enum save_format fmt,
		   const char *path, berr_t *err)
{
	struct save_out o = { .path = path, .fd = -1 };
	int r;

	if (!path)
		return image_save(s, refs, fmt, STDOUT_FILENO, err);
	if (out_open(&o, err) < 0) {
		if (o.fd >= 0)
			out_finish(&o, false, NULL);
		return err_prefix(err, "save -o '%s'", path);
	}
	r = image_save(s, refs, fmt, o.fd, err);
	if (out_finish(&o, r == 0, err) < 0)
		r = -1;
	return r < 0 ? err_prefix(err, "save -o '%s'", path) : 0;
}

int img_save(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'F' },
		{ 0 },
	};
	enum save_format fmt = SAVE_DOCKER;
	const char *path = NULL;
	struct store s;
	int c, r;

	while ((c = img_getopt(argc, argv, "o:", opts)) != -1) {
		if (c == 'o')
			path = optarg;
		else if (c == 'F' && save_format_parse(optarg, &fmt, err) < 0)
			return err_prefix(err, "save");
		else if (c != 'F')
			return img_bad_flag("save", c, argv, err);
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "save: expected at least one image (usage: berth save [-o FILE] [--format docker|oci] IMAGE...)");
	if (path && strcmp(path, "-") == 0)
		path = NULL;
	if (!path && isatty(STDOUT_FILENO))
		return err_set(err, EINVAL, "save: refusing to write an archive to a terminal; use -o FILE or redirect standard output");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = save_to(&s, argv + optind, fmt, path, err);
	store_close(&s);
	return r;
}
