/* The monitor's log writer (see log_writer.h).  Writes are blocking: a
 * container writing faster than the disk fills its pipe and waits, which
 * slows it down instead of losing lines. */
#include "monitor/log_writer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void log_timestamp(const struct timespec *t, char *buf, size_t len)
{
	struct tm tm;

	gmtime_r(&t->tv_sec, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)t->tv_nsec);
}

int log_file_open(struct log_file *f, int dirfd, const char *name, uint64_t max_size,
		  unsigned max_files)
{
	struct stat st;

	f->dirfd = dirfd;
	f->name = name;
	f->max_size = max_size;
	f->max_files = max_files ? max_files : 1;
	f->out_len = 0;
	f->fd = openat(dirfd, name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640);
	if (f->fd < 0 || fstat(f->fd, &st) < 0)
		return -1;
	f->size = (uint64_t)st.st_size;
	return 0;
}

/* Shift the old files up by one and start a new live file.  With a single
 * file the live one is truncated. */
static int rotate(struct log_file *f)
{
	char from[256], to[256];

	for (unsigned i = f->max_files - 1; i >= 1; i--) {
		snprintf(to, sizeof(to), "%s.%u", f->name, i);
		if (i == 1)
			snprintf(from, sizeof(from), "%s", f->name);
		else
			snprintf(from, sizeof(from), "%s.%u", f->name, i - 1);
		if (renameat(f->dirfd, from, f->dirfd, to) < 0 && errno != ENOENT)
			return -1;
	}
	if (f->max_files == 1)
		return ftruncate(f->fd, 0) < 0 ? -1 : (f->size = 0, 0);
	close(f->fd);
	f->size = 0;
	f->fd = openat(f->dirfd, f->name, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW,
		       0640);
	return f->fd < 0 ? -1 : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* Entries gathered so far, in one write: a chatty container costs one
 * write per read of its pipe, not one per line. */
static int flush_out(struct log_file *f)
{
	int r = write_all(f->fd, f->out, f->out_len);

	f->out_len = 0;
	return r;
}

static int write_entry(struct log_file *f, const char *stream, char tag, const char *line,
		       size_t len, const struct timespec *now)
{
	char head[64];
	int hl;

	log_timestamp(now, head, 40);
	hl = (int)strlen(head);
	hl += snprintf(head + hl, sizeof(head) - (size_t)hl, " %s %c ", stream, tag);
	size_t total = (size_t)hl + len + 1;

	if (f->max_size && f->size && f->size + total > f->max_size &&
	    (flush_out(f) < 0 || rotate(f) < 0))
		return -1;
	if (f->out_len + total > sizeof(f->out) && flush_out(f) < 0)
		return -1;
	/* An entry is at most 64 + LOG_LINE_MAX + 1 bytes: it always fits. */
	memcpy(f->out + f->out_len, head, (size_t)hl);
	memcpy(f->out + f->out_len + hl, line, len);
	f->out[f->out_len + (size_t)hl + len] = '\n';
	f->out_len += total;
	f->size += total;
	return 0;
}

int log_stream_feed(struct log_file *f, struct log_stream *s, const char *data, size_t n,
		    const struct timespec *now)
{
	while (n > 0) {
		size_t room = sizeof(s->buf) - s->len, take = n < room ? n : room;

		memcpy(s->buf + s->len, data, take);
		s->len += take;
		data += take;
		n -= take;
		size_t start = 0;

		for (char *nl; (nl = memchr(s->buf + start, '\n', s->len - start));) {
			size_t end = (size_t)(nl - s->buf);

			if (write_entry(f, s->name, 'F', s->buf + start, end - start, now) < 0)
				return -1;
			start = end + 1;
		}
		if (start == 0 && s->len == sizeof(s->buf)) {
			if (write_entry(f, s->name, 'P', s->buf, s->len, now) < 0)
				return -1;
			start = s->len;
		}
		memmove(s->buf, s->buf + start, s->len - start);
		s->len -= start;
	}
	return flush_out(f);
}

int log_stream_flush(struct log_file *f, struct log_stream *s, const struct timespec *now)
{
	if (!s->len)
		return 0;
	int r = write_entry(f, s->name, 'P', s->buf, s->len, now);

	s->len = 0;
	return r < 0 ? -1 : flush_out(f);
}
