/* A chained hash table of IP -> open connections; entries go when their
 * count drops to zero, so it holds only the IPs connected now. */
#include "proxy/ipcount.h"

#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 4096

struct entry {
	struct entry *next;
	unsigned char ip[16];
	unsigned count;
};

struct ipcount {
	struct entry *buckets[NBUCKETS];
};

struct ipcount *ipcount_new(void)
{
	return calloc(1, sizeof(struct ipcount));
}

void ipcount_free(struct ipcount *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < NBUCKETS; i++)
		while (t->buckets[i]) {
			struct entry *e = t->buckets[i];

			t->buckets[i] = e->next;
			free(e);
		}
	free(t);
}

/* IPv4 as v4-mapped IPv6: one key format. */
static void key(const struct sockaddr_storage *sa, unsigned char ip[16])
{
	memset(ip, 0, 16);
	if (sa->ss_family == AF_INET6) {
		memcpy(ip, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
		return;
	}
	ip[10] = ip[11] = 0xff;
	memcpy(ip + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
}

static struct entry **find(struct ipcount *t, const unsigned char ip[16])
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (size_t i = 0; i < 16; i++)
		h = (h ^ ip[i]) * 16777619u;
	struct entry **p = &t->buckets[h % NBUCKETS];

	while (*p && memcmp((*p)->ip, ip, 16))
		p = &(*p)->next;
	return p;
}

bool ipcount_take(struct ipcount *t, const struct sockaddr_storage *sa, unsigned max)
{
	unsigned char ip[16];
	struct entry **p;

	key(sa, ip);
	p = find(t, ip);
	if (!*p) {
		if (!(*p = calloc(1, sizeof(**p))))
			return false;
		memcpy((*p)->ip, ip, 16);
	}
	if ((*p)->count >= max)
		return false;
	(*p)->count++;
	return true;
}

void ipcount_put(struct ipcount *t, const struct sockaddr_storage *sa)
{
	unsigned char ip[16];
	struct entry **p, *e;

	key(sa, ip);
	p = find(t, ip);
	if (!(e = *p))
		return;
	if (--e->count == 0) {
		*p = e->next;
		free(e);
	}
}
