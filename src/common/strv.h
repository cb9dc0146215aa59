/* NULL-terminated string vectors (argv, env). */
#ifndef BERTH_COMMON_STRV_H
#define BERTH_COMMON_STRV_H

#include <stddef.h>

void strv_free(char **v);
size_t strv_len(char *const *v);

/* Append a copy of s; -1 (errno ENOMEM) when out of memory. */
int strv_push(char ***v, const char *s);

#endif
