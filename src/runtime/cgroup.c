/* The manager-independent half of the cgroup layer: picking v1 or v2,
 * the conversions between their knobs, kill --all, and the file helpers
 * both managers share (cgroup_internal.h). */
#include "runtime/cgroup.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/cgroup_internal.h"

/* Caps on what is read back: knobs are short; cgroup.procs holds at most
 * pid_max (4M) lines of up to 8 bytes. */
#define CG_READ_MAX ((size_t)1 << 16)
#define CG_PROCS_MAX ((size_t)1 << 25)

/* rmdir of a cgroup whose last process is still exiting fails with EBUSY
 * for a moment: retry for about a second. */
#define CG_RMDIR_TRIES 20
#define CG_RMDIR_WAIT_MS 50

/* Guards the recursive walks against a tree that is not a real cgroupfs
 * (the kernel caps nesting far below this in practice). */
#define CG_MAX_DEPTH 64

#define DEFAULT_ROOT "/sys/fs/cgroup"

char *cg_join(const char *dir, const char *file)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, file) < 0)
		return NULL;
	return p;
}

bool cg_has(const char *dir, const char *file)
{
	cleanup_free char *p = cg_join(dir, file);

	return p && access(p, F_OK) == 0;
}

void cg_sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

int cg_write(const char *dir, const char *file, const char *value,
	     berr_t *err)
{
	cleanup_free char *p = cg_join(dir, file);

	if (!p)
		return err_sys(err, "write '%s/%s'", dir, file);
	return fs_write_file_at(AT_FDCWD, p, value, strlen(value), err);
}

int cg_writef(berr_t *err, const char *dir, const char *file,
	      const char *fmt, ...)
{
	cleanup_free char *value = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (r < 0) {
		value = NULL;
		return err_sys(err, "write '%s/%s'", dir, file);
	}
	return cg_write(dir, file, value, err);
}

int cg_write_lenient(const char *dir, const char *file, const char *value,
		     int also_ignore, berr_t *err)
{
	cleanup_err berr_t e = NULL;
	int saved;

	if (cg_write(dir, file, value, &e) == 0)
		return 0;
	saved = errno;
	if (saved == ENOENT || saved == also_ignore)
		return 0;
	return err_set(err, saved, "%s", err_msg(e));
}

int cg_write_pair(const char *dir, const char *a, const char *va,
		  const char *b, const char *vb, berr_t *err)
{
	if (cg_write(dir, a, va, err) == 0)
		return cg_write(dir, b, vb, err);
	if (errno != EINVAL)
		return -1;
	if (cg_write(dir, b, vb, err) < 0)
		return -1;
	return cg_write(dir, a, va, err);
}

int cg_read(const char *dir, const char *file, char **out, berr_t *err)
{
	cleanup_free char *p = cg_join(dir, file);
	size_t max = strcmp(file, "cgroup.procs") ? CG_READ_MAX : CG_PROCS_MAX;

	if (!p)
		return err_sys(err, "read '%s/%s'", dir, file);
	return fs_read_file_at(AT_FDCWD, p, max, out, NULL, err);
}

static int parse_u64(const char *s, const char *dir, const char *file,
		     uint64_t *v, berr_t *err)
{
	char *end;

	while (isspace((unsigned char)*s))
		s++;
	if (!strncmp(s, "max", 3)) {
		*v = UINT64_MAX;
		return 0;
	}
	errno = 0;
	*v = strtoull(s, &end, 10);
	if (errno || end == s || (*end && !isspace((unsigned char)*end)))
		return err_set(err, EINVAL, "'%s/%s': expected a number, got '%.32s'",
			       dir, file, s);
	return 0;
}

int cg_read_u64(const char *dir, const char *file, uint64_t *v, berr_t *err)
{
	cleanup_free char *buf = NULL;

	if (cg_read(dir, file, &buf, err) < 0)
		return -1;
	return parse_u64(buf, dir, file, v, err);
}

int cg_read_key(const char *dir, const char *file, const char *key,
		uint64_t *v, berr_t *err)
{
	cleanup_free char *buf = NULL;
	size_t klen = strlen(key);

	if (cg_read(dir, file, &buf, err) < 0)
		return -1;
	*v = 0;
	for (char *line = buf; line && *line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, klen) && line[klen] == ' ')
			return parse_u64(line + klen + 1, dir, file, v, err);
	}
	return 0;
}

int cg_read_u64_opt(const char *dir, const char *file, uint64_t *v,
		    berr_t *err)
{
	return cg_has(dir, file) ? cg_read_u64(dir, file, v, err) : 0;
}

int cg_read_key_opt(const char *dir, const char *file, const char *key,
		    uint64_t *v, berr_t *err)
{
	return cg_has(dir, file) ? cg_read_key(dir, file, key, v, err) : 0;
}

static int pids_push(struct cg_pids *pids, pid_t pid, berr_t *err)
{
	if (pids->n == pids->cap) {
		size_t cap = pids->cap ? pids->cap * 2 : 64;
		pid_t *v = reallocarray(pids->v, cap, sizeof(*v));

		if (!v)
			return err_sys(err, "list cgroup processes");
		pids->v = v;
		pids->cap = cap;
	}
	pids->v[pids->n++] = pid;
	return 0;
}

