/* bottle-exec.c: a command in the VM for the dashboard, its output into
 * the exec ring. */
#include "bottle-int.h"

/* ---- exec for the dashboard ------------------------------------------- */

struct bottle_exec {
	struct bottle *b;
	bottle_done_cb done;
	void *data;
	struct strv argv;
};

static void bottle_on_exec_line(struct proc *p, int fd, const char *line,
				size_t len, void *data)
{
	struct bottle_exec *x = data;

	(void)p;
	if (x->b->priv->core->closing)
		return;
	logbuf_push_sanitized(x->b->log_exec, util_wall_ms(),
			      fd == 2 ? LOGBUF_STDERR : 0, line, len, NULL);
	bottle_emit(x->b->priv->core, x->b, BOTTLE_EV_LOG, NULL);
}

static void bottle_on_exec_exit(struct proc *p, const struct proc_result *r,
				void *data)
{
	struct bottle_exec *x = data;
	struct bottle *b = x->b;
	struct bottle_core *core = b->priv->core;
	char *err = NULL, *line;

	bottle_live_remove(core, p);
	if (!core->closing) {
		bottle_record(b, &x->argv, r);
		if (r->exited && r->exit_status == 1 &&
		    smolvm_is_own_error(bottle_err_text(r)))
			err = bottle_cmd_error("smolvm machine exec", r);
		else if (!r->exited || r->spawn_error != 0)
			err = bottle_cmd_error("smolvm machine exec", r);
		if (err != NULL)
			line = xasprintf("[bottle could not run it: %s]", err);
		else if (r->timed_out || (r->exited && r->exit_status == 124))
			line = xasprintf("[timed out: exit 124]");
		else
			line = xasprintf("[exit %d]", r->exit_status);
		logbuf_push_sanitized(b->log_exec, util_wall_ms(),
				      LOGBUF_HIGHLIGHT, line, strlen(line),
				      NULL);
		free(line);
		if (x->done != NULL)
			x->done(core, b, err, x->data);
		bottle_emit(core, b, BOTTLE_EV_LOG, NULL);
	}
	free(err);
	strv_release(&x->argv);
	free(x);
	bottle_core_unref(core);
}

int bottle_exec_capture(struct bottle_core *core, struct bottle *b,
			const char *const *argv, bottle_done_cb done,
			void *data, char **cause)
{
	struct bottle_exec *x;
	struct proc_opts o;
	char *shown;

	if (core->closing)
		return util_fail(cause, "shutting down");
	if (core->opts.read_only)
		return util_fail(cause, "read-only mode: exec refused");
	if (argv == NULL || argv[0] == NULL)
		return util_fail(cause, "exec: empty command");
	x = xcalloc(1, sizeof *x);
	x->b = b;
	x->done = done;
	x->data = data;
	{
		/* --stream: output reaches the exec pane as it is printed */
		struct smolvm_exec_opts eo;
		memset(&eo, 0, sizeof eo);
		eo.stream = 1;
		x->argv =
		    smolvm_argv_exec(bottle_cli(core), b->name, &eo, argv);
	}
	shown = util_argv_display(argv);
	{
		char *head = xasprintf("$ %s", shown);
		logbuf_push_sanitized(b->log_exec, util_wall_ms(),
				      LOGBUF_HIGHLIGHT, head, strlen(head),
				      NULL);
		free(head);
	}
	free(shown);
	memset(&o, 0, sizeof o);
	o.argv = (const char *const *)x->argv.v;
	o.timeout_ms = BOTTLE_EXEC_TIMEOUT_MS;
	o.capture = 1;
	o.max_capture = 64 * 1024;
	o.on_line = bottle_on_exec_line;
	o.on_exit = bottle_on_exec_exit;
	o.data = x;
	core->refs++;
	bottle_live_add(core, proc_spawn(core->loop, &o));
	return 0;
}
