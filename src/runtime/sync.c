#include "runtime/sync.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/cleanup.h"

/* No message is legitimately larger than a state JSON with annotations. */
#define SYNC_MAX_PAYLOAD (4u << 20)

struct sync_header {
	uint32_t type;
	uint32_t len;
};

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EPIPE;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int sync_send(int fd, enum sync_type type, const void *data, size_t len,
	      berr_t *err)
{
	struct sync_header h = { .type = type, .len = (uint32_t)len };

	if (len > SYNC_MAX_PAYLOAD)
		return err_set(err, E2BIG, "sync message of %zu bytes", len);
	if (write_full(fd, &h, sizeof(h)) < 0 ||
	    (len && write_full(fd, data, len) < 0))
		return err_sys(err, "send to container init");
	return 0;
}

int sync_recv(int fd, enum sync_type *type, char **data, berr_t *err)
{
	struct sync_header h;
	cleanup_free char *buf = NULL;

	if (read_full(fd, &h, sizeof(h)) < 0) {
		if (errno == EPIPE)
			return err_set(err, EPIPE, "container init exited during setup");
		return err_sys(err, "receive from container init");
	}
	if (h.len > SYNC_MAX_PAYLOAD)
		return err_set(err, E2BIG, "sync message of %u bytes", h.len);
	buf = malloc(h.len + 1);
	if (!buf)
		return err_sys(err, "receive from container init");
	if (read_full(fd, buf, h.len) < 0)
		return err_sys(err, "receive from container init");
	buf[h.len] = '\0';
	*type = (enum sync_type)h.type;
	if (data)
		*data = take_ptr(buf);
	return 0;
}

/* SYNC_ERROR carries "<errno> <message>": the caller keeps telling a
 * missing executable (ENOENT) from other failures. */
int sync_error_payload(const char *payload, berr_t *err)
{
	char *rest;
	long errnum = strtol(payload, &rest, 10);

	if (rest == payload || *rest != ' ')
		return err_set(err, EIO, "%s", payload);
	return err_set(err, (int)errnum, "%s", rest + 1);
}

int sync_expect(int fd, enum sync_type type, char **data, berr_t *err)
{
	cleanup_free char *payload = NULL;
	enum sync_type got;

	if (sync_recv(fd, &got, &payload, err) < 0)
		return -1;
	if (got == SYNC_ERROR)
		return sync_error_payload(payload, err);
	if (got != type)
		return err_set(err, EPROTO, "unexpected message %d from container init (wanted %d)",
			       got, type);
	if (data)
		*data = take_ptr(payload);
	return 0;
}

void sync_send_error(int fd, const berr_t e)
{
	cleanup_free char *msg = NULL;
	berr_t ignored = NULL;

	if (asprintf(&msg, "%d %s", e ? e->errnum : EIO, err_msg(e)) < 0)
		return;
	sync_send(fd, SYNC_ERROR, msg, strlen(msg), &ignored);
	err_free(&ignored);
}

void sync_peer_error(int fd, berr_t *err)
{
	cleanup_free char *payload = NULL;
	enum sync_type type;
	berr_t recv_err = NULL;
	int flags = fcntl(fd, F_GETFL);

	/* Whatever the init managed to say before it died is waiting in the
	 * socket; a failed send to it only says that it is gone. */
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return;
	while (sync_recv(fd, &type, &payload, &recv_err) == 0) {
		if (type == SYNC_ERROR) {
			sync_error_payload(payload, err);
			break;
		}
		free(payload);
		payload = NULL;
	}
	err_free(&recv_err);
	fcntl(fd, F_SETFL, flags);
}
