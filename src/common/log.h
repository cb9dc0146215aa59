/* Leveled logging.  The runtime CLI logs the way runc does so engines that
 * read runc's --log file (containerd, CRI-O, podman) find berth's errors
 * there: text lines "time=... level=... msg=..." or one JSON object a line. */
#ifndef BERTH_COMMON_LOG_H
#define BERTH_COMMON_LOG_H

#include <stdbool.h>

#include "common/error.h"

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };
enum log_format { LOG_TEXT, LOG_JSON };

/* path NULL logs to stderr.  Opening the file is the only failure. */
int log_open(const char *path, enum log_format format, enum log_level level,
	     berr_t *err);
void log_close(void);

/* True when messages of this level are written. */
bool log_enabled(enum log_level level);

/* True when the log goes to a file rather than stderr. */
bool log_to_file(void);

void log_msg(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
