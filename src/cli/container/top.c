/* `berth top ID [ps options]`: the container's processes in ps -ef's
 * columns.  ps options are accepted and ignored (the columns are fixed). */
#include "cli/container/container.h"
#include "cli/image/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "container/top.h"

/* Every cell of the rows as text, row-major, for the table printer. */
static int cells_of(json_t *procs, char ***cells, berr_t *err)
{
	size_t n = json_array_size(procs), i, k = 0;
	json_t *row, *cell;

	*cells = calloc(n * TOP_COLUMNS + 1, sizeof(**cells));
	if (!*cells)
		return err_sys(err, "top");
	json_array_foreach(procs, i, row) {
		size_t c;

		json_array_foreach(row, c, cell) {
			char *text = json_is_string(cell) ? strdup(json_string_value(cell)) : NULL;

			if (!json_is_string(cell) && asprintf(&text, "%lld",
							      (long long)json_integer_value(cell)) < 0)
				text = NULL;
			if (!text)
				return err_sys(err, "top");
			(*cells)[k++] = text;
		}
	}
	return 0;
}

int cli_top(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	char state_root[PATH_MAX];
	cleanup_free char *id = NULL;
	cleanup_strv char **cells = NULL;
	const char *titles[TOP_COLUMNS];
	json_t *doc = NULL, *t;
	size_t i;
	int r;

	if (argc < 2)
		return err_set(err, EINVAL, "top: expected a container (berth top ID [ps options])");
	if (cli_container_find(g, argv[1], state_root, &id, err) < 0 ||
	    container_top(state_root, id, &doc, err) < 0)
		return -1;
	json_array_foreach(json_object_get(doc, "Titles"), i, t)
		if (i < TOP_COLUMNS)
			titles[i] = json_string_value(t);
	r = cells_of(json_object_get(doc, "Processes"), &cells, err);
	if (r == 0)
		img_print_table(titles, TOP_COLUMNS, (const char *const *)cells,
				json_array_size(json_object_get(doc, "Processes")));
	json_decref(doc);
	return r;
}
