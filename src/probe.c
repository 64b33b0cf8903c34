/* probe.c: isolation probes through smolvm exec (see probe.h).
 *
 * A run is a fixed list of jobs, one exec each: the batch, one
 * `bottle-probe connect` that makes every connect of the run concurrently
 * (bundle-reach's first), exec-fidelity, and on 1.8.1+ the read of
 * smolvm's egress-events once the connects are done. Every connect is the
 * helper's: without a verified helper (t->helper NULL) the connect probes
 * are UNKNOWN ("no verified probe helper"), and when the helper cannot
 * run in the guest they are UNKNOWN too. A verdict never rests on the
 * guest's own nc or sh; only exec-fidelity runs a plain command, since it
 * tests exec itself. Within the batch the negative connects are made
 * whatever the control says, and probe_judge still makes them UNKNOWN
 * when it did not pass.
 *
 * localhost-reach aims at the canary with a per-run nonce (PORT/canary):
 * the nonce goes to the helper on the batch exec's stdin (smolvm exec -i),
 * never on an argv another local user could read in /proc, and only a
 * connection that carries it counts as the guest's; other connections to
 * the canary are counted as unrelated and named in the detail.
 *
 * Each job's outcome lands in its probe's raw record; when the last job is
 * done, the pure probe_judge turns every raw record into a verdict, done
 * is called and the run frees itself. */
#include "probe.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "sanitize.h"
#include "util.h"

#define PROBE_PARALLEL 4 /* concurrent execs per run */
#define PROBE_FIDELITY_STATUS 42
#define PROBE_DNS_PORT 53
#define PROBE_CAPTURE ((size_t)64 << 10)
#define PROBE_HOST_GRACE_MS 10000 /* our own bound beyond smolvm's */
#define PROBE_INFO_MAX 240	  /* bytes of guest or smolvm text kept */
#define PROBE_EXIT_CANNOT_EXEC 126
#define PROBE_EXIT_NOT_FOUND 127
#define PROBE_EXIT_TIMEOUT 124
#define PROBE_EXIT_SIGNALLED 255
#define PROBE_EVENTS_LIMIT 1000 /* egress-events records read back */
#define PROBE_NONCE_BYTES 16	/* 32 hex digits */
#define PROBE_NO_HELPER "no verified probe helper"

/* PROBE_M_CONNECT: a connect the batch makes (never an exec of its own) */
enum probe_method {
	PROBE_M_HELPER,
	PROBE_M_SH,
	PROBE_M_EVENTS,
	PROBE_M_CONNECT
};

static const char *const probe_method_names[] = {"bottle-probe", "sh",
						 "egress-events"};

enum probe_job_state {
	PROBE_JOB_WAITING,
	PROBE_JOB_RUNNING,
	PROBE_JOB_DONE,
	PROBE_JOB_BATCHED, /* a connect the batch makes, until it is done */
};

/* One exec inside the VM, or a connect the batch makes: the batch of
 * every connect (method PROBE_M_HELPER, id PROBE_BUNDLE_REACH, no host),
 * a connect (PROBE_M_CONNECT), exec-fidelity (sh) or egress-events. */
struct probe_job {
	struct probe_run *run;
	enum probe_id id;
	size_t idx; /* attempt index in run->raw[id] */
	char *host; /* owned; NULL for exec-fidelity and the batch */
	int port;
	char *port_word; /* owned; the helper's PORT ("53/udp:NAME") */
	enum probe_method method;
	enum probe_job_state state;
	int batched;	   /* its connect is made by the batch */
	int watch_canary;  /* count the canary's hits while it runs */
	struct proc *proc; /* borrowed; while running */
	struct strv argv;  /* while running */
	uint64_t unrelated_before;
};

/* When a probe's execs ran, and how. */
struct probe_span {
	uint64_t start_ms;   /* monotonic; first exec started (0: none) */
	uint64_t end_ms;     /* monotonic; last exec finished */
	uint64_t wall_ms;    /* wall clock when the probe was settled */
	unsigned methods;    /* bit per enum probe_method used */
	int measured;	     /* latency_ms is the batch's, not end - start */
	uint64_t latency_ms; /* the slowest of its connects in the batch */
};

struct probe_run {
	uv_loop_t *loop;
	struct smolvm_cli cli; /* bin owned */
	struct strv env;       /* smolvm's environment */
	char *name;	       /* owned copies of the target's strings */
	char *helper;
	int virtio;	     /* the allowlist on virtio-net (1.1.3+) */
	int attribution;     /* read egress-events after the connects */
	uint64_t batch_wall; /* wall clock when the connects began */
	int timeout_s;
	struct canary *canary;		       /* borrowed */
	char nonce[2 * PROBE_NONCE_BYTES + 1]; /* this run's, for the canary;
						   "" when there is none */
	char nonce_line[2 * PROBE_NONCE_BYTES + 2]; /* the helper's stdin */
	uint64_t unrelated; /* other connections the canary saw meanwhile */
	probe_command_cb on_command;
	probe_done_cb done;
	void *data;

	struct probe_raw raw[PROBE_COUNT]; /* owned attempts */
	struct probe_span span[PROBE_COUNT];
	struct probe_job *jobs; /* owned array; never reallocated */
	size_t n_jobs;
	size_t running;
	int control_decided;
	enum probe_verdict control;
	int cancelled;
	int finished;
};

/* ---- names ------------------------------------------------------------ */

const char *probe_name(enum probe_id id)
{
	static const char *const names[PROBE_COUNT] = {
	    "bundle-reach",  "localhost-reach", "egress-port-bypass",
	    "exec-fidelity", "cross-bottle",	"dns-hole",
	};

	return (unsigned)id < PROBE_COUNT ? names[id] : "unknown";
}

const char *probe_verdict_name(enum probe_verdict v)
{
	switch (v) {
	case PROBE_NONE:
		return "NONE";
	case PROBE_PASS:
		return "PASS";
	case PROBE_FAIL:
		return "FAIL";
	case PROBE_UNKNOWN:
		return "UNKNOWN";
	case PROBE_WARN:
		return "WARN";
	case PROBE_SKIP:
		return "SKIP";
	}
	return "NONE";
}

const char *probe_outcome_name(enum probe_outcome o)
{
	switch (o) {
	case PROBE_OUT_NONE:
		return "not run";
	case PROBE_OUT_CONNECTED:
		return "connected";
	case PROBE_OUT_REFUSED:
		return "refused";
	case PROBE_OUT_DENIED:
		return "denied";
	case PROBE_OUT_TIMEOUT:
		return "timed out";
	case PROBE_OUT_ERROR:
		return "error";
	case PROBE_OUT_EXITED:
		return "exited";
	case PROBE_OUT_BROKEN:
		return "no answer";
	}
	return "not run";
}

/* ---- results ---------------------------------------------------------- */

void probe_result_copy(struct probe_result *dst, const struct probe_result *src)
{
	*dst = *src;
	dst->detail = src->detail ? xstrdup(src->detail) : NULL;
	dst->method = src->method ? xstrdup(src->method) : NULL;
}

void probe_result_release(struct probe_result *r)
{
	free(r->detail);
	free(r->method);
	memset(r, 0, sizeof *r);
}

void probe_raw_release(struct probe_raw *raw)
{
	size_t i;

	for (i = 0; i < raw->n_att; i++) {
		free(raw->att[i].target);
		free(raw->att[i].info);
	}
	free(raw->att);
	raw->att = NULL;
	raw->n_att = 0;
	free(raw->attribution_error);
	raw->attribution_error = NULL;
}

