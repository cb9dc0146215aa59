/* What `berth run` was asked for, before it becomes an OCI config: the
 * docker run flags people already know. */
#ifndef BERTH_CONTAINER_RUN_OPTIONS_H
#define BERTH_CONTAINER_RUN_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "container/userns.h"
#include "monitor/backoff.h"
#include "network/ports.h"

struct run_options {
	const char *image;
	char **command;       /* after the image, may be empty */
	const char *name;     /* --name */
	bool rm, interactive, tty, read_only, no_new_privileges, init;
	char **env;           /* -e K=V or K (from the caller's env), in order */
	char **env_files;     /* --env-file */
	const char *workdir;  /* -w */
	const char *user;     /* -u uid[:gid] or name[:group] */
	const char *entrypoint; /* --entrypoint ("" clears it) */
	bool entrypoint_set;
	const char *hostname; /* -h */
	char **volumes;       /* -v SRC:DST[:ro] */
	char **tmpfs;         /* --tmpfs DST[:opts] */
	int64_t memory;       /* --memory bytes, 0: none */
	double cpus;          /* --cpus, 0: none */
	int64_t pids_limit;   /* --pids-limit, 0: none */
	char **cap_add, **cap_drop;
	const char *seccomp;  /* NULL: default profile; "unconfined"; or a file */
	const char *network;  /* "none" (default here), "host" or a network's name */
	struct port_map *ports; /* -p, parsed */
	size_t n_ports;
	char **ulimits;       /* --ulimit nofile=1024:2048 */
	char **labels;        /* --label K=V (or K: empty), over the image's labels */
	struct userns_range userns; /* --userns; base set once allocated */
	/* Kept containers (all but a foreground --rm): */
	bool detach;                    /* -d */
	struct restart_policy restart;  /* --restart and --restart-* */
	int stop_signal;                /* --stop-signal, 0: the image's or SIGTERM */
	int64_t stop_timeout;           /* --stop-timeout seconds, -1: 10 */
	int64_t log_max_size;           /* --log-opt max-size, 0: default */
	int64_t log_max_files;          /* --log-opt max-file, 0: default */
};

#endif
