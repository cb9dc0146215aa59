/* Names ("repo:tag") pointing at manifest digests: refs/<escaped name>,
 * one small file each, replaced atomically.  The escape maps '/' to '+'
 * and ':' to '=', characters a name cannot contain, so it is reversible
 * and keeps the length (a 255-character name is a valid file name). */
#include "image/store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"
#include "image/store_internal.h"

#define DEFAULT_PREFIX "docker.io/library/"

static bool name_char(char c, bool in_tag)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '_' || c == '-' || c == '/' || c == ':' || c == '@' ||
	       (in_tag && c >= 'A' && c <= 'Z');
}

static bool alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* The repository part: components separated by single slashes, each
 * starting with a letter or digit. */
static int check_repo(const char *name, size_t len, berr_t *err)
{
	for (size_t i = 0; i < len; i++) {
		if ((i == 0 || name[i - 1] == '/') && !alnum_lower(name[i]))
			return err_set(err, EINVAL, "image name '%s': each part of the repository must start with a lower-case letter or digit",
				       name);
	}
	if (name[len - 1] == '/')
		return err_set(err, EINVAL, "image name '%s': the repository ends with '/'", name);
	return 0;
}

/* Where the tag's ':' is (after the last '/'), or NULL. */
static const char *tag_colon(const char *name, const char *end)
{
	const char *slash = memrchr(name, '/', (size_t)(end - name));
	const char *from = slash ? slash + 1 : name;

	return memchr(from, ':', (size_t)(end - from));
}

static int check_name(const char *name, berr_t *err)
{
	const char *at = strchr(name, '@');
	const char *end = at ? at : name + strlen(name);
	const char *colon = tag_colon(name, end);
	size_t repo_len = (size_t)((colon ? colon : end) - name);

	for (const char *p = name; *p; p++)
		if (!name_char(*p, colon && p > colon && p < end))
			return err_set(err, EINVAL, "image name '%s': character '%c' is not allowed (only a-z 0-9 . _ / : @ -)",
				       name, *p);
	if (repo_len == 0)
		return err_set(err, EINVAL, "image name '%s': the repository is empty", name);
	if (colon && colon + 1 == end)
		return err_set(err, EINVAL, "image name '%s': the tag is empty", name);
	if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
		return err_set(err, EINVAL, "image name '%s': more than one ':' in the tag", name);
	if (at && !digest_valid(at + 1))
		return err_set(err, EINVAL, "image name '%s': '%s' is not a sha256 digest",
			       name, at + 1);
	return check_repo(name, repo_len, err);
}

int ref_normalize(const char *name, char out[REF_NAME_MAX + 1], berr_t *err)
{
	const char *end;
	size_t len;

	if (!name || !*name)
		return err_set(err, EINVAL, "image name is empty");
	if (strncmp(name, DEFAULT_PREFIX, strlen(DEFAULT_PREFIX)) == 0 &&
	    name[strlen(DEFAULT_PREFIX)])
		name += strlen(DEFAULT_PREFIX);
	len = strlen(name);
	if (len > REF_NAME_MAX)
		return err_set(err, ENAMETOOLONG, "image name '%.40s...' is longer than %d characters",
			       name, REF_NAME_MAX);
	if (check_name(name, err) < 0)
		return -1;
	end = strchr(name, '@');
	if (!end && !tag_colon(name, name + len)) {
		if (len + strlen(":latest") > REF_NAME_MAX)
			return err_set(err, ENAMETOOLONG, "image name '%.40s...' is longer than %d characters with ':latest'",
				       name, REF_NAME_MAX);
		snprintf(out, REF_NAME_MAX + 1, "%s:latest", name);
		return 0;
	}
	memcpy(out, name, len + 1);
	return 0;
}

static void escape(const char *name, char *out)
{
	for (; *name; name++)
		*out++ = *name == '/' ? '+' : *name == ':' ? '=' : *name;
	*out = '\0';
}

static void unescape(const char *file, char *out)
{
	for (; *file; file++)
		*out++ = *file == '+' ? '/' : *file == '=' ? ':' : *file;
	*out = '\0';
}

