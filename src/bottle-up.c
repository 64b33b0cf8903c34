/* bottle-up.c: `up`, top to bottom: allocate, network, bundle, bundle
 * health, Smolfile, VM create, VM start (then the probes, bottle-proof.c). */
#include "bottle-int.h"
#include "helper.h"

/* bottle_up: the steps below, in this order (bottle-step.c's table); a
 * step that fails rolls back what this up created (bottle-down.c's steps,
 * see bottle_rollback_needed) and up reports the step's error. */
int bottle_up(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
	      void *data, char **cause)
{
	return bottle_step_begin(core, b, BOTTLE_OP_UP, done, data, cause);
}

/* ---- up: allocate ----------------------------------------------------- */

/* The allocation's update: a copy of what it reads (it runs on the
 * thread pool) and what it found. */
struct bottle_alloc_ctx {
	char *name;		/* owned */
	char *pool;		/* owned: the bottle's subnet_pool */
	int prefix;		/* subnet_prefix */
	struct ipam_net *taken; /* owned: docker's nets, host routes */
	size_t n_taken;
	char *subnet;	 /* out, owned */
	char *bundle_ip; /* out, owned */
	int fresh;	 /* allocated now (not found in state) */
};

static void bottle_alloc_ctx_free(void *ctx)
{
	struct bottle_alloc_ctx *c = ctx;

	free(c->name);
	free(c->pool);
	free(c->taken);
	free(c->subnet);
	free(c->bundle_ip);
	free(c);
}

static int bottle_alloc_fn(struct state *s, void *data, char **cause)
{
	struct bottle_alloc_ctx *c = data;
	struct state_bottle *sb = state_find(s, c->name);
	struct ipam_net pool, got, *taken;
	size_t n = c->n_taken, i;
	int rc;

	if (sb != NULL && sb->subnet != NULL && sb->bundle_ip != NULL) {
		c->subnet = xstrdup(sb->subnet);
		c->bundle_ip = xstrdup(sb->bundle_ip);
		return 0;
	}
	if (ipam_parse_cidr(c->pool, &pool, cause) != 0)
		return -1;
	taken = xcalloc(n + s->n + 1, sizeof *taken);
	if (n > 0)
		memcpy(taken, c->taken, n * sizeof *taken);
	for (i = 0; i < s->n; i++) {
		if (s->bottles[i].subnet != NULL &&
		    ipam_parse_cidr(s->bottles[i].subnet, &taken[n], NULL) == 0)
			n++;
	}
	rc = ipam_allocate(&pool, c->prefix, taken, n, &got, cause);
	free(taken);
	if (rc != 0)
		return -1;
	c->subnet = ipam_format_cidr(&got);
	c->bundle_ip = ipam_bundle_ip(&got);
	c->fresh = 1;
	sb = state_upsert(s, c->name);
	state_set_str(&sb->subnet, c->subnet);
	state_set_str(&sb->bundle_ip, c->bundle_ip);
	state_set_str(&sb->step, "allocated");
	sb->updated_ms = util_wall_ms();
	return 0;
}

static void bottle_on_alloc(struct bottle *b, int rc, const char *cause,
			    void *ctx)
{
	struct bottle_alloc_ctx *c = ctx;

	if (rc != 0) {
		bottle_step_fail(b, "allocate: %s", cause);
		return;
	}
	b->priv->allocated_here = c->fresh;
	free(b->subnet);
	free(b->bundle_ip);
	b->subnet = c->subnet;
	b->bundle_ip = c->bundle_ip;
	c->subnet = NULL;
	c->bundle_ip = NULL;
	bottle_log(b, "allocate: subnet %s, bundle %s%s", b->subnet,
		   b->bundle_ip, c->fresh ? "" : " (kept)");
	bottle_step_next(b);
}

