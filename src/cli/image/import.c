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

#include "common/cleanup.h"
#include "image/import.h"

static int add_change(char ***v, size_t *n, char *change, berr_t *err)
{
	char **nv = realloc(*v, (*n + 2) * sizeof(**v));

	if (!nv)
		return err_sys(err, "import");
	nv[(*n)++] = change;
	nv[*n] = NULL;
	*v = nv;
	return 0;
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
	cleanup_free char **changes = NULL; /* strings borrowed from argv */
	char manifest[DIGEST_MAX], id[DIGEST_MAX];
	cleanup_close int fd = -1;
	size_t n = 0;
	struct store s;
	int c, r;

	while ((c = img_getopt(argc, argv, "c:", opts)) != -1) {
		if (c != 'c')
			return img_bad_flag("import", c, argv, err);
		if (add_change(&changes, &n, optarg, err) < 0)
			return -1;
	}
	if (argc - optind < 1 || argc - optind > 2)
		return err_set(err, EINVAL, "import: expected TARBALL|- [NAME] (usage: berth import [--change INSTRUCTION]... TARBALL|- [NAME])");
	if (open_input(argv[optind], &fd, err) < 0 || store_open(g->root, &s, err) < 0)
		return -1;
	r = image_import(&s, fd, &(struct import_opts){ .changes = changes,
							 .name = argv[optind + 1] },
			 manifest, id, err);
	if (r == 0)
		printf("%s\n", manifest);
	store_close(&s);
	return r;
}
