/* Network definitions on disk.  Each is one small JSON file written
 * atomically and durably (it is configuration, it must survive a crash);
 * every field is checked when read back, since the bridge name and the
 * subnet go to the CNI plugins. */
#include "network/netdef.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"

#define DEF_MAX (64 << 10)
/* Automatic subnets of user networks: 10.86.N.0/24. */
#define AUTO_BASE 0x0a560000u

int netdef_check_name(const char *name, berr_t *err)
{
	size_t n = strlen(name);

	if (!n || n > NET_NAME_MAX)
		return err_set(err, EINVAL, "network name '%s': must be 1-%d characters", name,
			       NET_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			     (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || (c != '_' && c != '.' && c != '-')))
			return err_set(err, EINVAL, "network name '%s': only [A-Za-z0-9][A-Za-z0-9_.-]* is allowed",
				       name);
	}
	if (!strcmp(name, "none") || !strcmp(name, "host"))
		return err_set(err, EINVAL, "network name '%s' is reserved", name);
	return 0;
}

static int dir_path(const char *root, char out[PATH_MAX], berr_t *err)
{
	if (snprintf(out, PATH_MAX, "%s/networks", root) >= PATH_MAX)
		return err_set(err, ENAMETOOLONG, "store root '%s' too long", root);
	return 0;
}

static int open_dir(const char *root, berr_t *err)
{
	char dir[PATH_MAX];
	int fd;

	if (dir_path(root, dir, err) < 0 || fs_mkdir_p(dir, 0700, err) < 0)
		return -1;
	fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "open %s", dir);
	return fd;
}

int netdef_lock(const char *root, berr_t *err)
{
	cleanup_close int dirfd = open_dir(root, err);
	cleanup_close int fd = -1;

	if (dirfd < 0)
		return -1;
	fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		return err_sys(err, "lock %s/networks/lock", root);
	return take_fd(fd);
}

static bool bridge_name_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 15)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz0123456789-", s[i]))
			return false;
	return true;
}

static int from_json(json_t *j, const char *file, struct net_def *d, berr_t *err)
{
	cleanup_free char *name = NULL, *id = NULL, *bridge = NULL, *sub = NULL, *gw = NULL;
	int64_t created = 0;

	if (jget_string(j, "name", file, true, &name, err) < 0 ||
	    jget_string(j, "id", file, true, &id, err) < 0 ||
	    jget_string(j, "bridge", file, true, &bridge, err) < 0 ||
	    jget_string(j, "subnet", file, true, &sub, err) < 0 ||
	    jget_string(j, "gateway", file, true, &gw, err) < 0 ||
	    jget_int(j, "created", file, 0, INT64_MAX, false, &created, err) < 0)
		return -1;
	if (netdef_check_name(name, err) < 0 || strlen(id) >= sizeof(d->id) ||
	    !bridge_name_ok(bridge))
		return err_prefix(err, "%s: bad name, id or bridge", file);
	snprintf(d->name, sizeof(d->name), "%s", name);
	snprintf(d->id, sizeof(d->id), "%s", id);
	snprintf(d->bridge, sizeof(d->bridge), "%s", bridge);
	d->created = created;
	if (subnet_parse(sub, file, &d->subnet, err) < 0 ||
	    subnet_parse_host(&d->subnet, gw, file, &d->gateway, err) < 0)
		return -1;
	return 0;
}

json_t *netdef_json(const struct net_def *d)
{
	char sub[SUBNET_STR_MAX], gw[INET_ADDRSTRLEN];

	subnet_format(&d->subnet, sub);
	addr_format(d->gateway, gw);
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:s,s:I}", "name", d->name, "id", d->id,
			 "driver", "bridge", "bridge", d->bridge, "subnet", sub, "gateway", gw,
			 "created", (json_int_t)d->created);
}

static int read_def(int dirfd, const char *file, struct net_def *d, berr_t *err)
{
	cleanup_free char *text = NULL;
	json_error_t jerr;
	json_t *j;
	int r;

	if (fs_read_regular_at(dirfd, file, DEF_MAX, &text, err) < 0)
		return -1;
	j = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return err_set(err, EINVAL, "networks/%s: line %d: %s", file, jerr.line, jerr.text);
	r = from_json(j, file, d, err);
	json_decref(j);
	return r;
}

static int write_def(int dirfd, const struct net_def *d, berr_t *err)
{
	json_t *j = netdef_json(d);
	cleanup_free char *text = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
	char file[NET_NAME_MAX + 8];

	json_decref(j);
	if (!text)
		return err_set(err, ENOMEM, "network %s: encode", d->name);
	snprintf(file, sizeof(file), "%s.json", d->name);
	return fs_write_atomic_at(dirfd, file, text, strlen(text), 0600, FS_DURABLE, err);
}

static int new_id(char id[65], berr_t *err)
{
	unsigned char raw[32];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
		return err_sys(err, "network id");
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(id + 2 * i, 3, "%02x", raw[i]);
	return 0;
}

/* Every <name>.json in dirfd. */
static int read_all(int dirfd, const char *root, struct net_def **out, size_t *n,
		    berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *e;

	*out = NULL;
	*n = 0;
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return err_sys(err, "read %s/networks", root);
	}
	while ((errno = 0, e = readdir(d))) {
		size_t len = strlen(e->d_name);
		struct net_def *grown;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") || e->d_name[0] == '.')
			continue;
		grown = realloc(*out, (*n + 1) * sizeof(**out));
		if (!grown)
			return err_sys(err, "read %s/networks", root);
		*out = grown;
		if (read_def(dirfd, e->d_name, &(*out)[*n], err) < 0)
			return -1;
		(*n)++;
	}
	if (errno)
		return err_sys(err, "read %s/networks", root);
	return 0;
}

