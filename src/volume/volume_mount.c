#include "volume/volume_mount.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/syscalls.h"
#include "common/tree_copy.h"
#include "volume/volume.h"

void volume_spec_clear(struct volume_spec *s)
{
	free(s->source);
	free(s->dest);
	*s = (struct volume_spec){ 0 };
}

static int check_parts(const char *spec, const char *src, const char *dst, const char *mode,
		       berr_t *err)
{
	cleanup_err berr_t why = NULL;

	if (!*src || !dst)
		return err_set(err, EINVAL, "-v '%s': expected SOURCE:DESTINATION[:ro|rw]", spec);
	if (dst[0] != '/' || !dst[1])
		return err_set(err, EINVAL, "-v '%s': the destination must be an absolute path other than /",
			       spec);
	if (mode && strcmp(mode, "ro") && strcmp(mode, "rw"))
		return err_set(err, EINVAL, "-v '%s': mode '%s' is not ro or rw", spec, mode);
	if (src[0] != '/' && volume_check_name(src, &why) < 0)
		return err_set(err, EINVAL, "-v '%s': the source is neither an absolute host path nor a volume name (%s)",
			       spec, err_msg(why));
	return 0;
}

int volume_spec_parse(const char *spec, struct volume_spec *out, berr_t *err)
{
	cleanup_free char *copy = strdup(spec);
	char *dst, *mode = NULL;

	if (!copy)
		return err_sys(err, "-v '%s'", spec);
	dst = strchr(copy, ':');
	if (dst) {
		*dst++ = '\0';
		mode = strchr(dst, ':');
	}
	if (mode)
		*mode++ = '\0';
	if (check_parts(spec, copy, dst, mode, err) < 0)
		return -1;
	out->source = strdup(copy);
	out->dest = strdup(dst);
	out->ro = mode && !strcmp(mode, "ro");
	out->named = copy[0] != '/';
	if (!out->source || !out->dest) {
		volume_spec_clear(out);
		return err_sys(err, "-v '%s'", spec);
	}
	return 0;
}

static bool dir_empty(int fd)
{
	cleanup_closedir DIR *d = NULL;
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	struct dirent *e;

	d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return false;
	}
	rewinddir(d);
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			return false;
	return true;
}

/* The image's dest, if it is a directory, into data: contents, owner and
 * mode.  The volume's own lock on data makes the check-then-copy one step
 * for concurrent first runs. */
static int copy_up(const char *data, const char *rootfs, const char *dest, berr_t *err)
{
	cleanup_close int dfd = open(data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	cleanup_close int rootfd = -1, sfd = -1;
	struct stat st;
	int r;

	if (dfd < 0)
		return err_sys(err, "open volume data '%s'", data);
	do
		r = flock(dfd, LOCK_EX);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return err_sys(err, "lock volume data '%s'", data);
	if (!dir_empty(dfd))
		return 0;
	rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, "open '%s'", rootfs);
	sfd = sys_openat_in_root(rootfd, dest, O_RDONLY | O_DIRECTORY, 0);
	if (sfd < 0 && (errno == ENOENT || errno == ENOTDIR))
		return 0; /* nothing there to copy; the runtime makes the directory */
	if (sfd < 0 || fstat(sfd, &st) < 0)
		return err_sys(err, "open '%s' in the image", dest);
	if (tree_copy_contents(sfd, dfd, dest, &(struct tree_copy_opts){ 0 }, err) < 0)
		return err_prefix(err, "copy '%s' of the image into volume '%s'", dest, data);
	if (fchown(dfd, st.st_uid, st.st_gid) < 0 || fchmod(dfd, st.st_mode & 07777) < 0)
		return err_sys(err, "set owner and mode of '%s'", data);
	return 0;
}

/* One named volume ready to mount: created if missing, filled if empty;
 * its bind spec in *bind. */
static int prepare_named(const char *root, const char *rootfs, const struct volume_spec *v,
			 char **bind, berr_t *err)
{
	cleanup_free char *name = NULL, *data = NULL;
	bool created;

	if (volume_create(root, v->source, NULL, &name, &created, err) < 0 ||
	    volume_data_path(root, name, &data, err) < 0 ||
	    copy_up(data, rootfs, v->dest, err) < 0)
		return err_prefix(err, "-v %s:%s", v->source, v->dest);
	if (asprintf(bind, "%s:%s%s", data, v->dest, v->ro ? ":ro" : "") < 0)
		return err_sys(err, "-v %s", v->source);
	return 0;
}

static int resolve_one(const char *root, const char *rootfs, const char *spec, char ***out,
		       int *lock, berr_t *err)
{
	cleanup_free char *bind = NULL;
	struct volume_spec v = { 0 };
	int r = 0;

	if (volume_spec_parse(spec, &v, err) < 0)
		return -1;
	if (v.named && *lock < 0)
		r = volume_lock(root, false, lock, err);
	if (r == 0 && v.named)
		r = prepare_named(root, rootfs, &v, &bind, err);
	if (r == 0 && strv_push(out, bind ? bind : spec) < 0)
		r = err_sys(err, "-v '%s'", spec);
	volume_spec_clear(&v);
	return r;
}

int volume_run_specs(const char *root, const char *rootfs, char *const *specs, char ***out,
		     int *lock, berr_t *err)
{
	cleanup_strv char **v = calloc(1, sizeof(*v));

	*lock = -1;
	if (!v)
		return err_sys(err, "-v");
	for (size_t i = 0; specs && specs[i]; i++)
		if (resolve_one(root, rootfs, specs[i], &v, lock, err) < 0) {
			if (*lock >= 0)
				close(*lock);
			*lock = -1;
			return -1;
		}
	*out = take_ptr(v);
	return 0;
}
