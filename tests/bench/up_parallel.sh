#!/usr/bin/env bash
# tests/bench/up_parallel.sh: (b) `bottle up --all` of 20 bottles and of 5
# bottles against `bottle up` of one (the median of BENCH_N, default 3),
# all in one process each, after one untimed warm-up. Prints both ratios
# and, for 5 and 20, each step's median and worst time across the bottles
# (from their events.log), to show which step queues up.
# bench-timeout: 300
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.16.0/22
N=${BENCH_N:-3}
mapfile -t ALL < <(bench_names bp 20)
bench_world parallel "${ALL[@]}"
bench_config "$BW/one.json" bp01
bench_config "$BW/five.json" "${ALL[@]:0:5}"

# up_timed CONFIG COUNT ARGS...: `bottle up ARGS` with CONFIG, which must
# leave COUNT bottles healthy; sets UP_MS
up_timed() {
	local cfg=$1 count=$2 t0 t1 healthy
	shift 2
	t0=$(bench_now_ms)
	"$BOTTLE" -c "$cfg" up "$@" >"$BW/up.out" 2>"$BW/up.err" </dev/null ||
		bench_die "up $* ($count): failed: $(grep -v ': up: ' "$BW/up.err" | tail -5)"
	t1=$(bench_now_ms)
	UP_MS=$((t1 - t0))
	healthy=$(grep -c ': healthy$' "$BW/up.out")
	[ "$healthy" = "$count" ] ||
		bench_die "up $*: $healthy of $count bottles healthy, yet exit 0:" \
			"$(grep -v ': healthy$' "$BW/up.out" | head -5)"
}

rm_all() {
	bottle rm "$@" >/dev/null 2>"$BW/rm.err" </dev/null ||
		bench_die "rm $*: failed: $(tail -5 "$BW/rm.err")"
}

# step_table WALL_MS NAME...: each step's median and worst across the
# bottles NAME... of the last `up`
step_table() {
	local wall=$1 n s d first= last=0 worst
	shift
	local -A st=()
	for n in "$@"; do
		while read -r s d; do
			case $s in
			at-start) [ -n "$first" ] && [ "$first" -le "$d" ] || first=$d ;;
			at-done) [ "$d" -le "$last" ] || last=$d ;;
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

up_timed "$BW/five.json" 5 --all
five_ms=$UP_MS
echo "up --all of 5: $five_ms ms"
step_table "$five_ms" "${ALL[@]:0:5}"
rm_all "${ALL[@]:0:5}"

up_timed "$CFG" 20 --all
twenty_ms=$UP_MS
echo "up --all of 20: $twenty_ms ms"
step_table "$twenty_ms" "${ALL[@]}"
rm_all "${ALL[@]}"

echo
echo "up of 1: $one_ms ms; up --all of 5: $five_ms ms; up --all of 20: $twenty_ms ms"
bench_figure up_1_ms "$one_ms" ms
bench_figure up_all_5_ms "$five_ms" ms
bench_figure up_all_20_ms "$twenty_ms" ms
bench_figure up_parallel_5_ratio "$(bench_ratio "$five_ms" "$one_ms")" x
bench_target up_parallel_5_ratio "<=" 2.5
bench_figure up_parallel_20_ratio "$(bench_ratio "$twenty_ms" "$one_ms")" x
bench_target up_parallel_20_ratio "<=" 3
