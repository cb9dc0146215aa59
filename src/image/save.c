/* `berth save`: the images' blobs streamed from the store into a tar
 * (libarchive's writer, one chunk at a time), then the small documents
 * that describe them.  The archive is what `docker save` writes since
 * docker 25 (an OCI image layout plus manifest.json and repositories), or
 * the OCI layout alone; both load back with the same digests, since the
 * blobs are the stored bytes. */
#include "image/save.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/image.h"
#include "image/store_internal.h"

#define COPY_CHUNK 65536
#define SAVE_IMAGES_MAX 1000
#define DEFAULT_DOMAIN "docker.io/library/"
/* libarchive's ARCHIVE_ERRNO_FILE_FORMAT, which its public header lacks. */
#define EFTYPE_UNSUPPORTED EILSEQ

/* One image of the archive and the names it is saved under. */
struct save_item {
	struct image img;
	json_t *names; /* array of normalised names, maybe empty */
};

struct saver {
	struct store *s;
	struct archive *a;
	json_t *written; /* digest -> true: each blob goes in once */
	struct save_item *items;
	size_t n_items;
};

int save_format_parse(const char *s, enum save_format *out, berr_t *err)
{
	if (strcmp(s, "docker") == 0)
		*out = SAVE_DOCKER;
	else if (strcmp(s, "oci") == 0 || strcmp(s, "oci-archive") == 0)
		*out = SAVE_OCI;
	else
		return err_set(err, EINVAL, "--format '%s': expected docker or oci", s);
	return 0;
}

/* ---- which images, under which names --------------------------------- */

/* The name ref stands for, when it is one (not an id or a digest) and
 * points at this image; "" otherwise: docker saves an image asked for by
 * id without names. */
static void name_of_ref(struct store *s, const char *ref, const char *manifest,
			char name[REF_NAME_MAX + 1])
{
	char found[DIGEST_MAX];
	berr_t ignored = NULL;

	name[0] = '\0';
	if (ref_normalize(ref, name, &ignored) < 0 ||
	    store_ref_get(s, name, found, &ignored) < 0 ||
	    strcmp(found, manifest) != 0)
		name[0] = '\0';
	err_free(&ignored);
}

static struct save_item *find_item(struct saver *sv, const char *manifest)
{
	for (size_t i = 0; i < sv->n_items; i++)
		if (strcmp(sv->items[i].img.manifest_digest, manifest) == 0)
			return &sv->items[i];
	return NULL;
}

/* Resolve one ref; several refs to one image make one entry with every
 * name given. */
static int add_ref(struct saver *sv, const char *ref, berr_t *err)
{
	char name[REF_NAME_MAX + 1];
	struct save_item *it;
	struct image img;

	if (image_resolve(sv->s, ref, &img, err) < 0)
		return -1;
	it = find_item(sv, img.manifest_digest);
	if (it) {
		image_clear(&img);
	} else {
		it = &sv->items[sv->n_items];
		it->img = img;
		it->names = json_array();
		sv->n_items++;
		if (!it->names)
			return err_set(err, ENOMEM, "save: out of memory");
	}
	name_of_ref(sv->s, ref, it->img.manifest_digest, name);
	if (name[0] && json_array_append_new(it->names, json_string(name)) < 0)
		return err_set(err, ENOMEM, "save: out of memory");
	return 0;
}

static int resolve_all(struct saver *sv, char *const *refs, berr_t *err)
{
	size_t n = 0;

	while (refs[n])
		n++;
	if (n == 0)
		return err_set(err, EINVAL, "save: no image given");
	if (n > SAVE_IMAGES_MAX)
		return err_set(err, E2BIG, "save: more than %d images", SAVE_IMAGES_MAX);
	sv->items = calloc(n, sizeof(*sv->items));
	if (!sv->items)
		return err_sys(err, "save");
	for (size_t i = 0; i < n; i++)
		if (add_ref(sv, refs[i], err) < 0)
			return -1;
	return 0;
}

static void saver_clear(struct saver *sv)
{
	for (size_t i = 0; sv->items && i < sv->n_items; i++) {
		image_clear(&sv->items[i].img);
		json_decref(sv->items[i].names);
	}
	free(sv->items);
	json_decref(sv->written);
	if (sv->a)
		archive_write_free(sv->a);
}

/* ---- tar entries ----------------------------------------------------- */

