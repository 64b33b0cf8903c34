#!/usr/bin/env bash
# tests/integration/fault_hung_smolvm.sh: smolvm hangs (the simulator's
# SMOLVM_SIM_HANG knob, and a wrapper that ignores SIGTERM and leaves a
# grandchild holding its pipes). bottle kills the command after its
# timeout (BOTTLE_TEST_SMOLVM_TIMEOUT_MS, a test hook, makes it 2 s),
# SIGTERM then SIGKILL; the step fails with a message naming the command
# and the timeout; no process of the hung command survives and bottle
# leaves no zombie; the failed up rolls back to nothing. A hung probe
# exec leaves the bottle unproven, never healthy.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 211 hs1

SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
TIMEOUT_MS=2000
export BOTTLE_TEST_SMOLVM_TIMEOUT_MS=$TIMEOUT_MS

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# marked_pids MARK: processes whose environment carries
# SMOLVM_SIM_FAULT_MARK=MARK (every descendant of a bottle run with it,
# reparented or not: smolvm gets an environment bottle builds from
# scratch, which keeps the simulator's SMOLVM_SIM_* knobs and nothing
# else of ours).
marked_pids() {
	grep -lzax "SMOLVM_SIM_FAULT_MARK=$1" /proc/[0-9]*/environ 2>/dev/null |
		sed 's|^/proc/\([0-9]*\)/environ$|\1|'
}

# leftovers MARK REGEX: marked processes whose command line matches REGEX,
# as "PID STAT ARGS" lines.
leftovers() {
	local pid args
	for pid in $(marked_pids "$1"); do
		args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || continue
		if printf '%s\n' "$args" | grep -Eq -- "$2"; then
			echo "$pid $(ps -o stat= -p "$pid" 2>/dev/null) $args"
		fi
	done
}

# reap_marked MARK: kill what a failed check left (ours by the mark only).
reap_marked() {
	local pid
	for pid in $(marked_pids "$1"); do
		case "$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)" in
		*"machine start"* | *"machine create"* | *"machine exec"* | "sleep 300"*)
			kill -9 "$pid" 2>/dev/null ;;
		esac
	done
}

# nothing_left LABEL: no network, bundle, VM or allocation of hs1.
nothing_left() {
	t_eq "$1: no network left" "" "$(docker network ls --filter name=^bottle-hs1$ -q)"
	t_eq "$1: no bundle left" "" "$(docker ps -a --filter name=^bottle-hs1-bundle$ -q)"
	t_eq "$1: no VM left" "[]" "$("$SMOLVM_SIM" machine ls --json 2>/dev/null)"
	t_nomatch "$1: the allocation is rolled back" '"hs1"' \
		"$(cat "$BOTTLE_STATE_DIR/state.json" 2>/dev/null)"
}

# hung_up LABEL MARK VERB ENV=V...: `bottle up hs1` in the background
# with ENV (the hang); watches it while it rolls back (slowed down) for
# zombies among its children; sets RC OUT ERR ELAPSED.
hung_up() {
	local label=$1 mark=$2 verb=$3 pid t0 zombies=""
	shift 3
	rm -f "$BOTTLE_STATE_DIR/hs1/events.log"
	t0=$(now_ms)
	env SMOLVM_SIM_FAULT_MARK="$mark" BOTTLE_TEST_STEP_DELAY_MS=300 "$@" \
		"$BOTTLE" -c "$CFG" up hs1 >"$W/out" 2>"$W/err" </dev/null &
	pid=$!
	t_defer "reap_marked '$mark'"
	# the hung command timed out: bottle records it, then rolls back
	if t_wait_for 60 grep -q "rolling back" "$BOTTLE_STATE_DIR/hs1/events.log" 2>/dev/null; then
		local i
		for i in 1 2 3 4 5; do
			zombies+=$(ps -o pid=,stat=,args= --ppid "$pid" 2>/dev/null | awk '$2 ~ /^Z/')
			sleep 0.1
		done
		t_eq "$label: bottle's children include no zombie during the rollback" "" "$zombies"
	else
		t_fail "$label: the up rolls back after the timeout"
	fi
	t_wait_for 60 eval "! kill -0 $pid 2>/dev/null" || kill -9 "$pid" 2>/dev/null
	wait "$pid"
	RC=$?
	ELAPSED=$(($(now_ms) - t0))
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
	t_diag "$label: bottle exited $RC after $ELAPSED ms: $(grep -m1 "timed out\|not proven" "$W/err")"
}

# ---- the simulator hangs in create, then in start -------------------------

