#!/usr/bin/env bash
# tests/integration/kill9.sh: SIGKILL of bottle at every step of `up` and
# of `down`; then `up` (or `rm`) converges: one network, one bundle, a
# healthy bottle, and after rm nothing left.
#   Between steps: BOTTLE_TEST_STEP_DELAY_MS (a test hook) pauses before
#     each step so that it is reachable; the steps that run no command
#     (allocate, bundle-health, smolfile) and down's last (network-rm),
#     each followed by a full up (or rm) that must converge.
#   While a step's command runs: `docker` and `smolvm` shims first in
#     PATH record their argv and, for the step's command, hold it until
#     the test has killed bottle; the command then runs on as an orphan
#     (or dies of its closed pipes). Every step of up and down that runs
#     a command is covered.
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

# Between steps: the steps that run no command of their own (allocate,
# smolfile; bundle-health's inspect runs only while the services do not
# answer) and the last of down. Every step that runs a command is killed
# again below, while that command runs.
for step in allocate bundle-health smolfile; do
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
for step in network-rm; do
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

# ---- kill -9 while the step's command runs --------------------------------
t_diag "kills between steps took ${SECONDS} s"
T_MID=$SECONDS
#
# The shims (bash, their settings written into them: smolvm gets only the
# environment bottle builds) append "PID NAME ARGV" to $W/calls.log; a
# command whose "NAME ARGV" matches the extended regex in $W/arm appends
# its PID to $W/held.log and waits for $W/go (at most 120 s) before it
# execs the real binary. As "smolvm" (vmm "smolvm", found on PATH) the
# simulator gets its SMOLVM_SIM_* settings from the shim.
#
# The cases form a chain (each kill leaves what the next `bottle` run
# must take over): up is killed in network, bundle, bundle-health,
# vm-image, vm-create, vm-start and probe, each run getting past the
# previous kill; then up converges (one network, one bundle, healthy).
# down is killed in vm-stop, vm-delete, bundle-rm and network-rm; then rm
# converges (nothing left). After each kill: at most one network and one
# bundle.
SHIM=$W/shim
mkdir -p "$SHIM"
REAL_DOCKER=$(command -v docker)
# on any exit: the bottle still running and every held command killed
# (never released into the cleanup), then no shim waits any more
K9_PID=
k9_cleanup() {
	local p
	[ -n "$K9_PID" ] && kill -9 "$K9_PID" 2>/dev/null
	for p in $(cat "$W/held.log" 2>/dev/null); do
		alive "$p" && kill -9 "$p" 2>/dev/null
	done
	touch "$W/go"
}
t_defer k9_cleanup
write_shim() { # write_shim NAME REAL
	{
		echo '#!/bin/bash'
		printf 'S_REAL=%q S_LOG=%q S_ARM=%q S_HELD=%q S_GO=%q S_NAME=%q S_GATE=%q\n' \
			"$2" "$W/calls.log" "$W/arm" "$W/held.log" "$W/go" "$1" "$W/gate-bundle"
		if [ "$1" = smolvm ]; then
			env | grep '^SMOLVM_SIM_' | while IFS= read -r kv; do
				printf 'export %q\n' "$kv"
			done
		fi
		cat <<'SH'
printf '%s %s %s\n' "$$" "$S_NAME" "$*" >>"$S_LOG"
arm=$(cat "$S_ARM" 2>/dev/null)
if [ -n "$arm" ] && printf '%s %s\n' "$S_NAME" "$*" | grep -Eq -- "$arm"; then
	echo "$$" >>"$S_HELD"
	i=0
	while [ ! -e "$S_GO" ] && [ $i -lt 2400 ]; do
		sleep 0.05
		i=$((i + 1))
	done
fi
# gated bundle: its services start once /tmp/go exists in the container
if [ "$S_NAME $1 $2" = "docker run -d" ] && [ -e "$S_GATE" ]; then
	exec "$S_REAL" "$@" /bin/sh -c \
		'while [ ! -e /tmp/go ]; do sleep 0.1; done; exec /bottle/start.sh'
fi
exec "$S_REAL" "$@"
SH
	} >"$SHIM/$1"
	chmod 755 "$SHIM/$1"
}
write_shim docker "$REAL_DOCKER"
write_shim smolvm "$SMOLVM_SIM"
sed -i 's/"vmm": "sim"/"vmm": "smolvm"/' "$CFG"

# sbrun ARGS...: brun with the shims first in PATH
sbrun() { PATH="$SHIM:$PATH" brun "$@"; }

# alive PID: PID runs (not a zombie)
alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ]
}
# all_gone PID...: none of them runs
all_gone() {
	local p
	for p in "$@"; do alive "$p" && return 1; done
	return 0
}

