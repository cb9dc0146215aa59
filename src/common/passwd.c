#include "common/passwd.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"

/* name:password:uid:gid:gecos:home:shell */
static int parse_line(char *line, uid_t uid, struct passwd_entry *out)
{
	char *f[7] = { line };
	char *end;

	for (int i = 1; i < 7; i++) {
		f[i] = f[i - 1] ? strchr(f[i - 1], ':') : NULL;
		if (f[i])
			*f[i]++ = '\0';
	}
	if (!f[5] || strtoul(f[2], &end, 10) != uid || *end || end == f[2])
		return 0;
	snprintf(out->name, sizeof(out->name), "%s", f[0]);
	snprintf(out->home, sizeof(out->home), "%s", f[5]);
	return 1;
}

int passwd_find_uid(const char *path, uid_t uid, struct passwd_entry *out)
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
		if (parse_line(l, uid, out))
			return 1;
	return 0;
}
