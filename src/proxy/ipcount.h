/* Open connections per client IP, for the per-client cap. */
#ifndef BERTH_PROXY_IPCOUNT_H
#define BERTH_PROXY_IPCOUNT_H

#include <stdbool.h>
#include <sys/socket.h>

struct ipcount;

struct ipcount *ipcount_new(void);
void ipcount_free(struct ipcount *t);

/* Count one more connection from sa's IP unless it has max already (or
 * memory runs out): whether it was counted. */
bool ipcount_take(struct ipcount *t, const struct sockaddr_storage *sa, unsigned max);
void ipcount_put(struct ipcount *t, const struct sockaddr_storage *sa);

#endif
