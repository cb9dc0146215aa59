/* `berth generate systemd [--root DIR] [--run-root DIR]`: a unit that
 * runs berthd (docs/berth-service.md says why each line is there). */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/group.h"
#include "cli/image/image.h"
#include "cli/service/service.h"

static const struct option opts[] = {
	{ "root", required_argument, NULL, 'r' },
	{ "run-root", required_argument, NULL, 'R' },
	{ 0 },
};

/* Characters systemd takes literally in an unquoted ExecStart word. */
static bool plain(const char *s)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789/._:@+=,-";

	return *s && strspn(s, safe) == strlen(s);
}

/* One ExecStart word: quoted when needed, with systemd's specifiers (%)
 * and variables ($) escaped so that the path is taken as it is. */
static void print_word(const char *s)
{
	if (plain(s)) {
		fputs(s, stdout);
		return;
	}
	putchar('"');
	for (; *s; s++) {
		if (*s == '%' || *s == '$')
			putchar(*s);
		else if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static int check_dir(const char *flag, const char *dir, berr_t *err)
{
	if (dir[0] != '/')
		return err_set(err, EINVAL, "generate systemd: %s '%s': expected an absolute path", flag, dir);
	if (strpbrk(dir, "\n\r"))
		return err_set(err, EINVAL, "generate systemd: %s: a line break cannot be in a unit", flag);
	return 0;
}

/* berthd is installed beside berth. */
static int berthd_path(char out[PATH_MAX], berr_t *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return err_sys(err, "generate systemd: /proc/self/exe");
	self[n] = 0;
	if (snprintf(out, PATH_MAX, "%s/berthd", dirname(self)) >= PATH_MAX)
		return err_set(err, ENAMETOOLONG, "generate systemd: berth's directory is too long");
	return check_dir("berth's directory", out, err);
}

static int systemd(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	const char *root = g->root, *run_root = g->run_root;
	char berthd[PATH_MAX];
	int c;

	while ((c = img_getopt_anywhere(argc, argv, "", opts)) != -1) {
		if (c == 'r')
			root = optarg;
		else if (c == 'R')
			run_root = optarg;
		else
			return img_bad_flag("generate systemd", c, argv, err);
	}
	if (optind != argc)
		return err_set(err, EINVAL, "generate systemd: takes no arguments");
	if (check_dir("--root", root, err) < 0 || check_dir("--run-root", run_root, err) < 0 ||
	    berthd_path(berthd, err) < 0)
		return -1;
	printf("[Unit]\nDescription=berth services daemon\n"
	       "After=network-online.target\nWants=network-online.target\n\n"
	       "[Service]\nType=notify\nNotifyAccess=main\nExecStart=");
	print_word(berthd);
	fputs(" --root ", stdout);
	print_word(root);
	fputs(" --run-root ", stdout);
	print_word(run_root);
	printf("\nRestart=always\nKillMode=process\n\n[Install]\nWantedBy=multi-user.target\n");
	return fflush(stdout) == 0 ? 0 : err_sys(err, "write standard output");
}

static const struct cli_sub subs[] = {
	{ "systemd", "generate systemd [--root DIR] [--run-root DIR]", systemd },
};

int svc_generate(struct berth_globals *g, int argc, char **argv, berr_t *err)
{
	return cli_group(g, "generate", subs, sizeof(subs) / sizeof(*subs), argc, argv, err);
}
