#include "common/overlayfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "common/cleanup.h"

#define XATTR_LIST_MAX_BYTES 65536 /* the kernel's XATTR_LIST_MAX */
#define XATTR_VALUE_MAX_BYTES 65536 /* and XATTR_SIZE_MAX */

bool overlay_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

bool overlay_is_opaque(int dirfd)
{
	char v;

	return fgetxattr(dirfd, OVERLAY_OPAQUE_XATTR, &v, 1) == 1 && v == 'y';
}

bool overlay_own_xattr(const char *key)
{
	return strncmp(key, "trusted.overlay.", 16) == 0 ||
	       strncmp(key, "user.overlay.", 13) == 0;
}

int xattrs_each(int fd, const char *name,
		int (*fn)(void *ctx, const char *key, const void *value, size_t len,
			  berr_t *err),
		void *ctx, berr_t *err)
{
	cleanup_free char *names = malloc(XATTR_LIST_MAX_BYTES);
	cleanup_free char *value = malloc(XATTR_VALUE_MAX_BYTES);
	ssize_t len;

	if (!names || !value)
		return err_set(err, ENOMEM, "the xattrs of '%s': out of memory", name);
	len = flistxattr(fd, names, XATTR_LIST_MAX_BYTES);
	if (len < 0)
		return errno == ENOTSUP ? 0 : err_sys(err, "list the xattrs of '%s'", name);
	for (char *n = names; n < names + len; n += strlen(n) + 1) {
		ssize_t v;

		if (overlay_own_xattr(n))
			continue;
		v = fgetxattr(fd, n, value, XATTR_VALUE_MAX_BYTES);
		if (v < 0)
			return err_sys(err, "read xattr %s of '%s'", n, name);
		if (fn(ctx, n, value, (size_t)v, err) < 0)
			return -1;
	}
	return 0;
}
