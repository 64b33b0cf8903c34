#!/usr/bin/env bash
# tests/sim/parallel.sh: many smolvm invocations at once (bottles starting
# together): parallel create/start/exec/stop/delete of 8 machines, distinct
# guest UIDs, racing creates of one name, racing starts of one machine.
. "$(dirname "$0")/../lib.sh"
t_need_root

# sim_begin, the leftover checks and run()
. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin docker

N=8
printf '%s\n' 'image = "bottle-demo-vm:latest"' 'cmd = ["sleep", "100000"]' \
	'[network]' 'allow_cidrs = ["10.213.250.2/32"]' >"$TMP/Smolfile"

# all_ok VERB: run VERB for machines 1..N at once; count the zero exits
all_ok() {
	local i pids=() ok=0
	for i in $(seq $N); do
		"$@" "p$i" >"$TMP/$1.$i.out" 2>&1 &
		pids+=($!)
	done
	for i in "${pids[@]}"; do wait "$i" && ok=$((ok + 1)); done
	echo $ok
}
create() { "$SMOLVM" machine create "$1" -s "$TMP/Smolfile"; }
start() { "$SMOLVM" machine start --name "$1"; }
stop() { "$SMOLVM" machine stop --name "$1"; }
delete() { "$SMOLVM" machine delete "$1" -f; }
uid_of() { "$SMOLVM" machine exec --name "$1" -- id -u; }

t_eq "$N parallel creates succeed" $N "$(all_ok create)"
note_uids
t_eq "$N distinct guest UIDs allocated" $N "$(printf '%s\n' $OUR_UIDS | sort -u | wc -l | tr -d ' ')"
t0=$(date +%s)
t_eq "$N parallel starts succeed" $N "$(all_ok start)"
t_diag "$N parallel starts took $(($(date +%s) - t0)) s"
states=$("$SMOLVM" machine ls --json | python3 -c 'import json,sys; print(" ".join(sorted(set(m["state"] for m in json.load(sys.stdin)))))')
t_eq "all running" running "$states"
t_eq "$N parallel execs succeed" $N "$(all_ok uid_of)"
t_eq "each machine runs as its own UID" $N "$(cat "$TMP"/uid_of.*.out | sort -u | wc -l | tr -d ' ')"
chains=0
for u in $OUR_UIDS; do chains=$((chains + $(iptables -S | grep -c "^-N SMOLSIM-$u\$"))); done
t_eq "one chain per machine" $N "$chains"

# racing on one machine
pids=()
for i in 1 2 3 4; do
	"$SMOLVM" machine create same -s "$TMP/Smolfile" >"$TMP/same.$i" 2>&1 &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
note_uids
t_eq "racing creates of one name: exactly one wins" 1 "$ok"
t_eq "racing creates: the others get already exists" 3 "$(cat "$TMP"/same.* | grep -c "machine 'same' already exists")"
pids=()
for i in 1 2 3; do
	"$SMOLVM" machine start --name same >"$TMP/ss.$i" 2>/dev/null &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
t_eq "racing starts of one machine all exit 0" 3 "$ok"
t_eq "racing starts: one boots, the others see it running" "1 2" \
	"$(grep -l "^Machine 'same' running (PID" "$TMP"/ss.* | wc -l | tr -d ' ') $(grep -l "already running" "$TMP"/ss.* | wc -l | tr -d ' ')"
t_eq "racing starts: one VMM" 1 "$(pgrep -fc "_sim-vmm $("$SMOLVM" machine data-dir same)\$")"
"$SMOLVM" machine stop --name same >/dev/null
"$SMOLVM" machine delete same -f >/dev/null

t_eq "$N parallel stops succeed" $N "$(all_ok stop)"
t_eq "no VMM left" 0 "$(pgrep -fc "_sim-vmm $SMOLVM_SIM_HOME/")"
t_eq "$N parallel deletes succeed" $N "$(all_ok delete)"
t_eq "no machine left" "[]" "$("$SMOLVM" machine ls --json)"
t_cleanup
check_leftovers
