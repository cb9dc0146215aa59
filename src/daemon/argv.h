/* Command lines of the berth binary as berthd runs it (argv.c). */
#ifndef BERTH_DAEMON_ARGV_H
#define BERTH_DAEMON_ARGV_H

#include "daemon/daemon.h"

/* berth --root R --run-root RR: the same store as berthd's. */
int argv_begin(const struct berthd *d, char ***v);
/* Append the strings up to a NULL. */
int argv_add(char ***v, ...) __attribute__((sentinel));

#endif
