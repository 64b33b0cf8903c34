#!/usr/bin/env bash
# tests/bench/ui_idle.sh: the dashboard idle for BENCH_IDLE_S seconds
# (default 60) with three running bottles, in an 80x24 tmux window, next to
# htop idle in another window of the same tmux server over the same
# seconds. Figures: CPU of each as a percentage of one core, and the
# dashboard process's wake-ups (voluntary context switches) per second,
# which are the core's own timers (refresh, health checks) and nothing
# of the dashboard's while nothing changes on screen.
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.30.0/24
SECS=${BENCH_IDLE_S:-60}
bench_world ui-idle uii1 uii2 uii3
command -v tmux >/dev/null || bench_die "needs tmux"
SOCK=bottle-bench-idle-$$
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
ui_cleanup() {
	tm kill-server >/dev/null 2>&1
	bottle rm uii1 uii2 uii3 >/dev/null 2>&1
	bench_cleanup
}
trap ui_cleanup EXIT

bottle up uii1 uii2 uii3 >/dev/null 2>"$BW/up.err" ||
	bench_die "up failed: $(tail -3 "$BW/up.err")"
tm new-session -d -x 80 -y 24 -e TERM=screen-256color -e LANG=C.UTF-8 \
	-e "BOTTLE_STATE_DIR=$BOTTLE_STATE_DIR" -e "SMOLVM_SIM_HOME=$SMOLVM_SIM_HOME" \
	-e "XDG_CONFIG_HOME=$XDG_CONFIG_HOME" \
	"exec $BOTTLE -c $CFG 2>$BW/ui.err" || bench_die "tmux does not start"
HTOP=$(command -v htop || true)
if [ -n "$HTOP" ]; then
	tm new-window -d -e TERM=screen-256color "exec $HTOP"
fi
ok=0
for i in $(seq 600); do
	if tm capture-pane -p -t :0 | grep -q '3 healthy'; then
		ok=1
		break
	fi
	sleep 0.1
done
[ $ok = 1 ] || bench_die "the dashboard never showed 3 healthy bottles: $(tm capture-pane -p -t :0 | head -5)"

pids=$(tm list-panes -a -F '#{window_index} #{pane_pid}')
ui_pid=$(awk '$1 == 0 { print $2 }' <<<"$pids")
htop_pid=$(awk '$1 == 1 { print $2 }' <<<"$pids")
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
wakeups() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
hz=$(getconf CLK_TCK)

u0=$(ticks "$ui_pid"); w0=$(wakeups "$ui_pid")
[ -n "$htop_pid" ] && h0=$(ticks "$htop_pid")
sleep "$SECS" # the measurement window itself
u1=$(ticks "$ui_pid"); w1=$(wakeups "$ui_pid")
[ -n "$htop_pid" ] && h1=$(ticks "$htop_pid")
tm capture-pane -p -t :0 | head -7

pct() { awk -v t="$1" -v hz="$hz" -v s="$SECS" 'BEGIN { printf "%.2f\n", t / hz / s * 100 }'; }
ui_cpu=$(pct $((u1 - u0)))
echo "dashboard idle over ${SECS} s with 3 running bottles: ${ui_cpu}% of one core"
if [ -n "$htop_pid" ]; then
	htop_cpu=$(pct $((h1 - h0)))
	echo "htop idle over the same ${SECS} s: ${htop_cpu}% of one core"
else
	echo "htop: not installed, no comparison figure"
fi
bench_figure ui_idle_cpu "$ui_cpu" %
[ -n "$htop_pid" ] && bench_figure htop_idle_cpu "$htop_cpu" %
bench_figure ui_idle_wakeups "$(awk -v w=$((w1 - w0)) -v s="$SECS" 'BEGIN { printf "%.2f\n", w / s }')" /s
bench_target ui_idle_cpu "<" 1
