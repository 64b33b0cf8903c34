/* smolvm.c: smolvm argv builders per release band, the environment smolvm
 * runs in, and parsers of its output (smolvm-1.9.md, smolvm-0.8.md). */
#include "smolvm.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SMOLVM_PREFIX "bottle-"

char *smolvm_machine_name(const char *name)
{
	return xasprintf(SMOLVM_PREFIX "%s", name);
}

const char *smolvm_bottle_name(const char *machine)
{
	size_t n = strlen(SMOLVM_PREFIX);

	if (machine == NULL || strncmp(machine, SMOLVM_PREFIX, n) != 0 ||
	    machine[n] == '\0')
		return NULL;
	return machine + n;
}

const char *smolvm_owned_name(const struct smolvm_machine *m)
{
	const char *by_prefix = smolvm_bottle_name(m->name);

	if (!m->has_labels)
		return by_prefix;
	/* Labels decide from 1.8.0: a bottle-NAME without them is not ours,
	 * and the name label must agree with the machine's name. */
	if (!m->managed || m->label_name == NULL || by_prefix == NULL ||
	    strcmp(by_prefix, m->label_name) != 0)
		return NULL;
	return by_prefix;
}

/* ------------------------------------------------------------------ */
/* Bands and features. */

static int smolvm_at_least(const struct smolvm_version *v, int major, int minor,
			   int patch)
{
	if (v->major != major)
		return v->major > major;
	if (v->minor != minor)
		return v->minor > minor;
	return v->patch >= patch;
}

enum smolvm_band smolvm_band_of(const struct smolvm_version *v)
{
	if (!smolvm_at_least(v, 0, 8, 0))
		return SMOLVM_BAND_UNKNOWN;
	if (smolvm_at_least(v, 1, 10, 0))
		return SMOLVM_BAND_NEWER;
	if (smolvm_at_least(v, 1, 8, 0))
		return SMOLVM_BAND_E;
	if (smolvm_at_least(v, 1, 1, 3))
		return SMOLVM_BAND_D;
	if (smolvm_at_least(v, 1, 0, 2))
		return SMOLVM_BAND_C;
	if (smolvm_at_least(v, 0, 8, 1))
		return SMOLVM_BAND_B;
	return SMOLVM_BAND_A;
}

int smolvm_has(const struct smolvm_version *v, enum smolvm_feature f)
{
	static const struct smolvm_version first[SMOLVM_F_COUNT] = {
	    [SMOLVM_F_STOP_UNKNOWN_FAILS] = {0, 8, 1},
	    [SMOLVM_F_SIGNAL_128] = {0, 8, 1},
	    [SMOLVM_F_DELETE_STOPS] = {0, 8, 1},
	    [SMOLVM_F_PROXY] = {0, 8, 1},
	    [SMOLVM_F_CONFINE] = {0, 8, 2},
	    [SMOLVM_F_NAME_FLAG] = {1, 0, 2},
	    [SMOLVM_F_LOCAL_IMAGE] = {1, 1, 0},
	    [SMOLVM_F_VIRTIO] = {1, 1, 3},
	    [SMOLVM_F_DNS_FLAG] = {1, 2, 5},
	    [SMOLVM_F_CONSOLE_TRUNCATED] = {1, 6, 1},
	    [SMOLVM_F_GATEWAY_LOOPBACK] = {1, 7, 2},
	    [SMOLVM_F_LABELS] = {1, 8, 0},
	    [SMOLVM_F_FROM_KEEPS_ALLOW] = {1, 8, 0},
	    [SMOLVM_F_EGRESS_EVENTS] = {1, 8, 1},
	    [SMOLVM_F_HOST_NAME] = {1, 8, 3},
	};

	if ((unsigned)f >= SMOLVM_F_COUNT)
		return 0;
	return smolvm_at_least(v, first[f].major, first[f].minor,
			       first[f].patch);
}

