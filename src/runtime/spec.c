/* config.json as a whole: top-level fields and the checks that span
 * sections. */
#include "runtime/spec.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/json.h"
#include "runtime/spec_internal.h"

int spec_opt_u64(json_t *obj, const char *key, const char *where, uint64_t max,
		 struct opt_u64 *out, berr_t *err)
{
	int r = jget_uint(obj, key, where, max, false, &out->v, err);

	if (r < 0)
		return -1;
	out->set = r > 0;
	return 0;
}

int spec_opt_i64(json_t *obj, const char *key, const char *where, int64_t min,
		 int64_t max, struct opt_i64 *out, berr_t *err)
{
	int r = jget_int(obj, key, where, min, max, false, &out->v, err);

	if (r < 0)
		return -1;
	out->set = r > 0;
	return 0;
}

static bool has_namespace(const struct spec *s, int type)
{
	for (size_t i = 0; i < s->linux.n_namespaces; i++)
		if (s->linux.namespaces[i].type == type)
			return true;
	return false;
}

static int parse_root(json_t *doc, struct spec *s, berr_t *err)
{
	json_t *root = NULL;

	if (jget_object(doc, "root", "", true, &root, err) < 0 ||
	    jget_string(root, "path", "root", true, &s->root_path, err) < 0 ||
	    jget_bool(root, "readonly", "root", &s->root_readonly, err) < 0)
		return -1;
	if (!s->root_path[0])
		return err_set(err, EINVAL, "root.path: must not be empty");
	return 0;
}

static int parse_annotations(json_t *doc, struct spec *s, berr_t *err)
{
	json_t *ann = NULL, *v;
	struct jpath p;
	const char *k;

	if (jget_object(doc, "annotations", "", false, &ann, err) < 0)
		return -1;
	json_object_foreach(ann, k, v)
		if (!json_is_string(v))
			return err_set(err, EINVAL, "%s: expected a string, got %s",
				       jpath_key(&p, "annotations", k),
				       json_type_name(v));
	s->annotations = ann ? json_incref(ann) : json_object();
	return s->annotations ? 0 : err_sys(err, "annotations");
}

static int parse_top(json_t *doc, struct spec *s, berr_t *err)
{
	json_t *proc = NULL;

	if (!json_is_object(doc))
		return err_set(err, EINVAL, "expected an object, got %s",
			       json_type_name(doc));
	if (jget_string(doc, "ociVersion", "", true, &s->oci_version, err) < 0 ||
	    parse_root(doc, s, err) < 0 ||
	    jget_string(doc, "hostname", "", false, &s->hostname, err) < 0 ||
	    jget_string(doc, "domainname", "", false, &s->domainname, err) < 0 ||
	    parse_annotations(doc, s, err) < 0 ||
	    jget_object(doc, "process", "", false, &proc, err) < 0)
		return -1;
	if (proc && spec_parse_process(proc, "process", &s->process, err) < 0)
		return -1;
	return 0;
}

