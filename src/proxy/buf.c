/* Fixed-capacity byte buffers: each direction of a session has one, and
 * a full buffer stops reading from its source (backpressure). */
#include "proxy/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int buf_init(struct buf *b, size_t cap)
{
	b->data = malloc(cap);
	b->start = b->end = 0;
	b->cap = cap;
	return b->data ? 0 : -1;
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
}

size_t buf_room(struct buf *b)
{
	if (b->start > 0 && b->end == b->cap) {
		memmove(b->data, b->data + b->start, b->end - b->start);
		b->end -= b->start;
		b->start = 0;
	}
	return b->cap - b->end;
}

void buf_consume(struct buf *b, size_t n)
{
	b->start += n;
	if (b->start == b->end)
		b->start = b->end = 0;
}

bool buf_append(struct buf *b, const void *p, size_t n)
{
	if (b->cap - buf_len(b) < n)
		return false;
	if (b->cap - b->end < n) {
		memmove(b->data, b->data + b->start, buf_len(b));
		b->end -= b->start;
		b->start = 0;
	}
	memcpy(b->data + b->end, p, n);
	b->end += n;
	return true;
}

size_t buf_move(struct buf *dst, struct buf *src, size_t n)
{
	size_t room = buf_room(dst);

	if (n > room)
		n = room;
	if (n > buf_len(src))
		n = buf_len(src);
	memcpy(dst->data + dst->end, buf_head(src), n);
	dst->end += n;
	buf_consume(src, n);
	return n;
}

ssize_t buf_read(struct buf *b, int fd)
{
	size_t room = buf_room(b);
	ssize_t n;

	if (room == 0) {
		errno = EAGAIN;
		return -1;
	}
	do
		n = read(fd, b->data + b->end, room);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		b->end += (size_t)n;
	return n;
}

ssize_t buf_write(struct buf *b, int fd)
{
	ssize_t n;

	do
		n = send(fd, buf_head(b), buf_len(b), MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n > 0)
		buf_consume(b, (size_t)n);
	return n;
}
