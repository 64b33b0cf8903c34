#!/usr/bin/env bash
# tests/bench/up_parallel.sh: (b) `bottle up --all` of 20 bottles and of 5
# bottles against `bottle up` of one (the median of BENCH_N, default 3),
# all in one process each, after one untimed warm-up. Prints both ratios
# and, for 5 and 20, each step's median and worst time across the bottles
# (from their events.log), to show which step queues up. The baseline of
# what this machine can do in parallel: the plain shell script of
# up_overhead.sh (bench_raw_up) run for 1 (median of BENCH_N), 5 and 20
# bottles at once, with its own ratios; and the floor: docker's part of
# `up` alone (network create + docker run of the bundle, nothing else) for
# 1 and for 20 at once, against bottle's whole up of one. While the 20
# bottles come up, the whole machine's CPU use (/proc/stat) shows whether
# it was saturated.
# bench-timeout: 300
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.16.0/22
N=${BENCH_N:-3}
mapfile -t ALL < <(bench_names bp 20)
mapfile -t RAW < <(bench_names bench-raw 20)
bench_world parallel "${ALL[@]}"
bench_raw_register "${RAW[@]}"
bench_config "$BW/one.json" bp01
bench_config "$BW/five.json" "${ALL[@]:0:5}"

# up_timed CONFIG COUNT ARGS...: `bottle up ARGS` with CONFIG, which must
# leave COUNT bottles healthy; sets UP_MS and UP_CPU_MS
up_timed() {
	local cfg=$1 count=$2 t0 t1 c0 healthy
	shift 2
	bench_cpu
	c0=$CPU_MS
	t0=$(bench_now_ms)
	"$BOTTLE" -c "$cfg" up "$@" >"$BW/up.out" 2>"$BW/up.err" </dev/null ||
		bench_die "up $* ($count): failed: $(bench_errors "$BW/up.err")"
	t1=$(bench_now_ms)
	UP_MS=$((t1 - t0))
	bench_cpu
	UP_CPU_MS=$((CPU_MS - c0))
	healthy=$(grep -c ': healthy$' "$BW/up.out")
	[ "$healthy" = "$count" ] ||
		bench_die "up $*: $healthy of $count bottles healthy, yet exit 0:" \
			"$(grep -v ': healthy$' "$BW/up.out" | head -5)"
}

rm_all() {
	bottle rm "$@" >/dev/null 2>"$BW/rm.err" </dev/null ||
		bench_die "rm $*: failed: $(bench_errors "$BW/rm.err")"
}

# step_table WALL_MS NAME...: each step's median and worst across the
# bottles NAME... of the last `up`
step_table() {
	local wall=$1 n s d first='' last=0 execs=0 worst
	shift
	local -A st=()
	for n in "$@"; do
		while read -r s d; do
			case $s in
			at-start) [ -n "$first" ] && [ "$first" -le "$d" ] || first=$d ;;
			at-done) [ "$d" -le "$last" ] || last=$d ;;
			execs) execs=$((execs + d)) ;;
			*) st[$s]+="$d " ;;
			esac
		done < <(bench_up_steps "$BOTTLE_STATE_DIR/$n/events.log")
	done
	echo "  $# bottles: per step across bottles (ms)   median   worst"
	for s in allocate network bundle bundle-health smolfile vm-create vm-start probe core; do
		[ -n "${st[$s]:-}" ] || continue
		worst=$(printf '%s\n' ${st[$s]} | sort -n | tail -1)
		printf '    %-40s %6s %7s\n' "$s" "$(bench_median ${st[$s]})" "$worst"
	done
	printf '    %-40s %6s\n' "first up start to last up done" "$((last - first))"
	printf '    %-40s %6s\n' "process wall time" "$wall"
	printf '    %-40s %6s\n' "smolvm execs (the script: 4 per bottle)" "$execs"
}

# raw_net I: the /28 of the script's bottle I (0-based), from 10.214.18.0
raw_net() {
	echo "10.214.$((18 + $1 * 16 / 256)).$(($1 * 16 % 256))"
}

