#!/usr/bin/env bash
# tests/sim/faults.sh: the simulator's fault knobs (SMOLVM_SIM_HANG,
# SMOLVM_SIM_DELAY, SMOLVM_SIM_FAIL, a VM agent that never gets ready) and
# smolvm's own failures: image pull failure, a workload that cannot start,
# a bare machine's synchronous workload.
. "$(dirname "$0")/../lib.sh"
t_need_root

unset SMOLVM_SIM_HANG SMOLVM_SIM_DELAY SMOLVM_SIM_FAIL SMOLVM_SIM_READY_TIMEOUT
# sim_begin, the leftover checks and run()
. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin docker

now_ms() { echo $(($(date +%s%N) / 1000000)); }
state() {
	"$SMOLVM" machine status --name "$1" --json 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["state"])'
}
vmm_count() { # VMM processes of this test's home
	local n=0 p
	for p in $(pgrep -f "_sim-vmm $SMOLVM_SIM_HOME/" 2>/dev/null); do
		[ -n "$(ps -o stat= -p "$p" | grep -v Z)" ] && n=$((n + 1))
	done
	echo $n
}

printf '%s\n' 'image = "bottle-demo-vm:latest"' 'cmd = ["sleep", "100000"]' \
	'[network]' 'allow_cidrs = ["10.213.250.2/32"]' >"$TMP/Smolfile"
"$SMOLVM" machine create m1 -s "$TMP/Smolfile" >/dev/null
note_uids

# hang VERB CMD...: the command hangs, and dies promptly on SIGTERM.
hang() {
	local verb=$1 pid t0 rc
	shift
	SMOLVM_SIM_HANG=$verb "$@" >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep 0.6
	if kill -0 $pid 2>/dev/null; then
		t_ok "SMOLVM_SIM_HANG=$verb: $* hangs"
	else
		t_fail "SMOLVM_SIM_HANG=$verb: $* hangs"
	fi
	t0=$(now_ms)
	kill -TERM $pid
	wait $pid
	rc=$?
	t_eq "SMOLVM_SIM_HANG=$verb: SIGTERM kills it (exit 143)" 143 "$rc"
	t_check "SMOLVM_SIM_HANG=$verb: dies at once" test $(($(now_ms) - t0)) -lt 1000
}
hang ls "$SMOLVM" machine ls --json
hang status "$SMOLVM" machine status --name m1 --json
hang create "$SMOLVM" machine create m2 -s "$TMP/Smolfile"
t_eq "a hung create created nothing" "vm not found" \
	"$("$SMOLVM" machine status --name m2 2>&1 | sed -n 's/^Error: \(vm not found\).*/\1/p')"
hang start "$SMOLVM" machine start --name m1
t_eq "a hung start started nothing" created "$(state m1)"
t_eq "a hung start left no VMM" 0 "$(vmm_count)"
hang version "$SMOLVM" --version

run "$SMOLVM" machine start --name m1
t_eq "start works without the knob" 0 "$RC"
hang exec "$SMOLVM" machine exec --name m1 -- true
hang stop "$SMOLVM" machine stop --name m1
t_eq "a hung stop stopped nothing" running "$(state m1)"

# --- delays ---
t0=$(now_ms)
SMOLVM_SIM_DELAY=ls:0.2,status:0.7 "$SMOLVM" machine status --name m1 --json >/dev/null
ms=$(($(now_ms) - t0))
t_check "SMOLVM_SIM_DELAY=status:0.7 slows status (${ms} ms)" test "$ms" -ge 700
t0=$(now_ms)
SMOLVM_SIM_DELAY=status:5 "$SMOLVM" machine ls --json >/dev/null
ms=$(($(now_ms) - t0))
t_check "SMOLVM_SIM_DELAY=status:5 does not slow ls (${ms} ms)" test "$ms" -lt 2000

# --- failures ---
SMOLVM_SIM_FAIL="exec" run "$SMOLVM" machine exec --name m1 -- true
t_eq "SMOLVM_SIM_FAIL=exec: exit 1" 1 "$RC"
t_eq "SMOLVM_SIM_FAIL=exec: message" "Error: simulated failure" "$ERR"
SMOLVM_SIM_FAIL=stop,create run "$SMOLVM" machine stop --name m1
t_eq "SMOLVM_SIM_FAIL=stop,create: stop fails" "1 Error: simulated failure" "$RC $ERR"
t_eq "the machine is still running" running "$(state m1)"
SMOLVM_SIM_FAIL=create run "$SMOLVM" machine create m3 -s "$TMP/Smolfile"
t_eq "SMOLVM_SIM_FAIL=create: exit 1" 1 "$RC"
t_eq "SMOLVM_SIM_FAIL=create: nothing created" 1 \
	"$("$SMOLVM" machine ls --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"
run "$SMOLVM" machine stop --name m1
t_eq "stop works without the knob" 0 "$RC"

