/* A new replica of a service's current revision: `berth run -d` with the
 * definition as docker run flags, on the bridge network (the proxy
 * reaches each replica at its own address), named <service>.<rev>.<n>
 * so that any berthd finds it again.  Replicas run with berth's init
 * (--init): as pid 1 a program without a SIGTERM handler would ignore
 * the stop signal and every retirement would wait out the grace period
 * before its SIGKILL. */
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "daemon/argv.h"
#include "daemon/children.h"
#include "daemon/replica_start.h"

#define NS_PER_MS 1000000ull

static int restart_args(const struct restart_policy *p, char ***v)
{
	const char *mode = restart_mode_name(p->mode);

	if ((p->mode == RESTART_ON_FAILURE && p->max_retries
		     ? strv_pushf(v, "--restart=on-failure:%u", p->max_retries)
		     : strv_pushf(v, "--restart=%s", mode)) < 0)
		return -1;
	if (p->mode == RESTART_NO)
		return 0;
	return -(strv_pushf(v, "--restart-delay=%llums", (unsigned long long)(p->delay_ns / NS_PER_MS)) < 0 ||
		 strv_pushf(v, "--restart-max-delay=%llums", (unsigned long long)(p->max_delay_ns / NS_PER_MS)) < 0 ||
		 strv_pushf(v, "--restart-multiplier=%g", p->multiplier) < 0 ||
		 strv_pushf(v, "--restart-reset-after=%llums", (unsigned long long)(p->reset_ns / NS_PER_MS)) < 0);
}

static int limit_args(const struct svc_limits *l, char ***v)
{
	if (l->memory && strv_pushf(v, "--memory=%lld", (long long)l->memory) < 0)
		return -1;
	if (l->nano_cpus && strv_pushf(v, "--cpus=%.3f", (double)l->nano_cpus / 1e9) < 0)
		return -1;
	return l->pids ? strv_pushf(v, "--pids-limit=%lld", (long long)l->pids) : 0;
}

/* The definition's labels, and berth's own saying whose replica it is. */
static int label_args(const struct svc *s, char ***v)
{
	for (size_t i = 0; i < s->def.labels.n; i++)
		if (argv_add(v, "--label", NULL) < 0 ||
		    strv_pushf(v, "%s=%s", s->def.labels.v[i].key, s->def.labels.v[i].value) < 0)
			return -1;
	return -(argv_add(v, "--label", NULL) < 0 ||
		 strv_pushf(v, "org.berth.service=%s", s->name) < 0 ||
		 argv_add(v, "--label", NULL) < 0 ||
		 strv_pushf(v, "org.berth.revision=%lld", (long long)s->rev) < 0);
}

static int env_and_volume_args(const struct service *def, char ***v)
{
	for (size_t i = 0; i < def->environment.n; i++)
		if (argv_add(v, "-e", NULL) < 0 ||
		    strv_pushf(v, "%s=%s", def->environment.v[i].key, def->environment.v[i].value) < 0)
			return -1;
	for (size_t i = 0; i < def->n_volumes; i++) {
		const struct svc_volume *vol = &def->volumes[i];

		if (vol->type == SVC_VOLUME_ANONYMOUS)
			continue; /* refused when the definition is deployed (deploy.c) */
		if (argv_add(v, "-v", NULL) < 0 ||
		    strv_pushf(v, "%s:%s%s", vol->source, vol->target, vol->read_only ? ":ro" : "") < 0)
			return -1;
	}
	return 0;
}

/* The image by the digest recorded with the revision: a rollback runs
 * the very image the revision ran, whatever its tag names now. */
static const char *image_of(const struct svc *s, json_t *digests)
{
	const char *id = json_string_value(json_object_get(digests, s->def.image));

	return id ? id : s->def.image;
}

static int command_args(const struct svc *s, char ***v)
{
	const struct service *def = &s->def;
	json_t *digests = json_loads(s->digests ? s->digests : "{}", 0, NULL);
	int r = 0;

	if (def->has_entrypoint)
		r = argv_add(v, "--entrypoint", def->entrypoint[0] ? def->entrypoint[0] : "", NULL);
	if (r == 0)
		r = argv_add(v, image_of(s, digests), NULL);
	json_decref(digests);
	for (char **a = def->has_entrypoint && def->entrypoint[0] ? def->entrypoint + 1 : NULL;
	     r == 0 && a && *a; a++)
		r = strv_push(v, *a);
	for (char **a = def->has_command ? def->command : NULL; r == 0 && a && *a; a++)
		r = strv_push(v, *a);
	return r;
}

int replica_argv(const struct berthd *d, const struct svc *s, const char *name, char ***v)
{
	const struct service *def = &s->def;

	if (argv_begin(d, v) < 0 ||
	    argv_add(v, "run", "-d", "--name", name, "--network", "bridge", NULL) < 0 ||
	    (d->init && argv_add(v, "--init", NULL) < 0) ||
	    restart_args(&def->restart, v) < 0 || limit_args(&def->limits, v) < 0 ||
	    env_and_volume_args(def, v) < 0 || label_args(s, v) < 0 ||
	    strv_pushf(v, "--stop-timeout=%lld", (long long)((def->stop_grace_ns + 999999999) / 1000000000)) < 0 ||
	    (def->stop_signal && strv_pushf(v, "--stop-signal=%d", def->stop_signal) < 0))
		return -1;
	return command_args(s, v);
}

void replica_start(struct berthd *d, struct svc *s)
{
	cleanup_strv char **argv = NULL;
	char name[300];
	berr_t err = NULL;
	pid_t pid;

	snprintf(name, sizeof(name), "%s.%lld.%lld", s->name, (long long)s->rev, (long long)s->next_n);
	if (replica_argv(d, s, name, &argv) < 0 ||
	    child_spawn(argv, CHILD_START, s->name, NULL, &pid, &err) < 0) {
		fprintf(stderr, "berthd: start of %s: %s\n", name, err ? err_msg(err) : "out of memory");
		err_free(&err);
		return;
	}
	s->next_n++;
	s->starting++;
}

void replica_backoff(struct berthd *d, struct svc *s)
{
	s->next_start_ns = d->now_ns + backoff_delay(&s->def.restart, s->failures++,
						      (double)rand() / ((double)RAND_MAX + 1));
}

void replica_start_ended(struct berthd *d, struct svc *s, int code)
{
	s->starting--;
	if (code == 0)
		return;
	replica_backoff(d, s);
	berthd_event(d, s->name, "start-failed", "a replica of revision %lld could not be started (berth run exited %d)",
		     (long long)s->rev, code);
}
