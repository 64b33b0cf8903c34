/* cli-verbs.c: the verbs of the command line over the core: ls, up, down,
 * rm, status, probe, prepare, doctor. exec, shell and logs live in
 * cli-exec.c and cli-logs.c; what they share is in cli.c.
 *
 * Each verb builds a core without timers, waits for its first refresh
 * (three subprocesses whatever the number of bottles), starts the
 * operations of every named bottle at once (bottles run in parallel),
 * prints progress lines on stderr and results on stdout, then closes the
 * core and checks that the loop closes clean. */
#include "cli-verbs.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "smolfile.h"
#include "state.h"
#include "vmmwatch.h"
#include "wall.h"

struct cli_run {
	struct cli_core c;
	int pending;  /* operations not yet done */
	int failures; /* operations that failed */
};

/* ---- the core's listener: progress on stderr -------------------------- */

static void cli_on_event(struct bottle_core *core, struct bottle *b,
			 enum bottle_event ev, const char *msg, void *data)
{
	(void)core;
	(void)data;
	switch (ev) {
	case BOTTLE_EV_STEP:
		if (b != NULL)
			cli_progress(b->name, "%s: %s", bottle_op_name(b->op),
				     msg);
		break;
	case BOTTLE_EV_MESSAGE:
		cli_progress(b ? b->name : NULL, "%s", msg);
		break;
	case BOTTLE_EV_CHANGED:
	case BOTTLE_EV_DONE:
	case BOTTLE_EV_LOG:
		break;
	}
}

/* ---- setup and teardown ----------------------------------------------- */

/* The verb never shows docker's version: */
#define CLI_VERBS_LEAN 0x100

/* cli_targets: the bottles a verb names (argv[1..]) or --all */
struct cli_targets {
	int argc;
	char **argv;
	int all;
};

/* cli_wants_allocation: does one of the targets (configured bottles) lack
 * a subnet? Then `up` will allocate, and the docker subnets it needs can
 * be fetched while the start-up checks run. */
static int cli_wants_allocation(struct cli_run *r, const struct cli_targets *t)
{
	size_t i;
	int j;

	if (t->all) {
		for (i = 0; i < bottle_core_count(r->c.core); i++) {
			const struct bottle *b = bottle_core_at(r->c.core, i);
			if (b->cfg != NULL && b->subnet == NULL)
				return 1;
		}
		return 0;
	}
	for (j = 1; j < t->argc; j++) {
		const struct bottle *b =
		    config_name_valid(t->argv[j])
			? bottle_core_find(r->c.core, t->argv[j])
			: NULL;
		if (b != NULL && b->cfg != NULL && b->subnet == NULL)
			return 1;
	}
	return 0;
}

/* cli_verbs_open: cli_open (flags: CLI_OPEN_*, CLI_VERBS_LEAN) with the
 * progress listener; runs the loop until the first refresh. With up (the
 * targets of an up, else NULL), prefetches the docker subnets when one
 * of them will allocate. */
static int cli_verbs_open(struct cli_run *r, const struct cli_global *g,
			  unsigned flags, const struct cli_targets *up)
{
	struct bottle_core_opts o = {
	    .no_timers = 1,
	    .read_only = g->read_only,
	    .docker_check = (flags & CLI_VERBS_LEAN)
				? BOTTLE_DOCKER_CHECK_ON_FAILURE
				: BOTTLE_DOCKER_CHECK_ALWAYS,
	};
	int rc;

	memset(r, 0, sizeof *r);
	if ((rc = cli_open(&r->c, g, &o, flags & CLI_OPEN_OPTIONAL)) !=
	    CLI_EXIT_OK)
		return rc;
	bottle_core_set_listener(r->c.core, cli_on_event, r);
	if (up != NULL && cli_wants_allocation(r, up))
		bottle_core_prefetch_ipam(r->c.core);
	cli_ready(&r->c);
	return CLI_EXIT_OK;
}

static void cli_wait(struct cli_run *r)
{
	while (r->pending > 0 && uv_run(&r->c.loop, UV_RUN_ONCE) != 0)
		;
}

static int cli_env_ok(struct cli_run *r, int need_smolvm)
{
	const struct bottle_env *env = bottle_core_env(r->c.core);

	if (env->docker_ok != 1) {
		fprintf(stderr, "bottle: %s\n",
			env->docker_error
			    ? env->docker_error
			    : "docker: the engine does not answer");
		return 0;
	}
	if (need_smolvm && env->smolvm_ok != 1) {
		fprintf(stderr, "bottle: %s\n",
			env->smolvm_error ? env->smolvm_error
					  : "smolvm is not usable");
		return 0;
	}
	if (need_smolvm && env->simulated)
		cli_progress(NULL,
			     "using the smolvm SIMULATOR (%s): it enforces "
			     "the allowlist with netfilter but it is not a VM",
			     env->smolvm_path);
	if (need_smolvm && (smolvm_band_is_tsi(env->smolvm.band) ||
			    env->smolvm.band == SMOLVM_BAND_NEWER))
		fprintf(stderr, "bottle: WARNING: %s: %s\n",
			env->smolvm_version,
			smolvm_band_meaning(env->smolvm.band));
	return 1;
}

/* ---- JSON views ------------------------------------------------------- */

static void cli_json_str(cJSON *o, const char *k, const char *v)
{
	if (v != NULL)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

static const char *cli_evidence_name(int e)
{
	return e == PROBE_HOST_PROVEN  ? "host"
	       : e == PROBE_GUEST_ONLY ? "guest-reported"
				       : NULL;
}

static cJSON *cli_json_probes(const struct bottle *b)
{
	cJSON *o = cJSON_CreateObject();
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *p = &b->probes[i];
		cJSON *e = cJSON_CreateObject();
		char ts[32] = "";
		cJSON_AddStringToObject(e, "verdict",
					p->verdict == PROBE_NONE
					    ? "NONE"
					    : probe_verdict_name(p->verdict));
		cli_json_str(e, "detail", p->detail);
		cli_json_str(e, "method", p->method);
		/* who stands behind it: host, guest-reported, or no claim */
		cli_json_str(e, "evidence",
			     cli_evidence_name(b->probe_evidence[i]));
		cJSON_AddNumberToObject(e, "latency_ms", (double)p->latency_ms);
		if (p->at_ms != 0)
			util_iso8601(p->at_ms, ts, sizeof ts);
		cli_json_str(e, "at", p->at_ms ? ts : NULL);
		cJSON_AddItemToObject(o, probe_name((enum probe_id)i), e);
	}
	return o;
}

