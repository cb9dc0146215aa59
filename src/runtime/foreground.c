#include "runtime/foreground.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* Every catchable signal is forwarded, as runc does, except SIGCHLD (ours)
 * and SIGWINCH (applied to the relayed terminal). */
static void forwarded_set(sigset_t *set)
{
	sigfillset(set);
	sigdelset(set, SIGKILL);
	sigdelset(set, SIGSTOP);
	sigdelset(set, SIGSEGV);
	sigdelset(set, SIGBUS);
	sigdelset(set, SIGILL);
	sigdelset(set, SIGFPE);
}

static void relay_start(struct foreground *r)
{
	struct termios t;

	if (r->master < 0 || !isatty(STDIN_FILENO) ||
	    tcgetattr(STDIN_FILENO, &r->saved) < 0)
		return;
	t = r->saved;
	cfmakeraw(&t);
	r->raw = tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0;
}

static void relay_stop(struct foreground *r)
{
	if (r->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &r->saved);
	r->raw = false;
}

static void copy_winsize(int master)
{
	struct winsize ws;

	if (master >= 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(master, TIOCSWINSZ, &ws);
}

static bool copy_once(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));

	if (n <= 0)
		return n < 0 && errno == EINTR;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return false;
		off += w;
	}
	return true;
}

/* Returns 1 when the init exited (status in *status). */
static int handle_signal(int sfd, pid_t init, struct foreground *r, int *status)
{
	struct signalfd_siginfo si;

	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGWINCH) {
		copy_winsize(r->master);
		return 0;
	}
	if (si.ssi_signo != SIGCHLD) {
		kill(init, (int)si.ssi_signo);
		return 0;
	}
	return waitpid(init, status, WNOHANG) == init;
}

static int wait_init(pid_t init, int sfd, struct foreground *r, int *status)
{
	for (;;) {
		struct pollfd p[3] = {
			{ .fd = sfd, .events = POLLIN },
			{ .fd = r->master, .events = POLLIN },
			{ .fd = r->stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
		};

		int n = poll(p, 3, 1000);

		if (n < 0 && errno != EINTR)
			return -1;
		/* SIGCHLDs coalesce (hooks are children too): look anyway. */
		if (n == 0 && waitpid(init, status, WNOHANG) == init)
			break;
		if (n > 0 && (p[0].revents & POLLIN) &&
		    handle_signal(sfd, init, r, status))
			break;
		if (p[1].revents & (POLLIN | POLLHUP) &&
		    !copy_once(r->master, STDOUT_FILENO))
			r->master = -1;
		if (p[2].revents & (POLLIN | POLLHUP) &&
		    !copy_once(STDIN_FILENO, r->master))
			r->stdin_open = false;
	}
	/* Drain what the container wrote before it exited. */
	while (r->master >= 0 && copy_once(r->master, STDOUT_FILENO)) {
		struct pollfd p = { .fd = r->master, .events = POLLIN };

		if (poll(&p, 1, 0) <= 0 || !(p.revents & POLLIN))
			break;
	}
	return 0;
}

int foreground_begin(struct foreground *fg, int master, berr_t *err)
{
	sigset_t set;

	memset(fg, 0, sizeof(*fg));
	fg->master = master;
	fg->stdin_open = master >= 0;
	forwarded_set(&set);
	if (sigprocmask(SIG_BLOCK, &set, &fg->old) < 0)
		return err_sys(err, "block signals");
	fg->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (fg->sfd < 0) {
		sigprocmask(SIG_SETMASK, &fg->old, NULL);
		return err_sys(err, "signalfd");
	}
	copy_winsize(master);
	relay_start(fg);
	return 0;
}

int foreground_wait(struct foreground *fg, pid_t pid, int *status,
		    berr_t *err)
{
	if (wait_init(pid, fg->sfd, fg, status) < 0)
		return err_sys(err, "wait for process %d", pid);
	return 0;
}

void foreground_end(struct foreground *fg)
{
	relay_stop(fg);
	sigprocmask(SIG_SETMASK, &fg->old, NULL);
	close(fg->sfd);
	fg->sfd = -1;
}