static int read_procs(const char *dir, int depth, struct cg_pids *pids,
		      berr_t *err)
{
	cleanup_free char *buf = NULL;
	char *p, *end;

	/* A child cgroup may vanish between readdir and here. */
	if (depth > 0 && !cg_has(dir, "cgroup.procs"))
		return 0;
	if (cg_read(dir, "cgroup.procs", &buf, err) < 0)
		return -1;
	for (p = buf; *p; p = end) {
		long pid = strtol(p, &end, 10);

		if (end == p)
			return err_set(err, EINVAL, "'%s/cgroup.procs': bad pid '%.16s'",
				       dir, p);
		if (pid > 0 && pids_push(pids, (pid_t)pid, err) < 0)
			return -1;
		while (isspace((unsigned char)*end))
			end++;
	}
	return 0;
}

static bool is_subdir(DIR *d, const struct dirent *de)
{
	struct stat st;

	if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
		return false;
	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISDIR(st.st_mode);
}

/* Calls fn on every directory below dir (not dir itself). */
static int for_each_subdir(const char *dir, int depth,
			   int (*fn)(const char *, int, void *, berr_t *),
			   void *arg, berr_t *err)
{
	cleanup_closedir DIR *d = opendir(dir);
	struct dirent *de;

	if (!d && errno == ENOENT)
		return 0;
	if (!d)
		return err_sys(err, "open '%s'", dir);
	if (depth >= CG_MAX_DEPTH)
		return err_set(err, ELOOP, "'%s': cgroups nested too deep", dir);
	while ((errno = 0, de = readdir(d))) {
		cleanup_free char *sub = NULL;

		if (!is_subdir(d, de))
			continue;
		sub = cg_join(dir, de->d_name);
		if (!sub)
			return err_sys(err, "open '%s'", dir);
		if (fn(sub, depth + 1, arg, err) < 0)
			return -1;
	}
	if (errno)
		return err_sys(err, "read directory '%s'", dir);
	return 0;
}

static int collect_at(const char *dir, int depth, void *arg, berr_t *err)
{
	if (read_procs(dir, depth, arg, err) < 0)
		return -1;
	return for_each_subdir(dir, depth, collect_at, arg, err);
}

int cg_collect_pids(const char *dir, struct cg_pids *pids, berr_t *err)
{
	return collect_at(dir, 0, pids, err);
}

static int rmdir_at(const char *dir, int depth, void *arg, berr_t *err)
{
	/* Usually nothing is nested: try before walking. */
	if (rmdir(dir) == 0 || errno == ENOENT)
		return 0;
	if (for_each_subdir(dir, depth, rmdir_at, arg, err) < 0)
		return -1;
	for (int i = 0;; i++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || i + 1 >= CG_RMDIR_TRIES)
			return err_sys(err, "remove cgroup '%s'", dir);
		cg_sleep_ms(CG_RMDIR_WAIT_MS);
	}
}

int cg_rmdir(const char *dir, berr_t *err)
{
	return rmdir_at(dir, 0, NULL, err);
}

int cg_check_usage(const char *dir, const char *usage_file, int64_t limit,
		   berr_t *err)
{
	uint64_t usage;

	if (limit <= 0)
		return 0;
	if (cg_read_u64(dir, usage_file, &usage, err) < 0)
		return -1;
	if (usage > (uint64_t)limit)
		return err_set(err, EBUSY,
			       "memory limit %lld is below the current usage %llu of '%s'",
			       (long long)limit, (unsigned long long)usage, dir);
	return 0;
}

int cg_check_page_size(const char *size, berr_t *err)
{
	const char *p = size;

	while (isdigit((unsigned char)*p))
		p++;
	if (p == size || !strchr("KMG", *p) || !*p || strcmp(p + 1, "B"))
		return err_set(err, EINVAL,
			       "linux.resources.hugepageLimits: bad page size '%s'",
			       size);
	return 0;
}

void cg_fmt_devnum(char *buf, size_t len, int64_t n)
{
	if (n < 0)
		snprintf(buf, len, "*");
	else
		snprintf(buf, len, "%lld", (long long)n);
}

int cgroup_detect(const char *root, const struct cgroup_ops **ops,
		  berr_t *err)
{
	struct statfs sfs;

	if (statfs(root, &sfs) < 0)
		return err_sys(err, "statfs '%s'", root);
	if (sfs.f_type == (__typeof__(sfs.f_type))CGROUP2_SUPER_MAGIC) {
		*ops = &cgroup_v2_ops;
		return 0;
	}
	/* Otherwise root is the tmpfs of a v1 or hybrid host (whose unified
	 * mount sits below it, at root/unified) or a test tree: decide by
	 * what it holds. */
	if (cg_has(root, "cgroup.controllers")) {
		*ops = &cgroup_v2_ops;
		return 0;
	}
	if (sfs.f_type == (__typeof__(sfs.f_type))CGROUP_SUPER_MAGIC ||
	    cgroup_v1_present(root)) {
		*ops = &cgroup_v1_ops;
		return 0;
	}
	return err_set(err, ENOENT,
		       "'%s' holds neither a cgroup v2 hierarchy nor v1 controllers",
		       root);
}