static cJSON *cli_json_health(const struct bottle *b)
{
	cJSON *a = cJSON_CreateArray();
	size_t i;

	for (i = 0; i < b->n_health; i++) {
		const struct health_service_result *h = &b->health[i];
		cJSON *e = cJSON_CreateObject();
		cli_json_str(e, "service", h->name);
		cJSON_AddBoolToObject(e, "ok", h->ok);
		cJSON_AddNumberToObject(e, "http_status",
					(double)h->http_status);
		cli_json_str(e, "error", h->error);
		cJSON_AddNumberToObject(e, "latency_ms", (double)h->latency_ms);
		if (h->kill_switch_active >= 0)
			cJSON_AddBoolToObject(e, "kill_switch_active",
					      h->kill_switch_active);
		if (h->forward_proxy_enabled >= 0)
			cJSON_AddBoolToObject(e, "forward_proxy_enabled",
					      h->forward_proxy_enabled);
		cJSON_AddItemToArray(a, e);
	}
	return a;
}

static cJSON *cli_json_bottle(const struct bottle *b, int full)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", b->name);
	cJSON_AddBoolToObject(o, "configured", b->cfg != NULL);
	cJSON_AddStringToObject(o, "status",
				bottle_status_name(bottle_status(b)));
	cli_json_str(o, "subnet", b->subnet);
	cli_json_str(o, "bundle_ip", b->bundle_ip);
	cJSON_AddBoolToObject(o, "network", b->net_present);
	cli_json_str(o, "bundle", b->bundle_state);
	cli_json_str(o, "vm", b->vm_state);
	if (b->vm_foreign != NULL)
		cli_json_str(o, "vm_foreign", b->vm_foreign);
	cli_json_str(o, "drift", b->drift);
	cli_json_str(o, "error", b->error);
	if (b->kill_switch)
		cJSON_AddBoolToObject(o, "kill_switch", 1);
	cJSON_AddItemToObject(o, "probes", cli_json_probes(b));
	if (full) {
		char *allow =
		    b->bundle_ip ? xasprintf("%s/32", b->bundle_ip) : NULL;
		cJSON *arr = cJSON_CreateArray();
		if (allow != NULL)
			cJSON_AddItemToArray(arr, cJSON_CreateString(allow));
		cJSON_AddItemToObject(o, "allow_cidrs", arr);
		free(allow);
		cJSON_AddItemToObject(o, "health", cli_json_health(b));
		cli_json_str(o, "last_command", b->last_command);
	}
	return o;
}

static void cli_json_env(cJSON *root, const struct bottle_env *env)
{
	cJSON *d = cJSON_CreateObject(), *s = cJSON_CreateObject();

	cJSON_AddBoolToObject(d, "ok", env->docker_ok == 1);
	cli_json_str(d, "version", env->docker_version);
	cli_json_str(d, "error", env->docker_error);
	cJSON_AddBoolToObject(s, "ok", env->smolvm_ok == 1);
	cli_json_str(s, "path", env->smolvm_path);
	cli_json_str(s, "version", env->smolvm_version);
	cJSON_AddBoolToObject(s, "simulated", env->simulated);
	cli_json_str(s, "error", env->smolvm_error);
	if (env->smolvm_ok == 1) {
		enum smolvm_band band = env->smolvm.band;
		cli_json_str(s, "band", smolvm_band_name(band));
		cli_json_str(s, "isolation", smolvm_band_meaning(band));
		cli_json_str(s, "backend",
			     smolvm_has(&env->smolvm.v, SMOLVM_F_VIRTIO)
				 ? "virtio-net"
				 : "tsi");
		cJSON_AddBoolToObject(
		    s, "egress_events",
		    smolvm_has(&env->smolvm.v, SMOLVM_F_EGRESS_EVENTS));
		cJSON_AddBoolToObject(s, "vmm_confined",
				      smolvm_env_confined(&env->smolvm));
	}
	cJSON_AddItemToObject(root, "docker", d);
	cJSON_AddItemToObject(root, "smolvm", s);
}

static void cli_print_json(cJSON *root)
{
	char *text = cJSON_Print(root);

	fputs(text, stdout);
	fputc('\n', stdout);
	cJSON_free(text);
	cJSON_Delete(root);
}

/* ---- text views ------------------------------------------------------- */

static char cli_probe_mark(enum probe_verdict v)
{
	switch (v) {
	case PROBE_PASS:
		return '+';
	case PROBE_FAIL:
		return 'X';
	case PROBE_UNKNOWN:
		return '?';
	case PROBE_WARN:
		return '~';
	case PROBE_SKIP:
		return '-';
	case PROBE_NONE:
		break;
	}
	return '.';
}

static void cli_print_row(const struct bottle *b)
{
	char marks[PROBE_COUNT + 1];
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++)
		marks[i] = cli_probe_mark(b->probes[i].verdict);
	marks[PROBE_COUNT] = '\0';
	printf("%-20s %-9s %-18s %-15s %-10s %-10s %s\n", b->name,
	       bottle_status_name(bottle_status(b)),
	       b->subnet ? b->subnet : "-", b->bundle_ip ? b->bundle_ip : "-",
	       b->bundle_state ? b->bundle_state : "-",
	       b->vm_state ? b->vm_state : "-", marks);
}