void bottle_up_alloc_commit(struct bottle *b)
{
	struct bottle_alloc_ctx *c;
	char *cause = NULL;
	char *route = NULL;
	size_t len = 0;

	/* host routes: a subnet that overlaps one would shadow it */
	if (util_read_file("/proc/net/route", &route, &len, NULL) == 0) {
		if (ipam_parse_proc_route(route, len, &b->priv->taken,
					  &b->priv->n_taken, &cause) != 0) {
			bottle_log(b, "ignoring /proc/net/route: %s", cause);
			free(cause);
			cause = NULL;
		}
		free(route);
	}
	c = xcalloc(1, sizeof *c);
	c->name = xstrdup(b->name);
	c->pool = xstrdup(b->cfg->subnet_pool);
	c->prefix = b->cfg->subnet_prefix;
	c->n_taken = b->priv->n_taken;
	if (c->n_taken > 0) {
		c->taken = xcalloc(c->n_taken, sizeof *c->taken);
		memcpy(c->taken, b->priv->taken, c->n_taken * sizeof *c->taken);
	}
	bottle_state_update(b, bottle_alloc_fn, c, bottle_alloc_ctx_free,
			    bottle_on_alloc);
}

void bottle_up_allocate(struct bottle *b)
{
	struct state *s = NULL;
	struct state_bottle *sb;
	char *cause = NULL;

	/* an allocation that exists is kept until rm */
	if (state_read(b->priv->core->state_dir, &s, &cause) != 0) {
		bottle_step_fail(b, "allocate: %s", cause);
		free(cause);
		return;
	}
	sb = state_find(s, b->name);
	if (sb != NULL && sb->subnet != NULL && sb->bundle_ip != NULL) {
		bottle_set_str(&b->subnet, sb->subnet);
		bottle_set_str(&b->bundle_ip, sb->bundle_ip);
		state_free(s);
		bottle_log(b, "allocate: subnet %s, bundle %s (kept)",
			   b->subnet, b->bundle_ip);
		bottle_step_next(b);
		return;
	}
	state_free(s);
	bottle_refresh_ipam_want(b);
}

/* ---- up: network, bundle ---------------------------------------------- */

/* The network existed already: make the allocation match its subnet (a
 * crash or a lost state.json can leave them apart), so the bundle's
 * pinned address is inside it. */
static void bottle_on_network_adopted(struct bottle *b, int rc,
				      const char *cause, void *ctx)
{
	struct bottle_step_persist_ctx *c = ctx;

	if (rc != 0) {
		bottle_step_fail(b, "%s", cause);
		return;
	}
	bottle_set_str(&b->subnet, c->subnet);
	bottle_set_str(&b->bundle_ip, c->bundle_ip);
	b->net_present = 1;
	bottle_step_next(b);
}

static void bottle_on_network_inspect(struct bottle *b,
				      const struct proc_result *r)
{
	struct bottle_step_persist_ctx *c;
	struct ipam_net *nets = NULL;
	size_t n = 0;
	char *subnet = NULL, *cause = NULL;

	if (!bottle_ok(r) ||
	    ipam_parse_docker_ipam(r->out.data ? r->out.data : "", r->out.len,
				   &nets, &n, &cause) != 0 ||
	    n == 0) {
		char *e = cause ? cause
				: bottle_cmd_error("docker network inspect", r);
		bottle_step_fail(b,
				 "network bottle-%s exists but its subnet is "
				 "unknown: %s",
				 b->name, e);
		free(e);
		free(nets);
		return;
	}
	subnet = ipam_format_cidr(&nets[0]);
	if (!util_streq(subnet, b->subnet)) {
		bottle_log(b,
			   "network: bottle-%s exists with subnet %s (state "
			   "said %s); adopting it",
			   b->name, subnet, b->subnet ? b->subnet : "nothing");
		c = bottle_step_persist_ctx_new(b->name, "network", NULL);
		c->subnet = subnet;
		c->bundle_ip = ipam_bundle_ip(&nets[0]);
		free(nets);
		bottle_state_update(b, bottle_step_persist_fn, c,
				    bottle_step_persist_ctx_free,
				    bottle_on_network_adopted);
		return;
	}
	free(subnet);
	free(nets);
	b->net_present = 1;
	bottle_step_next(b);
}

