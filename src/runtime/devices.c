#include "runtime/devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "runtime/rootfs.h"

static const struct spec_device default_devices[] = {
	{ .type = 'c', .path = "/dev/null", .major = 1, .minor = 3 },
	{ .type = 'c', .path = "/dev/zero", .major = 1, .minor = 5 },
	{ .type = 'c', .path = "/dev/full", .major = 1, .minor = 7 },
	{ .type = 'c', .path = "/dev/random", .major = 1, .minor = 8 },
	{ .type = 'c', .path = "/dev/urandom", .major = 1, .minor = 9 },
	{ .type = 'c', .path = "/dev/tty", .major = 5, .minor = 0 },
};

#define N_DEFAULT (sizeof(default_devices) / sizeof(*default_devices))

/* Everything is denied first, then the defaults, ptys and mknod itself
 * are allowed, as runc does, whatever the config lists in between. */
static const struct spec_device_rule default_rules[] = {
	{ false, 'a', -1, -1, "rwm" },
	{ true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },
	{ true, 'c', 1, 3, "rwm" },  { true, 'c', 1, 5, "rwm" },
	{ true, 'c', 1, 7, "rwm" },  { true, 'c', 1, 8, "rwm" },
	{ true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },
	{ true, 'c', 5, 1, "rwm" },  { true, 'c', 5, 2, "rwm" },
	{ true, 'c', 136, -1, "rwm" }, { true, 'c', 10, 200, "rwm" },
};

#define N_RULES (sizeof(default_rules) / sizeof(*default_rules))

static mode_t node_type(char type)
{
	switch (type) {
	case 'b': return S_IFBLK;
	case 'p': return S_IFIFO;
	default: return S_IFCHR;
	}
}

static int bind_host_node(int fd, const struct spec_device *d, berr_t *err)
{
	char target[32];

	snprintf(target, sizeof(target), "/proc/self/fd/%d", fd);
	if (mount(d->path, target, NULL, MS_BIND, NULL) < 0)
		return err_sys(err, "bind device '%s'", d->path);
	return 0;
}

static int create_node(int rootfd, const struct spec_device *d,
		       bool in_userns, berr_t *err)
{
	char parent_path[PATH_MAX];
	const char *leaf = strrchr(d->path, '/') + 1;
	mode_t mode = d->file_mode.set ? (mode_t)d->file_mode.v : 0666;
	cleanup_close int parent = -1, fd = -1;

	snprintf(parent_path, sizeof(parent_path), "%.*s",
		 (int)(leaf - d->path), d->path);
	parent = rootfs_open_dest(rootfd, parent_path, true, err);
	if (parent < 0)
		return -1;
	unlinkat(parent, leaf, 0);
	if (in_userns) {
		fd = rootfs_open_dest(rootfd, d->path, false, err);
		return fd < 0 ? -1 : bind_host_node(fd, d, err);
	}
	if (mknodat(parent, leaf, node_type(d->type) | (mode & 07777),
		    makedev(d->major, d->minor)) < 0)
		return err_sys(err, "create device '%s'", d->path);
	/* mknod applies the umask; the config's mode is what was asked. */
	if (fchmodat(parent, leaf, mode & 07777, 0) < 0 ||
	    fchownat(parent, leaf, d->uid.set ? (uid_t)d->uid.v : 0,
		     d->gid.set ? (gid_t)d->gid.v : 0, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "set owner and mode of '%s'", d->path);
	return 0;
}

static int create_links(int rootfd, berr_t *err)
{
	static const char *const links[][2] = {
		{ "/proc/self/fd", "fd" },     { "/proc/self/fd/0", "stdin" },
		{ "/proc/self/fd/1", "stdout" }, { "/proc/self/fd/2", "stderr" },
		{ "pts/ptmx", "ptmx" },
	};
	cleanup_close int dev = rootfs_open_dest(rootfd, "/dev", true, err);

	if (dev < 0)
		return -1;
	for (size_t i = 0; i < sizeof(links) / sizeof(*links); i++) {
		if (strcmp(links[i][1], "ptmx") == 0)
			unlinkat(dev, "ptmx", 0);
		if (symlinkat(links[i][0], dev, links[i][1]) < 0 && errno != EEXIST)
			return err_sys(err, "create /dev/%s", links[i][1]);
	}
	return 0;
}

int devices_create(const struct spec *spec, int rootfd, bool in_userns,
		   berr_t *err)
{
	for (size_t i = 0; i < N_DEFAULT; i++)
		if (create_node(rootfd, &default_devices[i], in_userns, err) < 0)
			return -1;
	for (size_t i = 0; i < spec->linux.n_devices; i++)
		if (create_node(rootfd, &spec->linux.devices[i], in_userns, err) < 0)
			return err_prefix(err, "linux.devices[%zu]", i);
	return create_links(rootfd, err);
}

int devices_cgroup_rules(const struct spec *spec,
			 struct spec_device_rule **rules, size_t *n,
			 berr_t *err)
{
	const struct spec_resources *r = &spec->linux.resources;
	size_t total = r->n_devices + N_RULES + spec->linux.n_devices + 1, k = 0;
	struct spec_device_rule *out = calloc(total + 1, sizeof(*out));

	if (!out)
		return err_sys(err, "device rules");
	out[k++] = default_rules[0];
	for (size_t i = 0; i < r->n_devices; i++)
		out[k++] = r->devices[i];
	for (size_t i = 1; i < N_RULES; i++)
		out[k++] = default_rules[i];
	for (size_t i = 0; i < spec->linux.n_devices; i++) {
		const struct spec_device *d = &spec->linux.devices[i];

		if (d->type == 'p')
			continue;
		out[k] = (struct spec_device_rule){ true, d->type == 'u' ? 'c' : d->type,
						    d->major, d->minor, "rwm" };
		k++;
	}
	*rules = out;
	*n = k;
	return 0;
}
