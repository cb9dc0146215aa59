/* Finding the replicas: every kept container named <service>.<rev>.<n>
 * of a known service is one.  The names directory of the container store
 * says which containers those are without reading every record. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "container/record.h"
#include "container/status.h"
#include "daemon/daemon.h"
#include "daemon/probes.h"
#include "daemon/replica_name.h"
#include "network/network.h"

/* The longest a `berth run -d` may take between its name and its record. */
#define REPLICA_CREATE_NS (30ull * 1000000000)

struct replica *replica_find(struct berthd *d, const char *id)
{
	for (size_t i = 0; i < d->n_reps; i++)
		if (!strcmp(d->reps[i].id, id))
			return &d->reps[i];
	return NULL;
}

static struct replica *replica_add(struct berthd *d, const char *id, const char *name,
				   struct svc *s, int64_t rev, int64_t n)
{
	struct replica *v = realloc(d->reps, (d->n_reps + 1) * sizeof(*v));

	if (!v)
		return NULL;
	d->reps = v;
	struct replica *r = &d->reps[d->n_reps];

	memset(r, 0, sizeof(*r));
	if (!(r->service = strdup(s->name)))
		return NULL;
	memcpy(r->id, id, CONTAINER_ID_LEN); /* checked: CONTAINER_ID_LEN long */
	r->id[CONTAINER_ID_LEN] = '\0';
	snprintf(r->name, sizeof(r->name), "%.*s", (int)sizeof(r->name) - 1, name);
	r->rev = rev;
	r->n = n;
	r->first_seen_ns = d->now_ns;
	r->next_probe_ns = d->now_ns;
	probe_init(s, r);
	d->n_reps++;
	if (s->next_n <= n)
		s->next_n = n + 1;
	return r;
}

static void replica_refresh(struct berthd *d, struct replica *r, json_t *attachments)
{
	struct container_view v;
	berr_t err = NULL;

	if (container_view_load(d->root, d->run_root, r->id, &v, &err) < 0) {
		/* `berth run` reserves the name before it writes the record: a
		 * replica being created is left alone, one whose record never
		 * came is unknown (and removed). */
		snprintf(r->status, sizeof(r->status), "%s",
			 d->now_ns < r->first_seen_ns + REPLICA_CREATE_NS ? "creating" : "unknown");
		err_free(&err);
	} else {
		snprintf(r->status, sizeof(r->status), "%s", v.status);
	}
	container_view_clear(&v);
	const char *ip = json_string_value(
		json_object_get(json_object_get(attachments, r->id), "ip"));

	snprintf(r->ip, sizeof(r->ip), "%s", ip ? ip : "");
	r->seen = true;
}

/* One name of the names directory: a replica to track or refresh. */
static int scan_name(struct berthd *d, int dir, const char *name, json_t *attachments)
{
	char service[256], target[PATH_MAX];
	int64_t rev, n;
	struct svc *s;

	if (!replica_name_parse(name, service, sizeof(service), &rev, &n) ||
	    !(s = svc_find(d, service)))
		return 0;
	ssize_t len = readlinkat(dir, name, target, sizeof(target) - 1);

	if (len < 0)
		return 0; /* renamed or removed since the listing */
	target[len] = '\0';
	const char *id = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;

	if (strlen(id) != CONTAINER_ID_LEN)
		return 0;
	struct replica *r = replica_find(d, id);

	if (!r && !(r = replica_add(d, id, name, s, rev, n)))
		return -1;
	replica_refresh(d, r, attachments);
	return 0;
}

/* Replicas no longer in the store (removed by berthd or by hand) are
 * forgotten, unless a child of berthd still works on them. */
static void forget_unseen(struct berthd *d)
{
	size_t w = 0;

	for (size_t i = 0; i < d->n_reps; i++) {
		struct replica *r = &d->reps[i];

		if (!r->seen && !r->job_pid && !r->probe_pid) {
			free(r->service);
			continue;
		}
		d->reps[w++] = *r;
	}
	d->n_reps = w;
}

int replicas_scan(struct berthd *d, berr_t *err)
{
	char path[PATH_MAX];
	json_t *attachments = NULL;
	struct net_roots roots = { d->root, d->run_root };

	snprintf(path, sizeof(path), "%s/container-names", d->root);
	cleanup_closedir DIR *dir = opendir(path);

	if (!dir)
		return errno == ENOENT ? 0 : err_sys(err, "%s", path);
	if (net_attachments(&roots, NULL, &attachments, err) < 0)
		return -1;
	for (size_t i = 0; i < d->n_reps; i++)
		d->reps[i].seen = false;
	struct dirent *e;
	int r = 0;

	errno = 0;
	while (r == 0 && (e = readdir(dir)))
		if (e->d_name[0] != '.')
			r = scan_name(d, dirfd(dir), e->d_name, attachments);
	json_decref(attachments);
	if (r < 0)
		return err_sys(err, "replicas");
	forget_unseen(d);
	return 0;
}

void replicas_free(struct berthd *d)
{
	for (size_t i = 0; i < d->n_reps; i++)
		free(d->reps[i].service);
	free(d->reps);
	d->reps = NULL;
	d->n_reps = 0;
}
