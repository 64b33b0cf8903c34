/* test_audit.c: pipelock audit lines → events → safe summaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "sanitize.h"
#include "util.h"

/* pipelock (zerolog) lines as they appear on the bundle's stdout. */
#define BLOCKED_DLP                                                            \
	"{\"level\":\"warn\",\"component\":\"pipelock\",\"event\":"            \
	"\"blocked\",\"method\":\"GET\",\"url\":\"https://github.com/"         \
	"[redacted]\",\"client_ip\":\"10.213.0.2\",\"request_id\":\"req-42\"," \
	"\"scanner\":\"dlp\",\"reason\":\"DLP match: GitHub Token\","          \
	"\"severity\":\"critical\",\"mitre_technique\":\"T1048\",\"time\":"    \
	"\"2026-11-28T16:00:00Z\",\"message\":\"request blocked\"}"
#define ALLOWED                                                                \
	"{\"level\":\"info\",\"component\":\"pipelock\",\"event\":"            \
	"\"allowed\",\"method\":\"GET\",\"url\":\"https://pypi.org/simple/"    \
	"requests/\",\"client_ip\":\"10.213.0.2\",\"request_id\":\"r1\","      \
	"\"status_code\":200,\"size_bytes\":1234,\"duration_ms\":12.5,"        \
	"\"time\":\"2026-11-28T16:00:01Z\",\"message\":\"request allowed\"}"
#define TUNNEL_OPEN                                                            \
	"{\"level\":\"info\",\"component\":\"pipelock\",\"event\":"            \
	"\"tunnel_open\",\"target\":\"api.anthropic.com:443\",\"client_ip\":"  \
	"\"10.213.0.2\",\"request_id\":\"r2\",\"time\":"                       \
	"\"2026-11-28T16:00:02Z\",\"message\":\"tunnel opened\"}"

#define LIT(s) (s), (sizeof(s) - 1)

/* Parse a literal that must be an audit line; returns its summary. */
static char *summary_of(const char *line, size_t len, int ascii)
{
	struct audit_event ev;
	char *s;

	assert_int_equal(audit_parse(line, len, &ev), 1);
	s = audit_summary(&ev, ascii);
	audit_event_free(&ev);
	return s;
}

/* ev's summary (ascii or not) is want. */
static void assert_summary(const struct audit_event *ev, int ascii,
			   const char *want)
{
	char *got = audit_summary(ev, ascii);

	assert_string_equal(got, want);
	free(got);
}

static void check_summary(const char *line, size_t len, const char *want)
{
	char *got = summary_of(line, len, 0);

	assert_string_equal(got, want);
	free(got);
}

static void not_audit(const char *line, size_t len)
{
	struct audit_event ev;

	assert_int_equal(audit_parse(line, len, &ev), 0);
	assert_null(ev.event);
	audit_event_free(&ev);
}

static void blocked_dlp_line_is_parsed_and_highlighted(void **state)
{
	struct audit_event ev;

	assert_int_equal(audit_parse(LIT(BLOCKED_DLP), &ev), 1);
	assert_string_equal(ev.event, "blocked");
	assert_string_equal(ev.level, "warn");
	assert_string_equal(ev.scanner, "dlp");
	assert_string_equal(ev.reason, "DLP match: GitHub Token");
	assert_string_equal(ev.severity, "critical");
	assert_string_equal(ev.method, "GET");
	assert_string_equal(ev.url, "https://github.com/[redacted]");
	assert_string_equal(ev.message, "request blocked");
	assert_null(ev.host);
	assert_null(ev.target);
	assert_int_equal(ev.wall_ms, 1795881600000ULL);
	assert_true(audit_is_blocked(&ev));
	assert_summary(&ev, 0,
		       "BLOCKED dlp: DLP match: GitHub Token "
		       "\xe2\x86\x92 github.com [critical]");
	assert_summary(&ev, 1,
		       "BLOCKED dlp: DLP match: GitHub Token -> "
		       "github.com [critical]");
	audit_event_free(&ev);
	assert_null(ev.event);
}

static void allowed_line_shows_method_and_is_not_highlighted(void **state)
{
	struct audit_event ev;

	assert_int_equal(audit_parse(LIT(ALLOWED), &ev), 1);
	assert_false(audit_is_blocked(&ev));
	assert_summary(&ev, 0, "ALLOWED GET \xe2\x86\x92 pypi.org");
	audit_event_free(&ev);
}

