/* The terminal side of an attach (run, run -d, attach): the monitor's
 * frames to stdout/stderr, this terminal's input and size to the monitor,
 * signals passed on to the container (docker's --sig-proxy), and the
 * detach keys ctrl-p ctrl-q. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cli/container/container.h"
#include "common/cleanup.h"
#include "common/fs.h"
#include "container/instance.h"
#include "container/monitor_client.h"
#include "runtime/container.h"

#define DETACH_1 0x10 /* ctrl-p */
#define DETACH_2 0x11 /* ctrl-q */

struct session {
	const struct attach_opts *o;
	int fd, sig_fd;
	bool input_open, raw, saw_ctrl_p, detached, done, started;
	struct termios saved;
	int code;
	struct frame f;
};

static void send_size(struct session *s)
{
	struct winsize ws;
	char text[32];
	berr_t err = NULL;

	if (!s->o->tty || ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) < 0)
		return;
	snprintf(text, sizeof(text), "%u %u", ws.ws_row, ws.ws_col);
	monitor_frame_write(s->fd, FRAME_RESIZE, text, strlen(text), &err);
	err_free(&err);
}

static void raw_mode(struct session *s)
{
	struct termios t;

	if (!s->o->tty || !isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &s->saved) < 0)
		return;
	t = s->saved;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		s->raw = true;
}

/* Without a terminal, a signal to berth is meant for the container. */
static void proxy_signal(struct session *s, int sig)
{
	berr_t err = NULL;

	instance_signal(s->o->roots->run, s->o->id, sig, &err);
	err_free(&err);
}

static int on_frame(struct session *s, berr_t *err)
{
	switch (s->f.type) {
	case FRAME_STDOUT:
	case FRAME_STDERR:
		if (!s->o->until_started &&
		    fs_write_all(s->f.type == FRAME_STDOUT ? STDOUT_FILENO : STDERR_FILENO, s->f.data,
			      s->f.len) < 0)
			return err_sys(err, "write the container's output");
		return 0;
	case FRAME_STARTED:
		s->started = true;
		s->done = s->o->until_started;
		return 0;
	case FRAME_ERROR:
		fprintf(stderr, "berth: %s\n", s->f.data);
		return 0;
	case FRAME_EXIT:
		s->code = atoi(s->f.data);
		s->done = !s->o->until_started || !s->started;
		return 0;
	}
	return 0;
}

/* Input from this terminal; with a tty, ctrl-p ctrl-q detaches. */
static int on_input(struct session *s, berr_t *err)
{
	char buf[FRAME_DATA_MAX];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && errno == EINTR)
		return 0;
	if (n <= 0) {
		s->input_open = false;
		return monitor_frame_write(s->fd, FRAME_STDIN_EOF, "", 0, err);
	}
	for (ssize_t i = 0; s->o->tty && i < n; i++) {
		if (s->saw_ctrl_p && buf[i] == DETACH_2) {
			s->detached = s->done = true;
			return 0;
		}
		s->saw_ctrl_p = buf[i] == DETACH_1;
	}
	return monitor_frame_write(s->fd, FRAME_STDIN, buf, (size_t)n, err);
}

static int on_signal(struct session *s)
{
	struct signalfd_siginfo si;

	while (read(s->sig_fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGWINCH)
			send_size(s);
		else if (!s->o->tty)
			proxy_signal(s, (int)si.ssi_signo);
	}
	return 0;
}

static int loop(struct session *s, berr_t *err)
{
	while (!s->done) {
		struct pollfd p[3] = {
			{ s->fd, POLLIN, 0 },
			{ s->input_open ? STDIN_FILENO : -1, POLLIN, 0 },
			{ s->sig_fd, POLLIN, 0 },
		};

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return err_sys(err, "attach");
		}
		if (p[0].revents) {
			int r = monitor_frame_read(s->fd, &s->f, err);

			if (r < 0)
				return -1;
			if (r == 1)
				return err_set(err, EPIPE, "the container's monitor went away (see berth ps)");
			if (on_frame(s, err) < 0)
				return -1;
		}
		if (p[1].revents && !s->done && on_input(s, err) < 0)
			return -1;
		if (p[2].revents)
			on_signal(s);
	}
	return 0;
}

int attach_session(int fd, const struct attach_opts *o, int *code, berr_t *err)
{
	struct session *s = calloc(1, sizeof(*s));
	sigset_t sigs, old;
	int r;

	if (!s)
		return err_sys(err, "attach");
	s->o = o;
	s->fd = fd;
	s->input_open = o->input && !o->until_started;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGWINCH);
	if (!o->tty && !o->until_started) {
		sigaddset(&sigs, SIGINT);
		sigaddset(&sigs, SIGTERM);
		sigaddset(&sigs, SIGHUP);
	}
	sigprocmask(SIG_BLOCK, &sigs, &old);
	s->sig_fd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
	if (!o->until_started) {
		raw_mode(s);
		send_size(s);
	}
	r = s->sig_fd < 0 ? err_sys(err, "signalfd") : loop(s, err);
	if (s->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &s->saved);
	if (s->sig_fd >= 0)
		close(s->sig_fd);
	sigprocmask(SIG_SETMASK, &old, NULL);
	*code = s->detached ? 0 : s->code;
	free(s);
	return r;
}
