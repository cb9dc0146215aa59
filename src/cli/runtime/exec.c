/* `exec`: the process comes from --process, or from the container's own
 * process object with the command line's overrides, as runc builds it. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/runtime.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/units.h"
#include "runtime/container.h"
#include "runtime/spec.h"

enum { X_CONSOLE = 256, X_CWD, X_PIDFILE, X_LABEL, X_APPARMOR, X_NNP,
       X_PRESERVE, X_CGROUP, X_IGNORE_PAUSED };

static const struct option opts[] = {
	{ "console-socket", required_argument, NULL, X_CONSOLE },
	{ "cwd", required_argument, NULL, X_CWD },
	{ "env", required_argument, NULL, 'e' },
	{ "tty", no_argument, NULL, 't' },
	{ "user", required_argument, NULL, 'u' },
	{ "additional-gids", required_argument, NULL, 'g' },
	{ "process", required_argument, NULL, 'p' },
	{ "detach", no_argument, NULL, 'd' },
	{ "pid-file", required_argument, NULL, X_PIDFILE },
	{ "process-label", required_argument, NULL, X_LABEL },
	{ "apparmor", required_argument, NULL, X_APPARMOR },
	{ "no-new-privs", no_argument, NULL, X_NNP },
	{ "cap", required_argument, NULL, 'c' },
	{ "preserve-fds", required_argument, NULL, X_PRESERVE },
	{ "cgroup", required_argument, NULL, X_CGROUP },
	{ "ignore-paused", no_argument, NULL, X_IGNORE_PAUSED },
	{ 0 },
};

/* Overrides collected from flags, applied to the process JSON. */
struct overrides {
	json_t *env, *caps, *gids;
	const char *cwd, *user, *process_file;
	bool tty, nnp;
};

static int set_user(json_t *proc, const char *spec, berr_t *err)
{
	json_t *user = json_object_get(proc, "user");
	const char *colon = strchr(spec, ':');
	cleanup_free char *uid = strndup(spec, colon ? (size_t)(colon - spec) : strlen(spec));
	int64_t v;

	if (!uid || units_parse_int(uid, "exec: --user", 0, UINT32_MAX - 1, &v, err) < 0)
		return -1;
	json_object_set_new(user, "uid", json_integer(v));
	if (colon) {
		if (units_parse_int(colon + 1, "exec: --user", 0, UINT32_MAX - 1, &v, err) < 0)
			return -1;
		json_object_set_new(user, "gid", json_integer(v));
	}
	return 0;
}

static void add_caps(json_t *proc, json_t *caps)
{
	static const char *const sets[] = { "bounding", "effective", "permitted",
					    "ambient" };
	json_t *c = json_object_get(proc, "capabilities");

	if (!json_array_size(caps))
		return;
	if (!c) {
		c = json_object();
		json_object_set_new(proc, "capabilities", c);
	}
	for (size_t i = 0; i < 4; i++) {
		json_t *set = json_object_get(c, sets[i]);

		if (!set) {
			set = json_array();
			json_object_set_new(c, sets[i], set);
		}
		json_array_extend(set, caps);
	}
}

/* --env K=V replaces K in the container's env (as runc does) or adds it. */
static void env_set(json_t *env, json_t *entry)
{
	const char *kv = json_string_value(entry);
	size_t klen = strcspn(kv, "=") + 1, i;
	json_t *old;

	json_array_foreach(env, i, old) {
		if (json_is_string(old) && strncmp(json_string_value(old), kv, klen) == 0) {
			json_array_set(env, i, entry);
			return;
		}
	}
	json_array_append(env, entry);
}

