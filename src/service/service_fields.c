/* The service keys with structure of their own: ports, volumes,
 * healthcheck, deploy and env_file. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/units.h"
#include "service/definition_internal.h"

/* ---- ports: the proxy's listen port -> the container port ---- */

static int port_add(struct dctx *c, const struct ynode *n, const char *path, struct service *s,
		    const struct port_map *pm)
{
	struct port_map *grown;

	size_t total = 0;

	if (strcmp(pm->proto, "tcp"))
		return dbad(c, n, path, "%s: berth's proxy carries tcp only", pm->proto);
	for (size_t i = 0; i < c->p->n_services; i++)
		total += c->p->services[i].n_ports;
	if (total >= SVC_MAX_PORTS)
		return dbad(c, n, path, "more than %u ports in the file", SVC_MAX_PORTS);
	if (!(grown = realloc(s->ports, (s->n_ports + 1) * sizeof(*grown))))
		return err_sys(c->err, "%s", path);
	s->ports = grown;
	s->ports[s->n_ports++] = *pm;
	return 0;
}

static int port_field(struct dctx *c, const struct ynode *v, const char *path, int64_t min,
		      uint16_t *out)
{
	int64_t port;

	if (d_int(c, v, path, min, 65535, &port) < 0)
		return -1;
	*out = (uint16_t)port;
	return 0;
}

static int port_long_target(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return port_field(c, v, path, 1, &((struct port_map *)obj)->container_port);
}

static int port_long_published(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return port_field(c, v, path, 0, &((struct port_map *)obj)->host_port);
}

static int port_long_protocol(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct port_map *pm = obj;

	if (d_scalar(c, v, path) < 0)
		return -1;
	if (strcmp(v->str, "tcp") && strcmp(v->str, "udp"))
		return dbad(c, v, path, "\"%s\" is not tcp or udp", v->str);
	strcpy(pm->proto, v->str);
	return 0;
}

static int port_long_host_ip(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct port_map *pm = obj;
	struct in_addr a;

	if (d_scalar(c, v, path) < 0)
		return -1;
	if (inet_pton(AF_INET, v->str, &a) != 1)
		return dbad(c, v, path, "\"%s\" is not an IPv4 address", v->str);
	strcpy(pm->host_ip, v->str);
	return 0;
}

static const struct dfield port_fields[] = {
	{ "target", port_long_target },
	{ "published", port_long_published },
	{ "protocol", port_long_protocol },
	{ "host_ip", port_long_host_ip },
	{ NULL, NULL },
};

/* port_parse speaks of the -p flag: its reason is kept, the flag's name
 * gives way to the file's position. */
static int port_error(struct dctx *c, const struct ynode *n, const char *path)
{
	cleanup_free char *flag = NULL;
	const char *why = err_msg(*c->err);

	if (asprintf(&flag, "-p '%s': ", n->str) > 0 && !strncmp(why, flag, strlen(flag)))
		why += strlen(flag);
	return err_set(c->err, EINVAL, "%s:%u: %s: \"%s\" is not a port: %s", c->file, n->line, path,
		       n->str, why);
}

static int port_item(struct dctx *c, const struct ynode *n, const char *path, struct service *s)
{
	struct port_map pm = { .proto = "tcp" };

	if (n->kind == YNODE_MAP) {
		if (d_walk(c, n, path, port_fields, &pm) < 0)
			return -1;
		if (!pm.container_port)
			return dbad(c, n, path, "target is missing");
	} else {
		if (d_scalar(c, n, path) < 0)
			return -1;
		if (port_parse(n->str, &pm, c->err) < 0)
			return port_error(c, n, path);
	}
	return port_add(c, n, path, s, &pm);
}

int d_ports(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct kpath k;

	if (v->kind != YNODE_SEQ)
		return dbad(c, v, path, "expected a list, not a %s", ynode_kind_name(v));
	for (size_t i = 0; i < v->n; i++)
		if (port_item(c, v->items[i], kp_index(&k, path, i), obj) < 0)
			return -1;
	return 0;
}

/* ---- volumes ---- */

