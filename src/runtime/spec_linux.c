/* config.json "linux": namespaces, id mappings, devices, sysctl, paths. */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "runtime/spec.h"
#include "runtime/spec_internal.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct {
	const char *name, *proc_name;
	int type;
} namespace_names[] = {
	{ "pid", "pid", CLONE_NEWPID },	      { "network", "net", CLONE_NEWNET },
	{ "mount", "mnt", CLONE_NEWNS },      { "ipc", "ipc", CLONE_NEWIPC },
	{ "uts", "uts", CLONE_NEWUTS },	      { "user", "user", CLONE_NEWUSER },
	{ "cgroup", "cgroup", CLONE_NEWCGROUP }, { "time", "time", CLONE_NEWTIME },
};

#define N_NAMESPACES (sizeof(namespace_names) / sizeof(*namespace_names))

const char *spec_namespace_name(int type)
{
	for (size_t i = 0; i < N_NAMESPACES; i++)
		if (namespace_names[i].type == type)
			return namespace_names[i].name;
	return NULL;
}

const char *spec_namespace_proc_name(int type)
{
	for (size_t i = 0; i < N_NAMESPACES; i++)
		if (namespace_names[i].type == type)
			return namespace_names[i].proc_name;
	return NULL;
}

int spec_namespace_type(const char *name)
{
	for (size_t i = 0; i < N_NAMESPACES; i++)
		if (strcmp(namespace_names[i].name, name) == 0)
			return namespace_names[i].type;
	return -1;
}

void *spec_alloc_array(json_t *arr, size_t elem, const char *where,
		       berr_t *err)
{
	void *p;

	if (json_array_size(arr) > SPEC_MAX_ITEMS) {
		err_set(err, E2BIG, "%s: more than %d entries", where,
			SPEC_MAX_ITEMS);
		return NULL;
	}
	p = calloc(json_array_size(arr) + 1, elem);
	if (!p)
		err_sys(err, "%s", where);
	return p;
}

static int parse_namespace(json_t *item, const char *where,
			   struct spec_namespace *ns, int seen, berr_t *err)
{
	cleanup_free char *type = NULL;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_string(item, "type", where, true, &type, err) < 0 ||
	    jget_string(item, "path", where, false, &ns->path, err) < 0)
		return -1;
	ns->type = spec_namespace_type(type);
	if (ns->type < 0)
		return err_set(err, EINVAL, "%s.type: unknown namespace '%s'",
			       where, type);
	if (seen & ns->type)
		return err_set(err, EINVAL, "%s.type: namespace '%s' listed twice",
			       where, type);
	if (ns->path && ns->path[0] != '/')
		return err_set(err, EINVAL, "%s.path: '%s' is not an absolute path",
			       where, ns->path);
	return 0;
}

static int parse_namespaces(json_t *lx, struct spec_linux *l, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p;
	size_t i;
	int seen = 0;

	found = jget_array(lx, "namespaces", "linux", false, &arr, err);
	if (found <= 0)
		return found;
	l->namespaces = spec_alloc_array(arr, sizeof(*l->namespaces),
					 "linux.namespaces", err);
	if (!l->namespaces)
		return -1;
	json_array_foreach(arr, i, item) {
		l->n_namespaces = i + 1;
		if (parse_namespace(item, jpath_index(&p, "linux.namespaces", i),
				    &l->namespaces[i], seen, err) < 0)
			return -1;
		seen |= l->namespaces[i].type;
	}
	return 0;
}

static int parse_idmap(json_t *item, const char *where, struct spec_idmap *m,
		       berr_t *err)
{
	int64_t c, h, s;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_int(item, "containerID", where, 0, UINT32_MAX, true, &c, err) < 0 ||
	    jget_int(item, "hostID", where, 0, UINT32_MAX, true, &h, err) < 0 ||
	    jget_int(item, "size", where, 1, UINT32_MAX, true, &s, err) < 0)
		return -1;
	if (c + s > (int64_t)UINT32_MAX + 1 || h + s > (int64_t)UINT32_MAX + 1)
		return err_set(err, ERANGE, "%s: range runs past the 32-bit id space",
			       where);
	m->container_id = (uint32_t)c;
	m->host_id = (uint32_t)h;
	m->size = (uint32_t)s;
	return 0;
}

int spec_parse_idmaps(json_t *obj, const char *key, const char *where,
		      struct spec_idmap **out, size_t *n, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(obj, key, where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, key);
	/* The kernel takes at most 340 lines per map. */
	if (json_array_size(arr) > 340)
		return err_set(err, E2BIG, "%s: more than 340 mappings", where);
	*out = spec_alloc_array(arr, sizeof(**out), where, err);
	if (!*out)
		return -1;
	json_array_foreach(arr, i, item) {
		if (parse_idmap(item, jpath_index(&q, where, i), &(*out)[i],
				err) < 0)
			return -1;
		*n = i + 1;
	}
	return 0;
}

