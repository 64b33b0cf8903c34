/* bottle-refresh.c: what exists (docker ps, network ls, smolvm machine
 * ls), the docker subnets cache for allocation, and the detection of
 * docker and smolvm at start. */
#include "bottle-int.h"
#include "wall.h"

/* ---- refresh: three subprocesses whatever the number of bottles ------- *
 * (and, where bottle keeps second walls, iptables-save and ip6tables-save
 * once each, in wall_core_refresh_async, off the loop) */

struct bottle *bottle_refresh_find_or_discover(struct bottle_core *core,
					       const char *name)
{
	struct bottle *b = bottle_core_find(core, name);

	if (b == NULL && config_name_valid(name))
		b = bottle_new(core, name, NULL);
	return b;
}

/* bottle_refresh_merge: what the three listings say, into the bottles;
 * whether smolvm's listing was read (vm_known). */
static int bottle_refresh_merge(struct bottle_core *core)
{
	struct docker_container *c = NULL;
	struct docker_network *nw = NULL;
	struct smolvm_machine *m = NULL;
	size_t nc = 0, nn = 0, nm = 0, i;
	char *cause = NULL;
	int docker_known = core->ps_ok && core->net_ok;
	int vm_known = core->vm_ok;

	if (docker_known &&
	    (docker_parse_ps(core->ps_out.data, core->ps_out.len, &c, &nc,
			     &cause) != 0 ||
	     docker_parse_networks(core->net_out.data, core->net_out.len, &nw,
				   &nn, &cause) != 0)) {
		bottle_set_str(&core->env.docker_error, cause);
		docker_known = 0;
	}
	free(cause);
	cause = NULL;
	if (vm_known && smolvm_parse_ls(core->vm_out.data, core->vm_out.len, &m,
					&nm, &cause) != 0) {
		bottle_set_str(&core->env.smolvm_error, cause);
		vm_known = 0;
	}
	free(cause);

	for (i = 0; docker_known && i < nc; i++)
		if (c[i].bottle != NULL)
			bottle_refresh_find_or_discover(core, c[i].bottle);
	for (i = 0; docker_known && i < nn; i++)
		if (nw[i].bottle != NULL)
			bottle_refresh_find_or_discover(core, nw[i].bottle);
	for (i = 0; vm_known && i < nm; i++)
		if (smolvm_owned_name(&m[i]) != NULL)
			bottle_refresh_find_or_discover(
			    core, smolvm_owned_name(&m[i]));

	core->parts_known = docker_known && vm_known;
	for (i = 0; i < core->n; i++) {
		struct bottle *b = core->v[i];
		size_t j;
		int was_running = bottle_vm_running(b);

		if (b->op != BOTTLE_OP_NONE ||
		    b->priv->touched >= core->refresh_started) {
			/* the listings may predate what the operation did:
			 * the model is newer, keep it */
			continue;
		}
		free(b->busy_other);
		b->busy_other =
		    b->op == BOTTLE_OP_NONE
			? state_bottle_holder(core->state_dir, b->name)
			: NULL;

		if (docker_known) {
			const char *st = NULL;
			int net = 0;
			for (j = 0; j < nc; j++)
				if (util_streq(c[j].bottle, b->name))
					st = c[j].state;
			for (j = 0; j < nn; j++)
				if (util_streq(nw[j].bottle, b->name))
					net = 1;
			bottle_set_str(&b->bundle_state, st);
			b->net_present = net;
		}
		if (vm_known) {
			char machine[64];
			const char *st = NULL;
			int pid = 0;
			const char *foreign = NULL;
			bottle_machine(b, machine, sizeof machine);
			for (j = 0; j < nm; j++)
				if (util_streq(m[j].name, machine)) {
					st = m[j].state;
					pid = m[j].pid;
					foreign = bottle_vm_foreign(b, &m[j]);
				}
			if (foreign != NULL) {
				/* not bottle's: never probed into health,
				 * never walled as this bottle's VMM */
				if (b->vm_foreign == NULL)
					bottle_log(b,
						   "machine %s is not bottle's "
						   "(%s): not adopted",
						   machine, foreign);
				st = "foreign";
				pid = 0;
			}
			bottle_set_str(&b->vm_foreign, foreign);
			bottle_set_str(&b->vm_state, st);
			b->vm_pid = pid;
			if (pid > 0 && b->probes_at_ms != 0 && !b->probing &&
			    b->probes_vm_pid != pid) {
				/* proof of another VM instance (replaced, or
				 * not known) proves nothing of this one */
				bottle_log(b,
					   "probe results were of VMM pid %d, "
					   "the VM now runs as pid %d: unknown "
					   "until probed again",
					   b->probes_vm_pid, pid);
				bottle_reset_probes(b);
			}
		}
		if (vm_known && !bottle_vm_running(b) &&
		    b->op == BOTTLE_OP_NONE && !b->probing) {
			/* proof of a VM that no longer runs proves nothing */
			if (was_running || b->probes_at_ms != 0)
				bottle_reset_probes(b);
			b->up_since_ms = 0;
		}
		if (!bottle_bundle_running(b) && b->op == BOTTLE_OP_NONE)
			bottle_reset_health(b);
		bottle_update_drift(b);
	}
	docker_containers_free(c, nc);
	docker_networks_free(nw, nn);
	smolvm_machines_free(m, nm);
	return vm_known;
}

