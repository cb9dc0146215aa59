/* The control protocol's listener configuration, checked in full before
 * anything is applied. */
#ifndef BERTH_PROXY_CONF_H
#define BERTH_PROXY_CONF_H

#include <jansson.h>

#include "proxy/listener.h"

/* Defaults of a listener configuration's optional fields. */
#define CONF_DRAIN_MS_DEFAULT 30000
#define CONF_DRAIN_MS_MAX 3600000
#define CONF_WEIGHT_MAX 1000

/* Fill c from the "set" request obj; errors name the field. */
int conf_parse(json_t *obj, struct listener_conf *c, berr_t *err);

#endif
