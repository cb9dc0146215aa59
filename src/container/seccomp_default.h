/* berth run's default seccomp profile. */
#ifndef BERTH_CONTAINER_SECCOMP_DEFAULT_H
#define BERTH_CONTAINER_SECCOMP_DEFAULT_H

#include <jansson.h>

/* The linux.seccomp object: the syscalls docker's default profile keeps
 * from containers return EPERM, except those a capability in cap_add
 * (names as given to --cap-add) makes legitimate. */
json_t *seccomp_default_profile(char *const *cap_add);

#endif
