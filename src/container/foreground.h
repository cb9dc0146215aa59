/* A container of an image in the foreground: prepared (directory, root
 * filesystem, config.json), run to its end with the in-process runtime,
 * cleaned up.  Shared by `berth run` and the RUN steps of `berth build`. */
#ifndef BERTH_CONTAINER_FOREGROUND_H
#define BERTH_CONTAINER_FOREGROUND_H

#include <limits.h>
#include <stdbool.h>

#include "common/error.h"
#include "container/run_options.h"
#include "image/image.h"
#include "image/store.h"
#include "network/network.h"

struct fg_container {
	struct store *store;
	const struct image *img;
	char id[65];
	char containers[PATH_MAX], dir[PATH_MAX]; /* dir: <containers>/<id> */
	bool dir_made, mounted;
	/* Set by the caller for --network NAME (the run root holds the
	 * namespace); the attachment is released by fg_cleanup. */
	const char *run_root;
	struct net_attachment net;
	bool net_attached;
};

enum fg_flags {
	/* Recorded as a user of img, so rmi and gc leave the image alone. */
	FG_RECORD_USE = 1 << 0,
	/* The image's start-time templates rendered (container/templates.h). */
	FG_TEMPLATES = 1 << 1,
	/* Kept: it outlives this process, which does not own its network
	 * attachment (its directory does). */
	FG_KEPT = 1 << 2,
};

/* Directory, root filesystem and config.json. */
int fg_prepare(struct fg_container *c, struct store *s, const struct image *img,
	       struct run_options *o, unsigned flags, berr_t *err);

/* Run it to its end; *code is the process's exit status (128+N for a
 * signal).  Without o->interactive its stdin is /dev/null. */
int fg_launch(struct fg_container *c, const struct run_options *o, const char *run_root,
	      int *code, berr_t *err);

/* Unmount the root filesystem (the writable layer stays in <dir>/upper). */
int fg_unmount(struct fg_container *c, berr_t *err);

/* The container's monitor owns it now: fg_cleanup leaves it alone. */
void fg_handover(struct fg_container *c);

/* Unmount, and with rm remove the directory (never while mounted). */
void fg_cleanup(struct fg_container *c, bool rm);

/* docker's code for a failure before or at exec: 127 command not found,
 * 126 not runnable, 125 anything else. */
int fg_failure_code(const berr_t err);

#endif