void probe_report_tally(struct probe_report *rep)
{
	size_t i;

	rep->all_pass = 1;
	rep->any_fail = 0;
	for (i = 0; i < PROBE_COUNT; i++) {
		switch (rep->r[i].verdict) {
		case PROBE_PASS:
		case PROBE_WARN:
		case PROBE_SKIP:
			break;
		case PROBE_FAIL:
			rep->any_fail = 1;
			rep->all_pass = 0;
			break;
		case PROBE_NONE:
		case PROBE_UNKNOWN:
			rep->all_pass = 0;
			break;
		}
	}
}

/* probe_clean: s[0..n) made safe for a terminal, a JSON string and a log
 * line: everything a probe keeps of guest or smolvm text goes through it
 * (the guest may be root and print escape sequences). Caller frees. */
static char *probe_clean(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	if (n > PROBE_INFO_MAX)
		n = PROBE_INFO_MAX;
	sanitize_line(s, n, &b, NULL);
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_detach(&b);
}

/* ---- the helper's line -------------------------------------------------- */

/* probe_decimal: s[0..len) as a decimal no larger than max, or -1. */
static int probe_decimal(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 19)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

static int probe_word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

static int probe_result_word(const char *s, size_t len, enum probe_outcome *out)
{
	static const struct {
		const char *word;
		enum probe_outcome out;
	} words[] = {
	    {"connected", PROBE_OUT_CONNECTED}, {"refused", PROBE_OUT_REFUSED},
	    {"denied", PROBE_OUT_DENIED},	{"timeout", PROBE_OUT_TIMEOUT},
	    {"error", PROBE_OUT_ERROR},
	};
	size_t i;

	for (i = 0; i < UTIL_NELEM(words); i++) {
		if (probe_word_is(s, len, words[i].word)) {
			*out = words[i].out;
			return 0;
		}
	}
	return -1;
}

/* probe_errno_word: "NAME(NUM)" (or a bare NAME) → NAME in [*name,
 * *name_len); "none" gives length 0. */
static int probe_errno_word(const char *s, size_t len, const char **name,
			    size_t *name_len)
{
	const char *open = memchr(s, '(', len);
	uint64_t num;
	size_t n = open ? (size_t)(open - s) : len;

	if (n == 0)
		return -1;
	if (open != NULL) {
		const char *digits = open + 1;
		size_t dlen = len - n - 1;
		if (dlen < 2 || s[len - 1] != ')' ||
		    probe_decimal(digits, dlen - 1, 100000, &num) != 0)
			return -1;
	}
	*name = s;
	*name_len = probe_word_is(s, n, "none") ? 0 : n;
	return 0;
}

/* probe_paren_ints: "(A)" or "(A,B)" at s[0..len) into a and b. */
static int probe_paren_ints(const char *s, size_t len, int *a, int *b)
{
	const char *comma;
	uint64_t x, y = 0;

	if (len < 3 || s[0] != '(' || s[len - 1] != ')')
		return -1;
	s++;
	len -= 2;
	comma = memchr(s, ',', len);
	if (probe_decimal(s, comma ? (size_t)(comma - s) : len, 1000000, &x) !=
	    0)
		return -1;
	if (comma != NULL &&
	    probe_decimal(comma + 1, len - (size_t)(comma - s) - 1, 1000000,
			  &y) != 0)
		return -1;
	if ((comma != NULL) != (b != NULL))
		return -1;
	*a = (int)x;
	if (b != NULL)
		*b = (int)y;
	return 0;
}

int probe_parse_reply(const char *s, size_t len, enum probe_reply *reply,
		      int *code, int *n)
{
	static const struct {
		const char *word;
		enum probe_reply reply;
	} bare[] = {
	    {"eof", PROBE_REPLY_EOF},
	    {"reset", PROBE_REPLY_RESET},
	    {"silent", PROBE_REPLY_SILENT},
	};
	size_t i;

	*code = 0;
	*n = 0;
	for (i = 0; i < UTIL_NELEM(bare); i++) {
		if (probe_word_is(s, len, bare[i].word)) {
			*reply = bare[i].reply;
			return 0;
		}
	}
	if (len > 4 && memcmp(s, "http", 4) == 0 &&
	    probe_paren_ints(s + 4, len - 4, code, NULL) == 0 && *code >= 100 &&
	    *code <= 599) {
		*reply = PROBE_REPLY_HTTP;
		return 0;
	}
	if (len > 4 && memcmp(s, "data", 4) == 0 &&
	    probe_paren_ints(s + 4, len - 4, n, NULL) == 0) {
		*reply = PROBE_REPLY_DATA;
		return 0;
	}
	if (len > 3 && memcmp(s, "dns", 3) == 0 &&
	    probe_paren_ints(s + 3, len - 3, code, n) == 0 && *code <= 15) {
		*reply = PROBE_REPLY_DNS;
		return 0;
	}
	return -1;
}

/* The words of one helper line. */
struct probe_helper_fields {
	const char *host; /* in the line; not terminated */
	size_t host_len;
	const char *port; /* the PORT word, as given to the helper */
	size_t port_len;
	enum probe_reply reply;
	int reply_code, reply_n;
	int have_result;
	enum probe_outcome out;
	const char *err;
	size_t err_len;
	uint64_t ms;
};

static int probe_helper_field(const char *w, size_t n,
			      struct probe_helper_fields *f)
{
	const char *eq = memchr(w, '=', n);
	size_t klen, vlen;
	const char *v;

	if (eq == NULL)
		return -1;
	klen = (size_t)(eq - w);
	v = eq + 1;
	vlen = n - klen - 1;
	if (probe_word_is(w, klen, "result")) {
		if (f->have_result || probe_result_word(v, vlen, &f->out) != 0)
			return -1;
		f->have_result = 1;
		return 0;
	}
	if (probe_word_is(w, klen, "errno"))
		return probe_errno_word(v, vlen, &f->err, &f->err_len);
	if (probe_word_is(w, klen, "ms"))
		return probe_decimal(v, vlen, UINT64_MAX / 2, &f->ms);
	if (probe_word_is(w, klen, "reply"))
		return probe_parse_reply(v, vlen, &f->reply, &f->reply_code,
					 &f->reply_n);
	return 0; /* a newer helper's extra field */
}

/* probe_helper_word: the n bytes at w as word number i of the line. */
static int probe_helper_word(const char *w, size_t n, size_t i,
			     struct probe_helper_fields *f)
{
	const char *slash = memchr(w, '/', n);
	uint64_t port;

	switch (i) {
	case 0:
		return probe_word_is(w, n, "bottle-probe") ? 0 : -1;
	case 1:
		return probe_word_is(w, n, "connect") ? 0 : -1;
	case 2:
		f->host = w;
		f->host_len = n;
		return 0;
	case 3: /* PORT, or PORT/udp:NAME, PORT/tcp:NAME */
		if (probe_decimal(w, slash ? (size_t)(slash - w) : n, 65535,
				  &port) != 0 ||
		    port == 0)
			return -1;
		f->port = w;
		f->port_len = n;
		return 0;
	default:
		return probe_helper_field(w, n, f);
	}
}

/* probe_helper_parse: the fields of one helper line; -1 if it is not one. */
static int probe_helper_parse(const char *line, size_t len,
			      struct probe_helper_fields *f)
{
	const char *p = line, *end, *sp;
	size_t n, word = 0;