static int ar_error(struct archive *a, const char *path, berr_t *err)
{
	int e = archive_errno(a);

	return err_set(err, e > 0 ? e : EIO, "write '%s' to the archive: %s", path,
		       archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

/* A header with fixed owner, mode and time: the same images give the
 * same archive bytes. */
static int put_header(struct archive *a, const char *path, mode_t type,
		      uint64_t size, berr_t *err)
{
	struct archive_entry *e = archive_entry_new();
	int r;

	if (!e)
		return err_set(err, ENOMEM, "save: out of memory");
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, type == AE_IFDIR ? 0755 : 0644);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, 0, 0);
	r = archive_write_header(a, e);
	archive_entry_free(e);
	return r < ARCHIVE_WARN ? ar_error(a, path, err) : 0;
}

static int put_data(struct archive *a, const char *path, const void *data,
		    size_t len, berr_t *err)
{
	la_ssize_t n = archive_write_data(a, data, len);

	if (n < 0 || (size_t)n != len)
		return ar_error(a, path, err);
	return 0;
}

static int put_json(struct archive *a, const char *path, json_t *doc,
		    berr_t *err)
{
	cleanup_free char *text = json_dumps(doc, JSON_COMPACT);

	if (!text)
		return err_set(err, ENOMEM, "save: %s: out of memory", path);
	if (put_header(a, path, AE_IFREG, strlen(text), err) < 0)
		return -1;
	return put_data(a, path, text, strlen(text), err);
}

static int read_chunk(int fd, char *buf, uint64_t left, const char *digest,
		      size_t *got, berr_t *err)
{
	ssize_t n;

	do
		n = read(fd, buf, left < COPY_CHUNK ? (size_t)left : COPY_CHUNK);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return err_sys(err, "read blob %s", digest);
	if (n == 0)
		return err_set(err, EIO, "blob %s: shorter than its size (store damaged)", digest);
	*got = (size_t)n;
	return 0;
}

/* Copy exactly size bytes of fd, hashing them: a blob damaged in the
 * store fails the save rather than going out under its old digest. */
static int copy_blob(struct archive *a, int fd, const char *path,
		     const char *digest, uint64_t size, berr_t *err)
{
	cleanup_free char *buf = malloc(COPY_CHUNK);
	char got[DIGEST_MAX];
	struct sha256 h;

	if (!buf)
		return err_sys(err, "save");
	if (sha256_init(&h, err) < 0)
		return -1;
	while (size > 0) {
		size_t n = 0;

		if (read_chunk(fd, buf, size, digest, &n, err) < 0 ||
		    sha256_update(&h, buf, n, err) < 0 ||
		    put_data(a, path, buf, n, err) < 0) {
			sha256_free(&h);
			return -1;
		}
		size -= n;
	}
	if (sha256_final(&h, got, err) < 0)
		return -1;
	if (strcmp(got, digest) != 0)
		return err_set(err, EIO, "blob %s: stored content has digest %s (store damaged)",
			       digest, got);
	return 0;
}

