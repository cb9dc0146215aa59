/* Parsing image references: every part is checked against the
 * distribution spec's grammar, so nothing odd reaches a URL. */
#include "registry/reference.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "image/store.h"

#define REPO_MAX 255
#define TAG_MAX 128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ joined by '.', '_', '__' or '-'s. */
static bool component_valid(const char *c, size_t n)
{
	size_t i = 0;

	while (i < n) {
		size_t run = 0, sep;

		while (i < n && is_lower_alnum(c[i]))
			i++, run++;
		if (run == 0)
			return false;
		if (i == n)
			return true;
		sep = strspn(c + i, "-");
		if (sep == 0)
			sep = (c[i] == '_' && c[i + 1] == '_') ? 2 : (c[i] == '.' || c[i] == '_');
		if (sep == 0 || i + sep >= n)
			return false;
		i += sep;
	}
	return false;
}

static bool repo_valid(const char *repo)
{
	size_t n = strlen(repo);

	if (n == 0 || n > REPO_MAX)
		return false;
	for (const char *p = repo;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);

		if (!component_valid(p, len))
			return false;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static bool tag_valid(const char *tag)
{
	size_t n = strlen(tag);

	if (n == 0 || n > TAG_MAX || tag[0] == '.' || tag[0] == '-')
		return false;
	return strspn(tag, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			   "0123456789_.-") == n;
}

/* host[:port]: letters, digits, '.' and '-' (or a bracketed IPv6
 * address), then an optional decimal port. */
static bool host_valid(const char *host)
{
	size_t n = strlen(host), name;

	if (n == 0 || n > 255)
		return false;
	if (host[0] == '[') {
		name = strspn(host + 1, "0123456789abcdefABCDEF:") + 1;
		if (host[name] != ']')
			return false;
		name++;
	} else {
		name = strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				    "0123456789.-");
	}
	if (name == 0 || host[0] == '-' || host[0] == '.')
		return false;
	if (host[name] == '\0')
		return true;
	return host[name] == ':' && host[name + 1] &&
	       strspn(host + name + 1, "0123456789") == strlen(host + name + 1) &&
	       strlen(host + name + 1) <= 5;
}

static bool looks_like_host(const char *first, size_t len)
{
	return memchr(first, '.', len) || memchr(first, ':', len) ||
	       (len == 9 && strncmp(first, "localhost", 9) == 0);
}

static int split_host(struct reference *r, const char *name, berr_t *err)
{
	const char *slash = strchr(name, '/');

	if (slash && looks_like_host(name, (size_t)(slash - name))) {
		r->host = strndup(name, (size_t)(slash - name));
		r->repo = strdup(slash + 1);
	} else {
		r->host = strdup(REFERENCE_DEFAULT_HOST);
		if (slash)
			r->repo = strdup(name);
		else if (asprintf(&r->repo, "library/%s", name) < 0)
			r->repo = NULL;
	}
	if (!r->host || !r->repo)
		return err_set(err, ENOMEM, "out of memory");
	if (!host_valid(r->host))
		return err_set(err, EINVAL, "registry host '%s' is not a host[:port]", r->host);
	if (!repo_valid(r->repo))
		return err_set(err, EINVAL, "repository '%s' is not valid (lower case letters, digits and separators . _ - /)",
			       r->repo);
	return 0;
}

static int parse(const char *text, struct reference *r, berr_t *err)
{
	cleanup_free char *name = strdup(text);
	char *at, *colon, *slash;

	if (!name)
		return err_set(err, ENOMEM, "out of memory");
	at = strchr(name, '@');
	if (at) {
		*at = '\0';
		if (!digest_valid(at + 1))
			return err_set(err, EINVAL, "'%s' is not a sha256 digest", at + 1);
		if (!(r->digest = strdup(at + 1)))
			return err_set(err, ENOMEM, "out of memory");
	}
	slash = strrchr(name, '/');
	colon = strrchr(slash ? slash : name, ':');
	if (colon) {
		*colon = '\0';
		if (!tag_valid(colon + 1))
			return err_set(err, EINVAL, "tag '%s' is not valid (letters, digits, _ . -, at most %d)",
				       colon + 1, TAG_MAX);
		r->tag = strdup(colon + 1);
	} else if (!r->digest) {
		r->tag = strdup("latest");
	}
	if ((colon || !r->digest) && !r->tag)
		return err_set(err, ENOMEM, "out of memory");
	return split_host(r, name, err);
}

int reference_parse(const char *text, struct reference *r, berr_t *err)
{
	memset(r, 0, sizeof(*r));
	if (!text || !*text)
		return err_set(err, EINVAL, "image reference is empty");
	if (parse(text, r, err) < 0) {
		reference_clear(r);
		return err_prefix(err, "image reference '%.300s'", text);
	}
	return 0;
}

void reference_clear(struct reference *r)
{
	free(r->host);
	free(r->repo);
	free(r->tag);
	free(r->digest);
	memset(r, 0, sizeof(*r));
}

char *reference_local_name(const struct reference *r)
{
	char *out = NULL;
	int n;

	if (!r->tag)
		return NULL;
	if (strcmp(r->host, REFERENCE_DEFAULT_HOST) == 0 &&
	    strncmp(r->repo, "library/", 8) == 0)
		n = asprintf(&out, "%s:%s", r->repo + 8, r->tag);
	else if (strcmp(r->host, REFERENCE_DEFAULT_HOST) == 0)
		n = asprintf(&out, "%s:%s", r->repo, r->tag);
	else
		n = asprintf(&out, "%s/%s:%s", r->host, r->repo, r->tag);
	return n < 0 ? NULL : out;
}

bool reference_host_is_loopback(const char *host)
{
	static const char *const names[] = { "localhost", "127.", "[::1]" };

	for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++) {
		size_t n = strlen(names[i]);

		if (strncmp(host, names[i], n) == 0 &&
		    (names[i][n - 1] == '.' || host[n] == '\0' || host[n] == ':'))
			return true;
	}
	return false;
}
