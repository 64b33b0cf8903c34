#!/usr/bin/env bash
# tests/bench/ui_refresh_bytes.sh: (g) bytes the dashboard writes to the
# terminal per refresh with 200 bottles listed (120x50 tmux window, the
# bytes captured with pipe-pane): the first full frame, a refresh in
# which nothing changed, and a refresh in which one bottle's state cell
# changes (a labelled docker network appears for ub001: stopped → drift).
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.40.0/24
mapfile -t NAMES < <(bench_names ub 200)
bench_world ui-bytes "${NAMES[@]}"
command -v tmux >/dev/null || bench_die "needs tmux"
SOCK=bottle-bench-bytes-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
ui_cleanup() {
	tm kill-server >/dev/null 2>&1
	bench_cleanup
}
trap ui_cleanup EXIT
OUT=$BW/tty.bin
: >"$OUT"
tm new-session -d -x 120 -y 50 -e TERM=screen-256color -e LANG=C.UTF-8 \
	-e "BOTTLE_STATE_DIR=$BOTTLE_STATE_DIR" -e "SMOLVM_SIM_HOME=$SMOLVM_SIM_HOME" \
	-e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" \
	"sleep 0.5; exec $BOTTLE -c $CFG 2>$BW/ui.err" || bench_die "tmux does not start"
tm pipe-pane -o -t :0 "cat >> $OUT"
wait_screen() { # wait_screen REGEX SECONDS
	local i
	for ((i = 0; i < $2 * 10; i++)); do
		tm capture-pane -p -t :0 | grep -Eq "$1" && return 0
		sleep 0.1
	done
	return 1
}
size() { stat -c %s "$OUT"; }
wait_screen '200 bottles' 30 || bench_die "the dashboard never listed 200 bottles"
sleep 2 # let the first frame and the first refresh settle
full=$(size)
# one refresh period (10 s) with nothing changing
s0=$(size)
sleep 11
idle=$(($(size) - s0))
# one cell changes: ub001 gets a network of its own → drift
s0=$(size)
BENCH_NETWORKS+=(bottle-ub001)
docker network create --label dev.bottle.managed=1 --label dev.bottle.name=ub001 \
	bottle-ub001 >/dev/null || bench_die "docker network create failed"
wait_screen 'ub001 +~ drift' 20 || bench_die "ub001 never showed drift"
sleep 0.5
change=$(($(size) - s0))
tm capture-pane -p -t :0 | head -6
echo "bytes written: first frame (200 bottles, 120x50) $full; a refresh with" \
	"nothing changed $idle; a refresh with one state cell changed $change"
bench_figure ui_first_frame_bytes "$full" bytes
bench_figure ui_refresh_idle_bytes "$idle" bytes
bench_figure ui_refresh_one_change_bytes "$change" bytes
bench_target ui_refresh_one_change_bytes "<=" 512