	memset(f, 0, sizeof *f);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	end = line + len;
	while (p < end) {
		sp = memchr(p, ' ', (size_t)(end - p));
		n = sp ? (size_t)(sp - p) : (size_t)(end - p);
		if (n == 0 || memchr(p, '\0', n) != NULL ||
		    probe_helper_word(p, n, word, f) != 0)
			return -1;
		word++;
		p += n + (sp != NULL);
		if (sp != NULL && p == end)
			return -1; /* trailing space */
	}
	return word >= 5 && f->have_result ? 0 : -1;
}

int probe_parse_helper_result(const char *line, size_t len,
			      enum probe_outcome *out, char **err_name,
			      uint64_t *ms)
{
	struct probe_helper_fields f;

	if (probe_helper_parse(line, len, &f) != 0)
		return -1;
	if (out != NULL)
		*out = f.out;
	if (ms != NULL)
		*ms = f.ms;
	if (err_name != NULL)
		*err_name = f.err_len ? probe_clean(f.err, f.err_len) : NULL;
	return 0;
}

int probe_parse_helper_line(const char *line, size_t len, int *connected,
			    char **err_name, uint64_t *ms)
{
	enum probe_outcome o;

	if (probe_parse_helper_result(line, len, &o, err_name, ms) != 0)
		return -1;
	if (connected != NULL)
		*connected = o == PROBE_OUT_CONNECTED;
	return 0;
}

static int probe_helper_answers(const struct probe_batch_item *it,
				const struct probe_helper_fields *f)
{
	return it->host != NULL && it->port != NULL &&
	       probe_word_is(f->port, f->port_len, it->port) &&
	       probe_word_is(f->host, f->host_len, it->host);
}

size_t probe_parse_helper_output(const char *out, size_t len,
				 struct probe_batch_item *items, size_t n)
{
	const char *p = out, *end, *nl;
	struct probe_helper_fields f;
	size_t lines = 0;

	if (out == NULL)
		return 0;
	for (end = out + len; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (probe_helper_parse(p, (size_t)(nl - p), &f) != 0)
			continue;
		if (lines < n && probe_helper_answers(&items[lines], &f)) {
			items[lines].out = f.out;
			items[lines].ms = f.ms;
			items[lines].reply = f.reply;
			items[lines].reply_code = f.reply_code;
			items[lines].reply_n = f.reply_n;
			items[lines].err_name =
			    f.err_len ? probe_clean(f.err, f.err_len) : NULL;
		}
		lines++;
	}
	return lines;
}

/* ---- verdicts (pure) ---------------------------------------------------- */

static int probe_is_negative(enum probe_id id)
{
	return id == PROBE_LOCALHOST_REACH || id == PROBE_EGRESS_PORT_BYPASS ||
	       id == PROBE_CROSS_BOTTLE || id == PROBE_DNS_HOLE;
}

/* ", answered HTTP 200", ", then reset with nothing answered" */
static void probe_describe_reply(struct buf *d, const struct probe_attempt *a)
{
	switch (a->reply) {
	case PROBE_REPLY_NONE:
		break;
	case PROBE_REPLY_HTTP:
		buf_addf(d, ", answered HTTP %d", a->reply_code);
		break;
	case PROBE_REPLY_DATA:
		buf_addf(d, ", answered %d bytes", a->reply_n);
		break;
	case PROBE_REPLY_EOF:
		buf_adds(d, ", then closed with nothing answered");
		break;
	case PROBE_REPLY_RESET:
		buf_adds(d, ", then reset with nothing answered");
		break;
	case PROBE_REPLY_SILENT:
		buf_adds(d, ", then nothing came back");
		break;
	case PROBE_REPLY_DNS:
		buf_addf(d, ", DNS answer rcode %d with %d record%s",
			 a->reply_code, a->reply_n, a->reply_n == 1 ? "" : "s");
		break;
	}
}

/* "TARGET: refused (ECONNREFUSED)", "TARGET: connected in 3 ms". */
static void probe_describe(struct buf *d, const struct probe_attempt *a)
{
	if (d->len > 0)
		buf_adds(d, "; ");
	buf_addf(d, "%s: ", a->target ? a->target : "?");
	if (a->out == PROBE_OUT_BROKEN) {
		buf_adds(d, a->info ? a->info : "no answer");
		return;
	}
	buf_adds(d, probe_outcome_name(a->out));
	if (a->info != NULL)
		buf_addf(d, " (%s)", a->info);
	if (a->out == PROBE_OUT_CONNECTED)
		buf_addf(d, " in %llu ms", (unsigned long long)a->ms);
	probe_describe_reply(d, a);
	if (a->attributed)
		buf_adds(d, ", denial recorded by smolvm");
}

/* probe_describe_only: describe the attempts whose outcome is o. */
static void probe_describe_only(struct buf *d, const struct probe_raw *raw,
				enum probe_outcome o)
{
	size_t i;

	for (i = 0; i < raw->n_att; i++)
		if (raw->att[i].out == o)
			probe_describe(d, &raw->att[i]);
}

/* bundle-reach: a real exchange, an HTTP answer from the service. A bare
 * connect (nc) counts only on TSI, where a connect reaches the port
 * itself; under virtio-net the VMM accepts every connect to B first. */
static enum probe_verdict probe_judge_control(const struct probe_raw *raw,
					      struct buf *d)
{
	const struct probe_attempt *a = raw->n_att ? &raw->att[0] : NULL;

	if (a == NULL || a->out == PROBE_OUT_NONE) {
		buf_adds(d, "not run");
		return PROBE_UNKNOWN;
	}
	probe_describe(d, a);
	if (a->out == PROBE_OUT_BROKEN)
		return PROBE_UNKNOWN;
	if (a->out != PROBE_OUT_CONNECTED)
		return PROBE_FAIL;
	switch (a->reply) {
	case PROBE_REPLY_HTTP:
		return PROBE_PASS;
	case PROBE_REPLY_NONE:
		if (!raw->virtio)
			return PROBE_PASS;
		buf_adds(d, "; a bare connect proves nothing under virtio-net");
		return PROBE_UNKNOWN;
	case PROBE_REPLY_SILENT:
		buf_adds(d, "; the service never answered");
		return PROBE_UNKNOWN;
	default:
		buf_adds(d, "; no HTTP answer from the service");
		return PROBE_FAIL;
	}
}

static enum probe_verdict probe_judge_fidelity(const struct probe_raw *raw,
					       struct buf *d)
{
	const struct probe_attempt *a = raw->n_att ? &raw->att[0] : NULL;

	if (a == NULL || a->out == PROBE_OUT_NONE) {
		buf_adds(d, "not run");
		return PROBE_UNKNOWN;
	}
	if (a->out != PROBE_OUT_EXITED) {
		buf_adds(d, a->info ? a->info : probe_outcome_name(a->out));
		return PROBE_UNKNOWN;
	}
	buf_addf(d, "exit %d came back as %d", PROBE_FIDELITY_STATUS,
		 a->exit_status);
	if (a->info != NULL)
		buf_addf(d, " (%s)", a->info);
	return a->exit_status == PROBE_FIDELITY_STATUS ? PROBE_PASS
						       : PROBE_FAIL;
}

/* probe_reached: evidence that the attempt reached its target. Under
 * virtio-net a connect to an allowed address always succeeds, so for
 * egress-port-bypass (B is allowed) only bytes back are reach; for every
 * other negative probe the connect itself shows the address is allowed.
 * A DNS query reached when names resolve. */