static void bottle_refresh_start(struct bottle_core *core);

static void bottle_refresh_finish(struct bottle_core *core, int vm_known);

static void bottle_refresh_done_one(struct bottle_core *core)
{
	int vm_known;

	if (--core->refresh_left > 0)
		return;
	vm_known = bottle_refresh_merge(core);
	/* the host's own view: the VMMs' sockets and the second wall (one
	 * read of the socket tables and of each family's rules for all, off
	 * the loop), then the refresh is done */
	wall_core_refresh_async(core, vm_known, bottle_refresh_finish);
}

static void bottle_refresh_finish(struct bottle_core *core, int vm_known)
{
	size_t i;

	(void)vm_known;
	core->refreshing = 0;
	if (core->closing)
		return;
	if (!core->opts.no_timers && !core->closing &&
	    (core->env.docker_ok != 1 || !core->parts_known)) {
		/* docker or smolvm stopped answering: look again soon, not a
		 * whole period after this refresh began (it was planned while
		 * all was well), so that their return shows within seconds */
		uint64_t soon = util_mono_ms() + BOTTLE_REFRESH_FAST_MS;
		if (core->next_refresh == 0 || core->next_refresh > soon) {
			core->next_refresh = soon;
			bottle_refresh_arm(core);
		}
	}
	for (i = 0; i < core->n; i++)
		bottle_proof_arm(core->v[i]); /* what runs may have changed */
	bottle_emit(core, NULL, BOTTLE_EV_CHANGED, NULL);
	bottle_waiters_fire(core, &core->refresh_waiters, NULL, NULL);
	if (core->refresh_again && !core->closing) {
		core->refresh_again = 0;
		core->refresh_waiters = core->refresh_next_waiters;
		core->refresh_next_waiters = NULL;
		bottle_refresh_start(core);
	}
}

/* bottle_docker_down: the error for a docker command that failed for want
 * of docker, with what to do about it: not installed, or an engine that
 * does not answer (refused, or hung until its timeout). Caller frees. */
static char *bottle_docker_down(const struct proc_result *r)
{
	if (r->spawn_error == UV_ENOENT)
		return xasprintf("docker: %s not found; install docker "
				 "(Debian: apt-get install docker.io)",
				 paths_docker());
	if (r->spawn_error != 0)
		return bottle_cmd_error("docker", r);
	return bottle_cmd_error("docker: the engine does not answer "
				"(start it: sudo systemctl start docker)",
				r);
}

