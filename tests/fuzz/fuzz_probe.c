/* fuzz_probe.c: bottle-probe's output line reader on arbitrary bytes.
 *
 * Output comes from inside the VM, so it is untrusted. A line that is
 * accepted must give a known result word and an errno name without
 * spaces; probe_parse_helper_line must agree with
 * probe_parse_helper_result. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	enum probe_outcome out = PROBE_OUT_NONE;
	char *err = NULL, *err2 = NULL;
	uint64_t ms = 0, ms2 = 0;
	int rc, rc2, connected = -1;

	rc = probe_parse_helper_result(line, size, &out, &err, &ms);
	rc2 = probe_parse_helper_line(line, size, &connected, &err2, &ms2);
	if (rc != rc2 || (rc != 0 && rc != -1))
		abort();
	if (rc == 0) {
		if (out < PROBE_OUT_CONNECTED || out > PROBE_OUT_ERROR)
			abort();
		if (connected != (out == PROBE_OUT_CONNECTED) || ms != ms2)
			abort();
		if (err != NULL && (err[0] == '\0' || strchr(err, ' ') ||
				    strchr(err, '(') || strcmp(err, err2) != 0))
			abort();
		if ((err == NULL) != (err2 == NULL))
			abort();
		if (size < strlen("bottle-probe connect h 1 result=error"))
			abort();
	} else if (err != NULL || err2 != NULL) {
		abort();
	}
	free(err);
	free(err2);
	return 0;
}
