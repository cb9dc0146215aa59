/* What the monitor is told about its container, from
 * <root>/containers/<id>/monitor.conf: "key=value" lines written by
 * `berth run` (the monitor links no JSON library, to stay small). */
#ifndef BERTH_MONITOR_CONF_H
#define BERTH_MONITOR_CONF_H

#include <stdbool.h>
#include <stdint.h>

#include "monitor/backoff.h"

struct monitor_conf {
	struct restart_policy restart;
	uint64_t log_max_size;
	unsigned log_max_files;
	int stop_signal;
	unsigned stop_timeout_s;
	bool tty, interactive, remove;
};

#define LOG_DEFAULT_MAX_SIZE ((uint64_t)10 * 1024 * 1024)
#define LOG_DEFAULT_MAX_FILES 5

void monitor_conf_default(struct monitor_conf *c);

/* Parse text; on error -1 and *bad_line is the 1-based line. */
int monitor_conf_parse(const char *text, struct monitor_conf *c, unsigned *bad_line);

#endif
