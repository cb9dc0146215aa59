/* berthd [--root DIR] [--run-root DIR] [--listen IP:PORT --token-file FILE]
 *
 * The services supervisor, in the foreground (systemd Type=notify: READY=1
 * once the API listens and the replicas were found).  SIGTERM ends berthd
 * alone: replicas, their monitors and berth-proxy go on serving. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/elf.h"
#include "common/fs.h"
#include "common/proc.h"
#include "daemon/api.h"
#include "daemon/children.h"
#include "daemon/probes.h"
#include "daemon/proxy_client.h"
#include "daemon/replica_start.h"

#define TURN_NS 200000000 /* a turn of supervision five times a second */

enum { TAG_SIGNAL = 1, TAG_TIMER = 2 };

struct berthd_opts {
	const char *listen, *token_file;
};

uint64_t berthd_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static int usage(void)
{
	fprintf(stderr, "usage: berthd [--root DIR] [--run-root DIR] [--listen IP:PORT --token-file FILE]\n");
	return 2;
}

static int parse(int argc, char **argv, struct berthd *d, struct berthd_opts *o)
{
	static const struct option opts[] = {
		{ "root", required_argument, NULL, 'r' },
		{ "run-root", required_argument, NULL, 'R' },
		{ "listen", required_argument, NULL, 'l' },
		{ "token-file", required_argument, NULL, 't' },
		{ 0 },
	};
	int c;

	d->root = getenv("BERTH_ROOT") ? getenv("BERTH_ROOT") : "/var/lib/berth";
	d->run_root = getenv("BERTH_RUN_ROOT") ? getenv("BERTH_RUN_ROOT") : "/run/berth";
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': d->root = optarg; break;
		case 'R': d->run_root = optarg; break;
		case 'l': o->listen = optarg; break;
		case 't': o->token_file = optarg; break;
		default: return -1;
		}
	}
	return optind == argc ? 0 : -1;
}

/* berth and berth-proxy are installed next to berthd. */
static int sibling_paths(struct berthd *d, berr_t *err)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n < 0)
		return err_sys(err, "/proc/self/exe");
	self[n] = '\0';
	char *dir = dirname(self);

	snprintf(d->berth, sizeof(d->berth), "%s/berth", dir);
	snprintf(d->proxy_bin, sizeof(d->proxy_bin), "%s/berth-proxy", dir);
	cleanup_close int fd = open(d->berth, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || access(d->berth, X_OK) < 0)
		return err_sys(err, "%s", d->berth);
	/* berth's --init copies berth into the container: only a static
	 * berth runs there (the sanitizer build is dynamic). */
	d->init = elf_linked_statically(fd);
	if (!d->init)
		fprintf(stderr, "berthd: %s is linked dynamically: replicas run without --init (a pid 1 without a SIGTERM handler is stopped by SIGKILL after its grace period)\n",
			d->berth);
	return 0;
}

/* One berthd per store: a second one would start every replica twice. */
static int lock_instance(const struct berthd *d, int *fd, berr_t *err)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/berthd.lock", d->run_root);
	if ((*fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
		return err_sys(err, "%s", path);
	if (flock(*fd, LOCK_EX | LOCK_NB) < 0)
		return errno == EWOULDBLOCK ? err_set(err, EBUSY, "another berthd runs on %s", d->run_root)
					    : err_sys(err, "%s", path);
	return 0;
}

static int setup_loop(struct berthd *d, berr_t *err)
{
	sigset_t set;
	struct itimerspec every = { { 0, TURN_NS }, { 0, TURN_NS } };

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0 ||
	    (d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    (d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0 ||
	    timerfd_settime(d->timerfd, 0, &every, NULL) < 0 ||
	    (d->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return err_sys(err, "berthd event loop");
	struct epoll_event s = { .events = EPOLLIN, .data.u64 = TAG_SIGNAL };
	struct epoll_event t = { .events = EPOLLIN, .data.u64 = TAG_TIMER };

	if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->sigfd, &s) < 0 ||
	    epoll_ctl(d->epfd, EPOLL_CTL_ADD, d->timerfd, &t) < 0)
		return err_sys(err, "epoll");
	return 0;
}

static void child_done(struct berthd *d, pid_t pid, int code)
{
	enum child_kind kind;
	char *service, id[65];

	if (!child_take(pid, &kind, &service, id))
		return;
	struct svc *s = svc_find(d, service);
	struct replica *r = *id ? replica_find(d, id) : NULL;

	if (kind == CHILD_START && s)
		replica_start_ended(d, s, code);
	else if (kind == CHILD_PROBE && r)
		probe_ended(d, r, code);
	else if (kind == CHILD_RETIRE && r)
		replica_job_ended(d, r, code);
	free(service);
}

static void on_signal(struct berthd *d)
{
	struct signalfd_siginfo si;
	int status;
	pid_t pid;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si))
		if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)
			d->stopping = true;
	d->now_ns = berthd_now();
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		child_done(d, pid, proc_exit_code(status));
}

