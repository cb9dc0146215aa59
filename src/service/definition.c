/* The Compose file as a whole: top-level keys, each service's keys, and
 * the checks across services (dependencies, published ports). */
#include "service/definition.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "common/strv.h"
#include "common/units.h"
#include "common/words.h"
#include "service/definition_internal.h"

#define UPDATE_DEFAULT_MONITOR_NS (5ll * 1000 * 1000 * 1000)
#define STOP_GRACE_DEFAULT_NS (10ll * 1000 * 1000 * 1000)
#define HEALTH_DEFAULT_NS (30ll * 1000 * 1000 * 1000)

/* Compose's names: letters, digits, '_', '.', '-', starting with a letter
 * or digit; berth also caps the length (container names derive from it). */
#define ALNUM "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
#define NAME_CHARS ALNUM "_.-"
#define PROJECT_CHARS "abcdefghijklmnopqrstuvwxyz0123456789_-"

static bool name_ok(const char *s, const char *chars)
{
	size_t n = strlen(s);

	return n && n <= 63 && strchr(ALNUM, s[0]) && strspn(s, chars) == n;
}

static void service_defaults(struct service *s)
{
	s->replicas = 1;
	s->health = (struct svc_healthcheck){ .interval_ns = HEALTH_DEFAULT_NS,
					      .timeout_ns = HEALTH_DEFAULT_NS,
					      .retries = 3 };
	s->update = (struct svc_update){ .parallelism = 1,
					 .order = SVC_ORDER_START_FIRST,
					 .failure_action = SVC_FAIL_ROLLBACK,
					 .monitor_ns = UPDATE_DEFAULT_MONITOR_NS };
	restart_policy_default(&s->restart);
	s->stop_grace_ns = STOP_GRACE_DEFAULT_NS;
	s->stop_signal = SIGTERM;
}

static int sv_image(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct service *s = obj;

	if (d_str(c, v, path, &s->image) < 0)
		return -1;
	if (!s->image[0] || strpbrk(s->image, " \t"))
		return dbad(c, v, path, "\"%s\" is not an image reference", s->image);
	return 0;
}

static int bd_context(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_scalar(c, v, path) < 0 ? -1 : d_abs_path(c, v, path, v->str, &((struct svc_build *)obj)->context);
}

static int bd_dockerfile(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_str(c, v, path, &((struct svc_build *)obj)->dockerfile);
}

static int bd_args(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_kvs(c, v, path, true, &((struct svc_build *)obj)->args);
}

static const struct dfield build_fields[] = {
	{ "context", bd_context }, { "dockerfile", bd_dockerfile }, { "args", bd_args }, { NULL, NULL },
};

static int sv_build(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct service *s = obj;

	if (!(s->build = calloc(1, sizeof(*s->build))))
		return err_sys(c->err, "%s", path);
	if (v->kind == YNODE_SCALAR)
		return bd_context(c, v, path, s->build);
	if (d_walk(c, v, path, build_fields, s->build) < 0)
		return -1;
	if (!s->build->context && d_abs_path(c, v, path, ".", &s->build->context) < 0)
		return -1;
	kvs_sort(&s->build->args);
	return 0;
}

/* A string is split into words as a shell would, without a shell: what
 * docker compose does with command: and entrypoint:. */
static int command_words(struct dctx *c, const struct ynode *v, const char *path, char ***out)
{
	struct words_opts o = { .escape = '\\', .split = true };

	if (v->kind != YNODE_SCALAR)
		return d_strv(c, v, path, false, out);
	if (d_scalar(c, v, path) < 0)
		return -1;
	strv_free(*out);
	*out = NULL;
	if (words_expand(v->str, &o, out, c->err) < 0)
		return err_prefix(c->err, "%s:%u: %s", c->file, v->line, path);
	return 0;
}

static int sv_command(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct service *s = obj;

	s->has_command = true;
	return command_words(c, v, path, &s->command);
}

static int sv_entrypoint(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct service *s = obj;

	s->has_entrypoint = true;
	return command_words(c, v, path, &s->entrypoint);
}

static int sv_environment(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_kvs(c, v, path, true, &((struct service *)obj)->environment);
}

static int sv_labels(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_kvs(c, v, path, false, &((struct service *)obj)->labels);
}

