/* fuzz_probe.c: bottle-probe's output reader on arbitrary bytes.
 *
 * Output comes from inside the VM, so it is untrusted. A line that is
 * accepted must give a known result word and an errno name without
 * spaces; probe_parse_helper_line must agree with
 * probe_parse_helper_result. The whole input as a batch's output may
 * answer at most as many targets as it has helper lines, each with a
 * known result and a clean errno name. Any violation aborts. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probe.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_check_err(const char *err)
{
	if (err != NULL &&
	    (err[0] == '\0' || strchr(err, ' ') || strchr(err, '(')))
		abort();
}

static void fuzz_one_line(const char *line, size_t size)
{
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
		fuzz_check_err(err);
		if ((err == NULL) != (err2 == NULL) ||
		    (err != NULL && strcmp(err, err2) != 0))
			abort();
		if (size < strlen("bottle-probe connect h 1 result=error"))
			abort();
	} else if (err != NULL || err2 != NULL) {
		abort();
	}
	free(err);
	free(err2);
}

static void fuzz_batch(const char *text, size_t size)
{
	struct probe_batch_item items[] = {
	    {.host = "10.213.0.2", .port = "8888"},
	    {.host = "127.0.0.1", .port = "40123"},
	    {.host = "10.213.0.2", .port = "9099"},
	};
	size_t i, lines, answered = 0;

	lines = probe_parse_helper_output(text, size, items, 3);
	for (i = 0; i < UTIL_NELEM(items); i++) {
		if (items[i].out == PROBE_OUT_NONE) {
			if (items[i].err_name != NULL || items[i].ms != 0)
				abort();
			continue;
		}
		if (items[i].out < PROBE_OUT_CONNECTED ||
		    items[i].out > PROBE_OUT_ERROR || i >= lines)
			abort();
		fuzz_check_err(items[i].err_name);
		answered++;
		free(items[i].err_name);
	}
	/* every helper line is at least as long as the shortest one */
	if (answered > lines ||
	    lines * strlen("bottle-probe connect h 1 result=error") > size)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one_line((const char *)data, size);
	fuzz_batch((const char *)data, size);
	return 0;
}
