/* WWW-Authenticate parsing (RFC 7235 auth-params): a scheme, then
 * key=value pairs separated by commas, values plain tokens or quoted
 * strings with backslash escapes.  The header comes from the network, so
 * every length is bounded by the header itself and nothing is assumed. */
#include "registry/auth.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/cleanup.h"

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A quoted string or a token starting at *p; *p moves past it. */
static char *param_value(const char **p)
{
	const char *s = *p;
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	if (*s == '"') {
		for (s++; *s && *s != '"'; s++) {
			if (*s == '\\' && s[1])
				s++;
			*o++ = *s;
		}
		if (*s != '"') {
			free(out);
			errno = EINVAL;
			return NULL;
		}
		s++;
	} else {
		while (*s && *s != ',' && *s != ' ' && *s != '\t')
			*o++ = *s++;
	}
	*o = '\0';
	*p = s;
	return out;
}

static int set_param(struct auth_challenge *c, const char *key, size_t klen,
		     char *value)
{
	static const char *const keys[] = { "realm", "service", "scope" };
	char **slots[] = { &c->realm, &c->service, &c->scope };

	for (size_t i = 0; i < 3; i++)
		if (strlen(keys[i]) == klen && strncasecmp(key, keys[i], klen) == 0) {
			free(*slots[i]);
			*slots[i] = value;
			return 0;
		}
	free(value); /* unknown parameters (error=...) are ignored */
	return 0;
}

static int parse_params(const char *p, struct auth_challenge *c, berr_t *err)
{
	for (;;) {
		const char *key, *eq;
		char *value;

		p = skip_space(p);
		while (*p == ',')
			p = skip_space(p + 1);
		if (!*p)
			return 0;
		key = p;
		eq = p + strcspn(p, "=, \t");
		if (*eq != '=' || eq == key)
			return err_set(err, EINVAL, "parameter '%.40s' has no value", key);
		p = eq + 1;
		value = param_value(&p);
		if (!value)
			return err_set(err, errno, "parameter '%.*s' has an unterminated quoted value",
				       (int)(eq - key), key);
		set_param(c, key, (size_t)(eq - key), value);
		p = skip_space(p);
		if (*p && *p != ',')
			return err_set(err, EINVAL, "unexpected '%.40s' after parameter '%.*s'",
				       p, (int)(eq - key), key);
	}
}

int auth_challenge_parse(const char *value, struct auth_challenge *c,
			 berr_t *err)
{
	const char *p = skip_space(value);
	size_t n = strcspn(p, " \t");

	memset(c, 0, sizeof(*c));
	if (n == 6 && strncasecmp(p, "Bearer", 6) == 0)
		c->scheme = AUTH_BEARER;
	else if (n == 5 && strncasecmp(p, "Basic", 5) == 0)
		c->scheme = AUTH_BASIC;
	else
		return err_set(err, EOPNOTSUPP, "WWW-Authenticate: unsupported scheme '%.*s' (Basic and Bearer are)",
			       (int)(n > 40 ? 40 : n), p);
	if (parse_params(p + n, c, err) < 0) {
		auth_challenge_clear(c);
		return err_prefix(err, "WWW-Authenticate");
	}
	if (c->scheme == AUTH_BEARER && (!c->realm || !*c->realm)) {
		auth_challenge_clear(c);
		return err_set(err, EINVAL, "WWW-Authenticate: Bearer challenge without a realm");
	}
	return 0;
}

void auth_challenge_clear(struct auth_challenge *c)
{
	free(c->realm);
	free(c->service);
	free(c->scope);
	memset(c, 0, sizeof(*c));
}