static void bottle_on_network(struct bottle *b, const struct proc_result *r)
{
	if (!bottle_ok(r) &&
	    docker_classify(bottle_err_text(r)) == DOCKER_ERR_EXISTS) {
		struct strv a = docker_argv_network_inspect(b->name);
		bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			   bottle_on_network_inspect);
		return;
	}
	if (!bottle_ok(r)) {
		bottle_step_fail_cmd(b, "docker network create", r);
		return;
	}
	b->priv->created_net = 1;
	b->net_present = 1;
	bottle_step_next(b);
}

void bottle_up_network(struct bottle *b)
{
	struct ipam_net n;
	struct strv a;
	char *gw, *cause = NULL;

	if (ipam_parse_cidr(b->subnet, &n, &cause) != 0) {
		bottle_step_fail(b, "network: %s", cause);
		free(cause);
		return;
	}
	gw = ipam_gateway(&n);
	a = docker_argv_network_create(b->name, b->subnet, gw);
	free(gw);
	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
		   bottle_on_network);
}

static void bottle_on_bundle_rm_retry(struct bottle *b,
				      const struct proc_result *r)
{
	(void)r;
	bottle_up_bundle(b);
}

static void bottle_on_bundle(struct bottle *b, const struct proc_result *r)
{
	enum docker_error e = bottle_ok(r)
				  ? DOCKER_ERR_OTHER
				  : docker_classify(bottle_err_text(r));
	char *dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	char *cause = NULL;

	/* docker run -d returned (created, failed or killed): the env file
	 * has been read or never will be; it goes now, whatever follows */
	if (docker_env_file_remove(dir, &cause) != 0) {
		bottle_log(b, "bundle: %s", cause);
		free(cause);
	}
	free(dir);
	if (!bottle_ok(r) && e == DOCKER_ERR_EXISTS &&
	    !b->priv->conflict_retried) {
		/* a stale container of the same name: replace it once */
		struct strv a = docker_argv_bundle_rm(b->name);
		b->priv->conflict_retried = 1;
		bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			   bottle_on_bundle_rm_retry);
		return;
	}
	if (!bottle_ok(r)) {
		char *msg = bottle_cmd_error("docker run (bundle)", r);
		if (e == DOCKER_ERR_IMAGE)
			bottle_step_fail(b,
					 "bundle image %s is not available: %s",
					 b->cfg->bundle.image, msg);
		else
			bottle_step_fail(b, "%s", msg);
		free(msg);
		return;
	}
	b->priv->created_bundle = 1;
	bottle_set_str(&b->bundle_state, "running");
	bottle_step_next(b);
}

void bottle_up_bundle(struct bottle *b)
{
	struct strv env = STRV_INIT, a;
	char *dir, *env_file = NULL, *cause = NULL;

	dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	if (bottle_bundle_running(b) && b->priv->conflict_retried == 0 &&
	    b->net_present) {
		/* already up (idempotent re-run): keep it; an env file a
		 * crash left goes all the same */
		if (docker_env_file_remove(dir, &cause) != 0) {
			bottle_log(b, "bundle: %s", cause);
			free(cause);
		}
		free(dir);
		bottle_log(b, "bundle: already running");
		bottle_step_next(b);
		return;
	}
	/* the user's bundle.env (often secrets) in a 0600 file in the
	 * bottle's state directory, never on the argv (/proc/PID/cmdline is
	 * world-readable); bottle_on_bundle removes it. The bind knob (not
	 * secret, and which bundle.env cannot name) stays on the argv. */
	if (docker_env_file_write(dir, &b->cfg->bundle.env, &env_file,
				  &cause) != 0) {
		bottle_step_fail(b, "bundle: %s", cause);
		free(cause);
		free(dir);
		return;
	}
	free(dir);
	docker_bundle_env(b->cfg, &env);
	a = docker_argv_bundle_run(b->name, b->cfg->bundle.image, b->bundle_ip,
				   &env, env_file);
	strv_release(&env);
	free(env_file);
	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
		   bottle_on_bundle);
}

