/* ui.h: the curses dashboard (bottle with no command).
 *
 * The terminal is /dev/tty (never stdin/stdout, which may be redirected):
 * input through a uv_poll_t, SIGWINCH, SIGINT, SIGTERM and SIGHUP through
 * uv_signal_t, drawing coalesced to at most once per loop iteration (a
 * uv_prepare_t, or a ~30 ms one-shot timer under floods). Nothing wakes
 * the loop while nothing changes, except the core's own timers and the
 * spinner while a bottle is busy. */
#ifndef BOTTLE_UI_H
#define BOTTLE_UI_H

#include "bottle.h"

struct ui_opts {
	int read_only;		 /* refuse every mutating key, and say so */
	int ascii;		 /* force ASCII marks and text */
	const char *self_path;	 /* argv[0] resolved: `s` runs
				    `self_path [-c config_path] shell NAME` */
	const char *config_path; /* NULL: the default configuration */
};

/* ui_run: run the dashboard on core (started by the caller with
 * bottle_core_start) until the user quits or a signal arrives; returns
 * the exit status (0 after q, 128 + signal number after a signal, 1 when
 * the terminal cannot be used, with a message on stderr). The terminal is
 * left exactly as it was found on every path, fatal() included. The core
 * is left running (its listener unset) for the caller to close. */
int ui_run(struct bottle_core *core, const struct ui_opts *o);

#endif
