/* `berth push`: the blobs the registry lacks (HEAD first), each in one
 * monolithic upload (POST for a location, PUT with the digest), then the
 * manifest exactly as stored, so the registry's digest is the local one. */
#include "registry/registry.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "image/image.h"
#include "image/store_internal.h"

static int blob_present(struct registry *r, const char *digest, bool *present,
			berr_t *err)
{
	cleanup_free char *path = NULL;
	struct http_request rq = { .method = "HEAD", .body_fd = -1 };
	struct http_response rs;

	if (asprintf(&path, "/v2/%s/blobs/%s", r->repo, digest) < 0)
		return err_set(err, ENOMEM, "out of memory");
	rq.url = path;
	if (registry_request(r, &rq, &rs, err) < 0)
		return -1;
	*present = rs.status == 200;
	if (rs.status != 200 && rs.status != 404) {
		registry_status_error(&rs, digest, err);
		http_response_clear(&rs);
		return -1;
	}
	http_response_clear(&rs);
	return 0;
}

/* POST /v2/<repo>/blobs/uploads/ answers 202 with the upload's URL. */
static int start_upload(struct registry *r, char **location, berr_t *err)
{
	cleanup_free char *path = NULL;
	struct http_request rq = { .method = "POST", .body_fd = -1 };
	struct http_response rs;

	if (asprintf(&path, "/v2/%s/blobs/uploads/", r->repo) < 0)
		return err_set(err, ENOMEM, "out of memory");
	rq.url = path;
	if (registry_call(r, &rq, 202, "start upload", &rs, err) < 0)
		return -1;
	if (!rs.location) {
		http_response_clear(&rs);
		return err_set(err, EPROTO, "start upload: registry gave no Location");
	}
	*location = take_ptr(rs.location);
	http_response_clear(&rs);
	return 0;
}

static int put_blob(struct registry *r, struct store *s, const char *location,
		    const char *digest, berr_t *err)
{
	static const char *const headers[] = {
		"Content-Type: application/octet-stream", NULL,
	};
	cleanup_close int fd = -1;
	cleanup_free char *url = NULL;
	struct http_request rq = { .method = "PUT", .headers = headers };
	struct http_response rs;
	uint64_t size;

	if (store_blob_open(s, digest, &fd, err) < 0 ||
	    store_blob_size(s, digest, &size, err) < 0)
		return -1;
	if (asprintf(&url, "%s%sdigest=%s", location, strchr(location, '?') ? "&" : "?",
		     digest) < 0)
		return err_set(err, ENOMEM, "out of memory");
	rq.url = url;
	rq.body_fd = fd;
	rq.body_fd_len = size;
	rq.progress = digest;
	if (registry_call(r, &rq, 201, "upload", &rs, err) < 0)
		return -1;
	http_response_clear(&rs);
	return 0;
}

static int push_blob(struct registry *r, struct store *s, const char *digest,
		     berr_t *err)
{
	cleanup_free char *location = NULL;
	bool present = false;

	if (blob_present(r, digest, &present, err) < 0)
		return -1;
	if (present)
		return 0;
	if (start_upload(r, &location, err) < 0 ||
	    put_blob(r, s, location, digest, err) < 0)
		return err_prefix(err, "blob %s", digest);
	return 0;
}

static int put_manifest(struct registry *r, struct store *s, const char *tag,
			const char *digest, berr_t *err)
{
	cleanup_free char *text = NULL, *path = NULL, *ctype = NULL;
	const char *headers[2] = { NULL, NULL };
	struct http_request rq = { .method = "PUT", .body_fd = -1 };
	struct http_response rs;
	const char *mt;
	json_t *doc;
	size_t len;
	int n;

	if (store_blob_read(s, digest, STORE_JSON_MAX, &text, &len, err) < 0)
		return -1;
	/* The registry wants the manifest's own media type (OCI or Docker). */
	doc = json_loadb(text, len, 0, NULL);
	mt = json_string_value(json_object_get(doc, "mediaType"));
	n = asprintf(&ctype, "Content-Type: %s", mt ? mt : MT_OCI_MANIFEST);
	json_decref(doc);
	if (n < 0 || asprintf(&path, "/v2/%s/manifests/%s", r->repo, tag) < 0)
		return err_set(err, ENOMEM, "out of memory");
	headers[0] = ctype;
	rq.headers = headers;
	rq.url = path;
	rq.body = text;
	rq.body_len = len;
	if (registry_call(r, &rq, 201, "manifest", &rs, err) < 0)
		return -1;
	http_response_clear(&rs);
	return 0;
}

static int push_image(struct registry *r, struct store *s,
		      const struct image *img, const char *tag, berr_t *err)
{
	for (size_t i = 0; i < img->n_layers; i++)
		if (push_blob(r, s, img->layers[i], err) < 0)
			return -1;
	if (push_blob(r, s, img->config_digest, err) < 0)
		return -1;
	return put_manifest(r, s, tag, img->manifest_digest, err);
}

int registry_push(struct store *s, const char *text,
		  const struct registry_opts *o, char manifest[DIGEST_MAX],
		  berr_t *err)
{
	struct reference ref;
	struct registry r;
	struct image img;
	int ret;

	if (reference_parse(text, &ref, err) < 0)
		return -1;
	if (!ref.tag || ref.digest) {
		reference_clear(&ref);
		return err_set(err, EINVAL, "push %s: give a NAME:TAG to push, not a digest", text);
	}
	if (image_resolve(s, text, &img, err) < 0) {
		reference_clear(&ref);
		return -1;
	}
	ret = registry_open(&r, &ref, o, "pull,push", err);
	if (ret == 0) {
		ret = push_image(&r, s, &img, ref.tag, err);
		registry_close(&r);
	}
	if (ret == 0)
		strcpy(manifest, img.manifest_digest);
	else
		err_prefix(err, "push %s", text);
	image_clear(&img);
	reference_clear(&ref);
	return ret;
}
