/* libFuzzer target for the Dockerfile parser and word expansion: any
 * input parses or fails with one error line; never a crash or a leak. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "build/dockerfile.h"
#include "common/words.h"
#include "common/strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *any(void *ctx, const char *name)
{
	(void)ctx;
	return name[0] == 'A' ? "a b" : name[0] == 'E' ? "" : NULL;
}

static void check(int r, berr_t *err)
{
	if (r < 0 && (!*err || !err_msg(*err)[0] || strchr(err_msg(*err), '\n')))
		__builtin_trap(); /* every failure explains itself on one line */
	err_free(err);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dockerfile df;
	berr_t err = NULL;
	int r = dockerfile_parse((const char *)data, size, "Dockerfile", &df, &err);

	check(r, &err);
	for (size_t i = 0; r == 0 && i < df.n; i++) {
		struct words_opts o = { .escape = df.escape, .lookup = any, .split = true };
		char **w = NULL;
		int e = words_expand(df.ins[i].args, &o, &w, &err);

		check(e, &err);
		if (e == 0)
			strv_free(w);
	}
	if (r == 0)
		dockerfile_clear(&df);
	return 0;
}