static int probe_reached(enum probe_id id, const struct probe_raw *raw,
			 const struct probe_attempt *a)
{
	if (a->reply == PROBE_REPLY_DNS)
		return a->reply_code == 0 && a->reply_n > 0;
	if (id == PROBE_DNS_HOLE && raw->virtio)
		return 0; /* a connect to port 53 reaches the gateway */
	if (a->out != PROBE_OUT_CONNECTED)
		return 0;
	if (id == PROBE_EGRESS_PORT_BYPASS && raw->virtio)
		return a->reply == PROBE_REPLY_HTTP ||
		       a->reply == PROBE_REPLY_DATA;
	return 1;
}

/* Evidence of reach fails a negative probe whatever the control says. */
static enum probe_verdict probe_judge_reached(enum probe_id id,
					      const struct probe_raw *raw,
					      struct buf *d)
{
	size_t i;

	for (i = 0; i < raw->n_att; i++)
		if (probe_reached(id, raw, &raw->att[i]))
			probe_describe(d, &raw->att[i]);
	if (id == PROBE_DNS_HOLE && raw->virtio) {
		buf_adds(d, "; names resolve from inside the VM: the DNS "
			    "tunnel is open");
		return PROBE_FAIL;
	}
	if (id == PROBE_DNS_HOLE) {
		buf_adds(d, "; smolvm adds the resolver to every allowlist");
		return PROBE_WARN;
	}
	if (id == PROBE_LOCALHOST_REACH && raw->canary_hits > 0)
		buf_addf(d,
			 "%sthe canary on the host's 127.0.0.1 saw %llu "
			 "connection%s carrying this run's nonce",
			 d->len ? "; " : "",
			 (unsigned long long)raw->canary_hits,
			 raw->canary_hits == 1 ? "" : "s");
	return PROBE_FAIL;
}

/* probe_unproven: why attempt a, which did not reach, is no proof of a
 * denial, or NULL when it is one. */
static const char *probe_unproven(enum probe_id id, const struct probe_raw *raw,
				  const struct probe_attempt *a)
{
	if (!raw->virtio || id == PROBE_DNS_HOLE)
		return NULL;
	if (id == PROBE_EGRESS_PORT_BYPASS) {
		/* B is allowed: the VMM accepts, then resets a closed port */
		if (a->out == PROBE_OUT_CONNECTED &&
		    (a->reply == PROBE_REPLY_RESET ||
		     a->reply == PROBE_REPLY_EOF))
			return NULL;
		if (a->out == PROBE_OUT_CONNECTED)
			return "no answer either way";
		return "refused at connect, but the bundle's address is "
		       "allowed";
	}
	/* localhost-reach, cross-bottle: a denied address */
	if (raw->attribution && !a->attributed)
		return "smolvm recorded no denial for it";
	if (!raw->attribution && a->out != PROBE_OUT_REFUSED &&
	    a->out != PROBE_OUT_DENIED)
		return "not refused at connect, as a denial is";
	return NULL;
}

static enum probe_verdict probe_judge_negative(enum probe_id id,
					       const struct probe_raw *raw,
					       enum probe_verdict control,
					       struct buf *d)
{
	size_t i, reached = 0, broken = 0, missing = 0;
	const char *why;

	for (i = 0; i < raw->n_att; i++) {
		reached += probe_reached(id, raw, &raw->att[i]);
		broken += raw->att[i].out == PROBE_OUT_BROKEN;
		missing += raw->att[i].out == PROBE_OUT_NONE;
	}
	if (reached > 0 ||
	    (id == PROBE_LOCALHOST_REACH && raw->canary_hits > 0))
		return probe_judge_reached(id, raw, d);
	if (control != PROBE_PASS) {
		buf_adds(d, "positive control bundle-reach did not pass");
		return PROBE_UNKNOWN;
	}
	if (raw->n_att == 0 || missing > 0) {
		buf_adds(d, "not run");
		return PROBE_UNKNOWN;
	}
	if (broken > 0) {
		probe_describe_only(d, raw, PROBE_OUT_BROKEN);
		return PROBE_UNKNOWN;
	}
	if (raw->virtio && raw->attribution_error != NULL &&
	    (id == PROBE_LOCALHOST_REACH || id == PROBE_CROSS_BOTTLE)) {
		buf_addf(d, "no proof of the denial: %s",
			 raw->attribution_error);
		return PROBE_UNKNOWN;
	}
	for (i = 0; i < raw->n_att; i++) {
		probe_describe(d, &raw->att[i]);
		why = probe_unproven(id, raw, &raw->att[i]);
		if (why != NULL) {
			buf_addf(d, ": %s", why);
			return PROBE_UNKNOWN;
		}
	}
	if (id == PROBE_LOCALHOST_REACH)
		buf_adds(d, "; the canary saw no connection carrying this "
			    "run's nonce");
	return PROBE_PASS;
}

void probe_judge(enum probe_id id, const struct probe_raw *raw,
		 enum probe_verdict control, struct probe_result *res)
{
	struct buf d = BUF_INIT;
	enum probe_verdict v;

	if (!raw->applicable) {
		buf_adds(&d, raw->skip_reason ? raw->skip_reason
					      : "not applicable");
		v = PROBE_SKIP;
	} else if (id == PROBE_BUNDLE_REACH) {
		v = probe_judge_control(raw, &d);
	} else if (id == PROBE_EXEC_FIDELITY) {
		v = probe_judge_fidelity(raw, &d);
	} else if (probe_is_negative(id)) {
		v = probe_judge_negative(id, raw, control, &d);
	} else {
		buf_adds(&d, "unknown probe");
		v = PROBE_UNKNOWN;
	}
	free(res->detail);
	res->verdict = v;
	res->detail = buf_detach(&d);
}

/* ---- reading an exec's result ----------------------------------------- */

/* probe_first_line: the first line of b that starts with prefix (or the
 * first non-empty line when prefix is NULL), bounded, as a new string. */
static char *probe_first_line(const struct buf *b, const char *prefix)
{
	const char *p = b->data, *end, *nl;
	size_t n, plen = prefix ? strlen(prefix) : 0;

	if (p == NULL)
		return NULL;
	end = p + b->len;
	for (; p < end; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - p);
		while (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || n < plen || (plen && memcmp(p, prefix, plen)))
			continue;
		return probe_clean(p, n);
	}
	return NULL;
}

/* probe_smolvm_failed: 1 (and *why) when the exec itself failed, so the
 * guest gave no evidence: smolvm's own error, its timeout, ours, or a
 * spawn failure. Guest exit statuses are left to the caller. */
static int probe_smolvm_failed(const struct probe_run *run,
			       const struct proc_result *r, char **why)
{
	char *line;

	if (r->spawn_error != 0) {
		*why = xasprintf("cannot run %s: %s", run->cli.bin,
				 uv_strerror(r->spawn_error));
		return 1;
	}
	if (r->timed_out) {
		*why = xasprintf("smolvm did not finish within %llu ms",
				 (unsigned long long)r->duration_ms);
		return 1;
	}
	if (!r->exited) {
		*why = xasprintf("smolvm killed by signal %d", r->term_signal);
		return 1;
	}
	if (r->exit_status == PROBE_EXIT_TIMEOUT) {
		*why = xasprintf("exec timed out after %d s", run->timeout_s);
		return 1;
	}
	if (r->exit_status == 1 &&
	    (line = probe_first_line(&r->err, "Error: "))) {
		*why = xasprintf("smolvm: %s", line + strlen("Error: "));
		free(line);
		return 1;
	}
	if (r->exit_status == 2 &&
	    (line = probe_first_line(&r->err, "error: "))) {
		*why = xasprintf("smolvm usage: %s", line + strlen("error: "));
		free(line);
		return 1;
	}
	return 0;
}