static const char *cli_status_label(const struct bottle *b);

static void cli_print_status(const struct bottle *b, const char *allow,
			     const struct bottle_env *env)
{
	size_t i;

	printf("name:       %s%s\n", b->name,
	       b->cfg ? "" : " (not in the configuration)");
	printf("status:     %s\n", cli_status_label(b));
	printf("subnet:     %s\n", b->subnet ? b->subnet : "-");
	printf("bundle ip:  %s\n", b->bundle_ip ? b->bundle_ip : "-");
	printf("allowlist:  %s\n", allow);
	printf("network:    %s\n", b->net_present ? "present" : "absent");
	printf("bundle:     %s\n",
	       b->bundle_state ? b->bundle_state : "absent");
	printf("vm:         %s\n", b->vm_state ? b->vm_state : "absent");
	if (b->vm_foreign != NULL)
		printf("            not bottle's machine: %s; bottle leaves it "
		       "alone\n",
		       b->vm_foreign);
	if (env->smolvm_ok == 1)
		printf("smolvm:     %s%s, band %s: %s\n", env->smolvm_version,
		       env->simulated ? " (SIMULATED)" : "",
		       smolvm_band_name(env->smolvm.band),
		       smolvm_band_meaning(env->smolvm.band));
	if (b->drift)
		printf("drift:      %s\n", b->drift);
	if (b->error)
		printf("error:      %s\n", b->error);
	for (i = 0; i < b->n_health; i++) {
		const struct health_service_result *h = &b->health[i];
		printf("health:     %-10s %s", h->name,
		       h->ok ? "ok" : "FAILED");
		if (h->error)
			printf(" (%s)", h->error);
		if (h->kill_switch_active == 1)
			printf(" KILL SWITCH ON");
		if (h->forward_proxy_enabled == 0)
			printf(" forward proxy off");
		putchar('\n');
	}
	printf("probes:\n");
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *p = &b->probes[i];
		char ts[32] = "";
		if (p->at_ms)
			util_iso8601(p->at_ms, ts, sizeof ts);
		printf("  %-20s %-7s %s%s%s\n", probe_name((enum probe_id)i),
		       p->verdict == PROBE_NONE
			   ? "-"
			   : probe_verdict_name(p->verdict),
		       p->detail ? p->detail : "", ts[0] ? "  at " : "", ts);
	}
}

/* ---- verbs ------------------------------------------------------------ */

/* cli_verbs_args: getopt_long over a verb's line: the options in allowed
 * (CLI_VERBS_JSON, CLI_VERBS_ALL) anywhere, the other words (the names)
 * moved to argv[1..*argc) in their order. 0, or CLI_EXIT_USAGE with the
 * message printed. */
enum { CLI_VERBS_JSON = 1, CLI_VERBS_ALL = 2 };
static int cli_verbs_args(int *argc, char **argv, const char *usage,
			  unsigned allowed, int *json, int *all)
{
	struct option opts[3];
	const char *typed = NULL;
	size_t n = 0;
	int c, k = 1;

	if (allowed & CLI_VERBS_JSON)
		opts[n++] = (struct option){"json", no_argument, NULL,
					    CLI_OPT_LONG + CLI_VERBS_JSON};
	if (allowed & CLI_VERBS_ALL)
		opts[n++] = (struct option){"all", no_argument, NULL,
					    CLI_OPT_LONG + CLI_VERBS_ALL};
	opts[n] = (struct option){NULL, 0, NULL, 0};
	optind = 0;
	/* "-": every name comes back as 1, in order, whatever the order of
	 * names and options (and whatever POSIXLY_CORRECT says) */
	while ((c = cli_getopt(*argc, argv, "-", opts, &typed)) != -1) {
		if (c == 1)
			argv[k++] = optarg;
		else if (c == CLI_OPT_LONG + CLI_VERBS_JSON)
			*json = 1;
		else if (c == CLI_OPT_LONG + CLI_VERBS_ALL)
			*all = 1;
		else
			return cli_usage(argv[0], usage, "unknown option %s",
					 cli_quote_arg(typed));
	}
	while (optind < *argc) /* the words after "--" */
		argv[k++] = argv[optind++];
	*argc = k;
	return 0;
}

int cli_verbs_ls(const struct cli_global *g, int argc, char **argv)
{
	struct cli_run r;
	int json = 0, all = 0, rc;
	size_t i;

	if ((rc = cli_verbs_args(&argc, argv, "[--json]", CLI_VERBS_JSON, &json,
				 &all)) != 0)
		return rc;
	if (argc > 1)
		return cli_usage("ls", "[--json]", NULL);
	if ((rc = cli_verbs_open(&r, g, 0, NULL)) != CLI_EXIT_OK)
		return rc;
	if (json) {
		cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
		for (i = 0; i < bottle_core_count(r.c.core); i++)
			cJSON_AddItemToArray(
			    arr,
			    cli_json_bottle(bottle_core_at(r.c.core, i), 0));
		cJSON_AddItemToObject(root, "bottles", arr);
		cli_json_env(root, bottle_core_env(r.c.core));
		cli_print_json(root);
	} else {
		const struct bottle_env *env = bottle_core_env(r.c.core);
		printf("%-20s %-9s %-18s %-15s %-10s %-10s %s\n", "NAME",
		       "STATUS", "SUBNET", "BUNDLE IP", "BUNDLE", "VM",
		       "PROBES");
		for (i = 0; i < bottle_core_count(r.c.core); i++)
			cli_print_row(bottle_core_at(r.c.core, i));
		if (env->docker_ok != 1)
			fprintf(stderr, "bottle: %s\n",
				env->docker_error ? env->docker_error
						  : "docker is not reachable");
	}
	rc = bottle_core_env(r.c.core)->docker_ok == 1 ? CLI_EXIT_OK
						       : CLI_EXIT_FAIL;
	cli_close(&r.c);
	return rc;
}

