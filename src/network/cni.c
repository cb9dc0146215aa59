/* Calling CNI plugins.  The plugin directory is /usr/lib/cni (Debian's
 * containernetworking-plugins) or $BERTH_CNI_PATH. */
#include "network/cni.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/proc.h"

#define RESULT_MAX (1 << 20)
/* The config is written into the pipe before the plugin starts, so it
 * must fit the pipe's buffer: no deadlock, no SIGPIPE. */
#define CONF_MAX 65536

static const char *cni_path(void)
{
	const char *p = getenv("BERTH_CNI_PATH");

	return p && *p ? p : CNI_DEFAULT_PATH;
}

/* A plugin type names a file in CNI_PATH: no path separators. */
static int plugin_path(json_t *conf, char out[PATH_MAX], const char **type, berr_t *err)
{
	*type = json_string_value(json_object_get(conf, "type"));
	if (!*type || !**type || strchr(*type, '/') || (*type)[0] == '.')
		return err_set(err, EINVAL, "CNI plugin config: bad or missing \"type\"");
	if (snprintf(out, PATH_MAX, "%s/%s", cni_path(), *type) >= PATH_MAX)
		return err_set(err, ENAMETOOLONG, "CNI plugin path too long");
	return 0;
}

static int conf_pipe(json_t *conf, int fds[2], berr_t *err)
{
	cleanup_free char *text = json_dumps(conf, JSON_COMPACT);
	size_t len = text ? strlen(text) : 0;

	if (!text)
		return err_set(err, ENOMEM, "encode CNI config");
	if (len > CONF_MAX)
		return err_set(err, E2BIG, "CNI config of %zu bytes is larger than %d", len,
			       CONF_MAX);
	if (pipe2(fds, O_CLOEXEC) < 0)
		return err_sys(err, "pipe");
	if (write(fds[1], text, len) != (ssize_t)len) {
		close(fds[0]);
		close(fds[1]);
		return err_sys(err, "write CNI config");
	}
	close(fds[1]);
	return 0;
}

static int spawn(const char *path, const char *command, const struct cni_call *c, int in,
		 int out, pid_t *pid, berr_t *err)
{
	char e_cmd[32], e_id[128], e_ns[PATH_MAX + 16], e_if[64], e_path[PATH_MAX + 16];
	/* No CNI_ARGS: every setting is in the config.  PATH: portmap and
	 * ipMasq run iptables. */
	char *envp[] = { e_cmd, e_id, e_ns, e_if, e_path, "CNI_ARGS=",
			 "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	char *argv[] = { (char *)path, NULL };
	posix_spawn_file_actions_t fa;
	int r;

	snprintf(e_cmd, sizeof(e_cmd), "CNI_COMMAND=%s", command);
	snprintf(e_id, sizeof(e_id), "CNI_CONTAINERID=%s", c->container_id);
	snprintf(e_ns, sizeof(e_ns), "CNI_NETNS=%s", c->netns);
	snprintf(e_if, sizeof(e_if), "CNI_IFNAME=%s", c->ifname);
	snprintf(e_path, sizeof(e_path), "CNI_PATH=%s", cni_path());
	if ((r = posix_spawn_file_actions_init(&fa)) != 0) {
		errno = r;
		return err_sys(err, "spawn %s", path);
	}
	r = posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	if (!r)
		r = posix_spawn_file_actions_adddup2(&fa, out, STDOUT_FILENO);
	if (!r)
		r = posix_spawn(pid, path, &fa, NULL, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	if (r) {
		errno = r;
		return err_sys(err, "run CNI plugin %s", path);
	}
	return 0;
}

/* The plugin's error object: {"code": N, "msg": "...", "details": "..."}. */
static int plugin_error(const char *type, const char *command, const char *out, int code,
			berr_t *err)
{
	json_t *j = json_loads(out, 0, NULL);
	const char *msg = json_string_value(json_object_get(j, "msg"));
	const char *details = json_string_value(json_object_get(j, "details"));

	err_set(err, EIO, "CNI plugin %s %s failed (exit %d): %s%s%s", type, command, code,
		msg ? msg : out, details && *details ? ": " : "", details ? details : "");
	json_decref(j);
	return -1;
}

static int exec_plugin(const char *command, json_t *conf, const struct cni_call *c,
		       json_t **result, berr_t *err)
{
	char path[PATH_MAX];
	const char *type;
	cleanup_free char *out = NULL;
	int in[2], pout[2], status, code;
	size_t len;
	pid_t pid;

	if (plugin_path(conf, path, &type, err) < 0 || conf_pipe(conf, in, err) < 0)
		return -1;
	if (pipe2(pout, O_CLOEXEC) < 0) {
		close(in[0]);
		return err_sys(err, "pipe");
	}
	code = spawn(path, command, c, in[0], pout[1], &pid, err);
	close(in[0]);
	close(pout[1]);
	if (code < 0) {
		close(pout[0]);
		return -1;
	}
	code = fs_read_fd(pout[0], type, RESULT_MAX, &out, &len, err);
	close(pout[0]);
	if (code < 0)
		kill(pid, SIGKILL);
	/* Reaped on every path; a read error is the one reported. */
	if (proc_wait(pid, &status, code < 0 ? NULL : err) < 0 || code < 0)
		return -1;
	if ((code = proc_exit_code(status)) != 0)
		return plugin_error(type, command, out, code, err);
	if (!result)
		return 0;
	*result = json_loads(out, 0, NULL);
	if (!*result)
		return err_set(err, EIO, "CNI plugin %s %s: result is not JSON", type, command);
	return 0;
}

/* The config one plugin of the list is called with. */
static json_t *plugin_conf(json_t *list, size_t i, json_t *prev)
{
	json_t *conf = json_deep_copy(json_array_get(json_object_get(list, "plugins"), i));

	if (!conf)
		return NULL;
	json_object_set(conf, "cniVersion", json_object_get(list, "cniVersion"));
	json_object_set(conf, "name", json_object_get(list, "name"));
	if (prev)
		json_object_set(conf, "prevResult", prev);
	return conf;
}

int cni_del(json_t *list, const struct cni_call *c, json_t *result, berr_t *err)
{
	size_t n = json_array_size(json_object_get(list, "plugins"));
	int r = 0;

	while (n-- > 0) {
		json_t *conf = plugin_conf(list, n, result);
		berr_t e = NULL;

		if (!conf || exec_plugin("DEL", conf, c, NULL, &e) < 0) {
			if (r == 0 && e)
				*err = take_ptr(e);
			else if (r == 0)
				err_set(err, ENOMEM, "CNI DEL");
			r = -1;
		}
		err_free(&e);
		json_decref(conf);
	}
	return r;
}

int cni_add(json_t *list, const struct cni_call *c, json_t **result, berr_t *err)
{
	size_t n = json_array_size(json_object_get(list, "plugins"));
	json_t *prev = NULL;

	for (size_t i = 0; i < n; i++) {
		json_t *conf = plugin_conf(list, i, prev), *next = NULL;
		int r = conf ? exec_plugin("ADD", conf, c, &next, err)
			     : err_set(err, ENOMEM, "CNI ADD");

		json_decref(conf);
		if (r < 0) {
			berr_t ignored = NULL;

			/* DEL is idempotent: the whole list, the failed plugin included. */
			cni_del(list, c, prev, &ignored);
			err_free(&ignored);
			json_decref(prev);
			return -1;
		}
		json_decref(prev);
		prev = next;
	}
	*result = prev;
	return 0;
}
