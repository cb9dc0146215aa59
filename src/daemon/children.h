/* Children of berthd: the berth binary run asynchronously (children.c). */
#ifndef BERTH_DAEMON_CHILDREN_H
#define BERTH_DAEMON_CHILDREN_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/error.h"

enum child_kind {
	CHILD_START,   /* berth run -d of a service's replica */
	CHILD_RETIRE,  /* berth stop or rm of a replica */
	CHILD_PROBE,   /* berth healthcheck of a replica (output discarded) */
};

/* Run argv[0] with argv, stdin from /dev/null; remember what for (id: the
 * replica's container id, or NULL). */
int child_spawn(char **argv, enum child_kind kind, const char *service, const char *id,
		pid_t *pid, berr_t *err);

/* Forget an ended child: what it was for (*service is the caller's to
 * free); false when it was no child of this table. */
bool child_take(pid_t pid, enum child_kind *kind, char **service, char id[65]);

/* berthd ends: the table goes (the children go on, reaped by init). */
void children_free(void);

#endif