static void cli_on_op_done(struct bottle_core *core, struct bottle *b,
			   const char *error, void *data)
{
	struct cli_run *r = data;

	(void)core;
	r->pending--;
	if (error != NULL) {
		r->failures++;
		fprintf(stderr, "bottle: %s: %s\n", b->name, error);
	}
	printf("%s: %s\n", b->name, bottle_status_name(bottle_status(b)));
	fflush(stdout);
}

enum cli_op { CLI_UP, CLI_DOWN, CLI_RM };

/* cli_select: the bottles named in argv (or every one with --all). */
static int cli_select(struct cli_run *r, int argc, char **argv, int all,
		      int configured_only, struct bottle ***out, size_t *n)
{
	size_t i, k = 0;
	int j;

	*out = xcalloc(bottle_core_count(r->c.core) + (size_t)argc + 1,
		       sizeof **out);
	if (all) {
		for (i = 0; i < bottle_core_count(r->c.core); i++) {
			struct bottle *b = bottle_core_at(r->c.core, i);
			if (configured_only && b->cfg == NULL)
				continue;
			/* --all never reaches bottles of other configurations
			 * or state directories that docker happens to list */
			if (b->cfg == NULL && b->subnet == NULL)
				continue;
			(*out)[k++] = b;
		}
	}
	for (j = 1; j < argc; j++) {
		struct bottle *b = NULL;
		if (config_name_valid(argv[j]))
			b = bottle_core_find(r->c.core, argv[j]);
		if (b == NULL) {
			fprintf(stderr,
				"bottle: %s: no such bottle (not in the "
				"configuration, nothing of it in docker or "
				"smolvm)\n",
				cli_quote_arg(argv[j]));
			free(*out);
			*out = NULL;
			return -1;
		}
		for (i = 0; i < k; i++)
			if ((*out)[i] == b)
				break;
		if (i == k)
			(*out)[k++] = b;
	}
	*n = k;
	return 0;
}

/* cli_names_valid: every NAME argument could name a bottle; else says
 * which one cannot, before anything is asked of docker or smolvm. */
static int cli_names_valid(int argc, char **argv)
{
	int j;

	for (j = 1; j < argc; j++) {
		if (config_name_valid(argv[j]))
			continue;
		fprintf(stderr,
			"bottle: %s: invalid bottle name (lower-case letters, "
			"digits and single dashes, 1-32 characters, starting "
			"and ending with a letter or digit)\n",
			cli_quote_arg(argv[j]));
		return 0;
	}
	return 1;
}

static int cli_lifecycle(const struct cli_global *g, int argc, char **argv,
			 enum cli_op op)
{
	static const char *const verbs[] = {"up", "down", "rm"};
	const char *verb = verbs[op];
	const char *usage = op == CLI_RM ? "NAME..." : "NAME...|--all";
	struct cli_run r;
	struct bottle **sel = NULL;
	size_t n = 0, i;
	int json = 0, all = 0, rc;
	struct cli_targets targets;

	if ((rc = cli_verbs_args(&argc, argv, usage,
				 op == CLI_RM ? 0 : CLI_VERBS_ALL, &json,
				 &all)) != 0)
		return rc;
	if (argc < 2 && !all)
		return cli_usage(verb, usage, NULL);
	if (!cli_names_valid(argc, argv))
		return CLI_EXIT_FAIL;
	targets.argc = argc;
	targets.argv = argv;
	targets.all = all;
	if ((rc = cli_verbs_open(&r, g, CLI_VERBS_LEAN,
				 op == CLI_UP ? &targets : NULL)) !=
	    CLI_EXIT_OK)
		return rc;
	if (!cli_env_ok(&r, op == CLI_UP) ||
	    cli_select(&r, argc, argv, all, op == CLI_UP, &sel, &n) != 0) {
		cli_close(&r.c);
		return CLI_EXIT_FAIL;
	}
	if (n == 0)
		cli_progress(NULL, "no bottles to %s", verb);
	for (i = 0; i < n; i++) {
		char *cause = NULL;
		int started;
		if (op == CLI_UP)
			started = bottle_up(r.c.core, sel[i], cli_on_op_done,
					    &r, &cause);
		else if (op == CLI_DOWN)
			started = bottle_down(r.c.core, sel[i], cli_on_op_done,
					      &r, &cause);
		else
			started = bottle_rm(r.c.core, sel[i], cli_on_op_done,
					    &r, &cause);
		if (started != 0) {
			fprintf(stderr, "bottle: %s\n", cause);
			free(cause);
			r.failures++;
			continue;
		}
		r.pending++;
	}
	cli_wait(&r);
	free(sel);
	rc = r.failures > 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
	cli_close(&r.c);
	return rc;
}

static int cli_one(struct cli_run *r, const char *name, struct bottle **out)
{
	*out =
	    config_name_valid(name) ? bottle_core_find(r->c.core, name) : NULL;
	if (*out == NULL) {
		fprintf(stderr, "bottle: %s: no such bottle\n",
			cli_quote_arg(name));
		return -1;
	}
	return 0;
}

static void cli_on_probe_done(struct bottle_core *core, struct bottle *b,
			      const char *error, void *data)
{
	struct cli_run *r = data;

	(void)core;
	(void)b;
	r->pending--;
	if (error != NULL)
		r->failures++;
}

/* cli_allowlist: the allowlist as written in the bottle's Smolfile,
 * verified by the strict reader (exactly ["B/32"]); *ok 0 with the
 * reason when it can't be read or is not that. Caller frees. */
