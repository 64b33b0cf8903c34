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
RAW_SUBNET=10.214.0.240/28
RAW_GW=10.214.0.241
RAW_IP=10.214.0.242
BENCH_CONTAINERS+=("$RAW-bundle")
BENCH_NETWORKS+=("$RAW")
mkdir -p "$BW/raw"

# raw_up: what a careful shell script does to bring one bottle up; prints
# each step's milliseconds on fd 3.
raw_up() {
	local t0 t s
	t0=$(bench_now_ms)
	t=$t0
	step() {
		local now
		now=$(bench_now_ms)
		echo "$1 $((now - t))" >&3
		t=$now
	}
	docker network create --driver bridge --subnet "$RAW_SUBNET" --gateway "$RAW_GW" \
		--label dev.bottle.bench=1 --label dev.bottle.bench-name=raw "$RAW" >/dev/null || return 1
	step network
	docker run -d --name "$RAW-bundle" --network "$RAW" --ip "$RAW_IP" \
		--label dev.bottle.bench=1 --label dev.bottle.bench-name=raw --restart no \
		-e BOTTLE_EGRESS_LISTEN=127.0.0.1:9099 -e BOTTLE_GIT_GATE_LISTEN=0.0.0.0:9418 \
		-e BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888 -e BOTTLE_SUPERVISE_LISTEN=0.0.0.0:7070 \
		bottle-demo-bundle:latest >/dev/null || return 1
	step bundle
	for ((s = 0; s < 300; s++)); do
		curl -fsS -m 3 -o /dev/null "http://$RAW_IP:8888/health" 2>/dev/null &&
			curl -fsS -m 3 -o /dev/null "http://$RAW_IP:9418/health" 2>/dev/null &&
			curl -fsS -m 3 -o /dev/null "http://$RAW_IP:7070/health" 2>/dev/null && break
		sleep 0.1
	done
	[ "$s" -lt 300 ] || return 1
	step bundle-health
	cat >"$BW/raw/Smolfile" <<EOF
image = "bottle-demo-vm:latest"
cmd = ["/bin/sh", "-c", "echo agent ready; while :; do sleep 3600; done"]
env = ["HTTPS_PROXY=http://$RAW_IP:8888", "HTTP_PROXY=http://$RAW_IP:8888", "http_proxy=http://$RAW_IP:8888", "https_proxy=http://$RAW_IP:8888"]
cpus = 1
memory = 256
volumes = ["$BENCH_ROOT/build/helper:/opt/bottle:ro"]

[network]
allow_cidrs = ["$RAW_IP/32"]
EOF
	step smolfile
	"$SMOLVM_SIM" machine create "$RAW" -s "$BW/raw/Smolfile" >/dev/null 2>>"$BW/raw/err" || return 1
	step vm-create
	"$SMOLVM_SIM" machine start --name "$RAW" >/dev/null 2>>"$BW/raw/err" || return 1
	step vm-start
	local x="$SMOLVM_SIM machine exec --name $RAW --timeout 5s --"
	$x sh -c 'exit 42' >/dev/null 2>&1 &
	$x /opt/bottle/bottle-probe connect "$RAW_IP" 8888 3000 >/dev/null 2>&1 &
	$x /opt/bottle/bottle-probe connect "$RAW_IP" 9099 3000 >/dev/null 2>&1 &
	$x /opt/bottle/bottle-probe connect 127.0.0.1 9 3000 >/dev/null 2>&1 &
	wait
	step probe
}

raw_down() {
	"$SMOLVM_SIM" machine stop --name "$RAW" >/dev/null 2>&1
	"$SMOLVM_SIM" machine delete "$RAW" -f >/dev/null 2>&1
	docker rm -f "$RAW-bundle" >/dev/null 2>&1
	docker network rm "$RAW" >/dev/null 2>&1
	return 0
}

echo "warm-up (untimed): the simulator's first start exports the VM image"
raw_up 3>/dev/null || bench_die "warm-up: the raw script's up failed: $(tail -3 "$BW/raw/err" 2>/dev/null)"
raw_down

bottle_ms=()
raw_ms=()
declare -A raw_step bottle_step
for ((i = 1; i <= N; i++)); do
	t0=$(bench_now_ms)
	raw_up 3>"$BW/raw-steps" || bench_die "run $i: the raw script's up failed: $(tail -3 "$BW/raw/err" 2>/dev/null)"
	t1=$(bench_now_ms)
	raw_ms+=($((t1 - t0)))
	while read -r s d; do raw_step[$s]+="$d "; done <"$BW/raw-steps"
	raw_down

	t0=$(bench_now_ms)
	bottle up bo1 >"$BW/up.out" 2>"$BW/up.err" </dev/null ||
		bench_die "run $i: bottle up bo1 failed: $(tail -3 "$BW/up.err")"
	t1=$(bench_now_ms)
	bottle_ms+=($((t1 - t0)))
	while read -r s d; do bottle_step[$s]+="$d "; done < <(bench_up_steps "$BOTTLE_STATE_DIR/bo1/events.log")
	bottle rm bo1 >/dev/null 2>"$BW/rm.err" </dev/null ||
		bench_die "run $i: bottle rm bo1 failed: $(tail -3 "$BW/rm.err")"
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
echo
echo "up of one bottle: bottle $bm ms, plain script $rm_ ms (medians of $N)"
bench_figure up_one_bottle_ms "$bm" ms
bench_figure up_one_script_ms "$rm_" ms
bench_figure up_overhead_ratio "$(bench_ratio "$bm" "$rm_")" x
bench_target up_overhead_ratio "<=" 1.10