static void turn(struct berthd *d)
{
	berr_t err = NULL;
	uint64_t ticks;

	if (read(d->timerfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
		return;
	d->now_ns = berthd_now();
	if (replicas_scan(d, &err) < 0) {
		fprintf(stderr, "berthd: %s\n", err_msg(err));
		err_free(&err);
		return;
	}
	probes_run(d);
	supervise(d);
	api_turn(d);
}

/* systemd's readiness protocol, written by hand: one datagram. */
static void notify_ready(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t len;

	if (!path || !*path || (len = strlen(path)) >= sizeof(sa.sun_path))
		return;
	memcpy(sa.sun_path, path, len);
	if (sa.sun_path[0] == '@')
		sa.sun_path[0] = '\0'; /* an abstract socket */
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	if (sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&sa,
		   (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len)) < 0)
		fprintf(stderr, "berthd: NOTIFY_SOCKET %s: %s\n", path, strerror(errno));
	close(fd);
}

static int start(struct berthd *d, const struct berthd_opts *o, int *lock, berr_t *err)
{
	if (sibling_paths(d, err) < 0 || fs_mkdir_p(d->run_root, 0700, err) < 0 ||
	    fs_mkdir_p(d->root, 0700, err) < 0 || lock_instance(d, lock, err) < 0 ||
	    setup_loop(d, err) < 0 || svc_store_open(d->root, &d->store, err) < 0 ||
	    proxy_client_open(d->run_root, d->proxy_bin, &d->proxy, err) < 0 ||
	    svcs_load(d, true, err) < 0)
		return -1;
	d->now_ns = berthd_now();
	if (replicas_scan(d, err) < 0 || api_open(d, o->listen, o->token_file, err) < 0)
		return -1;
	berthd_event(d, NULL, "start", "berthd started: %zu services, %zu replicas found", d->n_svcs,
		     d->n_reps);
	notify_ready();
	return 0;
}

static void run(struct berthd *d)
{
	struct epoll_event ev[32];

	while (!d->stopping) {
		int n = epoll_wait(d->epfd, ev, 32, -1);

		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag == TAG_SIGNAL)
				on_signal(d);
			else if (tag == TAG_TIMER)
				turn(d);
			else
				api_event(d, tag, ev[i].events);
		}
	}
}

int main(int argc, char **argv)
{
	struct berthd d = { .epfd = -1, .sigfd = -1, .timerfd = -1 };
	struct berthd_opts o = { 0 };
	cleanup_close int lock = -1;
	berr_t err = NULL;
	int rc = 0;

	if (parse(argc, argv, &d, &o) < 0)
		return usage();
	srand((unsigned)berthd_now());
	if (start(&d, &o, &lock, &err) < 0) {
		err_print(stderr, "berthd", err);
		err_free(&err);
		rc = 1;
	} else {
		run(&d);
		berthd_event(&d, NULL, "stop", "berthd stopped; replicas and berth-proxy go on");
	}
	api_close(&d);
	children_free();
	proxy_client_close(d.proxy);
	replicas_free(&d);
	svcs_free(&d);
	svc_store_close(d.store);
	return rc;
}