static struct probe_attempt *probe_job_attempt(const struct probe_job *j)
{
	return &j->run->raw[j->id].att[j->idx];
}

/* probe_job_record: store exec-fidelity's outcome in its attempt. */
static void probe_job_record(struct probe_job *j, const struct proc_result *r)
{
	struct probe_attempt *a = probe_job_attempt(j);
	char *why = NULL;

	free(a->info);
	a->info = NULL;
	a->ms = r->duration_ms;
	if (probe_smolvm_failed(j->run, r, &why)) {
		a->out = PROBE_OUT_BROKEN;
		a->info = why;
		return;
	}
	a->out = PROBE_OUT_EXITED;
	a->exit_status = r->exit_status;
	if (r->exit_status == PROBE_EXIT_SIGNALLED)
		a->info = xstrdup("smolvm's status for a guest killed by a "
				  "signal");
}

/* probe_batch_answer: a batched attempt from the helper's line for it,
 * or no answer (exec_ms: the batch exec's duration). */
static void probe_batch_answer(struct probe_attempt *a,
			       struct probe_batch_item *it, uint64_t exec_ms)
{
	free(a->info);
	if (it->out == PROBE_OUT_NONE) {
		a->out = PROBE_OUT_BROKEN;
		a->info = xstrdup("no line from bottle-probe for it");
		a->ms = exec_ms;
		return;
	}
	a->out = it->out;
	a->info = it->err_name; /* moved */
	it->err_name = NULL;
	a->ms = it->ms;
	a->reply = it->reply;
	a->reply_code = it->reply_code;
	a->reply_n = it->reply_n;
}

/* probe_batch_read: answer every batched attempt from the helper's lines;
 * 1 when there is no such line (the helper could not run). */
static int probe_batch_read(struct probe_run *run, const struct proc_result *r)
{
	struct probe_batch_item *items = xcalloc(run->n_jobs, sizeof *items);
	size_t i, k, n = 0, lines;

	for (i = 0; i < run->n_jobs; i++) {
		if (run->jobs[i].batched) {
			items[n].host = run->jobs[i].host;
			items[n++].port = run->jobs[i].port_word;
		}
	}
	lines = probe_parse_helper_output(r->out.data, r->out.len, items, n);
	for (i = 0, k = 0; i < run->n_jobs && lines > 0; i++)
		if (run->jobs[i].batched)
			probe_batch_answer(probe_job_attempt(&run->jobs[i]),
					   &items[k++], r->duration_ms);
	for (i = 0; i < n; i++)
		free(items[i].err_name);
	free(items);
	return lines == 0;
}

/* probe_batch_fail: every batched attempt has no answer, for why. */
static void probe_batch_fail(struct probe_run *run, const char *why,
			     uint64_t ms)
{
	size_t i;

	for (i = 0; i < run->n_jobs; i++) {
		struct probe_attempt *a;
		if (!run->jobs[i].batched)
			continue;
		a = probe_job_attempt(&run->jobs[i]);
		free(a->info);
		a->out = PROBE_OUT_BROKEN;
		a->info = xstrdup(why);
		a->ms = ms;
	}
}

/* probe_batch_record: store the batch exec's outcome in every batched
 * attempt. When the helper could not run or said nothing, every connect
 * is without an answer: nothing in the guest stands in for it. */
static void probe_batch_record(struct probe_run *run,
			       const struct proc_result *r)
{
	char *why = NULL, *msg;

	if (!probe_smolvm_failed(run, r, &why) &&
	    (r->exit_status == PROBE_EXIT_CANNOT_EXEC ||
	     r->exit_status == PROBE_EXIT_NOT_FOUND))
		why = xasprintf("bottle-probe could not run in the guest "
				"(exit %d)",
				r->exit_status);
	if (why == NULL && probe_batch_read(run, r) != 0) {
		msg = probe_first_line(&r->err, NULL);
		why =
		    xasprintf("no line from bottle-probe (exit %d%s%s)",
			      r->exit_status, msg ? ": " : "", msg ? msg : "");
		free(msg);
	}
	if (why != NULL)
		probe_batch_fail(run, why, r->duration_ms);
	free(why);
}

/* ---- attribution (egress-events, 1.8.1+) ------------------------------ */

/* probe_stamp_ok: ts is "YYYY-MM-DDTHH:MM:SS" then 'Z', '.' or '+'. */
static int probe_stamp_ok(const char *ts)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd";
	size_t i;

	for (i = 0; i < sizeof shape - 1; i++) {
		if (shape[i] == 'd' ? ts[i] < '0' || ts[i] > '9'
				    : ts[i] != shape[i])
			return 0;
	}
	return ts[i] == 'Z' || ts[i] == '.' || ts[i] == '+';
}

int probe_denial_recorded(const struct smolvm_egress_event *events, size_t n,
			  const char *host, int port, const char *from,
			  const char *to)
{
	char dest[64];
	size_t i;

	snprintf(dest, sizeof dest, "%s:%d", host, port);
	for (i = 0; i < n; i++) {
		const struct smolvm_egress_event *e = &events[i];
		if (strcmp(e->operation, "connect") != 0 ||
		    strcmp(e->dest, dest) != 0 || !probe_stamp_ok(e->timestamp))
			continue;
		/* fixed-width UTC stamps compare as strings */
		if (memcmp(e->timestamp, from, 19) >= 0 &&
		    memcmp(e->timestamp, to, 19) <= 0)
			return 1;
	}
	return 0;
}

static int probe_attributable(enum probe_id id)
{
	return id == PROBE_LOCALHOST_REACH || id == PROBE_CROSS_BOTTLE;
}

/* probe_events_record: mark the refused connects that smolvm recorded as
 * denied, or say why the record could not be read. */
static void probe_events_record(struct probe_run *run,
				const struct proc_result *r)
{
	struct smolvm_egress_event *ev = NULL;
	char from[40], to[40], *why = NULL;
	size_t i, n = 0;

	util_iso8601(run->batch_wall - 2000, from, sizeof from);
	util_iso8601(util_wall_ms() + 1000, to, sizeof to);
	if (probe_smolvm_failed(run, r, &why) == 0 && r->exit_status != 0)
		why = xasprintf("smolvm machine egress-events: exit %d",
				r->exit_status);
	if (why == NULL && smolvm_parse_egress_events(r->out.data, r->out.len,
						      &ev, &n, &why) != 0)
		ev = NULL;
	for (i = 0; i < run->n_jobs; i++) {
		const struct probe_job *j = &run->jobs[i];
		struct probe_attempt *a;
		if (!probe_attributable(j->id) || j->host == NULL ||
		    j->method == PROBE_M_EVENTS)
			continue;
		a = &run->raw[j->id].att[j->idx];
		a->attributed =
		    why == NULL &&
		    probe_denial_recorded(ev, n, j->host, j->port, from, to);
	}
	if (why != NULL) {
		for (i = 0; i < PROBE_COUNT; i++) {
			if (!probe_attributable((enum probe_id)i))
				continue;
			free(run->raw[i].attribution_error);
			run->raw[i].attribution_error = xstrdup(why);
		}
	}
	free(why);
	smolvm_egress_events_free(ev, n);
}

/* ---- running ------------------------------------------------------------ */

