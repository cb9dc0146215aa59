/* The conversation between the runtime process and the container's init
 * while the container is being created: typed, length-prefixed messages
 * over a socketpair.  An init that fails sends SYNC_ERROR with its message,
 * which becomes the runtime's own error. */
#ifndef BERTH_RUNTIME_SYNC_H
#define BERTH_RUNTIME_SYNC_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

enum sync_type {
	SYNC_USERMAP_REQUEST = 1, /* init -> runtime: write my id maps */
	SYNC_USERMAP_DONE,        /* runtime -> init */
	SYNC_GO,                  /* runtime -> init: cgroup joined; payload: state JSON */
	SYNC_HOOKS_REQUEST,       /* init -> runtime: run prestart/createRuntime */
	SYNC_HOOKS_DONE,          /* runtime -> init */
	SYNC_READY,               /* init -> runtime: waiting for start */
	SYNC_ERROR,               /* either way: payload is the message */
	SYNC_START,               /* runtime -> init (run): exec now */
	SYNC_INIT_PID,            /* init -> runtime: payload is the real
				   * init's pid (pid namespace by fork) */
};

int sync_send(int fd, enum sync_type type, const void *data, size_t len,
	      berr_t *err);

/* Receive one message; *data (NUL-terminated, may be NULL) is malloc'd. */
int sync_recv(int fd, enum sync_type *type, char **data, berr_t *err);

/* Receive and require type; a SYNC_ERROR from the peer becomes err. */
int sync_expect(int fd, enum sync_type type, char **data, berr_t *err);

/* After a failed exchange: replace err by the SYNC_ERROR the peer sent
 * before it went away, if there is one. */
void sync_peer_error(int fd, berr_t *err);

/* The error a SYNC_ERROR payload describes ("<errno> <message>"). */
int sync_error_payload(const char *payload, berr_t *err);

/* Send err's message as SYNC_ERROR (best effort). */
void sync_send_error(int fd, const berr_t e);

#endif
