/* smolvm.c: smolvm 0.8.x argv builders and output parsers. */
#include "smolvm.h"

#include <cJSON.h>
#include <math.h>
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

struct strv smolvm_argv_create(const char *bin, const char *name,
			       const char *smolfile)
{
	static const char *const args[] = {"machine", "create"};
	struct strv v = smolvm_argv(bin, args, UTIL_NELEM(args));

	strv_pushf(&v, SMOLVM_PREFIX "%s", name);
	strv_push(&v, "-s");
	strv_push(&v, smolfile);
	return v;
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

struct strv smolvm_argv_start(const char *bin, const char *name)
{
	return smolvm_argv_named(bin, "start", name);
}

struct strv smolvm_argv_stop(const char *bin, const char *name)
{
	return smolvm_argv_named(bin, "stop", name);
}

struct strv smolvm_argv_delete(const char *bin, const char *name)
{
	static const char *const args[] = {"machine", "delete"};
	struct strv v = smolvm_argv(bin, args, UTIL_NELEM(args));

	strv_pushf(&v, SMOLVM_PREFIX "%s", name);
	strv_push(&v, "-f");
	return v;
}

struct strv smolvm_argv_status(const char *bin, const char *name)
{
	struct strv v = smolvm_argv_named(bin, "status", name);

	strv_push(&v, "--json");
	return v;
}

struct strv smolvm_argv_ls(const char *bin)
{
	static const char *const args[] = {"machine", "ls", "--json"};

	return smolvm_argv(bin, args, UTIL_NELEM(args));
}

struct strv smolvm_argv_exec(const char *bin, const char *name,
			     const struct smolvm_exec_opts *o,
			     const char *const *argv)
{
	struct strv v = smolvm_argv_named(bin, "exec", name);
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

struct strv smolvm_argv_data_dir(const char *bin, const char *name)
{
	static const char *const args[] = {"machine", "data-dir"};
	struct strv v = smolvm_argv(bin, args, UTIL_NELEM(args));

	strv_pushf(&v, SMOLVM_PREFIX "%s", name);
	return v;
}

struct strv smolvm_argv_pack_create(const char *bin, const char *smolfile,
				    const char *out)
{
	static const char *const args[] = {"pack", "create", "-s"};
	struct strv v = smolvm_argv(bin, args, UTIL_NELEM(args));

	strv_push(&v, smolfile);
	strv_push(&v, "-o");
	strv_push(&v, out);
	return v;
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
	int major, minor, patch;
	char shown[65];
	size_t i;

	if (smolvm_parse_version(text, &major, &minor, &patch) != 0) {
		/* Show what it printed, on one line and bounded. */
		while (smolvm_is_space(*text))
			text++;
		for (i = 0;
		     i < sizeof shown - 1 && text[i] != '\0' && text[i] != '\n';
		     i++) {
			unsigned char c = (unsigned char)text[i];
			shown[i] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
		}
		shown[i] = '\0';
		return util_fail(cause,
				 "smolvm --version printed \"%s\": not "
				 "a version bottle understands (it speaks "
				 "smolvm %d.%d.x)",
				 shown, SMOLVM_MAJOR, SMOLVM_MINOR);
	}
	if (major == SMOLVM_MAJOR && minor == SMOLVM_MINOR)
		return 0;
	return util_fail(cause,
			 "smolvm %d.%d.%d is not supported: bottle "
			 "speaks smolvm %d.%d.x (%s)",
			 major, minor, patch, SMOLVM_MAJOR, SMOLVM_MINOR,
			 major > 1 || (major == 1 && minor >= 1)
			     ? "its create takes -n/--name from 1.1.0"
			     : "other versions change the flags and "
			       "output it relies on");
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

void smolvm_machine_release(struct smolvm_machine *m)
{
	free(m->name);
	free(m->state);
	free(m->image);
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
