/* config.json "mounts": destinations and the option strings of mount(8). */
#include <errno.h>
#include <linux/mount.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "runtime/spec.h"
#include "runtime/spec_internal.h"

enum opt_kind { OPT_FLAG, OPT_CLEAR, OPT_PROPAGATION, OPT_ATTR_SET,
		OPT_ATTR_CLR, OPT_TMPCOPYUP, OPT_IDMAP, OPT_RIDMAP };

struct mount_option {
	const char *name;
	enum opt_kind kind;
	unsigned long value;
};

/* Every option crun and runc accept; anything else is passed to the
 * filesystem as data (mode=, size=, newinstance, ...). */
static const struct mount_option mount_options[] = {
	{ "ro", OPT_FLAG, MS_RDONLY },
	{ "rw", OPT_CLEAR, MS_RDONLY },
	{ "bind", OPT_FLAG, MS_BIND },
	{ "rbind", OPT_FLAG, MS_BIND | MS_REC },
	{ "nosuid", OPT_FLAG, MS_NOSUID },
	{ "suid", OPT_CLEAR, MS_NOSUID },
	{ "nodev", OPT_FLAG, MS_NODEV },
	{ "dev", OPT_CLEAR, MS_NODEV },
	{ "noexec", OPT_FLAG, MS_NOEXEC },
	{ "exec", OPT_CLEAR, MS_NOEXEC },
	{ "sync", OPT_FLAG, MS_SYNCHRONOUS },
	{ "async", OPT_CLEAR, MS_SYNCHRONOUS },
	{ "dirsync", OPT_FLAG, MS_DIRSYNC },
	{ "remount", OPT_FLAG, MS_REMOUNT },
	{ "mand", OPT_FLAG, MS_MANDLOCK },
	{ "nomand", OPT_CLEAR, MS_MANDLOCK },
	{ "atime", OPT_CLEAR, MS_NOATIME },
	{ "noatime", OPT_FLAG, MS_NOATIME },
	{ "diratime", OPT_CLEAR, MS_NODIRATIME },
	{ "nodiratime", OPT_FLAG, MS_NODIRATIME },
	{ "relatime", OPT_FLAG, MS_RELATIME },
	{ "norelatime", OPT_CLEAR, MS_RELATIME },
	{ "strictatime", OPT_FLAG, MS_STRICTATIME },
	{ "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
	{ "lazytime", OPT_FLAG, MS_LAZYTIME },
	{ "nolazytime", OPT_CLEAR, MS_LAZYTIME },
	{ "silent", OPT_FLAG, MS_SILENT },
	{ "loud", OPT_CLEAR, MS_SILENT },
	{ "private", OPT_PROPAGATION, MS_PRIVATE },
	{ "rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC },
	{ "shared", OPT_PROPAGATION, MS_SHARED },
	{ "rshared", OPT_PROPAGATION, MS_SHARED | MS_REC },
	{ "slave", OPT_PROPAGATION, MS_SLAVE },
	{ "rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC },
	{ "unbindable", OPT_PROPAGATION, MS_UNBINDABLE },
	{ "runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC },
	{ "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },
	{ "rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY },
	{ "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },
	{ "rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID },
	{ "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },
	{ "rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV },
	{ "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },
	{ "rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC },
	{ "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME },
	{ "rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME },
	{ "rrelatime", OPT_ATTR_SET, MOUNT_ATTR_RELATIME },
	{ "rnorelatime", OPT_ATTR_CLR, MOUNT_ATTR_RELATIME },
	{ "rnoatime", OPT_ATTR_SET, MOUNT_ATTR_NOATIME },
	{ "ratime", OPT_ATTR_CLR, MOUNT_ATTR_NOATIME },
	{ "rstrictatime", OPT_ATTR_SET, MOUNT_ATTR_STRICTATIME },
	{ "rnostrictatime", OPT_ATTR_CLR, MOUNT_ATTR_STRICTATIME },
	{ "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW },
	{ "rsymfollow", OPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW },
	{ "tmpcopyup", OPT_TMPCOPYUP, 0 },
	{ "idmap", OPT_IDMAP, 0 },
	{ "ridmap", OPT_RIDMAP, 0 },
};

static const struct mount_option *find_option(const char *name)
{
	for (size_t i = 0; i < sizeof(mount_options) / sizeof(*mount_options);
	     i++)
		if (strcmp(mount_options[i].name, name) == 0)
			return &mount_options[i];
	return NULL;
}

static int append_data(char **data, const char *opt, const char *where,
		       berr_t *err)
{
	char *joined = NULL;

	if (asprintf(&joined, "%s%s%s", *data ? *data : "", *data ? "," : "",
		     opt) < 0)
		return err_sys(err, "%s", where);
	free(*data);
	*data = joined;
	return 0;
}

static void apply_option(struct spec_mount *m, const struct mount_option *o)
{
	switch (o->kind) {
	case OPT_FLAG: m->flags |= o->value; break;
	case OPT_CLEAR: m->flags &= ~o->value; break;
	case OPT_PROPAGATION: m->propagation = o->value; break;
	case OPT_ATTR_SET: m->attr_set |= o->value; break;
	case OPT_ATTR_CLR: m->attr_clr |= o->value; break;
	case OPT_TMPCOPYUP: m->tmpcopyup = true; break;
	case OPT_IDMAP: m->idmap = true; break;
	case OPT_RIDMAP: m->idmap = m->ridmap = true; break;
	}
}

static int parse_options(json_t *obj, const char *where, struct spec_mount *m,
			 berr_t *err)
{
	cleanup_strv char **opts = NULL;
	struct jpath p;

	if (jget_strv(obj, "options", where, false, &opts, err) < 0)
		return -1;
	for (size_t i = 0; opts[i]; i++) {
		const struct mount_option *o = find_option(opts[i]);

		if (o)
			apply_option(m, o);
		else if (append_data(&m->data, opts[i],
				     jpath_key(&p, where, "options"), err) < 0)
			return -1;
	}
	m->bind = (m->flags & MS_BIND) != 0;
	return 0;
}

static int check_destination(const char *dest, const char *where,
			     berr_t *err)
{
	if (dest[0] != '/')
		return err_set(err, EINVAL,
			       "%s.destination: '%s' is not an absolute path",
			       where, dest);
	return 0;
}

/* OCI 1.1 idmapped mounts: per-mount mappings go with the idmap or
 * ridmap option, which needs a bind mount. */
static int parse_idmapping(json_t *obj, const char *where,
			   struct spec_mount *m, berr_t *err)
{
	if (spec_parse_idmaps(obj, "uidMappings", where, &m->uid_mappings,
			      &m->n_uid_mappings, err) < 0 ||
	    spec_parse_idmaps(obj, "gidMappings", where, &m->gid_mappings,
			      &m->n_gid_mappings, err) < 0)
		return -1;
	if ((m->n_uid_mappings || m->n_gid_mappings) && !m->idmap)
		return err_set(err, EINVAL, "%s.uidMappings: need the idmap or ridmap option",
			       where);
	if (m->idmap && !m->bind)
		return err_set(err, EINVAL, "%s.options: idmap needs a bind mount", where);
	if (!m->n_uid_mappings != !m->n_gid_mappings)
		return err_set(err, EINVAL, "%s: uidMappings and gidMappings go together",
			       where);
	return 0;
}

static int parse_mount(json_t *obj, const char *where, struct spec_mount *m,
		       berr_t *err)
{
	if (jcheck_object(obj, where, err) < 0)
		return -1;
	if (jget_string(obj, "destination", where, true, &m->destination,
			err) < 0 ||
	    jget_string(obj, "type", where, false, &m->type, err) < 0 ||
	    jget_string(obj, "source", where, false, &m->source, err) < 0 ||
	    parse_options(obj, where, m, err) < 0)
		return -1;
	if (check_destination(m->destination, where, err) < 0)
		return -1;
	if (m->type && strcmp(m->type, "bind") == 0)
		m->bind = true;
	if (m->bind && !m->source)
		return err_set(err, EINVAL, "%s.source: a bind mount needs a source",
			       where);
	if (!m->bind && !m->type)
		return err_set(err, EINVAL, "%s.type: required unless the mount is a bind mount",
			       where);
	return parse_idmapping(obj, where, m, err);
}

int spec_parse_mounts(json_t *root, struct spec *spec, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p;
	size_t i;

	found = jget_array(root, "mounts", "", false, &arr, err);
	if (found <= 0)
		return found;
	if (json_array_size(arr) > SPEC_MAX_ITEMS)
		return err_set(err, E2BIG, "mounts: more than %d entries",
			       SPEC_MAX_ITEMS);
	spec->mounts = calloc(json_array_size(arr) + 1, sizeof(*spec->mounts));
	if (!spec->mounts)
		return err_sys(err, "mounts");
	json_array_foreach(arr, i, item) {
		spec->n_mounts = i + 1;
		if (parse_mount(item, jpath_index(&p, "mounts", i),
				&spec->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}

void spec_mounts_free(struct spec *spec)
{
	for (size_t i = 0; i < spec->n_mounts; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].type);
		free(spec->mounts[i].source);
		free(spec->mounts[i].data);
		free(spec->mounts[i].uid_mappings);
		free(spec->mounts[i].gid_mappings);
	}
	free(spec->mounts);
}

const char *const *spec_mount_option_names(size_t *n)
{
	static const char *names[sizeof(mount_options) / sizeof(*mount_options)];

	for (size_t i = 0; i < sizeof(mount_options) / sizeof(*mount_options);
	     i++)
		names[i] = mount_options[i].name;
	*n = sizeof(mount_options) / sizeof(*mount_options);
	return names;
}
