/* frame.c: header, footer, message line, too-small screen. */
#include "frame.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "text.h"

/* Header order of the counts: what needs attention first. */
static const enum bottle_status frame_order[] = {
    BOTTLE_UNSAFE, BOTTLE_FAILED,  BOTTLE_DEGRADED, BOTTLE_DRIFT,
    BOTTLE_BUSY,   BOTTLE_UNKNOWN, BOTTLE_HEALTHY,  BOTTLE_STOPPED,
};

void frame_counts(struct bottle_core *core, size_t *counts)
{
	size_t i, n = bottle_core_count(core);

	memset(counts, 0, sizeof(*counts) * (BOTTLE_DRIFT + 1));
	for (i = 0; i < n; i++) {
		enum bottle_status s = bottle_status(bottle_core_at(core, i));
		if ((unsigned)s <= BOTTLE_DRIFT)
			counts[s]++;
	}
}

static int frame_put(const struct view_ctx *c, int y, int x, const char *s,
		     enum theme_role r)
{
	int width = getmaxx(c->win) - x;

	if (width <= 0)
		return 0;
	return text_draw(c->win, y, x, width, s, theme_attr(c->theme, r),
			 c->ascii);
}

static int frame_badges(const struct view_ctx *c, const struct bottle_env *e)
{
	int right = getmaxx(c->win) - 1;

	if (e->simulated) {
		right -= 11;
		frame_put(c, 0, right, " SIMULATED ", THEME_BADGE);
		right--;
	}
	if (c->read_only) {
		right -= 11;
		frame_put(c, 0, right, " READ-ONLY ", THEME_BADGE);
		right--;
	}
	return right;
}

static void frame_counts_row(const struct view_ctx *c, int x, int right)
{
	size_t counts[BOTTLE_DRIFT + 1], i, total;
	char buf[64];
	int first = 1;

	frame_counts(c->core, counts);
	total = bottle_core_count(c->core);
	snprintf(buf, sizeof(buf), "%zu bottle%s", total,
		 total == 1 ? "" : "s");
	x += frame_put(c, 0, x, buf, THEME_NORMAL);
	for (i = 0; i < UTIL_NELEM(frame_order); i++) {
		enum bottle_status s = frame_order[i];
		if (counts[s] == 0)
			continue;
		snprintf(buf, sizeof(buf), "%s%zu %s", first ? ": " : ", ",
			 counts[s], theme_status_word(s));
		if (x + (int)text_width(buf) >= right)
			break;
		x += frame_put(c, 0, x, first ? ": " : ", ", THEME_NORMAL);
		snprintf(buf, sizeof(buf), "%zu %s", counts[s],
			 theme_status_word(s));
		x += frame_put(c, 0, x, buf, theme_status_role(s));
		first = 0;
	}
}

static int frame_tool(const struct view_ctx *c, int x, const char *name, int ok,
		      const char *version, const char *error)
{
	x += frame_put(c, 1, x, name, THEME_TITLE);
	x += frame_put(c, 1, x, " ", THEME_NORMAL);
	if (ok < 0)
		return x + frame_put(c, 1, x, "checking", THEME_DIM);
	if (ok == 0) {
		if (error == NULL)
			error = "unavailable";
		/* "docker: ..." after "docker " would say it twice */
		if (strncmp(error, name, strlen(name)) == 0 &&
		    error[strlen(name)] == ':' &&
		    error[strlen(name) + 1] == ' ')
			error += strlen(name) + 2;
		return x + frame_put(c, 1, x, error, THEME_BAD);
	}
	if (version == NULL)
		version = "ok";
	/* "smolvm 0.8.0" after "smolvm " would say it twice */
	if (strncmp(version, name, strlen(name)) == 0 &&
	    version[strlen(name)] == ' ')
		version += strlen(name) + 1;
	return x + frame_put(c, 1, x, version, THEME_GOOD);
}

