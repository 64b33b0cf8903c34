/* bottle-proof.c: the proof: probe runs (and on_unsafe), their results on
 * disk, the bundle's health checks. */
#include "bottle-int.h"
#include "helper.h"
#include "vmmwatch.h"
#include "wall.h"

/* ---- health results (also read by up's bundle-health step) ---------- */

/* The services reachable from outside the bundle (agent-reachable ones
 * bind a non-loopback address; loopback-bound ones can't be checked from
 * the host and are proven unreachable by the probes instead). */
size_t bottle_proof_health_targets(const struct bottle *b,
				   struct health_service_target *t, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < b->cfg->bundle.n_services && n < max; i++) {
		const struct config_service *s = &b->cfg->bundle.services[i];
		if (!s->agent_reachable)
			continue;
		t[n].name = s->name;
		t[n].port = s->port;
		t[n].path = s->health;
		t[n].pipelock = util_streq(s->name, b->cfg->bundle.proxy) ||
				util_streq(s->name, "pipelock");
		n++;
	}
	return n;
}

void bottle_proof_store_health(struct bottle *b,
			       const struct health_report *rep)
{
	size_t i;

	bottle_reset_health(b);
	b->health = xcalloc(rep->n ? rep->n : 1, sizeof *b->health);
	for (i = 0; i < rep->n; i++) {
		const struct health_service_result *s = &rep->services[i];
		struct health_service_result *d = &b->health[i];
		*d = *s;
		d->name = s->name ? xstrdup(s->name) : NULL;
		d->error = s->error ? xstrdup(s->error) : NULL;
		d->pipelock_version =
		    s->pipelock_version ? xstrdup(s->pipelock_version) : NULL;
		d->pipelock_mode =
		    s->pipelock_mode ? xstrdup(s->pipelock_mode) : NULL;
	}
	b->n_health = rep->n;
	b->health_ok = rep->all_ok ? 1 : 0;
	b->kill_switch = rep->kill_switch;
	b->health_at_ms = rep->at_ms;
}

char *bottle_proof_health_problems(const struct health_report *rep)
{
	struct buf d = BUF_INIT;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		const struct health_service_result *s = &rep->services[i];
		if (s->ok)
			continue;
		buf_addf(&d, "%s%s: ", d.len ? "; " : "", s->name);
		if (s->error != NULL)
			buf_adds(&d, s->error);
		else
			buf_addf(&d, "HTTP %ld", s->http_status);
	}
	if (rep->kill_switch)
		buf_addf(&d, "%spipelock kill switch is on", d.len ? "; " : "");
	return buf_detach(&d);
}

/* ---- probe results on disk: NAME/probes.json ------------------------- */

/* The latest probe results are kept in the bottle's directory, so that
 * `bottle status` in another process shows what the dashboard proved. */
static void bottle_save_probes(struct bottle *b)
{
	cJSON *root = cJSON_CreateObject(), *arr = cJSON_CreateArray();
	char *text, *cause = NULL;
	size_t i;

	cJSON_AddNumberToObject(root, "at_ms", (double)b->probes_at_ms);
	cJSON_AddNumberToObject(root, "vm_pid", (double)b->probes_vm_pid);
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *r = &b->probes[i];
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "probe",
					probe_name((enum probe_id)i));
		cJSON_AddNumberToObject(e, "verdict", (double)r->verdict);
		if (r->detail != NULL)
			cJSON_AddStringToObject(e, "detail", r->detail);
		if (r->method != NULL)
			cJSON_AddStringToObject(e, "method", r->method);
		cJSON_AddNumberToObject(e, "latency_ms", (double)r->latency_ms);
		cJSON_AddNumberToObject(e, "at_ms", (double)r->at_ms);
		cJSON_AddNumberToObject(e, "evidence",
					(double)b->probe_evidence[i]);
		if (b->probe_evidence_text[i][0] != '\0')
			cJSON_AddStringToObject(e, "evidence_text",
						b->probe_evidence_text[i]);
		cJSON_AddItemToArray(arr, e);
	}
	cJSON_AddItemToObject(root, "probes", arr);
	text = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	if (bottle_write_file(b, "probes.json", text, &cause) != 0) {
		bottle_log(b, "could not save probe results: %s", cause);
		free(cause);
	}
	cJSON_free(text);
}

