/* Downloads: manifests (small, checked against their digest in memory)
 * and blobs (streamed into the store's tmp/ through the blob writer,
 * hashed on the way, renamed into place only when the digest matches).
 * A blob is downloaded by one process at a time: the others wait on its
 * lock file and then find it present. */
#include "registry/registry.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/store_internal.h"

/* A dropped connection is picked up where it stopped this many times. */
#define BLOB_ATTEMPTS 4

static const char *const manifest_accept[] = {
	"Accept: " MT_OCI_MANIFEST ", " MT_OCI_INDEX ", " MT_DOCKER_MANIFEST
	", " MT_DOCKER_LIST,
	NULL,
};

int registry_get_manifest(struct registry *r, const char *ref,
			  struct http_buf *body, char digest[DIGEST_MAX],
			  berr_t *err)
{
	cleanup_free char *path = NULL, *what = NULL;
	struct http_request rq = { .method = "GET", .headers = manifest_accept,
				   .body_fd = -1, .sink = http_buf_sink,
				   .sink_ctx = body };
	struct http_response rs;
	int ret = -1;

	if (asprintf(&path, "/v2/%s/manifests/%s", r->repo, ref) < 0 ||
	    asprintf(&what, digest_valid(ref) ? "manifest %s" : "tag '%s'", ref) < 0)
		return err_set(err, ENOMEM, "out of memory");
	body->max = STORE_JSON_MAX;
	body->what = what;
	rq.url = path;
	if (registry_call(r, &rq, 200, what, &rs, err) < 0)
		goto out;
	if (sha256_mem(body->data ? body->data : "", body->len, digest, err) < 0)
		goto out;
	/* By digest, the content must be that digest; by tag, the digest the
	 * registry claims (when it says one) must be the content's. */
	if (digest_valid(ref) && strcmp(ref, digest) != 0)
		err_set(err, EINVAL, "%s: manifest content has digest %s", what, digest);
	else if (!digest_valid(ref) && rs.content_digest &&
		 strcmp(rs.content_digest, digest) != 0)
		err_set(err, EINVAL, "%s: registry says digest %.80s but the manifest has %s",
			what, rs.content_digest, digest);
	else
		ret = 0;
out:
	body->what = NULL;
	http_response_clear(&rs);
	if (ret < 0)
		http_buf_clear(body);
	return ret;
}

struct blob_sink {
	struct blob_writer w;
	uint64_t size; /* from the manifest: more is refused */
	const char *digest;
};

static int blob_sink(void *ctx, const void *data, size_t len, berr_t *err)
{
	struct blob_sink *b = ctx;

	if (len > b->size - b->w.size)
		return err_set(err, EFBIG, "blob %s: registry sent more than the %llu bytes of its descriptor",
			       b->digest, (unsigned long long)b->size);
	return blob_writer_write(&b->w, data, len, err);
}

/* One GET, from where the temporary file ends; 1 when the connection
 * broke (worth resuming), -1 for any other failure. */
static int download_once(struct registry *r, struct blob_sink *b,
			 const char *path, berr_t *err)
{
	struct http_request rq = { .method = "GET", .url = path, .body_fd = -1,
				   .range_from = b->w.size, .sink = blob_sink,
				   .sink_ctx = b, .progress = b->digest };
	struct http_response rs;

	if (registry_call(r, &rq, 200, b->digest, &rs, err) < 0)
		return rs.transport_failed ? 1 : -1;
	http_response_clear(&rs);
	return 0;
}

static int download(struct registry *r, struct store *s, const char *digest,
		    uint64_t size, berr_t *err)
{
	struct blob_sink b = { .size = size, .digest = digest };
	cleanup_free char *path = NULL;

	if (asprintf(&path, "/v2/%s/blobs/%s", r->repo, digest) < 0)
		return err_set(err, ENOMEM, "out of memory");
	if (blob_writer_resume(s, digest, &b.w, err) < 0)
		return -1;
	for (int attempt = 1; b.w.size < size; attempt++) {
		uint64_t before = b.w.size;
		int r_once = download_once(r, &b, path, err);

		if (r_once == 0)
			break;
		/* A broken connection keeps what came, for this loop or the
		 * next pull; a refused or hostile answer keeps nothing. */
		if (r_once > 0 && (attempt >= BLOB_ATTEMPTS || b.w.size == before)) {
			blob_writer_keep(&b.w);
			return -1;
		}
		if (r_once < 0) {
			blob_writer_abort(&b.w);
			return -1;
		}
		err_free(err);
	}
	return blob_writer_commit(&b.w, digest, NULL, NULL, err);
}

int registry_fetch_blob(struct registry *r, struct store *s,
			const char *digest, uint64_t size, berr_t *err)
{
	char path[STORE_WORK_LOCK_MAX];
	cleanup_close int fd = -1;
	int ret;

	if (store_blob_exists(s, digest))
		return 0;
	if (store_lock_work(s, digest_hex(digest), &fd, path, err) < 0)
		return -1;
	/* Whoever held the lock before may have stored it meanwhile. */
	ret = store_blob_exists(s, digest) ? 0 : download(r, s, digest, size, err);
	/* Removed while still locked once the blob is in place: a waiter on
	 * this file re-checks the blob, and a newcomer (new file) finds it
	 * there.  After a failure the file stays, so that the next holder of
	 * the lock is alone with the partial download. */
	if (ret == 0)
		unlinkat(s->rootfd, path, 0);
	return ret;
}
