/* audit.h: recognise pipelock audit log lines and summarise them.
 *
 * pipelock writes its audit log as one JSON object per line on stdout
 * (zerolog), e.g.
 *   {"level":"warn","component":"pipelock","event":"blocked","method":
 *    "GET","url":"https://github.com/[redacted]","scanner":"dlp","reason":
 *    "DLP match: GitHub Token","severity":"critical","time":"...","message":
 *    "request blocked"}
 * CONNECT tunnels carry "target" (host:port) instead of "url". A line is
 * an audit line when it is a JSON object with a string "event"; it may
 * carry a docker --timestamps prefix ("2026-11-28T16:00:00.123456789Z ").
 *
 * The strings in struct audit_event are exactly what the line held: they
 * come from the agent's world and are NOT sanitized. audit_summary is:
 * its result is safe to show as is. */
#ifndef BOTTLE_AUDIT_H
#define BOTTLE_AUDIT_H

#include <stddef.h>
#include <stdint.h>

/* Every string is owned (freed by audit_event_free) or NULL when the
 * field is absent or not a string. */
struct audit_event {
	char *event;	  /* never NULL after a successful parse: "blocked" */
	char *level;	  /* zerolog level: "info", "warn", "error" */
	char *scanner;	  /* "dlp", "ssrf", "blocklist", ... */
	char *reason;	  /* "DLP match: GitHub Token" */
	char *severity;	  /* "critical", "high", "warn", ... */
	char *method;	  /* "GET", "CONNECT" */
	char *url;	  /* the request URL */
	char *target;	  /* CONNECT destination "host:port" */
	char *host;	  /* "host", else "hostname", else "domain" */
	char *resource;	  /* MCP tool, config path, listen address */
	char *action;	  /* "block", "warn", ... (response scans) */
	char *error;	  /* "error" of error events */
	char *message;	  /* zerolog "message": "request blocked" */
	int blocked;	  /* 1 when the line has "blocked": true */
	uint64_t wall_ms; /* from the docker prefix, else "time"; 0 unknown */
};

/* audit_parse: 1 and *ev filled when line[0..len) (not necessarily
 * NUL-terminated) is an audit line, else 0 with *ev zeroed. Either way
 * audit_event_free(ev) is safe afterwards. */
int audit_parse(const char *line, size_t len, struct audit_event *ev);

/* audit_event_free: free the strings inside ev (not ev) and zero it. */
void audit_event_free(struct audit_event *ev);

/* audit_is_blocked: 1 when the event reports a refused request: event
 * "blocked" or ending in "_blocked" or "_deny", action "block", or
 * "blocked": true. For highlighting. */
int audit_is_blocked(const struct audit_event *ev);

/* audit_summary: a compact, sanitized one-line description, caller frees:
 *   EVENT[ scanner:][ detail][ → destination][ [severity]]
 * EVENT is the event upper-cased; detail is the reason, else the error,
 * else the method; destination is host, else host[:port] of the url,
 * else target, else resource; severity is shown unless it is info, low,
 * debug or none. Each part is bounded in width (cut with "…"), e.g.
 *   BLOCKED dlp: DLP match: GitHub Token → github.com [critical]
 *   TUNNEL_OPEN → api.example.com:443
 * ascii = 1: printable ASCII only ("->" for the arrow, see sanitize.h). */
char *audit_summary(const struct audit_event *ev, int ascii);

/* audit_strip_docker_timestamp: if line starts with an RFC 3339 time and
 * one space (docker logs --timestamps), return the offset of the text
 * after it and set *wall_ms (if not NULL) to the Unix milliseconds; else
 * return 0 and leave *wall_ms alone. */
size_t audit_strip_docker_timestamp(const char *line, size_t len,
				    uint64_t *wall_ms);

#endif
