/* Copying directory trees between directory fds, never following a
 * symlink on either side: layers into a container root where overlayfs
 * is missing (whiteouts and opaque directories applied), build context
 * files into an image (owner and mode set, ignored paths skipped). */
#ifndef BERTH_COMMON_TREE_COPY_H
#define BERTH_COMMON_TREE_COPY_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

struct tree_copy_opts {
	bool whiteouts;     /* overlayfs whiteouts delete, opaque dirs replace */
	uid_t id_shift;     /* added to every owner (a user namespace's base) */
	uid_t uid;          /* with set_owner: every owner, before the shift */
	gid_t gid;
	bool set_owner;
	mode_t mode;        /* with set_mode: every file's and dir's mode */
	bool set_mode;
	/* Leave out rel (relative to the copy's source root); may be NULL.
	 * A directory not left out is copied, with skip asked for each entry. */
	bool (*skip)(void *ctx, const char *rel, bool is_dir);
	void *skip_ctx;
};

/* Copy the entry sdir/name to ddir/dname: a file, symlink, device or a
 * whole directory, merged into a directory already there.  rel: name's
 * path for skip(). */
int tree_copy_entry(int sdir, const char *name, int ddir, const char *dname,
		    const char *rel, const struct tree_copy_opts *o, berr_t *err);

/* Copy what directory sdir holds into directory ddir. */
int tree_copy_contents(int sdir, int ddir, const char *rel,
		       const struct tree_copy_opts *o, berr_t *err);

#endif
