/* A container's log files (see log_reader.h). */
#include "container/log_reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/fs.h"

#define LOG_FILES_MAX 1000
#define LOG_READ_MAX ((size_t)1 << 32)

/* "2026-11-22T02:44:00.123456789Z" */
int log_time_parse(const char *text, size_t len, struct timespec *t)
{
	struct tm tm = { 0 };
	char frac[10] = "000000000", s[40];
	int n = 0;

	/* A copy: sscanf measures its whole input string first, and text is
	 * in the middle of a log of megabytes (quadratic before). */
	if (len >= sizeof(s))
		return -1;
	memcpy(s, text, len);
	s[len] = 0;
	if (len < 20 || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			       &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6 || n != 19)
		return -1;
	size_t i = 19;

	if (s[i] == '.')
		for (size_t k = 0; ++i < len && s[i] >= '0' && s[i] <= '9';)
			if (k < 9)
				frac[k++] = s[i];
	if (i != len - 1 || s[i] != 'Z')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	t->tv_sec = timegm(&tm);
	t->tv_nsec = strtol(frac, NULL, 10);
	return 0;
}

int log_entry_parse(const char *line, size_t len, struct log_entry *e)
{
	const char *sp = memchr(line, ' ', len);

	if (!sp || (size_t)(sp - line) >= sizeof(e->stamp) ||
	    log_time_parse(line, (size_t)(sp - line), &e->time) < 0)
		return -1;
	memcpy(e->stamp, line, (size_t)(sp - line));
	e->stamp[sp - line] = 0;
	const char *rest = sp + 1, *end = line + len;

	if (end - rest >= 9 && !memcmp(rest, "stdout ", 7))
		e->is_stderr = false;
	else if (end - rest >= 9 && !memcmp(rest, "stderr ", 7))
		e->is_stderr = true;
	else
		return -1;
	rest += 7;
	if ((*rest != 'F' && *rest != 'P') || rest[1] != ' ')
		return -1;
	e->partial = *rest == 'P';
	e->text = rest + 2;
	e->len = (size_t)(end - e->text);
	return 0;
}

static int append(int fd, const char *file, char **buf, size_t *len, berr_t *err)
{
	cleanup_free char *data = NULL;
	size_t n;

	if (fs_read_fd(fd, file, LOG_READ_MAX, &data, &n, err) < 0)
		return -1;
	char *grown = realloc(*buf, *len + n + 1);

	if (!grown)
		return err_sys(err, "read the log");
	memcpy(grown + *len, data, n);
	*len += n;
	grown[*len] = 0;
	*buf = grown;
	return 0;
}

int log_read_all(const char *dir, const char *name, char **out, size_t *len, size_t *live,
		 berr_t *err)
{
	cleanup_close int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fds[LOG_FILES_MAX];
	char file[300];
	unsigned n = 0;
	int r = 0;

	*out = calloc(1, 1);
	*len = 0;
	if (dirfd < 0 || !*out)
		return err_sys(err, "open %s", dir);
	/* All files are opened first, newest first: a rotation meanwhile
	 * renames them but cannot take what an open fd reads, so entries can
	 * at worst show twice, never go missing. */
	for (; n < LOG_FILES_MAX; n++) {
		if (n)
			snprintf(file, sizeof(file), "%s.%u", name, n);
		fds[n] = openat(dirfd, n ? file : name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fds[n] < 0)
			break;
	}
	if (n < LOG_FILES_MAX && errno != ENOENT)
		r = err_sys(err, "open %s/%s", dir, n ? file : name);
	*live = 0;
	for (unsigned i = n; i-- > 0;) {
		size_t was = *len;

		if (r == 0 && append(fds[i], name, out, len, err) < 0)
			r = -1;
		if (i == 0)
			*live = *len - was;
		close(fds[i]);
	}
	return r;
}
