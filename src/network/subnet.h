/* IPv4 subnets in CIDR notation: parsing, overlap, the addresses a
 * bridge network takes from them.  Pure, unit-tested. */
#ifndef BERTH_NETWORK_SUBNET_H
#define BERTH_NETWORK_SUBNET_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"

struct subnet {
	uint32_t addr; /* host order, host bits zero */
	unsigned prefix;
};

#define SUBNET_STR_MAX (INET_ADDRSTRLEN + 4)

/* "10.87.0.0/16": host bits must be zero, prefix 8-30 (a bridge needs a
 * gateway and at least one container address).  what names the flag. */
int subnet_parse(const char *s, const char *what, struct subnet *out, berr_t *err);
/* An address inside the subnet that is neither the network nor the
 * broadcast address. */
int subnet_parse_host(const struct subnet *n, const char *s, const char *what,
		      uint32_t *out, berr_t *err);
bool subnet_overlap(const struct subnet *a, const struct subnet *b);
void subnet_format(const struct subnet *n, char out[SUBNET_STR_MAX]);
void addr_format(uint32_t addr, char out[INET_ADDRSTRLEN]);

#endif
