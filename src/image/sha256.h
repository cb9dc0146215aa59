/* sha256 as "sha256:<hex>" digests: blobs, layers, and the build
 * cache's keys; streams through OpenSSL's EVP interface. */
#ifndef BERTH_IMAGE_SHA256_H
#define BERTH_IMAGE_SHA256_H

#include <stddef.h>

#include "common/error.h"
#include "image/store.h"

struct sha256 {
	void *ctx; /* EVP_MD_CTX */
};

int sha256_init(struct sha256 *h, berr_t *err);
int sha256_update(struct sha256 *h, const void *data, size_t len,
		  berr_t *err);
/* Writes "sha256:<hex>"; the context is freed either way. */
int sha256_final(struct sha256 *h, char digest[DIGEST_MAX], berr_t *err);
void sha256_free(struct sha256 *h);
/* A buffer in memory (manifests, configs): hashed by sha256_small, so a
 * process that only reads small blobs never initialises OpenSSL. */
int sha256_mem(const void *data, size_t len, char digest[DIGEST_MAX],
	       berr_t *err);
/* The 32 raw bytes of SHA-256 (FIPS 180-4), in plain C. */
void sha256_small(const void *data, size_t len, unsigned char out[32]);

#endif
