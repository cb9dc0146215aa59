#include "runtime/state.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "common/proc.h"
#include "runtime/cgroup.h"

static const char *const status_names[] = {
	[STATUS_CREATING] = "creating", [STATUS_CREATED] = "created",
	[STATUS_RUNNING] = "running",   [STATUS_PAUSED] = "paused",
	[STATUS_STOPPED] = "stopped",
};

const char *status_name(enum container_status s)
{
	return status_names[s];
}

int state_check_id(const char *id, berr_t *err)
{
	static const char allowed[] = "abcdefghijklmnopqrstuvwxyz"
				      "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+-.";
	size_t len = strlen(id), ok = strspn(id, allowed);

	if (len == 0 || len > 1024)
		return err_set(err, EINVAL, "invalid container ID '%s': empty or longer than 1024",
			       id);
	/* A leading dot would hide the record in the state root. */
	if (ok < len || id[0] == '.')
		return err_set(err, EINVAL, "invalid container ID '%s': invalid character '%c' (letters, digits and _+-. are allowed, not a leading .)",
			       id, ok < len ? id[ok] : '.');
	return 0;
}

int state_dir_create(const char *root, const char *id, int *dirfd,
		     berr_t *err)
{
	cleanup_close int rootfd = -1;

	if (fs_mkdir_p(root, 0711, err) < 0)
		return -1;
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return err_sys(err, "open state root '%s'", root);
	if (mkdirat(rootfd, id, 0711) < 0) {
		if (errno == EEXIST)
			return err_set(err, EEXIST, "container '%s' already exists",
				       id);
		return err_sys(err, "create state directory '%s/%s'", root, id);
	}
	*dirfd = openat(rootfd, id, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0)
		return err_sys(err, "open state directory '%s/%s'", root, id);
	return 0;
}

int state_dir_open(const char *root, const char *id, int *dirfd, berr_t *err)
{
	cleanup_free char *path = NULL;

	if (state_check_id(id, err) < 0)
		return -1;
	if (asprintf(&path, "%s/%s", root, id) < 0)
		return err_sys(err, "open state of '%s'", id);
	*dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*dirfd < 0 && errno == ENOENT)
		return err_set(err, ENOENT, "container '%s' does not exist", id);
	if (*dirfd < 0)
		return err_sys(err, "open '%s'", path);
	return 0;
}

int state_dir_remove(const char *root, const char *id, berr_t *err)
{
	cleanup_close int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0)
		return err_sys(err, "open state root '%s'", root);
	return fs_remove_tree_at(rootfd, id, err);
}

static int set_string(json_t *o, const char *key, const char *value)
{
	return value ? json_object_set_new(o, key, json_string(value)) : 0;
}

int state_save(int dirfd, const struct container_state *st, berr_t *err)
{
	json_auto_t *o = json_object();
	cleanup_free char *text = NULL;

	if (!o || set_string(o, "id", st->id) < 0 ||
	    set_string(o, "bundle", st->bundle) < 0 ||
	    set_string(o, "rootfs", st->rootfs) < 0 ||
	    set_string(o, "created", st->created) < 0 ||
	    set_string(o, "owner", st->owner) < 0 ||
	    set_string(o, "ociVersion", st->oci_version) < 0 ||
	    set_string(o, "cgroupRoot", st->cgroup_root) < 0 ||
	    set_string(o, "cgroupPath", st->cgroup_path) < 0 ||
	    json_object_set_new(o, "pid", json_integer(st->pid)) < 0 ||
	    json_object_set_new(o, "pidStart", json_integer((json_int_t)st->pid_start)) < 0 ||
	    json_object_set(o, "annotations", st->annotations) < 0)
		return err_set(err, ENOMEM, "encode state of '%s'", st->id);
	text = json_dumps(o, JSON_COMPACT);
	if (!text)
		return err_set(err, ENOMEM, "encode state of '%s'", st->id);
	return fs_write_atomic_at(dirfd, "state.json", text, strlen(text), 0600,
				  FS_VOLATILE, err);
}

/* The record names the cgroup that kill --all and delete act on: only
 * the cgroupfs berth itself would have used is believed. */
static int check_cgroup_root(const char *root, berr_t *err)
{
	const char *env = getenv("BERTH_CGROUP_ROOT");

	if (!root || strcmp(root, "/sys/fs/cgroup") == 0 || (env && strcmp(root, env) == 0))
		return 0;
	return err_set(err, EINVAL, "cgroupRoot: '%s' is neither /sys/fs/cgroup nor $BERTH_CGROUP_ROOT",
		       root);
}

