/* `berth import [-c 'CMD ["sh"]']... TARBALL|- [NAME]`: a rootfs tarball
 * as a one-layer image.  Prints the image's manifest digest, which names
 * it also when no NAME is given. */
#include "cli/image/image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/dockerfile.h"
#include "build/metadata.h"
#include "common/cleanup.h"
#include "image/import.h"

static const char *env_of(void *ctx, const char *name)
{
	return metadata_env(ctx, name);
}

/* --change: one Dockerfile instruction of those that only change the
 * config, applied as `berth build` applies it. */
static int apply_change(struct stage_meta *m, const char *change, berr_t *err)
{
	struct words_opts w = { .escape = '\\', .lookup = env_of, .ctx = m, .split = true };
	struct dockerfile df;
	int r;

	if (dockerfile_parse_line(change, "--change", &df, err) < 0)
		return -1;
	if (!metadata_instruction(df.ins[0].keyword))
		r = err_set(err, EINVAL, "--change '%.80s': %s cannot be changed (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR, HEALTHCHECK, SHELL can)",
			    change, df.ins[0].keyword);
	else if ((r = metadata_apply(m, &df.ins[0], &w, err)) < 0)
		err_prefix(err, "--change '%.80s'", change);
	dockerfile_clear(&df);
	return r;
}

static int open_input(const char *path, int *fd, berr_t *err)
{
	struct stat st;

	if (strcmp(path, "-") == 0) {
		if (isatty(0))
			return err_set(err, EINVAL, "import: standard input is a terminal; give a file or pipe a tarball");
		*fd = dup(0);
	} else {
		*fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (*fd < 0)
		return err_sys(err, "import: open '%s'", path);
	if (fstat(*fd, &st) < 0)
		return err_sys(err, "import: stat '%s'", path);
	if (S_ISDIR(st.st_mode))
		return err_set(err, EISDIR, "import: '%s' is a directory; give a tarball (tar -C DIR -c .)", path);
	return 0;
}

int img_import(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "change", required_argument, NULL, 'c' },
		{ 0 },
	};
	json_t *doc = json_pack("{s:o}", "config", image_default_config());
	struct stage_meta m = { .doc = doc, .config = json_object_get(doc, "config") };
	char manifest[DIGEST_MAX], id[DIGEST_MAX];
	cleanup_close int fd = -1;
	struct store s;
	int c, r = -1;

	if (!doc)
		return err_set(err, ENOMEM, "import: out of memory");
	while ((c = img_getopt(argc, argv, "c:", opts)) != -1) {
		if (c != 'c') {
			img_bad_flag("import", c, argv, err);
			goto out;
		}
		if (apply_change(&m, optarg, err) < 0)
			goto out;
	}
	if (argc - optind < 1 || argc - optind > 2) {
		err_set(err, EINVAL, "import: expected TARBALL|- [NAME] (usage: berth import [--change INSTRUCTION]... TARBALL|- [NAME])");
		goto out;
	}
	if (open_input(argv[optind], &fd, err) < 0 || store_open(g->root, &s, err) < 0)
		goto out;
	r = image_import(&s, fd, &(struct import_opts){ .config = m.config,
							 .name = argv[optind + 1] },
			 manifest, id, err);
	if (r == 0)
		printf("%s\n", manifest);
	store_close(&s);
out:
	json_decref(doc);
	return r;
}
