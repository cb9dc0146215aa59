/* Fixed-capacity byte buffers between sockets. */
#ifndef BERTH_PROXY_BUF_H
#define BERTH_PROXY_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct buf {
	char *data;
	size_t start, end, cap;
};

int buf_init(struct buf *b, size_t cap);
void buf_free(struct buf *b);

static inline size_t buf_len(const struct buf *b)
{
	return b->end - b->start;
}

static inline const char *buf_head(const struct buf *b)
{
	return b->data + b->start;
}

/* Room left at the end, after moving the content to the front. */
size_t buf_room(struct buf *b);
void buf_consume(struct buf *b, size_t n);
/* Append n bytes: false (nothing appended) when they do not fit. */
bool buf_append(struct buf *b, const void *p, size_t n);
/* Move up to n bytes from src to dst: how many moved. */
size_t buf_move(struct buf *dst, struct buf *src, size_t n);

/* read(2) into the room: bytes read, 0 at end of file, -1 with errno
 * (EAGAIN included). */
ssize_t buf_read(struct buf *b, int fd);
/* send(2) from the content: bytes sent, -1 with errno. */
ssize_t buf_write(struct buf *b, int fd);

#endif
