/* The berth binary run as a child for everything that may take time:
 * `berth run -d` (a replica's start), `stop`, `rm`, `healthcheck`.  The
 * loop goes on at once; the end arrives through SIGCHLD (main.c), and
 * the child table says what it was for. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "daemon/children.h"

extern char **environ;

struct child {
	pid_t pid;
	enum child_kind kind;
	char *service;
	char id[65];
};

static struct child *children;
static size_t n_children;

/* The signal mask and dispositions berthd set for its signalfd are reset:
 * a replica's monitor must start with default signals. */
static int spawn_attrs(posix_spawnattr_t *a)
{
	sigset_t none, all;

	sigemptyset(&none);
	sigfillset(&all);
	sigdelset(&all, SIGKILL);
	sigdelset(&all, SIGSTOP);
	if (posix_spawnattr_init(a))
		return -1;
	if (posix_spawnattr_setsigmask(a, &none) || posix_spawnattr_setsigdefault(a, &all) ||
	    posix_spawnattr_setflags(a, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)) {
		posix_spawnattr_destroy(a);
		return -1;
	}
	return 0;
}

static int spawn(char **argv, bool quiet, pid_t *pid)
{
	posix_spawnattr_t attr;
	posix_spawn_file_actions_t fa;
	int rc;

	if (spawn_attrs(&attr) < 0)
		return ENOMEM;
	if ((rc = posix_spawn_file_actions_init(&fa))) {
		posix_spawnattr_destroy(&attr);
		return rc;
	}
	/* What berth prints on success (a container id) is of no use here;
	 * its errors go to berthd's log, except a probe's. */
	rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (!rc)
		rc = posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	if (!rc && quiet)
		rc = posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (!rc)
		rc = posix_spawn(pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return rc;
}

int child_spawn(char **argv, enum child_kind kind, const char *service, const char *id,
		pid_t *pid, berr_t *err)
{
	struct child *c = realloc(children, (n_children + 1) * sizeof(*c));
	int rc;

	if (!c)
		return err_sys(err, "child table");
	children = c;
	c = &children[n_children];
	memset(c, 0, sizeof(*c));
	if (!(c->service = strdup(service)))
		return err_sys(err, "child table");
	if ((rc = spawn(argv, kind == CHILD_PROBE, &c->pid))) {
		free(c->service);
		errno = rc;
		return err_sys(err, "cannot run %s %s", argv[0], argv[3] ? argv[3] : "");
	}
	c->kind = kind;
	snprintf(c->id, sizeof(c->id), "%s", id ? id : "");
	n_children++;
	*pid = c->pid;
	return 0;
}

bool child_take(pid_t pid, enum child_kind *kind, char **service, char id[65])
{
	for (size_t i = 0; i < n_children; i++) {
		if (children[i].pid != pid)
			continue;
		*kind = children[i].kind;
		*service = children[i].service;
		memcpy(id, children[i].id, 65);
		children[i] = children[--n_children];
		return true;
	}
	return false;
}

void children_free(void)
{
	for (size_t i = 0; i < n_children; i++)
		free(children[i].service);
	free(children);
	children = NULL;
	n_children = 0;
}