void bottle_proof_load(struct bottle *b)
{
	char *dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	char *path = xasprintf("%s/probes.json", dir), *text = NULL;
	size_t len = 0, i;
	cJSON *root, *arr, *e;

	free(dir);
	if (util_read_file(path, &text, &len, NULL) != 0) {
		free(path);
		return;
	}
	free(path);
	root = cJSON_ParseWithLength(text, len);
	free(text);
	arr = cJSON_GetObjectItemCaseSensitive(root, "probes");
	for (i = 0; cJSON_IsArray(arr) && i < PROBE_COUNT; i++) {
		const cJSON *v, *d, *m;
		e = cJSON_GetArrayItem(arr, (int)i);
		v = cJSON_GetObjectItemCaseSensitive(e, "verdict");
		d = cJSON_GetObjectItemCaseSensitive(e, "detail");
		m = cJSON_GetObjectItemCaseSensitive(e, "method");
		if (!cJSON_IsNumber(v) || v->valuedouble < PROBE_NONE ||
		    v->valuedouble > PROBE_SKIP)
			continue;
		b->probes[i].verdict = (enum probe_verdict)v->valueint;
		b->probes[i].detail =
		    cJSON_IsString(d) ? xstrdup(d->valuestring) : NULL;
		b->probes[i].method =
		    cJSON_IsString(m) ? xstrdup(m->valuestring) : NULL;
		v = cJSON_GetObjectItemCaseSensitive(e, "latency_ms");
		b->probes[i].latency_ms =
		    cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
		v = cJSON_GetObjectItemCaseSensitive(e, "at_ms");
		b->probes[i].at_ms =
		    cJSON_IsNumber(v) ? (uint64_t)v->valuedouble : 0;
		/* a PASS saved without its evidence is the guest's word */
		v = cJSON_GetObjectItemCaseSensitive(e, "evidence");
		if (cJSON_IsNumber(v) &&
		    v->valuedouble >= PROBE_EVIDENCE_NONE &&
		    v->valuedouble <= PROBE_HOST_PROVEN)
			b->probe_evidence[i] = v->valueint;
		else if (b->probes[i].verdict == PROBE_PASS &&
			 i != PROBE_EXEC_FIDELITY)
			b->probe_evidence[i] = PROBE_GUEST_ONLY;
		else
			b->probe_evidence[i] = PROBE_EVIDENCE_NONE;
		d = cJSON_GetObjectItemCaseSensitive(e, "evidence_text");
		snprintf(b->probe_evidence_text[i],
			 sizeof b->probe_evidence_text[i], "%s",
			 cJSON_IsString(d) ? d->valuestring : "");
	}
	e = cJSON_GetObjectItemCaseSensitive(root, "at_ms");
	if (cJSON_IsNumber(e))
		b->probes_at_ms = (uint64_t)e->valuedouble;
	e = cJSON_GetObjectItemCaseSensitive(root, "vm_pid");
	if (cJSON_IsNumber(e) && e->valuedouble >= 0 &&
	    e->valuedouble < 4194305.0)
		b->probes_vm_pid = (int)e->valuedouble;
	cJSON_Delete(root);
}

/* ---- probes ----------------------------------------------------------- */

void bottle_proof_schedule(struct bottle *b)
{
	const struct bottle_core *core = b->priv->core;
	uint64_t base, jitter;
	unsigned shift = b->priv->backoff > 3 ? 3 : b->priv->backoff;

	if (core->opts.no_timers || b->cfg == NULL)
		return;
	base = 1000ull * (uint64_t)b->cfg->probe_interval_s << shift;
	jitter = base / 10;
	b->priv->next_probe = util_mono_ms() + base - jitter +
			      (jitter ? (uint64_t)rand() % (2 * jitter) : 0);
}

static char *bottle_probe_summary(const struct probe_result *res)
{
	struct buf d = BUF_INIT;
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *r = &res[i];
		if (r->verdict == PROBE_PASS || r->verdict == PROBE_SKIP ||
		    r->verdict == PROBE_WARN)
			continue;
		buf_addf(&d, "%s%s %s", d.len ? "; " : "",
			 probe_name((enum probe_id)i),
			 probe_verdict_name(r->verdict));
		if (r->detail != NULL)
			buf_addf(&d, " (%s)", r->detail);
	}
	return d.len ? buf_detach(&d) : (buf_release(&d), NULL);
}

