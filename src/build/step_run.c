/* RUN: a container of the stage so far runs the command with the
 * runtime in this process; its writable layer becomes the step's layer.
 * Its output is streamed, and also kept in the container's directory so
 * a failure can show its last lines. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/steps.h"
#include "common/cleanup.h"
#include "common/strv.h"
#include "container/foreground.h"
#include "image/layer_pack.h"

#define TAIL_LINES 10
#define TAIL_BYTES 4096

/* The argv a RUN runs: its exec form, or its shell form through the
 * stage's SHELL. */
static char **run_argv(const struct stage *st, const struct df_instruction *in)
{
	json_t *shell, *v;
	char **argv = NULL;
	size_t i;

	if (in->argv) {
		for (i = 0; in->argv[i]; i++)
			if (strv_push(&argv, in->argv[i]) < 0)
				break;
		return argv ? argv : calloc(1, sizeof(char *));
	}
	shell = metadata_shell_form(&st->meta, in->args);
	json_array_foreach(shell, i, v)
		if (strv_push(&argv, json_string_value(v)) < 0)
			break;
	json_decref(shell);
	return argv;
}

/* A child copies the container's output to ours and to log: the run's
 * output streams while it happens and is there afterwards. */
static pid_t start_tee(int in, int writer, int log, bool quiet)
{
	pid_t pid = fork();
	char buf[8192];
	ssize_t n;

	if (pid != 0)
		return pid;
	close(writer); /* or this reader would never see the end */
	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write(log, buf, (size_t)n) != n)
			_exit(1);
		if (!quiet && write(STDOUT_FILENO, buf, (size_t)n) < 0)
			quiet = true; /* a closed stdout must not stop the log */
	}
	_exit(0);
}

struct redirect {
	int saved_out, saved_err;
	pid_t tee;
};

static int redirect_output(struct redirect *r, int log, bool quiet, berr_t *err)
{
	int p[2];

	fflush(stdout);
	fflush(stderr);
	if (pipe2(p, O_CLOEXEC) < 0)
		return err_sys(err, "RUN: pipe");
	r->tee = start_tee(p[0], p[1], log, quiet);
	close(p[0]);
	r->saved_out = dup(STDOUT_FILENO);
	r->saved_err = dup(STDERR_FILENO);
	if (r->tee < 0 || r->saved_out < 0 || r->saved_err < 0 ||
	    dup2(p[1], STDOUT_FILENO) < 0 || dup2(p[1], STDERR_FILENO) < 0) {
		close(p[1]);
		return err_sys(err, "RUN: redirect the output");
	}
	close(p[1]);
	return 0;
}

static void restore_output(struct redirect *r)
{
	int status;

	fflush(stdout);
	fflush(stderr);
	if (r->saved_out >= 0)
		dup2(r->saved_out, STDOUT_FILENO);
	if (r->saved_err >= 0)
		dup2(r->saved_err, STDERR_FILENO);
	if (r->saved_out >= 0)
		close(r->saved_out);
	if (r->saved_err >= 0)
		close(r->saved_err);
	/* The pipe's last writer is gone: the tee sees EOF and ends. */
	if (r->tee > 0)
		while (waitpid(r->tee, &status, 0) < 0 && errno == EINTR)
			;
}

/* The last lines of the log, for the error report. */
static void print_tail(int log)
{
	char buf[TAIL_BYTES + 1];
	off_t end = lseek(log, 0, SEEK_END);
	off_t from = end > TAIL_BYTES ? end - TAIL_BYTES : 0;
	ssize_t n = pread(log, buf, TAIL_BYTES, from);
	int lines = 0;
	char *p;

	if (n <= 0)
		return;
	buf[n] = '\0';
	for (p = buf + n; p > buf; p--)
		if (p[-1] == '\n' && p != buf + n && ++lines == TAIL_LINES)
			break;
	fprintf(stderr, "--- the last lines of its output ---\n%s%s", p,
		buf[n - 1] == '\n' ? "" : "\n");
}

static int run_container(struct build *b, struct stage *st, struct fg_container *c,
			 struct run_options *o, int log, berr_t *err)
{
	struct redirect r = { -1, -1, -1 };
	int code = 0, res;

	if (fg_prepare(c, &b->store, &st->view, o, 0, err) < 0)
		return -1;
	if (redirect_output(&r, log, b->o->quiet, err) < 0) {
		restore_output(&r);
		return -1;
	}
	res = fg_launch(c, o, b->o->run_root, &code, err);
	restore_output(&r);
	if (res < 0)
		return -1;
	if (code != 0) {
		print_tail(log);
		return err_set(err, ECHILD, "RUN: the command exited with code %d", code);
	}
	return 0;
}

/* History as docker's builder writes it: "RUN |1 V=1 /bin/sh -c cmd",
 * the build arguments it saw first. */
static char *created_by(char *const *argv, char *const *env)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	if (!f)
		return NULL;
	fputs("RUN ", f);
	if (env[0])
		fprintf(f, "|%zu ", strv_len(env));
	for (char *const *e = env; *e; e++)
		fprintf(f, "%s ", *e);
	for (char *const *a = argv; *a; a++)
		fprintf(f, "%s%s", *a, a[1] ? " " : "");
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* Pack the container's writable layer into the stage. */
static int keep_layer(struct build *b, struct stage *st, struct fg_container *c,
		      const char *history, berr_t *err)
{
	char upper[sizeof(c->dir) + 8], blob[DIGEST_MAX];
	cleanup_close int fd = -1;

	if (fg_unmount(c, err) < 0)
		return -1;
	snprintf(upper, sizeof(upper), "%s/upper", c->dir);
	fd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return err_sys(err, "RUN: open its writable layer");
	if (layer_pack(&b->store, fd, blob, NULL, err) < 0)
		return -1;
	return stage_add_layer(st, blob, history, err);
}

int step_run(struct build *b, struct stage *st, const struct df_instruction *in,
	     berr_t *err)
{
	cleanup_strv char **argv = run_argv(st, in), **env = build_arg_env(b);
	struct run_options o = { .network = b->o->network ? b->o->network : "host",
				 .rm = true, .entrypoint = "", .entrypoint_set = true,
				 .command = argv, .env = env, .image = "(the image being built)" };
	cleanup_free char *history = argv && env ? created_by(argv, env) : NULL;
	struct fg_container c = { 0 };
	/* The output on disk, not in memory: a build may print a lot. */
	cleanup_close int log = openat(b->store.rootfd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC,
				       0600);
	int r;

	if (!argv || !argv[0] || !env || !history)
		return err_set(err, ENOMEM, "RUN: out of memory");
	if (log < 0)
		return err_sys(err, "RUN: a file for its output in '%s/tmp'", b->store.root);
	if (in->flags[0])
		return err_set(err, EINVAL, "RUN %s: flags are not supported", in->flags[0]);
	if (stage_view(st, err) < 0)
		return -1;
	r = run_container(b, st, &c, &o, log, err);
	if (r == 0)
		r = keep_layer(b, st, &c, history, err);
	fg_cleanup(&c, true);
	return r;
}
