#!/usr/bin/env bash
# tests/bench/log_flood.sh: (issue 5, issue 12) following a bundle that
# prints lines as fast as it can. The demo bundle with BOTTLE_DEMO_FLOOD=1
# floods its stdout with JSON lines (pipelock-shaped, each one summarised
# by bottle); for BENCH_SECONDS (default 30) two followers of that one
# container's stream run side by side, started together in this run:
#   bottle logs lf1 --source bundle -f -n 0 | wc -l
#   docker logs -f --timestamps --tail 0 bottle-lf1-bundle | wc -l
# docker's follower is given --timestamps because bottle prints each
# line's time too (bottle's own docker logs child runs with --timestamps):
# both read and print the same lines with the same information.
# Figures: lines/s of each, their ratio (target: bottle at least 0.9x
# docker), their resident memory after 5 s and at the end and their peak
# (VmHWM, sampled from /proc every second), and their CPU seconds
# (bottle's with its docker logs child's, which it reaps). bottle's memory
# must stay flat (its rings are bounded; the CLI keeps no line once
# printed).
# bench-timeout: 180
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.36.0/24
SECS=${BENCH_SECONDS:-30}
bench_world log-flood lf1
python3 - "$CFG" <<'EOF'
import json, sys
cfg = json.load(open(sys.argv[1]))
cfg["bottles"]["lf1"] = {"bundle": {"env": {"BOTTLE_DEMO_FLOOD": "1"}}}
json.dump(cfg, open(sys.argv[1], "w"), indent=2)
EOF
FOLLOWERS=()
flood_cleanup() {
	local p
	for p in "${FOLLOWERS[@]}"; do kill -9 "$p" 2>/dev/null; done
	bottle rm lf1 >/dev/null 2>&1
	bench_cleanup
}
trap flood_cleanup EXIT

bottle up lf1 >/dev/null 2>"$BW/up.err" </dev/null ||
	bench_die "up lf1 failed: $(tail -3 "$BW/up.err")"
echo "bottle $BOTTLE; bundle bottle-lf1-bundle flooding; following for $SECS s"

# status_kb PID FIELD: VmRSS / VmHWM in kB (empty once PID is gone)
status_kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}
# cpu_s PID: user + system CPU seconds of PID so far
cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{
		sub(/^.*\) /, ""); printf "%.2f\n", ($12 + $13) / hz
	}' "/proc/$1/stat" 2>/dev/null
}

# each follower writes into a fifo read by wc, so that $! is its own pid
mkfifo "$BW/bottle.fifo" "$BW/docker.fifo"
wc -l <"$BW/bottle.fifo" >"$BW/bottle.count" &
wc -l <"$BW/docker.fifo" >"$BW/docker.count" &
"$BOTTLE" -c "$CFG" logs lf1 --source bundle -f -n 0 >"$BW/bottle.fifo" \
	2>"$BW/bottle.err" </dev/null &
BPID=$!
docker logs -f --timestamps --tail 0 bottle-lf1-bundle >"$BW/docker.fifo" 2>"$BW/docker.err" </dev/null &
DPID=$!
[ -n "$BPID" ] && [ -n "$DPID" ] || bench_die "the followers did not start"
FOLLOWERS=("$BPID" "$DPID")
t0=$(bench_now_ms)

b_rss5= d_rss5= b_hwm=0 d_hwm=0
for ((i = 1; i <= SECS; i++)); do
	sleep 1
	v=$(status_kb "$BPID" VmHWM)
	[ -n "$v" ] || bench_die "bottle logs died: $(tail -3 "$BW/bottle.err")"
	b_hwm=$v
	d_hwm=$(status_kb "$DPID" VmHWM)
	if [ $i = 5 ]; then
		b_rss5=$(status_kb "$BPID" VmRSS)
		d_rss5=$(status_kb "$DPID" VmRSS)
	fi
done
b_rss=$(status_kb "$BPID" VmRSS)
d_rss=$(status_kb "$DPID" VmRSS)
b_cpu=$(cpu_s "$BPID")
d_cpu=$(cpu_s "$DPID")
# bottle's docker logs child (the one running now)
k_cpu=0
for k in $(pgrep -P "$BPID"); do k_cpu=$(cpu_s "$k"); done
kill -INT "$BPID"
kill -TERM "$DPID"
wait
ms=$(($(bench_now_ms) - t0))
FOLLOWERS=()
b_lines=$(cat "$BW/bottle.count")
d_lines=$(cat "$BW/docker.count")
b_rate=$((b_lines * 1000 / ms))
d_rate=$((d_lines * 1000 / ms))
if grep -q . "$BW/bottle.err"; then
	echo "bottle's stderr:"
	sed 's/^/  /' "$BW/bottle.err" | head -5
fi

printf '\n%-34s %10s %9s %9s %9s %9s %6s\n' follower lines lines/s "RSS@5s" "RSS@end" "peak RSS" "CPU s"
printf '%-34s %10s %9s %7s kB %7s kB %7s kB %6s\n' "bottle logs --source bundle -f" \
	"$b_lines" "$b_rate" "$b_rss5" "$b_rss" "$b_hwm" "$b_cpu"
printf '%-34s %10s %9s %10s %10s %10s %6s\n' "  its docker logs child" - - - - - "$k_cpu"
printf '%-34s %10s %9s %7s kB %7s kB %7s kB %6s\n' "docker logs -f --timestamps" \
	"$d_lines" "$d_rate" "$d_rss5" "$d_rss" "$d_hwm" "$d_cpu"
echo

bench_figure log_flood_bottle_lines_per_s "$b_rate" lines/s
bench_figure log_flood_docker_lines_per_s "$d_rate" lines/s
bench_figure log_flood_bottle_vs_docker_lines "$(bench_ratio "$b_lines" "$d_lines")" x
bench_target log_flood_bottle_vs_docker_lines ">=" 0.9
bench_figure log_flood_bottle_peak_rss "$b_hwm" kB
bench_figure log_flood_docker_peak_rss "$d_hwm" kB
bench_figure log_flood_bottle_rss_growth_after_5s "$((b_rss - b_rss5))" kB
bench_target log_flood_bottle_rss_growth_after_5s "<=" 1024
bench_figure log_flood_bottle_cpu "$b_cpu" s
bench_figure log_flood_bottle_child_cpu "${k_cpu:-0}" s
bench_figure log_flood_docker_cpu "$d_cpu" s
