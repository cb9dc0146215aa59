/* Kept containers' records and names (see record.h). */
#include "container/record.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"

#define RECORD_MAX (1 << 20)

int container_paths(const char *root, const char *run_root, const char *id,
		    struct container_paths *p, berr_t *err)
{
	if (strlen(id) != CONTAINER_ID_LEN)
		return err_set(err, EINVAL, "'%s' is not a container id", id);
	memcpy(p->id, id, CONTAINER_ID_LEN + 1);
	if (snprintf(p->dir, sizeof(p->dir), "%s/containers/%s", root, id) >= (int)sizeof(p->dir) ||
	    snprintf(p->run_dir, sizeof(p->run_dir), "%s/containers/%s", run_root, id) >=
		    (int)sizeof(p->run_dir))
		return err_set(err, ENAMETOOLONG, "root '%s' or run root '%s' too long", root,
			       run_root);
	return 0;
}

int container_name_check(const char *name, berr_t *err)
{
	size_t n = strlen(name);

	if (n == 0 || n > 128)
		return err_set(err, EINVAL, "container name '%s': must be 1 to 128 characters", name);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  (i > 0 && (c == '_' || c == '.' || c == '-'));

		if (!ok)
			return err_set(err, EINVAL, "container name '%s': only [a-zA-Z0-9][a-zA-Z0-9_.-]* is allowed",
				       name);
	}
	return 0;
}

static int names_dir(const char *root, int *fd, berr_t *err)
{
	char path[PATH_MAX];

	if (snprintf(path, sizeof(path), "%s/container-names", root) >= (int)sizeof(path))
		return err_set(err, ENAMETOOLONG, "root '%s' too long", root);
	if (fs_mkdir_p(path, 0700, err) < 0)
		return -1;
	*fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return *fd < 0 ? err_sys(err, "open %s", path) : 0;
}

/* A name left by a `berth run` killed before it wrote its record. */
static bool holder_gone(const char *root, const char *holder)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/containers/%s", root, holder);
	return strlen(holder) != CONTAINER_ID_LEN || access(path, F_OK) < 0;
}

/* Replaced by a rename over it (two runs racing for one dangling name: the
 * later rename wins). */
static int take_over(int dir, const char *name, const char *id, berr_t *err)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), ".%.12s.new", id);
	unlinkat(dir, tmp, 0);
	if (symlinkat(id, dir, tmp) < 0 || renameat(dir, tmp, dir, name) < 0)
		return err_sys(err, "take over the container name '%s'", name);
	return 0;
}

int container_name_reserve(const char *root, const char *name, const char *id,
			   berr_t *err)
{
	cleanup_close int dir = -1;
	char holder[CONTAINER_ID_LEN + 1];
	ssize_t n;

	if (container_name_check(name, err) < 0 || names_dir(root, &dir, err) < 0)
		return -1;
	if (symlinkat(id, dir, name) == 0)
		return 0;
	if (errno != EEXIST)
		return err_sys(err, "reserve the container name '%s'", name);
	n = readlinkat(dir, name, holder, sizeof(holder) - 1);
	holder[n > 0 ? n : 0] = 0;
	if (holder_gone(root, holder))
		return take_over(dir, name, id, err);
	return err_set(err, EEXIST, "the container name '%s' is already in use by container %.12s",
		       name, holder);
}

void container_name_release(const char *root, const char *name, const char *id)
{
	cleanup_close int dir = -1;
	char holder[CONTAINER_ID_LEN + 1];
	berr_t err = NULL;
	ssize_t n;

	if (!name || names_dir(root, &dir, &err) < 0) {
		err_free(&err);
		return;
	}
	n = readlinkat(dir, name, holder, sizeof(holder) - 1);
	if (n == CONTAINER_ID_LEN && !memcmp(holder, id, CONTAINER_ID_LEN))
		unlinkat(dir, name, 0);
}

static bool is_id(const char *s)
{
	return strlen(s) == CONTAINER_ID_LEN && strspn(s, "0123456789abcdef") == CONTAINER_ID_LEN;
}

static int by_name(const char *root, const char *ref, char id[CONTAINER_ID_LEN + 1])
{
	cleanup_close int dir = -1;
	berr_t err = NULL;
	ssize_t n;

	if (container_name_check(ref, &err) < 0 || names_dir(root, &dir, &err) < 0) {
		err_free(&err);
		return -1;
	}
	n = readlinkat(dir, ref, id, CONTAINER_ID_LEN + 1);
	if (n != CONTAINER_ID_LEN)
		return -1;
	id[n] = 0;
	return is_id(id) ? 0 : -1;
}

