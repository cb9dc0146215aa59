/* `berth exec [-d] [-i] [-t] [-e K=V] [-w DIR] [-u USER] CONTAINER CMD...`:
 * docker's flags turned into the runtime's exec (which joins every
 * namespace and the cgroup of the container); the process's exit code is
 * berth's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "cli/image/image.h"
#include "cli/runtime/runtime.h"
#include "common/strv.h"
#include "container/config.h"
#include "container/foreground.h"
#include "container/instance.h"
#include "container/status.h"

static const struct option opts[] = {
	{ "detach", no_argument, NULL, 'd' },
	{ "interactive", no_argument, NULL, 'i' },
	{ "tty", no_argument, NULL, 't' },
	{ "env", required_argument, NULL, 'e' },
	{ "workdir", required_argument, NULL, 'w' },
	{ "user", required_argument, NULL, 'u' },
	{ 0 },
};

struct exec_flags {
	bool detach, interactive, tty;
	const char *workdir, *user;
	char **env;
};

static int push2(char ***v, const char *a, const char *b)
{
	return strv_push(v, a) < 0 || strv_push(v, b) < 0 ? -1 : 0;
}

/* -e NAME takes NAME's value from here, as docker does. */
static int env_arg(char ***argv, const char *e)
{
	char buf[8192];
	const char *val = strchr(e, '=') ? NULL : getenv(e);

	if (strchr(e, '='))
		return push2(argv, "--env", e);
	if (!val)
		return 0;
	snprintf(buf, sizeof(buf), "%s=%s", e, val);
	return push2(argv, "--env", buf);
}

static int runtime_argv(const struct container_view *v,
			const struct exec_flags *f, char **cmd, char ***out, berr_t *err)
{
	char rootfs[PATH_MAX + 8], user[32];
	uid_t uid;
	gid_t gid;

	if (strv_push(out, "exec") < 0 || (f->tty && strv_push(out, "--tty") < 0) || (f->detach && strv_push(out, "--detach") < 0) ||
	    (f->workdir && push2(out, "--cwd", f->workdir) < 0))
		return err_sys(err, "exec");
	for (size_t i = 0; f->env && f->env[i]; i++)
		if (env_arg(out, f->env[i]) < 0)
			return err_sys(err, "exec");
	if (f->user) {
		snprintf(rootfs, sizeof(rootfs), "%s/rootfs", v->paths.dir);
		if (container_user_resolve(rootfs, f->user, &uid, &gid, err) < 0)
			return err_prefix(err, "exec: --user");
		snprintf(user, sizeof(user), "%u:%u", uid, gid);
		if (push2(out, "--user", user) < 0)
			return err_sys(err, "exec");
	}
	if (strv_push(out, v->paths.id) < 0)
		return err_sys(err, "exec");
	for (size_t i = 0; cmd[i]; i++)
		if (strv_push(out, cmd[i]) < 0)
			return err_sys(err, "exec");
	return 0;
}

static int parse(int argc, char **argv, struct exec_flags *f, berr_t *err)
{
	int c;

	while ((c = img_getopt(argc, argv, "dite:w:u:", opts)) != -1) {
		switch (c) {
		case 'd': f->detach = true; break;
		case 'i': f->interactive = true; break;
		case 't': f->tty = true; break;
		case 'e':
			if (strv_push(&f->env, optarg) < 0)
				return err_sys(err, "exec");
			break;
		case 'w': f->workdir = optarg; break;
		case 'u': f->user = optarg; break;
		default: return img_bad_flag("exec", c, argv, err);
		}
	}
	if (argc - optind < 2)
		return err_set(err, EINVAL, "exec: expected CONTAINER COMMAND [ARG...]");
	return 0;
}

int ctr_exec(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	struct exec_flags f = { 0 };
	struct container_view v = { 0 };
	char **rt = NULL;
	int r = -1;

	if (parse(argc, argv, &f, err) < 0 || cli_container_view(g, argv[optind], &v, err) < 0)
		goto out;
	if (!v.pid) {
		err_set(err, ESRCH, "container %s is not running", argv[optind]);
		goto out;
	}
	int null = f.interactive ? -1 : open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		close(null);
	}
	char rt_root[PATH_MAX];
	struct rt_globals rg = { .root = rt_root };

	if (instance_runtime_root(g->run_root, rt_root, sizeof(rt_root), err) < 0 ||
	    runtime_argv(&v, &f, argv + optind + 1, &rt, err) < 0)
		goto out;
	optind = 1;
	g->exit_code = rt_exec(&rg, (int)strv_len(rt), rt, err);
	if (g->exit_code < 0) {
		/* docker's codes: 127 not found, 126 not runnable. */
		g->exit_code = fg_failure_code(*err);
		err_print(stderr, "berth", *err);
		err_free(err);
	}
	r = 0;
out:
	strv_free(rt);
	strv_free(f.env);
	container_view_clear(&v);
	return r;
}
