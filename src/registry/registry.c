/* The registry client: URLs, credentials and the 401 dance. */
#include "registry/registry.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "registry/auth.h"

#define TOKEN_BODY_MAX ((size_t)1 << 20)
#define HEADERS_MAX 8

int registry_open(struct registry *r, const struct reference *ref,
		  const struct registry_opts *o, const char *actions,
		  berr_t *err)
{
	const char *host = ref->host;
	bool plain = o->insecure || reference_host_is_loopback(host);

	memset(r, 0, sizeof(*r));
	if (strcmp(host, REFERENCE_DEFAULT_HOST) == 0)
		host = REFERENCE_DOCKER_API_HOST;
	if (asprintf(&r->base, "%s://%s", plain ? "http" : "https", host) < 0 ||
	    !(r->repo = strdup(ref->repo)) || !(r->host = strdup(ref->host))) {
		registry_close(r);
		return err_set(err, ENOMEM, "out of memory");
	}
	r->creds = o->creds ? o->creds : getenv("BERTH_REGISTRY_AUTH");
	if (r->creds && !strchr(r->creds, ':')) {
		registry_close(r);
		return err_set(err, EINVAL, "credentials must be USER:PASSWORD (--creds or BERTH_REGISTRY_AUTH)");
	}
	r->progress = o->progress;
	r->scope_actions = actions;
	return 0;
}

void registry_close(struct registry *r)
{
	free(r->base);
	free(r->repo);
	free(r->host);
	free(r->token);
	memset(r, 0, sizeof(*r));
}

static char *escaped(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = e ? strdup(e) : NULL;

	curl_free(e);
	return out;
}

/* GET realm?service=...&scope=... (with the user's credentials when
 * there are some) answers {"token": ...} or {"access_token": ...}. */
static char *token_url(struct registry *r, const struct auth_challenge *c)
{
	cleanup_free char *scope = NULL, *service = NULL, *fallback = NULL;
	char *url = NULL;

	if (!c->scope && asprintf(&fallback, "repository:%s:%s", r->repo,
				  r->scope_actions) < 0)
		return NULL;
	scope = escaped(c->scope ? c->scope : fallback);
	service = c->service ? escaped(c->service) : NULL;
	if (!scope || (c->service && !service))
		return NULL;
	if (asprintf(&url, "%s%sscope=%s%s%s", c->realm, strchr(c->realm, '?') ? "&" : "?",
		     scope, service ? "&service=" : "", service ? service : "") < 0)
		return NULL;
	return url;
}

static int token_from(const struct http_buf *body, char **token, berr_t *err)
{
	json_error_t je;
	json_t *doc = json_loadb(body->data ? body->data : "", body->len, 0, &je);
	const char *t = json_string_value(json_object_get(doc, "token"));

	if (!t)
		t = json_string_value(json_object_get(doc, "access_token"));
	if (!t || !*t || strpbrk(t, "\r\n")) {
		json_decref(doc);
		return err_set(err, EPROTO, "token server answer has no usable \"token\"");
	}
	free(*token);
	*token = strdup(t);
	json_decref(doc);
	return *token ? 0 : err_set(err, ENOMEM, "out of memory");
}

static int fetch_token(struct registry *r, const struct auth_challenge *c,
		       berr_t *err)
{
	cleanup_free char *url = token_url(r, c);
	struct http_buf body = { .max = TOKEN_BODY_MAX, .what = "token answer" };
	struct http_request rq = { .method = "GET", .body_fd = -1,
				   .userpwd = r->creds, .sink = http_buf_sink,
				   .sink_ctx = &body };
	struct http_response rs;
	int ret = -1;

	if (!url)
		return err_set(err, ENOMEM, "out of memory");
	rq.url = url;
	if (http_do(&rq, &rs, err) < 0)
		goto out;
	if (rs.status != 200) {
		registry_status_error(&rs, "token server", err);
		goto out;
	}
	ret = token_from(&body, &r->token, err);
out:
	http_response_clear(&rs);
	http_buf_clear(&body);
	return ret < 0 ? err_prefix(err, "%s: authentication", r->host) : 0;
}

