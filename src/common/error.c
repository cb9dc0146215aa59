#include "common/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Returned by err_msg when allocating the message itself failed: a daemon
 * must still be able to report something rather than abort. */
static char oom_message[] = "out of memory while reporting an error";

/* Messages quote what they were given, and that may be hostile: a
 * control character (a newline above all) would break the one-line
 * contract of logs and the CLI, so it shows as '?'. */
static void one_line(char *msg)
{
	for (; msg && *msg; msg++)
		if ((unsigned char)*msg < 0x20 || *msg == 0x7f)
			*msg = '?';
}

static void set_message(berr_t *err, int errnum, char *msg)
{
	one_line(msg);
	if (*err) {
		if ((*err)->msg != oom_message)
			free((*err)->msg);
	} else {
		*err = calloc(1, sizeof(**err));
		if (!*err) {
			free(msg);
			return;
		}
	}
	(*err)->errnum = errnum;
	(*err)->msg = msg ? msg : oom_message;
}

int err_vset(berr_t *err, int errnum, bool with_strerror, const char *fmt,
	     va_list ap)
{
	char *body = NULL, *msg = NULL;

	if (!err)
		return -1;
	if (vasprintf(&body, fmt, ap) < 0)
		body = NULL;
	if (body && with_strerror && errnum) {
		if (asprintf(&msg, "%s: %s", body, strerror(errnum)) < 0)
			msg = NULL;
		free(body);
	} else {
		msg = body;
	}
	set_message(err, errnum, msg);
	return -1;
}

int err_set(berr_t *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	err_vset(err, errnum, false, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int err_sys(berr_t *err, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	err_vset(err, saved, true, fmt, ap);
	va_end(ap);
	errno = saved;
	return -1;
}

int err_prefix(berr_t *err, const char *fmt, ...)
{
	va_list ap;
	char *ctx = NULL, *msg = NULL;
	int saved = errno;

	if (!err || !*err)
		return -1;
	va_start(ap, fmt);
	if (vasprintf(&ctx, fmt, ap) < 0)
		ctx = NULL;
	va_end(ap);
	if (ctx && asprintf(&msg, "%s: %s", ctx, (*err)->msg) >= 0)
		set_message(err, (*err)->errnum, msg);
	free(ctx);
	errno = saved;
	return -1;
}

const char *err_msg(const berr_t err)
{
	return err ? err->msg : "unknown error";
}

void err_free(berr_t *err)
{
	if (!err || !*err)
		return;
	if ((*err)->msg != oom_message)
		free((*err)->msg);
	free(*err);
	*err = NULL;
}

void err_print(FILE *stream, const char *prog, const berr_t err)
{
	fprintf(stream, "%s: %s\n", prog, err_msg(err));
}
