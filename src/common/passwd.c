#include "common/passwd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"

/* name:password:uid:gid:gecos:home:shell; match by uid, or by name when
 * name is not NULL. */
static int parse_line(char *line, uid_t uid, const char *name,
		      struct passwd_entry *out)
{
	char *f[7] = { line };
	char *end, *gend;

	for (int i = 1; i < 7; i++) {
		f[i] = f[i - 1] ? strchr(f[i - 1], ':') : NULL;
		if (f[i])
			*f[i]++ = '\0';
	}
	if (!f[5])
		return 0;
	out->uid = (uid_t)strtoul(f[2], &end, 10);
	out->gid = (gid_t)strtoul(f[3], &gend, 10);
	if (*end || end == f[2] || *gend || gend == f[3])
		return 0;
	if (name ? strcmp(f[0], name) != 0 : out->uid != uid)
		return 0;
	snprintf(out->name, sizeof(out->name), "%s", f[0]);
	snprintf(out->home, sizeof(out->home), "%s", f[5]);
	return 1;
}

static int find(const char *path, uid_t uid, const char *name,
		struct passwd_entry *out)
{
	cleanup_free char *text = NULL;
	berr_t err = NULL;
	char *save = NULL;

	/* Read inside container roots: a FIFO or device there must not hang
	 * or feed the runtime. */
	if (fs_read_regular_at(AT_FDCWD, path, 4 << 20, &text, &err) < 0) {
		err_free(&err);
		return 0;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
		if (parse_line(l, uid, name, out))
			return 1;
	return 0;
}

int passwd_find_uid(const char *path, uid_t uid, struct passwd_entry *out)
{
	return find(path, uid, NULL, out);
}

int passwd_find_name(const char *path, const char *name,
		     struct passwd_entry *out)
{
	return find(path, 0, name, out);
}

int group_find_name(const char *path, const char *name, gid_t *gid)
{
	cleanup_free char *text = NULL;
	berr_t err = NULL;
	char *save = NULL;
	size_t len = strlen(name);

	if (fs_read_regular_at(AT_FDCWD, path, 4 << 20, &text, &err) < 0) {
		err_free(&err);
		return 0;
	}
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		char *f = strchr(l, ':'), *end;

		if (!f || (size_t)(f - l) != len || strncmp(l, name, len) != 0 ||
		    !(f = strchr(f + 1, ':')))
			continue;
		*gid = (gid_t)strtoul(f + 1, &end, 10);
		if (end != f + 1 && (*end == ':' || !*end))
			return 1;
	}
	return 0;
}
