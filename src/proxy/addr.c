/* Numeric socket addresses. */
#include "proxy/addr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_port(const char *s, const char *whole, in_port_t *port, berr_t *err)
{
	char *end;
	unsigned long n;

	if (*s < '0' || *s > '9')
		return err_set(err, 0, "address %s: missing or bad port", whole);
	n = strtoul(s, &end, 10);
	if (*end || n == 0 || n > 65535)
		return err_set(err, 0, "address %s: bad port", whole);
	*port = htons((in_port_t)n);
	return 0;
}

int addr_parse(const char *s, struct sockaddr_storage *sa, socklen_t *len, berr_t *err)
{
	const char *colon = strrchr(s, ':');
	char host[INET6_ADDRSTRLEN + 2];
	size_t n;

	memset(sa, 0, sizeof(*sa));
	if (!colon || (n = (size_t)(colon - s)) == 0 || n >= sizeof(host))
		return err_set(err, 0, "address %s: expected IP:port", s);
	memcpy(host, s, n);
	host[n] = 0;
	if (host[0] == '[' && host[n - 1] == ']') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)sa;

		host[n - 1] = 0;
		if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1)
			return err_set(err, 0, "address %s: bad IPv6 address", s);
		a->sin6_family = AF_INET6;
		*len = sizeof(*a);
		return parse_port(colon + 1, s, &a->sin6_port, err);
	}
	struct sockaddr_in *a = (struct sockaddr_in *)sa;

	if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
		return err_set(err, 0, "address %s: bad IPv4 address", s);
	a->sin_family = AF_INET;
	*len = sizeof(*a);
	return parse_port(colon + 1, s, &a->sin_port, err);
}

void addr_ip(const struct sockaddr_storage *sa, char *buf, size_t size)
{
	const void *ip = sa->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)sa)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)sa)->sin_addr;

	if (!inet_ntop(sa->ss_family, ip, buf, (socklen_t)size))
		snprintf(buf, size, "unknown");
}
