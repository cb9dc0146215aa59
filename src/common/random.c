#include "common/random.h"

#include <errno.h>
#include <stdio.h>
#include <sys/random.h>

int random_hex(char *out, size_t bytes, berr_t *err)
{
	unsigned char raw[64];
	ssize_t n;

	if (bytes > sizeof(raw))
		return err_set(err, EINVAL, "random_hex: %zu bytes asked, at most %zu", bytes,
			       sizeof(raw));
	do
		n = getrandom(raw, bytes, 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)bytes)
		return err_sys(err, "getrandom");
	for (size_t i = 0; i < bytes; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
	return 0;
}