static char *cli_allowlist(struct cli_run *r, const struct bottle *b, int *ok)
{
	char *dir, *path, *text = NULL, *cause = NULL, *res;
	size_t len = 0;

	*ok = 0;
	if (b->bundle_ip == NULL)
		return xstrdup("- (no allocation)");
	dir = state_bottle_dir(r->c.state_dir, b->name);
	path = xasprintf("%s/Smolfile", dir);
	free(dir);
	if (util_read_file_max(path, UTIL_READ_SMALL_MAX, &text, &len,
			       &cause) != 0) {
		res = xasprintf("- (no Smolfile: %s)", cause);
	} else if (smolfile_check(text, len, b->bundle_ip, NULL, &cause) != 0) {
		res = xasprintf("UNVERIFIED: %s: %s", path, cause);
	} else {
		*ok = 1;
		res = xasprintf("%s/32", b->bundle_ip);
	}
	free(cause);
	free(text);
	free(path);
	return res;
}

/* cli_status_label: the status as status shows it: a bottle whose probes
 * all passed, some on the guest's word only, is "healthy
 * (guest-reported)", never plainly healthy. Static. */
static const char *cli_status_label(const struct bottle *b)
{
	enum bottle_status s = bottle_status(b);

	if (s == BOTTLE_UNKNOWN && b->probes_at_ms != 0 && bottle_all_pass(b) &&
	    wall_guest_reported(b))
		return "healthy (guest-reported)";
	return bottle_status_name(s);
}

/* cli_json_host: what the host itself sees of b's VM: its VMM's uid, the
 * socket watch and the second wall. */
static cJSON *cli_json_host(const struct bottle *b)
{
	cJSON *o = cJSON_CreateObject(), *w = cJSON_CreateObject();
	cJSON *ev = cJSON_CreateObject();
	char *d = wall_describe(b);
	size_t i;

	if (b->vmm_uid != 0)
		cJSON_AddNumberToObject(o, "vmm_uid", (double)b->vmm_uid);
	else
		cJSON_AddNullToObject(o, "vmm_uid");
	cli_json_str(o, "vmm_uid_kind",
		     b->vmm_uid_kind == VMMWATCH_VMM	 ? "vmm"
		     : b->vmm_uid_kind == VMMWATCH_GUEST ? "guest"
							 : NULL);
	cli_json_str(o, "vmm_uid_why",
		     b->vmm_uid_why[0] ? b->vmm_uid_why : NULL);
	cli_json_str(o, "stray", b->vmm_stray[0] ? b->vmm_stray : NULL);
	cJSON_AddStringToObject(w, "state",
				b->wall == 1	? "in place"
				: b->wall == -1 ? "none"
						: "not in place");
	cli_json_str(w, "chain", b->wall_chain[0] ? b->wall_chain : NULL);
	cJSON_AddNumberToObject(w, "to_bundle", (double)b->wall_to_b);
	cJSON_AddNumberToObject(w, "refused", (double)b->wall_refused);
	cJSON_AddNumberToObject(w, "refused_loopback",
				(double)b->wall_loopback);
	cJSON_AddBoolToObject(w, "breach", wall_breach(b));
	cli_json_str(w, "why", b->wall_why[0] ? b->wall_why : NULL);
	cli_json_str(w, "text", d);
	free(d);
	cJSON_AddItemToObject(o, "wall", w);
	for (i = 0; i < PROBE_COUNT; i++) {
		cJSON *e = cJSON_CreateObject();
		cli_json_str(e, "proof",
			     cli_evidence_name(b->probe_evidence[i]));
		cli_json_str(e, "text",
			     b->probe_evidence_text[i][0]
				 ? b->probe_evidence_text[i]
				 : NULL);
		cJSON_AddItemToObject(ev, probe_name((enum probe_id)i), e);
	}
	cJSON_AddItemToObject(o, "evidence", ev);
	cJSON_AddBoolToObject(o, "guest_reported", wall_guest_reported(b));
	return o;
}

/* cli_print_host: status's lines on the host's own view. */
static void cli_print_host(const struct bottle *b)
{
	char *d = wall_describe(b);
	size_t i;

	if (b->vmm_uid != 0)
		printf("vmm uid:    %u (%s)\n", b->vmm_uid,
		       b->vmm_uid_kind == VMMWATCH_VMM
			   ? "the VMM's own: its sockets are watched"
			   : "the guest's (TSI): its sockets are watched");
	else if (b->vmm_uid_why[0])
		printf("vmm uid:    none: %s\n", b->vmm_uid_why);
	if (b->vmm_stray[0])
		printf("host watch: UNSAFE: %s\n", b->vmm_stray);
	if (d != NULL)
		printf("wall:       %s\n", d);
	free(d);
	for (i = 0; i < PROBE_COUNT; i++)
		if (b->probe_evidence_text[i][0])
			printf("evidence:   %-20s %s\n",
			       probe_name((enum probe_id)i),
			       b->probe_evidence_text[i]);
}

int cli_verbs_status(const struct cli_global *g, int argc, char **argv)
{
	struct cli_run r;
	struct bottle *b;
	char *allow;
	int json = 0, all = 0, rc, allow_ok = 0;

	if ((rc = cli_verbs_args(&argc, argv, "NAME [--json]", CLI_VERBS_JSON,
				 &json, &all)) != 0)
		return rc;
	if (argc != 2)
		return cli_usage("status", "NAME [--json]", NULL);
	if (!cli_names_valid(argc, argv))
		return CLI_EXIT_FAIL;
	if ((rc = cli_verbs_open(&r, g, 0, NULL)) != CLI_EXIT_OK)
		return rc;
	if (cli_one(&r, argv[1], &b) != 0) {
		cli_close(&r.c);
		return CLI_EXIT_FAIL;
	}
	/* the bundle's health, live (HTTP, no subprocess) */
	r.pending = 1;
	if (bottle_health_now(r.c.core, b, cli_on_probe_done, &r, NULL) == 0)
		cli_wait(&r);
	r.pending = 0;
	r.failures = 0;
	allow = cli_allowlist(&r, b, &allow_ok);
	if (json) {
		cJSON *root = cli_json_bottle(b, 1), *arr = cJSON_CreateArray();
		if (allow_ok)
			cJSON_AddItemToArray(arr, cJSON_CreateString(allow));
		cJSON_ReplaceItemInObject(root, "allow_cidrs", arr);
		if (!allow_ok)
			cJSON_AddStringToObject(root, "allowlist_error", allow);
		cJSON_AddStringToObject(root, "status_text",
					cli_status_label(b));
		cJSON_AddItemToObject(root, "host", cli_json_host(b));
		cli_json_env(root, bottle_core_env(r.c.core));
		cli_print_json(root);
	} else {
		cli_print_status(b, allow, bottle_core_env(r.c.core));
		cli_print_host(b);
	}
	free(allow);
	rc = CLI_EXIT_OK;
	if (bottle_core_env(r.c.core)->docker_ok != 1) {
		fprintf(stderr, "bottle: %s: what exists is unknown: %s\n",
			b->name,
			bottle_core_env(r.c.core)->docker_error
			    ? bottle_core_env(r.c.core)->docker_error
			    : "docker does not answer");
		rc = CLI_EXIT_FAIL;
	}
	cli_close(&r.c);
	return rc;
}

