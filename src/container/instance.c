/* Starting and releasing one run of a kept container (see instance.h). */
#include "container/instance.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/proc.h"
#include "container/record.h"
#include "container/rootfs.h"
#include "network/network.h"
#include "image/image.h"
#include "image/store.h"
#include "image/store_internal.h"
#include "runtime/state.h"

int instance_runtime_root(const char *run_root, char *buf, size_t len, berr_t *err)
{
	if (snprintf(buf, len, "%s/runtime", run_root) >= (int)len)
		return err_set(err, ENAMETOOLONG, "run root '%s' too long", run_root);
	return 0;
}

int instance_signal(const char *run_root, const char *id, int sig, berr_t *err)
{
	char rt_root[PATH_MAX];

	if (instance_runtime_root(run_root, rt_root, sizeof(rt_root), err) < 0)
		return -1;
	return container_kill(rt_root, id, sig, false, err);
}

static void userns_of(json_t *rec, struct userns_range *r)
{
	json_t *u = json_object_get(json_object_get(rec, "HostConfig"), "Userns");

	r->base = (uint32_t)json_integer_value(json_object_get(u, "Base"));
	r->size = (uint32_t)json_integer_value(json_object_get(u, "Size"));
}

/* A stop unmounts the root filesystem; a start after it (or after a
 * reboot) mounts it again.  The store lock keeps gc away meanwhile. */
static int mount_rootfs(const char *root, const char *dir, json_t *rec, berr_t *err)
{
	cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int lock = -1;
	const char *manifest = json_string_value(json_object_get(rec, "ImageManifest"));
	struct store s = { .rootfd = -1 };
	struct image img = { 0 };
	struct rootfs_opts o = { 0 };
	int r;

	if (dirfd < 0)
		return err_sys(err, "open %s", dir);
	if (fs_is_mount_point_at(dirfd, "rootfs"))
		return 0;
	if (!manifest)
		return err_set(err, EINVAL, "%s/container.json: no ImageManifest", dir);
	userns_of(rec, &o.userns);
	r = store_open(root, &s, err) < 0 || store_lock(&s, false, &lock, err) < 0 ||
			    image_resolve(&s, manifest, &img, err) < 0 ||
			    container_rootfs_mount(&s, &img, dir, &o, err) < 0
		    ? -1 : 0;
	image_clear(&img);
	store_close(&s);
	return r;
}

/* The runtime's record of the previous run, if the monitor's cleanup did
 * not get to remove it (it was killed). */
static int forget_previous(const char *rt_root, const char *id, bool starting, berr_t *err)
{
	struct container_state st = { 0 };
	berr_t none = NULL;

	if (state_load(rt_root, id, &st, &none) < 0) {
		err_free(&none);
		return 0;
	}
	bool alive = st.pid > 0 && proc_is_alive(st.pid, st.pid_start);

	state_clear(&st);
	/* A start never removes a run that is still going (a second start). */
	if (starting && alive)
		return err_set(err, EBUSY, "container %.12s is already running", id);
	return container_delete(rt_root, id, true, err);
}

/* A stop released the container's network, a reboot emptied the run
 * root: attach it again at the same namespace path its config.json
 * names (with the ports asked for; a port chosen by the kernel may differ). */
static int ensure_network(const char *root, const char *run_root, const char *id, json_t *rec,
			  berr_t *err)
{
	json_t *hc = json_object_get(rec, "HostConfig");
	const char *network = json_string_value(json_object_get(hc, "NetworkMode"));
	struct net_roots r = { .store = root, .run = run_root };
	struct net_attachment att;
	char netns[PATH_MAX];
	struct port_map *ports = NULL;
	size_t n = 0;
	int rc;

	if (!net_wanted(network))
		return 0;
	snprintf(netns, sizeof(netns), "%s/netns/%s", run_root, id);
	if (access(netns, F_OK) == 0)
		return 0;
	if (port_maps_from_json(json_object_get(hc, "PublishedPorts"), "container.json", &ports,
				&n, err) < 0)
		return -1;
	const char *name = json_string_value(json_object_get(rec, "Name"));
	struct net_request rq = {
		.network = network, .container_id = id, .name = name && *name ? name : NULL,
		.hostname = json_string_value(json_object_get(json_object_get(rec, "Config"), "Hostname")),
		.ports = ports, .n_ports = n,
	};

	rc = net_prepare(&r, &rq, &att, err);
	free(ports);
	return rc;
}

static int release_network(const char *root, const char *run_root, const char *id, berr_t *err)
{
	struct net_roots r = { .store = root, .run = run_root };

	return net_release(&r, id, err);
}

int instance_start(const char *root, const char *run_root, const char *id,
		   struct created *out, berr_t *err)
{
	struct container_paths p;
	char rt_root[PATH_MAX];
	json_t *rec = NULL;
	int r;

	if (container_paths(root, run_root, id, &p, err) < 0 ||
	    instance_runtime_root(run_root, rt_root, sizeof(rt_root), err) < 0 ||
	    container_record_load(p.dir, &rec, err) < 0)
		return -1;
	struct create_opts co = { .root = rt_root, .id = id, .bundle = p.dir };

	r = mount_rootfs(root, p.dir, rec, err) < 0 || forget_previous(rt_root, id, true, err) < 0 ||
			    ensure_network(root, run_root, id, rec, err) < 0
		    ? -1 : container_run_detached(&co, out, err);
	json_decref(rec);
	return r;
}

int instance_remove(const char *root, const char *run_root, const char *id, berr_t *err)
{
	struct container_paths p;
	json_t *rec = NULL;
	berr_t ignored = NULL;

	if (container_paths(root, run_root, id, &p, err) < 0 ||
	    release_network(root, run_root, id, err) < 0)
		return -1;
	if (container_record_load(p.dir, &rec, &ignored) == 0)
		container_name_release(root, json_string_value(json_object_get(rec, "Name")), id);
	err_free(&ignored);
	json_decref(rec);
	if (container_rootfs_unmount(p.dir, err) < 0)
		return -1;
	char parent[PATH_MAX];

	for (int i = 0; i < 2; i++) {
		snprintf(parent, sizeof(parent), "%s/containers", i ? run_root : root);
		cleanup_close int fd = open(parent, O_PATH | O_DIRECTORY | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT)
			continue;
		if (fd < 0)
			return err_sys(err, "open %s", parent);
		if (fs_remove_tree_at(fd, id, err) < 0 && (*err)->errnum != ENOENT)
			return err_prefix(err, "remove container %.12s", id);
		err_free(err);
	}
	return 0;
}

int instance_cleanup(const char *root, const char *run_root, const char *id, berr_t *err)
{
	struct container_paths p;
	char rt_root[PATH_MAX];
	json_t *rec = NULL;
	bool remove;

	if (container_paths(root, run_root, id, &p, err) < 0 ||
	    instance_runtime_root(run_root, rt_root, sizeof(rt_root), err) < 0 ||
	    forget_previous(rt_root, id, false, err) < 0 ||
	    release_network(root, run_root, id, err) < 0 ||
	    container_record_load(p.dir, &rec, err) < 0)
		return -1;
	remove = json_is_true(json_object_get(json_object_get(rec, "HostConfig"), "AutoRemove"));
	json_decref(rec);
	if (remove)
		return instance_remove(root, run_root, id, err);
	return container_rootfs_unmount(p.dir, err);
}
