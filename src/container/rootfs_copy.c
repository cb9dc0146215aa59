/* The copying fallback where overlayfs is missing: each layer, base first,
 * is copied into the container's root, applying its whiteouts and opaque
 * directories as overlayfs would have. */
#include "container/rootfs_copy.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/tree_copy.h"

int rootfs_copy_layer(const char *layer, const char *dest,
		      const struct userns_range *shift, berr_t *err)
{
	cleanup_close int in = open(layer, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int out = open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct tree_copy_opts o = { .whiteouts = true, .id_shift = shift->size ? shift->base : 0 };
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0)
		return err_sys(err, "open layer '%s'", layer);
	if (out < 0)
		return err_sys(err, "open '%s'", dest);
	if (tree_copy_contents(in, out, NULL, &o, err) < 0)
		return err_prefix(err, "copy layer '%s'", layer);
	if (fchown(out, st.st_uid + o.id_shift, st.st_gid + o.id_shift) < 0 ||
	    fchmod(out, st.st_mode & 07777) < 0)
		return err_sys(err, "set the owner and mode of '%s'", dest);
	return 0;
}
