/* fuzz_audit.c: arbitrary bytes through audit_strip_docker_timestamp,
 * audit_parse, audit_is_blocked and audit_summary; the summaries must be
 * terminal-safe (no control bytes, no encoded C1; ASCII when asked). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "sanitize.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_audit: %s\n", what);
	abort();
}

static void check_summary(const char *s, int ascii)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++) {
		if (p[i] < 0x20 || p[i] == 0x7F)
			fail("summary holds a control byte");
		if (ascii && p[i] >= 0x80)
			fail("ASCII summary holds non-ASCII");
		if (p[i] == 0xC2 && i + 1 < len && p[i + 1] >= 0x80 &&
		    p[i + 1] <= 0x9F)
			fail("summary holds an encoded C1 control");
	}
	if (sanitize_width(s, len) > 400)
		fail("summary is not bounded");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *line = (const char *)data;
	struct audit_event ev;
	uint64_t ms = 0;
	size_t off;
	char *s;

	off = audit_strip_docker_timestamp(line, size, &ms);
	if (off > size)
		fail("timestamp offset past the end");
	if (audit_parse(line, size, &ev) != 1) {
		if (ev.event != NULL)
			fail("rejected line left an event");
		audit_event_free(&ev);
		return 0;
	}
	if (ev.event == NULL)
		fail("accepted line without an event");
	(void)audit_is_blocked(&ev);
	s = audit_summary(&ev, 0);
	check_summary(s, 0);
	free(s);
	s = audit_summary(&ev, 1);
	check_summary(s, 1);
	free(s);
	audit_event_free(&ev);
	return 0;
}
