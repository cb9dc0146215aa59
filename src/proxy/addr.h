/* "IP:port" and "[IPv6]:port" socket addresses, numeric only: the proxy
 * never resolves names (berthd gives it container addresses). */
#ifndef BERTH_PROXY_ADDR_H
#define BERTH_PROXY_ADDR_H

#include <stddef.h>
#include <sys/socket.h>

#include "common/error.h"

int addr_parse(const char *s, struct sockaddr_storage *sa, socklen_t *len, berr_t *err);

/* The IP of sa as text, into buf (INET6_ADDRSTRLEN bytes). */
void addr_ip(const struct sockaddr_storage *sa, char *buf, size_t size);

#endif