static void bottle_on_probe_command(const char *const *argv,
				    const struct proc_result *r, void *data)
{
	struct bottle *b = data;
	struct strv a = STRV_INIT;
	size_t n = 0;

	while (argv[n] != NULL)
		n++;
	strv_pushv(&a, argv, n);
	bottle_record(b, &a, r);
	strv_release(&a);
}

static void bottle_probe_finish(struct bottle *b);

static void bottle_evidence(struct bottle *b, size_t i, enum probe_evidence e,
			    const char *fmt, ...) UTIL_PRINTF(4, 5);

static void bottle_evidence(struct bottle *b, size_t i, enum probe_evidence e,
			    const char *fmt, ...)
{
	va_list ap;

	b->probe_evidence[i] = (int)e;
	va_start(ap, fmt);
	vsnprintf(b->probe_evidence_text[i], sizeof b->probe_evidence_text[i],
		  fmt, ap);
	va_end(ap);
}

/* bottle_proof_fail: probe i of b turns FAIL on the host's evidence. */
static void bottle_proof_fail(struct bottle *b, size_t i, const char *why)
{
	struct probe_result *r = &b->probes[i];
	char *d =
	    xasprintf("%s%s%s", why, r->detail ? "; the guest said: " : "",
		      r->detail ? r->detail : "");

	free(r->detail);
	r->detail = d;
	r->verdict = PROBE_FAIL;
	bottle_evidence(b, i, PROBE_HOST_PROVEN, "host: %s", why);
}

/* bottle_proof_egress_host: egress-port-bypass from the host's side: each
 * port that must not be agent-reachable refuses on B from outside the
 * bundle. 1 all refuse, 0 one accepts (*port set), -1 no answer. The
 * connects run at once, bounded together (a reset on a local bridge is
 * immediate; the bound only matters where something drops them). */
#define BOTTLE_PROOF_HOST_MS 500
static int bottle_proof_egress_host(const struct bottle *b, int *port)
{
	size_t i, n = 0, max = b->cfg->bundle.n_services;
	int *ports = xcalloc(max ? max : 1, sizeof *ports), r;

	for (i = 0; i < max; i++) {
		const struct config_service *s = &b->cfg->bundle.services[i];
		if (!s->agent_reachable)
			ports[n++] = s->port;
	}
	r = wall_host_refuses(b->bundle_ip, ports, n, BOTTLE_PROOF_HOST_MS,
			      port);
	free(ports);
	return r;
}

/* bottle_proof_evidence: what the host saw while b's run ran, into each
 * verdict's evidence (a PASS the host did not see is "guest-reported");
 * the host's word overrides the guest's where they disagree. */
static void bottle_proof_evidence(struct bottle *b)
{
	uint64_t d_probe = 0, d_loop = 0, d_ref = 0;
	int wall = wall_bottle_after(b, &d_probe, &d_loop, &d_ref);
	int vmm = b->vmm_uid_kind == VMMWATCH_VMM;
	const char *why = b->wall_why[0] ? b->wall_why
			  : b->vmm_uid_why[0]
			      ? b->vmm_uid_why
			      : "the second wall was not in place";
	size_t i;

	for (i = 0; i < PROBE_COUNT; i++) {
		b->probe_evidence[i] = PROBE_EVIDENCE_NONE;
		b->probe_evidence_text[i][0] = '\0';
	}
	for (i = 0; i < PROBE_COUNT; i++) {
		struct probe_result *r = &b->probes[i];
		int port = 0, h;
		if (r->verdict != PROBE_PASS || i == PROBE_EXEC_FIDELITY)
			continue;
		switch ((enum probe_id)i) {
		case PROBE_BUNDLE_REACH:
			if (wall && d_probe > 0)
				bottle_evidence(
				    b, i, PROBE_HOST_PROVEN,
				    "host: %llu new connection(s) of uid %u "
				    "to %s:%d while it ran",
				    (unsigned long long)d_probe, b->vmm_uid,
				    b->bundle_ip, bottle_proxy_port(b->cfg));
			else if (wall)
				bottle_evidence(
				    b, i, PROBE_GUEST_ONLY,
				    "guest-reported: the host saw no "
				    "new connection of uid %u to %s",
				    b->vmm_uid, b->bundle_ip);
			else
				bottle_evidence(b, i, PROBE_GUEST_ONLY,
						"guest-reported: %s", why);
			break;
		case PROBE_EGRESS_PORT_BYPASS:
			h = bottle_proof_egress_host(b, &port);
			if (h == 1) {
				bottle_evidence(b, i, PROBE_HOST_PROVEN,
						"host: its ports refuse on %s "
						"from outside the bundle",
						b->bundle_ip);
			} else if (h == 0) {
				char *w = xasprintf(
				    "%s:%d accepts connections from outside "
				    "the bundle",
				    b->bundle_ip, port);
				bottle_proof_fail(b, i, w);
				free(w);
			} else {
				bottle_evidence(b, i, PROBE_GUEST_ONLY,
						"guest-reported: the host's "
						"connect got no answer");
			}
			break;
		default:
			if (wall)
				bottle_evidence(
				    b, i, PROBE_HOST_PROVEN,
				    "host: the second wall lets uid %u reach "
				    "%s only (%llu packets refused while it "
				    "ran%s)",
				    b->vmm_uid, b->bundle_ip,
				    (unsigned long long)d_ref,
				    vmm && d_ref > 0
					? ": the VMM's allowlist let them "
					  "through"
					: "");
			else
				bottle_evidence(b, i, PROBE_GUEST_ONLY,
						"guest-reported: %s", why);
			break;
		}
	}
}