static int parse_time_offset(json_t *obj, const char *key, int64_t *secs,
			     uint32_t *nsecs, berr_t *err)
{
	int found;
	json_t *o = NULL;
	struct jpath p;
	int64_t ns = 0;

	found = jget_object(obj, key, "linux.timeOffsets", false, &o, err);
	if (found <= 0)
		return found;
	jpath_key(&p, "linux.timeOffsets", key);
	if (jget_int(o, "secs", p.buf, INT64_MIN, INT64_MAX, false, secs, err) < 0 ||
	    jget_int(o, "nanosecs", p.buf, 0, 999999999, false, &ns, err) < 0)
		return -1;
	*nsecs = (uint32_t)ns;
	return 0;
}

static int parse_time_offsets(json_t *lx, struct spec_linux *l, berr_t *err)
{
	json_t *obj = NULL;
	int r = jget_object(lx, "timeOffsets", "linux", false, &obj, err);

	if (r <= 0)
		return r;
	l->time_offsets.set = true;
	if (parse_time_offset(obj, "monotonic", &l->time_offsets.monotonic_secs,
			      &l->time_offsets.monotonic_nsecs, err) < 0 ||
	    parse_time_offset(obj, "boottime", &l->time_offsets.boottime_secs,
			      &l->time_offsets.boottime_nsecs, err) < 0)
		return -1;
	return 0;
}

static int parse_device(json_t *item, const char *where, struct spec_device *d,
			berr_t *err)
{
	cleanup_free char *type = NULL;
	bool need_numbers;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_string(item, "type", where, true, &type, err) < 0 ||
	    jget_string(item, "path", where, true, &d->path, err) < 0)
		return -1;
	if (strlen(type) != 1 || !strchr("cbup", type[0]))
		return err_set(err, EINVAL, "%s.type: '%s' is not one of c, b, u, p",
			       where, type);
	d->type = type[0];
	if (d->path[0] != '/')
		return err_set(err, EINVAL, "%s.path: '%s' is not an absolute path",
			       where, d->path);
	need_numbers = d->type != 'p';
	if (jget_int(item, "major", where, 0, UINT32_MAX, need_numbers, &d->major,
		     err) < 0 ||
	    jget_int(item, "minor", where, 0, UINT32_MAX, need_numbers, &d->minor,
		     err) < 0 ||
	    spec_opt_u64(item, "fileMode", where, 07777, &d->file_mode, err) < 0 ||
	    spec_opt_u64(item, "uid", where, UINT32_MAX - 1, &d->uid, err) < 0 ||
	    spec_opt_u64(item, "gid", where, UINT32_MAX - 1, &d->gid, err) < 0)
		return -1;
	return 0;
}

static int parse_devices(json_t *lx, struct spec_linux *l, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p;
	size_t i;

	found = jget_array(lx, "devices", "linux", false, &arr, err);
	if (found <= 0)
		return found;
	l->devices = spec_alloc_array(arr, sizeof(*l->devices), "linux.devices",
				      err);
	if (!l->devices)
		return -1;
	json_array_foreach(arr, i, item) {
		l->n_devices = i + 1;
		if (parse_device(item, jpath_index(&p, "linux.devices", i),
				 &l->devices[i], err) < 0)
			return -1;
	}
	return 0;
}

int spec_parse_kv(json_t *obj, const char *key, const char *where,
		  struct spec_kv **out, size_t *n, berr_t *err)
{
	int found;
	json_t *map = NULL, *v;
	struct jpath p, q;
	const char *k;
	size_t i = 0;

	found = jget_object(obj, key, where, false, &map, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, key);
	if (json_object_size(map) > SPEC_MAX_ITEMS)
		return err_set(err, E2BIG, "%s: more than %d entries", where,
			       SPEC_MAX_ITEMS);
	*out = calloc(json_object_size(map) + 1, sizeof(**out));
	if (!*out)
		return err_sys(err, "%s", where);
	json_object_foreach(map, k, v) {
		(*out)[i].key = strdup(k);
		*n = i + 1;
		if (!(*out)[i].key)
			return err_sys(err, "%s", where);
		if (jcheck_string(v, jpath_key(&q, where, k), &(*out)[i].value,
				  err) < 0)
			return -1;
		i++;
	}
	return 0;
}

