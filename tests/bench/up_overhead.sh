#!/usr/bin/env bash
# tests/bench/up_overhead.sh: (a) `bottle up` of one bottle against the
# same docker and simulator commands run by a plain shell script:
# network create, docker run with the bind knob and the pinned IP, a curl
# loop until every service's /health answers, the Smolfile, smolvm
# machine create and start, and the four probe execs (in parallel, as
# bottle runs them). Each side runs BENCH_N times (default 3),
# interleaved, after one untimed warm-up; the ratio is of the medians.
# Between runs everything is removed (`bottle rm`, or the script's own
# teardown), and that is not timed.
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.0.0/24
N=${BENCH_N:-3}
bench_world overhead bo1

RAW=bench-raw
bench_raw_register "$RAW"

echo "warm-up (untimed): the simulator's first start exports the VM image"
bench_raw_up "$RAW" 10.214.0.240 || bench_die "warm-up: the script's up failed: $(bench_raw_err "$RAW")"
bench_raw_down "$RAW"

bottle_ms=()
raw_ms=()
bottle_cpu=()
raw_cpu=()
declare -A raw_step bottle_step
for ((i = 1; i <= N; i++)); do
	bench_cpu
	c0=$CPU_MS
	t0=$(bench_now_ms)
	bench_raw_up "$RAW" 10.214.0.240 || bench_die "run $i: the script's up failed: $(bench_raw_err "$RAW")"
	t1=$(bench_now_ms)
	raw_ms+=($((t1 - t0)))
	bench_cpu
	raw_cpu+=($((CPU_MS - c0)))
	while read -r s d; do raw_step[$s]+="$d "; done <"$BW/$RAW/steps"
	bench_raw_down "$RAW"

	bench_cpu
	c0=$CPU_MS
	t0=$(bench_now_ms)
	bottle up bo1 >"$BW/up.out" 2>"$BW/up.err" </dev/null ||
		bench_die "run $i: bottle up bo1 failed: $(bench_errors "$BW/up.err")"
	t1=$(bench_now_ms)
	bottle_ms+=($((t1 - t0)))
	bench_cpu
	bottle_cpu+=($((CPU_MS - c0)))
	while read -r s d; do bottle_step[$s]+="$d "; done < <(bench_up_steps "$BOTTLE_STATE_DIR/bo1/events.log")
	bottle rm bo1 >/dev/null 2>"$BW/rm.err" </dev/null ||
		bench_die "run $i: bottle rm bo1 failed: $(bench_errors "$BW/rm.err")"
	echo "run $i: script ${raw_ms[-1]} ms, bottle ${bottle_ms[-1]} ms"
done

bm=$(bench_median "${bottle_ms[@]}")
rm_=$(bench_median "${raw_ms[@]}")
echo
echo "median per step (ms)        script  bottle"
for s in allocate network bundle bundle-health smolfile vm-create vm-start probe; do
	r=-
	b=-
	[ -z "${raw_step[$s]:-}" ] || r=$(bench_median ${raw_step[$s]})
	[ -z "${bottle_step[$s]:-}" ] || b=$(bench_median ${bottle_step[$s]})
	printf '  %-24s %7s %7s\n' "$s" "$r" "$b"
done
core=$(bench_median ${bottle_step[core]})
printf '  %-24s %7s %7s\n' "outside the steps" - "$((bm - core))"
echo "  (bottle's 'outside the steps': process start, version checks, the"
echo "   first refresh, closing; the script has none of these)"
printf '  %-24s %7s %7s\n' "total" "$rm_" "$bm"
printf '  %-24s %7s %7s\n' "CPU (user + system)" "$(bench_median "${raw_cpu[@]}")" \
	"$(bench_median "${bottle_cpu[@]}")"
echo "  (CPU of the commands run, not of dockerd or the VM supervisor)"
echo
echo "up of one bottle: bottle $bm ms, plain script $rm_ ms (medians of $N)"
bench_figure up_one_bottle_ms "$bm" ms
bench_figure up_one_script_ms "$rm_" ms
bench_figure up_overhead_ratio "$(bench_ratio "$bm" "$rm_")" x
bench_target up_overhead_ratio "<=" 1.10
