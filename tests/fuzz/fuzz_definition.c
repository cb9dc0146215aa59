/* libFuzzer target for service definitions (YAML loading under its caps,
 * every service key, the canonical JSON and back): any input parses or fails with
 * one error line; never a crash, a leak or a hang. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "service/definition.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The canonical JSON reads back into a service that dumps the same
 * bytes (what berthd relies on to compare revisions). */
static void round_trip(const struct service *s)
{
	char *first = service_json_dump(s), *second;
	json_t *j = first ? json_loads(first, 0, NULL) : NULL;
	struct service back;
	berr_t err = NULL;

	if (!j)
		__builtin_trap();
	if (service_from_json(j, "definition", &back, &err) < 0)
		__builtin_trap();
	second = service_json_dump(&back);
	if (!second || strcmp(first, second))
		__builtin_trap();
	service_clear(&back);
	json_decref(j);
	free(first);
	free(second);
}

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
		round_trip(&p.services[i]);
	if (r == 0)
		project_free(&p);
	return 0;
}