static void bottle_docker_status(struct bottle_core *core,
				 const struct proc_result *r, int *ok)
{
	*ok = bottle_ok(r);
	if (*ok) {
		core->env.docker_ok = 1;
		bottle_set_str(&core->env.docker_error, NULL);
		return;
	}
	/* a hung docker counts as down: another command would only hang as
	 * long again */
	if (r->timed_out || r->spawn_error != 0 ||
	    docker_classify(bottle_err_text(r)) == DOCKER_ERR_UNREACHABLE) {
		char *e = bottle_docker_down(r);
		core->env.docker_ok = 0;
		bottle_set_str(&core->env.docker_error, e);
		free(e);
	}
}

/* A docker listing finished: its status into *ok, its output into out. */
static void bottle_refresh_docker_done(struct bottle_core *core,
				       const struct proc_result *r, int *ok,
				       struct buf *out)
{
	bottle_docker_status(core, r, ok);
	buf_reset(out);
	if (r->out.len > 0)
		buf_add(out, r->out.data, r->out.len);
	bottle_refresh_done_one(core);
}

static void bottle_on_ps(struct bottle_core *core, const struct proc_result *r,
			 void *data)
{
	(void)data;
	bottle_refresh_docker_done(core, r, &core->ps_ok, &core->ps_out);
}

static void bottle_on_netls(struct bottle_core *core,
			    const struct proc_result *r, void *data)
{
	(void)data;
	bottle_refresh_docker_done(core, r, &core->net_ok, &core->net_out);
}

static void bottle_on_vmls(struct bottle_core *core,
			   const struct proc_result *r, void *data)
{
	(void)data;
	core->vm_ok = bottle_ok(r);
	buf_reset(&core->vm_out);
	if (core->vm_ok) {
		buf_add(&core->vm_out, r->out.data ? r->out.data : "",
			r->out.len);
		if (core->env.smolvm_ok != 0)
			bottle_set_str(&core->env.smolvm_error, NULL);
	} else {
		char *e = bottle_cmd_error("smolvm machine ls", r);
		bottle_set_str(&core->env.smolvm_error, e);
		free(e);
	}
	bottle_refresh_done_one(core);
}

static void bottle_refresh_start(struct bottle_core *core)
{
	struct strv a;

	core->refreshing = 1;
	core->refresh_started = util_mono_ms();
	core->refresh_left = 3;
	a = docker_argv_ps();
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_ps, NULL);
	a = docker_argv_network_ls_managed();
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_netls, NULL);
	a = smolvm_argv_ls(bottle_cli(core));
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
			bottle_on_vmls, NULL);
}

void bottle_refresh_request(struct bottle_core *core, bottle_done_cb done,
			    void *data)
{
	if (core->closing)
		return;
	if (core->refreshing) {
		core->refresh_again = 1;
		bottle_waiters_add(&core->refresh_next_waiters, done, data);
		return;
	}
	bottle_waiters_add(&core->refresh_waiters, done, data);
	bottle_refresh_start(core);
}

static void bottle_refresh_on_timer(uv_timer_t *t)
{
	struct bottle_core *core = t->data;
	uint64_t now = util_mono_ms();
	size_t i;

	if (core->closing)
		return;
	core->next_refresh = 0;
	bottle_refresh_request(core, NULL, NULL);
	if (!core->opts.no_timers) {
		int fast = core->env.docker_ok != 1;
		for (i = 0; i < core->n; i++)
			if (core->v[i]->op != BOTTLE_OP_NONE)
				fast = 1;
		core->next_refresh =
		    now + (fast ? BOTTLE_REFRESH_FAST_MS : BOTTLE_REFRESH_MS);
	}
	bottle_refresh_arm(core);
}

void bottle_refresh_arm(struct bottle_core *core)
{
	uint64_t now = util_mono_ms();

	if (core->closing)
		return;
	if (core->next_refresh == 0) {
		uv_timer_stop(&core->refresh_timer);
		return;
	}
	uv_timer_start(&core->refresh_timer, bottle_refresh_on_timer,
		       core->next_refresh > now ? core->next_refresh - now : 0,
		       0);
}

