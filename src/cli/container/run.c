/* `berth run`: an image's container in the foreground, with docker run's
 * flags: rootfs (overlay of the image's layers), OCI config, the in-process
 * runtime, then cleanup. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/syscalls.h"
#include "common/units.h"
#include "container/config.h"
#include "container/rootfs.h"
#include "container/run_options.h"
#include "image/image.h"
#include "image/store.h"
#include "image/store_internal.h"
#include "image/uses.h"
#include "runtime/container.h"

enum { R_RM = 256, R_ENVFILE, R_ENTRYPOINT, R_NAME, R_TMPFS, R_READONLY, R_CPUS,
       R_PIDS, R_CAPADD, R_CAPDROP, R_SECOPT, R_NETWORK, R_ULIMIT, R_INIT, R_USERNS };

static const struct option opts[] = {
	{ "rm", no_argument, NULL, R_RM },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "env", required_argument, NULL, 'e' },
	{ "env-file", required_argument, NULL, R_ENVFILE },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ "entrypoint", required_argument, NULL, R_ENTRYPOINT },
	{ "name", required_argument, NULL, R_NAME },
	{ "hostname", required_argument, NULL, 'h' },
	{ "volume", required_argument, NULL, 'v' },
	{ "tmpfs", required_argument, NULL, R_TMPFS },
	{ "read-only", no_argument, NULL, R_READONLY },
	{ "memory", required_argument, NULL, 'm' },
	{ "cpus", required_argument, NULL, R_CPUS },
	{ "pids-limit", required_argument, NULL, R_PIDS },
	{ "cap-add", required_argument, NULL, R_CAPADD },
	{ "cap-drop", required_argument, NULL, R_CAPDROP },
	{ "security-opt", required_argument, NULL, R_SECOPT },
	{ "network", required_argument, NULL, R_NETWORK },
	{ "net", required_argument, NULL, R_NETWORK },
	{ "ulimit", required_argument, NULL, R_ULIMIT },
	{ "init", no_argument, NULL, R_INIT },
	{ "userns", required_argument, NULL, R_USERNS },
	{ 0 },
};

static int push(char ***v, berr_t *err)
{
	return strv_push(v, optarg) < 0 ? err_sys(err, "run") : 0;
}

static int parse_cpus(struct run_options *o, berr_t *err)
{
	char *end;

	o->cpus = strtod(optarg, &end);
	if (*end || end == optarg || !(o->cpus > 0) || o->cpus > 1024)
		return err_set(err, EINVAL, "--cpus: '%s' is not a number of CPUs like 1.5", optarg);
	return 0;
}

static int security_opt(struct run_options *o, berr_t *err)
{
	if (!strcmp(optarg, "no-new-privileges") || !strcmp(optarg, "no-new-privileges:true") ||
	    !strcmp(optarg, "no-new-privileges=true"))
		o->no_new_privileges = true;
	else if (!strncmp(optarg, "seccomp=", 8) || !strncmp(optarg, "seccomp:", 8))
		o->seccomp = optarg + 8;
	else
		return err_set(err, EINVAL, "--security-opt '%s': expected no-new-privileges or seccomp=unconfined|FILE",
			       optarg);
	return 0;
}

static int parse_flag(int c, struct run_options *o, berr_t *err)
{
	switch (c) {
	case R_RM: o->rm = true; return 0;
	case 'i': o->interactive = true; return 0;
	case 't': o->tty = true; return 0;
	case 'e': return push(&o->env, err);
	case R_ENVFILE: return push(&o->env_files, err);
	case 'w': o->workdir = optarg; return 0;
	case 'u': o->user = optarg; return 0;
	case R_ENTRYPOINT: o->entrypoint = optarg; o->entrypoint_set = true; return 0;
	case R_NAME: o->name = optarg; return 0;
	case 'h': o->hostname = optarg; return 0;
	case 'v': return push(&o->volumes, err);
	case R_TMPFS: return push(&o->tmpfs, err);
	case R_READONLY: o->read_only = true; return 0;
	case 'm': return units_parse_bytes(optarg, "--memory", &o->memory, err);
	case R_CPUS: return parse_cpus(o, err);
	case R_PIDS: return units_parse_int(optarg, "--pids-limit", -1, INT32_MAX, &o->pids_limit, err);
	case R_CAPADD: return push(&o->cap_add, err);
	case R_CAPDROP: return push(&o->cap_drop, err);
	case R_SECOPT: return security_opt(o, err);
	case R_NETWORK: o->network = optarg; return 0;
	case R_ULIMIT: return push(&o->ulimits, err);
	case R_INIT: o->init = true; return 0;
	case R_USERNS: return userns_parse(optarg, &o->userns, err);
	}
	return err_set(err, EINVAL, "run: unknown flag");
}

static int parse(int argc, char **argv, struct run_options *o, berr_t *err)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+ite:w:u:h:v:m:", opts, NULL)) != -1) {
		if (c == '?' || c == ':')
			return err_set(err, EINVAL, "run: unknown flag or missing value in '%s'",
				       argv[optind - 1]);
		if (parse_flag(c, o, err) < 0)
			return -1;
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "run: expected an image (berth run [flags] IMAGE [COMMAND...])");
	o->image = argv[optind];
	o->command = argv + optind + 1;
	return 0;
}

static void clear_options(struct run_options *o)
{
	strv_free(o->env);
	strv_free(o->env_files);
	strv_free(o->volumes);
	strv_free(o->tmpfs);
	strv_free(o->cap_add);
	strv_free(o->cap_drop);
	strv_free(o->ulimits);
}

struct run_ctx {
	struct store store;
	struct image img;
	char id[65];
	char containers[PATH_MAX], dir[PATH_MAX];
	bool opened, resolved, dir_made, mounted;
};

static int new_id(char id[65], berr_t *err)
{
	unsigned char raw[32];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return err_sys(err, "container id");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

#define INIT_PATH "/.berth/berth-init"

/* A dynamically linked berth (the sanitizer build) cannot run inside an
 * arbitrary image: it has a program interpreter. */