/* ---- up: wait for the bundle's services ------------------------------- */

static void bottle_wait_bundle(struct bottle *b);

/* bottle_bundle_poll_ms: 25 ms, doubling up to BOTTLE_BUNDLE_POLL_MS: a
 * bundle answers within a few tens of ms of docker run returning. */
static uint64_t bottle_bundle_poll_ms(const struct bottle *b)
{
	uint64_t ms = 25;
	unsigned i;

	for (i = 0; i < b->priv->wait_polls && ms < BOTTLE_BUNDLE_POLL_MS; i++)
		ms *= 2;
	return ms < BOTTLE_BUNDLE_POLL_MS ? ms : BOTTLE_BUNDLE_POLL_MS;
}

static void bottle_on_bundle_state(struct bottle *b,
				   const struct proc_result *r)
{
	const char *out = r->out.data ? r->out.data : "";

	if (bottle_ok(r) && strncmp(out, "running", 7) != 0) {
		char first[256];
		bottle_first_line(&r->out, first, sizeof first);
		bottle_step_fail(b,
				 "bundle container is not running (%s); see "
				 "`bottle logs %s --source bundle`",
				 first, b->name);
		return;
	}
	bottle_step_wake(b, bottle_bundle_poll_ms(b), bottle_wait_bundle);
}

static void bottle_on_bundle_health(const struct health_report *rep, void *data)
{
	struct bottle *b = data;
	int answered = 1;
	size_t i;

	b->priv->health_inflight = 0;
	if (b->op != BOTTLE_OP_UP || b->step != BOTTLE_STEP_BUNDLE_HEALTH)
		return;
	for (i = 0; i < rep->n; i++)
		if (!rep->services[i].ok && rep->services[i].http_status == 0)
			answered = 0;
	bottle_proof_store_health(b, rep);
	if (answered) {
		bottle_log(b, "bundle-health: every service answers%s",
			   rep->kill_switch ? " (pipelock kill switch is on)"
					    : "");
		bottle_step_next(b);
		return;
	}
	if (util_mono_ms() >= b->priv->wait_deadline) {
		char *p = bottle_proof_health_problems(rep);
		bottle_step_fail(
		    b, "bundle services did not answer within %d s: %s",
		    BOTTLE_BUNDLE_WAIT_MS / 1000, p);
		free(p);
		return;
	}
	if (++b->priv->wait_polls == 2 || b->priv->wait_polls % 6 == 0) {
		/* a bundle that died won't answer: say so without waiting */
		struct strv a = docker_argv_bundle_state(b->name);
		bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
			   bottle_on_bundle_state);
		return;
	}
	bottle_step_wake(b, bottle_bundle_poll_ms(b), bottle_wait_bundle);
}

static void bottle_wait_bundle(struct bottle *b)
{
	struct health_service_target t[32];
	size_t n = bottle_proof_health_targets(b, t, UTIL_NELEM(t));

	if (n == 0) {
		bottle_step_next(b);
		return;
	}
	b->priv->health_inflight = 1;
	if (health_check(b->priv->core->health, b->bundle_ip, t, n,
			 BOTTLE_BUNDLE_POLL_TIMEOUT_MS, bottle_on_bundle_health,
			 b) != 0) {
		b->priv->health_inflight = 0;
		bottle_step_fail(
		    b, "bundle-health: could not start an HTTP check");
	}
}

void bottle_up_bundle_health(struct bottle *b)
{
	b->priv->wait_deadline = util_mono_ms() + BOTTLE_BUNDLE_WAIT_MS;
	b->priv->wait_polls = 0;
	bottle_wait_bundle(b);
}

/* ---- up: Smolfile, VM ------------------------------------------------- */

static char *bottle_smolfile_path(const struct bottle *b)
{
	char *dir = state_bottle_dir(b->priv->core->state_dir, b->name);
	char *path = xasprintf("%s/Smolfile", dir);

	free(dir);
	return path;
}

