/* health.h: outside-the-VM health of a bundle's services, with libcurl
 * multi driven by libuv (one uv_poll_t per socket, one uv_timer_t), and
 * TCP connect checks for services without an HTTP health path. */
#ifndef BOTTLE_HEALTH_H
#define BOTTLE_HEALTH_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct health;

struct health_service_target {
	const char *name; /* borrowed */
	int port;
	const char *path; /* HTTP path or NULL: TCP connect check */
	int pipelock;	  /* parse pipelock's /health JSON */
};

struct health_service_result {
	char *name;	  /* owned */
	int ok;		  /* reachable and answered 2xx (or TCP connected);
			     pipelock: and its JSON parsed, status healthy
			     (its kill switch is reported, not judged here) */
	long http_status; /* 0 for TCP checks or transport errors */
	char *error;	  /* owned or NULL: "connection refused", "timeout" */
	uint64_t latency_ms;
	/* pipelock only; -1 = unknown (field missing or not pipelock) */
	int kill_switch_active;
	int forward_proxy_enabled;
	char *pipelock_version; /* owned or NULL */
	char *pipelock_mode;	/* owned or NULL */
};

struct health_report {
	struct health_service_result *services; /* borrowed during callback */
	size_t n;
	int all_ok;	 /* every service ok and no kill switch on */
	int kill_switch; /* pipelock kill switch active */
	uint64_t at_ms;
};

typedef void (*health_done_cb)(const struct health_report *rep, void *data);

/* health_new: one curl multi handle bound to the loop. */
struct health *health_new(uv_loop_t *loop);
/* health_check: check every service at ip; done called once from the
 * loop. timeout_ms bounds each request. Returns 0, or -1 (no callback)
 * when curl could not start. */
int health_check(struct health *h, const char *ip,
		 const struct health_service_target *t, size_t n,
		 uint64_t timeout_ms, health_done_cb done, void *data);
/* health_free: abort pending checks (their callbacks are not called),
 * close every handle; memory is released in close callbacks, so run the
 * loop afterwards until it has no more handles. */
void health_free(struct health *h);

/* health_parse_pipelock: parse pipelock /health JSON into r (pure):
 * kill_switch_active, forward_proxy_enabled (-1 when missing or not a
 * boolean), version and mode (NULL when not strings, replaced if set);
 * a "status" other than "healthy" or "ok" sets r->error. 0 for a JSON
 * object, -1 otherwise (everything unknown). */
int health_parse_pipelock(const char *buf, size_t len,
			  struct health_service_result *r);
void health_service_result_release(struct health_service_result *r);

#endif