const char *smolvm_band_name(enum smolvm_band b)
{
	static const char *const names[] = {
	    [SMOLVM_BAND_UNKNOWN] = "unknown",
	    [SMOLVM_BAND_A] = "A",
	    [SMOLVM_BAND_B] = "B",
	    [SMOLVM_BAND_C] = "C",
	    [SMOLVM_BAND_D] = "D",
	    [SMOLVM_BAND_E] = "E",
	    [SMOLVM_BAND_NEWER] = "newer",
	};

	return (unsigned)b < UTIL_NELEM(names) ? names[b] : "unknown";
}

const char *smolvm_band_meaning(enum smolvm_band b)
{
	switch (b) {
	case SMOLVM_BAND_A:
	case SMOLVM_BAND_B:
	case SMOLVM_BAND_C:
		return "the allowlist rides on TSI, which smolvm itself "
		       "documented (1.1.3) as not enforcing: only bottle's "
		       "probes stand behind the isolation";
	case SMOLVM_BAND_D:
		return "the allowlist runs on virtio-net (the VMM's gateway); "
		       "this smolvm cannot report denials, so refusals are "
		       "read from the guest's side only";
	case SMOLVM_BAND_E:
		return "the allowlist runs on virtio-net and smolvm records "
		       "every denial (egress-events): the supported target";
	case SMOLVM_BAND_NEWER:
		return "newer than any release bottle knows "
		       "(" SMOLVM_NEWEST_KNOWN
		       "): treated as 1.9.x, the probes decide health";
	case SMOLVM_BAND_UNKNOWN:
		break;
	}
	return "not a release bottle knows";
}

int smolvm_band_is_tsi(enum smolvm_band b)
{
	return b == SMOLVM_BAND_A || b == SMOLVM_BAND_B || b == SMOLVM_BAND_C;
}

