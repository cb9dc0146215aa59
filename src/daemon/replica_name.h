/* A replica's container name, <service>.<revision>.<n>: a new berthd
 * learns from it which service and revision a container runs. */
#ifndef BERTH_DAEMON_REPLICA_NAME_H
#define BERTH_DAEMON_REPLICA_NAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* "web.3.7" into "web", 3 and 7 (service names may hold dots: the last
 * two fields are the numbers, positive, without leading zeros); false
 * when name is no replica's or the service does not fit in size. */
bool replica_name_parse(const char *name, char *service, size_t size, int64_t *rev, int64_t *n);

#endif
