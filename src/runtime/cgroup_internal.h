/* Helpers shared by the v1 and v2 cgroup managers (cgroup_v1.c,
 * cgroup_v2.c).  Not part of the runtime's interface.
 *
 * Every helper takes a directory and a file name and names the full path in
 * its error message, so a failure reads like
 * "write '100' to '/sys/fs/cgroup/memory/berth/x/memory.limit_in_bytes':
 * Device or resource busy". */
#ifndef BERTH_RUNTIME_CGROUP_INTERNAL_H
#define BERTH_RUNTIME_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"

/* A growable list of pids. */
struct cg_pids {
	pid_t *v;
	size_t n, cap;
};

/* "dir/file", malloc'd; NULL with errno set when out of memory. */
char *cg_join(const char *dir, const char *file);

/* True when dir/file exists. */
bool cg_has(const char *dir, const char *file);

int cg_write(const char *dir, const char *file, const char *value,
	     berr_t *err);
int cg_writef(berr_t *err, const char *dir, const char *file,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Write, treating a missing file (ENOENT) and also_ignore as a knob this
 * kernel does not have. */
int cg_write_lenient(const char *dir, const char *file, const char *value,
		     int also_ignore, berr_t *err);

/* Write a then b; when the kernel refuses a with EINVAL because it does
 * not fit b's current value (memory vs memsw, period vs quota), write b
 * first instead. */
int cg_write_pair(const char *dir, const char *a, const char *va,
		  const char *b, const char *vb, berr_t *err);

/* Read dir/file whole (NUL-terminated). */
int cg_read(const char *dir, const char *file, char **out, berr_t *err);

/* A single number; "max" reads as UINT64_MAX. */
int cg_read_u64(const char *dir, const char *file, uint64_t *v,
		berr_t *err);

/* The value of the "key N" line of a flat keyed file (memory.events,
 * cpu.stat, memory.oom_control); 0 when the key is absent. */
int cg_read_key(const char *dir, const char *file, const char *key,
		uint64_t *v, berr_t *err);

/* The same, leaving *v alone when dir/file does not exist (a counter that
 * older kernels lack). */
int cg_read_u64_opt(const char *dir, const char *file, uint64_t *v,
		    berr_t *err);
int cg_read_key_opt(const char *dir, const char *file, const char *key,
		    uint64_t *v, berr_t *err);

/* Every pid in dir/cgroup.procs and in the cgroups below dir. */
int cg_collect_pids(const char *dir, struct cg_pids *pids, berr_t *err);

/* Remove dir and the cgroups below it, retrying while the kernel still
 * reports the cgroup busy (exiting processes); ENOENT is success. */
int cg_rmdir(const char *dir, berr_t *err);

/* Refuse a new memory limit below the current usage (OCI
 * memory.checkBeforeUpdate); usage_file is memory.usage_in_bytes or
 * memory.current. */
int cg_check_usage(const char *dir, const char *usage_file, int64_t limit,
		   berr_t *err);

/* A hugepage size is used in a file name: only "<digits><K|M|G>B". */
int cg_check_page_size(const char *size, berr_t *err);

/* The number or "*" for -1, as devices and blkio rules want it. */
void cg_fmt_devnum(char *buf, size_t len, int64_t n);

/* True when root holds at least one v1 controller mount (cgroup_v1.c). */
bool cgroup_v1_present(const char *root);

/* Fill and free cg->v1_mounts (see cgroup.h). */
int cgroup_v1_scan(struct cgroup *cg, berr_t *err);
void cgroup_v1_unscan(struct cgroup *cg);

/* Sleep ms milliseconds (retry and freeze polling). */
void cg_sleep_ms(unsigned ms);

#endif