int smolvm_cli_init(struct smolvm_cli *c, const char *bin, const char *text,
		    int allow_newer, char **cause)
{
	memset(c, 0, sizeof *c);
	c->bin = bin;
	if (smolvm_version_check(text, cause) != 0) {
		if (!allow_newer ||
		    smolvm_parse_version(text, &c->v.major, &c->v.minor,
					 &c->v.patch) != 0 ||
		    smolvm_band_of(&c->v) != SMOLVM_BAND_NEWER)
			return -1;
		if (cause != NULL) {
			free(*cause);
			*cause = NULL;
		}
	}
	smolvm_parse_version(text, &c->v.major, &c->v.minor, &c->v.patch);
	c->band = smolvm_band_of(&c->v);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The environment. */

static void smolvm_env_pass(struct strv *env, const char *name)
{
	const char *v = getenv(name);

	if (v != NULL)
		strv_pushf(env, "%s=%s", name, v);
}

void smolvm_env(const struct smolvm_cli *c, int sim, int tty, struct strv *env)
{
	static const char *const pass[] = {
	    "HOME",
	    "XDG_DATA_HOME",
	    "XDG_CACHE_HOME",
	    "XDG_RUNTIME_DIR",
	};
	extern char **environ;
	const char *path = getenv("PATH");
	size_t i;

	/* never empty: an empty list would mean "inherit" to proc_spawn */
	strv_pushf(env, "PATH=%s",
		   path ? path : "/usr/local/bin:/usr/bin:/bin");
	for (i = 0; i < UTIL_NELEM(pass); i++)
		smolvm_env_pass(env, pass[i]);
	if (tty)
		smolvm_env_pass(env, "TERM");
	if (smolvm_env_confined(c)) {
		strv_push(env, "SMOLVM_SECCOMP=enforce");
		strv_push(env, "SMOLVM_LANDLOCK=enforce");
	}
	/* The simulator's own knobs (tests and the demo); never for real
	 * smolvm, which has no such variables. */
	for (i = 0; sim && environ[i] != NULL; i++)
		if (strncmp(environ[i], "SMOLVM_SIM_", 11) == 0)
			strv_push(env, environ[i]);
}

int smolvm_env_confined(const struct smolvm_cli *c)
{
#ifdef __linux__
	return smolvm_has(&c->v, SMOLVM_F_CONFINE);
#else
	(void)c;
	return 0;
#endif
}

/* ------------------------------------------------------------------ */
/* argv builders */

/* A new argv: bin followed by the words in args. */
static struct strv smolvm_argv(const char *bin, const char *const *args,
			       size_t n)
{
	struct strv v = STRV_INIT;

	strv_push(&v, bin);
	strv_pushv(&v, args, n);
	return v;
}

struct strv smolvm_argv_version(const char *bin)
{
	static const char *const args[] = {"--version"};

	return smolvm_argv(bin, args, UTIL_NELEM(args));
}

/* BIN machine VERB --name bottle-NAME */
static struct strv smolvm_argv_named(const char *bin, const char *verb,
				     const char *name)
{
	const char *args[] = {"machine", verb, "--name"};
	struct strv v = smolvm_argv(bin, args, UTIL_NELEM(args));

	strv_pushf(&v, SMOLVM_PREFIX "%s", name);
	return v;
}

/* create, delete and data-dir: a positional name before 1.0.2, --name
 * from it (no spelling works on both sides). */
static struct strv smolvm_argv_named_by_band(const struct smolvm_cli *c,
					     const char *verb, const char *name)
{
	const char *args[] = {"machine", verb};
	struct strv v;

	if (smolvm_has(&c->v, SMOLVM_F_NAME_FLAG))
		return smolvm_argv_named(c->bin, verb, name);
	v = smolvm_argv(c->bin, args, UTIL_NELEM(args));
	strv_pushf(&v, SMOLVM_PREFIX "%s", name);
	return v;
}

struct strv smolvm_argv_create(const struct smolvm_cli *c, const char *name,
			       const struct smolvm_create_opts *o)
{
	struct strv v = smolvm_argv_named_by_band(c, "create", name);

	strv_push(&v, "-s");
	strv_push(&v, o->smolfile);
	if (smolvm_has(&c->v, SMOLVM_F_LABELS)) {
		strv_push(&v, "--label");
		strv_push(&v, SMOLVM_LABEL_MANAGED "=1");
		strv_push(&v, "--label");
		strv_pushf(&v, SMOLVM_LABEL_NAME "=%s", name);
	}
	if (o->dns != NULL && smolvm_has(&c->v, SMOLVM_F_DNS_FLAG)) {
		strv_push(&v, "--dns");
		strv_push(&v, o->dns);
	}
	if (o->image != NULL && smolvm_has(&c->v, SMOLVM_F_LOCAL_IMAGE)) {
		strv_push(&v, "-I");
		strv_push(&v, o->image);
	}
	return v;
}

struct strv smolvm_argv_start(const struct smolvm_cli *c, const char *name,
			      const char *proxy)
{
	struct strv v = smolvm_argv_named(c->bin, "start", name);

	if (proxy != NULL && smolvm_has(&c->v, SMOLVM_F_PROXY)) {
		strv_push(&v, "--proxy");
		strv_push(&v, proxy);
	}
	return v;
}

struct strv smolvm_argv_stop(const struct smolvm_cli *c, const char *name)
{
	return smolvm_argv_named(c->bin, "stop", name);
}

struct strv smolvm_argv_delete(const struct smolvm_cli *c, const char *name)
{
	struct strv v = smolvm_argv_named_by_band(c, "delete", name);

	strv_push(&v, "-f");
	return v;
}

struct strv smolvm_argv_status(const struct smolvm_cli *c, const char *name)
{
	struct strv v = smolvm_argv_named(c->bin, "status", name);

	strv_push(&v, "--json");
	return v;
}

struct strv smolvm_argv_ls(const struct smolvm_cli *c)
{
	static const char *const args[] = {"machine", "ls", "--json"};

	return smolvm_argv(c->bin, args, UTIL_NELEM(args));
}

struct strv smolvm_argv_exec(const struct smolvm_cli *c, const char *name,
			     const struct smolvm_exec_opts *o,
			     const char *const *argv)
{
	struct strv v = smolvm_argv_named(c->bin, "exec", name);
	size_t i;

	if (o != NULL) {
		for (i = 0; o->env != NULL && i < o->env->n; i++) {
			strv_push(&v, "-e");
			strv_push(&v, o->env->v[i]);
		}
		if (o->workdir != NULL) {
			strv_push(&v, "-w");
			strv_push(&v, o->workdir);
		}
		if (o->timeout_s > 0) {
			strv_push(&v, "--timeout");
			strv_pushf(&v, "%us", o->timeout_s);
		}
		if (o->interactive)
			strv_push(&v, "-i");
		if (o->tty)
			strv_push(&v, "-t");
		if (o->stream)
			strv_push(&v, "--stream");
	}
	strv_push(&v, "--");
	for (i = 0; argv != NULL && argv[i] != NULL; i++)
		strv_push(&v, argv[i]);
	return v;
}

struct strv smolvm_argv_data_dir(const struct smolvm_cli *c, const char *name)
{
	return smolvm_argv_named_by_band(c, "data-dir", name);
}

struct strv smolvm_argv_egress_events(const struct smolvm_cli *c,
				      const char *name, unsigned limit)
{
	struct strv v = smolvm_argv_named(c->bin, "egress-events", name);

	strv_push(&v, "--json");
	strv_push(&v, "--limit");
	strv_pushf(&v, "%u", limit);
	return v;
}

/* pack create FLAG SRC -o OUT */
static struct strv smolvm_argv_pack(const struct smolvm_cli *c,
				    const char *flag, const char *src,
				    const char *out)
{
	const char *const args[] = {"pack", "create", flag, src, "-o", out};

	return smolvm_argv(c->bin, args, UTIL_NELEM(args));
}

struct strv smolvm_argv_pack_image(const struct smolvm_cli *c,
				   const char *image, const char *out)
{
	return smolvm_argv_pack(c, "-I", image, out);
}

struct strv smolvm_argv_pack_create(const struct smolvm_cli *c,
				    const char *smolfile, const char *out)
{
	return smolvm_argv_pack(c, "-s", smolfile, out);
}

/* ------------------------------------------------------------------ */
/* Version. */

static int smolvm_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* 1..6 decimal digits at *p into *v, advancing *p. */
static int smolvm_number(const char **p, int *v)
{
	int n = 0;

	*v = 0;
	while (**p >= '0' && **p <= '9') {
		if (++n > 6)
			return -1;
		*v = *v * 10 + (**p - '0');
		(*p)++;
	}
	return n > 0 ? 0 : -1;
}

int smolvm_parse_version(const char *text, int *major, int *minor, int *patch)
{
	const char *p = text;

	while (smolvm_is_space(*p))
		p++;
	if (strncmp(p, "smolvm", 6) == 0) {
		p += 6;
		if (!smolvm_is_space(*p))
			return -1;
		while (smolvm_is_space(*p))
			p++;
	}
	if (*p == 'v')
		p++;
	if (smolvm_number(&p, major) != 0 || *p++ != '.' ||
	    smolvm_number(&p, minor) != 0 || *p++ != '.' ||
	    smolvm_number(&p, patch) != 0)
		return -1;
	/* Allow "-rc1", "+build", " (commit)" and the newline after it. */
	if (*p != '\0' && *p != '-' && *p != '+' && !smolvm_is_space(*p))
		return -1;
	return 0;
}

int smolvm_version_check(const char *text, char **cause)
{
	struct smolvm_version v;
	char shown[65];
	size_t i;

	if (smolvm_parse_version(text, &v.major, &v.minor, &v.patch) != 0) {
		/* Show what it printed, on one line and bounded. */
		while (smolvm_is_space(*text))
			text++;
		for (i = 0;
		     i < sizeof shown - 1 && text[i] != '\0' && text[i] != '\n';
		     i++) {
			unsigned char c = (unsigned char)text[i];
			shown[i] = c < 0x20 || c >= 0x7f ? ' ' : (char)c;
		}
		shown[i] = '\0';
		return util_fail(cause,
				 "smolvm --version printed \"%s\": not "
				 "a version bottle understands (it speaks "
				 "smolvm 0.8.0 to " SMOLVM_NEWEST_KNOWN ")",
				 shown);
	}
	switch (smolvm_band_of(&v)) {
	case SMOLVM_BAND_UNKNOWN:
		return util_fail(cause,
				 "smolvm %d.%d.%d is older than any release "
				 "bottle speaks (0.8.0 to " SMOLVM_NEWEST_KNOWN
				 "): install smolvm " SMOLVM_NEWEST_KNOWN,
				 v.major, v.minor, v.patch);
	case SMOLVM_BAND_NEWER:
		return util_fail(
		    cause,
		    "smolvm %d.%d.%d is newer than any release bottle knows "
		    "(the newest is " SMOLVM_NEWEST_KNOWN "): its flags or "
		    "its allowlist may have changed; set "
		    "\"smolvm_allow_newer\": "
		    "true in the configuration's defaults to try it anyway "
		    "(the probes still decide health)",
		    v.major, v.minor, v.patch);
	default:
		return 0;
	}
}

/* ------------------------------------------------------------------ */
/* status / ls JSON. */

/* obj[key] as an integer in lo..hi into *out; 0 when it is one, else -1
 * (absent, null, not a number, fractional, out of range). */
static int smolvm_json_int(const cJSON *obj, const char *key, double lo,
			   double hi, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	/* The range check comes first: it makes the cast well defined. */
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) ||
	    v->valuedouble < lo || v->valuedouble > hi ||
	    (double)(int64_t)v->valuedouble != v->valuedouble)
		return -1;
	*out = v->valuedouble;
	return 0;
}

