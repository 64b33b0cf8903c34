#!/usr/bin/env bash
# tests/ui/signals.sh: every way out restores the terminal: SIGTERM,
# SIGHUP and SIGINT (^C typed at the dashboard) end it with 128 + the
# signal, and the shell afterwards has its terminal modes, cursor and
# screen back (a command typed after works normally).
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 234 uisig1

ui_start 80x24
ui_type "stty -g >$W/stty.before; clear"
ui_keys Enter

run_and_signal() { # SIGNAL STATUS
	local sig=$1 want=$2 n=$3
	ui_dashboard
	ui_expect 20 '^ uisig1 +- stopped' "$sig: the dashboard is up"
	if [ "$sig" = INT ]; then
		ui_keys C-c
	elif [ -n "$BOTTLE_UI_PID" ]; then
		kill -"$sig" "$BOTTLE_UI_PID"
	else
		t_fail "$sig: the dashboard's pid is known"
	fi
	ui_expect 20 "^EXIT=$want" "$sig ends the dashboard with status $want"
	ui_type "stty -g >$W/stty.$sig; echo after-$sig-\$((40+2))"
	ui_keys Enter
	ui_expect 10 "^after-$sig-42" "$sig: a command typed afterwards works"
	t_eq "$sig: the terminal modes are as before" \
		"$(cat "$W/stty.before")" "$(cat "$W/stty.$sig" 2>/dev/null)"
	t_nomatch "$sig: no sanitizer report" \
		'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$W/ui.err")"
	ui_type "clear"
	ui_keys Enter
	ui_gone 5 'EXIT=' "$sig: the screen clears"
}

run_and_signal TERM 143
run_and_signal HUP 129
run_and_signal INT 130
