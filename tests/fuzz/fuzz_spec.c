/* libFuzzer target for the config.json parser: any input must either
 * parse or fail with one error line, never crash, leak or overflow. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "runtime/spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct spec *spec = NULL;
	berr_t err = NULL;

	if (spec_parse((const char *)data, size, "config.json", &spec, &err) == 0)
		spec_free(spec);
	else if (!err || !err_msg(err)[0] || strchr(err_msg(err), '\n'))
		__builtin_trap(); /* every failure explains itself on one line */
	err_free(&err);
	return 0;
}
