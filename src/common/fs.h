/* File helpers with the error contract: bounded reads (hostile files are
 * capped before allocating), atomic writes and directory trees. */
#ifndef BERTH_COMMON_FS_H
#define BERTH_COMMON_FS_H

#include <stddef.h>
#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

/* Read at most max bytes of dirfd/path (NUL-terminated in *out). A file
 * larger than max is an error naming the path and the cap. */
int fs_read_file_at(int dirfd, const char *path, size_t max, char **out,
		    size_t *len, berr_t *err);

/* The same for an open fd (a pipe, say) read to EOF; path names it in
 * errors. */
int fs_read_fd(int fd, const char *path, size_t max, char **out, size_t *len,
	       berr_t *err);

/* The same for a file that must be a regular file (opened without
 * blocking, so a FIFO planted in its place cannot hang the caller). */
int fs_read_regular_at(int dirfd, const char *path, size_t max, char **out,
		       berr_t *err);

/* Write data to an existing file (cgroup, proc and sysctl knobs). */
int fs_write_file_at(int dirfd, const char *path, const char *data,
		     size_t len, berr_t *err);

enum fs_durability {
	FS_VOLATILE, /* state on tmpfs (/run): rename only */
	FS_DURABLE,  /* state that must survive a crash: fsync file and dir */
};

/* Replace dirfd/name atomically: a temporary file is written and renamed
 * over name, so readers see the old or the new content, never a mix.  With
 * FS_DURABLE the file and the directory are fsynced too, so a crash leaves
 * one or the other as well. */
int fs_write_atomic_at(int dirfd, const char *name, const char *data,
		       size_t len, mode_t mode, enum fs_durability durability,
		       berr_t *err);

/* Copy size bytes from the start of in to out: reflinked or copied in the
 * kernel where the filesystem can, else through sendfile. */
int fs_copy_data(int in, int out, off_t size, berr_t *err);

/* write() until all of buf is written (EINTR retried); -1 with errno. */
int fs_write_all(int fd, const void *buf, size_t len);

/* Whether dirfd/name is the root of a mount other than dirfd's. */
bool fs_is_mount_point_at(int dirfd, const char *name);

/* mkdir -p; existing directories are fine. */
int fs_mkdir_p(const char *path, mode_t mode, berr_t *err);

/* Remove dirfd/name and everything below it without crossing mounts. */
int fs_remove_tree_at(int dirfd, const char *name, berr_t *err);

#endif
