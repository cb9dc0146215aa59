/* One container of an image run in the foreground, as `berth run` does
 * and as `berth build` runs each RUN step: its directory
 * <store>/containers/<id>/, the root filesystem over the image's layers,
 * the OCI config from the image config and the run options, the runtime
 * in this process, and the cleanup after it. */
#include "container/foreground.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/elf.h"
#include "common/fs.h"
#include "common/random.h"
#include "common/syscalls.h"
#include "container/config.h"
#include "container/rootfs.h"
#include "container/templates.h"
#include "image/uses.h"
#include "runtime/container.h"
#include "volume/volume_mount.h"

#define INIT_PATH "/.berth/berth-init"

/* --init: a copy of this (static) binary in the container's writable
 * layer, not a bind of the host's, which the container could write. */
static int install_init(const char *rootfs, berr_t *err)
{
	cleanup_close int rootfd = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cleanup_close int dirfd = -1, in = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	cleanup_close int out = -1;
	struct stat st;

	if (rootfd < 0 || in < 0 || fstat(in, &st) < 0)
		return err_sys(err, "--init: install berth-init");
	if (!elf_linked_statically(in))
		return err_set(err, ENOEXEC, "--init: this berth is linked dynamically and cannot run inside the image; use the release build");
	mkdirat(rootfd, ".berth", 0755);
	dirfd = sys_openat_in_root(rootfd, "/.berth", O_PATH | O_DIRECTORY, 0);
	out = dirfd < 0 ? -1 : openat(dirfd, "berth-init",
				      O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
	if (out < 0)
		return err_sys(err, "--init: create %s", INIT_PATH);
	if (fs_copy_data(in, out, st.st_size, err) < 0)
		return err_prefix(err, "--init: berth-init");
	return 0;
}

static void prepend_init(json_t *cfg)
{
	json_t *args = json_object_get(json_object_get(cfg, "process"), "args");

	json_array_insert_new(args, 0, json_string("--"));
	json_array_insert_new(args, 0, json_string(INIT_PATH));
}

static int write_config(struct fg_container *x, const struct run_options *o,
			unsigned flags, berr_t *err)
{
	char rootfs[PATH_MAX];
	cleanup_free char *text = NULL;
	cleanup_close int dirfd = -1, volumes_lock = -1;
	cleanup_strv char **volumes = NULL;
	struct run_options with_volumes = *o;
	json_t *cfg = NULL;

	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", x->dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "container directory '%s' too long", x->dir);
	/* The volumes' lock is held until config.json names their data. */
	if (volume_run_specs(x->store->root, rootfs, o->volumes, &volumes, &volumes_lock,
			     err) < 0)
		return -1;
	with_volumes.volumes = volumes;
	if (container_config_build(&x->img->config, &with_volumes, x->id, rootfs, &cfg, err) < 0)
		return -1;
	if (x->net_attached && net_config_apply(cfg, &x->net, err) < 0) {
		json_decref(cfg);
		return -1;
	}
	if (o->name)
		json_object_set_new(json_object_get(cfg, "annotations"), "org.berth.name",
				    json_string(o->name));
	if (((flags & FG_TEMPLATES) &&
	     templates_render(x->img->config.labels,
			      json_object_get(json_object_get(cfg, "process"), "env"), rootfs,
			      err) < 0) ||
	    (o->init && install_init(rootfs, err) < 0)) {
		json_decref(cfg);
		return -1;
	}
	if (o->init)
		prepend_init(cfg);
	text = json_dumps(cfg, JSON_INDENT(2));
	json_decref(cfg);
	dirfd = open(x->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (!text || dirfd < 0)
		return err_sys(err, "write the config of container %s", x->id);
	return fs_write_atomic_at(dirfd, "config.json", text, strlen(text), 0600,
				  FS_VOLATILE, err);
}

/* --network NAME: namespace, addresses and /etc files exist before
 * config.json names them.  This process owns the attachment: if it dies
 * without fg_cleanup, the next attachment on this host releases it. */
static int attach_network(struct fg_container *x, const struct run_options *o, unsigned flags,
			  berr_t *err)
{
	struct net_roots r = { .store = x->store->root, .run = x->run_root };
	struct net_request rq = { .network = o->network, .container_id = x->id,
				  .name = o->name, .hostname = o->hostname, .ports = o->ports,
				  .n_ports = o->n_ports, .owner = flags & FG_KEPT ? 0 : getpid() };

	if (!net_wanted(o->network))
		return 0;
	if (!x->run_root)
		return err_set(err, EINVAL, "--network %s: not available here", o->network);
	if (net_prepare(&r, &rq, &x->net, err) < 0)
		return -1;
	x->net_attached = true;
	return 0;
}

static void release_network(struct fg_container *x)
{
	struct net_roots r = { .store = x->store->root, .run = x->run_root };
	berr_t err = NULL;

	if (net_release(&r, x->id, &err) < 0)
		fprintf(stderr, "berth: %s\n", err_msg(err));
	err_free(&err);
	x->net_attached = false;
}

int fg_prepare(struct fg_container *x, struct store *s, const struct image *img,
	       struct run_options *o, unsigned flags, berr_t *err)
{
	x->store = s;
	x->img = img;
	if (random_hex(x->id, 32, err) < 0)
		return -1;
	if (snprintf(x->containers, sizeof(x->containers), "%s/containers", s->root) >=
	    (int)sizeof(x->containers) ||
	    snprintf(x->dir, sizeof(x->dir), "%s/%s", x->containers, x->id) >= (int)sizeof(x->dir))
		return err_set(err, ENAMETOOLONG, "store root '%s' too long", s->root);
	if (fs_mkdir_p(x->dir, 0700, err) < 0)
		return -1;
	x->dir_made = true;
	if (o->userns.size && userns_allocate(x->containers, x->id, &o->userns, err) < 0)
		return -1;
	if ((flags & FG_RECORD_USE) &&
	    image_use_write(x->dir, img->manifest_digest, img->config_digest, o->name, !o->rm,
			    err) < 0)
		return -1;
	if (container_rootfs_mount(s, img, x->dir,
				   &(struct rootfs_opts){ .userns = o->userns, .discard = o->rm },
				   err) < 0)
		return -1;
	x->mounted = true;
	if (attach_network(x, o, flags, err) < 0)
		return -1;
	return write_config(x, o, flags, err);
}

/* Without -i the container's stdin is /dev/null, as with docker. */
static int detach_stdin(berr_t *err)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || dup2(fd, STDIN_FILENO) < 0)
		return err_sys(err, "redirect stdin");
	close(fd);
	return 0;
}

