#!/usr/bin/env bash
# tests/bench/probe_parallel.sh: (issue 4) a probe run for 10 bottles at
# once against one bottle's. With 10 bottles up, times `bottle probe bq01`
# alone, then 10 `bottle probe` processes started together (one per
# bottle: the CLI probes one bottle per call), each the median of
# BENCH_N (default 3). Also prints the execs one probe run costs and the
# probe step of `up` of 1 against `up --all` of 10 (one process, from
# events.log). The floor: the simulator alone running a probe run's two
# execs (exit 42, and bottle-probe connecting to the bundle) for one
# bottle, and for the ten at once.
# bench-timeout: 300
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.48.0/22
N=${BENCH_N:-3}
mapfile -t ALL < <(bench_names bq 10)
bench_world probe "${ALL[@]}"

fail_with() {
	bench_die "$1: $(bench_errors "$2")"
}

# probe_step NAME: the probe step's ms in NAME's last `up`
probe_step() {
	bench_up_steps "$BOTTLE_STATE_DIR/$1/events.log" | awk '$1 == "probe" { print $2 }'
}

echo "up of bq01 alone (also warms the simulator's image cache)"
bottle up bq01 >/dev/null 2>"$BW/up.err" </dev/null || fail_with "up bq01" "$BW/up.err"
solo_step=$(probe_step bq01)
echo "up --all of the other 9"
bottle up "${ALL[@]:1}" >"$BW/up.out" 2>"$BW/up.err" </dev/null || fail_with "up --all" "$BW/up.err"
steps=()
for n in "${ALL[@]:1}"; do steps+=("$(probe_step "$n")"); done
worst=$(printf '%s\n' "${steps[@]}" | sort -n | tail -1)
echo "probe step inside up: 1 bottle $solo_step ms; 9 at once: median $(bench_median "${steps[@]}") ms, worst $worst ms"

execs() { grep -c 'command: .* machine exec ' "$BOTTLE_STATE_DIR/bq01/events.log"; }

one=()
bench_cpu
c0=$CPU_MS
for ((i = 1; i <= N; i++)); do
	before=$(execs)
	t0=$(bench_now_ms)
	bottle probe bq01 >"$BW/probe.out" 2>"$BW/probe.err" </dev/null ||
		fail_with "probe bq01 (run $i)" "$BW/probe.err"
	t1=$(bench_now_ms)
	one+=($((t1 - t0)))
done
bench_cpu
one_cpu=$(((CPU_MS - c0) / N))
per_run=$(($(execs) - before))
echo "probe of 1 bottle (9 others up): ${one[*]} ms; $per_run smolvm execs per run"
sed 's/^/  /' "$BW/probe.out"

ten=()
bench_cpu
c0=$CPU_MS
for ((i = 1; i <= N; i++)); do
	pids=()
	t0=$(bench_now_ms)
	for n in "${ALL[@]}"; do
		bottle probe "$n" >"$BW/probe-$n.out" 2>"$BW/probe-$n.err" </dev/null &
		pids+=($!)
	done
	bad=
	for j in "${!pids[@]}"; do
		wait "${pids[$j]}" || bad+=" ${ALL[$j]}"
	done
	t1=$(bench_now_ms)
	[ -z "$bad" ] || bench_die "probe run $i: failed for$bad: $(tail -3 "$BW/probe-${bad##* }.err")"
	ten+=($((t1 - t0)))
done
bench_cpu
ten_cpu=$(((CPU_MS - c0) / N))
echo "10 probes at once: ${ten[*]} ms"
echo "CPU per probe run (user + system of bottle, its smolvm execs, not of" \
	"dockerd or the VM supervisors): 1 bottle $one_cpu ms, 10 at once $ten_cpu ms, on $(nproc) CPUs"

# the same ten runs from one process: `bottle probe NAME...`
one_proc=()
for ((i = 1; i <= N; i++)); do
	t0=$(bench_now_ms)
	bottle probe "${ALL[@]}" >"$BW/probe-all.out" 2>"$BW/probe-all.err" </dev/null ||
		fail_with "probe of all ten (run $i)" "$BW/probe-all.err"
	t1=$(bench_now_ms)
	one_proc+=($((t1 - t0)))
done
echo "10 bottles in one bottle probe process: ${one_proc[*]} ms"

# sim_execs NAME...: one probe run's two execs for each bottle, all at
# once, straight through the simulator; sets SIM_MS
declare -A bundle_ip
while read -r n ip; do bundle_ip[$n]=$ip; done < <(python3 -c 'import json, sys
for n, b in json.load(open(sys.argv[1]))["bottles"].items():
    print(n, b.get("bundle_ip"))' "$BOTTLE_STATE_DIR/state.json")
sim_execs() {
	local n t0 pids=() want=() i x bad=
	t0=$(bench_now_ms)
	for n in "$@"; do
		x="$SMOLVM_SIM machine exec --name bottle-$n --timeout 5s --"
		$x sh -c 'exit 42' >/dev/null 2>&1 &
		pids+=($!)
		want+=(42)
		$x /opt/bottle/bottle-probe connect "${bundle_ip[$n]}" 8888 3000 >/dev/null 2>&1 &
		pids+=($!)
		want+=(0)
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}"
		[ $? = "${want[$i]}" ] || bad=1
	done
	SIM_MS=$(($(bench_now_ms) - t0))
	[ -z "$bad" ] || bench_die "the simulator's execs did not give 42 and 0 (a floor would be wrong)"
}
sim_one=()
sim_ten=()
for ((i = 1; i <= N; i++)); do
	sim_execs bq01
	sim_one+=("$SIM_MS")
	sim_execs "${ALL[@]}"
	sim_ten+=("$SIM_MS")
done
sim_one_ms=$(bench_median "${sim_one[@]}")
sim_ten_ms=$(bench_median "${sim_ten[@]}")
echo "the simulator alone, a probe run's 2 execs: 1 bottle ${sim_one[*]} ms," \
	"10 bottles at once ${sim_ten[*]} ms"

one_ms=$(bench_median "${one[@]}")
ten_ms=$(bench_median "${ten[@]}")
ten1_ms=$(bench_median "${one_proc[@]}")
bottle rm "${ALL[@]}" >/dev/null 2>"$BW/rm.err" </dev/null || fail_with "rm" "$BW/rm.err"

echo "probe run: 1 bottle $one_ms ms; 10 bottles in one process $ten1_ms ms;" \
	"10 separate processes at once $ten_ms ms (medians of $N)"
bench_figure probe_1_ms "$one_ms" ms
bench_figure probe_10_ms "$ten_ms" ms
bench_figure probe_10_one_process_ms "$ten1_ms" ms
bench_figure probe_parallel_10_ratio "$(bench_ratio "$ten1_ms" "$one_ms")" x
bench_target probe_parallel_10_ratio "<=" 2
bench_figure probe_10_processes_ratio "$(bench_ratio "$ten_ms" "$one_ms")" x
bench_figure probe_execs_per_run "$per_run" execs
bench_figure probe_1_cpu_ms "$one_cpu" ms
bench_figure probe_10_cpu_ms "$ten_cpu" ms
bench_figure probe_sim_execs_1_ms "$sim_one_ms" ms
bench_figure probe_sim_execs_10_ms "$sim_ten_ms" ms
# the lowest ratio the simulator allows: its execs alone for ten bottles
# against bottle's whole probe run of one
bench_figure probe_parallel_10_floor_ratio "$(bench_ratio "$sim_ten_ms" "$one_ms")" x
