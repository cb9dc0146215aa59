#include "container/userns.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/units.h"

/* Host ids from 100000 on, as docker's userns-remap and most
 * /etc/subuid files begin; far below the 2^32-1 invalid uid. */
#define POOL_START 100000u
#define POOL_END 0xf0000000u
#define DEFAULT_SIZE 65536u

int userns_parse(const char *arg, struct userns_range *r, berr_t *err)
{
	int64_t size = DEFAULT_SIZE;

	r->base = 0;
	r->size = 0;
	if (!strcmp(arg, "host") || !strcmp(arg, ""))
		return 0;
	if (!strncmp(arg, "auto:size=", 10)) {
		if (units_parse_int(arg + 10, "--userns auto:size", 1, 1 << 24, &size, err) < 0)
			return -1;
	} else if (strcmp(arg, "auto") != 0) {
		return err_set(err, EINVAL, "--userns '%s': expected host, auto or auto:size=N", arg);
	}
	r->size = (uint32_t)size;
	return 0;
}

static bool overlaps(const struct userns_range *a, const struct userns_range *b)
{
	return a->base < b->base + b->size && b->base < a->base + a->size;
}

/* The range a container recorded, if it has one. */
static bool recorded(int dirfd, const char *id, struct userns_range *r)
{
	char path[300];
	cleanup_free char *text = NULL;
	berr_t err = NULL;

	snprintf(path, sizeof(path), "%s/userns", id);
	if (fs_read_file_at(dirfd, path, 64, &text, NULL, &err) < 0) {
		err_free(&err);
		return false;
	}
	return sscanf(text, "%" SCNu32 " %" SCNu32, &r->base, &r->size) == 2 && r->size;
}

/* Every recorded range that overlaps r: move r past it and look again. */
static int first_free(DIR *d, struct userns_range *r, berr_t *err)
{
	bool moved = true;

	r->base = POOL_START;
	while (moved) {
		struct dirent *de;

		moved = false;
		rewinddir(d);
		while ((errno = 0, de = readdir(d))) {
			struct userns_range used;

			if (de->d_name[0] == '.' || !recorded(dirfd(d), de->d_name, &used) ||
			    !overlaps(r, &used))
				continue;
			r->base = used.base + used.size;
			moved = true;
		}
		if (errno)
			return err_sys(err, "read the containers directory");
		if ((uint64_t)r->base + r->size > POOL_END)
			return err_set(err, ENOSPC, "--userns auto: no free range of %" PRIu32 " host ids left",
				       r->size);
	}
	return 0;
}

int userns_allocate(const char *containers, const char *id,
		    struct userns_range *r, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	cleanup_close int lock = -1, cfd = -1;
	char text[32];
	int dfd;

	dfd = open(containers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return err_sys(err, "open '%s'", containers);
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return err_sys(err, "open '%s'", containers);
	}
	lock = openat(dirfd(d), ".userns.lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock < 0 || flock(lock, LOCK_EX) < 0)
		return err_sys(err, "lock '%s/.userns.lock'", containers);
	if (first_free(d, r, err) < 0)
		return -1;
	cfd = openat(dirfd(d), id, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (cfd < 0)
		return err_sys(err, "open container directory '%s/%s'", containers, id);
	snprintf(text, sizeof(text), "%" PRIu32 " %" PRIu32 "\n", r->base, r->size);
	return fs_write_atomic_at(cfd, "userns", text, strlen(text), 0600, FS_VOLATILE, err);
}
