/* The volume store: names, creation by rename, records, listing, users
 * and removal (see volume.h for the layout). */
#include "volume/volume.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/random.h"
#include "common/strv.h"

#define RECORD_MAX (1 << 20)
#define CONFIG_MAX (16 << 20)

int volume_check_name(const char *name, berr_t *err)
{
	size_t len = name ? strlen(name) : 0;

	if (len == 0)
		return err_set(err, EINVAL, "volume name: empty");
	if (len > VOLUME_NAME_MAX)
		return err_set(err, EINVAL, "volume name '%.32s...': longer than %d characters",
			       name, VOLUME_NAME_MAX);
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return err_set(err, EINVAL,
				       "volume name '%s': must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
				       name);
	}
	return 0;
}

static int volumes_dir(const char *root, char *buf, size_t len, berr_t *err)
{
	if (snprintf(buf, len, "%s/volumes", root) >= (int)len)
		return err_set(err, ENAMETOOLONG, "root '%s' too long", root);
	return 0;
}

/* <root>/volumes, created when missing, opened as a directory fd. */
static int open_volumes(const char *root, int *fd, berr_t *err)
{
	char dir[PATH_MAX];

	if (volumes_dir(root, dir, sizeof(dir), err) < 0 || fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	*fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return err_sys(err, "open '%s'", dir);
	return 0;
}

int volume_lock(const char *root, bool exclusive, int *fd, berr_t *err)
{
	cleanup_close int dirfd = -1, lfd = -1;
	int r;

	if (open_volumes(root, &dirfd, err) < 0)
		return -1;
	lfd = openat(dirfd, ".lock", O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lfd < 0)
		return err_sys(err, "open '%s/volumes/.lock'", root);
	do
		r = flock(lfd, exclusive ? LOCK_EX : LOCK_SH);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return err_sys(err, "lock '%s/volumes/.lock'", root);
	*fd = take_fd(lfd);
	return 0;
}

int volume_data_path(const char *root, const char *name, char **path, berr_t *err)
{
	if (asprintf(path, "%s/volumes/%s/_data", root, name) < 0)
		return err_sys(err, "volume '%s'", name);
	return 0;
}

static json_t *new_record(const char *root, const char *name, json_t *labels)
{
	cleanup_free char *mountpoint = NULL;
	char created[32];
	time_t now = time(NULL);
	struct tm tm;

	if (volume_data_path(root, name, &mountpoint, NULL) < 0 || !gmtime_r(&now, &tm))
		return NULL;
	strftime(created, sizeof(created), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s,s:s,s:s,s:s,s:o,s:{},s:s}", "Name", name, "Driver", "local",
			 "Mountpoint", mountpoint, "CreatedAt", created, "Labels",
			 labels ? json_incref(labels) : json_object(), "Options", "Scope", "local");
}

