/* Replica names: <service>.<revision>.<n>, the only record of which
 * revision a replica runs (see replica_name.h). */
#include <string.h>

#include "daemon/replica_name.h"

static bool digits(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;

	if (len == 0 || len > 15 || *s == '0')
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

bool replica_name_parse(const char *name, char *service, size_t size, int64_t *rev, int64_t *n)
{
	const char *last = strrchr(name, '.');

	if (!last || last == name)
		return false;
	const char *mid = last - 1;

	while (mid > name && *mid != '.')
		mid--;
	if (mid == name || !digits(last + 1, strlen(last + 1), n) ||
	    !digits(mid + 1, (size_t)(last - mid - 1), rev) || (size_t)(mid - name) >= size)
		return false;
	memcpy(service, name, (size_t)(mid - name));
	service[mid - name] = '\0';
	return true;
}