static int make_default(int dirfd, struct net_def *d, berr_t *err)
{
	memset(d, 0, sizeof(*d));
	strcpy(d->name, NET_DEFAULT);
	strcpy(d->bridge, NET_DEFAULT_BRIDGE);
	d->created = time(NULL);
	if (new_id(d->id, err) < 0 ||
	    subnet_parse(NET_DEFAULT_SUBNET, "default subnet", &d->subnet, err) < 0)
		return -1;
	d->gateway = d->subnet.addr + 1;
	return write_def(dirfd, d, err);
}

static int load_at(int dirfd, const char *name, struct net_def *out, berr_t *err)
{
	char file[NET_NAME_MAX + 8];

	if (netdef_check_name(name, err) < 0)
		return -1;
	snprintf(file, sizeof(file), "%s.json", name);
	if (read_def(dirfd, file, out, err) == 0)
		return 0;
	if ((*err)->errnum != ENOENT)
		return -1;
	if (!strcmp(name, NET_DEFAULT)) {
		err_free(err);
		return make_default(dirfd, out, err);
	}
	err_free(err);
	return err_set(err, ENOENT, "network '%s' not found", name);
}

int netdef_load(const char *root, const char *name, struct net_def *out, berr_t *err)
{
	cleanup_close int dirfd = open_dir(root, err);

	return dirfd < 0 ? -1 : load_at(dirfd, name, out, err);
}

static bool overlaps_any(const struct net_def *all, size_t n, const struct subnet *s,
			 const char **with)
{
	for (size_t i = 0; i < n; i++)
		if (subnet_overlap(&all[i].subnet, s)) {
			*with = all[i].name;
			return true;
		}
	return false;
}

static int pick_subnet(const struct net_def *all, size_t n, struct subnet *s, berr_t *err)
{
	const char *with;

	for (uint32_t i = 0; i < 256; i++) {
		*s = (struct subnet){ .addr = AUTO_BASE | i << 8, .prefix = 24 };
		if (!overlaps_any(all, n, s, &with))
			return 0;
	}
	return err_set(err, ENOSPC, "no free subnet left in 10.86.0.0/16; give one with --subnet");
}

static int fill_new(const struct net_def *all, size_t n, const char *name, const char *subnet,
		    const char *gateway, struct net_def *d, berr_t *err)
{
	const char *with;

	memset(d, 0, sizeof(*d));
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->created = time(NULL);
	if (new_id(d->id, err) < 0)
		return -1;
	snprintf(d->bridge, sizeof(d->bridge), "br-%.12s", d->id);
	if (subnet ? subnet_parse(subnet, "--subnet", &d->subnet, err) < 0
		   : pick_subnet(all, n, &d->subnet, err) < 0)
		return -1;
	if (subnet && overlaps_any(all, n, &d->subnet, &with))
		return err_set(err, EEXIST, "--subnet %s overlaps the subnet of network '%s'",
			       subnet, with);
	if (gateway)
		return subnet_parse_host(&d->subnet, gateway, "--gateway", &d->gateway, err);
	d->gateway = d->subnet.addr + 1;
	return 0;
}

int netdef_create(const char *root, const char *name, const char *subnet,
		  const char *gateway, struct net_def *out, berr_t *err)
{
	cleanup_close int dirfd = -1;
	cleanup_free struct net_def *all = NULL;
	size_t n;

	if (netdef_check_name(name, err) < 0)
		return -1;
	if (gateway && !subnet)
		return err_set(err, EINVAL, "--gateway needs --subnet");
	/* The list holds the default network, so nothing takes its subnet. */
	if (netdef_list(root, &all, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!strcmp(all[i].name, name))
			return err_set(err, EEXIST, "network '%s' already exists", name);
	dirfd = open_dir(root, err);
	if (dirfd < 0 || fill_new(all, n, name, subnet, gateway, out, err) < 0)
		return -1;
	return write_def(dirfd, out, err);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(((const struct net_def *)a)->name, ((const struct net_def *)b)->name);
}

int netdef_list(const char *root, struct net_def **out, size_t *n, berr_t *err)
{
	cleanup_close int dirfd = open_dir(root, err);
	struct net_def def;

	if (dirfd < 0 || load_at(dirfd, NET_DEFAULT, &def, err) < 0)
		return -1;
	if (read_all(dirfd, root, out, n, err) < 0) {
		free(*out);
		*out = NULL;
		return -1;
	}
	qsort(*out, *n, sizeof(**out), by_name);
	return 0;
}

int netdef_remove(const char *root, const char *name, berr_t *err)
{
	cleanup_close int dirfd = open_dir(root, err);
	char file[NET_NAME_MAX + 8];

	if (dirfd < 0 || netdef_check_name(name, err) < 0)
		return -1;
	if (!strcmp(name, NET_DEFAULT))
		return err_set(err, EPERM, "network '%s' is the default network and cannot be removed",
			       name);
	snprintf(file, sizeof(file), "%s.json", name);
	if (unlinkat(dirfd, file, 0) < 0)
		return errno == ENOENT ? err_set(err, ENOENT, "network '%s' not found", name)
				       : err_sys(err, "remove network '%s'", name);
	return 0;
}