# --- an agent that never gets ready ---
t0=$(now_ms)
SMOLVM_SIM_HANG=boot SMOLVM_SIM_READY_TIMEOUT=1 run "$SMOLVM" machine start --name m1
ms=$(($(now_ms) - t0))
t_eq "agent never ready: exit 1" 1 "$RC"
t_eq "agent never ready: smolvm's message" \
	"Error: agent operation failed: start machine: agent operation failed: wait for ready: agent did not become ready within 1 seconds" \
	"$(printf '%s\n' "$ERR" | grep '^Error')"
t_check "agent never ready: bounded by the timeout (${ms} ms)" test "$ms" -lt 4000
t_eq "agent never ready: no VMM left" 0 "$(vmm_count)"
t_eq "agent never ready: machine not running" stopped "$(state m1)"
u=$(echo $OUR_UIDS)
t_eq "agent never ready: no chain left" 0 "$(iptables -S | grep -c "SMOLSIM-$u")"

# --- an interrupted start takes its VM down (smolvm's SIGINT guard) ---
SMOLVM_SIM_HANG=boot "$SMOLVM" machine start --name m1 >/dev/null 2>&1 &
spid=$!
t_wait_for 5 eval '[ "$(vmm_count)" = 1 ]'
t_eq "interrupted start: the VMM was booting" 1 "$(vmm_count)"
kill -TERM $spid
wait $spid
t_eq "interrupted start: start dies by SIGTERM" 143 "$?"
t_eq "interrupted start: no VMM left" 0 "$(vmm_count)"
t_eq "interrupted start: no chain left" 0 "$(iptables -S | grep -c "SMOLSIM-$u")"
run "$SMOLVM" machine start --name m1
t_eq "start after an interrupted start works" 0 "$RC"
t_eq "and boots exactly one VMM" 1 "$(vmm_count)"
"$SMOLVM" machine stop --name m1 >/dev/null

# --- the rootfs copy fallback (no overlayfs) ---
printf '%s\n' 'image = "bottle-demo-vm:latest"' >"$TMP/Smolfile.copy"
"$SMOLVM" machine create cp1 -s "$TMP/Smolfile.copy" >/dev/null
note_uids
SMOLVM_SIM_ROOTFS=copy run "$SMOLVM" machine start --name cp1
t_eq "SMOLVM_SIM_ROOTFS=copy: start works" 0 "$RC"
t_check "SMOLVM_SIM_ROOTFS=copy: console says copy" grep -q "rootfs: copy" "$("$SMOLVM" machine data-dir cp1)/agent-console.log"
t_eq "SMOLVM_SIM_ROOTFS=copy: exec works" "/bin/busybox" "$("$SMOLVM" machine exec --name cp1 -- which busybox)"
"$SMOLVM" machine stop --name cp1 >/dev/null
"$SMOLVM" machine delete cp1 -f >/dev/null

# --- image pull failure ---
printf '%s\n' 'image = "bottle-sim-no-such-image:latest"' >"$TMP/Smolfile.nope"
"$SMOLVM" machine create nope -s "$TMP/Smolfile.nope" >/dev/null
note_uids
run "$SMOLVM" machine start --name nope
t_eq "missing image: exit 1" 1 "$RC"
t_match "missing image: pull failure message" \
	"^Error: agent operation failed: pull image: failed to pull image 'bottle-sim-no-such-image:latest': " \
	"$(printf '%s\n' "$ERR" | grep '^Error')"
t_eq "missing image: state stays created" created "$(state nope)"
t_eq "missing image: no VMM left" 0 "$(vmm_count)"

# --- a workload that cannot start ---
printf '%s\n' 'image = "bottle-demo-vm:latest"' 'cmd = ["/no/such/binary"]' >"$TMP/Smolfile.bad"
"$SMOLVM" machine create badcmd -s "$TMP/Smolfile.bad" >/dev/null
note_uids
run "$SMOLVM" machine start --name badcmd
t_eq "unstartable workload: exit 1" 1 "$RC"
t_match "unstartable workload: message" "^Error: agent operation failed: start machine: start background CMD: " \
	"$(printf '%s\n' "$ERR" | grep '^Error')"
t_eq "unstartable workload: no VMM left" 0 "$(vmm_count)"

# --- a bare machine (no image) runs its workload synchronously ---
printf '%s\n' 'cmd = ["sh", "-c", "echo bare-out; echo bare-err >&2; exit 3"]' >"$TMP/Smolfile.bare"
"$SMOLVM" machine create bare -s "$TMP/Smolfile.bare" >/dev/null
note_uids
run "$SMOLVM" machine start --name bare
t_eq "bare machine: start exits 0" 0 "$RC"
t_match "bare machine: workload output first, then running" "^bare-out
Machine 'bare' running \\(PID: [0-9]+\\)\$" "$OUT"
t_match "bare machine: workload exit code reported" "workload exited with code 3" "$ERR"
t_eq "bare machine: exec works; hostname is the machine name" "bare" "$("$SMOLVM" machine exec --name bare -- hostname)"
t_eq "bare machine: image is null" null \
	"$("$SMOLVM" machine status --name bare --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["image"]))')"
"$SMOLVM" machine stop --name bare >/dev/null

for m in m1 nope badcmd bare; do "$SMOLVM" machine delete $m -f >/dev/null; done
t_cleanup
check_leftovers
