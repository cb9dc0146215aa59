/* berth: one binary, one sub-command per layer.  Called as berth-runtime
 * it is the runc-compatible runtime, for OCI engines. */
#include <stdio.h>
#include <string.h>

#include "cli/runtime/runtime.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: berth COMMAND ...\n\n"
		     "Commands:\n"
		     "  runtime    the OCI runtime, with runc's command line\n"
		     "  version    print the version\n");
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	if (strcmp(self, "berth-runtime") == 0)
		return rt_main(argc, argv);
	if (argc < 2) {
		usage(stderr);
		return 125;
	}
	if (strcmp(argv[1], "runtime") == 0)
		return rt_main(argc - 1, argv + 1);
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		puts("berth version 0.1.0");
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "berth: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 125;
}
