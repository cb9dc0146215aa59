/* One name at a time (see each.h). */
#include "cli/each.h"

#include <errno.h>
#include <stdio.h>

int cli_each(const char *verb, int argc, char **argv, cli_each_fn fn, void *ctx, berr_t *err)
{
	int failed = 0;

	if (argc < 1)
		return err_set(err, EINVAL, "%s: expected a container", verb);
	for (int i = 0; i < argc; i++) {
		berr_t e = NULL;

		if (fn(ctx, argv[i], &e) < 0) {
			err_print(stderr, "berth", e);
			failed++;
		} else {
			printf("%s\n", argv[i]);
		}
		err_free(&e);
	}
	fflush(stdout);
	return failed ? err_set(err, EIO, "%s: %d of %d failed", verb, failed, argc) : 0;
}