static int put_blob(struct saver *sv, const char *digest, berr_t *err)
{
	char path[DIGEST_MAX + 16];
	cleanup_close int fd = -1;
	struct stat st;

	if (json_object_get(sv->written, digest))
		return 0;
	snprintf(path, sizeof(path), "blobs/sha256/%.64s", digest_hex(digest));
	if (store_blob_open(sv->s, digest, &fd, err) < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return err_sys(err, "stat blob %s", digest);
	if (put_header(sv->a, path, AE_IFREG, (uint64_t)st.st_size, err) < 0 ||
	    copy_blob(sv->a, fd, path, digest, (uint64_t)st.st_size, err) < 0)
		return -1;
	if (json_object_set_new(sv->written, digest, json_true()) < 0)
		return err_set(err, ENOMEM, "save: out of memory");
	return 0;
}

static int put_image_blobs(struct saver *sv, const struct image *img,
			   berr_t *err)
{
	if (put_blob(sv, img->manifest_digest, err) < 0 ||
	    put_blob(sv, img->config_digest, err) < 0)
		return -1;
	for (size_t i = 0; i < img->n_layers; i++)
		if (put_blob(sv, img->layers[i], err) < 0)
			return -1;
	return 0;
}

/* ---- the documents --------------------------------------------------- */

/* "app:v1" -> "v1"; NULL for a name without a tag ("app@sha256:..."). */
static const char *tag_of(const char *name)
{
	const char *slash = strrchr(name, '/'), *colon;

	if (strchr(name, '@'))
		return NULL;
	colon = strchr(slash ? slash : name, ':');
	return colon ? colon + 1 : NULL;
}

/* The name as docker writes it in index.json: a one-part name gets its
 * registry and "library/" (berth load drops them again). */
static json_t *full_name(const char *name)
{
	const char *end = strchr(name, ':');

	if (memchr(name, '/', end ? (size_t)(end - name) : strlen(name)))
		return json_string(name);
	return json_sprintf("%s%s", DEFAULT_DOMAIN, name);
}

/* The manifest's own media type (an OCI layout keeps Docker manifests as
 * they were loaded). */
static int manifest_media_type(struct store *s, const char *digest,
			       json_t **mt, berr_t *err)
{
	cleanup_free char *text = NULL;
	json_t *doc, *v;
	size_t len;

	if (store_blob_read(s, digest, STORE_JSON_MAX, &text, &len, err) < 0)
		return -1;
	doc = json_loadb(text, len, 0, NULL);
	v = json_object_get(doc, "mediaType");
	*mt = json_string(json_is_string(v) ? json_string_value(v) : MT_OCI_MANIFEST);
	json_decref(doc);
	return *mt ? 0 : err_set(err, ENOMEM, "save: out of memory");
}

static json_t *descriptor(struct store *s, const struct image *img,
			  const char *name, berr_t *err)
{
	json_t *mt = NULL, *d, *ann;
	uint64_t size;

	if (store_blob_size(s, img->manifest_digest, &size, err) < 0 ||
	    manifest_media_type(s, img->manifest_digest, &mt, err) < 0)
		return NULL;
	d = json_pack("{s:o, s:s, s:I}", "mediaType", mt, "digest",
		      img->manifest_digest, "size", (json_int_t)size);
	if (d && name) {
		ann = json_pack("{s:o}", "io.containerd.image.name", full_name(name));
		if (ann && tag_of(name))
			json_object_set_new(ann, "org.opencontainers.image.ref.name",
					    json_string(tag_of(name)));
		if (!ann || json_object_set_new(d, "annotations", ann) < 0) {
			json_decref(d);
			d = NULL;
		}
	}
	if (!d)
		err_set(err, ENOMEM, "save: out of memory");
	return d;
}

/* One entry per name (an image without names gets one without). */
static int index_entries(struct saver *sv, const struct save_item *it,
			 json_t *manifests, berr_t *err)
{
	size_t n = json_array_size(it->names);

	for (size_t j = 0; j < (n ? n : 1); j++) {
		const char *name = json_string_value(json_array_get(it->names, j));
		json_t *d = descriptor(sv->s, &it->img, name, err);

		if (!d || json_array_append_new(manifests, d) < 0)
			return d ? err_set(err, ENOMEM, "save: out of memory") : -1;
	}
	return 0;
}

static int put_index(struct saver *sv, berr_t *err)
{
	json_t *manifests = json_array(), *doc;
	int r;

	if (!manifests)
		return err_set(err, ENOMEM, "save: out of memory");
	for (size_t i = 0; i < sv->n_items; i++) {
		if (index_entries(sv, &sv->items[i], manifests, err) < 0) {
			json_decref(manifests);
			return -1;
		}
	}
	doc = json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType",
			MT_OCI_INDEX, "manifests", manifests);
	if (!doc)
		return err_set(err, ENOMEM, "save: out of memory");
	r = put_json(sv->a, "index.json", doc, err);
	json_decref(doc);
	return r;
}

static json_t *blob_path_json(const char *digest)
{
	return json_sprintf("blobs/sha256/%s", digest_hex(digest));
}

/* manifest.json: Config, RepoTags (tagged names only) and Layers. */
static json_t *docker_entry(const struct save_item *it)
{
	json_t *tags = json_array(), *layers = json_array(), *v;
	size_t i;

	json_array_foreach(it->names, i, v)
		if (tag_of(json_string_value(v)))
			json_array_append(tags, v);
	for (i = 0; layers && i < it->img.n_layers; i++)
		json_array_append_new(layers, blob_path_json(it->img.layers[i]));
	/* docker writes null, not [], for an image saved without names. */
	if (json_array_size(tags) == 0) {
		json_decref(tags);
		tags = json_null();
	}
	return json_pack("{s:o, s:o, s:o}", "Config",
			 blob_path_json(it->img.config_digest), "RepoTags", tags,
			 "Layers", layers);
}