/* A complete volume in volumes/<tmp>: _data and volume.json. */
static int build_tmp(int dirfd, const char *tmp, const char *root, const char *name,
		     json_t *labels, berr_t *err)
{
	cleanup_close int vfd = -1;
	cleanup_free char *text = NULL;
	json_t *rec = new_record(root, name, labels);

	if (rec)
		text = json_dumps(rec, JSON_INDENT(2));
	json_decref(rec);
	if (!text)
		return err_set(err, ENOMEM, "volume '%s': record", name);
	if (mkdirat(dirfd, tmp, 0700) < 0)
		return err_sys(err, "create '%s/volumes/%s'", root, tmp);
	vfd = openat(dirfd, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (vfd < 0 || mkdirat(vfd, "_data", 0755) < 0)
		return err_sys(err, "create '%s/volumes/%s/_data'", root, tmp);
	return fs_write_atomic_at(vfd, "volume.json", text, strlen(text), 0600, FS_DURABLE,
				  err);
}

static void remove_quietly(int dirfd, const char *name)
{
	cleanup_err berr_t e = NULL;

	fs_remove_tree_at(dirfd, name, &e);
}

/* Built aside, then renamed into place without replacing anything: a
 * concurrent creator of the same name either wins (we drop ours) or
 * loses; nobody ever sees a volume without its record. */
static int create_named(const char *root, const char *name, json_t *labels, bool *created,
			berr_t *err)
{
	cleanup_close int dirfd = -1;
	char tmp[40] = ".tmp-";
	int lost;

	*created = false;
	if (open_volumes(root, &dirfd, err) < 0)
		return -1;
	if (faccessat(dirfd, name, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (random_hex(tmp + 5, 16, err) < 0)
		return -1;
	if (build_tmp(dirfd, tmp, root, name, labels, err) < 0) {
		remove_quietly(dirfd, tmp);
		return -1;
	}
	if (renameat2(dirfd, tmp, dirfd, name, RENAME_NOREPLACE) == 0) {
		*created = true;
		return fsync(dirfd) < 0 ? err_sys(err, "sync '%s/volumes'", root) : 0;
	}
	lost = errno;
	remove_quietly(dirfd, tmp);
	if (lost == EEXIST || lost == ENOTEMPTY)
		return 0;
	errno = lost;
	return err_sys(err, "create volume '%s'", name);
}

int volume_create(const char *root, const char *name, json_t *labels, char **name_out,
		  bool *created, berr_t *err)
{
	char random_name[65];

	if (!name) {
		if (random_hex(random_name, 32, err) < 0)
			return -1;
		name = random_name;
	}
	if (volume_check_name(name, err) < 0)
		return -1;
	if (create_named(root, name, labels, created, err) < 0)
		return -1;
	*name_out = strdup(name);
	return *name_out ? 0 : err_sys(err, "volume '%s'", name);
}

int volume_load(const char *root, const char *name, json_t **doc, berr_t *err)
{
	cleanup_free char *path = NULL, *text = NULL, *data = NULL;
	json_t *rec;
	const char *recorded;

	if (volume_check_name(name, err) < 0 || volume_data_path(root, name, &data, err) < 0)
		return -1;
	if (asprintf(&path, "%s/volumes/%s/volume.json", root, name) < 0)
		return err_sys(err, "volume '%s'", name);
	if (fs_read_regular_at(AT_FDCWD, path, RECORD_MAX, &text, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return -1;
		err_free(err);
		return err_set(err, ENOENT, "no such volume: %s", name);
	}
	rec = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	recorded = json_string_value(json_object_get(rec, "Name"));
	if (!json_is_object(rec) || !recorded || strcmp(recorded, name)) {
		json_decref(rec);
		return err_set(err, EINVAL, "%s: not a record of volume '%s'", path, name);
	}
	/* The data is where this root keeps it, whatever the file says. */
	json_object_set_new(rec, "Mountpoint", json_string(data));
	*doc = rec;
	return 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int volume_list(const char *root, char ***names, berr_t *err)
{
	cleanup_close int dirfd = -1;
	cleanup_closedir DIR *d = NULL;
	cleanup_strv char **v = NULL;
	struct dirent *e;

	if (open_volumes(root, &dirfd, err) < 0)
		return -1;
	d = fdopendir(dirfd);
	if (!d)
		return err_sys(err, "read '%s/volumes'", root);
	dirfd = -1;
	v = calloc(1, sizeof(*v));
	if (!v)
		return err_sys(err, "volumes");
	while ((e = readdir(d))) {
		cleanup_err berr_t ignored = NULL;

		if ((e->d_type != DT_DIR && e->d_type != DT_UNKNOWN) ||
		    volume_check_name(e->d_name, &ignored) < 0)
			continue;
		if (strv_push(&v, e->d_name) < 0)
			return err_sys(err, "volumes");
	}
	qsort(v, strv_len(v), sizeof(*v), by_name);
	*names = take_ptr(v);
	return 0;
}

/* Whether the config at dirfd/path has a mount with source data. */
static bool config_mounts(int dirfd, const char *path, const char *data)
{
	cleanup_free char *text = NULL;
	cleanup_err berr_t e = NULL;
	json_t *cfg, *m;
	size_t i;
	bool found = false;

	if (fs_read_regular_at(dirfd, path, CONFIG_MAX, &text, &e) < 0)
		return false;
	cfg = json_loads(text, 0, NULL);
	json_array_foreach(json_object_get(cfg, "mounts"), i, m) {
		const char *src = json_string_value(json_object_get(m, "source"));

		found |= src && !strcmp(src, data);
	}
	json_decref(cfg);
	return found;
}

int volume_users(const char *root, const char *name, char ***ids, berr_t *err)
{
	cleanup_free char *data = NULL, *dir = NULL;
	cleanup_closedir DIR *d = NULL;
	cleanup_strv char **v = NULL;
	struct dirent *e;

	if (volume_data_path(root, name, &data, err) < 0 ||
	    asprintf(&dir, "%s/containers", root) < 0)
		return err_sys(err, "volume '%s'", name);
	v = calloc(1, sizeof(*v));
	if (!v)
		return err_sys(err, "volume '%s'", name);
	d = opendir(dir);
	if (!d && errno != ENOENT)
		return err_sys(err, "read '%s'", dir);
	while (d && (e = readdir(d))) {
		char path[NAME_MAX + 16];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/config.json", e->d_name);
		if (config_mounts(dirfd(d), path, data) && strv_push(&v, e->d_name) < 0)
			return err_sys(err, "volume '%s'", name);
	}
	qsort(v, strv_len(v), sizeof(*v), by_name);
	*ids = take_ptr(v);
	return 0;
}

int volume_remove(const char *root, const char *name, berr_t *err)
{
	cleanup_strv char **users = NULL;
	cleanup_close int dirfd = -1;
	char trash[40] = ".tmp-";
	json_t *rec = NULL;

	if (volume_load(root, name, &rec, err) < 0)
		return -1;
	json_decref(rec);
	if (volume_users(root, name, &users, err) < 0)
		return -1;
	if (users[0])
		return err_set(err, EBUSY, "volume '%s' is in use by container %.12s", name,
			       users[0]);
	/* Out of sight in one step, then removed at leisure. */
	if (open_volumes(root, &dirfd, err) < 0 || random_hex(trash + 5, 16, err) < 0)
		return -1;
	if (renameat(dirfd, name, dirfd, trash) < 0)
		return err_sys(err, "remove volume '%s'", name);
	return fs_remove_tree_at(dirfd, trash, err);
}
