/* Content-addressed blobs: blobs/sha256/<hex>, hashed on the way in (a
 * mismatch with the expected digest stores nothing) and on the way out. */
#include "image/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "image/store_internal.h"

#define COPY_CHUNK 65536

int sha256_init(struct sha256 *h, berr_t *err)
{
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx)
		return err_set(err, ENOMEM, "sha256: out of memory");
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		sha256_free(h);
		return err_set(err, EIO, "sha256: cannot initialise OpenSSL digest");
	}
	return 0;
}

int sha256_update(struct sha256 *h, const void *data, size_t len, berr_t *err)
{
	if (EVP_DigestUpdate(h->ctx, data, len) != 1)
		return err_set(err, EIO, "sha256: digest update failed");
	return 0;
}

static void digest_text(const unsigned char md[32], char digest[DIGEST_MAX])
{
	static const char hex[] = "0123456789abcdef";

	strcpy(digest, "sha256:");
	for (int i = 0; i < 32; i++) {
		digest[7 + 2 * i] = hex[md[i] >> 4];
		digest[8 + 2 * i] = hex[md[i] & 15];
	}
	digest[7 + 64] = '\0';
}

int sha256_final(struct sha256 *h, char digest[DIGEST_MAX], berr_t *err)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	int ok = EVP_DigestFinal_ex(h->ctx, md, &n);

	sha256_free(h);
	if (ok != 1 || n != 32)
		return err_set(err, EIO, "sha256: digest final failed");
	digest_text(md, digest);
	return 0;
}

void sha256_free(struct sha256 *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}

int sha256_mem(const void *data, size_t len, char digest[DIGEST_MAX],
	       berr_t *err)
{
	unsigned char md[32];

	sha256_small(data, len, md);
	digest_text(md, digest);
	return 0;
}