static int volume_source(struct dctx *c, const struct ynode *n, const char *path, const char *src,
			 struct svc_volume *vol)
{
	if (src[0] == '/' || src[0] == '.') {
		vol->type = SVC_VOLUME_BIND;
		return d_abs_path(c, n, path, src, &vol->source);
	}
	if (src[0] == '~')
		return dbad(c, n, path, "\"%s\": '~' is not expanded; write the path", src);
	if (!strv_contains(c->p->volumes, src))
		return dbad(c, n, path, "volume \"%s\" is not declared under the top-level volumes", src);
	vol->type = SVC_VOLUME_NAMED;
	if (!(vol->source = strdup(src)))
		return err_sys(c->err, "%s", path);
	return 0;
}

static int volume_mode(struct dctx *c, const struct ynode *n, const char *path, const char *mode,
		       struct svc_volume *vol)
{
	cleanup_free char *copy = strdup(mode);
	char *save = NULL;

	if (!copy)
		return err_sys(c->err, "%s", path);
	for (char *o = strtok_r(copy, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		if (!strcmp(o, "ro") || !strcmp(o, "rw"))
			vol->read_only = !strcmp(o, "ro");
		else if (dwarn(c, n, path, "a volume option other than ro and rw, ignored") < 0)
			return -1;
	}
	return 0;
}

/* "TARGET", "SOURCE:TARGET" or "SOURCE:TARGET:MODE". */
static int volume_short(struct dctx *c, const struct ynode *n, const char *path,
			struct svc_volume *vol)
{
	cleanup_free char *copy = NULL;
	char *parts[4] = { 0 };
	size_t np = 0;

	if (d_scalar(c, n, path) < 0)
		return -1;
	if (!(copy = strdup(n->str)))
		return err_sys(c->err, "%s", path);
	for (char *p = copy, *colon; p && np < 4; p = colon ? colon + 1 : NULL) {
		colon = strchr(p, ':');
		if (colon)
			*colon = '\0';
		parts[np++] = p;
	}
	if (np == 4 || (np > 1 && !parts[0][0]))
		return dbad(c, n, path, "\"%s\" is not SOURCE:TARGET[:MODE]", n->str);
	if (np == 1) {
		vol->type = SVC_VOLUME_ANONYMOUS;
	} else if (volume_source(c, n, path, parts[0], vol) < 0) {
		return -1;
	}
	if (!(vol->target = strdup(parts[np == 1 ? 0 : 1])))
		return err_sys(c->err, "%s", path);
	return np == 3 ? volume_mode(c, n, path, parts[2], vol) : 0;
}

struct volume_long {
	char *type, *source;
	struct svc_volume *vol;
};

static int vol_type(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_str(c, v, path, &((struct volume_long *)obj)->type);
}

static int vol_source(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_str(c, v, path, &((struct volume_long *)obj)->source);
}

static int vol_target(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_str(c, v, path, &((struct volume_long *)obj)->vol->target);
}

static int vol_read_only(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_bool(c, v, path, &((struct volume_long *)obj)->vol->read_only);
}

static const struct dfield volume_fields[] = {
	{ "type", vol_type },
	{ "source", vol_source },
	{ "target", vol_target },
	{ "read_only", vol_read_only },
	{ NULL, NULL },
};

static int volume_long(struct dctx *c, const struct ynode *n, const char *path,
		       struct svc_volume *vol)
{
	struct volume_long l = { .vol = vol };
	int r = d_walk(c, n, path, volume_fields, &l);

