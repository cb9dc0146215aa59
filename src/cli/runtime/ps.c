/* `ps`: the container's pids from its cgroup; the table is the host's
 * ps(1) output filtered to those pids, as runc prints it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/runtime/runtime.h"
#include "common/cleanup.h"
#include "runtime/container.h"

static bool has_pid(const pid_t *pids, size_t n, long pid)
{
	for (size_t i = 0; i < n; i++)
		if (pids[i] == pid)
			return true;
	return false;
}

/* Index of the PID column in ps's header line. */
static int pid_column(const char *header)
{
	int col = 0;

	for (const char *p = header; *p;) {
		size_t len;

		p += strspn(p, " \t");
		len = strcspn(p, " \t\n");
		if (len == 3 && strncmp(p, "PID", 3) == 0)
			return col;
		col++;
		p += len;
	}
	return -1;
}

static long field(const char *line, int col)
{
	const char *p = line;

	for (int i = 0; i <= col; i++) {
		p += strspn(p, " \t");
		if (i < col)
			p += strcspn(p, " \t");
	}
	return strtol(p, NULL, 10);
}

static int print_table(const pid_t *pids, size_t n, char **ps_args, berr_t *err)
{
	cleanup_free char *cmd = NULL, *line = NULL;
	size_t cap = 0;
	FILE *ps;
	int col;

	if (asprintf(&cmd, "ps %s", ps_args[0] ? "" : "-ef") < 0)
		return err_sys(err, "ps");
	for (size_t i = 0; ps_args[i]; i++) {
		char *next = NULL;

		if (strpbrk(ps_args[i], "'\\;|&$`<>\n"))
			return err_set(err, EINVAL, "ps: argument '%s' is not a ps option", ps_args[i]);
		if (asprintf(&next, "%s '%s'", cmd, ps_args[i]) < 0)
			return err_sys(err, "ps");
		free(cmd);
		cmd = next;
	}
	ps = popen(cmd, "re");
	if (!ps)
		return err_sys(err, "run ps");
	if (getline(&line, &cap, ps) < 0 || (col = pid_column(line)) < 0) {
		pclose(ps);
		return err_set(err, EINVAL, "ps: no PID column in ps's output");
	}
	fputs(line, stdout);
	while (getline(&line, &cap, ps) > 0)
		if (has_pid(pids, n, field(line, col)))
			fputs(line, stdout);
	pclose(ps);
	return 0;
}

int rt_ps(struct rt_globals *g, int argc, char **argv, berr_t *err)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ 0 },
	};
	cleanup_free pid_t *pids = NULL;
	const char *format = "table";
	json_auto_t *arr = NULL;
	size_t n = 0;
	int c;

	while ((c = rt_getopt(argc, argv, "f:", opts)) != -1) {
		if (c != 'f')
			return err_set(err, EINVAL, "ps: unknown flag '%s'", argv[optind - 1]);
		format = optarg;
	}
	if (optind >= argc)
		return err_set(err, EINVAL, "ps: expected a container id");
	if (container_pids(g->root, argv[optind], &pids, &n, err) < 0)
		return -1;
	if (strcmp(format, "table") == 0)
		return print_table(pids, n, argv + optind + 1, err);
	if (strcmp(format, "json"))
		return err_set(err, EINVAL, "ps: --format '%s' is not table or json", format);
	arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_integer(pids[i]));
	return rt_print_json(arr, err);
}
