/* `berth volume create [--label K=V]... [-d local] [NAME]`: prints the
 * name (a random one without NAME); an existing volume is kept. */
#include "cli/volume/volume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "volume/volume.h"

static const struct option opts[] = {
	{ "label", required_argument, NULL, 'l' },
	{ "driver", required_argument, NULL, 'd' },
	{ 0 },
};

/* K=V, or K with an empty value (docker). */
static int add_label(json_t *labels, const char *kv, berr_t *err)
{
	const char *eq = strchr(kv, '=');
	cleanup_free char *key = strndup(kv, eq ? (size_t)(eq - kv) : strlen(kv));

	if (!key)
		return err_sys(err, "--label");
	if (!*key)
		return err_set(err, EINVAL, "volume create: --label '%s': empty key", kv);
	if (json_object_set_new(labels, key, json_string(eq ? eq + 1 : "")) < 0)
		return err_set(err, EINVAL, "volume create: --label '%s': not UTF-8", kv);
	return 0;
}

static int parse(int argc, char **argv, json_t *labels, berr_t *err)
{
	int c;

	while ((c = img_getopt(argc, argv, "d:", opts)) != -1) {
		if (c == 'l' && add_label(labels, optarg, err) < 0)
			return -1;
		if (c == 'd' && strcmp(optarg, "local"))
			return err_set(err, EINVAL, "volume create: driver '%s': only local is supported",
				       optarg);
		if (c != 'l' && c != 'd')
			return img_bad_flag("volume create", c, argv, err);
	}
	if (argc - optind > 1)
		return err_set(err, EINVAL, "volume create: at most one NAME");
	return 0;
}

int vol_create(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *root = g->root;

	cleanup_free char *name = NULL;
	json_t *labels = json_object();
	bool created;
	int r;

	if (!labels)
		return err_set(err, ENOMEM, "volume create");
	r = parse(argc, argv, labels, err);
	if (r == 0)
		r = volume_create(root, optind < argc ? argv[optind] : NULL, labels, &name,
				  &created, err);
	json_decref(labels);
	if (r < 0)
		return -1;
	printf("%s\n", name);
	return 0;
}
