#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/runtime/runtime.h"
#include "common/cleanup.h"
#include "runtime/state.h"

/* Collect the state objects of every container under root, sorted by id;
 * an unreadable record is skipped (a container being created or deleted
 * at the same moment). */
static json_t *collect(const char *root)
{
	struct dirent **names = NULL;
	json_t *all = json_array();
	int n = scandir(root, &names, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		struct container_state st;
		berr_t err = NULL;

		if (names[i]->d_name[0] != '.' &&
		    state_load(root, names[i]->d_name, &st, &err) == 0) {
			json_array_append_new(all, state_to_json(&st, state_status(root, &st)));
			state_clear(&st);
		}
		err_free(&err);
		free(names[i]);
	}
	free(names);
	return all;
}

static int column_width(json_t *all, const char *key, const char *title)
{
	size_t w = strlen(title), i;
	json_t *c;

	json_array_foreach(all, i, c) {
		json_t *v = json_object_get(c, key);
		size_t len = json_is_string(v) ? json_string_length(v) : 10;

		if (len > w)
			w = len;
	}
	/* runc's tabwriter: minimum 12, padding 3. */
	return (int)(w + 3 < 12 ? 12 : w + 3);
}

static void print_table(json_t *all)
{
	static const char *const keys[] = { "id", "pid", "status", "bundle", "created", "owner" };
	static const char *const titles[] = { "ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER" };
	int w[6];
	size_t i;
	json_t *c;

	for (int k = 0; k < 6; k++)
		w[k] = column_width(all, keys[k], titles[k]);
	for (int k = 0; k < 6; k++)
		printf("%-*s%s", k < 5 ? w[k] : 0, titles[k], k < 5 ? "" : "\n");
	json_array_foreach(all, i, c) {
		for (int k = 0; k < 6; k++) {
			json_t *v = json_object_get(c, keys[k]);
			char num[24];
			const char *s = num;

			if (json_is_integer(v))
				snprintf(num, sizeof(num), "%lld", (long long)json_integer_value(v));
			else
				s = json_is_string(v) ? json_string_value(v) : "";
			printf("%-*s%s", k < 5 ? w[k] : 0, s, k < 5 ? "" : "\n");
		}
	}
}

int rt_list(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ 0 },
	};
	const char *format = "table";
	bool quiet = false;
	json_auto_t *all = NULL;
	json_t *c;
	size_t i;
	int opt;

	while ((opt = rt_getopt(argc, argv, "f:q", opts)) != -1) {
		if (opt == 'f')
			format = optarg;
		else if (opt == 'q')
			quiet = true;
		else
			return err_set(err, EINVAL, "list: unknown flag '%s'", argv[optind - 1]);
	}
	if (strcmp(format, "table") && strcmp(format, "json"))
		return err_set(err, EINVAL, "list: --format '%s' is not table or json", format);
	all = collect(g->root);
	if (quiet) {
		json_array_foreach(all, i, c)
			puts(json_string_value(json_object_get(c, "id")));
		return 0;
	}
	if (strcmp(format, "json") == 0)
		return rt_print_json(all, err);
	print_table(all);
	return 0;
}
