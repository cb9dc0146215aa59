/* The epoll loop, its clock and the watches it dispatches to. */
#include "proxy/loop.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "proxy/session.h"

/* How often deadlines are checked: timeouts are this much late at most. */
#define TICK_MS 50

static int64_t now;

/* Read once per loop iteration, after epoll_wait: a request takes several
 * timestamps (deadlines, latency, backend picks) and every one of them
 * only needs to know when its batch of events arrived. */
static void clock_read(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t now_us(void)
{
	return now;
}

int watch_set(struct proxy *px, struct watch *w, uint32_t events, berr_t *err)
{
	struct epoll_event ev = { .events = events, .data.ptr = w };
	int op = !w->events && events ? EPOLL_CTL_ADD : w->events && !events ? EPOLL_CTL_DEL
							     : EPOLL_CTL_MOD;

	if (w->events == events || (!w->events && !events))
		return 0;
	if (epoll_ctl(px->epfd, op, w->fd, &ev) < 0)
		return err_sys(err, "epoll_ctl fd %d", w->fd);
	w->events = events;
	return 0;
}

void watch_close(struct proxy *px, struct watch *w)
{
	if (w->fd < 0)
		return;
	if (w->events)
		epoll_ctl(px->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	close(w->fd);
	w->fd = -1;
	w->events = 0;
}

static bool stop;
static struct watch *dead;

void watch_free(struct watch *w, void *obj)
{
	w->dead_obj = obj;
	w->dead_next = dead;
	dead = w;
}

static void free_dead(void)
{
	while (dead) {
		struct watch *w = dead;

		dead = w->dead_next;
		free(w->dead_obj);
	}
}

static void on_signal(struct watch *w, uint32_t events)
{
	struct signalfd_siginfo si;

	if (read(w->fd, &si, sizeof(si)) == sizeof(si))
		stop = true;
}

int loop_run(struct proxy *px, berr_t *err)
{
	struct watch sig = { .fd = -1, .on_event = on_signal };
	struct epoll_event evs[256];
	int64_t last_tick;
	sigset_t set;
	int r = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return err_sys(err, "sigprocmask");
	if ((sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC)) < 0)
		return err_sys(err, "signalfd");
	if (watch_set(px, &sig, EPOLLIN, err) < 0) {
		close(sig.fd);
		return -1;
	}
	clock_read();
	last_tick = now;
	while (!stop) {
		int n = epoll_wait(px->epfd, evs, sizeof(evs) / sizeof(*evs), TICK_MS);

		if (n < 0 && errno != EINTR) {
			r = err_sys(err, "epoll_wait");
			break;
		}
		clock_read();
		for (int i = 0; i < n; i++) {
			struct watch *w = evs[i].data.ptr;

			if (w->fd >= 0)
				w->on_event(w, evs[i].events);
		}
		if (now - last_tick >= TICK_MS * 1000) {
			last_tick = now;
			sessions_tick(px, now);
		}
		free_dead();
	}
	free_dead();
	watch_close(px, &sig);
	return r;
}