/* cli_proven: every probe passed (PASS, WARN or SKIP), no PASS rests on
 * the guest's word alone, and the host saw nothing against it (a stray
 * socket of the VMM, packets the second wall refused: unsafe). */
static int cli_proven(const struct bottle *b)
{
	return bottle_all_pass(b) && !wall_guest_reported(b) &&
	       bottle_status(b) != BOTTLE_UNSAFE;
}

/* cli_json_probe_result: one bottle's run; run_ok 0 when the run itself
 * reported a failure (then it is not proven, whatever the verdicts). */
static cJSON *cli_json_probe_result(const struct bottle *b, int run_ok)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "name", b->name);
	cJSON_AddStringToObject(o, "status",
				bottle_status_name(bottle_status(b)));
	cJSON_AddBoolToObject(o, "all_pass", bottle_all_pass(b));
	cJSON_AddBoolToObject(o, "proven", run_ok && cli_proven(b));
	cJSON_AddItemToObject(o, "probes", cli_json_probes(b));
	return o;
}

/* probe NAME...|--all: every named bottle's probes at once, in this one
 * process (runs of different bottles are parallel). */
int cli_verbs_probe(const struct cli_global *g, int argc, char **argv)
{
	static const char usage[] = "NAME...|--all [--json]";
	struct cli_run r;
	struct bottle **sel = NULL;
	size_t n = 0, i, k, started = 0;
	int json = 0, all = 0, rc, ok = 1, guest_only = 0;

	if ((rc = cli_verbs_args(&argc, argv, usage,
				 CLI_VERBS_JSON | CLI_VERBS_ALL, &json,
				 &all)) != 0)
		return rc;
	if (argc < 2 && !all)
		return cli_usage("probe", usage, NULL);
	if (!cli_names_valid(argc, argv))
		return CLI_EXIT_FAIL;
	if ((rc = cli_verbs_open(&r, g, CLI_VERBS_LEAN, NULL)) != CLI_EXIT_OK)
		return rc;
	if (!cli_env_ok(&r, 1) ||
	    cli_select(&r, argc, argv, all, 1, &sel, &n) != 0) {
		cli_close(&r.c);
		return CLI_EXIT_FAIL;
	}
	for (i = 0; i < n; i++) {
		char *cause = NULL;
		if (all && !util_streq(sel[i]->vm_state, "running")) {
			sel[i] = NULL; /* --all: only the bottles that run */
			continue;
		}
		if (bottle_probe(r.c.core, sel[i], cli_on_probe_done, &r,
				 &cause) != 0) {
			fprintf(stderr, "bottle: %s\n", cause);
			free(cause);
			sel[i] = NULL;
			ok = 0;
			continue;
		}
		r.pending++;
		started++;
	}
	cli_wait(&r);
	for (i = 0; i < n; i++) {
		if (sel[i] == NULL || !bottle_all_pass(sel[i]) ||
		    !wall_guest_reported(sel[i]))
			continue;
		fprintf(stderr,
			"bottle: %s: isolation not proven: some PASS verdicts "
			"are guest-reported, with no host evidence (bottle "
			"status %s shows which)\n",
			sel[i]->name, sel[i]->name);
		guest_only = 1;
	}
	if (json && n == 1 && !all) {
		if (sel[0] != NULL)
			cli_print_json(
			    cli_json_probe_result(sel[0], r.failures == 0));
	} else if (json) {
		cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
		for (i = 0; i < n; i++)
			if (sel[i] != NULL)
				cJSON_AddItemToArray(
				    arr, cli_json_probe_result(sel[i], 1));
		cJSON_AddItemToObject(root, "bottles", arr);
		cJSON_AddBoolToObject(root, "all_pass",
				      ok && r.failures == 0 && started > 0);
		cJSON_AddBoolToObject(root, "proven",
				      ok && r.failures == 0 && started > 0 &&
					  !guest_only);
		cli_print_json(root);
	} else {
		for (i = 0; i < n; i++) {
			if (sel[i] == NULL)
				continue;
			for (k = 0; k < PROBE_COUNT; k++) {
				const struct probe_result *p =
				    &sel[i]->probes[k];
				if (n > 1 || all)
					printf("%s: ", sel[i]->name);
				printf("%-20s %-7s %s\n",
				       probe_name((enum probe_id)k),
				       probe_verdict_name(p->verdict),
				       p->detail ? p->detail : "");
			}
		}
	}
	if (all && started == 0)
		fprintf(stderr, "bottle: no running bottle to probe\n");
	if (guest_only)
		ok = 0; /* a PASS on the guest's word alone is not exit 0 */
	rc = ok && r.failures == 0 && started > 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
	free(sel);
	cli_close(&r.c);
	return rc;
}

/* prepare: smolvm pack create -I IMAGE as a prepare-time cache. The VM
 * is never created from the pack (`machine create --from` drops the
 * allowlist in smolvm 0.8.0). Refused under --read-only. The child leads
 * its own process group: SIGINT, SIGTERM or SIGHUP to bottle, or the
 * timeout, stops that group (TERM, then KILL) and bottle waits for it
 * before it exits. */