/* The ipc namespace's sysctls (sysctl(8) lists them under ipc/). */
static const char *const ipc_sysctls[] = {
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* The namespace a sysctl belongs to, or 0 when it is global: writing a
 * global one from the container would change the host. */
static int sysctl_namespace(const char *key)
{
	if (strncmp(key, "net.", 4) == 0)
		return CLONE_NEWNET;
	if (strncmp(key, "fs.mqueue.", 10) == 0)
		return CLONE_NEWIPC;
	for (size_t i = 0; i < sizeof(ipc_sysctls) / sizeof(*ipc_sysctls); i++)
		if (strcmp(key, ipc_sysctls[i]) == 0)
			return CLONE_NEWIPC;
	if (strcmp(key, "kernel.domainname") == 0)
		return CLONE_NEWUTS;
	return 0;
}

static int check_sysctl(const struct spec *s, const struct spec_kv *kv,
			berr_t *err)
{
	int ns = sysctl_namespace(kv->key);

	if (strcmp(kv->key, "kernel.hostname") == 0)
		return err_set(err, EINVAL, "linux.sysctl.kernel.hostname: set the hostname field instead");
	if (!ns)
		return err_set(err, EPERM, "linux.sysctl.%s: not namespaced; setting it would change the host",
			       kv->key);
	if (!has_namespace(s, ns))
		return err_set(err, EPERM, "linux.sysctl.%s: needs the container's own %s namespace",
			       kv->key, spec_namespace_name(ns));
	if (ns == CLONE_NEWUTS && s->domainname && strcmp(s->domainname, kv->value))
		return err_set(err, EINVAL, "linux.sysctl.kernel.domainname: '%s' conflicts with domainname '%s'",
			       kv->value, s->domainname);
	return 0;
}

/* Checks that need more than one section, as runc makes them. */
static int check_consistency(const struct spec *s, berr_t *err)
{
	const struct spec_linux *l = &s->linux;

	if (s->hostname && s->hostname[0] && !has_namespace(s, CLONE_NEWUTS))
		return err_set(err, EINVAL,
			       "hostname: setting it needs a private uts namespace");
	if (s->domainname && s->domainname[0] &&
	    !has_namespace(s, CLONE_NEWUTS))
		return err_set(err, EINVAL,
			       "domainname: setting it needs a private uts namespace");
	if ((l->n_uid_mappings || l->n_gid_mappings) &&
	    !has_namespace(s, CLONE_NEWUSER))
		return err_set(err, EINVAL,
			       "linux.uidMappings: mappings need a user namespace");
	if (l->time_offsets.set && !has_namespace(s, 0x80))
		return err_set(err, EINVAL,
			       "linux.timeOffsets: offsets need a time namespace");
	for (size_t i = 0; i < l->n_sysctl; i++)
		if (check_sysctl(s, &l->sysctl[i], err) < 0)
			return -1;
	return 0;
}

/* Depth-first search for the first number beyond 64 bits; writes its path. */
static bool find_huge(json_t *v, char *path, size_t size)
{
	size_t used = strlen(path), i;
	const char *key;
	json_t *child;

	if (json_is_real(v))
		return json_real_value(v) >= 9.2e18 || json_real_value(v) <= -9.2e18;
	json_object_foreach(v, key, child) {
		snprintf(path + used, size - used, "%s%s", used ? "." : "", key);
		if (find_huge(child, path, size))
			return true;
	}
	json_array_foreach(v, i, child) {
		snprintf(path + used, size - used, "[%zu]", i);
		if (find_huge(child, path, size))
			return true;
	}
	path[used] = '\0';
	return false;
}

/* jansson refuses integers beyond 64 bits with only a line and column:
 * parse again with numbers as reals to name the field. */
static int syntax_error(const char *text, size_t len, const char *name,
			const json_error_t *jerr, berr_t *err)
{
	char path[256] = "", said[sizeof(jerr->text)];
	json_t *doc;

	/* jansson quotes the input near the error, which may hold a line
	 * break ("near '"pid\<newline>'"): the error stays on one line. */
	snprintf(said, sizeof(said), "%s", jerr->text);
	for (char *c = said; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	if (!strstr(said, "too big"))
		return err_set(err, EINVAL, "%s: line %d column %d: %s", name,
			       jerr->line, jerr->column, said);
	doc = json_loadb(text, len, JSON_DECODE_INT_AS_REAL, NULL);
	if (doc && find_huge(doc, path, sizeof(path))) {
		json_decref(doc);
		return err_set(err, ERANGE, "%s: %s: number out of range", name, path);
	}
	json_decref(doc);
	return err_set(err, ERANGE, "%s: line %d column %d: number out of range",
		       name, jerr->line, jerr->column);
}

int spec_parse(const char *text, size_t len, const char *name,
	       struct spec **out, berr_t *err)
{
	struct spec *s;
	json_error_t jerr;
	json_t *doc;

	if (len > SPEC_MAX_BYTES)
		return err_set(err, EFBIG, "%s: larger than %d bytes", name,
			       SPEC_MAX_BYTES);
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!doc)
		return syntax_error(text, len, name, &jerr, err);
	s = calloc(1, sizeof(*s));
	if (!s) {
		json_decref(doc);
		return err_sys(err, "%s", name);
	}
	s->json = doc;
	if (parse_top(doc, s, err) < 0 || spec_parse_mounts(doc, s, err) < 0 ||
	    spec_parse_hooks(doc, s, err) < 0 || spec_parse_linux(doc, s, err) < 0 ||
	    check_consistency(s, err) < 0) {
		spec_free(s);
		return err_prefix(err, "%s", name);
	}
	*out = s;
	return 0;
}

int spec_load(const char *path, struct spec **out, berr_t *err)
{
	cleanup_free char *text = NULL;
	size_t len;

	if (fs_read_file_at(AT_FDCWD, path, SPEC_MAX_BYTES, &text, &len, err) < 0)
		return -1;
	return spec_parse(text, len, path, out, err);
}

void spec_free(struct spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	spec_mounts_free(s);
	spec_process_free(s->process);
	free(s->hostname);
	free(s->domainname);
	spec_hooks_free(s);
	spec_linux_free(&s->linux);
	json_decref(s->annotations);
	json_decref(s->json);
	free(s);
}