int fg_launch(struct fg_container *x, const struct run_options *o, const char *run_root,
	      int *code, berr_t *err)
{
	char state_root[PATH_MAX];
	struct create_opts co = { .id = x->id, .bundle = x->dir };

	if (snprintf(state_root, sizeof(state_root), "%s/runtime", run_root) >=
	    (int)sizeof(state_root))
		return err_set(err, ENAMETOOLONG, "run root '%s' too long", run_root);
	co.root = state_root;
	if (!o->interactive && detach_stdin(err) < 0)
		return -1;
	return container_run(&co, false, false, code, err);
}

static void remove_dir(struct fg_container *x)
{
	cleanup_close int parent = open(x->containers, O_PATH | O_DIRECTORY | O_CLOEXEC);
	berr_t err = NULL;

	if (parent < 0 || fs_remove_tree_at(parent, x->id, &err) < 0)
		fprintf(stderr, "berth: remove container %s: %s\n", x->id,
			err ? err_msg(err) : strerror(errno));
	err_free(&err);
}

int fg_unmount(struct fg_container *x, berr_t *err)
{
	if (!x->mounted)
		return 0;
	if (container_rootfs_unmount(x->dir, err) < 0)
		return -1;
	x->mounted = false;
	return 0;
}

void fg_handover(struct fg_container *x)
{
	x->mounted = false;
	x->dir_made = false;
	x->net_attached = false;
}

void fg_cleanup(struct fg_container *x, bool rm)
{
	berr_t err = NULL;
	bool unmounted = true;

	if (x->net_attached)
		release_network(x);
	if (fg_unmount(x, &err) < 0) {
		fprintf(stderr, "berth: %s\n", err_msg(err));
		unmounted = false;
	}
	err_free(&err);
	/* Never remove a tree that might still be the mounted rootfs. */
	if (rm && x->dir_made && unmounted)
		remove_dir(x);
}

/* docker's codes: 127 command not found, 126 not runnable, 125 berth. */
int fg_failure_code(const berr_t err)
{
	/* The runtime words them "exec: 'cmd': ..." (run) or "exec 'cmd': ..."
	 * (exec into a running container). */
	bool exec = err && (strstr(err_msg(err), "exec: ") || strstr(err_msg(err), "exec '"));

	if (exec && err->errnum == ENOENT)
		return 127;
	if (exec && (err->errnum == EACCES || err->errnum == ENOEXEC))
		return 126;
	return 125;
}

