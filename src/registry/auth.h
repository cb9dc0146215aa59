/* Registry authentication: the challenge of a 401 answer
 * (WWW-Authenticate: Bearer realm="...",service="...",scope="..." or
 * Basic realm="..."), and the credentials given by the user
 * (--creds USER:PASS or $BERTH_REGISTRY_AUTH). */
#ifndef BERTH_REGISTRY_AUTH_H
#define BERTH_REGISTRY_AUTH_H

#include "common/error.h"

enum auth_scheme { AUTH_NONE, AUTH_BASIC, AUTH_BEARER };

struct auth_challenge {
	enum auth_scheme scheme;
	char *realm;   /* NULL when absent */
	char *service; /* NULL when absent */
	char *scope;   /* NULL when absent */
};

/* value: the header's value (without "WWW-Authenticate:").  Schemes
 * other than Basic and Bearer, or a Bearer challenge without a realm, are
 * errors. */
int auth_challenge_parse(const char *value, struct auth_challenge *c,
			 berr_t *err);
void auth_challenge_clear(struct auth_challenge *c);

#endif
