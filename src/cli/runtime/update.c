/* `update`: new limits from --resources (a linux.resources JSON object,
 * "-" for stdin) or from runc's individual flags. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/runtime/runtime.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "common/units.h"
#include "runtime/container.h"
#include "runtime/spec.h"

enum { U_BLKIO = 256, U_CPU_PERIOD, U_CPU_QUOTA, U_CPU_SHARE, U_RT_PERIOD,
       U_RT_RUNTIME, U_CPUS, U_MEMS, U_KMEM, U_KMEM_TCP, U_MEM, U_MEM_RES,
       U_MEM_SWAP, U_PIDS, U_L3, U_MEMBW };

static const struct option opts[] = {
	{ "resources", required_argument, NULL, 'r' },
	{ "blkio-weight", required_argument, NULL, U_BLKIO },
	{ "cpu-period", required_argument, NULL, U_CPU_PERIOD },
	{ "cpu-quota", required_argument, NULL, U_CPU_QUOTA },
	{ "cpu-share", required_argument, NULL, U_CPU_SHARE },
	{ "cpu-shares", required_argument, NULL, U_CPU_SHARE },
	{ "cpu-rt-period", required_argument, NULL, U_RT_PERIOD },
	{ "cpu-rt-runtime", required_argument, NULL, U_RT_RUNTIME },
	{ "cpuset-cpus", required_argument, NULL, U_CPUS },
	{ "cpuset-mems", required_argument, NULL, U_MEMS },
	{ "kernel-memory", required_argument, NULL, U_KMEM },
	{ "kernel-memory-tcp", required_argument, NULL, U_KMEM_TCP },
	{ "memory", required_argument, NULL, U_MEM },
	{ "memory-reservation", required_argument, NULL, U_MEM_RES },
	{ "memory-swap", required_argument, NULL, U_MEM_SWAP },
	{ "pids-limit", required_argument, NULL, U_PIDS },
	{ "l3-cache-schema", required_argument, NULL, U_L3 },
	{ "mem-bw-schema", required_argument, NULL, U_MEMBW },
	{ 0 },
};

static int read_resources(const char *path, struct spec_resources *r,
			  berr_t *err)
{
	cleanup_free char *text = NULL;
	json_auto_t *doc = NULL;
	json_error_t jerr;
	size_t len;

	if (fs_read_file_at(AT_FDCWD, strcmp(path, "-") ? path : "/dev/stdin",
			    1 << 20, &text, &len, err) < 0)
		return err_prefix(err, "update: --resources");
	doc = json_loadb(text, len, 0, &jerr);
	if (!doc)
		return err_set(err, EINVAL, "update: %s: line %d: %s", path, jerr.line,
			       jerr.text);
	return spec_parse_resources(doc, path, r, err);
}

static int set_bytes(struct opt_i64 *o, const char *flag, berr_t *err)
{
	o->set = true;
	return units_parse_bytes(optarg, flag, &o->v, err);
}

static int set_u64(struct opt_u64 *o, const char *flag, uint64_t max,
		   berr_t *err)
{
	int64_t v;

	if (units_parse_int(optarg, flag, 0, (int64_t)(max > INT64_MAX ? INT64_MAX : max),
			    &v, err) < 0)
		return -1;
	o->set = true;
	o->v = (uint64_t)v;
	return 0;
}

static int set_i64(struct opt_i64 *o, const char *flag, berr_t *err)
{
	o->set = true;
	return units_parse_int(optarg, flag, INT64_MIN, INT64_MAX, &o->v, err);
}

static int apply_flag(int c, struct spec_resources *r, berr_t *err)
{
	switch (c) {
	case U_BLKIO: return set_u64(&r->blkio.weight, "--blkio-weight", 1000, err);
	case U_CPU_PERIOD: return set_u64(&r->cpu.period, "--cpu-period", 1000000, err);
	case U_CPU_QUOTA: return set_i64(&r->cpu.quota, "--cpu-quota", err);
	case U_CPU_SHARE: return set_u64(&r->cpu.shares, "--cpu-share", 262144, err);
	case U_RT_PERIOD: return set_u64(&r->cpu.realtime_period, "--cpu-rt-period", UINT64_MAX, err);
	case U_RT_RUNTIME: return set_i64(&r->cpu.realtime_runtime, "--cpu-rt-runtime", err);
	case U_CPUS: free(r->cpu.cpus); r->cpu.cpus = strdup(optarg); return 0;
	case U_MEMS: free(r->cpu.mems); r->cpu.mems = strdup(optarg); return 0;
	case U_KMEM: return set_bytes(&r->memory.kernel, "--kernel-memory", err);
	case U_KMEM_TCP: return set_bytes(&r->memory.kernel_tcp, "--kernel-memory-tcp", err);
	case U_MEM: return set_bytes(&r->memory.limit, "--memory", err);
	case U_MEM_RES: return set_bytes(&r->memory.reservation, "--memory-reservation", err);
	case U_MEM_SWAP: return set_bytes(&r->memory.swap, "--memory-swap", err);
	case U_PIDS: return set_i64(&r->pids_limit, "--pids-limit", err);
	case U_L3: case U_MEMBW:
		return err_set(err, EOPNOTSUPP, "update: Intel RDT is not supported by berth");
	}
	return err_set(err, EINVAL, "update: unknown flag");
}

int rt_update(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	struct spec_resources res = { 0 };
	const char *file = NULL, *id;
	bool flags_given = false;
	int c, r = -1;

	while ((c = rt_getopt(argc, argv, "r:", opts)) != -1) {
		if (c == 'r') {
			file = optarg;
			continue;
		}
		if (c == ':' || c == '?') {
			err_set(err, EINVAL, "update: bad flag '%s'", argv[optind - 1]);
			goto out;
		}
		if (apply_flag(c, &res, err) < 0)
			goto out;
		flags_given = true;
	}
	if (rt_need_id(rt_verb_find("update"), argc, argv, optind, &id, err) < 0)
		goto out;
	if (file && flags_given) {
		err_set(err, EINVAL, "update: --resources cannot be combined with other flags");
		goto out;
	}
	if (file && read_resources(file, &res, err) < 0)
		goto out;
	r = container_update(g->root, id, &res, err);
out:
	spec_resources_clear(&res);
	return r;
}