void bottle_refresh_soon(struct bottle_core *core)
{
	core->next_refresh = util_mono_ms() + 300;
	bottle_refresh_arm(core);
}

/* The docker networks' subnets, fetched once for every bottle allocating
 * at the same time (docker network ls -q, then inspect: two subprocesses
 * whatever the number of bottles) and reused for a few seconds. A network
 * removed between the two commands makes inspect fail: fetch again. */
#define BOTTLE_IPAM_FRESH_MS 3000
#define BOTTLE_IPAM_TRIES 3

static void bottle_ipam_fetch(struct bottle_core *core);

static void bottle_ipam_deliver(struct bottle_core *core, const char *error)
{
	struct bottle **w = core->ipam_waiters;
	size_t n = core->n_ipam_waiters, i;

	core->ipam_waiters = NULL;
	core->n_ipam_waiters = 0;
	core->ipam_fetching = 0;
	for (i = 0; i < n; i++) {
		struct bottle *b = w[i];
		if (b->op != BOTTLE_OP_UP || b->step != BOTTLE_STEP_ALLOCATE)
			continue;
		if (error != NULL) {
			bottle_step_fail(b, "allocate: %s", error);
			continue;
		}
		b->priv->taken = xreallocarray(
		    b->priv->taken, b->priv->n_taken + core->n_ipam + 1,
		    sizeof *b->priv->taken);
		if (core->n_ipam > 0)
			memcpy(b->priv->taken + b->priv->n_taken, core->ipam,
			       core->n_ipam * sizeof *core->ipam);
		b->priv->n_taken += core->n_ipam;
		bottle_up_alloc_commit(b);
	}
	free(w);
}

static void bottle_on_ipam_inspect(struct bottle_core *core,
				   const struct proc_result *r, void *data)
{
	char *cause = NULL;

	(void)data;
	if (!bottle_ok(r)) {
		if (docker_classify(bottle_err_text(r)) ==
			DOCKER_ERR_NOT_FOUND &&
		    ++core->ipam_tries < BOTTLE_IPAM_TRIES) {
			bottle_ipam_fetch(
			    core); /* a network went away: again */
			return;
		}
		cause = bottle_cmd_error("docker network inspect", r);
		bottle_ipam_deliver(core, cause);
		free(cause);
		return;
	}
	free(core->ipam);
	core->ipam = NULL;
	core->n_ipam = 0;
	if (ipam_parse_docker_ipam(r->out.data ? r->out.data : "", r->out.len,
				   &core->ipam, &core->n_ipam, &cause) != 0) {
		bottle_ipam_deliver(core, cause);
		free(cause);
		return;
	}
	core->ipam_at = util_mono_ms();
	bottle_ipam_deliver(core, NULL);
}

static void bottle_on_ipam_ids(struct bottle_core *core,
			       const struct proc_result *r, void *data)
{
	struct strv ids = STRV_INIT, a;
	const char *p, *e;

	(void)data;
	if (!bottle_ok(r)) {
		char *err = bottle_cmd_error("docker network ls", r);
		bottle_ipam_deliver(core, err);
		free(err);
		return;
	}
	for (p = r->out.data ? r->out.data : ""; *p != '\0'; p = e) {
		e = strchr(p, '\n');
		if (e == NULL)
			e = p + strlen(p);
		if (e > p)
			strv_pushf(&ids, "%.*s", (int)(e - p), p);
		if (*e == '\n')
			e++;
	}
	if (ids.n == 0) {
		strv_release(&ids);
		free(core->ipam);
		core->ipam = NULL;
		core->n_ipam = 0;
		core->ipam_at = util_mono_ms();
		bottle_ipam_deliver(core, NULL);
		return;
	}
	a = docker_argv_network_inspect_ipam(&ids);
	strv_release(&ids);
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_ipam_inspect, NULL);
}

static void bottle_ipam_fetch(struct bottle_core *core)
{
	struct strv a = docker_argv_network_ids();

	core->ipam_fetching = 1;
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_ipam_ids, NULL);
}