/* Connect timeout inside the guest: under smolvm's --timeout. */
static uint64_t probe_connect_ms(const struct probe_run *run)
{
	uint64_t ms = (uint64_t)run->timeout_s * 1000;

	return ms > 3000 ? ms - 2000 : ms > 1000 ? ms / 2 : 500;
}

/* probe_batch_argv: HOST PORT TIMEOUT_MS [HOST PORT]... of every batched
 * connect, in plan order (bundle-reach first). */
static void probe_batch_argv(const struct probe_run *run, struct strv *argv,
			     uint64_t ms)
{
	size_t i, k = 0;

	for (i = 0; i < run->n_jobs; i++) {
		const struct probe_job *b = &run->jobs[i];
		if (!b->batched)
			continue;
		strv_push(argv, b->host);
		strv_push(argv, b->port_word);
		if (k++ == 0)
			strv_pushf(argv, "%llu", (unsigned long long)ms);
	}
}

static void probe_job_argv(const struct probe_job *j, struct strv *argv)
{
	const struct probe_run *run = j->run;
	uint64_t ms = probe_connect_ms(run);
	struct smolvm_exec_opts o;
	struct strv cmd = STRV_INIT;

	if (j->method == PROBE_M_EVENTS) {
		*argv = smolvm_argv_egress_events(&run->cli, run->name,
						  PROBE_EVENTS_LIMIT);
		return;
	}
	switch (j->method) {
	case PROBE_M_HELPER:
		strv_push(&cmd, run->helper);
		strv_push(&cmd, "connect");
		probe_batch_argv(run, &cmd, ms);
		break;
	case PROBE_M_SH:
	case PROBE_M_EVENTS:
	case PROBE_M_CONNECT:
		strv_pushv(&cmd, (const char *const[]){"sh", "-c", "exit 42"},
			   3);
		break;
	}
	memset(&o, 0, sizeof o);
	o.timeout_s = (unsigned)run->timeout_s;
	/* the nonce comes on stdin: -i keeps smolvm's stdin open */
	o.interactive = j->method == PROBE_M_HELPER && run->nonce[0] != '\0';
	*argv = smolvm_argv_exec(&run->cli, run->name, &o,
				 (const char *const *)cmd.v);
	strv_release(&cmd);
}

static void probe_advance(struct probe_run *run);

/* probe_batch_settle: the batch answered: each batched probe's span is
 * the batch's, its latency the slowest of its connects. */
static void probe_batch_settle(struct probe_run *run)
{
	size_t i;

	for (i = 0; i < run->n_jobs; i++) {
		struct probe_job *b = &run->jobs[i];
		struct probe_span *s = &run->span[b->id];
		uint64_t ms;
		if (!b->batched)
			continue;
		ms = probe_job_attempt(b)->ms;
		b->state = PROBE_JOB_DONE;
		s->methods |= 1u << PROBE_M_HELPER;
		s->measured = 1;
		s->latency_ms = ms > s->latency_ms ? ms : s->latency_ms;
		s->wall_ms = util_wall_ms();
	}
}

/* probe_batch_done: record the batch and settle its connects. */
static void probe_batch_done(struct probe_run *run, const struct proc_result *r)
{
	probe_batch_record(run, r);
	probe_batch_settle(run);
}

/* probe_canary_count: after the batch, the connections the canary saw
 * with this run's nonce (a hit) and without it (unrelated, since the
 * batch began). */
static void probe_canary_count(struct probe_run *run, struct probe_job *j)
{
	canary_drain(run->canary);
	run->raw[PROBE_LOCALHOST_REACH].canary_hits =
	    canary_nonce_hits(run->canary, run->nonce);
	run->unrelated += canary_unrelated(run->canary) - j->unrelated_before;
}

static void probe_on_exit(struct proc *p, const struct proc_result *r,
			  void *data)
{
	struct probe_job *j = data;
	struct probe_run *run = j->run;
	struct probe_span *s = &run->span[j->id];

	(void)p;
	j->proc = NULL;
	run->running--;
	if (run->on_command != NULL)
		run->on_command((const char *const *)j->argv.v, r, run->data);
	strv_release(&j->argv);
	if (j->method == PROBE_M_EVENTS) {
		probe_events_record(run, r);
		j->state = PROBE_JOB_DONE;
		probe_advance(run);
		return;
	}
	if (j->method == PROBE_M_HELPER)
		probe_batch_done(run, r);
	else
		probe_job_record(j, r);
	if (j->watch_canary && run->canary != NULL)
		probe_canary_count(run, j);
	s->end_ms = util_mono_ms();
	s->wall_ms = util_wall_ms();
	j->state = PROBE_JOB_DONE;
	probe_advance(run);
}

static void probe_job_spawn(struct probe_job *j)
{
	struct probe_run *run = j->run;
	struct probe_span *s = &run->span[j->id];
	struct proc_opts o;

	probe_job_argv(j, &j->argv);
	if (j->watch_canary) {
		canary_drain(run->canary);
		j->unrelated_before = canary_unrelated(run->canary);
	}
	if (j->method != PROBE_M_EVENTS) {
		if (s->start_ms == 0)
			s->start_ms = util_mono_ms();
		s->methods |= 1u << j->method;
	}
	if (j->method != PROBE_M_SH && j->method != PROBE_M_EVENTS &&
	    run->batch_wall == 0)
		run->batch_wall = util_wall_ms();
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)j->argv.v;
	o.env = (const char *const *)run->env.v;
	o.timeout_ms = (uint64_t)run->timeout_s * 1000 + PROBE_HOST_GRACE_MS;
	o.capture = 1;
	o.max_capture = PROBE_CAPTURE;
	o.on_exit = probe_on_exit;
	o.data = j;
	o.new_pgrp = 1;
	if (j->method == PROBE_M_HELPER && run->nonce[0] != '\0') {
		o.stdin_data = run->nonce_line;
		o.stdin_len = strlen(run->nonce_line);
	}
	j->state = PROBE_JOB_RUNNING;
	run->running++;
	j->proc = proc_spawn(run->loop, &o);
}

/* probe_connects_done: no connect is waiting or running any more. */
static int probe_connects_done(const struct probe_run *run)
{
	size_t i;

	for (i = 0; i < run->n_jobs; i++) {
		const struct probe_job *j = &run->jobs[i];
		if (j->method == PROBE_M_HELPER &&
		    (j->state == PROBE_JOB_WAITING ||
		     j->state == PROBE_JOB_RUNNING))
			return 0;
	}
	return 1;
}

static int probe_job_ready(const struct probe_run *run,
			   const struct probe_job *j)
{
	if (j->state != PROBE_JOB_WAITING)
		return 0;
	if (j->method == PROBE_M_EVENTS)
		return run->control_decided && run->control == PROBE_PASS &&
		       probe_connects_done(run);
	return !probe_is_negative(j->id) ||
	       (run->control_decided && run->control == PROBE_PASS);
}

static int probe_all_done(const struct probe_run *run, enum probe_id id)
{
	size_t i;

	for (i = 0; i < run->n_jobs; i++)
		if (run->jobs[i].id == id &&
		    run->jobs[i].state != PROBE_JOB_DONE)
			return 0;
	return 1;
}

/* probe_decide_control: once bundle-reach is settled, release the
 * negative probes, or drop them when it did not pass. */
