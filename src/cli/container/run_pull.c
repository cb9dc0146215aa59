/* `berth run --pull missing|always|never`: an image not in the store is
 * pulled first, as docker run does, through berth-registry (the same path
 * as `berth pull`), with docker's status lines on stderr; stdout stays
 * the container's. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/container/container.h"
#include "cli/image/image.h"
#include "common/cleanup.h"
#include "image/store_internal.h"

int run_pull_parse(const char *arg, enum run_pull *policy, berr_t *err)
{
	static const char *const names[] = { "missing", "always", "never" };

	for (int i = 0; i < 3; i++)
		if (!strcmp(arg, names[i])) {
			*policy = (enum run_pull)i;
			return 0;
		}
	return err_set(err, EINVAL, "--pull '%s': expected missing, always or never", arg);
}

/* `pull -q` prints the manifest digest alone: the run then uses that
 * digest, so a name retagged meanwhile (or a digest reference, which
 * stores no name) still gives the image just pulled. */
int run_pull(const struct cli_roots *r, const char *image, char digest[DIGEST_MAX],
	     berr_t *err)
{
	char *argv[] = { "pull", "-q", (char *)image, NULL };
	cleanup_free char *out = NULL;

	if (img_registry_run(r->store, r->run, 3, argv, 4096, &out, err) < 0)
		return err_prefix(err, "pull '%s'", image);
	out[strcspn(out, "\n")] = '\0';
	if (!digest_valid(out))
		return err_set(err, EIO, "pull '%s': berth-registry printed '%s', not a manifest digest",
			       image, out);
	strcpy(digest, out);
	fprintf(stderr, "Digest: %s\nStatus: Downloaded newer image for %s\n", digest, image);
	return 0;
}
