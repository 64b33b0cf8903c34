/* bottle-logs.c: following a bottle's logs into its rings. */
#include "bottle-int.h"

/* ---- log tails ---------------------------------------------------------- */

static void bottle_on_tail_line(struct tail *t, const struct tail_line *l,
				void *data)
{
	struct bottle *b = data;

	(void)t;
	(void)l;
	bottle_emit(b->priv->core, b, BOTTLE_EV_LOG, NULL);
}

static struct logbuf *bottle_tail_ring(struct bottle *b, enum tail_source src)
{
	switch (src) {
	case TAIL_BUNDLE:
		return b->log_bundle;
	case TAIL_VM:
		return b->log_vm;
	case TAIL_EGRESS:
		return b->log_egress;
	case TAIL_EVENTS:
		break;
	}
	return b->log_events;
}

static void bottle_on_tail_status(struct tail *t, int error, const char *msg,
				  void *data)
{
	struct bottle *b = data;
	struct logbuf *lb = b->log_events;
	size_t i;

	for (i = 0; i < TAIL_SOURCE_COUNT; i++)
		if (b->priv->tails[i] == t)
			lb = bottle_tail_ring(b, (enum tail_source)i);
	logbuf_push(lb, util_wall_ms(), error ? LOGBUF_HIGHLIGHT : 0, msg,
		    strlen(msg));
	bottle_emit(b->priv->core, b, BOTTLE_EV_LOG, NULL);
}

void bottle_logs_open(struct bottle_core *core, struct bottle *b)
{
	size_t i;

	if (core->closing || b->logs_open)
		return;
	b->logs_open = 1;
	for (i = 0; i < TAIL_SOURCE_COUNT; i++) {
		enum tail_source src = (enum tail_source)i;
		struct tail_opts o;
		char *cause = NULL;

		memset(&o, 0, sizeof o);
		o.source = src;
		o.name = b->name;
		o.state_dir = core->state_dir;
		o.smolvm = bottle_cli(core);
		o.smolvm_env = (const char *const *)core->env.smolvm_env.v;
		o.backlog = 200;
		o.mode = TAIL_FOLLOW;
		o.lb = bottle_tail_ring(b, src);
		o.on_line = bottle_on_tail_line;
		o.on_status = bottle_on_tail_status;
		o.data = b;
		if (src == TAIL_EVENTS)
			logbuf_clear(b->log_events); /* the file has it all */
		if (tail_start(core->loop, &o, &b->priv->tails[i], &cause) !=
		    0) {
			logbuf_push(o.lb, util_wall_ms(), LOGBUF_HIGHLIGHT,
				    cause, strlen(cause));
			free(cause);
			b->priv->tails[i] = NULL;
		}
	}
}

void bottle_logs_close(struct bottle_core *core, struct bottle *b)
{
	size_t i;

	(void)core;
	for (i = 0; i < TAIL_SOURCE_COUNT; i++) {
		if (b->priv->tails[i] != NULL)
			tail_close(b->priv->tails[i]);
		b->priv->tails[i] = NULL;
	}
	b->logs_open = 0;
}