static void probe_decide_control(struct probe_run *run)
{
	struct probe_result res = {0};
	size_t i;

	probe_judge(PROBE_BUNDLE_REACH, &run->raw[PROBE_BUNDLE_REACH],
		    PROBE_NONE, &res);
	run->control = res.verdict;
	run->control_decided = 1;
	probe_result_release(&res);
	if (run->control == PROBE_PASS)
		return;
	for (i = 0; i < run->n_jobs; i++) {
		struct probe_job *j = &run->jobs[i];
		if (probe_is_negative(j->id) && j->state == PROBE_JOB_WAITING) {
			j->state = PROBE_JOB_DONE;
			run->span[j->id].wall_ms = util_wall_ms();
		}
	}
}

static char *probe_methods(unsigned methods)
{
	struct buf b = BUF_INIT;
	size_t i;

	if (methods == 0)
		return NULL;
	for (i = 0; i < UTIL_NELEM(probe_method_names); i++)
		if (methods & (1u << i))
			buf_addf(&b, "%s%s", b.len ? "," : "",
				 probe_method_names[i]);
	return buf_detach(&b);
}

static void probe_run_free(struct probe_run *run)
{
	size_t i;

	if (run->canary != NULL && run->nonce[0] != '\0')
		canary_forget(run->canary, run->nonce);
	for (i = 0; i < run->n_jobs; i++) {
		free(run->jobs[i].host);
		free(run->jobs[i].port_word);
		strv_release(&run->jobs[i].argv);
	}
	free(run->jobs);
	for (i = 0; i < PROBE_COUNT; i++)
		probe_raw_release(&run->raw[i]);
	free((char *)run->cli.bin);
	strv_release(&run->env);
	free(run->name);
	free(run->helper);
	free(run);
}

/* probe_span_latency: the batch's time for the probe, or its execs'. */
static uint64_t probe_span_latency(const struct probe_span *s)
{
	if (s->measured)
		return s->latency_ms;
	return s->start_ms ? s->end_ms - s->start_ms : 0;
}

static void probe_finish(struct probe_run *run)
{
	struct probe_report rep;
	enum probe_verdict control;
	size_t i;

	memset(&rep, 0, sizeof rep);
	probe_judge(PROBE_BUNDLE_REACH, &run->raw[PROBE_BUNDLE_REACH],
		    PROBE_NONE, &rep.r[PROBE_BUNDLE_REACH]);
	control = rep.r[PROBE_BUNDLE_REACH].verdict;
	for (i = 0; i < PROBE_COUNT; i++) {
		struct probe_result *res = &rep.r[i];
		const struct probe_span *s = &run->span[i];
		if (run->cancelled) {
			free(res->detail);
			res->verdict = PROBE_UNKNOWN;
			res->detail = xstrdup("cancelled");
		} else if (i != PROBE_BUNDLE_REACH) {
			probe_judge((enum probe_id)i, &run->raw[i], control,
				    res);
		}
		if (!run->cancelled && run->helper == NULL &&
		    i != PROBE_EXEC_FIDELITY && res->verdict != PROBE_SKIP) {
			/* no verdict rests on the guest's own tools */
			free(res->detail);
			res->verdict = PROBE_UNKNOWN;
			res->detail = xstrdup(PROBE_NO_HELPER);
		}
		if (i == PROBE_LOCALHOST_REACH && run->unrelated > 0) {
			char *d = xasprintf(
			    "%s; %llu unrelated connection%s to the canary "
			    "(without this run's nonce) ignored",
			    res->detail ? res->detail : "",
			    (unsigned long long)run->unrelated,
			    run->unrelated == 1 ? "" : "s");
			free(res->detail);
			res->detail = d;
		}
		res->method = probe_methods(s->methods);
		res->latency_ms = probe_span_latency(s);
		res->at_ms = s->wall_ms ? s->wall_ms : util_wall_ms();
	}
	probe_report_tally(&rep);
	run->finished = 1;
	run->done(run, &rep, run->data);
	for (i = 0; i < PROBE_COUNT; i++)
		probe_result_release(&rep.r[i]);
	probe_run_free(run);
}

static void probe_advance(struct probe_run *run)
{
	size_t i;

	if (!run->cancelled && !run->control_decided &&
	    probe_all_done(run, PROBE_BUNDLE_REACH))
		probe_decide_control(run);
	for (i = 0; i < run->n_jobs && run->running < PROBE_PARALLEL; i++)
		if (!run->cancelled && probe_job_ready(run, &run->jobs[i]))
			probe_job_spawn(&run->jobs[i]);
	if (run->running == 0)
		probe_finish(run);
}

/* ---- planning ----------------------------------------------------------- */

