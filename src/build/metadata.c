#include "build/metadata.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "common/units.h"

static int oom(berr_t *err)
{
	return err_set(err, ENOMEM, "out of memory");
}

/* Set obj[key] = v (consumed); jansson refuses invalid UTF-8. */
static int set(json_t *obj, const char *key, json_t *v, berr_t *err)
{
	if (!v)
		return err_set(err, EINVAL, "not valid UTF-8");
	return json_object_set_new(obj, key, v) < 0 ? err_set(err, EINVAL, "'%.60s': not valid UTF-8", key) : 0;
}

static json_t *object_at(json_t *cfg, const char *key)
{
	json_t *o = json_object_get(cfg, key);

	if (!json_is_object(o)) {
		o = json_object();
		if (json_object_set_new(cfg, key, o) < 0)
			return NULL;
	}
	return o;
}

static json_t *strv_json(char *const *v)
{
	json_t *a = json_array();

	for (size_t i = 0; a && v && v[i]; i++)
		if (json_array_append_new(a, json_string(v[i])) < 0) {
			json_decref(a);
			return NULL;
		}
	return a;
}

const char *metadata_env(const struct stage_meta *m, const char *name)
{
	json_t *item;
	size_t i, n = strlen(name);

	json_array_foreach(json_object_get(m->config, "Env"), i, item) {
		const char *e = json_string_value(item);

		if (e && !strncmp(e, name, n) && e[n] == '=')
			return e + n + 1;
	}
	return NULL;
}

static int env_set(struct stage_meta *m, const char *key, const char *val, berr_t *err)
{
	cleanup_free char *entry = NULL;
	json_t *env = json_object_get(m->config, "Env"), *item;
	size_t i, n = strlen(key);

	if (!json_is_array(env)) {
		env = json_array();
		if (set(m->config, "Env", env, err) < 0)
			return -1;
	}
	if (asprintf(&entry, "%s=%s", key, val) < 0)
		return oom(err);
	json_array_foreach(env, i, item) {
		const char *e = json_string_value(item);

		if (e && !strncmp(e, entry, n + 1))
			return json_array_set_new(env, i, json_string(entry)) < 0
				       ? err_set(err, EINVAL, "%s: not valid UTF-8", key) : 0;
	}
	return json_array_append_new(env, json_string(entry)) < 0
		       ? err_set(err, EINVAL, "%s: not valid UTF-8", key) : 0;
}

/* KEY=VALUE words (ENV, LABEL), or ENV's old "KEY VALUE..." form.  All
 * values are expanded before any is set: ENV A=2 B=$A sees the old A. */
static int pairs(struct stage_meta *m, const struct df_instruction *in,
		 const struct words_opts *w, bool env, berr_t *err)
{
	cleanup_strv char **words = NULL;
	cleanup_free char *legacy = NULL;

	if (words_expand(in->args, w, &words, err) < 0)
		return -1;
	if (env && words[0] && !strchr(words[0], '=')) {
		/* ENV KEY value with spaces: the value is the rest, one word. */
		const char *rest = in->args + strcspn(in->args, " \t");

		rest += strspn(rest, " \t");
		if (!*rest)
			return err_set(err, EINVAL, "ENV %s: expected KEY=VALUE or KEY VALUE", words[0]);
		if (words_expand_one(rest, w, &legacy, err) < 0)
			return -1;
		return env_set(m, words[0], legacy, err);
	}
	for (size_t i = 0; words[i]; i++) {
		char *eq = strchr(words[i], '=');

		if (!eq || eq == words[i])
			return err_set(err, EINVAL, "'%.80s': expected KEY=VALUE", words[i]);
		*eq = '\0';
		if (env ? env_set(m, words[i], eq + 1, err) < 0
			: set(object_at(m->config, "Labels"), words[i], json_string(eq + 1), err) < 0)
			return -1;
	}
	return 0;
}

json_t *metadata_shell_form(const struct stage_meta *m, const char *cmd)
{
	json_t *shell = json_object_get(m->config, "Shell");
	json_t *argv = json_is_array(shell) && json_array_size(shell)
			       ? json_deep_copy(shell)
			       : json_pack("[s,s]", "/bin/sh", "-c");

	if (argv && json_array_append_new(argv, json_string(cmd)) < 0) {
		json_decref(argv);
		return NULL;
	}
	return argv;
}

/* CMD and ENTRYPOINT: the exec form as written, or the shell form run by
 * the stage's SHELL; neither expands variables (the shell will). */
static json_t *command(const struct stage_meta *m, const struct df_instruction *in)
{
	return in->argv ? strv_json(in->argv) : metadata_shell_form(m, in->args);
}

