/* Sizes and signals as people write them on command lines. */
#ifndef BERTH_COMMON_UNITS_H
#define BERTH_COMMON_UNITS_H

#include <stdint.h>

#include "common/error.h"

/* "512m", "1g", "1024", "64k" (binary units, as docker's) into bytes;
 * "-1" is allowed for "unlimited". */
int units_parse_bytes(const char *s, const char *what, int64_t *out,
		      berr_t *err);

/* An integer in [min, max], the whole string. */
int units_parse_int(const char *s, const char *what, int64_t min, int64_t max,
		    int64_t *out, berr_t *err);

/* Go-style durations as docker takes them ("30s", "1m30s", "500ms",
 * "1.5h", "0"), into nanoseconds; no negative ones. */
int units_parse_duration(const char *s, const char *what, int64_t *ns,
			 berr_t *err);

/* "KILL", "SIGKILL", "9", "sigkill", "RTMIN+3" into a signal number. */
int units_parse_signal(const char *s, int *sig, berr_t *err);

#endif