static void bottle_on_unsafe_stop(struct bottle *b, const struct proc_result *r)
{
	char *msg;

	if (bottle_ok(r)) {
		bottle_set_str(&b->vm_state, "stopped");
		msg = xasprintf("isolation disproven (%s); the VM was stopped "
				"(on_unsafe is \"stop\")",
				b->priv->probe_summary);
	} else {
		char *e = bottle_cmd_error("smolvm machine stop", r);
		msg = xasprintf("isolation disproven (%s); stopping the VM "
				"failed: %s",
				b->priv->probe_summary, e);
		free(e);
	}
	bottle_log(b, "on_unsafe: %s", msg);
	/* the error keeps the bottle red once the VM is gone */
	bottle_set_str(&b->error, msg);
	if (b->op == BOTTLE_OP_NONE)
		bottle_step_persist(b, "failed", msg);
	free(msg);
	bottle_probe_finish(b);
}

static void bottle_on_probe_done(struct probe_run *run,
				 const struct probe_report *rep, void *data)
{
	struct bottle *b = data;
	struct bottle_core *core = b->priv->core;
	size_t i;
	int unknown = 0, any_fail = 0;

	(void)run;
	b->priv->probe_run = NULL;
	b->probing = 0;
	bottle_core_unref(core);
	if (core->closing)
		return;
	for (i = 0; i < PROBE_COUNT; i++) {
		probe_result_release(&b->probes[i]);
		probe_result_copy(&b->probes[i], &rep->r[i]);
	}
	bottle_proof_evidence(b);
	for (i = 0; i < PROBE_COUNT; i++) {
		const struct probe_result *r = &b->probes[i];
		if (r->verdict == PROBE_UNKNOWN)
			unknown = 1;
		if (r->verdict == PROBE_FAIL)
			any_fail = 1;
		bottle_log(b, "probe %s: %s%s%s%s%s",
			   probe_name((enum probe_id)i),
			   probe_verdict_name(r->verdict), r->detail ? " " : "",
			   r->detail ? r->detail : "",
			   b->probe_evidence_text[i][0] ? "; " : "",
			   b->probe_evidence_text[i]);
	}
	b->probes_at_ms = util_wall_ms();
	/* the results belong to the VM instance they ran against */
	b->probes_vm_pid = b->probes_run_vm_pid;
	bottle_save_probes(b);
	b->priv->backoff = unknown ? b->priv->backoff + 1 : 0;
	bottle_proof_schedule(b);
	free(b->priv->probe_summary);
	b->priv->probe_summary = bottle_probe_summary(b->probes);
	if (wall_breach(b)) {
		/* disproven by the host: the VMM dialed outside B */
		char *w = xasprintf(
		    "%s%ssecond wall: %llu packets of the VMM (uid %u) "
		    "refused, %llu of them to the host's loopback: the "
		    "VMM's allowlist let them through",
		    b->priv->probe_summary ? b->priv->probe_summary : "",
		    b->priv->probe_summary ? "; " : "",
		    (unsigned long long)b->wall_refused, b->vmm_uid,
		    (unsigned long long)b->wall_loopback);
		free(b->priv->probe_summary);
		b->priv->probe_summary = w;
		any_fail = 1;
	}
	if (any_fail && b->cfg != NULL &&
	    b->cfg->on_unsafe == CONFIG_ON_UNSAFE_STOP) {
		struct strv a = smolvm_argv_stop(bottle_cli(core), b->name);
		bottle_log(b, "on_unsafe is \"stop\": stopping the VM");
		bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
			   bottle_on_unsafe_stop);
		return;
	}
	bottle_probe_finish(b);
}