static int cmd_or_entrypoint(struct stage_meta *m, const struct df_instruction *in,
			     berr_t *err)
{
	bool cmd = !strcmp(in->keyword, "CMD");

	if (set(m->config, cmd ? "Cmd" : "Entrypoint", command(m, in), err) < 0)
		return -1;
	/* An ENTRYPOINT drops the Cmd it inherited, not one this stage set. */
	if (!cmd && !m->cmd_set)
		json_object_del(m->config, "Cmd");
	m->cmd_set |= cmd;
	return 0;
}

/* Lexically: no filesystem to consult while building a config. */
static int join_workdir(const char *base, const char *dir, char out[PATH_MAX], berr_t *err)
{
	char joined[PATH_MAX];
	size_t n = 0;

	if (snprintf(joined, sizeof(joined), "%s/%s", dir[0] == '/' ? "" : base, dir) >=
	    (int)sizeof(joined))
		return err_set(err, ENAMETOOLONG, "WORKDIR too long");
	for (char *save = NULL, *c = strtok_r(joined, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			while (n > 0 && out[--n] != '/')
				;
			continue;
		}
		n += (size_t)snprintf(out + n, PATH_MAX - n, "/%s", c);
	}
	if (!n)
		out[n++] = '/';
	out[n] = '\0';
	return 0;
}

static int one_word(struct stage_meta *m, const struct df_instruction *in,
		    const struct words_opts *w, berr_t *err)
{
	cleanup_free char *v = NULL;
	char dir[PATH_MAX];
	int sig;

	if (words_expand_one(in->args, w, &v, err) < 0)
		return -1;
	if (!strcmp(in->keyword, "USER"))
		return set(m->config, "User", json_string(v), err);
	if (!strcmp(in->keyword, "STOPSIGNAL"))
		return units_parse_signal(v, &sig, err) < 0 ? -1
			: set(m->config, "StopSignal", json_string(v), err);
	if (!strcmp(in->keyword, "MAINTAINER"))
		return set(m->doc, "author", json_string(v), err);
	const char *base = json_string_value(json_object_get(m->config, "WorkingDir"));
	if (join_workdir(base ? base : "/", v, dir, err) < 0)
		return -1;
	return set(m->config, "WorkingDir", json_string(dir), err);
}

/* EXPOSE 80 443/tcp 53/udp: keys "80/tcp"... */
static int expose(struct stage_meta *m, const struct df_instruction *in,
		  const struct words_opts *w, berr_t *err)
{
	cleanup_strv char **words = NULL;
	json_t *ports;

	if (words_expand(in->args, w, &words, err) < 0 || !(ports = object_at(m->config, "ExposedPorts")))
		return -1;
	for (size_t i = 0; words[i]; i++) {
		char key[64], *proto = strchr(words[i], '/');
		int64_t port;

		if (proto)
			*proto++ = '\0';
		if (units_parse_int(words[i], "EXPOSE", 1, 65535, &port, err) < 0)
			return -1;
		if (proto && strcmp(proto, "tcp") && strcmp(proto, "udp") && strcmp(proto, "sctp"))
			return err_set(err, EINVAL, "EXPOSE %s/%s: the protocol must be tcp, udp or sctp",
				       words[i], proto);
		snprintf(key, sizeof(key), "%lld/%s", (long long)port, proto ? proto : "tcp");
		if (set(ports, key, json_object(), err) < 0)
			return -1;
	}
	return 0;
}

static int volume(struct stage_meta *m, const struct df_instruction *in,
		  const struct words_opts *w, berr_t *err)
{
	cleanup_strv char **words = NULL;
	json_t *vols = object_at(m->config, "Volumes");

	if (!vols)
		return oom(err);
	if (!in->argv && words_expand(in->args, w, &words, err) < 0)
		return -1;
	for (char *const *v = in->argv ? in->argv : words; *v; v++) {
		if (!**v)
			return err_set(err, EINVAL, "VOLUME: an empty path");
		if (set(vols, *v, json_object(), err) < 0)
			return -1;
	}
	return 0;
}

static int shell(struct stage_meta *m, const struct df_instruction *in, berr_t *err)
{
	if (!in->argv || !in->argv[0])
		return err_set(err, EINVAL, "SHELL needs a JSON array with the shell first");
	return set(m->config, "Shell", strv_json(in->argv), err);
}

