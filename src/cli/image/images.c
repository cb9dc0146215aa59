/* `berth images [-q] [--no-trunc]`: one row per name, as docker prints
 * them (REPOSITORY TAG IMAGE ID CREATED SIZE), and one row "<none>
 * <none>" per image without a name. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "common/strv.h"
#include "image/store_internal.h"

#define COLUMNS 5

struct row {
	char *col[COLUMNS]; /* repository, tag, id, created, size */
	time_t created;
};

static const char *const headers[COLUMNS] = {
	"REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE",
};

static int fill_row(struct store *s, const char *name, bool no_trunc,
		    struct row *r, berr_t *err)
{
	const char *colon = strrchr(name, ':'), *at = strchr(name, '@');
	char created[64], size[32];
	struct image img;
	uint64_t bytes;

	if (image_resolve(s, name, &img, err) < 0)
		return -1;
	if (img_size(s, &img, &bytes, err) < 0) {
		image_clear(&img);
		return -1;
	}
	r->created = img_parse_time(json_string_value(json_object_get(img.config_json, "created")));
	img_ago(r->created, created, sizeof(created));
	img_human_size(bytes, size, sizeof(size));
	if (at)
		colon = NULL; /* "repo@sha256:...": no tag */
	if (digest_valid(name)) /* an image without a name */
		r->col[0] = strdup("<none>");
	else
		r->col[0] = at ? strndup(name, (size_t)(at - name))
			       : colon ? strndup(name, (size_t)(colon - name)) : strdup(name);
	r->col[1] = strdup(colon && !digest_valid(name) ? colon + 1 : "<none>");
	r->col[2] = strndup(img.config_digest + (no_trunc ? 0 : 7), no_trunc ? DIGEST_MAX : 12);
	r->col[3] = strdup(created);
	r->col[4] = strdup(size);
	image_clear(&img);
	for (int i = 0; i < COLUMNS; i++)
		if (!r->col[i])
			return err_sys(err, "images");
	return 0;
}

static void rows_clear(struct row *r)
{
	for (int c = 0; c < COLUMNS; c++) {
		free(r->col[c]);
		r->col[c] = NULL;
	}
}

static void rows_free(struct row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		rows_clear(&rows[i]);
	free(rows);
}

/* Newest first, then by name, as docker lists them. */
static int by_created(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->created != y->created)
		return x->created < y->created ? 1 : -1;
	return strcmp(x->col[0], y->col[0]) ? strcmp(x->col[0], y->col[0])
					    : strcmp(x->col[1], y->col[1]);
}

static void print_rows(const struct row *rows, size_t n)
{
	const char **cells = calloc(n * COLUMNS + 1, sizeof(*cells));

	for (size_t i = 0; cells && i < n; i++)
		for (int c = 0; c < COLUMNS; c++)
			cells[i * COLUMNS + c] = rows[i].col[c];
	img_print_table(headers, COLUMNS, cells, cells ? n : 0);
	free(cells);
}

/* -q: each image id once. */
static void print_ids(const struct row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(rows[j].col[2], rows[i].col[2]) == 0;
		if (!seen)
			printf("%s\n", rows[i].col[2]);
	}
}

/* The images without a name join the list under their manifest digest
 * (fill_row shows them as <none>). */
static int add_unnamed(struct store *s, json_t *refs, berr_t *err)
{
	cleanup_strv char **images = NULL;
	json_t *extra = json_array();

	if (!extra || store_images_list(s, &images, err) < 0) {
		json_decref(extra);
		return extra ? -1 : err_set(err, ENOMEM, "images: out of memory");
	}
	for (size_t i = 0; images[i]; i++)
		if (store_refs_count(refs, images[i]) == 0 &&
		    json_array_append_new(extra, json_pack("{s:s, s:s}", "name", images[i],
							   "manifest", images[i])) < 0) {
			json_decref(extra);
			return err_set(err, ENOMEM, "images: out of memory");
		}
	json_array_extend(refs, extra);
	json_decref(extra);
	return 0;
}

/* A damaged image does not hide the others: the rows are printed, then
 * the first error is returned. */
static int list(struct store *s, bool quiet, bool no_trunc, berr_t *err)
{
	json_t *refs = NULL, *item;
	struct row *rows;
	size_t i, n = 0;
	int r = 0;

	if (store_refs_list(s, &refs, err) < 0)
		return -1;
	if (add_unnamed(s, refs, err) < 0) {
		json_decref(refs);
		return -1;
	}
	rows = calloc(json_array_size(refs) + 1, sizeof(*rows));
	if (!rows) {
		json_decref(refs);
		return err_sys(err, "images");
	}
	json_array_foreach(refs, i, item) {
		berr_t one = NULL;
		const char *name = json_string_value(json_object_get(item, "name"));

		if (fill_row(s, name, no_trunc, &rows[n], &one) == 0) {
			n++;
			continue;
		}
		rows_clear(&rows[n]);
		if (r == 0)
			r = err_set(err, one->errnum, "image '%s': %s", name, err_msg(one));
		err_free(&one);
	}
	qsort(rows, n, sizeof(*rows), by_created);
	if (quiet)
		print_ids(rows, n);
	else
		print_rows(rows, n);
	rows_free(rows, n);
	json_decref(refs);
	return r;
}

int img_images(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' },
		{ "all", no_argument, NULL, 'a' },
		{ 0 },
	};
	bool quiet = false, no_trunc = false;
	struct store s;
	int c, r;

	while ((c = img_getopt(argc, argv, "qa", opts)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'T')
			no_trunc = true;
		else if (c != 'a')
			return img_bad_flag("images", c, argv, err);
	}
	if (optind < argc)
		return err_set(err, EINVAL, "images: unexpected argument '%s' (filtering by name is not supported yet)",
			       argv[optind]);
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = list(&s, quiet, no_trunc, err);
	store_close(&s);
	return r;
}
