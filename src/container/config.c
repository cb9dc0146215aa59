#include "container/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/passwd.h"
#include "common/units.h"
#include "container/seccomp_default.h"
#include "runtime/spec.h"
#include "runtime/spec_default.h"
#include "volume/volume_mount.h"

/* docker's default capability set. */
static const char *const default_caps[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD",
	"CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
	"CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
};

static void append_strv(json_t *arr, char *const *v)
{
	for (size_t i = 0; v && v[i]; i++)
		json_array_append_new(arr, json_string(v[i]));
}

/* docker: --entrypoint replaces the image's entrypoint and drops its
 * command; COMMAND replaces the command. */
static int set_args(json_t *proc, const struct image_config *img,
		    const struct run_options *o, berr_t *err)
{
	json_t *args = json_array();
	char *one[] = { (char *)o->entrypoint, NULL };
	char *const *entry = o->entrypoint_set ? (o->entrypoint[0] ? one : NULL) : img->entrypoint;
	char *const *cmd = o->command && o->command[0] ? o->command :
			   (o->entrypoint_set ? NULL : img->cmd);

	append_strv(args, entry);
	append_strv(args, cmd);
	if (json_array_size(args) == 0) {
		json_decref(args);
		return err_set(err, EINVAL, "no command: image '%s' has no Entrypoint or Cmd and none was given",
			       o->image);
	}
	json_object_set_new(proc, "args", args);
	return 0;
}

static void env_set(json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "=") + 1, i;
	json_t *old;

	json_array_foreach(env, i, old)
		if (strncmp(json_string_value(old), kv, klen) == 0) {
			json_array_set_new(env, i, json_string(kv));
			return;
		}
	json_array_append_new(env, json_string(kv));
}

/* "K=V" as given, or "K" taken from the caller's environment (docker);
 * a K that is not set there is skipped. */
static void env_add(json_t *env, const char *item)
{
	cleanup_free char *kv = NULL;
	const char *v;

	if (strchr(item, '=')) {
		env_set(env, item);
		return;
	}
	v = getenv(item);
	if (v && asprintf(&kv, "%s=%s", item, v) >= 0)
		env_set(env, kv);
}

static int add_env_file(json_t *env, const char *path, berr_t *err)
{
	cleanup_free char *text = NULL;
	char *save = NULL;
	int lineno = 0;

	if (fs_read_file_at(AT_FDCWD, path, 1 << 20, &text, NULL, err) < 0)
		return err_prefix(err, "--env-file");
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		lineno++;
		l += strspn(l, " \t");
		if (!*l || *l == '#')
			continue;
		if (*l == '=')
			return err_set(err, EINVAL, "--env-file %s: line %d: no variable name",
				       path, lineno);
		env_add(env, l);
	}
	return 0;
}

static int set_env(json_t *proc, const struct image_config *img,
		   const struct run_options *o, berr_t *err)
{
	json_t *env = json_array();

	json_array_append_new(env, json_string("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"));
	for (size_t i = 0; img->env && img->env[i]; i++)
		env_set(env, img->env[i]);
	if (o->tty)
		env_set(env, "TERM=xterm");
	for (size_t i = 0; o->env_files && o->env_files[i]; i++)
		if (add_env_file(env, o->env_files[i], err) < 0) {
			json_decref(env);
			return -1;
		}
	for (size_t i = 0; o->env && o->env[i]; i++)
		env_add(env, o->env[i]);
	json_object_set_new(proc, "env", env);
	return 0;
}

static int lookup_user(const char *rootfs, const char *name, uid_t *uid,
		       gid_t *gid, berr_t *err)
{
	cleanup_free char *path = NULL;
	struct passwd_entry pw;
	char *end;

	*uid = (uid_t)strtoul(name, &end, 10);
	if (asprintf(&path, "%s/etc/passwd", rootfs) < 0)
		return err_sys(err, "--user");
	if (*name && !*end) {
		/* A numeric uid takes its group from passwd, else 0. */
		*gid = passwd_find_uid(path, *uid, &pw) ? pw.gid : 0;
		return 0;
	}
	if (!passwd_find_name(path, name, &pw))
		return err_set(err, ENOENT, "user '%s': no such user in the image's /etc/passwd",
			       name);
	*uid = pw.uid;
	*gid = pw.gid;
	return 0;
}

