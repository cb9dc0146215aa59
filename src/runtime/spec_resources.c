/* config.json "linux.resources" (also the input of `runtime update`). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "runtime/spec.h"
#include "runtime/spec_internal.h"

/* Memory values: -1 means unlimited. */
static int get_limit(json_t *obj, const char *key, const char *where,
		     struct opt_i64 *out, berr_t *err)
{
	return spec_opt_i64(obj, key, where, -1, INT64_MAX, out, err);
}

static int parse_memory(json_t *res, const char *where,
			struct spec_resources *r, berr_t *err)
{
	int found;
	json_t *m = NULL;
	struct jpath p;

	found = jget_object(res, "memory", where, false, &m, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "memory");
	if (get_limit(m, "limit", where, &r->memory.limit, err) < 0 ||
	    get_limit(m, "reservation", where, &r->memory.reservation, err) < 0 ||
	    get_limit(m, "swap", where, &r->memory.swap, err) < 0 ||
	    get_limit(m, "kernel", where, &r->memory.kernel, err) < 0 ||
	    get_limit(m, "kernelTCP", where, &r->memory.kernel_tcp, err) < 0 ||
	    spec_opt_u64(m, "swappiness", where, 100, &r->memory.swappiness, err) < 0 ||
	    jget_bool(m, "disableOOMKiller", where, &r->memory.disable_oom_killer,
		      err) < 0 ||
	    jget_bool(m, "useHierarchy", where, &r->memory.use_hierarchy, err) < 0 ||
	    jget_bool(m, "checkBeforeUpdate", where,
		      &r->memory.check_before_update, err) < 0)
		return -1;
	if (r->memory.limit.set && r->memory.swap.set && r->memory.swap.v >= 0 &&
	    r->memory.limit.v > r->memory.swap.v)
		return err_set(err, EINVAL,
			       "%s.swap: %lld is below the memory limit %lld (swap counts memory plus swap)",
			       where, (long long)r->memory.swap.v,
			       (long long)r->memory.limit.v);
	return 0;
}

static int parse_cpu(json_t *res, const char *where, struct spec_resources *r,
		     berr_t *err)
{
	int found;
	json_t *c = NULL;
	struct jpath p;

	found = jget_object(res, "cpu", where, false, &c, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "cpu");
	if (spec_opt_u64(c, "shares", where, 262144, &r->cpu.shares, err) < 0 ||
	    spec_opt_u64(c, "period", where, 1000000, &r->cpu.period, err) < 0 ||
	    spec_opt_u64(c, "realtimePeriod", where, UINT64_MAX, &r->cpu.realtime_period,
		    err) < 0 ||
	    spec_opt_u64(c, "burst", where, UINT64_MAX, &r->cpu.burst, err) < 0 ||
	    jget_string(c, "cpus", where, false, &r->cpu.cpus, err) < 0 ||
	    jget_string(c, "mems", where, false, &r->cpu.mems, err) < 0)
		return -1;
	if (get_limit(c, "quota", where, &r->cpu.quota, err) < 0 ||
	    get_limit(c, "realtimeRuntime", where, &r->cpu.realtime_runtime,
		      err) < 0 ||
	    spec_opt_i64(c, "idle", where, 0, 1, &r->cpu.idle, err) < 0)
		return -1;
	if (r->cpu.period.set && r->cpu.period.v < 1000)
		return err_set(err, EINVAL, "%s.period: %llu is below 1000 microseconds",
			       where, (unsigned long long)r->cpu.period.v);
	return 0;
}

static int parse_pids(json_t *res, const char *where, struct spec_resources *r,
		      berr_t *err)
{
	int found;
	json_t *p = NULL;
	struct jpath jp;
	int n;

	found = jget_object(res, "pids", where, false, &p, err);
	if (found <= 0)
		return found;
	n = jget_int(p, "limit", jpath_key(&jp, where, "pids"), INT64_MIN,
		     INT64_MAX, true, &r->pids_limit.v, err);
	if (n < 0)
		return -1;
	r->pids_limit.set = true;
	return 0;
}

static int parse_major_minor(json_t *item, const char *where, int64_t *major,
			     int64_t *minor, berr_t *err)
{
	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_int(item, "major", where, 0, UINT32_MAX, true, major, err) < 0 ||
	    jget_int(item, "minor", where, 0, UINT32_MAX, true, minor, err) < 0)
		return -1;
	return 0;
}

