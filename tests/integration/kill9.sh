#!/usr/bin/env bash
# tests/integration/kill9.sh: SIGKILL of bottle at every step of `up` and
# of `down`; then `up` (or `rm`) converges: one network, one bundle, a
# healthy bottle, and after rm nothing left. BOTTLE_TEST_STEP_DELAY_MS
# (a test hook) pauses before each step so that each one is reachable.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 204 k9

# kill_at OP STEP: run `bottle OP k9` slowly, SIGKILL it once it logged
# the start of STEP.
kill_at() {
	local op=$1 step=$2 pid
	BOTTLE_TEST_STEP_DELAY_MS=300 "$BOTTLE" -c "$CFG" "$op" k9 \
		>/dev/null 2>&1 </dev/null &
	pid=$!
	if t_wait_for 60 grep -q "step $op: $step\$" "$BOTTLE_STATE_DIR/k9/events.log" 2>/dev/null; then
		sleep 0.1
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		return 0
	fi
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	return 1
}

for step in allocate network bundle bundle-health smolfile vm-create vm-start probe; do
	rm -f "$BOTTLE_STATE_DIR/k9/events.log"
	t_check "up killed at $step" kill_at up $step
	brun up k9
	t_eq "up after a kill at $step converges (exit 0)" 0 "$RC"
	[ "$RC" = 0 ] || t_diag "$ERR"
	t_eq "one network after a kill at $step" 1 \
		"$(docker network ls --filter name=^bottle-k9$ -q | wc -l)"
	t_eq "one bundle after a kill at $step" 1 \
		"$(docker ps -a --filter name=^bottle-k9-bundle$ -q | wc -l)"
	brun rm k9
	t_eq "rm after a kill at $step" 0 "$RC"
	t_eq "rm leaves no network ($step)" "" "$(docker network ls --filter name=^bottle-k9$ -q)"
	t_eq "rm leaves no VM ($step)" "[]" "$("$SMOLVM_SIM" machine ls --json)"
done

brun up k9
t_eq "up for the down cases" 0 "$RC"
for step in vm-stop vm-delete bundle-rm network-rm; do
	rm -f "$BOTTLE_STATE_DIR/k9/events.log"
	t_check "down killed at $step" kill_at down $step
	brun rm k9
	t_eq "rm after down killed at $step converges" 0 "$RC"
	t_eq "no network after ($step)" "" "$(docker network ls --filter name=^bottle-k9$ -q)"
	t_eq "no bundle after ($step)" "" "$(docker ps -a --filter name=^bottle-k9-bundle$ -q)"
	t_eq "no VM after ($step)" "[]" "$("$SMOLVM_SIM" machine ls --json)"
	brun up k9
	t_eq "up again after ($step)" 0 "$RC"
done
brun rm k9
t_world_clean_check