/* bottle_refresh_ipam_want: b gets the docker subnets, from the cache when
 * fresh, else with the next fetch (joined when one is in flight). */
void bottle_refresh_ipam_want(struct bottle *b)
{
	struct bottle_core *core = b->priv->core;

	core->ipam_waiters =
	    xreallocarray(core->ipam_waiters, core->n_ipam_waiters + 1,
			  sizeof *core->ipam_waiters);
	core->ipam_waiters[core->n_ipam_waiters++] = b;
	if (core->ipam_fetching)
		return;
	if (core->ipam_at != 0 &&
	    util_mono_ms() - core->ipam_at < BOTTLE_IPAM_FRESH_MS) {
		bottle_ipam_deliver(core, NULL);
		return;
	}
	core->ipam_tries = 0;
	bottle_ipam_fetch(core);
}

void bottle_refresh_prefetch_ipam(struct bottle_core *core)
{
	if (core->closing || core->ipam_fetching ||
	    (core->ipam_at != 0 &&
	     util_mono_ms() - core->ipam_at < BOTTLE_IPAM_FRESH_MS))
		return;
	core->ipam_tries = 0;
	bottle_ipam_fetch(core);
}

/* ---- detection: docker and smolvm ------------------------------------- */

static char *bottle_which(const char *prog)
{
	const char *path = getenv("PATH");
	const char *p, *e;

	if (strchr(prog, '/') != NULL)
		return access(prog, X_OK) == 0 ? xstrdup(prog) : NULL;
	for (p = path ? path : "/usr/bin:/bin"; *p != '\0'; p = e) {
		char *cand;
		e = strchr(p, ':');
		if (e == NULL)
			e = p + strlen(p);
		cand = xasprintf("%.*s/%s", (int)(e - p), p, prog);
		if (e > p && access(cand, X_OK) == 0)
			return cand;
		free(cand);
		if (*e == ':')
			e++;
	}
	return NULL;
}

static void bottle_detect_done(struct bottle_core *core);

/* bottle_refresh_clean: s[0..n) sanitized, bounded. Caller frees. */
static char *bottle_refresh_clean(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	sanitize_line(s, n < 256 ? n : 256, &b, NULL);
	if (b.data == NULL)
		buf_adds(&b, "");
	return buf_detach(&b);
}

static void bottle_on_docker_version(struct bottle_core *core,
				     const struct proc_result *r, void *data)
{
	char *v = NULL, *cause = NULL;

	(void)data;
	if (r->out.len > 0 &&
	    docker_parse_version(r->out.data, r->out.len, &v, &cause) == 0) {
		core->env.docker_ok = 1;
		free(core->env.docker_version);
		/* docker's and smolvm's text is outside text: made safe
		 * here, where it enters doctor, status and the header */
		core->env.docker_version = bottle_refresh_clean(v, strlen(v));
		free(v);
		bottle_set_str(&core->env.docker_error, NULL);
	} else {
		char *e = bottle_docker_down(r);
		core->env.docker_ok = 0;
		free(core->env.docker_error);
		core->env.docker_error = e;
	}
	free(cause);
	bottle_detect_done(core);
}

static void bottle_on_smolvm_version(struct bottle_core *core,
				     const struct proc_result *r, void *data)
{
	char *cause = NULL;
	const char *out = r->out.data ? r->out.data : "";

	(void)data;
	if (bottle_ok(r) &&
	    smolvm_cli_init(&core->env.smolvm, core->env.smolvm_path, out,
			    core->allow_newer, &cause) == 0) {
		size_t n = strcspn(out, "\r\n");
		core->env.smolvm_ok = 1;
		free(core->env.smolvm_version);
		core->env.smolvm_version = bottle_refresh_clean(out, n);
		bottle_set_str(&core->env.smolvm_error, NULL);
		/* now with what this release supports (seccomp, Landlock) */
		strv_release(&core->env.smolvm_env);
		smolvm_env(&core->env.smolvm, core->env.simulated, 0,
			   &core->env.smolvm_env);
	} else {
		char *e;
		if (cause != NULL)
			e = xstrdup(cause);
		else if (r->spawn_error != 0)
			e = xasprintf(
			    "smolvm: %s could not be run (%s); install "
			    "smolvm " SMOLVM_NEWEST_KNOWN
			    " (0.8.0 to 1.9.x work), or for the demo "
			    "only set \"vmm\": \"sim\"",
			    core->env.smolvm_path, uv_strerror(r->spawn_error));
		else
			e = bottle_cmd_error("smolvm --version", r);
		core->env.smolvm_ok = 0;
		free(core->env.smolvm_error);
		core->env.smolvm_error = e;
	}
	free(cause);
	bottle_detect_done(core);
}