static int parse_weight_devices(json_t *bio, const char *where,
				struct spec_resources *r, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(bio, "weightDevice", where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "weightDevice");
	r->blkio.weight_devices = spec_alloc_array(arr, sizeof(*r->blkio.weight_devices),
						   where, err);
	if (!r->blkio.weight_devices)
		return -1;
	json_array_foreach(arr, i, item) {
		struct spec_weight_device *d = &r->blkio.weight_devices[i];
		const char *at = jpath_index(&q, where, i);

		if (parse_major_minor(item, at, &d->major, &d->minor, err) < 0 ||
		    spec_opt_u64(item, "weight", at, 1000, &d->weight, err) < 0 ||
		    spec_opt_u64(item, "leafWeight", at, 1000, &d->leaf_weight, err) < 0)
			return -1;
		r->blkio.n_weight_devices = i + 1;
	}
	return 0;
}

static const char *const throttle_keys[4] = {
	"throttleReadBpsDevice", "throttleWriteBpsDevice",
	"throttleReadIOPSDevice", "throttleWriteIOPSDevice",
};

static int parse_throttle(json_t *bio, const char *where, int kind,
			  struct spec_resources *r, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(bio, throttle_keys[kind], where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, throttle_keys[kind]);
	r->blkio.throttle[kind] = spec_alloc_array(arr, sizeof(**r->blkio.throttle),
						   where, err);
	if (!r->blkio.throttle[kind])
		return -1;
	json_array_foreach(arr, i, item) {
		struct spec_throttle_device *d = &r->blkio.throttle[kind][i];
		const char *at = jpath_index(&q, where, i);

		if (parse_major_minor(item, at, &d->major, &d->minor, err) < 0 ||
		    jget_uint(item, "rate", at, UINT64_MAX, true, &d->rate, err) < 0)
			return -1;
		r->blkio.n_throttle[kind] = i + 1;
	}
	return 0;
}

static int parse_blkio(json_t *res, const char *where,
		       struct spec_resources *r, berr_t *err)
{
	int found;
	json_t *b = NULL;
	struct jpath p;

	found = jget_object(res, "blockIO", where, false, &b, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "blockIO");
	if (spec_opt_u64(b, "weight", where, 1000, &r->blkio.weight, err) < 0 ||
	    spec_opt_u64(b, "leafWeight", where, 1000, &r->blkio.leaf_weight, err) < 0 ||
	    parse_weight_devices(b, where, r, err) < 0)
		return -1;
	for (int kind = 0; kind < 4; kind++)
		if (parse_throttle(b, where, kind, r, err) < 0)
			return -1;
	return 0;
}

static int parse_hugepages(json_t *res, const char *where,
			   struct spec_resources *r, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(res, "hugepageLimits", where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "hugepageLimits");
	r->hugepages = spec_alloc_array(arr, sizeof(*r->hugepages), where, err);
	if (!r->hugepages)
		return -1;
	json_array_foreach(arr, i, item) {
		const char *at = jpath_index(&q, where, i);
		struct spec_hugepage *h = &r->hugepages[i];

		r->n_hugepages = i + 1;
		if (jget_string(item, "pageSize", at, true, &h->page_size, err) < 0 ||
		    jget_uint(item, "limit", at, UINT64_MAX, true, &h->limit, err) < 0)
			return -1;
		if (strspn(h->page_size, "0123456789KMGB") != strlen(h->page_size))
			return err_set(err, EINVAL, "%s.pageSize: '%s' is not a page size like 2MB",
				       at, h->page_size);
	}
	return 0;
}

/* -1 (the default) stands for "any" in device rules. */
static int get_device_number(json_t *item, const char *key, const char *where,
			     int64_t *out, berr_t *err)
{
	int64_t n;
	int r = jget_int(item, key, where, -1, UINT32_MAX, false, &n, err);

	if (r > 0)
		*out = n;
	return r;
}