static int sv_restart(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct service *s = obj;

	if (d_scalar(c, v, path) < 0)
		return -1;
	if (restart_policy_parse_mode(v->str, &s->restart) < 0)
		return dbad(c, v, path, "\"%s\" is not no, always, on-failure[:N] or unless-stopped", v->str);
	return 0;
}

static int bo_duration(struct dctx *c, const struct ynode *v, const char *path, uint64_t *out)
{
	int64_t ns;

	if (d_duration(c, v, path, false, &ns) < 0)
		return -1;
	*out = (uint64_t)ns;
	return 0;
}

static int bo_delay(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return bo_duration(c, v, path, &((struct restart_policy *)obj)->delay_ns);
}

static int bo_max_delay(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return bo_duration(c, v, path, &((struct restart_policy *)obj)->max_delay_ns);
}

static int bo_reset_after(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return bo_duration(c, v, path, &((struct restart_policy *)obj)->reset_ns);
}

static int bo_multiplier(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	char *end;
	double m;

	if (d_scalar(c, v, path) < 0)
		return -1;
	m = strtod(v->str, &end);
	if (*end || end == v->str || !(m >= 1.0 && m <= 100.0))
		return dbad(c, v, path, "\"%s\" is not a number from 1 to 100", v->str);
	((struct restart_policy *)obj)->multiplier = m;
	return 0;
}

static const struct dfield backoff_fields[] = {
	{ "delay", bo_delay },
	{ "max_delay", bo_max_delay },
	{ "multiplier", bo_multiplier },
	{ "reset_after", bo_reset_after },
	{ NULL, NULL },
};

static int sv_backoff(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct restart_policy *r = &((struct service *)obj)->restart;

	if (d_walk(c, v, path, backoff_fields, r) < 0)
		return -1;
	if (r->delay_ns > r->max_delay_ns)
		return dbad(c, v, path, "delay is longer than max_delay");
	return 0;
}

static int px_mode(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	if (d_scalar(c, v, path) < 0)
		return -1;
	if (strcmp(v->str, "http") && strcmp(v->str, "tcp"))
		return dbad(c, v, path, "\"%s\" is not http or tcp", v->str);
	((struct svc_proxy *)obj)->tcp = !strcmp(v->str, "tcp");
	return 0;
}

static int px_balance(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	if (d_scalar(c, v, path) < 0)
		return -1;
	if (strcmp(v->str, "round_robin") && strcmp(v->str, "least_conn"))
		return dbad(c, v, path, "\"%s\" is not round_robin or least_conn", v->str);
	((struct svc_proxy *)obj)->least_conn = !strcmp(v->str, "least_conn");
	return 0;
}

static const struct dfield proxy_fields[] = {
	{ "mode", px_mode },
	{ "balance", px_balance },
	{ NULL, NULL },
};

static int sv_proxy(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_walk(c, v, path, proxy_fields, &((struct service *)obj)->proxy);
}

static int sv_stop_grace(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return d_duration(c, v, path, true, &((struct service *)obj)->stop_grace_ns);
}

static int sv_stop_signal(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	if (d_scalar(c, v, path) < 0)
		return -1;
	if (units_parse_signal(v->str, &((struct service *)obj)->stop_signal, c->err) < 0)
		return err_prefix(c->err, "%s:%u: %s", c->file, v->line, path);
	return 0;
}

static int dep_add(struct dctx *c, const struct ynode *n, const char *path, struct service *s,
		   const char *name, enum svc_dep_condition cond)
{
	struct svc_dep *grown;

	for (size_t i = 0; i < s->n_deps; i++)
		if (!strcmp(s->deps[i].service, name))
			return dbad(c, n, path, "\"%s\" is listed twice", name);
	if (!(grown = realloc(s->deps, (s->n_deps + 1) * sizeof(*grown))))
		return err_sys(c->err, "%s", path);
	s->deps = grown;
	if (!(s->deps[s->n_deps].service = strdup(name)))
		return err_sys(c->err, "%s", path);
	s->deps[s->n_deps++].condition = cond;
	return 0;
}

static int dep_condition(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	static const char *const names[] = { "service_started", "service_healthy",
					     "service_completed_successfully" };

	if (d_scalar(c, v, path) < 0)
		return -1;
	for (size_t i = 0; i < 3; i++)
		if (!strcmp(v->str, names[i])) {
			*(enum svc_dep_condition *)obj = (enum svc_dep_condition)i;
			return 0;
		}
	return dbad(c, v, path, "\"%s\" is not service_started, service_healthy or service_completed_successfully",
		    v->str);
}