static int lookup_group(const char *rootfs, const char *name, gid_t *gid,
			berr_t *err)
{
	cleanup_free char *path = NULL;
	char *end;

	*gid = (gid_t)strtoul(name, &end, 10);
	if (*name && !*end)
		return 0;
	if (asprintf(&path, "%s/etc/group", rootfs) < 0)
		return err_sys(err, "--user");
	if (!group_find_name(path, name, gid))
		return err_set(err, ENOENT, "group '%s': no such group in the image's /etc/group",
			       name);
	return 0;
}

int container_user_resolve(const char *rootfs, const char *spec, uid_t *uid, gid_t *gid,
			   berr_t *err)
{
	cleanup_free char *user = strdup(spec);
	char *group;

	*uid = 0;
	*gid = 0;
	if (!user)
		return err_sys(err, "user '%s'", spec);
	group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if ((*user && lookup_user(rootfs, user, uid, gid, err) < 0) ||
	    (group && lookup_group(rootfs, group, gid, err) < 0))
		return -1;
	return 0;
}

/* -u / the image's User. */
static int set_user(json_t *proc, const struct image_config *img,
		    const struct run_options *o, const char *rootfs, berr_t *err)
{
	const char *spec = o->user ? o->user : img->user;
	uid_t uid;
	gid_t gid;

	if (!spec || !*spec)
		return 0;
	if (container_user_resolve(rootfs, spec, &uid, &gid, err) < 0)
		return err_prefix(err, "--user");
	json_object_set_new(proc, "user", json_pack("{s:I,s:I}", "uid", (json_int_t)uid,
						    "gid", (json_int_t)gid));
	return 0;
}

/* -v SRC:DST[:ro|rw] with an absolute SRC: named volumes were resolved
 * to their data directories before (volume/volume_mount.h). */
static int add_volume(json_t *mounts, const char *spec, berr_t *err)
{
	struct volume_spec v = { 0 };
	struct stat st;
	int r = 0;

	if (volume_spec_parse(spec, &v, err) < 0)
		return -1;
	if (v.named)
		r = err_set(err, EINVAL, "-v '%s': volume '%s' was not resolved", spec, v.source);
	else if (stat(v.source, &st) < 0)
		r = err_sys(err, "-v '%s': source '%s'", spec, v.source);
	else
		json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:[s,s]}", "destination",
							v.dest, "type", "bind", "source", v.source,
							"options", "rbind", v.ro ? "ro" : "rw"));
	volume_spec_clear(&v);
	return r;
}

static void add_tmpfs(json_t *mounts, const char *spec)
{
	cleanup_free char *copy = strdup(spec);
	char *opts = copy ? strchr(copy, ':') : NULL;
	json_t *o = json_pack("[s,s,s]", "nosuid", "nodev", "noexec");

	if (!copy)
		return;
	if (opts) {
		*opts++ = '\0';
		for (char *t = strtok(opts, ","); t; t = strtok(NULL, ","))
			json_array_append_new(o, json_string(t));
	}
	json_array_append_new(mounts, json_pack("{s:s,s:s,s:s,s:o}", "destination", copy,
						"type", "tmpfs", "source", "tmpfs", "options", o));
}

static int set_mounts(json_t *cfg, const struct run_options *o, berr_t *err)
{
	json_t *mounts = json_object_get(cfg, "mounts");

	for (size_t i = 0; o->volumes && o->volumes[i]; i++)
		if (add_volume(mounts, o->volumes[i], err) < 0)
			return -1;
	for (size_t i = 0; o->tmpfs && o->tmpfs[i]; i++)
		add_tmpfs(mounts, o->tmpfs[i]);
	return 0;
}