/* cgroupsPath as written in config.json, made relative to each hierarchy;
 * ".." must not climb out of it. */
static int normalize_path(const char *path, char **out, berr_t *err)
{
	cleanup_free char *p = NULL;
	size_t len;

	while (*path == '/')
		path++;
	p = strdup(path);
	if (!p)
		return err_sys(err, "cgroup path '%s'", path);
	len = strlen(p);
	while (len > 0 && p[len - 1] == '/')
		p[--len] = '\0';
	if (!len)
		return err_set(err, EINVAL, "cgroup path '%s' is empty", path);
	for (const char *c = p; c; c = strchr(c, '/')) {
		if (*c == '/')
			c++;
		if (*c == '/' || !strncmp(c, "./", 2) || !strcmp(c, ".") ||
		    !strncmp(c, "../", 3) || !strcmp(c, ".."))
			return err_set(err, EINVAL,
				       "cgroup path '%s': empty, '.' or '..' component",
				       path);
	}
	*out = take_ptr(p);
	return 0;
}

int cgroup_init(struct cgroup *cg, const char *root, const char *path,
		berr_t *err)
{
	const struct cgroup_ops *ops;
	cleanup_free char *rel = NULL;
	cleanup_free char *r = NULL;

	memset(cg, 0, sizeof(*cg));
	if (!root)
		root = DEFAULT_ROOT;
	if (normalize_path(path, &rel, err) < 0)
		return -1;
	if (cgroup_detect(root, &ops, err) < 0)
		return -1;
	r = strdup(root);
	if (!r)
		return err_sys(err, "cgroup root '%s'", root);
	cg->ops = ops;
	cg->root = take_ptr(r);
	cg->path = take_ptr(rel);
	if (ops == &cgroup_v1_ops && cgroup_v1_scan(cg, err) < 0) {
		cgroup_clear(cg);
		return -1;
	}
	return 0;
}

void cgroup_clear(struct cgroup *cg)
{
	if (!cg)
		return;
	cgroup_v1_unscan(cg);
	free(cg->root);
	free(cg->path);
	memset(cg, 0, sizeof(*cg));
}

uint64_t cgroup_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0; /* unset: keep the kernel's default */
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t cgroup_blkio_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + ((weight - 10) * 9999) / 990;
}

/* One line: "MAJ:MIN Read|Write N" (v1) or "MAJ:MIN rbytes=N wbytes=N" (v2). */
static void add_io_line(const char *line, uint64_t *read, uint64_t *write)
{
	const char *r = strstr(line, " rbytes="), *w = strstr(line, " wbytes=");
	unsigned long long n;
	char op[8];

	if (sscanf(line, "%*s %7s %llu", op, &n) == 2) {
		if (!strcmp(op, "Read"))
			*read += n;
		else if (!strcmp(op, "Write"))
			*write += n;
	}
	if (r)
		*read += strtoull(r + 8, NULL, 10);
	if (w)
		*write += strtoull(w + 8, NULL, 10);
}

void cgroup_parse_io_bytes(const char *text, uint64_t *read, uint64_t *write)
{
	char line[512];

	*read = *write = 0;
	while (*text) {
		const char *end = strchrnul(text, '\n');

		snprintf(line, sizeof(line), "%.*s", (int)(end - text), text);
		add_io_line(line, read, write);
		text = *end ? end + 1 : end;
	}
}

static int signal_all(struct cgroup *cg, int sig, berr_t *err)
{
	cleanup_free pid_t *pids = NULL;
	size_t n = 0;

	if (cg->ops->pids(cg, &pids, &n, err) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			return err_sys(err, "signal process %d in cgroup '%s'",
				       pids[i], cg->path);
	return 0;
}

/* The cgroup is frozen while it is signalled so that a process forking in
 * a loop cannot put a new child out of reach between reading the pid list
 * and sending the signals. */
int cgroup_kill_all(struct cgroup *cg, int sig, berr_t *err)
{
	cleanup_err berr_t thaw_err = NULL;
	int ret;

	if (cg->ops == &cgroup_v2_ops && sig == SIGKILL) {
		cleanup_free char *dir = cg_join(cg->root, cg->path);

		if (!dir)
			return err_sys(err, "kill cgroup '%s'", cg->path);
		if (cg_has(dir, "cgroup.kill"))
			return cg_write(dir, "cgroup.kill", "1", err);
	}
	if (cg->ops->freeze(cg, true, err) < 0)
		return -1;
	ret = signal_all(cg, sig, err);
	/* Thaw even when signalling failed; report the first failure. */
	if (cg->ops->freeze(cg, false, ret == 0 ? err : &thaw_err) < 0)
		return -1;
	return ret;
}
