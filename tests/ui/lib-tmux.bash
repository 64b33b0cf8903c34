# tests/ui/lib-tmux.bash: drive the dashboard in a real terminal (tmux)
# from a UI test (sourced after tests/lib.sh and tests/lib-bottle.sh,
# never run; not named *.sh, so tests/run.sh does not run it).
#
#   ui_start [COLSxROWS]   a tmux server on a private socket (killed on
#                          exit) running an interactive bash in a COLSxROWS
#                          window (default 80x24), TERM=screen-256color,
#                          LANG=C.UTF-8, the t_world environment
#   ui_dashboard [ARGS...] type "$BOTTLE -c $CFG ARGS..." into that shell;
#                          its exit status is printed as "EXIT=N" when it
#                          ends; BOTTLE_UI_PID is the dashboard's pid
#   ui_keys KEY...         tmux send-keys (key names: Enter, Escape, C-c)
#   ui_type TEXT           send TEXT literally
#   ui_screen              the visible screen as text (capture-pane)
#   ui_wait SECONDS REGEX  poll the screen every 0.1 s until grep -E REGEX
#                          matches; 0, or 1 after SECONDS (UI_SCREEN holds
#                          the last capture either way)
#   ui_expect SECONDS REGEX DESCRIPTION
#                          ui_wait as a check: ok, or not ok with the screen
#   ui_gone SECONDS REGEX DESCRIPTION
#                          the opposite: ok once REGEX no longer shows
#   ui_until SECONDS CMD...
#                          poll: refresh UI_SCREEN, run CMD, until it
#                          succeeds; 0, or 1 after SECONDS
#   ui_width               the widest screen line, in columns
#   ui_resize COLS ROWS    resize the window (the dashboard gets SIGWINCH)

UI_SOCK=bottle-ui-$$-$RANDOM
UI_SCREEN=

ui_tmux() {
	tmux -L "$UI_SOCK" -f /dev/null "$@"
}

ui_start() {
	local size=${1:-80x24}
	command -v tmux >/dev/null 2>&1 || {
		t_skip "$(basename "$0")" "tmux is not installed"
		exit 0
	}
	t_defer "tmux -L '$UI_SOCK' -f /dev/null kill-server"
	printf '%s\n' "PS1='ui\$ '" >"$W/bashrc"
	ui_tmux new-session -d -x "${size%x*}" -y "${size#*x}" \
		-e TERM=screen-256color -e LANG=C.UTF-8 -e LC_ALL=C.UTF-8 \
		-e "ASAN_OPTIONS=${ASAN_OPTIONS:-}" \
		-e "BOTTLE_STATE_DIR=$BOTTLE_STATE_DIR" \
		-e "SMOLVM_SIM_HOME=$SMOLVM_SIM_HOME" \
		-e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" \
		"bash --noprofile --rcfile $W/bashrc" || {
		t_fail "tmux starts"
		exit 1
	}
	ui_tmux set-option -g set-clipboard on >/dev/null
	ui_wait 10 'ui\$' || {
		t_fail "the shell in tmux answers"
		exit 1
	}
}

ui_dashboard() {
	local a q=""
	for a in "$@"; do
		q+=" $(printf '%q' "$a")"
	done
	# The pid file tells signal tests whom to signal.
	ui_type "echo \$\$ >$W/shell.pid; $BOTTLE -c $CFG$q 2>$W/ui.err; echo EXIT=\$?"
	ui_keys Enter
	BOTTLE_UI_PID=
	local i
	for i in $(seq 100); do
		if [ -s "$W/shell.pid" ]; then
			BOTTLE_UI_PID=$(pgrep -P "$(cat "$W/shell.pid")" -f "$BOTTLE" | head -1)
			[ -n "$BOTTLE_UI_PID" ] && break
		fi
		sleep 0.1
	done
}

ui_keys() {
	ui_tmux send-keys "$@"
}

ui_type() {
	ui_tmux send-keys -l "$1"
}

ui_screen() {
	ui_tmux capture-pane -p
}

ui_wait() {
	local limit=$1 re=$2 i=0
	while :; do
		UI_SCREEN=$(ui_screen)
		if printf '%s\n' "$UI_SCREEN" | grep -Eq -- "$re"; then
			return 0
		fi
		i=$((i + 1))
		[ $i -ge $((limit * 10)) ] && return 1
		sleep 0.1
	done
}

ui_diag_screen() {
	t_diag "screen:"
	printf '%s\n' "$UI_SCREEN" | sed 's/^/#   |/'
	if [ -s "$W/ui.err" ]; then
		t_diag "dashboard stderr:"
		head -20 "$W/ui.err" | sed 's/^/#   !/'
	fi
}

ui_expect() {
	if ui_wait "$1" "$2"; then
		t_ok "$3"
	else
		t_fail "$3"
		t_diag "wanted /$2/ within $1 s"
		ui_diag_screen
	fi
}

ui_gone() {
	local limit=$1 re=$2 i=0
	while :; do
		UI_SCREEN=$(ui_screen)
		if ! printf '%s\n' "$UI_SCREEN" | grep -Eq -- "$re"; then
			t_ok "$3"
			return 0
		fi
		i=$((i + 1))
		if [ $i -ge $((limit * 10)) ]; then
			t_fail "$3"
			t_diag "/$re/ still shows after $limit s"
			ui_diag_screen
			return 1
		fi
		sleep 0.1
	done
}

ui_resize() {
	ui_tmux resize-window -x "$1" -y "$2"
}

ui_until() {
	local limit=$1 i=0
	shift
	while :; do
		UI_SCREEN=$(ui_screen)
		"$@" && return 0
		i=$((i + 1))
		[ $i -ge $((limit * 10)) ] && return 1
		sleep 0.1
	done
}

ui_width() {
	printf '%s\n' "$UI_SCREEN" | LC_ALL=C.UTF-8 wc -L
}
