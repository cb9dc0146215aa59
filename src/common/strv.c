#include "common/strv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

void strv_free(char **v)
{
	cleanup_strv_fn(&v);
}

size_t strv_len(char *const *v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

bool strv_contains(char *const *v, const char *s)
{
	for (size_t i = 0; v && v[i]; i++)
		if (strcmp(v[i], s) == 0)
			return true;
	return false;
}

int strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);
	char **grown = realloc(*v, (n + 2) * sizeof(*grown));
	char *copy = strdup(s);

	if (grown)
		*v = grown;
	if (!grown || !copy) {
		free(copy);
		errno = ENOMEM;
		return -1;
	}
	grown[n] = copy;
	grown[n + 1] = NULL;
	return 0;
}

int strv_pushf(char ***v, const char *fmt, ...)
{
	cleanup_free char *s = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		s = NULL; /* undefined after a failure */
		errno = ENOMEM;
		return -1;
	}
	return strv_push(v, s);
}