static const struct dfield dep_fields[] = {
	{ "condition", dep_condition }, { NULL, NULL },
};

static int sv_depends_on(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct kpath k;

	if (v->kind == YNODE_SEQ) {
		for (size_t i = 0; i < v->n; i++)
			if (d_scalar(c, v->items[i], kp_index(&k, path, i)) < 0 ||
			    dep_add(c, v->items[i], k.buf, obj, v->items[i]->str, SVC_DEP_STARTED) < 0)
				return -1;
		return 0;
	}
	if (d_map(c, v, path) < 0)
		return -1;
	for (size_t i = 0; i < v->n / 2; i++) {
		enum svc_dep_condition cond = SVC_DEP_STARTED;

		kp_key(&k, path, v->items[2 * i]->str);
		if (d_walk(c, v->items[2 * i + 1], k.buf, dep_fields, &cond) < 0 ||
		    dep_add(c, v->items[2 * i], k.buf, obj, v->items[2 * i]->str, cond) < 0)
			return -1;
	}
	return 0;
}

static const struct dfield service_fields[] = {
	{ "image", sv_image },
	{ "build", sv_build },
	{ "command", sv_command },
	{ "entrypoint", sv_entrypoint },
	{ "env_file", NULL },
	{ "environment", sv_environment },
	{ "labels", sv_labels },
	{ "ports", d_ports },
	{ "volumes", d_volumes },
	{ "healthcheck", d_healthcheck },
	{ "deploy", d_deploy },
	{ "restart", sv_restart },
	{ "x-berth-restart", sv_backoff },
	{ "x-berth-proxy", sv_proxy },
	{ "stop_grace_period", sv_stop_grace },
	{ "stop_signal", sv_stop_signal },
	{ "depends_on", sv_depends_on },
	{ NULL, NULL },
};

void service_clear(struct service *s)
{
	free(s->name);
	free(s->image);
	if (s->build) {
		free(s->build->context);
		free(s->build->dockerfile);
		kvs_free(&s->build->args);
		free(s->build);
	}
	strv_free(s->command);
	strv_free(s->entrypoint);
	kvs_free(&s->environment);
	kvs_free(&s->labels);
	free(s->ports);
	for (size_t i = 0; i < s->n_volumes; i++) {
		free(s->volumes[i].source);
		free(s->volumes[i].target);
	}
	free(s->volumes);
	strv_free(s->health.argv);
	free(s->health.http_path);
	for (size_t i = 0; i < s->n_deps; i++)
		free(s->deps[i].service);
	free(s->deps);
	*s = (struct service){ 0 };
}

static int dep_cmp(const void *a, const void *b)
{
	return strcmp(((const struct svc_dep *)a)->service, ((const struct svc_dep *)b)->service);
}

/* env_file before environment, whatever their order in the file: the
 * environment's values win, as in Compose. */
static int service_parse(struct dctx *c, const struct ynode *key, const struct ynode *v,
			 const char *path, struct service *s)
{
	const struct ynode *ef = ynode_get(v, "env_file");
	struct kpath k;

	s->line = key->line;
	if (!name_ok(key->str, NAME_CHARS))
		return dbad(c, key, path, "\"%s\" is not a service name (letters, digits, _ . -; at most 63)",
			    key->str);
	if (!(s->name = strdup(key->str)))
		return err_sys(c->err, "%s", path);
	if (d_map(c, v, path) < 0)
		return -1;
	if (ef && d_env_file(c, ef, kp_key(&k, path, "env_file"), &s->environment) < 0)
		return -1;
	if (d_walk(c, v, path, service_fields, s) < 0)
		return -1;
	if (!s->image && !s->build)
		return dbad(c, key, path, "neither image nor build");
	kvs_sort(&s->environment);
	kvs_sort(&s->labels);
	if (s->n_deps)
		qsort(s->deps, s->n_deps, sizeof(*s->deps), dep_cmp);
	return 0;
}

static int dep_check(struct dctx *c, const struct ynode *services, const struct service *s)
{
	struct kpath k;

	for (size_t i = 0; i < s->n_deps; i++) {
		const struct ynode *v = ynode_get(services, s->name);

		kp_key(&k, "services", s->name);
		if (!strcmp(s->deps[i].service, s->name))
			return dbad(c, v, k.buf, "depends on itself");
		if (!project_service(c->p, s->deps[i].service))
			return dbad(c, v, k.buf, "depends on \"%s\", which is not a service", s->deps[i].service);
	}
	return 0;
}