# kill_in OP STEP REGEX: `bottle OP k9` through the shims, its commands
# matching REGEX held; SIGKILL bottle (only bottle) once one started;
# check that it still ran then, in STEP; release it and wait until every
# held command has ended (run on or died of its closed pipes).
kill_in() {
	local op=$1 step=$2 re=$3 pid held p ran=1
	rm -f "$W/go" "$W/held.log" "$W/calls.log" "$BOTTLE_STATE_DIR/k9/events.log"
	printf '%s\n' "$re" >"$W/arm"
	PATH="$SHIM:$PATH" "$BOTTLE" -c "$CFG" "$op" k9 >/dev/null 2>&1 </dev/null &
	pid=$!
	K9_PID=$pid
	if ! t_wait_for 120 test -s "$W/held.log"; then
		kill -9 $pid 2>/dev/null
		wait $pid 2>/dev/null
		K9_PID=
		: >"$W/arm"
		touch "$W/go"
		t_fail "$op: $step's command started ($re)"
		t_diag "commands run: $(cut -d' ' -f2- "$W/calls.log" 2>/dev/null | tr '\n' ';' | head -c 1500)"
		return 1
	fi
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	K9_PID=
	held=$(cat "$W/held.log")
	for p in $held; do alive "$p" || ran=0; done
	: >"$W/arm"
	touch "$W/go"
	t_eq "$op killed while $step's command ran" 1 "$ran"
	t_eq "$op killed in step $step" "$step" \
		"$(grep -E "step $op: " "$BOTTLE_STATE_DIR/k9/events.log" 2>/dev/null | tail -1 | sed 's/.*: //')"
	t_diag "held: $(grep -E "^(${held//$'\n'/|}) " "$W/calls.log" | cut -d' ' -f2-5 | tr '\n' ';')"
	# shellcheck disable=SC2086
	if t_wait_for 120 all_gone $held; then
		: >"$W/held.log" # ended: their pids are no longer ours to kill
	else
		t_diag "held commands still running after 120 s: $held"
	fi
	t_check "at most one network after $op killed in $step" \
		test "$(docker network ls --filter name=^bottle-k9$ -q | wc -l)" -le 1
	t_check "at most one bundle after $op killed in $step" \
		test "$(docker ps -a --filter name=^bottle-k9-bundle$ -q | wc -l)" -le 1
	return 0
}

# STEP|REGEX of its command ("NAME ARGV"). bundle-health runs a command
# (docker inspect of the bundle's state) only while the services do not
# answer: from the bundle case on, the bundle is gated (see the shim)
# until the test releases it after the bundle-health kill.
up_cases=(
	"network|^docker network create "
	"bundle|^docker run -d "
	"bundle-health|^docker inspect --format [{][{].State.Status"
	"vm-image|^docker image inspect "
	"vm-create|^smolvm machine create "
	"vm-start|^smolvm machine start "
	"probe|^smolvm machine exec "
)
for c in "${up_cases[@]}"; do
	step=${c%%|*}
	[ "$step" = bundle ] && touch "$W/gate-bundle"
	kill_in up "$step" "${c#*|}"
	if [ "$step" = bundle-health ]; then
		rm -f "$W/gate-bundle"
		docker exec bottle-k9-bundle touch /tmp/go
	fi
done
sbrun up k9
t_eq "up after the mid-command kills converges (exit 0)" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_eq "one network after the mid-command kills of up" 1 \
	"$(docker network ls --filter name=^bottle-k9$ -q | wc -l)"
t_eq "one bundle after the mid-command kills of up" 1 \
	"$(docker ps -a --filter name=^bottle-k9-bundle$ -q | wc -l)"
sbrun status k9 --json
# every probe PASS; through the shim (a "smolvm" that is the simulator)
# bottle cannot know the VMM's uid, so there is no second wall and the
# proof is the guest's word: healthy (guest-reported)
t_match "the bottle is healthy after the mid-command kills of up" \
	"^healthy( \\(guest-reported\\))?$" \
	"$(jget 'd["status_text"]' <<<"$OUT" 2>/dev/null)"

down_cases=(
	"vm-stop|^smolvm machine stop "
	"vm-delete|^smolvm machine delete "
	"bundle-rm|^docker rm -f bottle-k9-bundle$"
	"network-rm|^docker network rm bottle-k9$"
)
for c in "${down_cases[@]}"; do
	kill_in down "${c%%|*}" "${c#*|}"
done
sbrun rm k9
t_eq "rm after the mid-command kills of down converges (exit 0)" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_eq "rm leaves no network" "" "$(docker network ls --filter name=^bottle-k9$ -q)"
t_eq "rm leaves no bundle" "" "$(docker ps -a --filter name=^bottle-k9-bundle$ -q)"
t_eq "rm leaves no VM" "[]" "$("$SMOLVM_SIM" machine ls --json)"
t_nomatch "rm leaves no state entry" '"k9"' "$(cat "$BOTTLE_STATE_DIR/state.json" 2>/dev/null)"
t_diag "kills while a command runs took $((SECONDS - T_MID)) s"
t_world_clean_check