static int onbuild(struct stage_meta *m, const struct df_instruction *in, berr_t *err)
{
	size_t n = strcspn(in->args, " \t");
	json_t *list = json_object_get(m->config, "OnBuild");

	if ((n == 7 && !strncasecmp(in->args, "ONBUILD", 7)) ||
	    (n == 4 && !strncasecmp(in->args, "FROM", 4)) ||
	    (n == 10 && !strncasecmp(in->args, "MAINTAINER", 10)))
		return err_set(err, EINVAL, "ONBUILD %.*s is not allowed", (int)n, in->args);
	if (!json_is_array(list)) {
		list = json_array();
		if (set(m->config, "OnBuild", list, err) < 0)
			return -1;
	}
	return json_array_append_new(list, json_string(in->args)) < 0
		       ? err_set(err, EINVAL, "ONBUILD: not valid UTF-8") : 0;
}

static int healthcheck_flag(json_t *hc, const char *flag, berr_t *err)
{
	static const char *const names[][2] = {
		{ "interval", "Interval" }, { "timeout", "Timeout" },
		{ "start-period", "StartPeriod" }, { "start-interval", "StartInterval" },
	};
	const char *eq = strchr(flag, '=');
	int64_t v;

	for (size_t i = 0; eq && i < sizeof(names) / sizeof(*names); i++)
		if (!strncmp(flag + 2, names[i][0], (size_t)(eq - flag - 2)) &&
		    strlen(names[i][0]) == (size_t)(eq - flag - 2))
			return units_parse_duration(eq + 1, flag, &v, err) < 0 ? -1
				: set(hc, names[i][1], json_integer(v), err);
	if (eq && !strncmp(flag, "--retries=", 10))
		return units_parse_int(eq + 1, "--retries", 0, INT32_MAX, &v, err) < 0 ? -1
			: set(hc, "Retries", json_integer(v), err);
	return err_set(err, EINVAL, "HEALTHCHECK: unknown flag '%.60s'", flag);
}

/* HEALTHCHECK NONE, or [flags] CMD command (exec or shell form). */
static int healthcheck(struct stage_meta *m, const struct df_instruction *in, berr_t *err)
{
	json_t *hc = json_object(), *test;
	const char *cmd = in->args + strcspn(in->args, " \t");
	cleanup_strv char **argv = NULL;

	if (!hc || set(m->config, "Healthcheck", hc, err) < 0)
		return oom(err);
	if (!strcasecmp(in->args, "NONE"))
		return in->flags[0] ? err_set(err, EINVAL, "HEALTHCHECK NONE takes no flags")
				    : set(hc, "Test", json_pack("[s]", "NONE"), err);
	if (strncasecmp(in->args, "CMD", 3) || (in->args[3] && in->args[3] != ' ' && in->args[3] != '\t'))
		return err_set(err, EINVAL, "HEALTHCHECK: expected NONE or [flags] CMD command");
	for (char *const *f = in->flags; *f; f++)
		if (healthcheck_flag(hc, *f, err) < 0)
			return -1;
	cmd += strspn(cmd, " \t");
	if (!*cmd)
		return err_set(err, EINVAL, "HEALTHCHECK CMD needs a command");
	argv = df_exec_form(cmd);
	test = argv ? strv_json(argv) : json_pack("[s,s]", "CMD-SHELL", cmd);
	if (argv && test && json_array_insert_new(test, 0, json_string("CMD")) < 0) {
		json_decref(test);
		return oom(err);
	}
	return set(hc, "Test", test, err);
}

static const char *const handled[] = {
	"ENV", "LABEL", "CMD", "ENTRYPOINT", "WORKDIR", "USER", "EXPOSE", "VOLUME",
	"STOPSIGNAL", "HEALTHCHECK", "SHELL", "ONBUILD", "MAINTAINER",
};

bool metadata_instruction(const char *keyword)
{
	for (size_t i = 0; i < sizeof(handled) / sizeof(*handled); i++)
		if (!strcmp(handled[i], keyword))
			return true;
	return false;
}

int metadata_apply(struct stage_meta *m, const struct df_instruction *in,
		   const struct words_opts *w, berr_t *err)
{
	const char *k = in->keyword;

	if (!strcmp(k, "ENV") || !strcmp(k, "LABEL"))
		return pairs(m, in, w, k[0] == 'E', err);
	if (!strcmp(k, "CMD") || !strcmp(k, "ENTRYPOINT"))
		return cmd_or_entrypoint(m, in, err);
	if (!strcmp(k, "EXPOSE"))
		return expose(m, in, w, err);
	if (!strcmp(k, "VOLUME"))
		return volume(m, in, w, err);
	if (!strcmp(k, "SHELL"))
		return shell(m, in, err);
	if (!strcmp(k, "ONBUILD"))
		return onbuild(m, in, err);
	if (!strcmp(k, "HEALTHCHECK"))
		return healthcheck(m, in, err);
	if (metadata_instruction(k))
		return one_word(m, in, w, err);
	return err_set(err, EINVAL, "%s does not only change the config", k);
}