static bool linked_statically(int fd)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;

	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return false;
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		off_t at = (off_t)(eh.e_phoff + (Elf64_Off)i * eh.e_phentsize);

		if (pread(fd, &ph, sizeof(ph), at) != (ssize_t)sizeof(ph))
			return false;
		if (ph.p_type == PT_INTERP)
			return false;
	}
	return true;
}

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
	if (!linked_statically(in))
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

static int write_config(struct run_ctx *x, const struct run_options *o,
			berr_t *err)
{
	char rootfs[PATH_MAX];
	cleanup_free char *text = NULL;
	cleanup_close int dirfd = -1;
	json_t *cfg = NULL;

	if (snprintf(rootfs, sizeof(rootfs), "%s/rootfs", x->dir) >= (int)sizeof(rootfs))
		return err_set(err, ENAMETOOLONG, "container directory '%s' too long", x->dir);
	if (container_config_build(&x->img.config, o, x->id, rootfs, &cfg, err) < 0)
		return -1;
	if (o->name)
		json_object_set_new(json_object_get(cfg, "annotations"), "org.berth.name",
				    json_string(o->name));
	if (o->init && install_init(rootfs, err) < 0) {
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

/* The store lock is held shared from finding the image until the
 * container has recorded it and its layers are mounted: garbage
 * collection (exclusive) sees either no container or one whose image it
 * must keep. */
static int prepare(const struct cli_roots *r, struct run_options *o,
		   struct run_ctx *x, berr_t *err)
{
	cleanup_close int lock = -1;

	if (store_open(r->store, &x->store, err) < 0)
		return -1;
	x->opened = true;
	if (store_lock(&x->store, false, &lock, err) < 0 ||
	    image_resolve(&x->store, o->image, &x->img, err) < 0)
		return -1;
	x->resolved = true;
	if (new_id(x->id, err) < 0)
		return -1;
	if (snprintf(x->containers, sizeof(x->containers), "%s/containers", r->store) >=
	    (int)sizeof(x->containers) ||
	    snprintf(x->dir, sizeof(x->dir), "%s/%s", x->containers, x->id) >= (int)sizeof(x->dir))
		return err_set(err, ENAMETOOLONG, "store root '%s' too long", r->store);
	if (fs_mkdir_p(x->dir, 0700, err) < 0)
		return -1;
	x->dir_made = true;
	if (o->userns.size && userns_allocate(x->containers, x->id, &o->userns, err) < 0)
		return -1;
	if (image_use_write(x->dir, x->img.manifest_digest, x->img.config_digest,
			    o->name, err) < 0 ||
	    container_rootfs_mount(&x->store, &x->img, x->dir,
				   &(struct rootfs_opts){ .userns = o->userns, .discard = o->rm }, err) < 0)
		return -1;
	x->mounted = true;
	return write_config(x, o, err);
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

static int launch(const struct cli_roots *r, const struct run_options *o,
		  struct run_ctx *x, int *code, berr_t *err)
{
	char state_root[PATH_MAX];
	struct create_opts co = { .id = x->id, .bundle = x->dir };

	if (snprintf(state_root, sizeof(state_root), "%s/runtime", r->run) >=
	    (int)sizeof(state_root))
		return err_set(err, ENAMETOOLONG, "run root '%s' too long", r->run);
	co.root = state_root;
	if (!o->interactive && detach_stdin(err) < 0)
		return -1;
	return container_run(&co, false, false, code, err);
}

static void remove_dir(struct run_ctx *x)
{
	cleanup_close int parent = open(x->containers, O_PATH | O_DIRECTORY | O_CLOEXEC);
	berr_t err = NULL;

	if (parent < 0 || fs_remove_tree_at(parent, x->id, &err) < 0)
		fprintf(stderr, "berth: remove container %s: %s\n", x->id,
			err ? err_msg(err) : strerror(errno));
	err_free(&err);
}

static void cleanup(struct run_ctx *x, bool rm)
{
	berr_t err = NULL;
	bool unmounted = true;

	if (x->mounted && container_rootfs_unmount(x->dir, &err) < 0) {
		fprintf(stderr, "berth: %s\n", err_msg(err));
		unmounted = false;
	}
	err_free(&err);
	/* Never remove a tree that might still be the mounted rootfs. */
	if (rm && x->dir_made && unmounted)
		remove_dir(x);
	if (x->resolved)
		image_clear(&x->img);
	if (x->opened)
		store_close(&x->store);
}

/* docker's codes: 127 command not found, 126 not runnable, 125 berth. */
static int failure_code(const berr_t err)
{
	bool exec = err && strstr(err_msg(err), "exec: ");

	if (exec && err->errnum == ENOENT)
		return 127;
	if (exec && (err->errnum == EACCES || err->errnum == ENOEXEC))
		return 126;
	return 125;
}

int cli_run(const struct cli_roots *roots, int argc, char **argv)
{
	struct run_options o = { .network = "none" };
	struct run_ctx x = { 0 };
	berr_t err = NULL;
	int code = 0;

	if (parse(argc, argv, &o, &err) < 0 || prepare(roots, &o, &x, &err) < 0 ||
	    launch(roots, &o, &x, &code, &err) < 0) {
		code = failure_code(err);
		fprintf(stderr, "berth: %s\n", err_msg(err));
	}
	cleanup(&x, o.rm);
	clear_options(&o);
	err_free(&err);
	return code;
}