static int parse_device_rule(json_t *item, const char *where,
			     struct spec_device_rule *d, berr_t *err)
{
	cleanup_free char *type = NULL, *access = NULL;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (!json_is_boolean(json_object_get(item, "allow")))
		return err_set(err, EINVAL, "%s.allow: required boolean missing",
			       where);
	d->allow = json_is_true(json_object_get(item, "allow"));
	d->type = 'a';
	d->major = d->minor = -1;
	strcpy(d->access, "rwm");
	if (jget_string(item, "type", where, false, &type, err) < 0 ||
	    jget_string(item, "access", where, false, &access, err) < 0)
		return -1;
	if (type && (strlen(type) != 1 || !strchr("acb", type[0])))
		return err_set(err, EINVAL, "%s.type: '%s' is not one of a, c, b",
			       where, type);
	if (type)
		d->type = type[0];
	if (access && (strlen(access) > 3 || strspn(access, "rwm") != strlen(access)))
		return err_set(err, EINVAL, "%s.access: '%s' is not a subset of rwm",
			       where, access);
	if (access)
		strcpy(d->access, access);
	return get_device_number(item, "major", where, &d->major, err) < 0 ||
	       get_device_number(item, "minor", where, &d->minor, err) < 0 ? -1 : 0;
}

static int parse_device_rules(json_t *res, const char *where,
			      struct spec_resources *r, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(res, "devices", where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "devices");
	r->devices = spec_alloc_array(arr, sizeof(*r->devices), where, err);
	if (!r->devices)
		return -1;
	json_array_foreach(arr, i, item) {
		if (parse_device_rule(item, jpath_index(&q, where, i),
				      &r->devices[i], err) < 0)
			return -1;
		r->n_devices = i + 1;
	}
	return 0;
}

static int parse_network(json_t *res, const char *where,
			 struct spec_resources *r, berr_t *err)
{
	int found;
	json_t *n = NULL, *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_object(res, "network", where, false, &n, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "network");
	if (spec_opt_u64(n, "classID", where, UINT32_MAX, &r->network.class_id, err) < 0 ||
	    jget_array(n, "priorities", where, false, &arr, err) < 0)
		return -1;
	if (!arr)
		return 0;
	r->network.priorities = spec_alloc_array(arr, sizeof(struct spec_kv),
						 where, err);
	if (!r->network.priorities)
		return -1;
	json_array_foreach(arr, i, item) {
		struct spec_kv *kv = &r->network.priorities[i];
		const char *at = jpath_index(&q, where, i);
		int64_t prio;

		r->network.n_priorities = i + 1;
		if (jget_string(item, "name", at, true, &kv->key, err) < 0 ||
		    jget_int(item, "priority", at, 0, UINT32_MAX, true, &prio, err) < 0)
			return -1;
		if (asprintf(&kv->value, "%lld", (long long)prio) < 0)
			return err_sys(err, "%s", at);
	}
	return 0;
}

int spec_parse_resources(json_t *obj, const char *where,
			 struct spec_resources *r, berr_t *err)
{
	json_t *rdma = NULL;

	if (jcheck_object(obj, where, err) < 0)
		return -1;
	if (parse_memory(obj, where, r, err) < 0 ||
	    parse_cpu(obj, where, r, err) < 0 || parse_pids(obj, where, r, err) < 0 ||
	    parse_blkio(obj, where, r, err) < 0 ||
	    parse_hugepages(obj, where, r, err) < 0 ||
	    parse_device_rules(obj, where, r, err) < 0 ||
	    parse_network(obj, where, r, err) < 0 ||
	    spec_parse_kv(obj, "unified", where, &r->unified, &r->n_unified, err) < 0 ||
	    jget_object(obj, "rdma", where, false, &rdma, err) < 0) {
		spec_resources_clear(r);
		return -1;
	}
	if (rdma && json_object_size(rdma) > 0) {
		spec_resources_clear(r);
		return err_set(err, EOPNOTSUPP, "%s.rdma: not supported by berth",
			       where);
	}
	return 0;
}

void spec_resources_clear(struct spec_resources *r)
{
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->blkio.weight_devices);
	for (int k = 0; k < 4; k++)
		free(r->blkio.throttle[k]);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].page_size);
	free(r->hugepages);
	free(r->devices);
	spec_kv_free(r->network.priorities, r->network.n_priorities);
	spec_kv_free(r->unified, r->n_unified);
	memset(r, 0, sizeof(*r));
}