/* bottle_probe_finish: report a completed probe run (after on_unsafe). */
static void bottle_probe_finish(struct bottle *b)
{
	struct bottle_core *core = b->priv->core;
	const char *summary = b->priv->probe_summary;

	bottle_waiters_fire(core, &b->priv->probe_waiters, b, summary);
	if (b->op == BOTTLE_OP_UP && b->step == BOTTLE_STEP_PROBE) {
		if (summary != NULL) {
			/* the bottle is up but not proven: report, keep it */
			char *msg =
			    xasprintf("isolation not proven: %s", summary);
			bottle_step_finish(b, msg, 0);
			free(msg);
		} else {
			bottle_step_next(b);
		}
	}
	bottle_proof_arm(b);
	bottle_emit(core, b, BOTTLE_EV_CHANGED, NULL);
}

/* bottle_proof_launch: the run itself, once the wall is in place (or
 * can't be). */
static void bottle_proof_launch(struct bottle *b)
{
	struct bottle_core *core = b->priv->core;
	struct probe_port closed[32];
	const char **others;
	struct probe_target t;
	char machine[64], *helper_guest = NULL;
	size_t i, n_closed = 0, n_others = 0;

	b->probes_run_vm_pid = b->vm_pid; /* the instance it proves */
	/* the run waits for the second wall: its counters are evidence */
	wall_bottle_ensure(b);
	for (i = 0; i < b->cfg->bundle.n_services && n_closed < 32; i++) {
		const struct config_service *s = &b->cfg->bundle.services[i];
		if (s->agent_reachable)
			continue;
		closed[n_closed].service = s->name;
		closed[n_closed].port = s->port;
		n_closed++;
	}
	others = xcalloc(core->n + 1, sizeof *others);
	for (i = 0; i < core->n; i++) {
		struct bottle *o = core->v[i];
		if (o != b && o->bundle_ip != NULL && bottle_bundle_running(o))
			others[n_others++] = o->bundle_ip;
	}
	{
		/* the copy the VM mounts, checked again before each run: no
		 * verdict rests on another helper */
		char *why = NULL;
		if (helper_verify(core->state_dir, b->name, &why) == 0)
			helper_guest =
			    xstrdup(SMOLFILE_HELPER_GUEST "/bottle-probe");
		else
			bottle_log(b, "probe: %s", why);
		free(why);
	}
	bottle_machine(b, machine, sizeof machine);
	memset(&t, 0, sizeof t);
	t.cli = bottle_cli(core);
	t.env = (const char *const *)core->env.smolvm_env.v;
	t.name = b->name;
	t.dns_name = b->cfg->dns_name;
	t.bundle_ip = b->bundle_ip;
	t.proxy_port = bottle_proxy_port(b->cfg);
	t.closed = closed;
	t.n_closed = n_closed;
	t.others = others;
	t.n_others = n_others;
	t.resolver = b->cfg->resolver;
	t.timeout_s = b->cfg->probe_timeout_s;
	t.helper = helper_guest;
	t.canary = core->canary;
	b->probing = 1;
	core->refs++;
	b->priv->probe_run = probe_run_start(
	    core->loop, &t, bottle_on_probe_command, bottle_on_probe_done, b);
	free(others);
	free(helper_guest);
	bottle_emit(core, b, BOTTLE_EV_CHANGED, NULL);
}

/* The VMM's pid, for its uid, when no refresh has seen it yet (up's probe
 * step right after vm-start). */
static void bottle_on_vmm_status(struct bottle_core *core,
				 const struct proc_result *r, void *data)
{
	struct bottle *b = data;
	struct smolvm_machine m;
	char *cause = NULL;

	if (core->closing) {
		b->probing = 0;
		return;
	}
	memset(&m, 0, sizeof m);
	if (bottle_ok(r) && r->out.len > 0 &&
	    smolvm_parse_status(r->out.data, r->out.len, &m, &cause) == 0) {
		if (m.pid > 0 && util_streq(m.state, "running"))
			b->vm_pid = m.pid;
		smolvm_machine_release(&m);
	}
	free(cause);
	bottle_proof_launch(b);
}

