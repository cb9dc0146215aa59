/* A process the runtime waits for in the foreground (run, exec): every
 * signal it gets is forwarded, and a terminal is relayed between the
 * caller's stdio and the pty master when there is no console socket. */
#ifndef BERTH_RUNTIME_FOREGROUND_H
#define BERTH_RUNTIME_FOREGROUND_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "common/error.h"

struct foreground {
	int sfd;      /* signalfd of the forwarded signals */
	sigset_t old; /* mask to restore */
	int master;   /* pty master to relay, or -1 */
	bool stdin_open;
	struct termios saved;
	bool raw;
};

/* Block and watch signals; put the caller's terminal in raw mode when
 * relaying one. */
int foreground_begin(struct foreground *fg, int master, berr_t *err);

/* Until pid exits: forward signals, relay the terminal. */
int foreground_wait(struct foreground *fg, pid_t pid, int *status,
		    berr_t *err);

void foreground_end(struct foreground *fg);

#endif