#define CLI_PREPARE_TIMEOUT_MS (30 * 60 * 1000)
#define CLI_PREPARE_NSIG 3

struct cli_prepare {
	struct cli_run *r;
	struct proc *p; /* borrowed; NULL once cli_on_pack ran */
	uv_signal_t sig[CLI_PREPARE_NSIG];
	int status;
	int timed_out;
	int signo; /* the first signal that interrupted it, else 0 */
	char *err;
};

static void cli_on_pack(struct proc *p, const struct proc_result *res,
			void *data)
{
	struct cli_prepare *c = data;

	(void)p;
	c->p = NULL;
	c->status = res->exited ? res->exit_status : -1;
	c->timed_out = res->timed_out;
	if (c->status != 0 && res->err.len > 0)
		c->err = xstrndup(res->err.data, res->err.len);
	c->r->pending--;
}

/* cli_prepare_on_signal: stop the pack's process group; the loop goes on
 * until it has exited (cli_on_pack). */
static void cli_prepare_on_signal(uv_signal_t *h, int signum)
{
	struct cli_prepare *c = h->data;

	if (c->signo == 0)
		c->signo = signum;
	if (c->p != NULL)
		proc_kill(c->p);
}

static void cli_prepare_signals(struct cli_prepare *c, uv_loop_t *loop,
				int start)
{
	static const int sigs[CLI_PREPARE_NSIG] = {SIGINT, SIGTERM, SIGHUP};
	int i;

	for (i = 0; i < CLI_PREPARE_NSIG; i++) {
		if (start) {
			uv_signal_init(loop, &c->sig[i]);
			c->sig[i].data = c;
			uv_signal_start(&c->sig[i], cli_prepare_on_signal,
					sigs[i]);
		} else {
			uv_close((uv_handle_t *)&c->sig[i], NULL);
		}
	}
}

int cli_verbs_prepare(const struct cli_global *g, int argc, char **argv)
{
	struct cli_run r;
	struct bottle *b = NULL;
	struct cli_prepare c;
	struct proc_opts o;
	struct strv a = STRV_INIT;
	char *dir, *out, *cause = NULL;
	int rc;

	int json = 0, all = 0;

	memset(&c, 0, sizeof c);
	c.status = -1;
	if ((rc = cli_verbs_args(&argc, argv, "NAME", 0, &json, &all)) != 0)
		return rc;
	if (argc != 2)
		return cli_usage("prepare", "NAME", NULL);
	if (g->read_only) {
		fprintf(stderr, "bottle: read-only mode: prepare refused (it "
				"runs smolvm pack create and writes the state "
				"directory)\n");
		return CLI_EXIT_FAIL;
	}
	if ((rc = cli_verbs_open(&r, g, 0, NULL)) != CLI_EXIT_OK)
		return rc;
	if (bottle_core_env(r.c.core)->smolvm_ok != 1 ||
	    cli_one(&r, argv[1], &b) != 0 || b->cfg == NULL) {
		if (bottle_core_env(r.c.core)->smolvm_ok != 1)
			fprintf(stderr, "bottle: %s\n",
				bottle_core_env(r.c.core)->smolvm_error);
		if (b != NULL && b->cfg == NULL)
			fprintf(stderr, "bottle: %s is not configured\n",
				b->name);
		cli_close(&r.c);
		return CLI_EXIT_FAIL;
	}
	dir = xasprintf("%s/packs", r.c.state_dir);
	if (util_mkdir_p(dir, 0700, &cause) != 0) {
		fprintf(stderr, "bottle: %s\n", cause);
		free(cause);
		free(dir);
		cli_close(&r.c);
		return CLI_EXIT_FAIL;
	}
	out = xasprintf("%s/%s", dir, b->name);
	{
		struct smolvm_cli sv = bottle_core_env(r.c.core)->smolvm;
		sv.bin = bottle_core_env(r.c.core)->smolvm_path;
		a = smolvm_argv_pack_image(&sv, b->cfg->vm.image, out);
	}
	cli_progress(b->name,
		     "prepare: smolvm pack create -I %s (a cache only: "
		     "the VM is never created from it)",
		     b->cfg->vm.image);
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)a.v;
	o.env = (const char *const *)bottle_core_env(r.c.core)->smolvm_env.v;
	o.timeout_ms = CLI_PREPARE_TIMEOUT_MS;
	o.capture = 1;
	o.new_pgrp = 1; /* a stop reaches what smolvm started */
	o.on_exit = cli_on_pack;
	o.data = &c;
	c.r = &r;
	r.pending = 1;
	cli_prepare_signals(&c, &r.c.loop, 1);
	c.p = proc_spawn(&r.c.loop, &o);
	cli_wait(&r);
	cli_prepare_signals(&c, &r.c.loop, 0);
	if (c.signo != 0) {
		state_event(r.c.state_dir, b->name,
			    "prepare: pack create -I %s -> interrupted by "
			    "signal %d",
			    b->cfg->vm.image, c.signo);
		fprintf(stderr,
			"bottle: %s: prepare interrupted (signal %d): smolvm "
			"pack create was stopped\n",
			b->name, c.signo);
		rc = 128 + c.signo;
	} else if (c.timed_out) {
		state_event(r.c.state_dir, b->name,
			    "prepare: pack create -I %s -> timed out",
			    b->cfg->vm.image);
		fprintf(stderr,
			"bottle: %s: smolvm pack create timed out after %d "
			"min and was stopped\n",
			b->name, CLI_PREPARE_TIMEOUT_MS / 60000);
		rc = CLI_EXIT_FAIL;
	} else {
		state_event(r.c.state_dir, b->name,
			    "prepare: pack create -I %s -> exit %d",
			    b->cfg->vm.image, c.status);
		if (c.status == 0) {
			printf("%s: prepared %s.smolmachine\n", b->name, out);
			rc = CLI_EXIT_OK;
		} else {
			fprintf(stderr,
				"bottle: %s: smolvm pack create failed%s%s\n",
				b->name, c.err ? ": " : "", c.err ? c.err : "");
			rc = CLI_EXIT_FAIL;
		}
	}
	free(c.err);
	free(out);
	free(dir);
	strv_release(&a);
	cli_close(&r.c);
	return rc;
}