void bottle_up_smolfile(struct bottle *b)
{
	struct smolfile_in in;
	struct config_mounts mounts;
	struct strv lines = STRV_INIT;
	char *text = NULL, *cause = NULL, *helper;
	size_t i;

	/* the volumes as they stand now: resolved, policy applied again (a
	 * path may have become a link since the configuration was read) */
	if (config_check_volumes_now(b->priv->core->cfg, b->cfg, &mounts,
				     &cause) != 0) {
		bottle_step_fail(b, "%s", cause);
		free(cause);
		return;
	}
	/* the bottle's own copy of the probe helper, checked against the
	 * digest built into bottle: a mismatch stops up before the VM */
	if (helper_prepare(b->priv->core->state_dir, b->name, &helper,
			   &cause) != 0) {
		bottle_step_fail(b, "%s", cause);
		free(cause);
		config_mounts_release(&mounts);
		return;
	}
	memset(&in, 0, sizeof in);
	in.vm = &b->cfg->vm;
	in.bundle_ip = b->bundle_ip;
	in.proxy_port = bottle_proxy_port(b->cfg);
	in.helper_dir = helper;
	if (smolfile_render_mounts(&in, &mounts, &text, &cause) != 0) {
		bottle_step_fail(b, "%s", cause);
		free(cause);
		free(helper);
		config_mounts_release(&mounts);
		return;
	}
	/* up lists what the VM will see of the host */
	smolfile_mount_lines(&in, &mounts, &lines);
	for (i = 0; i < lines.n; i++) {
		bottle_log(b, "%s", lines.v[i]);
		bottle_emit(b->priv->core, b, BOTTLE_EV_MESSAGE, lines.v[i]);
	}
	strv_release(&lines);
	config_mounts_release(&mounts);
	free(helper);
	if (bottle_write_file(b, "Smolfile", text, &cause) != 0) {
		bottle_step_fail(b, "%s", cause);
		free(cause);
		free(text);
		return;
	}
	free(text);
	bottle_log(b, "smolfile: written; allow_cidrs = [\"%s/32\"]",
		   b->bundle_ip);
	bottle_step_next(b);
}

/* ---- vm-image: the image as a local archive ------------------------------
 *
 * From smolvm 1.1.3 the image is pulled inside the guest at first start,
 * subject to the allowlist: with allow_cidrs = [B/32] a registry pull
 * fails. So from 1.1.0 (create -I) bottle boots the machine from a
 * `docker save` archive of the image in the local docker engine, kept per
 * image ID in STATE/images/ID.tar (written to a temporary name, then
 * renamed, so a half archive is never used). The allowlist is never
 * widened and no registry is contacted by the VM. An image missing from
 * the engine fails with the advice to pull it there first. */

static char *bottle_image_dir(const struct bottle *b)
{
	return xasprintf("%s/images", b->priv->core->state_dir);
}

/* bottle_image_part: where this bottle's docker save writes: a name of its
 * own (bottles with one image may save it at the same time). */
static char *bottle_image_part(const struct bottle *b)
{
	return xasprintf("%s.%s.%ld.part", b->priv->image_archive, b->name,
			 (long)getpid());
}

static void bottle_on_image_saved(struct bottle *b, const struct proc_result *r)
{
	char *tmp = bottle_image_part(b);

	if (!bottle_ok(r)) {
		unlink(tmp);
		free(tmp);
		bottle_step_fail_cmd(b, "docker save", r);
		return;
	}
	if (rename(tmp, b->priv->image_archive) != 0) {
		unlink(tmp);
		bottle_step_fail(b, "vm-image: %s: %s", b->priv->image_archive,
				 strerror(errno));
		free(tmp);
		return;
	}
	free(tmp);
	bottle_log(b, "vm-image: saved %s", b->priv->image_archive);
	bottle_step_next(b);
}