static void tunnel_line_shows_its_target(void **state)
{
	struct audit_event ev;

	assert_int_equal(audit_parse(LIT(TUNNEL_OPEN), &ev), 1);
	assert_string_equal(ev.target, "api.anthropic.com:443");
	assert_false(audit_is_blocked(&ev));
	assert_summary(&ev, 1, "TUNNEL_OPEN -> api.anthropic.com:443");
	audit_event_free(&ev);
}

static void minimal_bundle_style_line_is_summarised(void **state)
{
	check_summary(LIT("{\"event\":\"blocked\",\"url\":\"https://api.github"
			  ".com/repos?token=ghp_x\",\"scanner\":\"dlp\","
			  "\"reason\":\"GitHub Token\",\"severity\":"
			  "\"critical\"}"),
		      "BLOCKED dlp: GitHub Token \xe2\x86\x92 api.github.com "
		      "[critical]");
}

static void other_refusals_count_as_blocked(void **state)
{
	static const char *const lines[] = {
	    "{\"event\":\"ws_blocked\",\"target\":\"x:443\"}",
	    "{\"event\":\"kill_switch_deny\"}",
	    "{\"event\":\"response_scan\",\"action\":\"block\"}",
	    "{\"event\":\"media_exposure\",\"blocked\":true}",
	};
	static const char *const fine[] = {
	    "{\"event\":\"response_scan\",\"action\":\"warn\"}",
	    "{\"event\":\"media_exposure\",\"blocked\":false}",
	    "{\"event\":\"blockedness\"}",
	};
	struct audit_event ev;
	size_t i;

	for (i = 0; i < UTIL_NELEM(lines); i++) {
		assert_int_equal(audit_parse(lines[i], strlen(lines[i]), &ev),
				 1);
		assert_true(audit_is_blocked(&ev));
		audit_event_free(&ev);
	}
	for (i = 0; i < UTIL_NELEM(fine); i++) {
		assert_int_equal(audit_parse(fine[i], strlen(fine[i]), &ev), 1);
		assert_false(audit_is_blocked(&ev));
		audit_event_free(&ev);
	}
}

static void non_audit_lines_are_rejected(void **state)
{
	not_audit(LIT("pipelock starting on 0.0.0.0:8888"));
	not_audit(LIT(""));
	not_audit(LIT("{\"event\":\"blocked\","));	      /* malformed */
	not_audit(LIT("{\"event\":\"blocked\"} extra"));      /* trailing */
	not_audit(LIT("[{\"event\":\"blocked\"}]"));	      /* array */
	not_audit(LIT("{\"level\":\"info\",\"msg\":\"x\"}")); /* no event */
	not_audit(LIT("{\"event\":5}"));
	not_audit(LIT("{\"event\":null}"));
	not_audit(LIT("{\"event\":\"\"}"));
	not_audit(LIT("\"event\""));
	not_audit(LIT("{\"event\":\"x\"}\x00"));
}

static void line_need_not_be_nul_terminated(void **state)
{
	const char *text = "{\"event\":\"allowed\"}{\"event\":\"blocked\"}";
	char *copy = xmalloc(19);
	struct audit_event ev;

	memcpy(copy, text, 19); /* the first object only, no NUL */
	assert_int_equal(audit_parse(copy, 19, &ev), 1);
	assert_string_equal(ev.event, "allowed");
	audit_event_free(&ev);
	free(copy);
}

static void non_string_fields_are_treated_as_absent(void **state)
{
	struct audit_event ev;

	assert_int_equal(
	    audit_parse(LIT("{\"event\":\"blocked\",\"scanner\":7,\"reason\":"
			    "null,\"url\":[\"https://x.org\"],\"severity\":"
			    "{\"a\":1},\"host\":false,\"time\":\"soon\"}"),
			&ev),
	    1);
	assert_null(ev.scanner);
	assert_null(ev.reason);
	assert_null(ev.url);
	assert_null(ev.severity);
	assert_null(ev.host);
	assert_int_equal(ev.wall_ms, 0);
	assert_summary(&ev, 0, "BLOCKED");
	audit_event_free(&ev);
}