static int smolvm_json_small(const cJSON *obj, const char *key)
{
	double d;

	return smolvm_json_int(obj, key, 0, 2147483647.0, &d) == 0 ? (int)d : 0;
}

static char *smolvm_json_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) ? xstrdup(v->valuestring) : NULL;
}

/* labels (1.8.0+): an object of strings; the two bottle sets. */
static void smolvm_parse_labels(const cJSON *labels, struct smolvm_machine *m)
{
	const cJSON *v;

	if (!cJSON_IsObject(labels))
		return;
	m->has_labels = 1;
	v = cJSON_GetObjectItemCaseSensitive(labels, SMOLVM_LABEL_MANAGED);
	m->managed = cJSON_IsString(v) && strcmp(v->valuestring, "1") == 0;
	m->label_name = smolvm_json_str(labels, SMOLVM_LABEL_NAME);
}

void smolvm_machine_release(struct smolvm_machine *m)
{
	free(m->name);
	free(m->state);
	free(m->image);
	free(m->label_name);
	memset(m, 0, sizeof *m);
}

int smolvm_parse_machine(const struct cJSON *obj, struct smolvm_machine *out,
			 char **cause)
{
	const cJSON *net;
	double d;

	memset(out, 0, sizeof *out);
	if (!cJSON_IsObject(obj))
		return util_fail(cause, "expected a JSON object");
	out->name = smolvm_json_str(obj, "name");
	out->state = smolvm_json_str(obj, "state");
	if (out->name == NULL || out->name[0] == '\0' || out->state == NULL) {
		int named = out->name != NULL && out->name[0] != '\0';
		smolvm_machine_release(out);
		return util_fail(cause, "machine without a \"%s\" string",
				 named ? "state" : "name");
	}
	out->image = smolvm_json_str(obj, "image");
	out->pid = smolvm_json_small(obj, "pid");
	out->cpus = smolvm_json_small(obj, "cpus");
	out->memory_mib = smolvm_json_small(obj, "memory_mib");
	/* 2^53: beyond it a double no longer holds every integer. */
	if (smolvm_json_int(obj, "created_at", 0, 9007199254740992.0, &d) == 0)
		out->created_at = (int64_t)d;
	net = cJSON_GetObjectItemCaseSensitive(obj, "network");
	out->network = cJSON_IsTrue(net) ? 1 : 0;
	smolvm_parse_labels(cJSON_GetObjectItemCaseSensitive(obj, "labels"),
			    out);
	return 0;
}