void bottle_refresh_choose_vmm(struct bottle_core *core)
{
	char *found;

	free(core->env.smolvm_path);
	core->env.smolvm_path = NULL;
	core->env.simulated = 0;
	/* "auto" is smolvm: never the simulator because a binary is
	 * missing (the version check then fails with the install advice
	 * and up refuses); the simulator only on "vmm": "sim" */
	if (core->vmm == CONFIG_VMM_SIM) {
		core->env.smolvm_path = paths_sim();
		core->env.simulated = 1;
	} else {
		found = bottle_which(paths_smolvm());
		core->env.smolvm_path = found ? found : xstrdup(paths_smolvm());
	}
	/* until its release is known */
	strv_release(&core->env.smolvm_env);
	smolvm_env(bottle_cli(core), core->env.simulated, 0,
		   &core->env.smolvm_env);
}

static void bottle_detect_done(struct bottle_core *core)
{
	size_t i;

	if (--core->detect_left > 0)
		return;
	/* both version checks and the first refresh are in */
	bottle_emit(core, NULL, BOTTLE_EV_CHANGED, NULL);
	bottle_waiters_fire(core, &core->start_waiters, NULL, NULL);
	if (!core->opts.no_timers) {
		int fast = core->env.docker_ok != 1 || !core->parts_known;
		core->next_refresh =
		    util_mono_ms() +
		    (fast ? BOTTLE_REFRESH_FAST_MS : BOTTLE_REFRESH_MS);
		bottle_refresh_arm(core);
		for (i = 0; i < core->n; i++)
			bottle_proof_arm(core->v[i]);
	}
}

static void bottle_docker_version_start(struct bottle_core *core)
{
	struct strv a = docker_argv_version();

	bottle_core_run(core, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			bottle_on_docker_version, NULL);
}

static void bottle_on_first_refresh(struct bottle_core *core, struct bottle *b,
				    const char *error, void *data)
{
	(void)b;
	(void)error;
	(void)data;
	if (core->opts.docker_check == BOTTLE_DOCKER_CHECK_ON_FAILURE &&
	    core->env.docker_ok == -1 && !core->closing) {
		/* docker ps failed, not for a reason the refresh could name:
		 * `docker version` says why */
		bottle_docker_version_start(core);
		return;
	}
	bottle_detect_done(core);
}

/* bottle_refresh_detect: bottle_core_start's work. */
void bottle_refresh_detect(struct bottle_core *core, bottle_done_cb done,
			   void *data)
{
	struct strv a;

	if (core->canary == NULL &&
	    canary_open(core->loop, &core->canary, &core->canary_port) != 0)
		core->canary = NULL;
	bottle_waiters_add(&core->start_waiters, done, data);
	/* the version checks and the first refresh run side by side, or
	 * docker's answer to the refresh stands for its check */
	core->detect_left =
	    core->opts.docker_check == BOTTLE_DOCKER_CHECK_ALWAYS ? 3 : 2;
	bottle_core_refresh(core, bottle_on_first_refresh, NULL);
	if (core->opts.docker_check == BOTTLE_DOCKER_CHECK_ALWAYS)
		bottle_docker_version_start(core);
	a = smolvm_argv_version(core->env.smolvm_path);
	bottle_core_run(core, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
			bottle_on_smolvm_version, NULL);
}
