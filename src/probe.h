/* probe.h: isolation probes run inside the VM through smolvm exec.
 *
 * A probe run executes every probe of design.md §2 for one bottle, in
 * parallel where they are independent, and reports one verdict each.
 * bundle-reach is the positive control: when it does not PASS, the
 * negative probes (localhost-reach, egress-port-bypass, cross-bottle,
 * dns-hole) are UNKNOWN, never PASS. With the in-VM helper a run costs
 * two execs whatever the number of targets: one `bottle-probe connect`
 * for every connect probe, and exec-fidelity. */
#ifndef BOTTLE_PROBE_H
#define BOTTLE_PROBE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "canary.h"
#include "proc.h"
#include "smolvm.h"

enum probe_id {
	PROBE_BUNDLE_REACH = 0,
	PROBE_LOCALHOST_REACH,
	PROBE_EGRESS_PORT_BYPASS,
	PROBE_EXEC_FIDELITY,
	PROBE_CROSS_BOTTLE,
	PROBE_DNS_HOLE,
	PROBE_COUNT
};

enum probe_verdict {
	PROBE_NONE = 0, /* never ran */
	PROBE_PASS,
	PROBE_FAIL,
	PROBE_UNKNOWN,
	PROBE_WARN, /* informational (dns-hole reachable) */
	PROBE_SKIP, /* not applicable (no other bottle, no resolver) */
};

/* What one exec inside the VM came to: the raw material of a verdict. */
enum probe_outcome {
	PROBE_OUT_NONE = 0,  /* not attempted */
	PROBE_OUT_CONNECTED, /* the TCP connect succeeded */
	PROBE_OUT_REFUSED,   /* ECONNREFUSED */
	PROBE_OUT_DENIED,    /* EACCES/EPERM: the allowlist said no */
	PROBE_OUT_TIMEOUT,   /* no answer within the connect timeout */
	PROBE_OUT_ERROR,     /* another connect error (ENETUNREACH...) */
	PROBE_OUT_EXITED,    /* exec-fidelity: the command ran, see status */
	PROBE_OUT_BROKEN,    /* no evidence: smolvm failed, exec timed out,
				no usable tool or output in the guest */
};

/* What came back over a connection the helper made (bottle-probe's
 * reply= field): a bare connect proves nothing under virtio-net. */
enum probe_reply {
	PROBE_REPLY_NONE = 0, /* not connected, or no exchange (nc) */
	PROBE_REPLY_HTTP,     /* an HTTP status line; code = status */
	PROBE_REPLY_DATA,     /* n bytes that are no HTTP status line */
	PROBE_REPLY_EOF,      /* closed with no byte */
	PROBE_REPLY_RESET,    /* reset with no byte */
	PROBE_REPLY_SILENT,   /* nothing before the deadline */
	PROBE_REPLY_DNS,      /* a DNS answer; code = rcode, n = answers */
};

/* One attempt of a probe (a probe may aim at several targets). */
struct probe_attempt {
	char *target; /* owned; "10.213.0.2:9099 (egress)" */
	enum probe_outcome out;
	char *info;	 /* owned or NULL; errno name or smolvm's message */
	int exit_status; /* exec-fidelity: the status smolvm returned */
	uint64_t ms;	 /* connect time, else the exec's duration */
	enum probe_reply reply;
	int reply_code;
	int reply_n;
	int attributed; /* smolvm's egress-events recorded the denial */
};

/* The raw outcome of one probe: what probe_judge decides from. */
struct probe_raw {
	int applicable;		   /* 0: SKIP (nothing to aim at) */
	const char *skip_reason;   /* borrowed; when !applicable */
	struct probe_attempt *att; /* owned array of n_att */
	size_t n_att;
	uint64_t canary_hits;	 /* localhost-reach: connections the canary
				    saw while the probe ran */
	int virtio;		 /* smolvm's allowlist on virtio-net (1.1.3+) */
	int attribution;	 /* egress-events was read: a denial counts
				    only with its record (1.8.1+) */
	char *attribution_error; /* owned: why egress-events could not be
				    read, or NULL */
};

/* Who stands behind a verdict: what the guest printed is at most a hint.
 * Judged by bottle-proof.c after a run from what the host saw (wall.h)
 * and kept beside the result (struct bottle's probe_evidence: a field
 * here would break positional initializers of struct probe_result). */
enum probe_evidence {
	PROBE_EVIDENCE_NONE = 0, /* not judged (not a PASS, or no claim on
				    the isolation: exec-fidelity) */
	PROBE_GUEST_ONLY,	 /* a PASS on the guest's word only */
	PROBE_HOST_PROVEN,	 /* the host saw it (counters, its own
				    connect); evidence_text says what */
};

struct probe_result {
	enum probe_verdict verdict;
	char *detail;	     /* owned; "connected in 3 ms", "denied (EACCES)" */
	uint64_t latency_ms; /* of the probe's exec */
	uint64_t at_ms;	     /* wall clock when it finished */
	char *method;	     /* owned; "bottle-probe", "nc" or "sh" */
};

/* One port the VM must not reach on the bundle IP (agent_reachable false). */
struct probe_port {
	const char *service; /* borrowed */
	int port;
};

