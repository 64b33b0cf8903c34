#!/usr/bin/env bash
# tests/bench/ui_flood.sh: key presses stay answered while the dashboard
# shows a log flood. The bundle of the bottle prints lines as fast as it
# can (`yes` on its stdout) into the bundle tab the dashboard follows
# (`l`); meanwhile ? is
# pressed BENCH_KEYS times (default 20) and the time until the help is on
# the screen (tmux capture-pane, polled every 5 ms) is measured, then ?
# again until the flood shows again. Figures: median and worst latency,
# and the dashboard's CPU during the flood; the same presses first with no
# flood, in the same view (the measurement's own cost), and the ratio of
# the medians.
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.31.0/24
N=${BENCH_KEYS:-20}
bench_world ui-flood uif1
command -v tmux >/dev/null || bench_die "needs tmux"
SOCK=bottle-bench-flood-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
ui_cleanup() {
	tm kill-server >/dev/null 2>&1
	bottle rm uif1 >/dev/null 2>&1
	bench_cleanup
}
trap ui_cleanup EXIT

bottle up uif1 >/dev/null 2>"$BW/up.err" ||
	bench_die "up failed: $(tail -3 "$BW/up.err")"
tm new-session -d -x 80 -y 24 -e TERM=screen-256color -e LANG=C.UTF-8 \
	-e "BOTTLE_STATE_DIR=$BOTTLE_STATE_DIR" -e "SMOLVM_SIM_HOME=$SMOLVM_SIM_HOME" \
	-e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" \
	"exec $BOTTLE -c $CFG 2>$BW/ui.err" || bench_die "tmux does not start"

# wait_screen SECONDS REGEX [absent]: poll every 5 ms
wait_screen() {
	local limit_ms=$(($1 * 1000)) re=$2 absent=${3:-} t0 now
	t0=$(bench_now_ms)
	while :; do
		if tm capture-pane -p | grep -Eq -- "$re"; then
			[ -z "$absent" ] && return 0
		else
			[ -n "$absent" ] && return 0
		fi
		now=$(bench_now_ms)
		[ $((now - t0)) -ge $limit_ms ] && return 1
		sleep 0.005
	done
}

wait_screen 60 '^ uif1 +. (healthy|unknown)' ||
	bench_die "the dashboard never showed uif1 running"
# presses WHAT: N times ? (help drawn, timed into LAT) and ? again (help
# gone; with WHAT "flood", the flood showing again)
presses() {
	local i t
	LAT=()
	for i in $(seq "$N"); do
		t=$(bench_now_ms)
		tm send-keys '?'
		wait_screen 5 '^ Everywhere' || bench_die "? was not answered within 5 s ($1)"
		LAT+=($(($(bench_now_ms) - t)))
		tm send-keys '?'
		wait_screen 5 '^ Everywhere' absent || bench_die "? did not close the help ($1)"
		if [ "$1" = flood ]; then
			wait_screen 5 '^ flood-line-abc' || bench_die "the flood stopped showing"
		fi
	done
}
# Baseline, same run, same view, no flood: what the measurement itself
# (tmux send-keys, capture-pane polled every 5 ms) costs.
tm send-keys l
sleep 1
presses idle
idle=("${LAT[@]}")
# The bundle's PID 1 stdout is what `docker logs -f` (the bundle tab)
# reads: flood it for the rest of the run.
docker exec -d bottle-uif1-bundle sh -c \
	'timeout 300 yes flood-line-abcdefghijklmnopqrstuvwxyz-0123456789 >/proc/1/fd/1'
wait_screen 30 "^ flood-line-abc" || bench_die "the flood never showed: $(tm capture-pane -p)"
pid=$(tm list-panes -F '#{pane_pid}' | head -1)
t0=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
s0=$(bench_now_ms)
presses flood
lat=("${LAT[@]}")
t1=$(awk '{ print $14 + $15 }' "/proc/$pid/stat")
s1=$(bench_now_ms)
tm capture-pane -p | head -3

med=$(bench_median "${lat[@]}")
max=$(printf '%s\n' "${lat[@]}" | sort -n | tail -1)
imed=$(bench_median "${idle[@]}")
imax=$(printf '%s\n' "${idle[@]}" | sort -n | tail -1)
cpu=$(awk -v t=$((t1 - t0)) -v hz="$(getconf CLK_TCK)" -v ms=$((s1 - s0)) \
	'BEGIN { printf "%.1f\n", t / hz / (ms / 1000) * 100 }')
echo "key latency under a log flood over $N presses: median ${med} ms, worst ${max} ms (includes tmux capture polling)"
echo "dashboard CPU while following the flood: ${cpu}% of one core"
echo "the same without the flood (the measurement's own cost): median ${imed} ms, worst ${imax} ms"
bench_figure ui_flood_key_latency_median "$med" ms
bench_figure ui_flood_key_latency_max "$max" ms
bench_figure ui_idle_key_latency_median "$imed" ms
bench_figure ui_idle_key_latency_max "$imax" ms
bench_figure ui_flood_vs_idle_median "$(awk -v a="$med" -v b="$imed" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" x
bench_figure ui_flood_cpu "$cpu" %
bench_target ui_flood_key_latency_max "<=" 100