static int apply(json_t *proc, struct overrides *ov, berr_t *err)
{
	json_t *env = json_object_get(proc, "env"), *item;
	size_t i;

	json_object_set_new(proc, "terminal", json_boolean(ov->tty));
	if (!env) {
		env = json_array();
		json_object_set_new(proc, "env", env);
	}
	json_array_foreach(ov->env, i, item)
		env_set(env, item);
	if (ov->cwd)
		json_object_set_new(proc, "cwd", json_string(ov->cwd));
	if (ov->user && set_user(proc, ov->user, err) < 0)
		return -1;
	if (json_array_size(ov->gids))
		json_object_set(json_object_get(proc, "user"), "additionalGids", ov->gids);
	if (ov->nnp)
		json_object_set_new(proc, "noNewPrivileges", json_true());
	add_caps(proc, ov->caps);
	return 0;
}

static int build_process(struct rt_globals *g, const char *id,
			 struct overrides *ov, char **args,
			 struct spec_process **out, berr_t *err)
{
	json_auto_t *proc = NULL;
	int r;

	if (ov->process_file) {
		cleanup_free char *text = NULL;
		json_error_t jerr;
		size_t len;

		if (fs_read_file_at(AT_FDCWD, ov->process_file, 1 << 20, &text, &len, err) < 0)
			return err_prefix(err, "exec: --process");
		proc = json_loadb(text, len, 0, &jerr);
		if (!proc)
			return err_set(err, EINVAL, "exec: %s: line %d: %s", ov->process_file,
				       jerr.line, jerr.text);
		return spec_parse_process(proc, ov->process_file, out, err);
	}
	if (!args[0])
		return err_set(err, EINVAL, "exec: no command given (usage: exec [flags] ID COMMAND [ARG...])");
	if (container_exec_process_json(g->root, id, args, &proc, err) < 0)
		return -1;
	r = apply(proc, ov, err);
	return r < 0 ? -1 : spec_parse_process(proc, "exec process", out, err);
}

static int parse_flag(int c, struct overrides *ov, struct exec_opts *o, berr_t *err)
{
	int64_t n;

	switch (c) {
	case X_CONSOLE: o->console_socket = optarg; return 0;
	case X_CWD: ov->cwd = optarg; return 0;
	case 'e': return json_array_append_new(ov->env, json_string(optarg));
	case 't': ov->tty = true; return 0;
	case 'u': ov->user = optarg; return 0;
	case 'g':
		if (units_parse_int(optarg, "exec: --additional-gids", 0, UINT32_MAX - 1, &n, err) < 0)
			return -1;
		return json_array_append_new(ov->gids, json_integer(n));
	case 'p': ov->process_file = optarg; return 0;
	case 'd': o->detach = true; return 0;
	case X_PIDFILE: o->pid_file = optarg; return 0;
	case X_NNP: ov->nnp = true; return 0;
	case 'c': return json_array_append_new(ov->caps, json_string(optarg));
	case X_PRESERVE:
		if (units_parse_int(optarg, "exec: --preserve-fds", 0, 1 << 20, &n, err) < 0)
			return -1;
		o->preserve_fds = (unsigned)n;
		return 0;
	case X_LABEL: case X_APPARMOR: case X_CGROUP: case X_IGNORE_PAUSED:
		return 0;
	}
	return err_set(err, EINVAL, "exec: unsupported flag '%s'", optarg ? optarg : "?");
}

int rt_exec(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	struct overrides ov = { .env = json_array(), .caps = json_array(),
				.gids = json_array() };
	struct exec_opts o = { .root = g->root };
	int c, code = -1;

	while ((c = rt_getopt(argc, argv, "e:tu:g:p:dc:", opts)) != -1) {
		if (c == ':' || c == '?') {
			err_set(err, EINVAL, "exec: bad flag '%s'", argv[optind - 1]);
			goto out;
		}
		if (parse_flag(c, &ov, &o, err) < 0)
			goto out;
	}
	if (optind >= argc) {
		err_set(err, EINVAL, "exec: expected a container id");
		goto out;
	}
	o.id = argv[optind];
	if (build_process(g, o.id, &ov, argv + optind + 1, &o.process, err) < 0 ||
	    container_exec(&o, &code, err) < 0)
		code = -1;
out:
	spec_process_free(o.process);
	json_decref(ov.env);
	json_decref(ov.caps);
	json_decref(ov.gids);
	return code;
}