/* probe_nonce: a fresh random nonce (hex) into out[0..size); 0 or -1. */
static int probe_nonce(char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[PROBE_NONCE_BYTES];
	size_t got = 0, i;
	ssize_t n;

	if (size < 2 * sizeof r + 1)
		return -1;
	while (got < sizeof r) {
		n = getrandom(r + got, sizeof r - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	for (i = 0; i < sizeof r; i++) {
		out[2 * i] = hex[r[i] >> 4];
		out[2 * i + 1] = hex[r[i] & 15];
	}
	out[2 * sizeof r] = '\0';
	return 0;
}

static void probe_plan_attempts(struct probe_run *run, enum probe_id id,
				size_t n)
{
	run->raw[id].applicable = 1;
	run->raw[id].att = xcalloc(n, sizeof *run->raw[id].att);
}

/* probe_plan_job: one attempt of probe id, and the job that makes it.
 * word is the helper's PORT when it is not the plain port ("53/udp:N"). */
static void probe_plan_job(struct probe_run *run, enum probe_id id,
			   const char *host, int port, const char *word,
			   const char *label)
{
	struct probe_raw *raw = &run->raw[id];
	struct probe_attempt *a = &raw->att[raw->n_att];
	struct probe_job *j = &run->jobs[run->n_jobs++];

	if (host != NULL)
		a->target = label ? xasprintf("%s:%d (%s)", host, port, label)
				  : xasprintf("%s:%d", host, port);
	else
		a->target = xstrdup(label);
	j->run = run;
	j->id = id;
	j->idx = raw->n_att++;
	j->host = host ? xstrdup(host) : NULL;
	j->port = port;
	j->port_word = word ? xstrdup(word) : xasprintf("%d", port);
	j->method = host == NULL ? PROBE_M_SH : PROBE_M_CONNECT;
	j->batched = host != NULL && run->helper != NULL;
	j->state = j->batched ? PROBE_JOB_BATCHED : PROBE_JOB_WAITING;
	if (host != NULL && !j->batched) {
		/* no verified helper: nothing else in the guest is trusted
		 * with a connect */
		j->state = PROBE_JOB_DONE;
		a->out = PROBE_OUT_BROKEN;
		a->info = xstrdup(PROBE_NO_HELPER);
	}
}

/* probe_plan_batch: the one exec that makes every connect, when there is
 * a helper; bundle-reach's, so that the control waits for it. */
static void probe_plan_batch(struct probe_run *run)
{
	struct probe_job *j = &run->jobs[run->n_jobs++];

	j->run = run;
	j->id = PROBE_BUNDLE_REACH;
	j->method = PROBE_M_HELPER;
	j->state = PROBE_JOB_WAITING;
	j->watch_canary = run->canary != NULL;
}

/* probe_plan_events: read smolvm's record of denials once the connects
 * are done (1.8.1+); cross-bottle's job, so it is dropped with the other
 * negative jobs when the control does not pass. */
static void probe_plan_events(struct probe_run *run)
{
	struct probe_job *j = &run->jobs[run->n_jobs++];

	j->run = run;
	j->id = PROBE_CROSS_BOTTLE;
	j->method = PROBE_M_EVENTS;
	j->state = PROBE_JOB_WAITING;
}

static void probe_skip(struct probe_run *run, enum probe_id id, const char *why)
{
	run->raw[id].applicable = 0;
	run->raw[id].skip_reason = why;
}

/* probe_plan_dns: TSI: a TCP connect to the resolver smolvm allowlists.
 * virtio-net: real queries, UDP and TCP, through the gateway (which
 * answers port 53 on every address) and to the resolver. */
static void probe_plan_dns(struct probe_run *run, const struct probe_target *t)
{
	const char *hosts[2] = {SMOLVM_GATEWAY, t->resolver};
	char udp[300], tcp[300];
	size_t i, n = t->resolver ? 2 : 1;

	if (!run->virtio) {
		if (t->resolver == NULL) {
			probe_skip(run, PROBE_DNS_HOLE,
				   "no resolver configured");
			return;
		}
		probe_plan_attempts(run, PROBE_DNS_HOLE, 1);
		probe_plan_job(run, PROBE_DNS_HOLE, t->resolver, PROBE_DNS_PORT,
			       NULL, "resolver");
		return;
	}
	snprintf(udp, sizeof udp, "%d/udp:%s", PROBE_DNS_PORT, t->dns_name);
	snprintf(tcp, sizeof tcp, "%d/tcp:%s", PROBE_DNS_PORT, t->dns_name);
	probe_plan_attempts(run, PROBE_DNS_HOLE, 2 * n);
	for (i = 0; i < n; i++) {
		probe_plan_job(run, PROBE_DNS_HOLE, hosts[i], PROBE_DNS_PORT,
			       udp, i == 0 ? "gateway, UDP" : "resolver, UDP");
		probe_plan_job(run, PROBE_DNS_HOLE, hosts[i], PROBE_DNS_PORT,
			       tcp, i == 0 ? "gateway, TCP" : "resolver, TCP");
	}
}

static void probe_plan(struct probe_run *run, const struct probe_target *t)
{
	size_t i, max = 3 + t->n_closed + t->n_others + 4 + 2;
	/* the host's loopback: the guest's own 127.0.0.1 on TSI, the
	 * gateway under virtio-net (where 127.0.0.1 is the guest's) */
	const char *loopback = run->virtio ? SMOLVM_GATEWAY : "127.0.0.1";

	for (i = 0; i < PROBE_COUNT; i++) {
		run->raw[i].virtio = run->virtio;
		run->raw[i].attribution =
		    run->attribution && probe_attributable((enum probe_id)i);
	}
	run->jobs = xcalloc(max, sizeof *run->jobs);
	probe_plan_attempts(run, PROBE_BUNDLE_REACH, 1);
	probe_plan_job(run, PROBE_BUNDLE_REACH, t->bundle_ip, t->proxy_port,
		       NULL, NULL);
	probe_plan_attempts(run, PROBE_EXEC_FIDELITY, 1);
	probe_plan_job(run, PROBE_EXEC_FIDELITY, NULL, 0, NULL,
		       "sh -c 'exit 42'");

	probe_plan_attempts(run, PROBE_LOCALHOST_REACH, 1);
	if (run->canary != NULL) {
		char word[32];
		snprintf(word, sizeof word, "%d/canary",
			 canary_port(run->canary));
		probe_plan_job(run, PROBE_LOCALHOST_REACH, loopback,
			       canary_port(run->canary), word, "canary");
	} else {
		struct probe_attempt *a =
		    &run->raw[PROBE_LOCALHOST_REACH].att[0];
		run->raw[PROBE_LOCALHOST_REACH].n_att = 1;
		a->target = xasprintf("%s (canary)", loopback);
		a->out = PROBE_OUT_BROKEN;
		a->info = xstrdup("no canary listener on the host");
	}

	if (t->n_closed == 0) {
		probe_skip(run, PROBE_EGRESS_PORT_BYPASS,
			   "no loopback-only service on the bundle");
	} else {
		probe_plan_attempts(run, PROBE_EGRESS_PORT_BYPASS, t->n_closed);
		for (i = 0; i < t->n_closed; i++)
			probe_plan_job(run, PROBE_EGRESS_PORT_BYPASS,
				       t->bundle_ip, t->closed[i].port, NULL,
				       t->closed[i].service);
	}

	/* Other bundles are assumed to serve pipelock on the same port as
	 * ours: the config gives every bottle the same bundle services. */
	if (t->n_others == 0) {
		probe_skip(run, PROBE_CROSS_BOTTLE, "no other running bottle");
	} else {
		probe_plan_attempts(run, PROBE_CROSS_BOTTLE, t->n_others);
		for (i = 0; i < t->n_others; i++)
			probe_plan_job(run, PROBE_CROSS_BOTTLE, t->others[i],
				       t->proxy_port, NULL, NULL);
	}
	probe_plan_dns(run, t);
	if (run->helper != NULL)
		probe_plan_batch(run);
	if (run->attribution && run->helper != NULL)
		probe_plan_events(run);
}

struct probe_run *probe_run_start(uv_loop_t *loop, const struct probe_target *t,
				  probe_command_cb on_command,
				  probe_done_cb done, void *data)
{
	struct probe_run *run = xcalloc(1, sizeof *run);
	size_t i;

	run->loop = loop;
	run->cli = *t->cli;
	run->cli.bin = xstrdup(t->cli->bin);
	/* fail closed: no environment given is smolvm's own, never ours */
	if (t->env == NULL)
		smolvm_env(t->cli, 0, 0, &run->env);
	for (i = 0; t->env != NULL && t->env[i] != NULL; i++)
		strv_push(&run->env, t->env[i]);
	run->name = xstrdup(t->name);
	run->helper = t->helper ? xstrdup(t->helper) : NULL;
	run->virtio = smolvm_has(&t->cli->v, SMOLVM_F_VIRTIO);
	run->attribution =
	    run->virtio && smolvm_has(&t->cli->v, SMOLVM_F_EGRESS_EVENTS);
	run->timeout_s = t->timeout_s > 0 ? t->timeout_s : 1;
	run->canary = t->canary;
	if (run->canary != NULL && run->helper != NULL &&
	    probe_nonce(run->nonce, sizeof run->nonce) == 0 &&
	    canary_expect(run->canary, run->nonce) == 0)
		snprintf(run->nonce_line, sizeof run->nonce_line, "%s\n",
			 run->nonce);
	else
		run->nonce[0] = '\0';
	run->on_command = on_command;
	run->done = done;
	run->data = data;
	probe_plan(run, t);
	/* Jobs always exist (bundle-reach, exec-fidelity) and proc_spawn
	 * reports even a failure from the loop, so done never fires from
	 * here. */
	probe_advance(run);
	return run;
}

void probe_run_cancel(struct probe_run *run)
{
	size_t i;

	if (run == NULL || run->cancelled || run->finished)
		return;
	run->cancelled = 1;
	if (run->canary != NULL && run->nonce[0] != '\0')
		canary_forget(run->canary, run->nonce);
	run->canary = NULL; /* the caller may close it now */
	for (i = 0; i < run->n_jobs; i++) {
		struct probe_job *j = &run->jobs[i];
		if (j->state == PROBE_JOB_WAITING)
			j->state = PROBE_JOB_DONE;
		else if (j->state == PROBE_JOB_RUNNING && j->proc != NULL)
			proc_kill(j->proc);
	}
}