static void bottle_on_image_id(struct bottle *b, const struct proc_result *r)
{
	const char *out = r->out.data ? r->out.data : "";
	size_t n = strcspn(out, "\r\n");
	const char *id = out;
	char *dir, *cause = NULL, *tmp;
	struct strv a;
	struct stat st;

	if (!bottle_ok(r) || n == 0) {
		bottle_step_fail(b,
				 "vm-image: %s is not in the local docker "
				 "engine: pull or build it there first (docker "
				 "pull %s); the VM cannot pull it through its "
				 "one-address allowlist",
				 b->cfg->vm.image, b->cfg->vm.image);
		return;
	}
	if (n > 7 && strncmp(id, "sha256:", 7) == 0) {
		id += 7;
		n -= 7;
	}
	if (n > 128 || strspn(id, "0123456789abcdef") < n) {
		bottle_step_fail(b, "vm-image: docker gave an odd image ID");
		return;
	}
	dir = bottle_image_dir(b);
	if (util_mkdir_p(dir, 0700, &cause) != 0) {
		bottle_step_fail(b, "vm-image: %s", cause);
		free(cause);
		free(dir);
		return;
	}
	free(b->priv->image_archive);
	b->priv->image_archive = xasprintf("%s/%.*s.tar", dir, (int)n, id);
	free(dir);
	if (lstat(b->priv->image_archive, &st) == 0 && S_ISREG(st.st_mode)) {
		bottle_log(b, "vm-image: %s", b->priv->image_archive);
		bottle_step_next(b);
		return;
	}
	tmp = bottle_image_part(b);
	unlink(tmp);
	a = docker_argv_save(b->cfg->vm.image, tmp);
	free(tmp);
	bottle_run(b, &a, bottle_timeout(BOTTLE_SAVE_TIMEOUT_MS, 0),
		   bottle_on_image_saved);
}

void bottle_up_vm_image(struct bottle *b)
{
	struct strv a;

	free(b->priv->image_archive);
	b->priv->image_archive = NULL;
	if (!smolvm_has(&bottle_cli(b->priv->core)->v, SMOLVM_F_LOCAL_IMAGE)) {
		bottle_step_next(b); /* smolvm takes the image itself */
		return;
	}
	a = docker_argv_image_id(b->cfg->vm.image);
	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0),
		   bottle_on_image_id);
}

static void bottle_on_vm_recreate(struct bottle *b, const struct proc_result *r)
{
	(void)r;
	bottle_up_vm_create(b);
}

/* The machine's entry in `machine ls --json` output (r), into *m (free
 * with smolvm_machines_free(*all, *n)); NULL when it is not there. */
static const struct smolvm_machine *
bottle_find_machine(struct bottle *b, const struct proc_result *r,
		    struct smolvm_machine **all, size_t *n, char **cause)
{
	char machine[64];
	size_t i;

	*all = NULL;
	*n = 0;
	if (!bottle_ok(r)) {
		*cause = bottle_cmd_error("smolvm machine ls", r);
		return NULL;
	}
	if (smolvm_parse_ls(r->out.data ? r->out.data : "", r->out.len, all, n,
			    cause) != 0)
		return NULL;
	bottle_machine(b, machine, sizeof machine);
	for (i = 0; i < *n; i++)
		if (util_streq((*all)[i].name, machine))
			return &(*all)[i];
	return NULL;
}

/* create said the machine exists: adopt it only when bottle made it (its
 * labels from 1.8.0, the creation record); otherwise up stops, and the
 * machine is left exactly as it is. */
