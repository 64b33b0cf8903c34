/* fuzz_state.c: the state.json parser on arbitrary bytes. What parses
 * must format to text that parses back to the same text (a fixed point
 * after one round), with every record named. Any breach aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct state *s = NULL, *again = NULL;
	char *cause = NULL, *text, *text2;
	size_t i;
	int rc;

	rc = state_parse((const char *)data, size, "fuzz", &s, &cause);
	if (fuzz_failed(rc, cause, s == NULL))
		return 0;
	for (i = 0; i < s->n; i++) {
		if (s->bottles[i].name == NULL ||
		    (i > 0 &&
		     strcmp(s->bottles[i - 1].name, s->bottles[i].name) >= 0))
			abort();
	}
	text = state_format(s);
	if (state_parse(text, strlen(text), "fuzz", &again, &cause) != 0)
		abort();
	text2 = state_format(again);
	if (strcmp(text, text2) != 0 || again->n != s->n)
		abort();
	free(text2);
	free(text);
	state_free(again);
	state_free(s);
	return 0;
}
