/* The one error contract of berth.
 *
 * Every fallible function returns an int (negative on failure) and takes an
 * error out-parameter last.  The error carries the errno that caused it (0
 * when none did) and a one-line message naming the file, field or line and
 * what is wrong.  Callers add context with err_prefix(); only the top level
 * prints, once, and frees. */
#ifndef BERTH_COMMON_ERROR_H
#define BERTH_COMMON_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

struct berr {
	int errnum; /* errno that caused the failure, or 0 */
	char *msg;  /* heap string; never NULL once set */
};

typedef struct berr *berr_t;

/* Record a failure with an explicit errno (0 if none); returns -1. */
int err_set(berr_t *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a failed syscall: takes errno and appends strerror; returns -1. */
int err_sys(berr_t *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prepend context ("ctx: old message"); returns -1 so it can be returned. */
int err_prefix(berr_t *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

int err_vset(berr_t *err, int errnum, bool with_strerror, const char *fmt,
	     va_list ap) __attribute__((format(printf, 4, 0)));

const char *err_msg(const berr_t err);
void err_free(berr_t *err);

/* Print "berth: <message>" to stream, once, at the top level. */
void err_print(FILE *stream, const char *prog, const berr_t err);

#endif
