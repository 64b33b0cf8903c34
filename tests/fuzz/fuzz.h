/* fuzz.h: what the fuzz targets share. */
#ifndef BOTTLE_FUZZ_H
#define BOTTLE_FUZZ_H

#include <stdlib.h>

/* fuzz_failed: rc is a parser's 0 / -1 with cause. On -1 the cause must
 * be set and the output empty (out_empty): frees cause, returns 1; any
 * breach aborts. 0 when the parser succeeded. */
static inline int fuzz_failed(int rc, char *cause, int out_empty)
{
	if (rc == 0)
		return 0;
	if (cause == NULL || !out_empty)
		abort();
	free(cause);
	return 1;
}

#endif
