/* The container's terminal: a pty opened inside the container's devpts,
 * its master handed to whoever listens on --console-socket (SCM_RIGHTS),
 * its slave made the init's controlling terminal and stdio. */
#ifndef BERTH_RUNTIME_CONSOLE_H
#define BERTH_RUNTIME_CONSOLE_H

#include "common/error.h"
#include "runtime/spec.h"

/* Connect to a console socket path (runtime side, before clone). */
int console_connect(const char *path, int *fd, berr_t *err);

/* Init side, after pivot_root: create the pty, send the master over
 * sockfd, make the slave our terminal. */
int console_setup(const struct spec_process *proc, int sockfd, berr_t *err);

#endif
