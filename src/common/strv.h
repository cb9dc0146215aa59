/* NULL-terminated string vectors (argv, env). */
#ifndef BERTH_COMMON_STRV_H
#define BERTH_COMMON_STRV_H

#include <stdbool.h>
#include <stddef.h>

void strv_free(char **v);
size_t strv_len(char *const *v);

/* Whether v (may be NULL) holds a string equal to s. */
bool strv_contains(char *const *v, const char *s);

/* Append a copy of s; -1 (errno ENOMEM) when out of memory. */
int strv_push(char ***v, const char *s);

/* Append a formatted string (table cells); -1 (errno ENOMEM) likewise. */
int strv_pushf(char ***v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
