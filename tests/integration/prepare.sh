#!/usr/bin/env bash
# tests/integration/prepare.sh: `bottle prepare` with a fake docker and a
# fake smolvm whose `pack create` hangs with a child of its own (no engine,
# no simulator needed):
#  - --read-only refuses it: exit 1, a message, no smolvm pack create run,
#    nothing written to the state directory;
#  - SIGINT, SIGTERM or SIGHUP to bottle stops pack create's whole process
#    group, and bottle exits 128+N only once it has gone: no child is left.
. "$(dirname "$0")/../lib.sh"
B=${BOTTLE:-$T_ROOT/build/asan/bottle}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

t_tmpdir D
export BOTTLE_STATE_DIR=$D/state BOTTLE_SMOLVM=$D/smolvm BOTTLE_DOCKER=$D/docker
# smolvm gets no variable of ours: the paths are written into the fake
cat >"$D/smolvm" <<EOF
#!/bin/sh
case "\$1 \$2" in
"--version ") echo "smolvm 0.8.0" ;;
"machine "*) echo "[]" ;;
"pack create")
	echo "\$*" >>"$D/pack.log"
	sleep 120 &
	echo \$! >"$D/pack.child"
	echo \$\$ >"$D/pack.pid"
	wait ;;
*) echo "Error: the fake smolvm has no \$1" >&2; exit 1 ;;
esac
EOF
cat >"$D/docker" <<'EOF'
#!/bin/sh
case "$1 $2" in
"ps -a" | "network ls") ;;
"version --format")
	echo '{"Client":{"Version":"28.2.2"},"Server":{"Version":"20.10.24"}}' ;;
*) echo "Error response from daemon: the fake docker refuses $1" >&2; exit 1 ;;
esac
EOF
chmod +x "$D/smolvm" "$D/docker"
cat >"$D/bottles.json" <<'EOF'
{
  "defaults": {
    "vmm": "smolvm",
    "subnet_pool": "10.213.251.0/24",
    "vm": {"image": "alpine"},
    "bundle": {"image": "bottle-demo-bundle:latest"}
  },
  "bottles": {"pp1": {}}
}
EOF
# whatever happens, no fake is left running
t_defer "[ -s '$D/pack.child' ] && kill -9 \$(cat '$D/pack.child')"
t_defer "[ -s '$D/pack.pid' ] && kill -9 \$(cat '$D/pack.pid')"

# alive PID: the process exists and is not a zombie
alive() { [ -n "$(ps -o stat= -p "$1" 2>/dev/null | grep -v Z)" ]; }
gone() { ! alive "$1"; }

# --- --read-only ---
err=$("$B" -c "$D/bottles.json" --read-only prepare pp1 2>&1 >/dev/null)
t_eq "prepare --read-only exits 1" 1 $?
t_match "and says it is refused" "read-only mode: prepare refused" "$err"
t_check "no smolvm pack create ran" test ! -e "$D/pack.log"
t_check "no packs directory was made" test ! -e "$D/state/packs"

# --- interrupted: SIGINT, SIGTERM, SIGHUP ---
# start_prepare: bottle prepare in the background with every signal at
# its default (bash makes background jobs ignore SIGINT); sets BPID
start_prepare() {
	rm -f "$D/pack.pid" "$D/pack.child"
	python3 -c 'import os, signal, sys
for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
    signal.signal(s, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$B" -c "$D/bottles.json" prepare pp1 \
		>"$D/out" 2>"$D/err" </dev/null &
	BPID=$!
}
for sig in INT TERM HUP; do
	start_prepare
	if ! t_wait_for 60 test -s "$D/pack.child"; then
		t_fail "SIG$sig: smolvm pack create started"
		kill -9 "$BPID" 2>/dev/null
		wait "$BPID" 2>/dev/null
		continue
	fi
	leader=$(cat "$D/pack.pid")
	child=$(cat "$D/pack.child")
	t_check "SIG$sig: pack create runs in a process group of its own" \
		test "$(ps -o pgid= -p "$leader" | tr -d ' ')" = "$leader"
	kill -"$sig" "$BPID"
	# the fake sleeps 120 s: bottle exits long before unless it is stuck
	wait "$BPID"
	rc=$?
	t_eq "SIG$sig: prepare exits 128+N" "$((128 + $(kill -l "$sig")))" "$rc"
	t_match "SIG$sig: and says it was interrupted" \
		"pp1: prepare interrupted \\(signal [0-9]+\\): smolvm pack create was stopped" \
		"$(cat "$D/err")"
	t_check "SIG$sig: smolvm is gone when bottle exits" gone "$leader"
	t_wait_for 10 gone "$child"
	t_check "SIG$sig: and so is its child" gone "$child"
done
t_match "the interruption is in the events log" "prepare: pack create -I alpine -> interrupted by signal" \
	"$(cat "$D/state/pp1/events.log" 2>/dev/null)"
