/* Clients of the monitor socket (protocol in frames.h): attach clients get
 * the container's output and may send input; stop clients wait for the
 * monitor's end. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/frames.h"
#include "monitor/monitor.h"

void client_drop(struct client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->in);
	free(c->out);
	*c = (struct client){ .fd = -1 };
}

void client_add(struct monitor *m, int fd, bool attached)
{
	for (int i = 0; i < MONITOR_MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];

		if (c->fd >= 0)
			continue;
		c->in = malloc(FRAME_HEADER + FRAME_DATA_MAX);
		if (!c->in)
			break;
		c->fd = fd;
		c->handshaken = c->attached = attached;
		c->len = 0;
		clock_gettime(CLOCK_MONOTONIC, &c->since);
		return;
	}
	close(fd); /* too many clients: refused by closing */
}

void clients_accept(struct monitor *m)
{
	int fd = accept4(m->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd >= 0)
		client_add(m, fd, false);
}

static void stash(struct client *c, const unsigned char *h, const void *data, size_t len,
		  size_t sent)
{
	size_t total = FRAME_HEADER + len, need = total - sent;

	if (c->out_len + need > CLIENT_PENDING_MAX) {
		client_drop(c);
		return;
	}
	unsigned char *grown = realloc(c->out, c->out_len + need);

	if (!grown) {
		client_drop(c);
		return;
	}
	c->out = grown;
	if (!c->out_len)
		clock_gettime(CLOCK_MONOTONIC, &c->stuck_since);
	for (size_t i = sent; i < total; i++)
		c->out[c->out_len++] = i < FRAME_HEADER ? h[i] : ((const unsigned char *)data)[i - FRAME_HEADER];
}

/* Sent without blocking; what does not fit waits in the client's buffer
 * (see struct client). */
void clients_broadcast(struct monitor *m, int type, const void *data, size_t len)
{
	unsigned char h[FRAME_HEADER];

	frame_header(h, (enum frame_type)type, len);
	for (int i = 0; i < MONITOR_MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];
		struct iovec iov[2] = { { h, sizeof(h) }, { (void *)data, len } };
		struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
		ssize_t n = 0;

		if (c->fd < 0 || !c->attached)
			continue;
		if (!c->out_len) {
			n = sendmsg(c->fd, &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				client_drop(c);
				continue;
			}
			if (n == (ssize_t)(sizeof(h) + len))
				continue;
		}
		stash(c, h, data, len, n > 0 ? (size_t)n : 0);
	}
}

bool clients_expire(struct monitor *m)
{
	struct timespec now;
	bool waiting = false;

	clock_gettime(CLOCK_MONOTONIC, &now);
	for (int i = 0; i < MONITOR_MAX_CLIENTS; i++) {
		struct client *c = &m->clients[i];

		if (c->fd < 0 || c->handshaken)
			continue;
		if (now.tv_sec - c->since.tv_sec >= CLIENT_HELLO_S)
			client_drop(c);
		else
			waiting = true;
	}
	return waiting;
}

bool clients_pending(const struct monitor *m)
{
	for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
		if (m->clients[i].fd >= 0 && m->clients[i].out_len)
			return true;
	return false;
}

void clients_send_pending(struct monitor *m, struct client *c)
{
	struct timespec now;
	ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
			 MSG_DONTWAIT | MSG_NOSIGNAL);

	if (n < 0 && errno != EAGAIN && errno != EINTR) {
		client_drop(c);
		return;
	}
	if (n > 0)
		c->out_off += (size_t)n;
	if (c->out_off == c->out_len) {
		free(c->out);
		c->out = NULL;
		c->out_len = c->out_off = 0;
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (n > 0)
		c->stuck_since = now;
	else if (now.tv_sec - c->stuck_since.tv_sec >= CLIENT_STUCK_S)
		client_drop(c);
}

void clients_drain(struct monitor *m)
{
	struct timespec start, now;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (clients_pending(m)) {
		struct pollfd p[MONITOR_MAX_CLIENTS];

		for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
			p[i] = (struct pollfd){ m->clients[i].out_len ? m->clients[i].fd : -1, POLLOUT, 0 };
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - start.tv_sec >= CLIENT_STUCK_S || poll(p, MONITOR_MAX_CLIENTS, 1000) < 0)
			return;
		for (int i = 0; i < MONITOR_MAX_CLIENTS; i++)
			if (p[i].revents && m->clients[i].fd == p[i].fd)
				clients_send_pending(m, &m->clients[i]);
	}
}

