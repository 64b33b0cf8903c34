#!/usr/bin/env bash
# tests/bench/refresh_subprocs.sh: (c) subprocesses per refresh (`bottle
# ls`) with 1, 20 and 100 configured bottles, 3 of them up. docker and
# smolvm are counting shims (BOTTLE_DOCKER / BOTTLE_SMOLVM, config
# "vmm": "smolvm") that log their argv and exec the real docker and the
# simulator. The three counts must be equal. Also prints each `ls`'s
# wall time and the commands it ran.
set -u
. "$(dirname "$0")/lib-bench.bash"
BENCH_POOL=10.214.32.0/22
UP=3
mapfile -t ALL < <(bench_names br 100)
bench_world refresh "${ALL[@]}"

mkdir -p "$BW/shim"
cat >"$BW/shim/docker" <<SHIM
#!/bin/sh
echo "docker \$*" >>"$BW/count"
exec "$(command -v docker)" "\$@"
SHIM
cat >"$BW/shim/smolvm" <<SHIM
#!/bin/sh
echo "smolvm \$*" >>"$BW/count"
exec "$SMOLVM_SIM" "\$@"
SHIM
chmod +x "$BW/shim/docker" "$BW/shim/smolvm"

BENCH_VMM=smolvm
for k in 1 20 100; do
	bench_config "$BW/ls$k.json" "${ALL[@]:0:k}"
done

echo "bringing $UP bottles up: ${ALL[*]:0:UP}"
bottle up "${ALL[@]:0:UP}" >/dev/null 2>"$BW/up.err" </dev/null ||
	bench_die "up: $(bench_errors "$BW/up.err")"

# count_ls K: runs `bottle ls` with K configured bottles through the shims;
# sets COUNT and LS_MS
count_ls() {
	local t0 t1
	: >"$BW/count"
	t0=$(bench_now_ms)
	BOTTLE_DOCKER=$BW/shim/docker BOTTLE_SMOLVM=$BW/shim/smolvm \
		"$BOTTLE" -c "$BW/ls$1.json" ls >"$BW/ls$1.out" 2>"$BW/ls$1.err" </dev/null ||
		bench_die "ls with $1 bottles failed: $(tail -3 "$BW/ls$1.err")"
	t1=$(bench_now_ms)
	LS_MS=$((t1 - t0))
	COUNT=$(wc -l <"$BW/count")
	cp "$BW/count" "$BW/count$1"
}

declare -A counts ms
for k in 1 20 100; do
	count_ls "$k"
	counts[$k]=$COUNT
	ms[$k]=$LS_MS
	rows=$(grep -c '^br' "$BW/ls$k.out")
	echo "ls with $k configured bottles ($UP up): $COUNT subprocesses, $LS_MS ms, $rows rows"
done
echo "commands of one refresh (100 bottles):"
sed 's/^/  /' "$BW/count100"
equal=no
[ "${counts[1]}" = "${counts[20]}" ] && [ "${counts[20]}" = "${counts[100]}" ] && equal=yes
echo "subprocesses per refresh: 1 -> ${counts[1]}, 20 -> ${counts[20]}, 100 -> ${counts[100]}; equal: $equal"
if [ $equal = no ]; then
	echo "the commands that differ (1 vs 100 bottles):"
	diff "$BW/count1" "$BW/count100" | sed 's/^/  /' | head -20
fi

bottle rm "${ALL[@]:0:UP}" >/dev/null 2>"$BW/rm.err" </dev/null ||
	bench_die "rm: $(bench_errors "$BW/rm.err")"

for k in 1 20 100; do
	bench_figure "refresh_subprocs_$k" "${counts[$k]}" procs
done
bench_figure refresh_subprocs_equal "$equal" -
bench_target refresh_subprocs_equal == yes
for k in 1 20 100; do
	bench_figure "refresh_ls_${k}_ms" "${ms[$k]}" ms
done
