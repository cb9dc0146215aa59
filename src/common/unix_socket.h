/* Unix stream sockets that carry file descriptors (SCM_RIGHTS): the
 * console socket and the seccomp listener socket of the OCI spec. */
#ifndef BERTH_COMMON_UNIX_SOCKET_H
#define BERTH_COMMON_UNIX_SOCKET_H

#include <stddef.h>

#include "common/error.h"

/* Connect to the socket at path; what names it in errors. */
int unix_connect(const char *path, const char *what, int *fd, berr_t *err);

/* Send fd with data (at least one byte) in one message. */
int unix_send_fd(int sock, int fd, const void *data, size_t len, berr_t *err);

/* Receive one fd (data beyond the buffer is dropped). */
int unix_recv_fd(int sock, int *fd, berr_t *err);

#endif