void monitor_write_stdin(struct monitor *m, const unsigned char *data, size_t len)
{
	if (m->pty >= 0) {
		while (len > 0) {
			ssize_t w = write(m->pty, data, len);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return;
			data += w;
			len -= (size_t)w;
		}
		return;
	}
	if (m->stdin_w < 0 || m->pending_len)
		return;
	ssize_t w = write(m->stdin_w, data, len);

	if (w < 0 && errno != EAGAIN)
		return;
	if (w < 0)
		w = 0;
	if ((size_t)w < len && (m->pending = malloc(len - (size_t)w))) {
		/* Kept until the pipe has room; no more input is read from
		 * clients until then. */
		memcpy(m->pending, data + w, len - (size_t)w);
		m->pending_len = len - (size_t)w;
		m->pending_off = 0;
	}
}

static void resize(struct monitor *m, const unsigned char *data, size_t len)
{
	char text[32];
	unsigned rows, cols;

	if (len >= sizeof(text))
		return;
	memcpy(text, data, len);
	text[len] = 0;
	if (sscanf(text, "%u %u", &rows, &cols) != 2 || rows > 10000 || cols > 10000)
		return;
	m->rows = (unsigned short)rows;
	m->cols = (unsigned short)cols;
	monitor_apply_size(m);
}

void monitor_apply_size(struct monitor *m)
{
	struct winsize ws = { .ws_row = m->rows, .ws_col = m->cols };

	if (m->pty >= 0 && m->rows)
		ioctl(m->pty, TIOCSWINSZ, &ws);
}

static void frame(struct monitor *m, int type, const unsigned char *data, size_t len)
{
	switch (type) {
	case FRAME_STDIN:
		monitor_write_stdin(m, data, len);
		break;
	case FRAME_STDIN_EOF:
		if (m->stdin_w >= 0 && !m->pending_len) {
			close(m->stdin_w);
			m->stdin_w = -1;
		}
		break;
	case FRAME_RESIZE:
		resize(m, data, len);
		break;
	}
}

/* "attach" or "stop <seconds> <signal>". */
static int handshake(struct monitor *m, struct client *c)
{
	unsigned char *nl = memchr(c->in, '\n', c->len);
	unsigned timeout;
	int sig;
	char line[64];

	if (!nl)
		return c->len >= sizeof(line) ? -1 : 0;
	size_t n = (size_t)(nl - c->in);

	if (n >= sizeof(line))
		return -1;
	memcpy(line, c->in, n);
	line[n] = 0;
	memmove(c->in, nl + 1, c->len - n - 1);
	c->len -= n + 1;
	c->handshaken = true;
	if (!strcmp(line, "attach")) {
		c->attached = true;
		return 0;
	}
	if (sscanf(line, "stop %u %d", &timeout, &sig) == 2 && sig > 0 && sig < 65) {
		c->stopper = true;
		/* Taken: from now on, the end of the connection means stopped. */
		send(c->fd, "ok\n", 3, MSG_DONTWAIT | MSG_NOSIGNAL);
		monitor_request_stop(m, timeout, sig);
		return 0;
	}
	return -1;
}

/* Frames already received; input waits while stdin is full. */
void clients_process(struct monitor *m, struct client *c)
{
	while (c->fd >= 0 && c->attached && c->len >= FRAME_HEADER && !m->pending_len) {
		size_t len = frame_length(c->in);

		if (len > FRAME_DATA_MAX) {
			client_drop(c);
			return;
		}
		if (c->len < FRAME_HEADER + len)
			return;
		frame(m, c->in[0], c->in + FRAME_HEADER, len);
		memmove(c->in, c->in + FRAME_HEADER + len, c->len - FRAME_HEADER - len);
		c->len -= FRAME_HEADER + len;
	}
}

void clients_read(struct monitor *m, struct client *c)
{
	size_t room = FRAME_HEADER + FRAME_DATA_MAX - c->len;

	if (!room) /* a whole frame waits for stdin to take it */
		return;
	ssize_t n = read(c->fd, c->in + c->len, room);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		client_drop(c);
		return;
	}
	c->len += (size_t)n;
	if (!c->handshaken && handshake(m, c) < 0) {
		client_drop(c);
		return;
	}
	clients_process(m, c);
}