for verb in create start; do
	mark=hang-$verb-$$
	hung_up "hang $verb" "$mark" "$verb" SMOLVM_SIM_HANG=$verb
	t_eq "hang $verb: up exits 1" 1 "$RC"
	t_match "hang $verb: the error names smolvm machine $verb and a timeout" \
		"smolvm machine $verb: did not finish within [0-9]+ ms; killed" "$ERR"
	t_match "hang $verb: the error names the configured timeout ($TIMEOUT_MS ms)" \
		"machine $verb: did not finish within $TIMEOUT_MS ms" "$ERR"
	t_match "hang $verb: events.log records the killed command" \
		"command: .*machine $verb .*(timed out|killed|SIGTERM)" \
		"$(cat "$BOTTLE_STATE_DIR/hs1/events.log" 2>/dev/null)"
	t_nomatch "hang $verb: no sanitizer report" "$SAN_RE" "$ERR"
	# 2 s timeout + the rollback's 5 steps at 300 ms + their commands
	if [ "$ELAPSED" -lt 20000 ]; then
		t_ok "hang $verb: bottle gives up in seconds (${ELAPSED} ms), not minutes"
	else
		t_fail "hang $verb: bottle gives up in seconds (${ELAPSED} ms), not minutes"
	fi
	t_eq "hang $verb: no process of the hung command remains" "" \
		"$(leftovers "$mark" "machine $verb")"
	nothing_left "hang $verb"
done

# ---- a smolvm that ignores SIGTERM and leaves a grandchild ---------------

# The wrapper runs the simulator for every verb but WRAP_HANG, where it
# ignores SIGTERM (noting each one in WRAP_LOG) and starts `sleep 300`,
# which holds its stdout and stderr: only SIGKILL ends the wrapper, and
# only a kill of the whole process group ends the grandchild.
WRAP=$W/smolvm-wrap
# write_wrap MARK: the wrapper, with what it needs written into it: as
# "smolvm" (not the simulator) it gets no SMOLVM_SIM_* from bottle.
write_wrap() {
	{
		echo '#!/bin/bash'
		printf 'export WRAP_SIM=%q WRAP_HANG=start WRAP_LOG=%q\n' \
			"$SMOLVM_SIM" "$W/wrap.log"
		printf 'export SMOLVM_SIM_FAULT_MARK=%q\n' "$1"
		env | grep '^SMOLVM_SIM_' | grep -v '^SMOLVM_SIM_FAULT_MARK=' |
			while IFS= read -r kv; do
				printf 'export %q\n' "$kv"
			done
		cat <<'EOF'
if [ "$1 $2" = "machine $WRAP_HANG" ]; then
	trap 'echo TERM >>"$WRAP_LOG"' TERM
	sleep 300 &
	echo "$!" >"$WRAP_LOG.grandchild"
	while :; do sleep 0.1; done
fi
exec "$WRAP_SIM" "$@"
EOF
	} >"$WRAP"
	chmod +x "$WRAP"
}
sed -i 's/"vmm": "sim"/"vmm": "smolvm"/' "$CFG"
mark=wrap-start-$$
write_wrap "$mark"
hung_up "TERM-proof start" "$mark" start BOTTLE_SMOLVM="$WRAP"
t_eq "TERM-proof start: up exits 1" 1 "$RC"
t_eq "TERM-proof start: the command got SIGTERM first" "TERM" "$(head -1 "$W/wrap.log" 2>/dev/null)"
t_match "TERM-proof start: the error names smolvm machine start and a timeout" \
	"smolvm machine start: did not finish within [0-9]+ ms; killed" "$ERR"
t_match "TERM-proof start: the error names the configured timeout ($TIMEOUT_MS ms)" \
	"machine start: did not finish within $TIMEOUT_MS ms" "$ERR"
t_nomatch "TERM-proof start: no sanitizer report" "$SAN_RE" "$ERR"
t_eq "TERM-proof start: the wrapper is gone (SIGKILL after the grace)" "" \
	"$(leftovers "$mark" "machine start")"
t_eq "TERM-proof start: its grandchild is gone too (no orphan)" "" \
	"$(leftovers "$mark" "^sleep 300")"
nothing_left "TERM-proof start"
sed -i 's/"vmm": "smolvm"/"vmm": "sim"/' "$CFG"

# ---- the probes' exec hangs -----------------------------------------------

# probes.timeout_s 1: each probe exec is bounded by 1 s + bottle's grace
sed -i 's/"timeout_s": 5/"timeout_s": 1/' "$CFG"
mark=hang-exec-$$
t0=$(now_ms)
SMOLVM_SIM_FAULT_MARK=$mark SMOLVM_SIM_HANG=exec brun up hs1
t_defer "reap_marked '$mark'"
t_diag "hang exec: bottle exited $RC after $(($(now_ms) - t0)) ms"
t_eq "hang exec: up exits 1 (isolation not proven)" 1 "$RC"
t_match "hang exec: the error says the probes are not proven" "isolation not proven" "$ERR"
t_match "hang exec: it names the timed-out smolvm exec" \
	"did not finish within [0-9]+ ms|timed out" "$ERR"
t_nomatch "hang exec: no sanitizer report" "$SAN_RE" "$ERR"
t_eq "hang exec: no smolvm machine exec remains" "" "$(leftovers "$mark" "machine exec")"
brun status hs1 --json
st=$(jget 'd["status"]' <<<"$OUT" 2>/dev/null)
t_nomatch "hang exec: the bottle is not reported healthy ($st)" "^healthy$" "$st"
t_eq "hang exec: bundle-reach is UNKNOWN" UNKNOWN \
	"$(jget 'd["probes"]["bundle-reach"]["verdict"]' <<<"$OUT" 2>/dev/null)"
brun rm hs1
t_eq "hang exec: rm exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
nothing_left "hang exec"
t_world_clean_check