int blob_writer_open(struct store *s, struct blob_writer *w, berr_t *err)
{
	char path[TMP_NAME_MAX + 8];

	w->s = s;
	w->fd = -1;
	w->size = 0;
	w->h.ctx = NULL;
	w->tmp[0] = '\0';
	if (store_tmp_name(w->tmp, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "tmp/%s", w->tmp);
	w->fd = openat(s->rootfd, path,
		       O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		w->tmp[0] = '\0';
		return err_sys(err, "create '%s/%s'", s->root, path);
	}
	if (sha256_init(&w->h, err) < 0) {
		blob_writer_abort(w);
		return -1;
	}
	return 0;
}

/* Hash what an existing partial file holds; the offset ends at its end. */
static int hash_existing(struct blob_writer *w, berr_t *err)
{
	cleanup_free char *buf = malloc(COPY_CHUNK);

	if (!buf)
		return err_sys(err, "resume '%s/tmp/%s'", w->s->root, w->tmp);
	for (;;) {
		ssize_t n = read(w->fd, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "read '%s/tmp/%s'", w->s->root, w->tmp);
		if (n == 0)
			return 0;
		if (sha256_update(&w->h, buf, (size_t)n, err) < 0)
			return -1;
		w->size += (uint64_t)n;
	}
}

int blob_writer_resume(struct store *s, const char *digest,
		       struct blob_writer *w, berr_t *err)
{
	char path[TMP_NAME_MAX + 8];
	struct stat st;

	w->s = s;
	w->size = 0;
	w->h.ctx = NULL;
	snprintf(w->tmp, sizeof(w->tmp), TMP_PARTIAL_PREFIX "%.64s", digest_hex(digest));
	snprintf(path, sizeof(path), "tmp/%s", w->tmp);
	w->fd = openat(s->rootfd, path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (w->fd < 0) {
		w->tmp[0] = '\0';
		return err_sys(err, "open '%s/%s'", s->root, path);
	}
	if (fstat(w->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		err_set(err, EINVAL, "'%s/%s' is not a regular file", s->root, path);
		blob_writer_abort(w);
		return -1;
	}
	if (sha256_init(&w->h, err) < 0 || hash_existing(w, err) < 0) {
		blob_writer_abort(w);
		return -1;
	}
	return 0;
}

void blob_writer_keep(struct blob_writer *w)
{
	w->tmp[0] = '\0';
	blob_writer_abort(w);
}

int blob_writer_write(struct blob_writer *w, const void *data, size_t len,
		      berr_t *err)
{
	const char *p = data;
	size_t left = len;

	while (left > 0) {
		ssize_t n = write(w->fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return err_sys(err, "write '%s/tmp/%s'", w->s->root, w->tmp);
		p += n;
		left -= (size_t)n;
	}
	w->size += len;
	return sha256_update(&w->h, data, len, err);
}

void blob_writer_abort(struct blob_writer *w)
{
	char path[TMP_NAME_MAX + 8];
	int saved = errno;

	sha256_free(&w->h);
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp[0]) {
		snprintf(path, sizeof(path), "tmp/%s", w->tmp);
		unlinkat(w->s->rootfd, path, 0);
		w->tmp[0] = '\0';
	}
	errno = saved;
}

/* fsync the file, then rename it into blobs/: a crash leaves either no
 * blob or a whole one.  A blob already there (a concurrent writer of the
 * same content) is simply replaced by identical bytes. */
static int blob_install(struct blob_writer *w, const char *digest, berr_t *err)
{
	char src[TMP_NAME_MAX + 8], dst[DIGEST_MAX + 16];
	cleanup_close int dfd = -1;

	snprintf(src, sizeof(src), "tmp/%s", w->tmp);
	snprintf(dst, sizeof(dst), "blobs/sha256/%.64s", digest_hex(digest));
	if (fsync(w->fd) < 0)
		return err_sys(err, "sync '%s/%s'", w->s->root, src);
	if (renameat(w->s->rootfd, src, w->s->rootfd, dst) < 0)
		return err_sys(err, "rename '%s' to '%s/%s'", src, w->s->root, dst);
	w->tmp[0] = '\0';
	dfd = openat(w->s->rootfd, "blobs/sha256",
		     O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0 || fsync(dfd) < 0)
		return err_sys(err, "sync '%s/blobs/sha256'", w->s->root);
	return 0;
}

int blob_writer_commit(struct blob_writer *w, const char *expect,
		       char digest[DIGEST_MAX], uint64_t *size, berr_t *err)
{
	char got[DIGEST_MAX];

	if (sha256_final(&w->h, got, err) < 0)
		goto fail;
	if (expect && strcmp(expect, got) != 0) {
		err_set(err, EINVAL, "blob %s: content has digest %s", expect, got);
		goto fail;
	}
	if (blob_install(w, got, err) < 0)
		goto fail;
	if (digest)
		strcpy(digest, got);
	if (size)
		*size = w->size;
	blob_writer_abort(w);
	return 0;
fail:
	blob_writer_abort(w);
	return -1;
}

int store_blob_put_fd(struct store *s, int fd, const char *expect,
		      char digest[DIGEST_MAX], uint64_t *size, berr_t *err)
{
	cleanup_free char *buf = malloc(COPY_CHUNK);
	struct blob_writer w;

	if (!buf)
		return err_sys(err, "store blob");
	if (expect && !digest_valid(expect))
		return err_set(err, EINVAL, "'%s' is not a sha256 digest", expect);
	if (blob_writer_open(s, &w, err) < 0)
		return -1;
	for (;;) {
		ssize_t n = read(fd, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err_sys(err, "read blob input");
			blob_writer_abort(&w);
			return -1;
		}
		if (n == 0)
			break;
		if (blob_writer_write(&w, buf, (size_t)n, err) < 0) {
			blob_writer_abort(&w);
			return -1;
		}
	}
	return blob_writer_commit(&w, expect, digest, size, err);
}

int store_blob_put_mem(struct store *s, const void *data, size_t len,
		       char digest[DIGEST_MAX], berr_t *err)
{
	struct blob_writer w;

	/* Content already stored (checked when it was written, and again
	 * when read) is not written twice: rebuilds and re-imports write
	 * the same configs and manifests over and over. */
	if (sha256_mem(data, len, digest, err) < 0)
		return -1;
	if (store_blob_exists(s, digest))
		return 0;
	if (blob_writer_open(s, &w, err) < 0)
		return -1;
	if (blob_writer_write(&w, data, len, err) < 0) {
		blob_writer_abort(&w);
		return -1;
	}
	return blob_writer_commit(&w, NULL, digest, NULL, err);
}

static void blob_path(const char *digest, char path[DIGEST_MAX + 16])
{
	snprintf(path, DIGEST_MAX + 16, "blobs/sha256/%.64s", digest_hex(digest));
}

bool store_blob_exists(struct store *s, const char *digest)
{
	char path[DIGEST_MAX + 16];
	struct stat st;

	if (!digest_valid(digest))
		return false;
	blob_path(digest, path);
	return fstatat(s->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	       S_ISREG(st.st_mode);
}

int store_blob_size(struct store *s, const char *digest, uint64_t *size,
		    berr_t *err)
{
	char path[DIGEST_MAX + 16];
	struct stat st;

	if (!digest_valid(digest))
		return err_set(err, EINVAL, "'%s' is not a sha256 digest", digest);
	blob_path(digest, path);
	if (fstatat(s->rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return err_sys(err, "blob %s", digest);
	*size = (uint64_t)st.st_size;
	return 0;
}

int store_blob_open(struct store *s, const char *digest, int *fd, berr_t *err)
{
	char path[DIGEST_MAX + 16];
	int bfd;

	if (!digest_valid(digest))
		return err_set(err, EINVAL, "'%s' is not a sha256 digest", digest);
	blob_path(digest, path);
	bfd = openat(s->rootfd, path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (bfd < 0 && errno == ENOENT)
		return err_set(err, ENOENT, "blob %s is not in the store", digest);
	if (bfd < 0)
		return err_sys(err, "open blob %s", digest);
	*fd = bfd;
	return 0;
}

int store_blob_read(struct store *s, const char *digest, size_t max,
		    char **data, size_t *len, berr_t *err)
{
	cleanup_close int fd = -1;
	cleanup_free char *buf = NULL;
	char path[DIGEST_MAX + 16], got[DIGEST_MAX];
	size_t n;

	if (store_blob_open(s, digest, &fd, err) < 0)
		return -1;
	blob_path(digest, path);
	if (fs_read_file_at(s->rootfd, path, max, &buf, &n, err) < 0)
		return err_prefix(err, "blob %s", digest);
	if (sha256_mem(buf, n, got, err) < 0)
		return -1;
	if (strcmp(got, digest) != 0)
		return err_set(err, EIO, "blob %s: stored content has digest %s (store damaged)",
			       digest, got);
	*data = take_ptr(buf);
	if (len)
		*len = n;
	return 0;
}

/* Compressed layers are recognised by their magic numbers; a plain tar
 * is anything else libarchive's tar reader will later accept or not. */
int store_layer_media_type(struct store *s, const char *digest,
			   const char **media_type, berr_t *err)
{
	static const unsigned char gz[] = { 0x1f, 0x8b };
	static const unsigned char zst[] = { 0x28, 0xb5, 0x2f, 0xfd };
	static const unsigned char xz[] = { 0xfd, '7', 'z', 'X', 'Z' };
	unsigned char head[8] = { 0 };
	cleanup_close int fd = -1;
	ssize_t n;

	if (store_blob_open(s, digest, &fd, err) < 0)
		return -1;
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(err, "read blob %s", digest);
	if (memcmp(head, gz, sizeof(gz)) == 0)
		*media_type = MT_OCI_LAYER_GZIP;
	else if (memcmp(head, zst, sizeof(zst)) == 0)
		*media_type = MT_OCI_LAYER_ZSTD;
	else if (memcmp(head, xz, sizeof(xz)) == 0 || memcmp(head, "BZh", 3) == 0)
		return err_set(err, EINVAL, "layer %s: xz and bzip2 layers have no OCI media type; use gzip, zstd or a plain tar",
			       digest);
	else
		*media_type = MT_OCI_LAYER;
	return 0;
}
