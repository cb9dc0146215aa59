/* Command lines of the berth binary as berthd runs it. */
#include <stdarg.h>

#include "common/strv.h"
#include "daemon/argv.h"

int argv_begin(const struct berthd *d, char ***v)
{
	*v = NULL;
	return argv_add(v, d->berth, "--root", d->root, "--run-root", d->run_root, NULL);
}

int argv_add(char ***v, ...)
{
	va_list ap;
	const char *s;
	int r = 0;

	va_start(ap, v);
	while (r == 0 && (s = va_arg(ap, const char *)))
		r = strv_push(v, s);
	va_end(ap);
	return r;
}
