#include "runtime/mount_sources.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/syscalls.h"
#include "runtime/namespaces.h"

#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif

char *mount_source_path(const char *bundle, const char *source)
{
	char *out = NULL;

	if (source[0] == '/')
		return strdup(source);
	if (asprintf(&out, "%s/%s", bundle, source) < 0)
		return NULL;
	return out;
}

/* idmap takes the mount's own mappings, or else the container's. */
static int idmap_tree(const struct spec *spec, const struct spec_mount *m,
		      int tree, berr_t *err)
{
	const struct spec_linux *l = &spec->linux;
	bool own = m->n_uid_mappings > 0;
	struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP };
	cleanup_close int userns = -1;

	if (!own && !l->n_uid_mappings)
		return err_set(err, EINVAL, "options: idmap needs uidMappings on the mount or the container");
	if (ns_userns_with_maps(own ? m->uid_mappings : l->uid_mappings,
				own ? m->n_uid_mappings : l->n_uid_mappings,
				own ? m->gid_mappings : l->gid_mappings,
				own ? m->n_gid_mappings : l->n_gid_mappings,
				&userns, err) < 0)
		return -1;
	attr.userns_fd = (uint64_t)userns;
	if (sys_mount_setattr(tree, "", AT_EMPTY_PATH | (m->ridmap ? AT_RECURSIVE : 0),
			      &attr) < 0)
		return err_sys(err, "idmap '%s'", m->source);
	return 0;
}

static int open_source(const struct spec *spec, const char *bundle,
		       const struct spec_mount *m, int *fd, berr_t *err)
{
	cleanup_free char *src = mount_source_path(bundle, m->source);
	unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC |
			 ((m->flags & MS_REC) ? AT_RECURSIVE : 0);

	if (!src)
		return err_sys(err, "source '%s'", m->source);
	*fd = sys_open_tree(AT_FDCWD, src, flags);
	if (*fd < 0 && errno == ENOSYS && !m->idmap)
		return 0;
	if (*fd < 0)
		return err_sys(err, "source '%s'", src);
	return m->idmap ? idmap_tree(spec, m, *fd, err) : 0;
}

int mount_sources_open(const struct spec *spec, const char *bundle, int **fds,
		       berr_t *err)
{
	int *out = malloc((spec->n_mounts + 1) * sizeof(*out));

	if (!out)
		return err_sys(err, "mounts");
	for (size_t i = 0; i < spec->n_mounts; i++)
		out[i] = -1;
	*fds = out;
	for (size_t i = 0; i < spec->n_mounts; i++)
		if (spec->mounts[i].bind &&
		    open_source(spec, bundle, &spec->mounts[i], &out[i], err) < 0)
			return err_prefix(err, "mounts[%zu]", i);
	return 0;
}

void mount_sources_close(int *fds, size_t n)
{
	for (size_t i = 0; fds && i < n; i++)
		cleanup_close_fn(&fds[i]);
	free(fds);
}