static int set_resources(json_t *linux, const struct run_options *o)
{
	json_t *res = json_object_get(linux, "resources");

	if (o->memory > 0)
		json_object_set_new(res, "memory", json_pack("{s:I,s:I}", "limit",
							     (json_int_t)o->memory, "swap",
							     (json_int_t)o->memory));
	if (o->cpus > 0)
		json_object_set_new(res, "cpu", json_pack("{s:I,s:I}", "quota",
							  (json_int_t)(o->cpus * 100000),
							  "period", (json_int_t)100000));
	if (o->pids_limit)
		json_object_set_new(res, "pids", json_pack("{s:I}", "limit",
							   (json_int_t)o->pids_limit));
	return 0;
}

static void cap_name(const char *in, char *out, size_t size)
{
	size_t k = snprintf(out, size, "%s", strncasecmp(in, "CAP_", 4) ? "CAP_" : "");

	for (size_t i = 0; in[i] && k + 1 < size; i++)
		out[k++] = (char)toupper((unsigned char)in[i]);
	out[k] = '\0';
}

static bool listed(char *const *v, const char *cap)
{
	char name[64];

	for (size_t i = 0; v && v[i]; i++) {
		cap_name(v[i], name, sizeof(name));
		if (!strcmp(name, cap) || !strcasecmp(v[i], "ALL"))
			return true;
	}
	return false;
}

/* docker's default set, --cap-drop, then --cap-add (ALL for either). */
static json_t *capabilities(const struct run_options *o)
{
	json_t *set = json_array();

	for (int c = 0; c <= spec_capability_last(); c++) {
		const char *name = spec_capability_name(c);
		bool dflt = false;

		for (size_t i = 0; i < sizeof(default_caps) / sizeof(*default_caps); i++)
			dflt |= !strcmp(default_caps[i], name);
		if ((dflt && !listed(o->cap_drop, name)) || listed(o->cap_add, name))
			json_array_append_new(set, json_string(name));
	}
	/* The last use takes over the reference json_array() gave us. */
	return json_pack("{s:O,s:O,s:o,s:o}", "bounding", set, "effective", set,
			 "permitted", set, "ambient", json_array());
}

static int set_ulimit(json_t *rlimits, const char *spec, berr_t *err)
{
	char name[32], upper[48], soft_s[32];
	int64_t soft, hard;
	const char *eq = strchr(spec, '='), *colon;
	size_t i;

	if (!eq || (size_t)(eq - spec) >= sizeof(name))
		return err_set(err, EINVAL, "--ulimit '%s': expected NAME=SOFT[:HARD]", spec);
	snprintf(name, sizeof(name), "%.*s", (int)(eq - spec), spec);
	colon = strchr(eq, ':');
	snprintf(soft_s, sizeof(soft_s), "%.*s",
		 colon ? (int)(colon - eq - 1) : (int)strlen(eq + 1), eq + 1);
	if (units_parse_int(soft_s, "--ulimit", 0, INT64_MAX, &soft, err) < 0 ||
	    units_parse_int(colon ? colon + 1 : eq + 1, "--ulimit", 0, INT64_MAX, &hard,
			    err) < 0)
		return -1;
	for (i = 0; name[i]; i++)
		name[i] = (char)toupper((unsigned char)name[i]);
	snprintf(upper, sizeof(upper), "RLIMIT_%s", name);
	json_array_append_new(rlimits, json_pack("{s:s,s:I,s:I}", "type", upper, "soft",
						 (json_int_t)soft, "hard", (json_int_t)hard));
	return 0;
}

static int set_process(json_t *cfg, const struct image_config *img,
		       const struct run_options *o, const char *rootfs, berr_t *err)
{
	json_t *proc = json_object_get(cfg, "process"), *rl = json_array();

	json_object_set_new(proc, "terminal", json_boolean(o->tty));
	json_object_set_new(proc, "cwd", json_string(o->workdir ? o->workdir :
						     img->working_dir && img->working_dir[0] ?
							     img->working_dir : "/"));
	json_object_set_new(proc, "noNewPrivileges", json_boolean(o->no_new_privileges));
	json_object_set_new(proc, "capabilities", capabilities(o));
	json_object_set_new(proc, "rlimits", rl);
	for (size_t i = 0; o->ulimits && o->ulimits[i]; i++)
		if (set_ulimit(rl, o->ulimits[i], err) < 0)
			return -1;
	if (set_args(proc, img, o, err) < 0 || set_env(proc, img, o, err) < 0)
		return -1;
	return set_user(proc, img, o, rootfs, err);
}

