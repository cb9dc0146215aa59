/* IPv4 CIDR arithmetic for bridge networks. */
#include "network/subnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static uint32_t mask_of(unsigned prefix)
{
	return prefix ? ~(uint32_t)0 << (32 - prefix) : 0;
}

int subnet_parse(const char *s, const char *what, struct subnet *out, berr_t *err)
{
	char ip[INET_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	struct in_addr a;
	unsigned prefix = 0;
	size_t i;

	if (!slash || (size_t)(slash - s) >= sizeof(ip))
		return err_set(err, EINVAL, "%s '%s': expected an IPv4 subnet like 10.90.0.0/24",
			       what, s);
	memcpy(ip, s, (size_t)(slash - s));
	ip[slash - s] = '\0';
	for (i = 1; slash[i] >= '0' && slash[i] <= '9' && i < 4; i++)
		prefix = prefix * 10 + (unsigned)(slash[i] - '0');
	if (inet_pton(AF_INET, ip, &a) != 1 || i == 1 || slash[i])
		return err_set(err, EINVAL, "%s '%s': expected an IPv4 subnet like 10.90.0.0/24",
			       what, s);
	if (prefix < 8 || prefix > 30)
		return err_set(err, EINVAL, "%s '%s': prefix length must be 8-30", what, s);
	out->addr = ntohl(a.s_addr);
	out->prefix = prefix;
	if (out->addr & ~mask_of(prefix)) {
		addr_format(out->addr & mask_of(prefix), ip);
		return err_set(err, EINVAL, "%s '%s': host bits are set (did you mean %s/%u?)",
			       what, s, ip, prefix);
	}
	return 0;
}

int subnet_parse_host(const struct subnet *n, const char *s, const char *what,
		      uint32_t *out, berr_t *err)
{
	struct in_addr a;
	uint32_t v, host;

	if (inet_pton(AF_INET, s, &a) != 1)
		return err_set(err, EINVAL, "%s '%s': not an IPv4 address", what, s);
	v = ntohl(a.s_addr);
	host = v & ~mask_of(n->prefix);
	if ((v & mask_of(n->prefix)) != n->addr || host == 0 || host == ~mask_of(n->prefix)) {
		char sub[SUBNET_STR_MAX];

		subnet_format(n, sub);
		return err_set(err, EINVAL, "%s '%s': not a host address of subnet %s", what, s,
			       sub);
	}
	*out = v;
	return 0;
}

bool subnet_overlap(const struct subnet *a, const struct subnet *b)
{
	uint32_t m = mask_of(a->prefix < b->prefix ? a->prefix : b->prefix);

	return (a->addr & m) == (b->addr & m);
}

void addr_format(uint32_t addr, char out[INET_ADDRSTRLEN])
{
	struct in_addr a = { .s_addr = htonl(addr) };

	inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

void subnet_format(const struct subnet *n, char out[SUBNET_STR_MAX])
{
	char ip[INET_ADDRSTRLEN];

	addr_format(n->addr, ip);
	snprintf(out, SUBNET_STR_MAX, "%s/%u", ip, n->prefix);
}
