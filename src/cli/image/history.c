/* `berth history [--no-trunc] [-q] IMAGE`: the image's history, newest
 * first, as docker prints it (IMAGE CREATED CREATED BY SIZE COMMENT). */
#include "cli/image/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image/history.h"

#define COLUMNS 5
/* docker cuts CREATED BY to this many characters, the last an ellipsis. */
#define CREATED_BY_WIDTH 45

static const char *const headers[COLUMNS] = {
	"IMAGE", "CREATED", "CREATED BY", "SIZE", "COMMENT",
};

/* Tabs become spaces; cut to CREATED_BY_WIDTH characters (UTF-8 aware)
 * unless no_trunc. */
static char *created_by(const char *s, bool no_trunc)
{
	size_t len = s ? strlen(s) : 0, chars = 0, cut = len;
	char *out = malloc(len + 4);

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue;
		if (++chars == CREATED_BY_WIDTH && !no_trunc)
			cut = i;
	}
	if (chars <= CREATED_BY_WIDTH || no_trunc)
		cut = len;
	memcpy(out, s ? s : "", cut);
	strcpy(out + cut, cut < len ? "\xe2\x80\xa6" : "");
	for (char *p = out; *p; p++)
		if (*p == '\t')
			*p = ' ';
	return out;
}

/* The image id on the newest row, "<missing>" on the others. */
static char *id_cell(const struct image *img, size_t row, bool no_trunc)
{
	if (row != 0)
		return strdup("<missing>");
	return strndup(img->config_digest + (no_trunc ? 0 : 7), no_trunc ? DIGEST_MAX : 12);
}

static int fill(const struct image *img, const struct history_entry *e,
		size_t row, bool no_trunc, char **cells)
{
	char created[64], size[32];

	img_ago(img_parse_time(e->created), created, sizeof(created));
	img_human_size(e->size, size, sizeof(size));
	cells[0] = id_cell(img, row, no_trunc);
	cells[1] = strdup(created);
	cells[2] = created_by(e->created_by, no_trunc);
	cells[3] = strdup(size);
	cells[4] = strdup(e->comment ? e->comment : "");
	for (int c = 0; c < COLUMNS; c++)
		if (!cells[c])
			return -1;
	return 0;
}

static int print(const struct image *img, const struct history_entry *h,
		 size_t n, bool quiet, bool no_trunc, berr_t *err)
{
	char **cells = calloc(n * COLUMNS + 1, sizeof(*cells));
	int r = 0;

	if (!cells)
		return err_sys(err, "history");
	for (size_t row = 0; row < n && r == 0; row++)
		if (fill(img, &h[n - 1 - row], row, no_trunc, cells + row * COLUMNS) < 0)
			r = err_sys(err, "history");
	for (size_t row = 0; r == 0 && quiet && row < n; row++)
		printf("%s\n", cells[row * COLUMNS]);
	if (r == 0 && !quiet)
		img_print_table(headers, COLUMNS, (const char *const *)cells, n);
	for (size_t i = 0; i < n * COLUMNS; i++)
		free(cells[i]);
	free(cells);
	if (r == 0 && fflush(stdout) != 0)
		r = err_sys(err, "write standard output");
	return r;
}

static int history(struct store *s, const char *ref, bool quiet, bool no_trunc,
		   berr_t *err)
{
	struct history_entry *h = NULL;
	struct image img;
	size_t n = 0;
	int r;

	if (image_resolve(s, ref, &img, err) < 0)
		return -1;
	r = image_history(s, &img, &h, &n, err);
	if (r == 0)
		r = print(&img, h, n, quiet, no_trunc, err);
	history_free(h, n);
	image_clear(&img);
	return r;
}

int img_history(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "no-trunc", no_argument, NULL, 'T' },
		{ 0 },
	};
	bool quiet = false, no_trunc = false;
	struct store s;
	int c, r;

	while ((c = img_getopt(argc, argv, "q", opts)) != -1) {
		if (c == 'q')
			quiet = true;
		else if (c == 'T')
			no_trunc = true;
		else
			return img_bad_flag("history", c, argv, err);
	}
	if (argc - optind != 1)
		return err_set(err, EINVAL, "history: expected one image (usage: berth history [--no-trunc] [-q] IMAGE)");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = history(&s, argv[optind], quiet, no_trunc, err);
	store_close(&s);
	return r;
}
