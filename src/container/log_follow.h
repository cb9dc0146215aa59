/* Following a container's live log file as its monitor appends to it,
 * across rotations (the renamed file is read to its end first) and
 * truncation (a single file is truncated instead of rotated). */
#ifndef BERTH_CONTAINER_LOG_FOLLOW_H
#define BERTH_CONTAINER_LOG_FOLLOW_H

#include <limits.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/error.h"

/* No log line is longer: a longer run without a newline is dropped. */
#define LOG_FOLLOW_BUF 65536

struct log_follow {
	char path[PATH_MAX + 32];
	int fd;
	struct stat at;  /* the file fd reads */
	size_t have;     /* bytes of an incomplete line in buf */
	char buf[LOG_FOLLOW_BUF];
};

/* Called with each whole line, without its newline. */
typedef void (*log_line_fn)(void *ctx, const char *line, size_t len);

/* Follow dir/name from offset from of the current file. */
int log_follow_open(struct log_follow *t, const char *dir, const char *name, off_t from,
		    berr_t *err);

/* Hand what was appended since the last call to fn.  Returns 1 when it
 * read something (call again at once), 0 when there is nothing new for
 * now (the caller waits, or stops when the writer is gone), -1 on error. */
int log_follow_poll(struct log_follow *t, log_line_fn fn, void *ctx, berr_t *err);

void log_follow_close(struct log_follow *t);

#endif