static void bottle_on_vm_exists_ls(struct bottle *b,
				   const struct proc_result *r)
{
	struct bottle_core *core = b->priv->core;
	struct smolvm_machine *all;
	size_t n;
	char *cause = NULL;
	const struct smolvm_machine *m =
	    bottle_find_machine(b, r, &all, &n, &cause);
	const char *foreign;
	int running;

	if (m == NULL) {
		bottle_step_fail(b,
				 "vm-create: machine bottle-%s exists, but "
				 "smolvm does not list it: %s",
				 b->name, cause ? cause : "not in machine ls");
		free(cause);
		smolvm_machines_free(all, n);
		return;
	}
	foreign = bottle_vm_foreign(b, m);
	running = util_streq(m->state, "running");
	if (foreign != NULL) {
		bottle_step_fail(b,
				 "machine bottle-%s exists and bottle did not "
				 "create it (%s); bottle leaves it alone and "
				 "will not probe it: see what it is (smolvm "
				 "machine ls), remove it yourself (smolvm "
				 "machine delete bottle-%s), then run up again",
				 b->name, foreign, b->name);
		smolvm_machines_free(all, n);
		return;
	}
	smolvm_machines_free(all, n);
	if (running) {
		/* bottle's own, running already (idempotent re-run) */
		bottle_log(b, "vm-create: bottle's machine exists and runs; "
			      "probing it");
		b->step = BOTTLE_STEP_VM_START;
		bottle_step_next(b);
		return;
	}
	if (!b->priv->create_retried) {
		/* stopped with an older Smolfile: recreate it, so the
		 * allowlist is the one just rendered */
		struct strv a = smolvm_argv_delete(bottle_cli(core), b->name);
		b->priv->create_retried = 1;
		bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
			   bottle_on_vm_recreate);
		return;
	}
	bottle_step_fail(b,
			 "vm-create: machine bottle-%s exists still after "
			 "it was deleted",
			 b->name);
}

static void bottle_on_vm_create(struct bottle *b, const struct proc_result *r)
{
	struct bottle_core *core = b->priv->core;
	char *cause = NULL;

	if (!bottle_ok(r) && !r->timed_out)
		/* smolvm said no: this create made nothing (a machine that
		 * exists was there before it began) */
		bottle_vm_record_unpend(b);
	if (!bottle_ok(r) &&
	    smolvm_classify(bottle_err_text(r)) == SMOLVM_ERR_ALREADY_EXISTS) {
		struct strv a = smolvm_argv_ls(bottle_cli(core));
		bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 0),
			   bottle_on_vm_exists_ls);
		return;
	}
	if (!bottle_ok(r)) {
		bottle_step_fail_cmd(b, "smolvm machine create", r);
		return;
	}
	b->priv->created_vm = 1;
	bottle_set_str(&b->vm_state, "created");
	/* the record that tells this machine from one made under its name
	 * by someone else (labels say it too from 1.8.0) */
	if (bottle_vm_record_write(b, b->priv->create_t0,
				   (int64_t)(util_wall_ms() / 1000) + 1,
				   &cause) != 0) {
		bottle_step_fail(
		    b, "vm-create: could not record the machine: %s", cause);
		free(cause);
		return;
	}
	bottle_step_next(b);
}

void bottle_up_vm_create(struct bottle *b)
{
	char *path = bottle_smolfile_path(b);
	struct smolvm_create_opts co = {0};
	struct strv a;
	char *cause = NULL;

	co.smolfile = path;
	/* virtio-net forwards every guest DNS query upstream, ungated by
	 * the allowlist, unless --dns names the resolver: the bundle */
	co.dns = b->bundle_ip;
	co.image = b->priv->image_archive;
	b->priv->create_t0 = (int64_t)(util_wall_ms() / 1000) - 1;
	if (bottle_vm_record_pending(b, b->priv->create_t0, &cause) != 0) {
		bottle_step_fail(
		    b, "vm-create: could not record the machine: %s", cause);
		free(cause);
		free(path);
		return;
	}
	a = smolvm_argv_create(bottle_cli(b->priv->core), b->name, &co);

	free(path);
	bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1),
		   bottle_on_vm_create);
}

static void bottle_on_vm_start(struct bottle *b, const struct proc_result *r)
{
	if (!bottle_ok(r)) {
		bottle_step_fail_cmd(b, "smolvm machine start", r);
		return;
	}
	bottle_set_str(&b->vm_state, "running");
	b->up_since_ms = util_wall_ms();
	bottle_step_next(b);
}

void bottle_up_vm_start(struct bottle *b)
{
	struct strv a =
	    smolvm_argv_start(bottle_cli(b->priv->core), b->name, NULL);

	bottle_run(b, &a, bottle_timeout(BOTTLE_START_TIMEOUT_MS, 1),
		   bottle_on_vm_start);
}