void frame_header(const struct view_ctx *c)
{
	const struct bottle_env *e = bottle_core_env(c->core);
	int x = 1, right;

	right = frame_badges(c, e);
	x += frame_put(c, 0, x, "bottle", THEME_TITLE);
	x += frame_put(c, 0, x, " " BOTTLE_VERSION "   ", THEME_DIM);
	frame_counts_row(c, x, right);

	x = 1;
	x = frame_tool(c, x, "docker", e->docker_ok, e->docker_version,
		       e->docker_error);
	x += 3;
	x = frame_tool(c, x, "smolvm", e->smolvm_ok, e->smolvm_version,
		       e->smolvm_error);
	if (e->smolvm_ok == 1) {
		char band[32];
		snprintf(band, sizeof band, "band %s",
			 smolvm_band_name(e->smolvm.band));
		x += 1 + frame_put(c, 1, x + 1, band, THEME_DIM);
	}
	if (e->simulated)
		frame_put(c, 1, x + 1,
			  "(simulator: real network allowlist, not a VM)",
			  THEME_WARN);
	else if (e->smolvm_ok == 1 && smolvm_band_is_tsi(e->smolvm.band))
		frame_put(c, 1, x + 1,
			  "(TSI: smolvm says it did not enforce allowlists; "
			  "only the probes prove isolation)",
			  THEME_WARN);
	else if (e->smolvm_ok == 1 && e->smolvm.band == SMOLVM_BAND_NEWER)
		frame_put(c, 1, x + 1,
			  "(newer than bottle knows: the probes decide)",
			  THEME_WARN);
}

void frame_footer(const struct view_ctx *c, unsigned kctx, const char *filter,
		  int y)
{
	const struct keys_binding *k[32];
	size_t n, i;
	int x = 1, width = getmaxx(c->win);

	if (filter != NULL) {
		char *s = xasprintf("filter: %s", filter);
		x += frame_put(c, y, x, s, THEME_WARN);
		x += 2;
		free(s);
	}
	if (c->read_only) {
		x += frame_put(c, y, x, "READ-ONLY", THEME_BADGE);
		x += 2;
	}
	n = keys_footer(kctx, c->read_only, width - x - 1, k, UTIL_NELEM(k));
	for (i = 0; i < n; i++) {
		if (i > 0)
			x += 2;
		x += frame_put(c, y, x, k[i]->key, THEME_KEY);
		x += frame_put(c, y, x, " ", THEME_NORMAL);
		x += frame_put(c, y, x, k[i]->word, THEME_NORMAL);
	}
}

void frame_message(const struct view_ctx *c, int y, const char *msg,
		   enum frame_level level)
{
	enum theme_role r = level == FRAME_ERROR  ? THEME_BAD
			    : level == FRAME_WARN ? THEME_WARN
						  : THEME_NORMAL;

	if (msg != NULL)
		frame_put(c, y, 1, msg, r);
}

void frame_too_small(const struct view_ctx *c, int cols, int lines)
{
	char a[96], b[96];
	const char *q = "q quits";
	int y = lines / 2 - 1, w;

	snprintf(a, sizeof(a), "terminal too small: %dx%d", cols, lines);
	snprintf(b, sizeof(b), "the dashboard needs at least %dx%d",
		 FRAME_MIN_COLS, FRAME_MIN_LINES);
	if (y < 0)
		y = 0;
	w = (int)text_width(a);
	text_draw(c->win, y, cols > w ? (cols - w) / 2 : 0, cols, a,
		  theme_attr(c->theme, THEME_BAD), c->ascii);
	w = (int)text_width(b);
	text_draw(c->win, y + 1, cols > w ? (cols - w) / 2 : 0, cols, b,
		  theme_attr(c->theme, THEME_NORMAL), c->ascii);
	w = (int)text_width(q);
	text_draw(c->win, y + 2, cols > w ? (cols - w) / 2 : 0, cols, q,
		  theme_attr(c->theme, THEME_DIM), c->ascii);
}
