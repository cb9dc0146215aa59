/* Opening the image store: its directories, the removal of what killed
 * writers left in tmp/, digests and the store lock. */
#include "image/store.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/proc.h"
#include "image/store_internal.h"

/* Sub-directories and their modes: tmp/ is private, so half-written
 * content is never reachable by anyone else. */
static const struct {
	const char *path;
	mode_t mode;
} store_dirs[] = {
	{ "blobs", 0711 },
	{ "blobs/sha256", 0711 },
	{ "layers", 0711 },
	{ "layers/sha256", 0711 },
	{ "layers/by-blob", 0711 },
	{ "refs", 0711 },
	{ "images", 0711 },
	{ "tmp", 0700 },
	{ "locks", 0700 },
	{ "build-cache", 0700 },
};

bool digest_valid(const char *digest)
{
	if (!digest || strncmp(digest, "sha256:", 7) != 0)
		return false;
	for (size_t i = 0; i < 64; i++) {
		char c = digest[7 + i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return digest[71] == '\0';
}

int store_tmp_name(char name[TMP_NAME_MAX], berr_t *err)
{
	unsigned char rnd[8];
	ssize_t n;

	do
		n = getrandom(rnd, sizeof(rnd), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(rnd))
		return err_sys(err, "getrandom");
	snprintf(name, TMP_NAME_MAX, "%d.", (int)getpid());
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(name + strlen(name), 3, "%02x", rnd[i]);
	return 0;
}

/* The pid a temporary name starts with: "<pid>." for tmp/ entries,
 * ".<name>.tmp.<pid>" for fs_write_atomic_at's; 0 when there is none. */
static pid_t tmp_owner(const char *name, bool atomic_style)
{
	const char *p = name;
	char *end;
	long pid;

	if (atomic_style) {
		p = strrchr(name, '.');
		if (name[0] != '.' || !p || p - name < 5 ||
		    strncmp(p - 4, ".tmp", 4) != 0)
			return 0;
		p++;
	}
	if (!isdigit((unsigned char)*p))
		return 0;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno || pid <= 0 || pid > INT_MAX ||
	    (atomic_style ? *end != '\0' : *end != '.'))
		return 0;
	return (pid_t)pid;
}

/* Slack for the rounding of start times to clock ticks and of mtimes. */
#define REUSE_SLACK 2

/* Whether the entry's writer is gone: its pid is dead, or the pid now
 * belongs to a process that started after the entry was last written
 * (the pid was reused), so a crashed writer's leftovers are not kept
 * forever by an unrelated process. */
static bool writer_gone(int dfd, const char *name, pid_t pid)
{
	struct stat st;
	int64_t started;

	if (kill(pid, 0) < 0 && errno == ESRCH)
		return true;
	started = proc_started_at(pid);
	return started > 0 && fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       started > (int64_t)st.st_mtime + REUSE_SLACK;
}

/* Remove the entries of dir left by processes that are gone.  In tmp/
 * everything not owned by a live pid goes, but for partial downloads;
 * elsewhere only atomic-write temporaries
 * (".name.tmp.<pid>") are touched. */
static int clean_dir(int rootfd, const char *dir, bool is_tmp, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	int fd = openat(rootfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;

	if (fd < 0)
		return err_sys(err, "open '%s'", dir);
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return err_sys(err, "open '%s'", dir);
	}
	while ((errno = 0, de = readdir(d))) {
		pid_t pid = tmp_owner(de->d_name, !is_tmp);

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (is_tmp && !strncmp(de->d_name, TMP_PARTIAL_PREFIX,
				       strlen(TMP_PARTIAL_PREFIX)))
			continue;
		if (!is_tmp && pid == 0)
			continue;
		if (pid > 0 && (pid == getpid() || !writer_gone(dirfd(d), de->d_name, pid)))
			continue;
		if (fs_remove_tree_at(dirfd(d), de->d_name, err) < 0)
			return err_prefix(err, "clean '%s'", dir);
	}
	if (errno)
		return err_sys(err, "read '%s'", dir);
	return 0;
}

static int make_dirs(struct store *s, berr_t *err)
{
	for (size_t i = 0; i < sizeof(store_dirs) / sizeof(*store_dirs); i++) {
		struct stat st;

		if (mkdirat(s->rootfd, store_dirs[i].path, store_dirs[i].mode) < 0 &&
		    errno != EEXIST)
			return err_sys(err, "mkdir '%s/%s'", s->root,
				       store_dirs[i].path);
		/* Refuse a symlink planted in place of a store directory. */
		if (fstatat(s->rootfd, store_dirs[i].path, &st,
			    AT_SYMLINK_NOFOLLOW) < 0)
			return err_sys(err, "stat '%s/%s'", s->root,
				       store_dirs[i].path);
		if (!S_ISDIR(st.st_mode))
			return err_set(err, ENOTDIR, "'%s/%s' is not a directory",
				       s->root, store_dirs[i].path);
	}
	return 0;
}

int store_open(const char *root, struct store *s, berr_t *err)
{
	s->root = NULL;
	s->rootfd = -1;
	if (!root || !*root)
		root = STORE_DEFAULT_ROOT;
	if (fs_mkdir_p(root, 0711, err) < 0)
		return err_prefix(err, "store root");
	/* Layer paths handed to overlayfs must be absolute. */
	s->root = realpath(root, NULL);
	if (!s->root)
		return err_sys(err, "store root '%s'", root);
	s->rootfd = open(s->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0) {
		err_sys(err, "open store root '%s'", s->root);
		store_close(s);
		return -1;
	}
	if (make_dirs(s, err) < 0 || clean_dir(s->rootfd, "tmp", true, err) < 0 ||
	    clean_dir(s->rootfd, "refs", false, err) < 0 ||
	    clean_dir(s->rootfd, "images", false, err) < 0 ||
	    clean_dir(s->rootfd, "layers/by-blob", false, err) < 0) {
		store_close(s);
		return -1;
	}
	return 0;
}

void store_close(struct store *s)
{
	if (s->rootfd >= 0)
		close(s->rootfd);
	free(s->root);
	s->root = NULL;
	s->rootfd = -1;
}

static int lock_at(struct store *s, const char *path, int op, int *fd, berr_t *err)
{
	cleanup_close int lfd = openat(s->rootfd, path,
				       O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				       0600);
	int r;

	if (lfd < 0)
		return err_sys(err, "open '%s/%s'", s->root, path);
	do
		r = flock(lfd, op);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return err_sys(err, "lock '%s/%s'", s->root, path);
	*fd = take_fd(lfd);
	return 0;
}

int store_lock(struct store *s, bool exclusive, int *fd, berr_t *err)
{
	return lock_at(s, "lock", exclusive ? LOCK_EX : LOCK_SH, fd, err);
}

int store_lock_work(struct store *s, const char *name, int *fd,
		    char path[STORE_WORK_LOCK_MAX], berr_t *err)
{
	snprintf(path, STORE_WORK_LOCK_MAX, "locks/%s", name);
	return lock_at(s, path, LOCK_EX, fd, err);
}
