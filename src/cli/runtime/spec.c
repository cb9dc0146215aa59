#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/runtime/runtime.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "runtime/spec_default.h"

int rt_spec(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "bundle", required_argument, NULL, 'b' },
		{ "rootless", no_argument, NULL, 'r' },
		{ 0 },
	};
	const char *bundle = ".";
	bool rootless = false;
	cleanup_close int dirfd = -1;
	cleanup_free char *text = NULL;
	json_auto_t *spec = NULL;
	int c;

	while ((c = rt_getopt(argc, argv, "b:", opts)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'r')
			rootless = true;
		else
			return err_set(err, EINVAL, "spec: unknown flag '%s'", argv[optind - 1]);
	}
	dirfd = open(bundle, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return err_sys(err, "spec: bundle '%s'", bundle);
	if (faccessat(dirfd, "config.json", F_OK, 0) == 0)
		return err_set(err, EEXIST, "spec: '%s/config.json' exists; remove it first", bundle);
	spec = spec_default(rootless);
	text = spec ? json_dumps(spec, JSON_INDENT(2)) : NULL;
	if (!text)
		return err_set(err, ENOMEM, "spec: encode config.json");
	return fs_write_atomic_at(dirfd, "config.json", text, strlen(text), 0644, FS_DURABLE, err);
}