struct probe_target {
	const struct smolvm_cli *cli;	 /* smolvm (or the simulator) */
	const char *const *env;		 /* smolvm's environment (smolvm_env) */
	const char *name;		 /* the bottle: machine "bottle-NAME" */
	const char *bundle_ip;		 /* B */
	int proxy_port;			 /* pipelock port on B: the control */
	const struct probe_port *closed; /* ports that must be refused on B */
	size_t n_closed;
	const char *const *others; /* other running bottles' bundle IPs */
	size_t n_others;
	const char *resolver;  /* dns-hole target or NULL: on TSI bands
				  then SKIP; under virtio-net the gateway
				  is queried anyway */
	const char *dns_name;  /* virtio-net dns-hole: the name queried */
	int timeout_s;	       /* per exec */
	const char *helper;    /* guest path of bottle-probe, e.g.
				  "/opt/bottle/bottle-probe", or NULL */
	struct canary *canary; /* borrowed; the host-loopback listener,
				  used until done or probe_run_cancel;
				  NULL makes localhost-reach UNKNOWN */
};

struct probe_report {
	struct probe_result r[PROBE_COUNT]; /* borrowed during the callback */
	int all_pass; /* every probe PASS, WARN or SKIP; none FAIL/UNKNOWN */
	int any_fail;
};

struct probe_run;

/* Called once per command the run executes (for events.log). */
typedef void (*probe_command_cb)(const char *const *argv,
				 const struct proc_result *r, void *data);
typedef void (*probe_done_cb)(struct probe_run *run,
			      const struct probe_report *rep, void *data);

/* probe_run_start: start a run; target strings are copied. done is
 * called exactly once from the loop; the run frees itself after. */
struct probe_run *probe_run_start(uv_loop_t *loop, const struct probe_target *t,
				  probe_command_cb on_command,
				  probe_done_cb done, void *data);
/* probe_run_cancel: kill its children; done still fires (UNKNOWN). */
void probe_run_cancel(struct probe_run *run);

const char *probe_name(enum probe_id id);	      /* "bundle-reach" */
const char *probe_verdict_name(enum probe_verdict v); /* "PASS" */
void probe_result_copy(struct probe_result *dst,
		       const struct probe_result *src);
void probe_result_release(struct probe_result *r);

/* probe_parse_helper_line: parse bottle-probe's output line into
 * *connected (1/0) and an errno name; 0 ok, -1 not a helper line. */
int probe_parse_helper_line(const char *line, size_t len, int *connected,
			    char **err_name, uint64_t *ms);

/* probe_parse_helper_result: like probe_parse_helper_line, with the
 * helper's own result word in *out (CONNECTED, REFUSED, DENIED, TIMEOUT
 * or ERROR). *err_name is owned by the caller, NULL for "none". */
int probe_parse_helper_result(const char *line, size_t len,
			      enum probe_outcome *out, char **err_name,
			      uint64_t *ms);

/* One target of a batched `bottle-probe connect`, and its line's answer. */
struct probe_batch_item {
	const char *host; /* borrowed; the HOST given to the helper */
	const char *port; /* borrowed; the PORT word ("8888", "53/udp:x") */
	enum probe_outcome out; /* PROBE_OUT_NONE: no line answered it */
	char *err_name;		/* owned (caller frees) or NULL for "none" */
	uint64_t ms;		/* the helper's time for this connect */
	enum probe_reply reply;
	int reply_code, reply_n;
};

/* probe_parse_reply: bottle-probe's reply= value ("http(200)", "reset",
 * "dns(0,1)", ...). 0, or -1 when it is not one. */
int probe_parse_reply(const char *s, size_t len, enum probe_reply *reply,
		      int *code, int *n);

/* probe_denial_recorded: 1 when events[0..n) (egress-events, 1.8.1+)
 * hold a `connect` to host:port stamped within [from, to] (RFC 3339 UTC
 * seconds, "YYYY-MM-DDTHH:MM:SSZ"), else 0. */
int probe_denial_recorded(const struct smolvm_egress_event *events, size_t n,
			  const char *host, int port, const char *from,
			  const char *to);

/* probe_parse_helper_output: answer items[0..n) (unanswered on entry)
 * from bottle-probe's output out[0..len): its k-th line answers items[k]
 * when it names the same HOST and PORT, else items[k] stays unanswered;
 * other text is ignored. Returns the number of helper lines seen. */
size_t probe_parse_helper_output(const char *out, size_t len,
				 struct probe_batch_item *items, size_t n);

/* probe_judge: the verdict and detail of probe id from its raw outcome
 * and the positive control's verdict (pure; res->detail is replaced,
 * method, latency and time are left alone). */
void probe_judge(enum probe_id id, const struct probe_raw *raw,
		 enum probe_verdict control, struct probe_result *res);
/* probe_report_tally: set all_pass and any_fail from the verdicts. */
void probe_report_tally(struct probe_report *rep);
/* probe_raw_release: free the attempts of raw. */
void probe_raw_release(struct probe_raw *raw);
/* probe_outcome_name: "connected", "refused", "denied", ... */
const char *probe_outcome_name(enum probe_outcome o);

#endif