# raw_parallel COUNT [LAST_STEP]: the plain script for COUNT bottles at
# once (up to LAST_STEP: bundle is docker's part alone); sets UP_MS and
# UP_CPU_MS; tears them down (untimed)
raw_parallel() {
	local i t0 t1 c0 pids=() bad=
	bench_cpu
	c0=$CPU_MS
	t0=$(bench_now_ms)
	for ((i = 0; i < $1; i++)); do
		bench_raw_up "${RAW[$i]}" "$(raw_net "$i")" "${2:-}" &
		pids+=($!)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || bad+=" ${RAW[$i]}"
	done
	t1=$(bench_now_ms)
	UP_MS=$((t1 - t0))
	bench_cpu
	UP_CPU_MS=$((CPU_MS - c0))
	for ((i = 0; i < $1; i++)); do bench_raw_down "${RAW[$i]}" & done
	wait
	[ -z "$bad" ] || bench_die "the script's up failed for$bad: $(bench_raw_err "${bad##* }")"
}

echo "warm-up (untimed): the simulator's first start exports the VM image"
up_timed "$BW/one.json" 1 bp01
rm_all bp01

one=()
for ((i = 1; i <= N; i++)); do
	up_timed "$BW/one.json" 1 bp01
	one+=("$UP_MS")
	[ "$i" -lt "$N" ] || step_table "$UP_MS" bp01
	rm_all bp01
done
one_ms=$(bench_median "${one[@]}")
echo "up of 1: ${one[*]} ms (median $one_ms)"

raw_one=()
for ((i = 1; i <= N; i++)); do
	raw_parallel 1
	raw_one+=("$UP_MS")
done
raw_one_ms=$(bench_median "${raw_one[@]}")
raw_parallel 5
raw_five_ms=$UP_MS
raw_parallel 20
raw_twenty_ms=$UP_MS
raw_twenty_cpu=$UP_CPU_MS
echo "plain script: 1 bottle ${raw_one[*]} ms (median $raw_one_ms), 5 at once $raw_five_ms ms, 20 at once $raw_twenty_ms ms"

dock_one=()
for ((i = 1; i <= N; i++)); do
	raw_parallel 1 bundle
	dock_one+=("$UP_MS")
done
dock_one_ms=$(bench_median "${dock_one[@]}")
raw_parallel 20 bundle
dock_twenty_ms=$UP_MS
echo "docker alone (network create + docker run, no health wait, no VM):" \
	"1: ${dock_one[*]} ms (median $dock_one_ms); 20 at once: $dock_twenty_ms ms"

up_timed "$BW/five.json" 5 --all
five_ms=$UP_MS
echo "up --all of 5: $five_ms ms"
step_table "$five_ms" "${ALL[@]:0:5}"
rm_all "${ALL[@]:0:5}"

bench_machine_cpu
mb0=$MACH_BUSY_MS
ma0=$MACH_ALL_MS
up_timed "$CFG" 20 --all
twenty_ms=$UP_MS
twenty_cpu=$UP_CPU_MS
bench_machine_cpu
mach_busy=$(awk -v b=$((MACH_BUSY_MS - mb0)) -v a=$((MACH_ALL_MS - ma0)) \
	'BEGIN { if (a > 0) printf "%.0f\n", 100 * b / a; else print 0 }')
echo "up --all of 20: $twenty_ms ms; the machine's CPUs were ${mach_busy}% busy" \
	"($((MACH_BUSY_MS - mb0)) ms of CPU, everything counted: dockerd, containers, simulator)"
step_table "$twenty_ms" "${ALL[@]}"
rm_all "${ALL[@]}"

echo
echo "bottle: up of 1: $one_ms ms; up --all of 5: $five_ms ms; up --all of 20: $twenty_ms ms"
echo "plain script: 1: $raw_one_ms ms; 5 at once: $raw_five_ms ms; 20 at once: $raw_twenty_ms ms"
echo "docker alone: 1: $dock_one_ms ms; 20 at once: $dock_twenty_ms ms" \
	"($(bench_ratio "$dock_twenty_ms" "$one_ms")x bottle's whole up of one)"
echo "CPU for 20 (user + system of the commands, not of dockerd or the VM" \
	"supervisors): bottle $twenty_cpu ms, script $raw_twenty_cpu ms, on $(nproc) CPUs"
bench_figure up_1_ms "$one_ms" ms
bench_figure up_all_5_ms "$five_ms" ms
bench_figure up_all_20_ms "$twenty_ms" ms
bench_figure up_parallel_5_ratio "$(bench_ratio "$five_ms" "$one_ms")" x
bench_target up_parallel_5_ratio "<=" 2.5
bench_figure up_parallel_20_ratio "$(bench_ratio "$twenty_ms" "$one_ms")" x
bench_target up_parallel_20_ratio "<=" 3
bench_figure up_script_1_ms "$raw_one_ms" ms
bench_figure up_script_5_ms "$raw_five_ms" ms
bench_figure up_script_20_ms "$raw_twenty_ms" ms
bench_figure up_script_parallel_5_ratio "$(bench_ratio "$raw_five_ms" "$raw_one_ms")" x
bench_figure up_script_parallel_20_ratio "$(bench_ratio "$raw_twenty_ms" "$raw_one_ms")" x
bench_figure up_all_20_vs_script_ratio "$(bench_ratio "$twenty_ms" "$raw_twenty_ms")" x
bench_figure up_all_20_cpu_ms "$twenty_cpu" ms
bench_figure up_all_20_machine_busy "$mach_busy" %
bench_figure up_docker_only_1_ms "$dock_one_ms" ms
bench_figure up_docker_only_20_ms "$dock_twenty_ms" ms
# the lowest 20-bottle ratio this machine allows: docker's part alone for
# 20, against bottle's whole up of one
bench_figure up_parallel_20_floor_ratio "$(bench_ratio "$dock_twenty_ms" "$one_ms")" x
bench_figure up_script_20_cpu_ms "$raw_twenty_cpu" ms