	if (r == 0 && (!l.type || (strcmp(l.type, "volume") && strcmp(l.type, "bind"))))
		r = dbad(c, n, path, "type must be volume or bind, not %s", l.type ? l.type : "missing");
	if (r == 0 && !vol->target)
		r = dbad(c, n, path, "target is missing");
	if (r == 0 && !strcmp(l.type, "bind") && (!l.source || (l.source[0] != '/' && l.source[0] != '.')))
		r = dbad(c, n, path, "a bind's source must be a path");
	if (r == 0 && l.source)
		r = volume_source(c, n, path, l.source, vol);
	if (r == 0 && !l.source)
		vol->type = SVC_VOLUME_ANONYMOUS;
	free(l.type);
	free(l.source);
	return r;
}

static int volume_item(struct dctx *c, const struct ynode *n, const char *path, struct service *s)
{
	struct svc_volume *vol;
	struct svc_volume *grown = realloc(s->volumes, (s->n_volumes + 1) * sizeof(*grown));

	if (!grown)
		return err_sys(c->err, "%s", path);
	s->volumes = grown;
	vol = &s->volumes[s->n_volumes++];
	*vol = (struct svc_volume){ 0 };
	if ((n->kind == YNODE_MAP ? volume_long : volume_short)(c, n, path, vol) < 0)
		return -1;
	if (vol->target[0] != '/')
		return dbad(c, n, path, "target \"%s\" is not an absolute path", vol->target);
	return 0;
}

int d_volumes(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct kpath k;

	if (v->kind != YNODE_SEQ)
		return dbad(c, v, path, "expected a list, not a %s", ynode_kind_name(v));
	for (size_t i = 0; i < v->n; i++)
		if (volume_item(c, v->items[i], kp_index(&k, path, i), obj) < 0)
			return -1;
	return 0;
}

/* ---- healthcheck ---- */

static int hc_test(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct svc_healthcheck *h = obj;
	cleanup_strv char **argv = NULL;
	size_t n;

	if (h->kind != SVC_CHECK_NONE)
		return dbad(c, v, path, "only one of test, x-berth-http and x-berth-tcp");
	if (d_strv(c, v, path, true, &argv) < 0)
		return -1;
	n = strv_len(argv);
	if (v->kind == YNODE_SCALAR) {
		h->kind = SVC_CHECK_SHELL;
	} else if (n == 1 && !strcmp(argv[0], "NONE")) {
		h->kind = SVC_CHECK_OFF;
	} else if (n >= 2 && !strcmp(argv[0], "CMD")) {
		h->kind = SVC_CHECK_EXEC;
	} else if (n == 2 && !strcmp(argv[0], "CMD-SHELL")) {
		h->kind = SVC_CHECK_SHELL;
	} else {
		return dbad(c, v, path, "expected [\"CMD\", arg...], [\"CMD-SHELL\", command], [\"NONE\"] or a string");
	}
	if (h->kind == SVC_CHECK_OFF)
		return 0;
	/* The list's first word says which kind; the rest is the command. */
	if (v->kind == YNODE_SEQ) {
		free(argv[0]);
		memmove(argv, argv + 1, n * sizeof(*argv));
	}
	h->argv = take_ptr(argv);
	return 0;
}

static int hc_interval(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_duration(c, v, path, false, &((struct svc_healthcheck *)obj)->interval_ns);
}

static int hc_timeout(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_duration(c, v, path, false, &((struct svc_healthcheck *)obj)->timeout_ns);
}

static int hc_start_period(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_duration(c, v, path, true, &((struct svc_healthcheck *)obj)->start_period_ns);
}

static int hc_retries(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	int64_t n;

	if (d_int(c, v, path, 1, 1000, &n) < 0)
		return -1;
	((struct svc_healthcheck *)obj)->retries = (int)n;
	return 0;
}

static int hc_disable(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct svc_healthcheck *h = obj;
	bool off;

	if (d_bool(c, v, path, &off) < 0)
		return -1;
	if (off && h->kind != SVC_CHECK_NONE && h->kind != SVC_CHECK_OFF)
		return dbad(c, v, path, "disable: true with a test");
	if (off)
		h->kind = SVC_CHECK_OFF;
	return 0;
}

static int hc_port(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return port_field(c, v, path, 1, &((struct svc_healthcheck *)obj)->port);
}

static int hc_path(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct svc_healthcheck *h = obj;

	if (d_str(c, v, path, &h->http_path) < 0)
		return -1;
	if (h->http_path[0] != '/' || strpbrk(h->http_path, " \t"))
		return dbad(c, v, path, "\"%s\" is not a path starting with /", h->http_path);
	return 0;
}

static int hc_status(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	int64_t n;

	if (d_int(c, v, path, 100, 599, &n) < 0)
		return -1;
	((struct svc_healthcheck *)obj)->http_status = (int)n;
	return 0;
}

static const struct dfield http_fields[] = {
	{ "path", hc_path }, { "port", hc_port }, { "status", hc_status }, { NULL, NULL },
};
static const struct dfield tcp_fields[] = {
	{ "port", hc_port }, { NULL, NULL },
};

static int hc_net(struct dctx *c, const struct ynode *v, const char *path, struct svc_healthcheck *h,
		  enum svc_check_kind kind)
{
	if (h->kind != SVC_CHECK_NONE)
		return dbad(c, v, path, "only one of test, x-berth-http and x-berth-tcp");
	h->kind = kind;
	if (d_walk(c, v, path, kind == SVC_CHECK_HTTP ? http_fields : tcp_fields, h) < 0)
		return -1;
	if (!h->port)
		return dbad(c, v, path, "port is missing");
	if (kind == SVC_CHECK_HTTP && !h->http_path && !(h->http_path = strdup("/")))
		return err_sys(c->err, "%s", path);
	return 0;
}

static int hc_http(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return hc_net(c, v, path, obj, SVC_CHECK_HTTP);
}

static int hc_tcp(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return hc_net(c, v, path, obj, SVC_CHECK_TCP);
}

/* disable last: "disable: true" with a test is refused whatever the order. */
static const struct dfield health_fields[] = {
	{ "test", hc_test },
	{ "x-berth-http", hc_http },
	{ "x-berth-tcp", hc_tcp },
	{ "interval", hc_interval },
	{ "timeout", hc_timeout },
	{ "start_period", hc_start_period },
	{ "retries", hc_retries },
	{ "disable", NULL },
	{ NULL, NULL },
};

int d_healthcheck(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct service *s = obj;
	const struct ynode *off;
	struct kpath k;

	if (d_walk(c, v, path, health_fields, &s->health) < 0)
		return -1;
	off = ynode_get(v, "disable");
	return off ? hc_disable(c, off, kp_key(&k, path, "disable"), &s->health) : 0;
}

/* ---- deploy ---- */

static int dp_replicas(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	int64_t n;

	if (d_int(c, v, path, 0, SVC_MAX_REPLICAS, &n) < 0)
		return -1;
	((struct service *)obj)->replicas = (int)n;
	return 0;
}

static int lim_memory(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct svc_limits *l = obj;

	if (d_scalar(c, v, path) < 0)
		return -1;
	if (units_parse_bytes(v->str, path, &l->memory, c->err) < 0)
		return dwrap(c, v);
	if (l->memory < 1024 * 1024)
		return dbad(c, v, path, "\"%s\" is less than 1M", v->str);
	return 0;
}

static int lim_cpus(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	char *end;
	double cpus;

	if (d_scalar(c, v, path) < 0)
		return -1;
	cpus = strtod(v->str, &end);
	if (*end || end == v->str || !(cpus >= 0.01 && cpus <= 4096))
		return dbad(c, v, path, "\"%s\" is not a number of CPUs from 0.01 to 4096", v->str);
	((struct svc_limits *)obj)->nano_cpus = (int64_t)(cpus * 1e9 + 0.5);
	return 0;
}

static int lim_pids(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_int(c, v, path, 1, 4194304, &((struct svc_limits *)obj)->pids);
}

static const struct dfield limit_fields[] = {
	{ "memory", lim_memory }, { "cpus", lim_cpus }, { "pids", lim_pids }, { NULL, NULL },
};

static int res_limits(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_walk(c, v, path, limit_fields, obj);
}

static const struct dfield resource_fields[] = {
	{ "limits", res_limits }, { NULL, NULL },
};

static int dp_resources(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_walk(c, v, path, resource_fields, &((struct service *)obj)->limits);
}

static int up_parallelism(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	int64_t n;

	if (d_int(c, v, path, 1, 1000, &n) < 0)
		return -1;
	((struct svc_update *)obj)->parallelism = (int)n;
	return 0;
}

static int up_delay(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_duration(c, v, path, true, &((struct svc_update *)obj)->delay_ns);
}

static int up_monitor(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_duration(c, v, path, true, &((struct svc_update *)obj)->monitor_ns);
}

static int up_order(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct svc_update *u = obj;

	if (d_scalar(c, v, path) < 0)
		return -1;
	if (!strcmp(v->str, "start-first"))
		u->order = SVC_ORDER_START_FIRST;
	else if (!strcmp(v->str, "stop-first"))
		u->order = SVC_ORDER_STOP_FIRST;
	else
		return dbad(c, v, path, "\"%s\" is not start-first or stop-first", v->str);
	return 0;
}

static int up_failure_action(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct svc_update *u = obj;

	if (d_scalar(c, v, path) < 0)
		return -1;
	if (!strcmp(v->str, "rollback"))
		u->failure_action = SVC_FAIL_ROLLBACK;
	else if (!strcmp(v->str, "pause"))
		u->failure_action = SVC_FAIL_PAUSE;
	else
		return dbad(c, v, path, "\"%s\" is not rollback or pause", v->str);
	return 0;
}

static const struct dfield update_fields[] = {
	{ "parallelism", up_parallelism },
	{ "delay", up_delay },
	{ "order", up_order },
	{ "failure_action", up_failure_action },
	{ "monitor", up_monitor },
	{ NULL, NULL },
};

static int dp_update(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_walk(c, v, path, update_fields, &((struct service *)obj)->update);
}

static const struct dfield deploy_fields[] = {
	{ "replicas", dp_replicas },
	{ "resources", dp_resources },
	{ "update_config", dp_update },
	{ NULL, NULL },
};

int d_deploy(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_walk(c, v, path, deploy_fields, obj);
}

/* ---- env_file: KEY=VALUE lines, '#' comments, read from the file's directory ---- */

static char *trim(char *s)
{
	char *e;

	s += strspn(s, " \t");
	e = s + strlen(s);
	while (e > s && strchr(" \t\r", e[-1]))
		*--e = '\0';
	return s;
}

/* A value in matching quotes loses them (as docker compose reads them). */
static const char *unquote(char *v)
{
	size_t n = strlen(v);

	if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
		v[n - 1] = '\0';
		return v + 1;
	}
	return v;
}

