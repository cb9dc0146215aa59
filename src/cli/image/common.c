/* Helpers shared by the image verbs. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/cleanup.h"
#include "image/store_internal.h"

static int getopt_mode(const char *mode, int argc, char **argv, const char *shortopts,
		       const struct option *longopts)
{
	char opts[64];

	snprintf(opts, sizeof(opts), "%s%s", mode, shortopts);
	opterr = 0;
	return getopt_long(argc, argv, opts, longopts, NULL);
}

int img_getopt(int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	return getopt_mode("+:", argc, argv, shortopts, longopts);
}

int img_getopt_anywhere(int argc, char **argv, const char *shortopts,
			const struct option *longopts)
{
	return getopt_mode(":", argc, argv, shortopts, longopts);
}

int img_bad_flag(const char *verb, int c, char **argv, berr_t *err)
{
	if (c == ':')
		return err_set(err, EINVAL, "%s: %s needs a value", verb, argv[optind - 1]);
	/* A short flag in a cluster ("-rf"): optind still points at it. */
	if (optopt)
		return err_set(err, EINVAL, "%s: unknown flag '-%c' (see 'berth %s --help')", verb,
			       optopt, verb);
	return err_set(err, EINVAL, "%s: unknown flag '%s' (see 'berth %s --help')", verb,
		       argv[optind - 1], verb);
}

int img_size(struct store *s, const struct image *img, uint64_t *size,
	     berr_t *err)
{
	*size = 0;
	for (size_t i = 0; i < img->n_layers; i++) {
		uint64_t n;

		if (store_blob_size(s, img->layers[i], &n, err) < 0)
			return -1;
		*size += n;
	}
	return 0;
}

/* The config digest a named manifest points at; damaged manifests are
 * skipped (they fail loudly when asked for by name). */
static bool config_of(struct store *s, const char *manifest, char id[DIGEST_MAX])
{
	cleanup_free char *text = NULL;
	berr_t ignored = NULL;
	struct manifest m;
	size_t len;

	if (store_blob_read(s, manifest, STORE_JSON_MAX, &text, &len, &ignored) < 0 ||
	    manifest_parse(text, len, manifest, &m, &ignored) < 0) {
		err_free(&ignored);
		return false;
	}
	strcpy(id, m.config);
	manifest_clear(&m);
	return true;
}

int img_names_of(struct store *s, const char *id, json_t **names, berr_t *err)
{
	json_t *list = NULL, *item, *out = json_array();
	size_t i;

	if (!out || store_refs_list(s, &list, err) < 0) {
		json_decref(out);
		return out ? -1 : err_set(err, ENOMEM, "out of memory");
	}
	json_array_foreach(list, i, item) {
		const char *md = json_string_value(json_object_get(item, "manifest"));
		char cfg[DIGEST_MAX];

		if (config_of(s, md, cfg) && strcmp(cfg, id) == 0 &&
		    json_array_append(out, json_object_get(item, "name")) < 0) {
			json_decref(list);
			json_decref(out);
			return err_set(err, ENOMEM, "out of memory");
		}
	}
	json_decref(list);
	*names = out;
	return 0;
}

/* docker's sizes: decimal units, three significant digits ("4.26MB"). */
void img_human_size(uint64_t n, char *buf, size_t len)
{
	static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
	double v = (double)n;
	size_t u = 0;

	while (v >= 1000 && u + 1 < sizeof(units) / sizeof(*units)) {
		v /= 1000;
		u++;
	}
	snprintf(buf, len, "%.3g%s", v, units[u]);
}

int img_print_json(json_t *v, berr_t *err)
{
	cleanup_free char *text = json_dumps(v, JSON_INDENT(4));

	if (!text)
		return err_set(err, ENOMEM, "encode JSON");
	if (puts(text) < 0 || fflush(stdout) != 0)
		return err_sys(err, "write standard output");
	return 0;
}

/* RFC 3339 ("2024-05-01T10:00:00.123456789Z" or "+02:00"); 0 if not. */
time_t img_parse_time(const char *s)
{
	struct tm tm = { 0 };
	const char *p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	int sign, hh, mm;
	time_t t;

	if (!p)
		return 0;
	if (*p == '.')
		p += 1 + strspn(p + 1, "0123456789");
	t = timegm(&tm);
	if (*p == 'Z' || *p == 'z')
		return t;
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2) {
		sign = *p == '+' ? -1 : 1;
		return t + sign * (hh * 3600 + mm * 60);
	}
	return 0;
}

/* docker's "3 weeks ago" wording. */
void img_ago(time_t t, char *buf, size_t len)
{
	long long s = (long long)(time(NULL) - t), h = s / 3600;

	if (t == 0)
		snprintf(buf, len, "N/A");
	else if (s < 1)
		snprintf(buf, len, "Less than a second ago");
	else if (s < 60)
		snprintf(buf, len, "%lld seconds ago", s);
	else if (s / 60 == 1)
		snprintf(buf, len, "About a minute ago");
	else if (s < 3600)
		snprintf(buf, len, "%lld minutes ago", s / 60);
	else if (h == 1)
		snprintf(buf, len, "About an hour ago");
	else if (h < 48)
		snprintf(buf, len, "%lld hours ago", h);
	else if (h < 24 * 7 * 2)
		snprintf(buf, len, "%lld days ago", h / 24);
	else if (h < 24 * 30 * 2)
		snprintf(buf, len, "%lld weeks ago", h / 24 / 7);
	else if (h < 24 * 365 * 2)
		snprintf(buf, len, "%lld months ago", h / 24 / 30);
	else
		snprintf(buf, len, "%lld years ago", h / 24 / 365);
}

/* Columns padded to their widest cell plus three spaces; the last one
 * ends the line. */
static void print_cell(const char *text, const size_t *width, size_t c,
		       size_t cols)
{
	if (c + 1 < cols)
		printf("%-*s   ", (int)width[c], text);
	else
		printf("%s\n", text);
}

void img_print_table(const char *const *headers, size_t cols,
		     const char *const *cells, size_t rows)
{
	size_t width[IMG_TABLE_COLUMNS_MAX];

	for (size_t c = 0; c < cols && c < IMG_TABLE_COLUMNS_MAX; c++) {
		width[c] = strlen(headers[c]);
		for (size_t i = 0; i < rows; i++)
			if (strlen(cells[i * cols + c]) > width[c])
				width[c] = strlen(cells[i * cols + c]);
	}
	for (size_t c = 0; c < cols && c < IMG_TABLE_COLUMNS_MAX; c++)
		print_cell(headers[c], width, c, cols);
	for (size_t i = 0; i < rows; i++)
		for (size_t c = 0; c < cols && c < IMG_TABLE_COLUMNS_MAX; c++)
			print_cell(cells[i * cols + c], width, c, cols);
}
