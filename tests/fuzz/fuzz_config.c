/* fuzz_config.c: arbitrary bytes into config_parse; every outcome must be
 * a config or a cause, never both, and everything is freed. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config *c = NULL;
	char *cause = NULL;
	size_t i;

	if (config_parse((const char *)data, size, "fuzz", &c, &cause) != 0) {
		if (c != NULL || cause == NULL ||
		    strncmp(cause, "config: fuzz: ", 14) != 0)
			abort();
		free(cause);
		return 0;
	}
	if (c == NULL || cause != NULL)
		abort();
	for (i = 0; i < c->n_bottles; i++) {
		if (!config_name_valid(c->bottles[i].name) ||
		    config_find(c, c->bottles[i].name) == NULL ||
		    c->bottles[i].vm.image == NULL ||
		    c->bottles[i].bundle.image == NULL ||
		    config_service_find(&c->bottles[i],
					c->bottles[i].bundle.proxy) == NULL)
			abort();
	}
	config_free(c);
	return 0;
}