/* bottle_proof_start: one probe run for b (which must be running). */
int bottle_proof_start(struct bottle *b, char **cause)
{
	struct bottle_core *core = b->priv->core;
	const char *why;

	if (b->cfg == NULL || b->bundle_ip == NULL)
		return util_fail(cause, "bottle %s is not configured and up",
				 b->name);
	b->probing = 1;
	if (b->vm_pid <= 0 && wall_capable(&why)) {
		struct strv a = smolvm_argv_status(bottle_cli(core), b->name);
		bottle_core_run(core, &a,
				bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
				bottle_on_vmm_status, b);
		bottle_emit(core, b, BOTTLE_EV_CHANGED, NULL);
		return 0;
	}
	bottle_proof_launch(b);
	return 0;
}

void bottle_proof_step(struct bottle *b)
{
	char *cause = NULL;

	if (bottle_proof_start(b, &cause) != 0) {
		bottle_step_fail(b, "%s", cause);
		free(cause);
	}
}

int bottle_proof_run(struct bottle_core *core, struct bottle *b,
		     bottle_done_cb done, void *data, char **cause)
{
	if (core->closing)
		return util_fail(cause, "shutting down");
	if (b->op != BOTTLE_OP_NONE)
		return util_fail(cause, "bottle %s is busy: %s in progress",
				 b->name, bottle_op_name(b->op));
	if (!bottle_vm_running(b))
		return util_fail(cause,
				 "bottle %s: the VM is not running "
				 "(state: %s)",
				 b->name, b->vm_state ? b->vm_state : "absent");
	bottle_waiters_add(&b->priv->probe_waiters, done, data);
	if (b->probing)
		return 0; /* joins the run in flight: no overlap */
	if (bottle_proof_start(b, cause) != 0) {
		struct bottle_waiter *w = b->priv->probe_waiters;
		b->priv->probe_waiters = NULL;
		while (w != NULL) {
			struct bottle_waiter *next = w->next;
			free(w);
			w = next;
		}
		return -1;
	}
	return 0;
}

/* ---- periodic health -------------------------------------------------- */

static void bottle_on_periodic_health(const struct health_report *rep,
				      void *data)
{
	struct bottle *b = data;
	int before = b->health_ok, ks = b->kill_switch;

	b->priv->health_inflight = 0;
	if (b->op != BOTTLE_OP_NONE) {
		bottle_waiters_fire(b->priv->core, &b->priv->health_waiters, b,
				    NULL);
		return;
	}
	bottle_proof_store_health(b, rep);
	if (before != b->health_ok || ks != b->kill_switch) {
		char *p = bottle_proof_health_problems(rep);
		bottle_log(b, "health: %s", p[0] ? p : "every service answers");
		free(p);
	}
	bottle_waiters_fire(b->priv->core, &b->priv->health_waiters, b, NULL);
	bottle_emit(b->priv->core, b, BOTTLE_EV_CHANGED, NULL);
}

int bottle_proof_health_now(struct bottle_core *core, struct bottle *b,
			    bottle_done_cb done, void *data, char **cause)
{
	struct health_service_target t[32];
	size_t n;

	if (core->closing || b->cfg == NULL || b->bundle_ip == NULL ||
	    !bottle_bundle_running(b))
		return util_fail(cause, "bottle %s: no running bundle",
				 b->name);
	n = bottle_proof_health_targets(b, t, UTIL_NELEM(t));
	if (n == 0)
		return util_fail(cause, "bottle %s: no service to check",
				 b->name);
	bottle_waiters_add(&b->priv->health_waiters, done, data);
	if (b->priv->health_inflight)
		return 0;
	b->priv->health_inflight = 1;
	if (health_check(core->health, b->bundle_ip, t, n,
			 BOTTLE_HEALTH_TIMEOUT_MS, bottle_on_periodic_health,
			 b) != 0) {
		b->priv->health_inflight = 0;
		bottle_waiters_drop(&b->priv->health_waiters);
		return util_fail(
		    cause, "bottle %s: could not start an HTTP check", b->name);
	}
	return 0;
}