static int refs_dir(struct store *s, int *fd, berr_t *err)
{
	*fd = openat(s->rootfd, "refs", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (*fd < 0)
		return err_sys(err, "open '%s/refs'", s->root);
	return 0;
}

static bool ref_points_at(int dfd, const char *file, const char *manifest)
{
	cleanup_free char *text = NULL;
	berr_t err = NULL;
	size_t n = strlen(manifest);

	if (fs_read_file_at(dfd, file, DIGEST_MAX, &text, NULL, &err) < 0) {
		err_free(&err);
		return false;
	}
	return !strncmp(text, manifest, n) && text[n] == '\n' && !text[n + 1];
}

int store_ref_set(struct store *s, const char *name, const char *manifest,
		  berr_t *err)
{
	char norm[REF_NAME_MAX + 1], file[REF_NAME_MAX + 1], line[DIGEST_MAX + 2];
	cleanup_close int dfd = -1;

	if (ref_normalize(name, norm, err) < 0)
		return -1;
	if (!digest_valid(manifest) || !store_blob_exists(s, manifest))
		return err_set(err, ENOENT, "tag '%s': manifest '%s' is not in the store",
			       norm, manifest);
	if (refs_dir(s, &dfd, err) < 0)
		return -1;
	escape(norm, file);
	if (ref_points_at(dfd, file, manifest))
		return 0; /* unchanged: no rewrite, no fsync */
	snprintf(line, sizeof(line), "%s\n", manifest);
	if (fs_write_atomic_at(dfd, file, line, strlen(line), 0644, FS_DURABLE,
			       err) < 0)
		return err_prefix(err, "tag '%s'", norm);
	return 0;
}

/* The digest in a ref file; a damaged one is an error naming it. */
static int read_ref(int dfd, const char *file, const char *norm,
		    char manifest[DIGEST_MAX], berr_t *err)
{
	cleanup_free char *text = NULL;
	size_t len;

	if (fs_read_file_at(dfd, file, DIGEST_MAX, &text, &len, err) < 0) {
		if ((*err)->errnum != ENOENT)
			return err_prefix(err, "image '%s'", norm);
		err_free(err);
		return err_set(err, ENOENT, "no image named '%s'", norm);
	}
	if (len > 0 && text[len - 1] == '\n')
		text[len - 1] = '\0';
	if (!digest_valid(text))
		return err_set(err, EINVAL, "image '%s': ref file does not hold a sha256 digest",
			       norm);
	strcpy(manifest, text);
	return 0;
}

int store_ref_get(struct store *s, const char *name, char manifest[DIGEST_MAX],
		  berr_t *err)
{
	char norm[REF_NAME_MAX + 1], file[REF_NAME_MAX + 1];
	cleanup_close int dfd = -1;

	if (ref_normalize(name, norm, err) < 0 || refs_dir(s, &dfd, err) < 0)
		return -1;
	escape(norm, file);
	return read_ref(dfd, file, norm, manifest, err);
}

int store_ref_delete(struct store *s, const char *name, berr_t *err)
{
	char norm[REF_NAME_MAX + 1], file[REF_NAME_MAX + 1];
	cleanup_close int dfd = -1;

	if (ref_normalize(name, norm, err) < 0 || refs_dir(s, &dfd, err) < 0)
		return -1;
	escape(norm, file);
	if (unlinkat(dfd, file, 0) < 0) {
		if (errno == ENOENT)
			return err_set(err, ENOENT, "no image named '%s'", norm);
		return err_sys(err, "remove tag '%s'", norm);
	}
	if (fsync(dfd) < 0)
		return err_sys(err, "sync '%s/refs'", s->root);
	return 0;
}

static int add_ref(json_t *list, int dfd, const char *file, berr_t *err)
{
	char name[REF_NAME_MAX + 1], manifest[DIGEST_MAX];
	json_t *item;

	if (strlen(file) > REF_NAME_MAX)
		return 0; /* not a name berth wrote */
	unescape(file, name);
	if (read_ref(dfd, file, name, manifest, err) < 0)
		return (*err)->errnum == ENOENT ? (err_free(err), 0) : -1;
	item = json_pack("{s:s, s:s}", "name", name, "manifest", manifest);
	if (!item || json_array_append_new(list, item) < 0)
		return err_set(err, ENOMEM, "list images: out of memory");
	return 0;
}

static int by_name(const void *a, const void *b)
{
	const json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;

	return strcmp(json_string_value(json_object_get(x, "name")),
		      json_string_value(json_object_get(y, "name")));
}

/* Sorted by name, so listings are stable. */
static int sort_list(json_t **list, berr_t *err)
{
	size_t n = json_array_size(*list);
	cleanup_free json_t **items = calloc(n + 1, sizeof(*items));
	json_t *sorted = json_array();

	if (!items || !sorted) {
		json_decref(sorted);
		json_decref(*list);
		*list = NULL;
		return err_set(err, ENOMEM, "list images: out of memory");
	}
	for (size_t i = 0; i < n; i++)
		items[i] = json_array_get(*list, i);
	qsort(items, n, sizeof(*items), by_name);
	for (size_t i = 0; i < n; i++)
		json_array_append(sorted, items[i]);
	json_decref(*list);
	*list = sorted;
	return 0;
}

size_t store_refs_count(json_t *list, const char *manifest)
{
	json_t *item;
	size_t i, n = 0;

	json_array_foreach(list, i, item)
		n += strcmp(json_string_value(json_object_get(item, "manifest")), manifest) == 0;
	return n;
}

int store_refs_list(struct store *s, json_t **list, berr_t *err)
{
	cleanup_closedir DIR *d = NULL;
	json_t *out = json_array();
	struct dirent *de;
	int dfd;

	if (!out || refs_dir(s, &dfd, err) < 0) {
		json_decref(out);
		return out ? -1 : err_set(err, ENOMEM, "list images: out of memory");
	}
	d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		json_decref(out);
		return err_sys(err, "open '%s/refs'", s->root);
	}
	while ((errno = 0, de = readdir(d))) {
		if (de->d_name[0] == '.') /* ".", "..", atomic-write temporaries */
			continue;
		if (add_ref(out, dirfd(d), de->d_name, err) < 0) {
			json_decref(out);
			return -1;
		}
	}
	if (errno) {
		json_decref(out);
		return err_sys(err, "read '%s/refs'", s->root);
	}
	*list = out;
	return sort_list(list, err);
}