static void hostile_strings_are_sanitized_in_the_summary(void **state)
{
	char *s = summary_of(
	    LIT("{\"event\":\"bl\\u001b[2Jocked\",\"scanner\":\"d\\u0007lp\","
		"\"reason\":\"\\u001b]52;c;cm0gLXJmIH4=\\u0007pwn\\r\","
		"\"host\":\"evil\\u202e.com\\u009b1m\"}"),
	    0);
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		assert_true((unsigned char)s[i] >= 0x20 &&
			    (unsigned char)s[i] != 0x7F);
	assert_null(strstr(s, "\xc2\x9b"));
	assert_null(strstr(s, "\xe2\x80\xae"));
	assert_string_equal(s, "BL\xe2\x90\x9bOCKED d^Glp: \xe2\x90\x9bpwn^M "
			       "\xe2\x86\x92 evil.com");
	free(s);
}

static void huge_strings_give_a_bounded_summary(void **state)
{
	struct buf line = BUF_INIT;
	char *big = xmalloc(200001);
	char *s;

	memset(big, 'A', 200000);
	big[200000] = '\0';
	buf_addf(&line,
		 "{\"event\":\"%s\",\"scanner\":\"%s\",\"reason\":\"%s\","
		 "\"url\":\"https://%s/\",\"severity\":\"%s\"}",
		 big, big, big, big, big);
	s = summary_of(line.data, line.len, 0);
	assert_true(sanitize_width(s, strlen(s)) <= 300);
	assert_true(strlen(s) <= 1000);
	assert_non_null(strstr(s, "\xe2\x80\xa6")); /* cut, visibly */
	free(s);
	free(big);
	buf_release(&line);
}

static void destination_comes_from_host_then_url_then_target(void **state)
{
	check_summary(LIT("{\"event\":\"allowed\",\"host\":\"h.example\","
			  "\"url\":\"https://u.example/\"}"),
		      "ALLOWED \xe2\x86\x92 h.example");
	check_summary(LIT("{\"event\":\"response_scan_exempt\","
			  "\"hostname\":\"docs.example\"}"),
		      "RESPONSE_SCAN_EXEMPT \xe2\x86\x92 docs.example");
	check_summary(LIT("{\"event\":\"x\",\"domain\":\"d.example\"}"),
		      "X \xe2\x86\x92 d.example");
	check_summary(LIT("{\"event\":\"x\",\"url\":\"http://user:pw@"
			  "a.example:8080/p?q=1#f\"}"),
		      "X \xe2\x86\x92 a.example:8080");
	check_summary(LIT("{\"event\":\"x\",\"url\":\"http://[::1]:9/\"}"),
		      "X \xe2\x86\x92 [::1]:9");
	check_summary(LIT("{\"event\":\"x\",\"url\":\"b.example/path\"}"),
		      "X \xe2\x86\x92 b.example");
	check_summary(LIT("{\"event\":\"x\",\"url\":\"/\",\"target\":"
			  "\"t.example:22\"}"),
		      "X \xe2\x86\x92 t.example:22");
	check_summary(LIT("{\"event\":\"mcp_unknown_tool\",\"resource\":"
			  "\"shell_exec\"}"),
		      "MCP_UNKNOWN_TOOL \xe2\x86\x92 shell_exec");
}

static void detail_falls_back_to_error_then_method(void **state)
{
	check_summary(LIT("{\"event\":\"error\",\"method\":\"GET\",\"error\":"
			  "\"dial tcp: timeout\",\"url\":\"https://x.org/\"}"),
		      "ERROR dial tcp: timeout \xe2\x86\x92 x.org");
	check_summary(LIT("{\"event\":\"startup\"}"), "STARTUP");
}

static void low_severities_are_not_shown(void **state)
{
	check_summary(LIT("{\"event\":\"anomaly\",\"severity\":\"info\"}"),
		      "ANOMALY");
	check_summary(LIT("{\"event\":\"anomaly\",\"severity\":\"LOW\"}"),
		      "ANOMALY");
	check_summary(LIT("{\"event\":\"anomaly\",\"severity\":\"high\"}"),
		      "ANOMALY [high]");
}

