/* berthd's side of berth-proxy: the proxy is a process of its own, started
 * detached (its own session, not berthd's child) so that traffic keeps
 * flowing while berthd is stopped, killed or upgraded; a new berthd finds
 * it by its control socket and takes over. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/unix_socket.h"
#include "daemon/proxy_client.h"

#define PROXY_REPLY_MAX (4u << 20)
#define PROXY_TIMEOUT_MS 5000

struct proxy_client {
	char sock[4200], bin[4200], log[4200], pidfile[4200];
	int fd;
	unsigned generation; /* connections made: a new one may be a new proxy */
};

static void proxy_exec(const struct proxy_client *pc)
{
	sigset_t none;
	int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int log = open(pc->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	char pid[32];

	sigemptyset(&none);
	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in < 0 || log < 0 || dup2(in, 0) < 0 || dup2(log, 1) < 0 || dup2(log, 2) < 0)
		_exit(127);
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	int pf = open(pc->pidfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (pf < 0 || write(pf, pid, strlen(pid)) < 0)
		_exit(127);
	execl(pc->bin, pc->bin, "--control", pc->sock, (char *)NULL);
	dprintf(2, "berthd: cannot run %s: %s\n", pc->bin, strerror(errno));
	_exit(127);
}

/* Double fork and setsid: the proxy belongs to no one in berthd. */
static int proxy_spawn(const struct proxy_client *pc, berr_t *err)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return err_sys(err, "fork for %s", pc->bin);
	if (pid == 0) {
		if (setsid() < 0)
			_exit(127);
		pid_t inner = fork();

		if (inner == 0)
			proxy_exec(pc);
		_exit(inner < 0 ? 127 : 0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_sys(err, "wait for %s", pc->bin);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0
		       ? 0 : err_set(err, 0, "%s could not be started", pc->bin);
}

static int try_connect(struct proxy_client *pc)
{
	berr_t err = NULL;
	int r = unix_connect(pc->sock, "berth-proxy control socket", &pc->fd, &err);

	err_free(&err);
	if (r == 0)
		pc->generation++;
	return r;
}

unsigned proxy_client_generation(const struct proxy_client *pc)
{
	return pc->generation;
}

/* The proxy that runs, or a new one; up to 3 s for it to listen. */
static int proxy_connect(struct proxy_client *pc, berr_t *err)
{
	if (pc->fd >= 0 || try_connect(pc) == 0)
		return 0;
	if (proxy_spawn(pc, err) < 0)
		return -1;
	for (int i = 0; i < 300; i++) {
		if (try_connect(pc) == 0)
			return 0;
		nanosleep(&(struct timespec){ 0, 10000000 }, NULL);
	}
	return err_set(err, 0, "%s did not open %s (see %s)", pc->bin, pc->sock, pc->log);
}

int proxy_client_open(const char *run_root, const char *bin, struct proxy_client **out,
		      berr_t *err)
{
	struct proxy_client *pc = calloc(1, sizeof(*pc));

	if (!pc)
		return err_sys(err, "proxy client");
	pc->fd = -1;
	snprintf(pc->sock, sizeof(pc->sock), "%s/proxy.sock", run_root);
	snprintf(pc->log, sizeof(pc->log), "%s/proxy.log", run_root);
	snprintf(pc->pidfile, sizeof(pc->pidfile), "%s/proxy.pid", run_root);
	snprintf(pc->bin, sizeof(pc->bin), "%s", bin);
	*out = pc;
	return proxy_connect(pc, err);
}

void proxy_client_close(struct proxy_client *pc)
{
	if (!pc)
		return;
	if (pc->fd >= 0)
		close(pc->fd);
	free(pc);
}

static int send_line(int fd, const char *line, berr_t *err)
{
	size_t len = strlen(line), off = 0;

	while (off < len) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return err_sys(err, "berth-proxy control socket");
		off += (size_t)w;
	}
	return 0;
}

static int read_line(int fd, char **out, berr_t *err)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);

	if (!buf)
		return err_sys(err, "berth-proxy reply");
	for (;;) {
		struct pollfd p = { fd, POLLIN, 0 };
		int pr = poll(&p, 1, PROXY_TIMEOUT_MS);

		if (pr <= 0) {
			free(buf);
			return pr == 0 ? err_set(err, ETIMEDOUT, "berth-proxy did not answer")
				       : err_sys(err, "berth-proxy control socket");
		}
		if (len + 1 >= cap) {
			char *bigger = cap < PROXY_REPLY_MAX ? realloc(buf, cap * 2) : NULL;

			if (!bigger) {
				free(buf);
				return err_set(err, EMSGSIZE, "berth-proxy reply too long");
			}
			buf = bigger;
			cap *= 2;
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);

		if (n <= 0) {
			free(buf);
			return n == 0 ? err_set(err, ECONNRESET, "berth-proxy closed its control socket")
				      : err_sys(err, "berth-proxy control socket");
		}
		len += (size_t)n;
		buf[len] = '\0';
		if (memchr(buf, '\n', len)) {
			*out = buf;
			return 0;
		}
	}
}

static int exchange(struct proxy_client *pc, const char *line, json_t **reply, berr_t *err)
{
	cleanup_free char *text = NULL;
	json_error_t jerr;

	if (proxy_connect(pc, err) < 0 || send_line(pc->fd, line, err) < 0 ||
	    read_line(pc->fd, &text, err) < 0)
		return -1;
	if (!(*reply = json_loads(text, JSON_DISABLE_EOF_CHECK, &jerr)))
		return err_set(err, EPROTO, "berth-proxy reply: %s", jerr.text);
	if (!json_is_true(json_object_get(*reply, "ok"))) {
		const char *e = json_string_value(json_object_get(*reply, "error"));

		json_decref(*reply);
		*reply = NULL;
		return err_set(err, EINVAL, "berth-proxy: %s", e ? e : "refused");
	}
	return 0;
}

int proxy_client_call(struct proxy_client *pc, json_t *req, json_t **reply, berr_t *err)
{
	cleanup_free char *line = json_dumps(req, JSON_COMPACT);
	cleanup_free char *nl = NULL;

	*reply = NULL;
	if (!line || asprintf(&nl, "%s\n", line) < 0)
		return err_sys(err, "berth-proxy request");
	if (exchange(pc, nl, reply, err) == 0)
		return 0;
	if (err && (*err)->errnum == EINVAL) /* the proxy said no: no retry helps */
		return -1;
	/* A proxy restarted since: one new connection. */
	if (pc->fd >= 0)
		close(pc->fd);
	pc->fd = -1;
	err_free(err);
	return exchange(pc, nl, reply, err);
}
