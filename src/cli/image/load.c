/* `berth load [-i FILE|-] [-q]`: images from a docker save archive or an
 * OCI image layout (tar or directory); stdin by default. */
#include "cli/image/image.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "image/load.h"

static void report(json_t *loaded)
{
	json_t *item, *name;
	size_t i, j;

	json_array_foreach(loaded, i, item) {
		json_t *names = json_object_get(item, "names");

		json_array_foreach(names, j, name)
			printf("Loaded image: %s\n", json_string_value(name));
		if (json_array_size(names) == 0)
			printf("Loaded image digest: %s\n",
			       json_string_value(json_object_get(item, "manifest")));
	}
}

int img_load(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "input", required_argument, NULL, 'i' },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	const char *input = "-";
	json_t *loaded = NULL;
	bool quiet = false;
	struct store s;
	int c, r;

	while ((c = img_getopt(argc, argv, "i:q", opts)) != -1) {
		if (c == 'i')
			input = optarg;
		else if (c == 'q')
			quiet = true;
		else
			return img_bad_flag("load", c, argv, err);
	}
	if (optind < argc)
		return err_set(err, EINVAL, "load: unexpected argument '%s' (usage: berth load [-i FILE|DIR|-])",
			       argv[optind]);
	if (strcmp(input, "-") == 0 && isatty(0))
		return err_set(err, EINVAL, "load: standard input is a terminal; give -i FILE or pipe an archive");
	if (store_open(g->root, &s, err) < 0)
		return -1;
	r = image_load_archive(&s, input, &loaded, err);
	if (r == 0 && !quiet)
		report(loaded);
	json_decref(loaded);
	store_close(&s);
	return r;
}
