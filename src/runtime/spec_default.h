#ifndef BERTH_RUNTIME_SPEC_DEFAULT_H
#define BERTH_RUNTIME_SPEC_DEFAULT_H

#include <jansson.h>
#include <stdbool.h>

/* A fresh default config.json document (NULL when out of memory). */
json_t *spec_default(bool rootless);

#endif
