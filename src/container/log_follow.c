/* Following a live log file (see log_follow.h). */
#include "container/log_follow.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int log_follow_open(struct log_follow *t, const char *dir, const char *name, off_t from,
		    berr_t *err)
{
	t->have = 0;
	snprintf(t->path, sizeof(t->path), "%s/%s", dir, name);
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0 || fstat(t->fd, &t->at) < 0 || lseek(t->fd, from, SEEK_SET) < 0) {
		err_sys(err, "follow %s", t->path);
		log_follow_close(t);
		return -1;
	}
	return 0;
}

/* Read once more into buf; hand the whole lines on.  Returns read's n. */
static ssize_t read_lines(struct log_follow *t, log_line_fn fn, void *ctx)
{
	ssize_t n = read(t->fd, t->buf + t->have, sizeof(t->buf) - t->have);
	char *p = t->buf, *nl;

	if (n <= 0)
		return n;
	t->have += (size_t)n;
	while ((nl = memchr(p, '\n', t->have - (size_t)(p - t->buf)))) {
		fn(ctx, p, (size_t)(nl - p));
		p = nl + 1;
	}
	t->have -= (size_t)(p - t->buf);
	memmove(t->buf, p, t->have);
	if (t->have == sizeof(t->buf))
		t->have = 0; /* not an entry: no line is this long */
	return n;
}

int log_follow_poll(struct log_follow *t, log_line_fn fn, void *ctx, berr_t *err)
{
	struct stat now;

	if (read_lines(t, fn, ctx) > 0)
		return 1;
	/* A single log file is truncated instead of rotated. */
	if (fstat(t->fd, &now) == 0 && lseek(t->fd, 0, SEEK_CUR) > now.st_size) {
		lseek(t->fd, 0, SEEK_SET);
		t->have = 0;
		return 1;
	}
	if (stat(t->path, &now) < 0 || now.st_ino == t->at.st_ino)
		return 0;
	/* Rotated: what was appended before the rename is read first. */
	if (read_lines(t, fn, ctx) > 0)
		return 1;
	close(t->fd);
	t->have = 0;
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (t->fd < 0 || fstat(t->fd, &t->at) < 0)
		return err_sys(err, "follow %s", t->path);
	return 1;
}

void log_follow_close(struct log_follow *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}