static int load_fields(json_t *o, struct container_state *st, berr_t *err)
{
	int64_t pid = 0, start = 0;

	if (jget_string(o, "id", "", true, &st->id, err) < 0 ||
	    jget_string(o, "bundle", "", true, &st->bundle, err) < 0 ||
	    jget_string(o, "rootfs", "", false, &st->rootfs, err) < 0 ||
	    jget_string(o, "created", "", false, &st->created, err) < 0 ||
	    jget_string(o, "owner", "", false, &st->owner, err) < 0 ||
	    jget_string(o, "ociVersion", "", false, &st->oci_version, err) < 0 ||
	    jget_string(o, "cgroupRoot", "", false, &st->cgroup_root, err) < 0 ||
	    jget_string(o, "cgroupPath", "", false, &st->cgroup_path, err) < 0 ||
	    jget_int(o, "pid", "", 0, INT32_MAX, true, &pid, err) < 0 ||
	    jget_int(o, "pidStart", "", 0, INT64_MAX, false, &start, err) < 0)
		return -1;
	if (check_cgroup_root(st->cgroup_root, err) < 0)
		return -1;
	st->pid = (pid_t)pid;
	st->pid_start = (uint64_t)start;
	st->annotations = json_incref(json_object_get(o, "annotations"));
	if (!json_is_object(st->annotations)) {
		json_decref(st->annotations);
		st->annotations = json_object();
	}
	return 0;
}

int state_load(const char *root, const char *id, struct container_state *st,
	       berr_t *err)
{
	cleanup_close int dirfd = -1;
	cleanup_free char *text = NULL;
	json_auto_t *o = NULL;
	json_error_t jerr;
	size_t len;

	memset(st, 0, sizeof(*st));
	if (state_dir_open(root, id, &dirfd, err) < 0)
		return -1;
	if (fs_read_file_at(dirfd, "state.json", 1 << 20, &text, &len, err) < 0) {
		if ((*err)->errnum == ENOENT)
			return err_set(err, ENOENT, "container '%s' does not exist (no state yet)",
				       id);
		return err_prefix(err, "state of '%s'", id);
	}
	o = json_loadb(text, len, 0, &jerr);
	if (!o)
		return err_set(err, EINVAL, "%s/%s/state.json: %s", root, id,
			       jerr.text);
	if (load_fields(o, st, err) < 0) {
		state_clear(st);
		return err_prefix(err, "%s/%s/state.json", root, id);
	}
	return 0;
}

void state_clear(struct container_state *st)
{
	free(st->id);
	free(st->bundle);
	free(st->rootfs);
	free(st->created);
	free(st->owner);
	free(st->oci_version);
	free(st->cgroup_root);
	free(st->cgroup_path);
	json_decref(st->annotations);
	memset(st, 0, sizeof(*st));
}

static bool fifo_exists(const char *root, const char *id)
{
	char path[PATH_MAX];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s/%s/exec.fifo", root, id) >=
	    (int)sizeof(path))
		return false;
	return stat(path, &sb) == 0;
}

static bool cgroup_frozen(const struct container_state *st)
{
	struct cgroup cg = { 0 };
	berr_t err = NULL;
	int frozen = 0;

	if (st->cgroup_path &&
	    cgroup_init(&cg, st->cgroup_root, st->cgroup_path, &err) == 0)
		frozen = cg.ops->is_frozen(&cg, &err);
	cgroup_clear(&cg);
	err_free(&err);
	return frozen > 0;
}

enum container_status state_status(const char *root,
				   const struct container_state *st)
{
	if (!proc_is_alive(st->pid, st->pid_start))
		return STATUS_STOPPED;
	if (cgroup_frozen(st))
		return STATUS_PAUSED;
	if (fifo_exists(root, st->id))
		return STATUS_CREATED;
	return STATUS_RUNNING;
}

json_t *state_to_json(const struct container_state *st,
		      enum container_status status)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "ociVersion",
			    json_string(st->oci_version ? st->oci_version : "1.2.0"));
	json_object_set_new(o, "id", json_string(st->id));
	json_object_set_new(o, "pid", json_integer(status == STATUS_STOPPED ? 0 : st->pid));
	json_object_set_new(o, "status", json_string(status_name(status)));
	json_object_set_new(o, "bundle", json_string(st->bundle));
	json_object_set_new(o, "rootfs", json_string(st->rootfs ? st->rootfs : ""));
	json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
	json_object_set_new(o, "owner", json_string(st->owner ? st->owner : ""));
	if (st->annotations && json_object_size(st->annotations))
		json_object_set(o, "annotations", st->annotations);
	return o;
}

char *state_timestamp(void)
{
	struct timespec ts;
	char date[32], *out = NULL;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (asprintf(&out, "%s.%09ldZ", date, ts.tv_nsec) < 0)
		return NULL;
	return out;
}
