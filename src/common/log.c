#include "common/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Logging is process-wide by nature; this is its only state. */
static int log_fd = STDERR_FILENO;
static enum log_format log_fmt = LOG_TEXT;
static enum log_level log_max = LOG_WARN;

static const char *const level_names[] = { "error", "warning", "info",
					   "debug" };

int log_open(const char *path, enum log_format format, enum log_level level,
	     berr_t *err)
{
	log_fmt = format;
	log_max = level;
	if (!path)
		return 0;
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);

	if (fd < 0)
		return err_sys(err, "open log file '%s'", path);
	log_close();
	log_fd = fd;
	return 0;
}

void log_close(void)
{
	if (log_fd != STDERR_FILENO)
		close(log_fd);
	log_fd = STDERR_FILENO;
}

bool log_enabled(enum log_level level)
{
	return level <= log_max;
}

bool log_to_file(void)
{
	return log_fd != STDERR_FILENO;
}

/* Escape for a JSON string or a quoted logfmt value: both need \" \\ and
 * control characters escaped. */
static void append_escaped(FILE *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", out);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	char stamp[64], *msg = NULL, *line = NULL;
	size_t line_len = 0;
	struct timespec ts;
	struct tm tm;
	va_list ap;
	FILE *out;
	int saved = errno;

	if (!log_enabled(level))
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	out = open_memstream(&line, &line_len);
	if (!msg || !out) {
		free(msg);
		errno = saved;
		return;
	}
	if (log_fmt == LOG_JSON)
		fprintf(out, "{\"level\":\"%s\",\"msg\":\"", level_names[level]);
	else
		fprintf(out, "time=\"%s.%09ldZ\" level=%s msg=\"", stamp,
			ts.tv_nsec, level_names[level]);
	append_escaped(out, msg);
	if (log_fmt == LOG_JSON)
		fprintf(out, "\",\"time\":\"%s.%09ldZ\"}\n", stamp, ts.tv_nsec);
	else
		fputs("\"\n", out);
	fclose(out);
	/* One write per line so concurrent writers never interleave. */
	if (write(log_fd, line, line_len) < 0) {
		/* Nowhere left to report a failing log. */
	}
	free(line);
	free(msg);
	errno = saved;
}
