/* Entering the container's namespaces.
 *
 * pid and time namespaces apply to a process's children only, so the
 * runtime process sets them up for the init it is about to clone and
 * restores its own afterwards.  Everything else happens in the init: join
 * the namespaces given by path (user first), then create the new ones, so
 * new namespaces are owned by the right user namespace.  When there is
 * nothing to join, clone() creates them all at once (user first) and the
 * runtime writes the id maps before letting the init go on. */
#ifndef BERTH_RUNTIME_NAMESPACES_H
#define BERTH_RUNTIME_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"
#include "runtime/spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Joining order (for namespaces set up by the process itself): user
 * first, mount last. */
#define NS_JOIN_ORDER_N 6
extern const int ns_join_order[NS_JOIN_ORDER_N];

struct ns_saved {
	int pid_fd;  /* the runtime's own pid namespace, or -1 */
	int time_fd; /* the runtime's own time namespace, or -1 */
};

/* Runtime side, before clone. */
int ns_prepare_children(const struct spec *spec, struct ns_saved *saved,
			berr_t *err);
/* Runtime side of exec: the next child is born in the pid (and, with
 * time, the time) namespace of process pid. */
int ns_children_into(pid_t pid, bool time, struct ns_saved *saved,
		     berr_t *err);

/* Runtime side, after clone. */
int ns_restore_children(struct ns_saved *saved, berr_t *err);

/* Flags for clone(); *all says whether they cover every new namespace
 * but the cgroup one. */
unsigned long ns_clone_flags(const struct spec *spec, bool *all);

/* True when the init forks itself into a new pid namespace (after
 * joining or creating a user namespace) instead of clone() creating it. */
bool ns_pid_by_fork(const struct spec *spec);

/* Init side: joins and unshares; asks the runtime over sync_fd to write
 * the id maps of a new user namespace. */
int ns_enter(const struct spec *spec, int sync_fd, bool done_in_clone,
	     berr_t *err);

/* Init side, once the id maps are written: setresuid/gid(0) in a new
 * user namespace. */
int ns_become_root(const struct spec *spec, berr_t *err);

/* Init side, once in its cgroup. */
int ns_enter_cgroup(const struct spec *spec, berr_t *err);

/* Runtime side: write uid_map and gid_map of pid. */
int ns_write_id_maps(pid_t pid, const struct spec *spec, berr_t *err);

bool ns_is_new(const struct spec *spec, int type);
const struct spec_namespace *ns_find(const struct spec *spec, int type);

/* A user namespace with these maps, for an idmapped mount; *fd keeps it. */
int ns_userns_with_maps(const struct spec_idmap *uids, size_t n_uids,
			const struct spec_idmap *gids, size_t n_gids, int *fd,
			berr_t *err);

/* Join the namespace of type at path. */
int ns_join(const char *path, int type, berr_t *err);

#endif