void smolvm_machines_free(struct smolvm_machine *m, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		smolvm_machine_release(&m[i]);
	free(m);
}

int smolvm_parse_ls(const char *buf, size_t len, struct smolvm_machine **out,
		    size_t *n, char **cause)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	const cJSON *item;
	struct smolvm_machine *m;
	size_t count = 0, i = 0;
	char *why = NULL;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return util_fail(cause, "smolvm machine ls: expected a JSON "
					"array");
	}
	cJSON_ArrayForEach(item, root) count++;
	m = xcalloc(count, sizeof *m);
	cJSON_ArrayForEach(item, root)
	{
		if (smolvm_parse_machine(item, &m[i], &why) != 0) {
			util_fail(cause, "smolvm machine ls: item %zu: %s",
				  i + 1, why);
			free(why);
			smolvm_machines_free(m, i);
			cJSON_Delete(root);
			return -1;
		}
		i++;
	}
	cJSON_Delete(root);
	*out = m;
	*n = count;
	return 0;
}

int smolvm_parse_status(const char *buf, size_t len, struct smolvm_machine *out,
			char **cause)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	char *why = NULL;
	int rc = 0;

	if (root == NULL) {
		memset(out, 0, sizeof *out);
		return util_fail(cause, "smolvm machine status: not valid "
					"JSON");
	}
	if (smolvm_parse_machine(root, out, &why) != 0) {
		util_fail(cause, "smolvm machine status: %s", why);
		free(why);
		rc = -1;
	}
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------ */
/* egress-events JSON (1.8.1+). */

