/* Images: an OCI (or Docker v2 schema 2) manifest, its config and the
 * container settings in it, found by name, id or digest. */
#ifndef BERTH_IMAGE_IMAGE_H
#define BERTH_IMAGE_IMAGE_H

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"
#include "image/store.h"

/* The OCI architecture of images this berth makes (import, build). */
#if defined(__aarch64__)
#define IMAGE_ARCH "arm64"
#else
#define IMAGE_ARCH "amd64"
#endif

/* The "config" object of an image config (what docker run applies). */
struct image_config {
	char **env;        /* NULL-terminated, may be empty */
	char **entrypoint; /* NULL when unset */
	char **cmd;        /* NULL when unset */
	char *working_dir; /* NULL when unset */
	char *user;        /* NULL when unset */
	char *stop_signal; /* NULL when unset */
	json_t *labels;    /* object, never NULL */
	json_t *exposed_ports; /* object, never NULL */
};

struct image {
	char manifest_digest[DIGEST_MAX];
	char config_digest[DIGEST_MAX]; /* the image id */
	char **layers;                  /* layer blob digests, base first */
	size_t n_layers;
	struct image_config config;
	json_t *config_json;            /* the whole config document */
};

/* ref: a name ("busybox", "registry:5000/app:v1"), an id or unique id
 * prefix (hex of the config digest, 12+ chars), or a manifest digest. An
 * unknown ref is an error saying what was looked for. */
int image_resolve(struct store *s, const char *ref, struct image *out,
		  berr_t *err);
void image_clear(struct image *img);

/* A layer's content must be what the config's rootfs.diff_ids[i] says:
 * compressed layers are unpacked lazily, so this is where a manifest and
 * config that do not belong together are caught. */
int image_check_diff_id(const struct image *img, size_t i, const char *diff_id,
			berr_t *err);

/* The "config" object a new image starts from (import, FROM scratch):
 * docker's default PATH only.  NULL when out of memory. */
json_t *image_default_config(void);

/* The current time as image configs write it (RFC 3339, UTC). */
void image_time_now(char buf[32]);

/* Parse a config blob; where names it in errors. */
int image_config_parse(const char *text, size_t len, const char *where,
		       struct image_config *out, json_t **doc, berr_t *err);
void image_config_clear(struct image_config *c);

#endif