void bottle_proof_health_start(struct bottle *b)
{
	struct health_service_target t[32];
	size_t n;

	if (b->cfg == NULL || b->bundle_ip == NULL || b->priv->health_inflight)
		return;
	n = bottle_proof_health_targets(b, t, UTIL_NELEM(t));
	if (n == 0)
		return;
	b->priv->health_inflight = 1;
	if (health_check(b->priv->core->health, b->bundle_ip, t, n,
			 BOTTLE_HEALTH_TIMEOUT_MS, bottle_on_periodic_health,
			 b) != 0)
		b->priv->health_inflight = 0;
}

/* ---- the timers: one for health checks, one for probe runs ----------- */

/* Each timer has one due function, used both to arm it and when it fires,
 * so a due time is never armed without being acted on (a timer that fires
 * for nothing, again and again, is a busy loop). UINT64_MAX = nothing to
 * do until the bottle's state changes (bottle_proof_arm is called then). */

static int bottle_proof_periodic(const struct bottle *b)
{
	const struct bottle_core *core = b->priv->core;

	return !core->closing && !core->opts.no_timers &&
	       b->op == BOTTLE_OP_NONE && b->cfg != NULL;
}

static uint64_t bottle_proof_health_due(struct bottle *b, uint64_t now)
{
	if (!bottle_proof_periodic(b))
		return UINT64_MAX;
	if (!bottle_bundle_running(b)) {
		b->priv->next_health = 0;
		return UINT64_MAX;
	}
	return b->priv->next_health == 0 ? now : b->priv->next_health;
}

static uint64_t bottle_proof_probe_due(struct bottle *b, uint64_t now)
{
	struct bottle_priv *p = b->priv;

	if (!bottle_proof_periodic(b))
		return UINT64_MAX;
	if (!bottle_vm_running(b) || !bottle_bundle_running(b)) {
		p->next_probe = 0;
		return UINT64_MAX;
	}
	if (b->probing)
		return UINT64_MAX; /* bottle_probe_finish arms it again */
	if (p->next_probe == 0 && b->probes_at_ms == 0)
		p->next_probe = now + 500; /* prove it soon */
	else if (p->next_probe == 0)
		bottle_proof_schedule(b);
	return p->next_probe;
}

static void bottle_proof_start_timer(uv_timer_t *t, uv_timer_cb cb,
				     uint64_t due, uint64_t now)
{
	if (due == UINT64_MAX)
		uv_timer_stop(t);
	else
		uv_timer_start(t, cb, due > now ? due - now : 0, 0);
}

static void bottle_proof_on_health_timer(uv_timer_t *t);
static void bottle_proof_on_probe_timer(uv_timer_t *t);

static void bottle_proof_arm_health(struct bottle *b, uint64_t now)
{
	bottle_proof_start_timer(&b->priv->health_timer,
				 bottle_proof_on_health_timer,
				 bottle_proof_health_due(b, now), now);
}

static void bottle_proof_arm_probe(struct bottle *b, uint64_t now)
{
	bottle_proof_start_timer(&b->priv->probe_timer,
				 bottle_proof_on_probe_timer,
				 bottle_proof_probe_due(b, now), now);
}

static void bottle_proof_on_health_timer(uv_timer_t *t)
{
	struct bottle *b = t->data;
	uint64_t now = util_mono_ms();

	if (bottle_proof_health_due(b, now) <= now) {
		bottle_proof_health_start(b);
		b->priv->next_health =
		    now + 1000ull * (uint64_t)b->cfg->health_interval_s;
	}
	bottle_proof_arm_health(b, now);
}

static void bottle_proof_on_probe_timer(uv_timer_t *t)
{
	struct bottle *b = t->data;
	uint64_t now = util_mono_ms();

	if (bottle_proof_probe_due(b, now) <= now) {
		char *cause = NULL;
		b->priv->next_probe = 0;
		if (bottle_proof_start(b, &cause) != 0)
			free(cause);
	}
	bottle_proof_arm_probe(b, now);
}

void bottle_proof_arm(struct bottle *b)
{
	uint64_t now = util_mono_ms();

	if (b->priv->core->closing)
		return;
	/* no rule outlives its VM (down, rm, a failed up's rollback) */
	wall_bottle_settle(b);
	bottle_proof_arm_health(b, now);
	bottle_proof_arm_probe(b, now);
}