/* Act on a 401: true when the request should be sent again. */
static int answer_challenge(struct registry *r, const struct http_response *rs,
			    berr_t *err)
{
	struct auth_challenge c;
	int ret;

	if (!rs->www_authenticate)
		return err_set(err, EACCES, "%s: access denied (HTTP 401 without a challenge)",
			       r->host);
	if (auth_challenge_parse(rs->www_authenticate, &c, err) < 0)
		return err_prefix(err, "%s", r->host);
	if (c.scheme == AUTH_BASIC) {
		ret = r->creds ? 0 : err_set(err, EACCES, "%s: the registry asks for a user name and password (give --creds USER:PASSWORD or BERTH_REGISTRY_AUTH)",
					      r->host);
		r->basic = true;
	} else {
		ret = fetch_token(r, &c, err);
	}
	auth_challenge_clear(&c);
	return ret;
}

static int send_once(struct registry *r, struct http_request *rq,
		     struct http_response *rs, berr_t *err)
{
	const char *headers[HEADERS_MAX + 2] = { 0 };
	cleanup_free char *bearer = NULL, *url = NULL;
	const struct http_request *orig = rq;
	struct http_request copy = *orig;
	size_t n = 0;

	if (strncmp(rq->url, "http://", 7) && strncmp(rq->url, "https://", 8)) {
		if (asprintf(&url, "%s%s", r->base, rq->url) < 0)
			return err_set(err, ENOMEM, "out of memory");
		copy.url = url;
	}
	for (const char *const *h = rq->headers; h && *h && n < HEADERS_MAX; h++)
		headers[n++] = *h;
	if (r->token && asprintf(&bearer, "Authorization: Bearer %s", r->token) < 0)
		return err_set(err, ENOMEM, "out of memory");
	headers[n++] = bearer;
	copy.headers = headers;
	copy.userpwd = r->basic ? r->creds : NULL;
	copy.progress = r->progress ? rq->progress : NULL;
	if (rq->body_fd >= 0 && lseek(rq->body_fd, 0, SEEK_SET) < 0)
		return err_sys(err, "rewind upload");
	return http_do(&copy, rs, err);
}

int registry_request(struct registry *r, struct http_request *rq,
		     struct http_response *rs, berr_t *err)
{
	bool transport_failed;

	memset(rs, 0, sizeof(*rs));
	if (send_once(r, rq, rs, err) < 0)
		goto fail;
	if (rs->status != 401)
		return 0;
	if (answer_challenge(r, rs, err) < 0)
		goto fail;
	http_response_clear(rs);
	if (send_once(r, rq, rs, err) == 0)
		return 0;
fail:
	/* Only whether the exchange itself broke is worth keeping. */
	transport_failed = rs->transport_failed;
	http_response_clear(rs);
	rs->transport_failed = transport_failed;
	return -1;
}

int registry_call(struct registry *r, struct http_request *rq, long want,
		  const char *what, struct http_response *rs, berr_t *err)
{
	if (registry_request(r, rq, rs, err) < 0)
		return -1;
	if (rs->status == want || (want == 200 && rq->range_from > 0 && rs->status == 206))
		return 0;
	registry_status_error(rs, what, err);
	http_response_clear(rs);
	return -1;
}

/* A registry's text goes into a one-line message: no control bytes. */
static char *one_line(const char *text, size_t max)
{
	char *out = text ? strndup(text, max) : NULL;

	for (char *p = out; p && *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	return out;
}

int registry_status_error(const struct http_response *rs, const char *what,
			  berr_t *err)
{
	json_t *doc = rs->error_body ? json_loadb(rs->error_body, rs->error_len, 0, NULL) : NULL;
	json_t *first = json_array_get(json_object_get(doc, "errors"), 0);
	cleanup_free char *code = one_line(json_string_value(json_object_get(first, "code")), 40);
	cleanup_free char *msg = one_line(json_string_value(json_object_get(first, "message")), 200);
	int errnum = rs->status == 404 ? ENOENT : rs->status == 401 || rs->status == 403 ? EACCES : EPROTO;

	if (msg)
		err_set(err, errnum, "%s: %s (HTTP %ld%s%s)", what, msg, rs->status,
			code ? " " : "", code ? code : "");
	else
		err_set(err, errnum, "%s: registry answered HTTP %ld", what, rs->status);
	json_decref(doc);
	return -1;
}
