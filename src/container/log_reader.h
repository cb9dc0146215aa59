/* Reading a container's log (the CRI format the monitor writes, see
 * monitor/log_writer.h) across its rotated files, oldest first. */
#ifndef BERTH_CONTAINER_LOG_READER_H
#define BERTH_CONTAINER_LOG_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "common/error.h"

struct log_entry {
	struct timespec time;
	char stamp[40];  /* as written */
	bool is_stderr;
	bool partial;    /* no newline after text: the line continues */
	const char *text;
	size_t len;
};

/* "2026-11-22T02:44:00.123456789Z" (fraction optional, UTC only). */
int log_time_parse(const char *s, size_t len, struct timespec *t);

/* One line of the log (without its newline); -1 when it is not an entry. */
int log_entry_parse(const char *line, size_t len, struct log_entry *e);

/* Everything in <dir>/<name>.N ... <name>.1, <name> in one buffer; the
 * last *live bytes of it came from <name> itself. */
int log_read_all(const char *dir, const char *name, char **out, size_t *len, size_t *live,
		 berr_t *err);

#endif
