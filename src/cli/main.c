/* berth: one binary, one sub-command per layer.  Called as berth-runtime
 * it is the runc-compatible runtime, for OCI engines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <string.h>

#include "cli/runtime/runtime.h"

static void usage(FILE *out)
{
	fprintf(out, "Usage: berth COMMAND ...\n\n"
		     "Commands:\n"
		     "  runtime    the OCI runtime, with runc's command line\n"
		     "  version    print the version\n");
}

/* A closed stdin, stdout or stderr would be the number of the next fd
 * berth opens (a state dir, a rootfs), which a container would then get
 * as its stdio: occupy them with /dev/null first. */
static void ensure_stdio(void)
{
	for (int fd = 0; fd < 3; fd++) {
		int n;

		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		n = open("/dev/null", O_RDWR);
		if (n >= 0 && n != fd) {
			dup2(n, fd);
			close(n);
		}
	}
}

int main(int argc, char **argv)
{
	const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];

	ensure_stdio();
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
