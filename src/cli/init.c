/* berth-init: the tiny init `berth run --init` puts in front of the
 * container's command.  As pid 1 it reaps every orphan (zombies do not pile
 * up), forwards the signals it gets to the command, and exits with the
 * command's code.  It is the berth binary itself (static), copied into the
 * container's writable layer, so it runs in any image. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli/init.h"

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* Reap everything that exited; 1 when the command was among them. */
static int reap(pid_t child, int *code)
{
	int status, done = 0;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		if (pid == child) {
			*code = exit_code(status);
			done = 1;
		}
	return done;
}

static _Noreturn void run_child(char **argv, const sigset_t *old)
{
	sigprocmask(SIG_SETMASK, old, NULL);
	execvp(argv[0], argv);
	fprintf(stderr, "berth-init: exec '%s': %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

int berth_init_main(int argc, char **argv)
{
	sigset_t all, old;
	int code = 0;
	pid_t child;

	if (argc > 1 && !strcmp(argv[1], "--"))
		argv++, argc--;
	if (argc < 2) {
		fprintf(stderr, "berth-init: usage: berth-init [--] COMMAND [ARG...]\n");
		return 125;
	}
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	child = fork();
	if (child < 0) {
		perror("berth-init: fork");
		return 125;
	}
	if (child == 0)
		run_child(argv + 1, &old);
	for (;;) {
		siginfo_t si;

		if (sigwaitinfo(&all, &si) < 0)
			continue;
		if (si.si_signo != SIGCHLD)
			kill(child, si.si_signo);
		else if (reap(child, &code))
			return code;
	}
}