static void docker_timestamp_prefix_is_recognised(void **state)
{
	const char *line = "2026-11-28T16:00:00.123456789Z " BLOCKED_DLP;
	struct audit_event ev;
	uint64_t ms = 7;

	assert_int_equal(audit_strip_docker_timestamp(line, strlen(line), &ms),
			 31);
	assert_int_equal(ms, 1795881600123ULL);
	assert_int_equal(audit_parse(line, strlen(line), &ev), 1);
	assert_int_equal(ev.wall_ms, 1795881600123ULL); /* prefix wins */
	assert_string_equal(ev.scanner, "dlp");
	audit_event_free(&ev);
	assert_int_equal(audit_strip_docker_timestamp(
			     LIT("2026-11-28T17:00:00+01:00 x"), &ms),
			 26);
	assert_int_equal(ms, 1795881600000ULL);
	assert_int_equal(audit_strip_docker_timestamp(
			     LIT("2024-02-29T23:59:59Z hello"), &ms),
			 21);
	assert_int_equal(ms, 1709251199000ULL);
	assert_int_equal(
	    audit_strip_docker_timestamp(LIT("1970-01-01T00:00:00Z x"), NULL),
	    21);
}

static void malformed_timestamps_are_not_stripped(void **state)
{
	static const char *const bad[] = {
	    "2026-11-28T16:00:00.123Z",	   /* no space after */
	    "2026-11-28T16:00:00.123Zx",   /* no space after */
	    "2026-11-28 16:00:00Z x",	   /* no T */
	    "2026-11-28T16:00:00 x",	   /* no zone */
	    "2026-13-28T16:00:00Z x",	   /* month */
	    "2025-02-29T16:00:00Z x",	   /* not a leap year */
	    "2026-11-28T24:00:00Z x",	   /* hour */
	    "2026-11-28T16:00:00.Z x",	   /* empty fraction */
	    "1969-12-31T23:59:59Z x",	   /* before the epoch */
	    "1970-01-01T00:00:00+01:00 x", /* before the epoch */
	    "2026-11-28T16:00:00+1:00 x",  /* zone */
	    "20a6-11-28T16:00:00Z x",	   "{\"event\":\"blocked\"}", "",
	};
	uint64_t ms = 42;
	size_t i;

	for (i = 0; i < UTIL_NELEM(bad); i++)
		assert_int_equal(
		    audit_strip_docker_timestamp(bad[i], strlen(bad[i]), &ms),
		    0);
	assert_int_equal(ms, 42);
}

static void time_field_gives_the_wall_clock(void **state)
{
	struct audit_event ev;

	assert_int_equal(
	    audit_parse(LIT("{\"event\":\"x\",\"time\":1795881600}"), &ev), 1);
	assert_int_equal(ev.wall_ms, 1795881600000ULL);
	audit_event_free(&ev);
	assert_int_equal(
	    audit_parse(LIT("{\"event\":\"x\",\"time\":1795881600123}"), &ev),
	    1);
	assert_int_equal(ev.wall_ms, 1795881600123ULL);
	audit_event_free(&ev);
	assert_int_equal(
	    audit_parse(
		LIT("{\"event\":\"x\",\"time\":\"2026-11-28T16:00:00.5Z\"}"),
		&ev),
	    1);
	assert_int_equal(ev.wall_ms, 1795881600500ULL);
	audit_event_free(&ev);
	assert_int_equal(audit_parse(LIT("{\"event\":\"x\",\"time\":-5}"), &ev),
			 1);
	assert_int_equal(ev.wall_ms, 0);
	audit_event_free(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(blocked_dlp_line_is_parsed_and_highlighted),
	    cmocka_unit_test(allowed_line_shows_method_and_is_not_highlighted),
	    cmocka_unit_test(tunnel_line_shows_its_target),
	    cmocka_unit_test(minimal_bundle_style_line_is_summarised),
	    cmocka_unit_test(other_refusals_count_as_blocked),
	    cmocka_unit_test(non_audit_lines_are_rejected),
	    cmocka_unit_test(line_need_not_be_nul_terminated),
	    cmocka_unit_test(non_string_fields_are_treated_as_absent),
	    cmocka_unit_test(hostile_strings_are_sanitized_in_the_summary),
	    cmocka_unit_test(huge_strings_give_a_bounded_summary),
	    cmocka_unit_test(destination_comes_from_host_then_url_then_target),
	    cmocka_unit_test(detail_falls_back_to_error_then_method),
	    cmocka_unit_test(low_severities_are_not_shown),
	    cmocka_unit_test(docker_timestamp_prefix_is_recognised),
	    cmocka_unit_test(malformed_timestamps_are_not_stripped),
	    cmocka_unit_test(time_field_gives_the_wall_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