/* repositories: repo -> tag -> the top layer's hex, as docker writes it. */
static int add_repositories(json_t *repos, const struct save_item *it)
{
	const struct image *img = &it->img;
	json_t *v;
	size_t i;

	json_array_foreach(it->names, i, v) {
		const char *name = json_string_value(v), *tag = tag_of(name);
		cleanup_free char *repo = NULL;
		json_t *tags;

		if (!tag || img->n_layers == 0)
			continue;
		repo = strndup(name, (size_t)(tag - 1 - name));
		if (!repo)
			return -1;
		tags = json_object_get(repos, repo);
		if (!tags && json_object_set_new(repos, repo, tags = json_object()) < 0)
			return -1;
		if (json_object_set_new(tags, tag, json_string(digest_hex(
				img->layers[img->n_layers - 1]))) < 0)
			return -1;
	}
	return 0;
}

static int put_docker_docs(struct saver *sv, berr_t *err)
{
	json_t *list = json_array(), *repos = json_object(), *e;
	int r = 0;

	for (size_t i = 0; list && repos && i < sv->n_items && r == 0; i++) {
		e = docker_entry(&sv->items[i]);
		if (!e || json_array_append_new(list, e) < 0 ||
		    add_repositories(repos, &sv->items[i]) < 0)
			r = -1;
	}
	if (!list || !repos || r < 0)
		r = err_set(err, ENOMEM, "save: out of memory");
	else if (put_json(sv->a, "manifest.json", list, err) < 0 ||
		 put_json(sv->a, "repositories", repos, err) < 0)
		r = -1;
	json_decref(list);
	json_decref(repos);
	return r;
}

/* ---- the whole archive ----------------------------------------------- */

static int open_archive(struct saver *sv, int fd, berr_t *err)
{
	sv->a = archive_write_new();
	if (!sv->a)
		return err_set(err, ENOMEM, "save: out of memory");
	if (archive_write_set_format_pax_restricted(sv->a) != ARCHIVE_OK ||
	    archive_write_open_fd(sv->a, fd) != ARCHIVE_OK)
		return ar_error(sv->a, "the archive", err);
	return 0;
}

static int write_all(struct saver *sv, enum save_format fmt, berr_t *err)
{
	json_t *layout = json_pack("{s:s}", "imageLayoutVersion", "1.0.0");
	int r;

	if (!layout)
		return err_set(err, ENOMEM, "save: out of memory");
	r = put_json(sv->a, "oci-layout", layout, err);
	json_decref(layout);
	if (r < 0 || put_header(sv->a, "blobs/", AE_IFDIR, 0, err) < 0 ||
	    put_header(sv->a, "blobs/sha256/", AE_IFDIR, 0, err) < 0)
		return -1;
	for (size_t i = 0; i < sv->n_items; i++)
		if (put_image_blobs(sv, &sv->items[i].img, err) < 0)
			return -1;
	if (put_index(sv, err) < 0 ||
	    (fmt == SAVE_DOCKER && put_docker_docs(sv, err) < 0))
		return -1;
	if (archive_write_close(sv->a) != ARCHIVE_OK)
		return ar_error(sv->a, "the end of the archive", err);
	return 0;
}

int image_save(struct store *s, char *const *refs, enum save_format fmt,
	       int fd, berr_t *err)
{
	struct saver sv = { .s = s, .written = json_object() };
	cleanup_close int lock = -1;
	int r = -1;

	/* Shared, like load: a garbage collector cannot drop a blob while it
	 * is being copied out. */
	if (!sv.written)
		err_set(err, ENOMEM, "save: out of memory");
	else if (store_lock(s, false, &lock, err) == 0 &&
		 resolve_all(&sv, refs, err) == 0 && open_archive(&sv, fd, err) == 0)
		r = write_all(&sv, fmt, err);
	saver_clear(&sv);
	return r;
}

/* ---- static linking -------------------------------------------------- */

/* libarchive's tar writers call this one helper, which lives in the file
 * that also registers every write format (xar among them); a static link
 * would pull that file in, and with it libxml2 and ICU (the binary grows
 * from 7 to 41 MB).  Defining the helper here, in an object the link has
 * already taken, keeps them out.  Only the static link sees it: the
 * shared libarchive does not export the symbol.  Same signature and job
 * as libarchive 3.6's: reject an entry type the format cannot hold
 * (save writes only files and directories). */
void __archive_write_entry_filetype_unsupported(struct archive *a,
						 struct archive_entry *entry,
						 const char *format);

void __archive_write_entry_filetype_unsupported(struct archive *a,
						 struct archive_entry *entry,
						 const char *format)
{
	archive_set_error(a, EFTYPE_UNSUPPORTED,
			  "%s: %s format cannot archive this file type (0%o)",
			  archive_entry_pathname(entry), format,
			  (unsigned)archive_entry_filetype(entry));
}
