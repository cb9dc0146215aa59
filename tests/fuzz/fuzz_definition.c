/* libFuzzer target for service definitions (YAML loading under its caps,
 * every service key, the canonical JSON): any input parses or fails with
 * one error line; never a crash, a leak or a hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/definition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct project p;
	berr_t err = NULL;
	/* env_file paths resolve under a directory that does not exist, so
	 * the target reads no file of the host. */
	int r = project_parse((const char *)data, size, "/nonexistent/berth-fuzz/compose.yaml", &p, &err);

	if (r < 0 && (!err || !err_msg(err)[0] || strchr(err_msg(err), '\n')))
		__builtin_trap(); /* every failure explains itself on one line */
	err_free(&err);
	for (char **w = p.warnings; r == 0 && w && *w; w++)
		if (strchr(*w, '\n'))
			__builtin_trap();
	for (size_t i = 0; r == 0 && i < p.n_services; i++)
		free(service_json_dump(&p.services[i]));
	if (r == 0)
		project_free(&p);
	return 0;
}