int container_list(const char *root, char ***ids, berr_t *err)
{
	char path[PATH_MAX];
	struct dirent **ents = NULL;
	int n;

	*ids = calloc(1, sizeof(char *));
	if (!*ids)
		return err_sys(err, "list containers");
	snprintf(path, sizeof(path), "%s/containers", root);
	n = scandir(path, &ents, NULL, alphasort);
	if (n < 0)
		return errno == ENOENT ? 0 : err_sys(err, "list %s", path);
	cleanup_close int dir = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	for (int i = 0; i < n; i++) {
		char rec[sizeof(ents[i]->d_name) + 16];
		struct stat st;

		snprintf(rec, sizeof(rec), "%s/container.json", ents[i]->d_name);
		if (r == 0 && is_id(ents[i]->d_name) && dir >= 0 &&
		    fstatat(dir, rec, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    strv_push(ids, ents[i]->d_name) < 0)
			r = err_sys(err, "list containers");
		free(ents[i]);
	}
	free(ents);
	return r;
}

int container_lookup(const char *root, const char *ref, char id[CONTAINER_ID_LEN + 1],
		     berr_t *err)
{
	char **ids = NULL;
	size_t len = strlen(ref), found = 0;

	char dir[PATH_MAX];

	/* An exact id first, as docker: a name may look like an id. */
	snprintf(dir, sizeof(dir), "%s/containers/%s/container.json", root, ref);
	if (is_id(ref) && access(dir, F_OK) == 0) {
		memcpy(id, ref, CONTAINER_ID_LEN + 1);
		return 0;
	}
	if (by_name(root, ref, id) == 0) {
		if (!holder_gone(root, id))
			return 0;
		container_name_release(root, ref, id); /* dangling: garbage */
	}
	if (len == 0 || len > CONTAINER_ID_LEN || strspn(ref, "0123456789abcdef") != len)
		return err_set(err, ENOENT, "no such container: %s", ref);
	if (container_list(root, &ids, err) < 0) {
		strv_free(ids);
		return -1;
	}
	for (size_t i = 0; ids[i]; i++)
		if (!strncmp(ids[i], ref, len) && found++ == 0)
			memcpy(id, ids[i], CONTAINER_ID_LEN + 1);
	strv_free(ids);
	if (found == 1)
		return 0;
	return err_set(err, found ? EINVAL : ENOENT,
		       found ? "container id prefix '%s' is ambiguous" : "no such container: %s", ref);
}

int container_lock(const char *dir, int *fd, berr_t *err)
{
	cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	*fd = dirfd < 0 ? -1 : openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (*fd < 0)
		return err_sys(err, "lock container %s", dir);
	while (flock(*fd, LOCK_EX) < 0)
		if (errno != EINTR) {
			close(*fd);
			*fd = -1;
			return err_sys(err, "lock container %s", dir);
		}
	return 0;
}

int container_record_write(const char *dir, json_t *rec, berr_t *err)
{
	cleanup_free char *text = json_dumps(rec, JSON_INDENT(2) | JSON_SORT_KEYS);
	cleanup_close int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (!text || fd < 0)
		return err_sys(err, "write the record of container %s", dir);
	return fs_write_atomic_at(fd, "container.json", text, strlen(text), 0600, FS_DURABLE, err);
}

static int load_json(const char *dir, const char *name, bool optional, json_t **out,
		     berr_t *err)
{
	cleanup_close int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_free char *text = NULL;
	json_error_t je;
	size_t len;

	*out = NULL;
	if (fd < 0)
		return err_sys(err, "open %s", dir);
	if (fs_read_file_at(fd, name, RECORD_MAX, &text, &len, err) < 0) {
		if (optional && (*err)->errnum == ENOENT) {
			err_free(err);
			return 0;
		}
		return -1;
	}
	*out = json_loadb(text, len, 0, &je);
	if (!*out || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		return err_set(err, EINVAL, "%s/%s: line %d: %s", dir, name, je.line,
			       je.text[0] ? je.text : "not an object");
	}
	return 0;
}

int container_record_load(const char *dir, json_t **rec, berr_t *err)
{
	return load_json(dir, "container.json", false, rec, err);
}

int container_state_load(const char *dir, json_t **state, berr_t *err)
{
	return load_json(dir, "state.json", true, state, err);
}