enum { WHITE, GREY, BLACK };

/* Depth-first over depends_on; a grey service reached again closes a
 * cycle.  Depth is bounded by SVC_MAX_SERVICES. */
static int dep_visit(struct dctx *c, const struct ynode *services, size_t i, unsigned char *color)
{
	const struct service *s = &c->p->services[i];
	struct kpath k;

	color[i] = GREY;
	for (size_t d = 0; d < s->n_deps; d++) {
		size_t j = (size_t)(project_service(c->p, s->deps[d].service) - c->p->services);

		if (color[j] == GREY)
			return dbad(c, ynode_get(services, s->name), kp_key(&k, "services", s->name),
				    "depends_on cycle through \"%s\"", s->deps[d].service);
		if (color[j] == WHITE && dep_visit(c, services, j, color) < 0)
			return -1;
	}
	color[i] = BLACK;
	return 0;
}

static int deps_check(struct dctx *c, const struct ynode *services)
{
	cleanup_free unsigned char *color = calloc(c->p->n_services + 1, 1);

	if (!color)
		return err_sys(c->err, "%s", c->file);
	for (size_t i = 0; i < c->p->n_services; i++)
		if (dep_check(c, services, &c->p->services[i]) < 0)
			return -1;
	for (size_t i = 0; i < c->p->n_services; i++)
		if (color[i] == WHITE && dep_visit(c, services, i, color) < 0)
			return -1;
	return 0;
}

/* One proxy listener per address and port: two services cannot both
 * publish it (an empty address overlaps every address). */
static int ports_check(struct dctx *c, const struct ynode *services)
{
	const struct project *p = c->p;
	struct kpath k;

	for (size_t i = 0; i < p->n_services; i++)
		for (size_t a = 0; a < p->services[i].n_ports; a++)
			for (size_t j = i; j < p->n_services; j++)
				for (size_t b = j == i ? a + 1 : 0; b < p->services[j].n_ports; b++) {
					const struct port_map *x = &p->services[i].ports[a];
					const struct port_map *y = &p->services[j].ports[b];

					if (!x->host_port || x->host_port != y->host_port ||
					    (x->host_ip[0] && y->host_ip[0] && strcmp(x->host_ip, y->host_ip)))
						continue;
					return dbad(c, ynode_get(services, p->services[j].name),
						    kp_key(&k, "services", p->services[j].name),
						    "port %u is already published by service \"%s\"",
						    y->host_port, p->services[i].name);
				}
	return 0;
}

static int svc_cmp(const void *a, const void *b)
{
	return strcmp(((const struct service *)a)->name, ((const struct service *)b)->name);
}

static int services_parse(struct dctx *c, const struct ynode *v, const char *path)
{
	struct project *p = c->p;
	struct kpath k;

	if (d_map(c, v, path) < 0)
		return -1;
	if (v->n / 2 > SVC_MAX_SERVICES)
		return dbad(c, v, path, "more than %u services", SVC_MAX_SERVICES);
	if (!(p->services = calloc(v->n / 2 + 1, sizeof(*p->services))))
		return err_sys(c->err, "%s", path);
	for (size_t i = 0; i < v->n / 2; i++) {
		struct service *s = &p->services[p->n_services++];

		service_defaults(s);
		if (service_parse(c, v->items[2 * i], v->items[2 * i + 1],
				  kp_key(&k, path, v->items[2 * i]->str), s) < 0)
			return -1;
	}
	qsort(p->services, p->n_services, sizeof(*p->services), svc_cmp);
	if (deps_check(c, v) < 0)
		return -1;
	return ports_check(c, v);
}

/* Top-level volumes: and networks: declare names; what they say about
 * drivers and options is not berth's, so each such key is warned about. */
