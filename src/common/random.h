/* Random names (volume names, temporary entries). */
#ifndef BERTH_COMMON_RANDOM_H
#define BERTH_COMMON_RANDOM_H

#include <stddef.h>

#include "common/error.h"

/* bytes random bytes from getrandom() as 2*bytes lowercase hex digits
 * and a NUL in out. */
int random_hex(char *out, size_t bytes, berr_t *err);

#endif
