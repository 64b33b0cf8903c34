/* bottle-down.c: `down` and `rm`: stop and delete the VM, remove the
 * bundle and the network, forget the allocation. Also a failed up's
 * rollback. */
#include "bottle-int.h"

int bottle_down(struct bottle_core *core, struct bottle *b, bottle_done_cb done,
		void *data, char **cause)
{
	return bottle_step_begin(core, b, BOTTLE_OP_DOWN, done, data, cause);
}

/* ---- down ------------------------------------------------------------- */

static void bottle_on_down_cmd(struct bottle *b, const struct proc_result *r,
			       const char *what, int not_found)
{
	if (!bottle_ok(r) && !not_found) {
		bottle_step_fail_cmd(b, what, r);
		return;
	}
	bottle_step_next(b);
}

/* The machine or the docker object was already gone: down goes on. */
static int bottle_down_vm_gone(const struct proc_result *r)
{
	return smolvm_classify(bottle_err_text(r)) == SMOLVM_ERR_NOT_FOUND;
}

static int bottle_down_docker_gone(const struct proc_result *r)
{
	return docker_classify(bottle_err_text(r)) == DOCKER_ERR_NOT_FOUND;
}

/* Run the smolvm command argv builds for b, then next. */
static void bottle_down_smolvm(struct bottle *b,
			       struct strv (*argv)(const struct smolvm_cli *c,
						   const char *name),
			       bottle_next_fn next)
{
	struct strv a = argv(bottle_cli(b->priv->core), b->name);

	bottle_run(b, &a, bottle_timeout(BOTTLE_SMOLVM_TIMEOUT_MS, 1), next);
}

/* smolvm machine ls, in bottle_down_smolvm's shape (the name unused). */
static struct strv bottle_down_argv_ls(const struct smolvm_cli *c,
				       const char *name)
{
	(void)name;
	return smolvm_argv_ls(c);
}

/* Run the docker command argv builds for b, then next. */
static void bottle_down_docker(struct bottle *b,
			       struct strv (*argv)(const char *name),
			       bottle_next_fn next)
{
	struct strv a = argv(b->name);

	bottle_run(b, &a, bottle_timeout(BOTTLE_DOCKER_TIMEOUT_MS, 0), next);
}

static void bottle_on_vm_stop(struct bottle *b, const struct proc_result *r)
{
	int nf = bottle_down_vm_gone(r);

	if (bottle_ok(r) || nf) {
		bottle_set_str(&b->vm_state, b->vm_state ? "stopped" : NULL);
		bottle_reset_probes(b);
		b->up_since_ms = 0;
	}
	bottle_on_down_cmd(b, r, "smolvm machine stop", nf);
}

/* Before stopping: a machine under the name that bottle did not create is
 * not bottle's to stop or delete (down and rm go on with the rest). */
static void bottle_on_vm_stop_ls(struct bottle *b, const struct proc_result *r)
{
	struct smolvm_machine *m = NULL;
	size_t n = 0, i;
	char machine[64], *cause = NULL;
	const char *foreign = NULL;

	if (bottle_ok(r) && smolvm_parse_ls(r->out.data ? r->out.data : "",
					    r->out.len, &m, &n, &cause) == 0) {
		bottle_machine(b, machine, sizeof machine);
		for (i = 0; i < n; i++)
			if (util_streq(m[i].name, machine))
				foreign = bottle_vm_foreign(b, &m[i]);
	}
	free(cause);
	if (foreign != NULL) {
		char *msg = xasprintf("machine bottle-%s is not bottle's (%s): "
				      "left alone, neither stopped nor "
				      "deleted",
				      b->name, foreign);
		bottle_log(b, "%s", msg);
		bottle_emit(b->priv->core, b, BOTTLE_EV_MESSAGE, msg);
		free(msg);
		smolvm_machines_free(m, n);
		b->priv->vm_left_alone = 1;
		bottle_step_next(b);
		return;
	}
	smolvm_machines_free(m, n);
	bottle_down_smolvm(b, smolvm_argv_stop, bottle_on_vm_stop);
}

void bottle_down_vm_stop(struct bottle *b)
{
	if (b->priv->created_vm) {
		/* this up's own machine (a rollback) */
		bottle_down_smolvm(b, smolvm_argv_stop, bottle_on_vm_stop);
		return;
	}
	bottle_down_smolvm(b, bottle_down_argv_ls, bottle_on_vm_stop_ls);
}

static void bottle_on_vm_delete(struct bottle *b, const struct proc_result *r)
{
	int nf = bottle_down_vm_gone(r);

	if (bottle_ok(r) || nf) {
		bottle_set_str(&b->vm_state, NULL);
		bottle_vm_record_remove(b);
	}
	bottle_on_down_cmd(b, r, "smolvm machine delete", nf);
}

void bottle_down_vm_delete(struct bottle *b)
{
	if (b->priv->vm_left_alone) {
		bottle_step_next(b);
		return;
	}
	bottle_down_smolvm(b, smolvm_argv_delete, bottle_on_vm_delete);
}

static void bottle_on_bundle_rm(struct bottle *b, const struct proc_result *r)
{
	int nf = bottle_down_docker_gone(r);

	if (bottle_ok(r) || nf) {
		bottle_set_str(&b->bundle_state, NULL);
		bottle_reset_health(b);
	}
	bottle_on_down_cmd(b, r, "docker rm (bundle)", nf);
}

void bottle_down_bundle_rm(struct bottle *b)
{
	bottle_down_docker(b, docker_argv_bundle_rm, bottle_on_bundle_rm);
}

static void bottle_on_network_rm(struct bottle *b, const struct proc_result *r)
{
	int nf = bottle_down_docker_gone(r);

	if (bottle_ok(r) || nf)
		b->net_present = 0;
	bottle_on_down_cmd(b, r, "docker network rm", nf);
}

void bottle_down_network_rm(struct bottle *b)
{
	bottle_down_docker(b, docker_argv_network_rm, bottle_on_network_rm);
}

static void bottle_down_on_forgot(struct bottle *b, int rc, const char *cause,
				  void *ctx)
{
	(void)ctx;
	if (rc != 0) {
		bottle_step_fail(b, "%s", cause);
		return;
	}
	bottle_set_str(&b->subnet, NULL);
	bottle_set_str(&b->bundle_ip, NULL);
	bottle_log(b, "forget: subnet allocation released");
	bottle_step_next(b);
}

void bottle_down_forget(struct bottle *b)
{
	struct bottle_step_persist_ctx *c =
	    bottle_step_persist_ctx_new(b->name, NULL, NULL);

	c->forget = 1;
	bottle_state_update(b, bottle_step_persist_fn, c,
			    bottle_step_persist_ctx_free,
			    bottle_down_on_forgot);
}