void smolvm_egress_events_free(struct smolvm_egress_event *e, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(e[i].timestamp);
		free(e[i].operation);
		free(e[i].dest);
	}
	free(e);
}

int smolvm_parse_egress_events(const char *buf, size_t len,
			       struct smolvm_egress_event **out, size_t *n,
			       char **cause)
{
	cJSON *root = cJSON_ParseWithLength(buf, len);
	const cJSON *item;
	struct smolvm_egress_event *e;
	size_t count = 0, k = 0;

	*out = NULL;
	*n = 0;
	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return util_fail(cause, "smolvm machine egress-events: "
					"expected a JSON array");
	}
	cJSON_ArrayForEach(item, root) count++;
	e = xcalloc(count ? count : 1, sizeof *e);
	cJSON_ArrayForEach(item, root)
	{
		char *ts = smolvm_json_str(item, "timestamp");
		char *op = smolvm_json_str(item, "operation");
		char *dest = smolvm_json_str(item, "dest");
		if (ts == NULL || op == NULL || dest == NULL) {
			free(ts);
			free(op);
			free(dest);
			continue;
		}
		e[k].timestamp = ts;
		e[k].operation = op;
		e[k++].dest = dest;
	}
	cJSON_Delete(root);
	*out = e;
	*n = k;
	return 0;
}

/* ------------------------------------------------------------------ */
/* stderr */

enum smolvm_error smolvm_classify(const char *stderr_text)
{
	static const struct {
		const char *needle;
		enum smolvm_error e;
	} rules[] = {
	    /* first match wins: order matters */
	    {"did not become ready", SMOLVM_ERR_AGENT_TIMEOUT},
	    {"is not running", SMOLVM_ERR_NOT_RUNNING},
	    {"already exists", SMOLVM_ERR_ALREADY_EXISTS},
	    {"vm not found", SMOLVM_ERR_NOT_FOUND},
	    {"not found", SMOLVM_ERR_NOT_FOUND},
	};
	size_t i;

	if (stderr_text == NULL)
		return SMOLVM_ERR_OTHER;
	for (i = 0; i < UTIL_NELEM(rules); i++) {
		if (strstr(stderr_text, rules[i].needle) != NULL)
			return rules[i].e;
	}
	return SMOLVM_ERR_OTHER;
}

int smolvm_is_own_error(const char *stderr_text)
{
	const char *p = stderr_text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, "Error: ", 7) == 0)
			return 1;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return 0;
}

const char *smolvm_error_name(enum smolvm_error e)
{
	switch (e) {
	case SMOLVM_ERR_NOT_FOUND:
		return "not found";
	case SMOLVM_ERR_ALREADY_EXISTS:
		return "already exists";
	case SMOLVM_ERR_NOT_RUNNING:
		return "not running";
	case SMOLVM_ERR_AGENT_TIMEOUT:
		return "agent timeout";
	case SMOLVM_ERR_OTHER:
		break;
	}
	return "error";
}