/* doctor: every finding with its fix. */
/* cli_doctor_wall: whether a second wall stands behind the VMM's
 * allowlist, in general and for each running bottle. */
static void cli_doctor_wall(struct bottle_core *core,
			    const struct bottle_env *env)
{
	const char *why = NULL;
	size_t i, n = bottle_core_count(core);

	if (!wall_capable(&why)) {
		printf("WARNING  no second wall (%s): the VMM's allowlist is "
		       "the only wall\n",
		       why);
		return;
	}
	if (env->smolvm_ok == 1)
		printf("ok       second wall: a VMM with a uid of its own gets "
		       "kernel rules that let it reach only its bundle\n");
	for (i = 0; i < n; i++) {
		struct bottle *b = bottle_core_at(core, i);
		if (b->vm_state == NULL || strcmp(b->vm_state, "running") != 0)
			continue;
		if (b->wall == 1)
			printf("ok       %s: second wall in place (uid %u)\n",
			       b->name, b->vmm_uid);
		else
			printf("WARNING  %s: the VMM's allowlist is the only "
			       "wall (%s)\n",
			       b->name,
			       b->wall_why[0] ? b->wall_why
					      : "no uid of its own");
	}
}

int cli_verbs_doctor(const struct cli_global *g, int argc, char **argv)
{
	struct cli_run r;
	const struct bottle_env *env;
	int problems = 0, rc;

	(void)argv;
	if (argc != 1)
		return cli_usage("doctor", "", NULL);
	if ((rc = cli_verbs_open(&r, g, CLI_OPEN_OPTIONAL, NULL)) !=
	    CLI_EXIT_OK)
		return rc;
	env = bottle_core_env(r.c.core);
	if (env->docker_ok == 1) {
		printf("ok       docker engine %s\n", env->docker_version);
	} else {
		printf("PROBLEM  %s\n", env->docker_error);
		problems++;
	}
	if (env->smolvm_ok == 1) {
		int tsi = smolvm_band_is_tsi(env->smolvm.band);
		printf("ok       %s (%s)%s\n", env->smolvm_version,
		       env->smolvm_path,
		       env->simulated ? " - the SIMULATOR, not a VM" : "");
		printf("%s band %s: %s\n",
		       tsi || env->smolvm.band == SMOLVM_BAND_NEWER
			   ? "WARNING "
			   : "ok      ",
		       smolvm_band_name(env->smolvm.band),
		       smolvm_band_meaning(env->smolvm.band));
		if (tsi)
			printf("WARNING  upgrade to smolvm " SMOLVM_NEWEST_KNOWN
			       ": from 1.1.3 the allowlist runs on "
			       "virtio-net\n");
		if (smolvm_env_confined(&env->smolvm))
			printf("ok       the VMM runs confined "
			       "(SMOLVM_SECCOMP=enforce, "
			       "SMOLVM_LANDLOCK=enforce)\n");
		else
			printf("note     the VMM is not confined (smolvm's "
			       "seccomp and Landlock need 0.8.2 on Linux)\n");
	} else {
		printf("PROBLEM  %s\n", env->smolvm_error);
		problems++;
	}
	cli_doctor_wall(r.c.core, env);
	if (env->simulated) {
		if (geteuid() == 0) {
			printf("ok       running as root (the simulator "
			       "enforces the "
			       "allowlist with netfilter)\n");
		} else {
			printf(
			    "PROBLEM  the simulator needs root: run bottle as "
			    "root, or install smolvm " SMOLVM_NEWEST_KNOWN
			    "\n");
			problems++;
		}
	} else {
		if (access("/dev/kvm", R_OK | W_OK) == 0) {
			printf("ok       /dev/kvm is readable and writable\n");
		} else {
			printf(
			    "PROBLEM  /dev/kvm: %s; fix: add yourself to the "
			    "kvm group (sudo usermod -aG kvm $USER) and log in "
			    "again\n",
			    strerror(errno));
			problems++;
		}
		if (env->smolvm_version != NULL &&
		    strstr(env->smolvm_version, "0.8.0") != NULL) {
			if (access("/usr/lib/x86_64-linux-gnu/"
				   "libvirglrenderer.so.1",
				   R_OK) == 0 ||
			    access("/usr/lib/aarch64-linux-gnu/"
				   "libvirglrenderer.so.1",
				   R_OK) == 0 ||
			    access("/usr/lib/libvirglrenderer.so.1", R_OK) ==
				0) {
				printf("ok       libvirglrenderer.so.1 present "
				       "(smolvm 0.8.0 needs it)\n");
			} else {
				printf(
				    "PROBLEM  smolvm 0.8.0 needs "
				    "libvirglrenderer.so.1 even without a GPU; "
				    "fix: apt-get install libvirglrenderer1 "
				    "(or upgrade to smolvm 0.8.1)\n");
				problems++;
			}
		}
	}
	printf("%s\n",
	       problems ? "doctor: problems found" : "doctor: all good");
	cli_close(&r.c);
	return problems ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

int cli_verbs_up(const struct cli_global *g, int argc, char **argv)
{
	return cli_lifecycle(g, argc, argv, CLI_UP);
}

int cli_verbs_down(const struct cli_global *g, int argc, char **argv)
{
	return cli_lifecycle(g, argc, argv, CLI_DOWN);
}

int cli_verbs_rm(const struct cli_global *g, int argc, char **argv)
{
	return cli_lifecycle(g, argc, argv, CLI_RM);
}