static int env_line(char *line, struct svc_kvs *env)
{
	char *eq, *key;

	line = trim(line);
	if (!line[0] || line[0] == '#')
		return 0;
	if (!strncmp(line, "export ", 7))
		line += 7;
	if (!(eq = strchr(line, '=')))
		return -1;
	*eq = '\0';
	key = trim(line);
	if (!key[0] || strpbrk(key, " \t"))
		return -1;
	return kvs_set(env, key, unquote(trim(eq + 1))) < 0 ? -2 : 0;
}

static int env_file_read(struct dctx *c, const struct ynode *n, const char *path, const char *name,
			 bool required, struct svc_kvs *env)
{
	cleanup_free char *file = NULL, *text = NULL;
	char *save = NULL, *line;
	unsigned no = 0;

	if (d_abs_path(c, n, path, name, &file) < 0)
		return -1;
	if (fs_read_regular_at(AT_FDCWD, file, SVC_MAX_ENV_FILE_BYTES, &text, c->err) < 0) {
		if (required || errno != ENOENT)
			return err_prefix(c->err, "%s:%u: %s", c->file, n->line, path);
		err_free(c->err); /* an optional file that is not there */
		return 0;
	}
	/* strsep keeps empty lines, so the numbers in errors are right. */
	for (save = text; (line = strsep(&save, "\n"));) {
		int r = env_line(line, env);

		no++;
		if (r == -2)
			return err_sys(c->err, "%s", file);
		if (r < 0)
			return dbad(c, n, path, "%s:%u: not KEY=VALUE", name, no);
	}
	return 0;
}