static int set_network(json_t *linux, const struct run_options *o, berr_t *err)
{
	json_t *ns = json_object_get(linux, "namespaces");
	size_t i;

	/* none and named networks keep the new namespace (a named one is
	 * joined by path, network/network.h); host drops it. */
	if (!o->network || strcmp(o->network, "host"))
		return 0;
	for (i = 0; i < json_array_size(ns); i++)
		if (!strcmp(json_string_value(json_object_get(json_array_get(ns, i), "type")),
			    "network"))
			json_array_remove(ns, i--);
	return 0;
}

/* Root in the container is r->base on the host; /sys needs a network
 * namespace the user namespace owns, so not the host's. */
static int set_userns(json_t *linux, const struct run_options *o, berr_t *err)
{
	const struct userns_range *r = &o->userns;
	json_t *map;

	if (!r->size)
		return 0;
	if (o->network && strcmp(o->network, "none"))
		return err_set(err, EINVAL, "--userns auto: cannot join --network %s, only a new namespace (--network none): /sys needs a network namespace of the user namespace",
			       o->network);
	map = json_pack("[{s:i,s:I,s:I}]", "containerID", 0, "hostID", (json_int_t)r->base,
			"size", (json_int_t)r->size);
	json_array_append_new(json_object_get(linux, "namespaces"), json_pack("{s:s}", "type", "user"));
	json_object_set_new(linux, "uidMappings", map);
	json_object_set_new(linux, "gidMappings", json_deep_copy(map));
	return 0;
}

static int set_seccomp(json_t *linux, const struct run_options *o, berr_t *err)
{
	cleanup_free char *text = NULL;
	json_t *profile;
	json_error_t jerr;
	size_t len;

	if (o->seccomp && !strcmp(o->seccomp, "unconfined"))
		return 0;
	if (!o->seccomp) {
		json_object_set_new(linux, "seccomp", seccomp_default_profile(o->cap_add));
		return 0;
	}
	if (fs_read_file_at(AT_FDCWD, o->seccomp, 4 << 20, &text, &len, err) < 0)
		return err_prefix(err, "--security-opt seccomp");
	profile = json_loadb(text, len, 0, &jerr);
	if (!profile)
		return err_set(err, EINVAL, "--security-opt seccomp=%s: line %d: %s", o->seccomp,
			       jerr.line, jerr.text);
	json_object_set_new(linux, "seccomp", profile);
	return 0;
}

int container_config_build(const struct image_config *img,
			   const struct run_options *o, const char *id,
			   const char *rootfs, json_t **out, berr_t *err)
{
	json_t *cfg = spec_default(false), *linux;
	char cgroup[128];

	if (!cfg)
		return err_set(err, ENOMEM, "container config");
	linux = json_object_get(cfg, "linux");
	json_object_set_new(cfg, "root", json_pack("{s:s,s:b}", "path", rootfs, "readonly",
						   o->read_only));
	json_object_set_new(cfg, "hostname", json_string(o->hostname ? o->hostname : ""));
	if (!o->hostname)
		json_object_set_new(cfg, "hostname", json_stringn(id, 12));
	snprintf(cgroup, sizeof(cgroup), "berth/%s", id);
	json_object_set_new(linux, "cgroupsPath", json_string(cgroup));
	json_object_set_new(cfg, "annotations", json_pack("{s:s}", "org.berth.image", o->image));
	if (set_process(cfg, img, o, rootfs, err) < 0 || set_mounts(cfg, o, err) < 0 ||
	    set_resources(linux, o) < 0 || set_network(linux, o, err) < 0 ||
	    set_userns(linux, o, err) < 0 ||
	    set_seccomp(linux, o, err) < 0) {
		json_decref(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}
