/* Sub-command dispatch (see group.h). */
#include "cli/group.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void names(const struct cli_sub *subs, size_t n, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", subs[i].name);
}

int cli_group(struct berth_globals *g, const char *group, const struct cli_sub *subs, size_t n,
	      int argc, char **argv, berr_t *err)
{
	char known[256];

	names(subs, n, known, sizeof(known));
	if (argc < 2)
		return err_set(err, EINVAL, "%s: expected a subcommand (%s)", group, known);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("Usage: berth %s\n", subs[i].usage);
			return 0;
		}
		optind = 1;
		return subs[i].fn(g, argc - 1, argv + 1, err);
	}
	return err_set(err, EINVAL, "%s: unknown subcommand '%s' (expected %s)", group, argv[1],
		       known);
}