struct env_file_long {
	char *path;
	bool required;
};

static int ef_path(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_str(c, v, path, &((struct env_file_long *)obj)->path);
}

static int ef_required(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_bool(c, v, path, &((struct env_file_long *)obj)->required);
}

static const struct dfield env_file_fields[] = {
	{ "path", ef_path }, { "required", ef_required }, { NULL, NULL },
};

static int env_file_item(struct dctx *c, const struct ynode *n, const char *path,
			 struct svc_kvs *env)
{
	struct env_file_long l = { .required = true };
	int r;

	if (n->kind != YNODE_MAP) {
		if (d_scalar(c, n, path) < 0)
			return -1;
		return env_file_read(c, n, path, n->str, true, env);
	}
	r = d_walk(c, n, path, env_file_fields, &l);
	if (r == 0 && !l.path)
		r = dbad(c, n, path, "path is missing");
	if (r == 0)
		r = env_file_read(c, n, path, l.path, l.required, env);
	free(l.path);
	return r;
}

int d_env_file(struct dctx *c, const struct ynode *v, const char *path, struct svc_kvs *env)
{
	struct kpath k;

	if (v->kind != YNODE_SEQ)
		return env_file_item(c, v, path, env);
	for (size_t i = 0; i < v->n; i++)
		if (env_file_item(c, v->items[i], kp_index(&k, path, i), env) < 0)
			return -1;
	return 0;
}
