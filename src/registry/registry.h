/* A client of one repository on a registry speaking the OCI distribution
 * API (/v2/...): requests carry the credentials the registry asks for,
 * answering a 401 challenge once per request (Bearer tokens fetched from
 * the challenge's realm, or Basic with the user's credentials). */
#ifndef BERTH_REGISTRY_REGISTRY_H
#define BERTH_REGISTRY_REGISTRY_H

#include <stdbool.h>

#include "common/error.h"
#include "image/store.h"
#include "registry/http.h"
#include "registry/reference.h"

struct registry_opts {
	const char *creds; /* "user:pass", or NULL (then $BERTH_REGISTRY_AUTH) */
	bool insecure;     /* plain http for any host, not just loopback */
	bool progress;     /* progress lines on stderr */
};

struct registry {
	char *base; /* "https://host" */
	char *repo;
	char *host;
	const char *creds;
	char *token;  /* bearer token from the last challenge */
	bool basic;   /* the registry asked for Basic auth */
	bool progress;
	const char *scope_actions; /* "pull" or "pull,push" */
};

int registry_open(struct registry *r, const struct reference *ref,
		  const struct registry_opts *o, const char *actions,
		  berr_t *err);
void registry_close(struct registry *r);

/* rq->url may be a path ("/v2/...") on the registry or an absolute URL
 * (an upload location).  The HTTP status is left to the caller.  On
 * failure rs is cleared but for transport_failed. */
int registry_request(struct registry *r, struct http_request *rq,
		     struct http_response *rs, berr_t *err);

/* registry_request expecting the status want (a 200 asked with a Range
 * may be a 206); any other is an error naming what, and rs is cleared. */
int registry_call(struct registry *r, struct http_request *rq, long want,
		  const char *what, struct http_response *rs, berr_t *err);

/* The error for an unexpected status: the registry's own error message
 * when its body has one ({"errors":[{"code","message"}]}). */
int registry_status_error(const struct http_response *rs, const char *what,
			  berr_t *err);

/* Blobs and manifests. */
int registry_get_manifest(struct registry *r, const char *ref,
			  struct http_buf *body, char digest[DIGEST_MAX],
			  berr_t *err);
int registry_fetch_blob(struct registry *r, struct store *s,
			const char *digest, uint64_t size, berr_t *err);

/* `berth pull`: *name receives the local name (NULL for a digest
 * reference) and manifest the image's manifest digest. */
int registry_pull(struct store *s, const char *ref,
		  const struct registry_opts *o, char **name,
		  char manifest[DIGEST_MAX], berr_t *err);
/* `berth push`: the stored image named ref, to the registry it names. */
int registry_push(struct store *s, const char *ref,
		  const struct registry_opts *o, char manifest[DIGEST_MAX],
		  berr_t *err);

#endif
