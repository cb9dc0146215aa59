/* /etc/passwd read directly: the runtime looks users up inside container
 * roots (and links statically), where NSS has no business. */
#ifndef BERTH_COMMON_PASSWD_H
#define BERTH_COMMON_PASSWD_H

#include <stddef.h>
#include <sys/types.h>

struct passwd_entry {
	char name[256];
	char home[4096];
	uid_t uid;
	gid_t gid;
};

/* Find uid in the passwd file at path: 1 when found, 0 when not (or the
 * file is missing or unreadable). */
int passwd_find_uid(const char *path, uid_t uid, struct passwd_entry *out);

/* Find a user by name: 1 when found, 0 when not. */
int passwd_find_name(const char *path, const char *name,
		     struct passwd_entry *out);

/* A group's gid from a group file (name:x:gid:members): 1, or 0. */
int group_find_name(const char *path, const char *name, gid_t *gid);

#endif