static int names_parse(struct dctx *c, const struct ynode *v, const char *path, char ***out)
{
	static const struct dfield none[] = { { NULL, NULL } };
	struct kpath k;

	if (ynode_is_null(v))
		return 0;
	if (d_map(c, v, path) < 0)
		return -1;
	for (size_t i = 0; i < v->n / 2; i++) {
		const struct ynode *val = v->items[2 * i + 1];

		kp_key(&k, path, v->items[2 * i]->str);
		if (!name_ok(v->items[2 * i]->str, NAME_CHARS))
			return dbad(c, v->items[2 * i], k.buf, "\"%s\" is not a name", v->items[2 * i]->str);
		if (!ynode_is_null(val) && d_walk(c, val, k.buf, none, NULL) < 0)
			return -1;
		if (strv_push(out, v->items[2 * i]->str) < 0)
			return err_sys(c->err, "%s", path);
	}
	return 0;
}

static int top_name(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	struct project *p = obj;

	if (d_str(c, v, path, &p->name) < 0)
		return -1;
	if (!name_ok(p->name, PROJECT_CHARS))
		return dbad(c, v, path, "\"%s\" is not a project name (lowercase letters, digits, _ -)", p->name);
	return 0;
}

static int top_version(struct dctx *c, const struct ynode *v, const char *path, void *obj)
{
	return dwarn(c, v, path, "obsolete, ignored");
}

static const struct dfield top_fields[] = {
	{ "name", top_name },
	{ "version", top_version },
	{ "services", NULL },
	{ "volumes", NULL },
	{ "networks", NULL },
	{ NULL, NULL },
};

/* The directory relative paths are read from, made absolute (lexically:
 * the file need not exist when text is given directly). */
static int project_dir(const char *path, struct project *p, berr_t *err)
{
	cleanup_free char *copy = strdup(path), *cwd = NULL;
	const char *dir;

	if (!copy)
		return err_sys(err, "%s", path);
	dir = dirname(copy);
	if (dir[0] == '/') {
		p->dir = strdup(dir);
	} else {
		if (!(cwd = getcwd(NULL, 0)))
			return err_sys(err, "%s: the current directory", path);
		if (!strcmp(dir, "."))
			p->dir = strdup(cwd);
		else if (asprintf(&p->dir, "%s/%s", cwd, dir) < 0)
			p->dir = NULL;
	}
	if (!p->dir)
		return err_sys(err, "%s", path);
	return 0;
}

static int project_tree(struct dctx *c, const struct ynode *root)
{
	const struct ynode *v;

	if (!root || ynode_is_null(root))
		return err_set(c->err, EINVAL, "%s: empty, expected services:", c->file);
	if (d_map(c, root, "(top level)") < 0)
		return -1;
	if (d_walk(c, root, "", top_fields, c->p) < 0)
		return -1;
	if ((v = ynode_get(root, "volumes")) && names_parse(c, v, "volumes", &c->p->volumes) < 0)
		return -1;
	if ((v = ynode_get(root, "networks")) && names_parse(c, v, "networks", &c->p->networks) < 0)
		return -1;
	if (!(v = ynode_get(root, "services")))
		return err_set(c->err, EINVAL, "%s: no services:", c->file);
	return services_parse(c, v, "services");
}

int project_parse(const char *text, size_t len, const char *path, struct project *p,
		  berr_t *err)
{
	cleanup_err berr_t local = NULL;
	struct dctx c = { .file = path, .p = p, .err = err ? err : &local };
	struct ytree t;
	int r;

	*p = (struct project){ 0 };
	if (project_dir(path, p, c.err) < 0)
		return -1;
	if (ytree_parse(text, len, path, &t, c.err) < 0) {
		project_free(p);
		return -1;
	}
	r = project_tree(&c, t.root);
	ytree_free(&t);
	if (r < 0)
		project_free(p);
	return r;
}

int project_load(const char *path, struct project *p, berr_t *err)
{
	cleanup_free char *text = NULL;
	size_t len;

	*p = (struct project){ 0 };
	if (fs_read_file_at(AT_FDCWD, path, YTREE_MAX_BYTES, &text, &len, err) < 0)
		return -1;
	return project_parse(text, len, path, p, err);
}

void project_free(struct project *p)
{
	for (size_t i = 0; i < p->n_services; i++)
		service_clear(&p->services[i]);
	free(p->services);
	free(p->name);
	free(p->dir);
	strv_free(p->volumes);
	strv_free(p->networks);
	strv_free(p->warnings);
	*p = (struct project){ 0 };
}

const struct service *project_service(const struct project *p, const char *name)
{
	for (size_t i = 0; i < p->n_services; i++)
		if (!strcmp(p->services[i].name, name))
			return &p->services[i];
	return NULL;
}