void spec_kv_free(struct spec_kv *kv, size_t n)
{
	for (size_t i = 0; kv && i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static int parse_propagation(json_t *lx, struct spec_linux *l, berr_t *err)
{
	int found;
	static const struct {
		const char *name;
		unsigned long flags;
	} props[] = {
		{ "private", MS_PRIVATE }, { "rprivate", MS_PRIVATE | MS_REC },
		{ "shared", MS_SHARED },   { "rshared", MS_SHARED | MS_REC },
		{ "slave", MS_SLAVE },     { "rslave", MS_SLAVE | MS_REC },
		{ "unbindable", MS_UNBINDABLE },
		{ "runbindable", MS_UNBINDABLE | MS_REC },
	};
	cleanup_free char *name = NULL;

	found = jget_string(lx, "rootfsPropagation", "linux", false, &name, err);
	if (found <= 0)
		return found;
	for (size_t i = 0; i < sizeof(props) / sizeof(*props); i++)
		if (strcmp(props[i].name, name) == 0) {
			l->rootfs_propagation = props[i].flags;
			return 0;
		}
	return err_set(err, EINVAL, "linux.rootfsPropagation: unknown propagation '%s'",
		       name);
}

static int parse_personality(json_t *lx, struct spec_linux *l, berr_t *err)
{
	cleanup_free char *domain = NULL;
	cleanup_strv char **flags = NULL;
	json_t *obj = NULL;
	int r = jget_object(lx, "personality", "linux", false, &obj, err);

	if (r <= 0)
		return r;
	if (jget_string(obj, "domain", "linux.personality", true, &domain, err) < 0 ||
	    jget_strv(obj, "flags", "linux.personality", false, &flags, err) < 0)
		return -1;
	if (strcmp(domain, "LINUX") == 0)
		l->personality.v = PER_LINUX;
	else if (strcmp(domain, "LINUX32") == 0)
		l->personality.v = PER_LINUX32;
	else
		return err_set(err, EINVAL, "linux.personality.domain: unknown domain '%s'",
			       domain);
	if (flags[0])
		return err_set(err, EINVAL, "linux.personality.flags: no flags are defined");
	l->personality.set = true;
	return 0;
}

static int check_paths(char **paths, const char *where, berr_t *err)
{
	struct jpath p;

	for (size_t i = 0; paths[i]; i++)
		if (paths[i][0] != '/')
			return err_set(err, EINVAL, "%s: '%s' is not an absolute path",
				       jpath_index(&p, where, i), paths[i]);
	return 0;
}

static int parse_paths(json_t *lx, struct spec_linux *l, berr_t *err)
{
	json_t *rdt = NULL;

	if (jget_strv(lx, "maskedPaths", "linux", false, &l->masked_paths, err) < 0 ||
	    jget_strv(lx, "readonlyPaths", "linux", false, &l->readonly_paths,
		      err) < 0 ||
	    check_paths(l->masked_paths, "linux.maskedPaths", err) < 0 ||
	    check_paths(l->readonly_paths, "linux.readonlyPaths", err) < 0 ||
	    jget_string(lx, "mountLabel", "linux", false, &l->mount_label, err) < 0 ||
	    jget_object(lx, "intelRdt", "linux", false, &rdt, err) < 0)
		return -1;
	if (rdt)
		return err_set(err, EOPNOTSUPP,
			       "linux.intelRdt: Intel RDT is not supported by berth");
	return 0;
}

static int parse_cgroups(json_t *lx, struct spec_linux *l, berr_t *err)
{
	json_t *res = NULL;

	if (jget_string(lx, "cgroupsPath", "linux", false, &l->cgroups_path,
			err) < 0 ||
	    jget_object(lx, "resources", "linux", false, &res, err) < 0)
		return -1;
	if (l->cgroups_path && strstr(l->cgroups_path, ".."))
		return err_set(err, EINVAL, "linux.cgroupsPath: '%s' must not contain '..'",
			       l->cgroups_path);
	if (!res)
		return 0;
	l->has_resources = true;
	return spec_parse_resources(res, "linux.resources", &l->resources, err);
}

int spec_parse_linux(json_t *root, struct spec *spec, berr_t *err)
{
	struct spec_linux *l = &spec->linux;
	json_t *lx = NULL, *sc = NULL;

	if (jget_object(root, "linux", "", false, &lx, err) < 0)
		return -1;
	if (parse_namespaces(lx, l, err) < 0 ||
	    spec_parse_idmaps(lx, "uidMappings", "linux", &l->uid_mappings,
			      &l->n_uid_mappings, err) < 0 ||
	    spec_parse_idmaps(lx, "gidMappings", "linux", &l->gid_mappings,
			      &l->n_gid_mappings, err) < 0 ||
	    parse_time_offsets(lx, l, err) < 0 || parse_devices(lx, l, err) < 0 ||
	    parse_cgroups(lx, l, err) < 0 || parse_propagation(lx, l, err) < 0 ||
	    spec_parse_kv(lx, "sysctl", "linux", &l->sysctl, &l->n_sysctl, err) < 0 ||
	    parse_personality(lx, l, err) < 0 || parse_paths(lx, l, err) < 0 ||
	    jget_object(lx, "seccomp", "linux", false, &sc, err) < 0)
		return -1;
	if (sc && spec_parse_seccomp(sc, "linux.seccomp", &l->seccomp, err) < 0)
		return -1;
	return 0;
}

void spec_linux_free(struct spec_linux *l)
{
	for (size_t i = 0; i < l->n_namespaces; i++)
		free(l->namespaces[i].path);
	free(l->namespaces);
	free(l->uid_mappings);
	free(l->gid_mappings);
	for (size_t i = 0; i < l->n_devices; i++)
		free(l->devices[i].path);
	free(l->devices);
	free(l->cgroups_path);
	spec_resources_clear(&l->resources);
	spec_seccomp_free(&l->seccomp);
	spec_kv_free(l->sysctl, l->n_sysctl);
	strv_free(l->masked_paths);
	strv_free(l->readonly_paths);
	free(l->mount_label);
}
