/* config.json "process": what the container runs and with which powers. */
#include <errno.h>
#include <linux/ioprio.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "common/json.h"
#include "common/log.h"
#include "runtime/spec.h"
#include "runtime/spec_internal.h"

struct name_value {
	const char *name;
	int value;
};

static const struct name_value rlimit_names[] = {
	{ "RLIMIT_AS", RLIMIT_AS },		{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },		{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },		{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

const char *spec_rlimit_name(int resource)
{
	for (size_t i = 0; i < sizeof(rlimit_names) / sizeof(*rlimit_names); i++)
		if (rlimit_names[i].value == resource)
			return rlimit_names[i].name;
	return "RLIMIT_?";
}

static const struct name_value sched_policies[] = {
	{ "SCHED_OTHER", SCHED_OTHER }, { "SCHED_FIFO", SCHED_FIFO },
	{ "SCHED_RR", SCHED_RR },	{ "SCHED_BATCH", SCHED_BATCH },
	{ "SCHED_ISO", 4 },		{ "SCHED_IDLE", SCHED_IDLE },
	{ "SCHED_DEADLINE", 6 },
};

static const struct name_value sched_flags[] = {
	{ "SCHED_FLAG_RESET_ON_FORK", 0x01 }, { "SCHED_FLAG_RECLAIM", 0x02 },
	{ "SCHED_FLAG_DL_OVERRUN", 0x04 },    { "SCHED_FLAG_KEEP_POLICY", 0x08 },
	{ "SCHED_FLAG_KEEP_PARAMS", 0x10 },   { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
	{ "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static const struct name_value ioprio_classes[] = {
	{ "IOPRIO_CLASS_RT", IOPRIO_CLASS_RT },
	{ "IOPRIO_CLASS_BE", IOPRIO_CLASS_BE },
	{ "IOPRIO_CLASS_IDLE", IOPRIO_CLASS_IDLE },
};

#define LOOKUP(table, name) lookup_name(table, sizeof(table) / sizeof(*table), name)

static int lookup_name(const struct name_value *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return t[i].value;
	return -1;
}

static int parse_user(json_t *proc, const char *where, struct spec_user *u,
		      berr_t *err)
{
	json_t *user = NULL, *gids = NULL, *item;
	struct jpath p, q, g;
	int64_t v;
	size_t i;

	if (jget_object(proc, "user", where, true, &user, err) < 0)
		return -1;
	where = jpath_key(&p, where, "user");
	if (jget_int(user, "uid", where, 0, UINT32_MAX - 1, true, &v, err) < 0)
		return -1;
	u->uid = (uint32_t)v;
	if (jget_int(user, "gid", where, 0, UINT32_MAX - 1, true, &v, err) < 0)
		return -1;
	u->gid = (uint32_t)v;
	if (spec_opt_u64(user, "umask", where, 0777, &u->umask, err) < 0)
		return -1;
	if (jget_array(user, "additionalGids", where, false, &gids, err) < 0)
		return -1;
	if (!gids)
		return 0;
	u->additional_gids = spec_alloc_array(gids, sizeof(uint32_t), where, err);
	if (!u->additional_gids)
		return -1;
	jpath_key(&g, where, "additionalGids");
	json_array_foreach(gids, i, item) {
		if (jcheck_int(item, jpath_index(&q, g.buf, i), 0,
			       UINT32_MAX - 1, &v, err) < 0)
			return -1;
		u->additional_gids[i] = (uint32_t)v;
		u->n_additional_gids = i + 1;
	}
	return 0;
}

static int parse_cap_set(json_t *caps, const char *key, const char *where,
			 uint64_t *mask, berr_t *err)
{
	cleanup_strv char **names = NULL;
	struct jpath p, q;

	if (jget_strv(caps, key, where, false, &names, err) < 0)
		return -1;
	jpath_key(&p, where, key);
	for (size_t i = 0; names[i]; i++) {
		int cap = spec_capability_number(names[i]);

		if (strncasecmp(names[i], "CAP_", 4) != 0)
			return err_set(err, EINVAL, "%s: '%s' is not a capability",
				       jpath_index(&q, p.buf, i), names[i]);
		/* Like runc: a capability newer than berth is skipped, so a
		 * profile written for a newer kernel still runs. */
		if (cap < 0) {
			log_warn("%s: unknown capability '%s' ignored",
				 jpath_index(&q, p.buf, i), names[i]);
			continue;
		}
		*mask |= 1ULL << cap;
	}
	return 0;
}

static int parse_caps(json_t *proc, const char *where, struct spec_caps *c,
		      berr_t *err)
{
	json_t *caps = NULL;
	struct jpath p;
	int r = jget_object(proc, "capabilities", where, false, &caps, err);

	if (r <= 0)
		return r;
	where = jpath_key(&p, where, "capabilities");
	c->set = true;
	if (parse_cap_set(caps, "bounding", where, &c->bounding, err) < 0 ||
	    parse_cap_set(caps, "effective", where, &c->effective, err) < 0 ||
	    parse_cap_set(caps, "inheritable", where, &c->inheritable, err) < 0 ||
	    parse_cap_set(caps, "permitted", where, &c->permitted, err) < 0 ||
	    parse_cap_set(caps, "ambient", where, &c->ambient, err) < 0)
		return -1;
	return 0;
}

static int parse_rlimit(json_t *item, const char *where, struct spec_rlimit *rl,
			berr_t *err)
{
	cleanup_free char *type = NULL;

	if (jcheck_object(item, where, err) < 0)
		return -1;
	if (jget_string(item, "type", where, true, &type, err) < 0)
		return -1;
	rl->resource = LOOKUP(rlimit_names, type);
	if (rl->resource < 0)
		return err_set(err, EINVAL, "%s.type: unknown rlimit '%s'", where,
			       type);
	if (jget_uint(item, "soft", where, UINT64_MAX, true, &rl->soft, err) < 0 ||
	    jget_uint(item, "hard", where, UINT64_MAX, true, &rl->hard, err) < 0)
		return -1;
	if (rl->soft > rl->hard)
		return err_set(err, EINVAL, "%s: soft limit %llu is above the hard limit %llu",
			       where, (unsigned long long)rl->soft,
			       (unsigned long long)rl->hard);
	return 0;
}

static int parse_rlimits(json_t *proc, const char *where,
			 struct spec_process *sp, berr_t *err)
{
	int found;
	json_t *arr = NULL, *item;
	struct jpath p, q;
	size_t i;

	found = jget_array(proc, "rlimits", where, false, &arr, err);
	if (found <= 0)
		return found;
	where = jpath_key(&p, where, "rlimits");
	sp->rlimits = spec_alloc_array(arr, sizeof(*sp->rlimits), where, err);
	if (!sp->rlimits)
		return -1;
	json_array_foreach(arr, i, item) {
		if (parse_rlimit(item, jpath_index(&q, where, i),
				 &sp->rlimits[i], err) < 0)
			return -1;
		sp->n_rlimits = i + 1;
	}
	return 0;
}

static int parse_flag_names(json_t *obj, const char *key, const char *where,
			    const struct name_value *table, size_t n,
			    uint64_t *out, berr_t *err)
{
	cleanup_strv char **names = NULL;
	struct jpath p, q;

	if (jget_strv(obj, key, where, false, &names, err) < 0)
		return -1;
	for (size_t i = 0; names[i]; i++) {
		int v = lookup_name(table, n, names[i]);

		if (v < 0)
			return err_set(err, EINVAL, "%s: unknown flag '%s'",
				       jpath_index(&q, jpath_key(&p, where, key), i),
				       names[i]);
		*out |= (uint64_t)v;
	}
	return 0;
}

static int parse_scheduler(json_t *proc, const char *where,
			   struct spec_scheduler *s, berr_t *err)
{
	cleanup_free char *policy = NULL;
	json_t *obj = NULL;
	struct jpath p;
	int64_t v = 0;
	int r = jget_object(proc, "scheduler", where, false, &obj, err);

	if (r <= 0)
		return r;
	where = jpath_key(&p, where, "scheduler");
	if (jget_string(obj, "policy", where, true, &policy, err) < 0)
		return -1;
	s->policy = LOOKUP(sched_policies, policy);
	if (s->policy < 0)
		return err_set(err, EINVAL, "%s.policy: unknown policy '%s'",
			       where, policy);
	s->set = true;
	if (jget_int(obj, "nice", where, -20, 19, false, &v, err) < 0)
		return -1;
	s->nice = (int32_t)v;
	v = 0;
	if (jget_int(obj, "priority", where, 0, 99, false, &v, err) < 0)
		return -1;
	s->priority = (int32_t)v;
	if (parse_flag_names(obj, "flags", where, sched_flags,
			     sizeof(sched_flags) / sizeof(*sched_flags),
			     &s->flags, err) < 0 ||
	    jget_uint(obj, "runtime", where, UINT64_MAX, false, &s->runtime, err) < 0 ||
	    jget_uint(obj, "deadline", where, UINT64_MAX, false, &s->deadline, err) < 0 ||
	    jget_uint(obj, "period", where, UINT64_MAX, false, &s->period, err) < 0)
		return -1;
	return 0;
}

static int parse_ioprio(json_t *proc, const char *where,
			struct spec_process *sp, berr_t *err)
{
	cleanup_free char *cls = NULL;
	json_t *obj = NULL;
	struct jpath p;
	int64_t prio = 0;
	int c, r = jget_object(proc, "ioPriority", where, false, &obj, err);

	if (r <= 0)
		return r;
	where = jpath_key(&p, where, "ioPriority");
	if (jget_string(obj, "class", where, true, &cls, err) < 0 ||
	    jget_int(obj, "priority", where, 0, 7, false, &prio, err) < 0)
		return -1;
	c = LOOKUP(ioprio_classes, cls);
	if (c < 0)
		return err_set(err, EINVAL, "%s.class: unknown class '%s'", where,
			       cls);
	sp->ioprio.set = true;
	sp->ioprio.v = IOPRIO_PRIO_VALUE(c, prio);
	return 0;
}

static int parse_console(json_t *proc, const char *where,
			 struct spec_process *sp, berr_t *err)
{
	json_t *size = NULL;
	struct jpath p;

	if (jget_bool(proc, "terminal", where, &sp->terminal, err) < 0 ||
	    jget_object(proc, "consoleSize", where, false, &size, err) < 0)
		return -1;
	where = jpath_key(&p, where, "consoleSize");
	if (spec_opt_u64(size, "height", where, UINT16_MAX, &sp->console_height,
			 err) < 0 ||
	    spec_opt_u64(size, "width", where, UINT16_MAX, &sp->console_width,
			 err) < 0)
		return -1;
	return 0;
}

static int parse_misc(json_t *proc, const char *where, struct spec_process *sp,
		      berr_t *err)
{
	json_t *aff = NULL;
	struct jpath p;

	if (jget_bool(proc, "noNewPrivileges", where, &sp->no_new_privileges,
		      err) < 0 ||
	    spec_opt_i64(proc, "oomScoreAdj", where, -1000, 1000,
			 &sp->oom_score_adj, err) < 0 ||
	    jget_string(proc, "apparmorProfile", where, false,
			&sp->apparmor_profile, err) < 0 ||
	    jget_string(proc, "selinuxLabel", where, false, &sp->selinux_label,
			err) < 0 ||
	    jget_object(proc, "execCPUAffinity", where, false, &aff, err) < 0)
		return -1;
	where = jpath_key(&p, where, "execCPUAffinity");
	if (jget_string(aff, "initial", where, false, &sp->cpu_affinity_initial,
			err) < 0 ||
	    jget_string(aff, "final", where, false, &sp->cpu_affinity_final,
			err) < 0)
		return -1;
	return 0;
}

static int parse_args(json_t *proc, const char *where, struct spec_process *sp,
		      berr_t *err)
{
	if (jget_strv(proc, "args", where, true, &sp->args, err) < 0)
		return -1;
	if (!sp->args[0])
		return err_set(err, EINVAL, "%s.args: must name a program", where);
	if (jget_strv(proc, "env", where, false, &sp->env, err) < 0 ||
	    jget_string(proc, "cwd", where, true, &sp->cwd, err) < 0)
		return -1;
	if (sp->cwd[0] != '/')
		return err_set(err, EINVAL, "%s.cwd: '%s' is not an absolute path",
			       where, sp->cwd);
	return 0;
}

int spec_parse_process(json_t *obj, const char *where,
		       struct spec_process **out, berr_t *err)
{
	struct spec_process *sp;

	if (jcheck_object(obj, where, err) < 0)
		return -1;
	sp = calloc(1, sizeof(*sp));
	if (!sp)
		return err_sys(err, "%s", where);
	if (parse_args(obj, where, sp, err) < 0 ||
	    parse_user(obj, where, &sp->user, err) < 0 ||
	    parse_console(obj, where, sp, err) < 0 ||
	    parse_caps(obj, where, &sp->caps, err) < 0 ||
	    parse_rlimits(obj, where, sp, err) < 0 ||
	    parse_scheduler(obj, where, &sp->scheduler, err) < 0 ||
	    parse_ioprio(obj, where, sp, err) < 0 ||
	    parse_misc(obj, where, sp, err) < 0) {
		spec_process_free(sp);
		return -1;
	}
	*out = sp;
	return 0;
}

void spec_process_free(struct spec_process *p)
{
	if (!p)
		return;
	strv_free(p->args);
	strv_free(p->env);
	free(p->cwd);
	free(p->user.additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	free(p->cpu_affinity_initial);
	free(p->cpu_affinity_final);
	free(p);
}
