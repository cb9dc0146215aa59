/* A container's log: one entry a line, in the CRI format kubelet writes
 * and tools already parse,
 *
 *   2026-11-22T02:44:00.123456789Z stdout F the line
 *
 * (F: a full line; P: part of a line longer than LOG_LINE_MAX, continued in
 * the next entry of the same stream).  Lines are written whole, so stdout
 * and stderr never interleave mid-line.  The file is rotated by size:
 * <name> → <name>.1 → … → <name>.<files-1>. */
#ifndef BERTH_MONITOR_LOG_WRITER_H
#define BERTH_MONITOR_LOG_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define LOG_LINE_MAX 16384

struct log_file {
	int dirfd, fd;
	const char *name;
	uint64_t size, max_size; /* max_size 0: never rotated */
	unsigned max_files;      /* the live file included */
	size_t out_len;
	char out[2 * LOG_LINE_MAX]; /* entries not yet written */
};

struct log_stream {
	const char *name; /* "stdout" or "stderr" */
	size_t len;
	char buf[LOG_LINE_MAX];
};

/* Open (append) name in dirfd. */
int log_file_open(struct log_file *f, int dirfd, const char *name, uint64_t max_size,
		  unsigned max_files);

/* Add what the stream produced; every complete line is written (all of
 * them in one write), and a full buffer as a partial entry.  -1 with errno
 * when the disk fails. */
int log_stream_feed(struct log_file *f, struct log_stream *s, const char *data, size_t n,
		    const struct timespec *now);

/* The stream ended: what is left is written as a partial entry. */
int log_stream_flush(struct log_file *f, struct log_stream *s, const struct timespec *now);

/* "2026-11-22T02:44:00.123456789Z" into buf (at least 31 bytes). */
void log_timestamp(const struct timespec *t, char *buf, size_t len);

#endif
