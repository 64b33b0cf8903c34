#!/usr/bin/env bash
# tests/sim/lifecycle.sh: a simulated machine from start to delete: start
# output and idempotence, exec exit codes (0/1/42/124/255), stdout/stderr
# separation, byte-exactness, buffering vs --stream, stdin with -i, a pty with
# -t, env/workdir, the guest UID, volumes (rw and ro), the console log, the
# unreachable/stopped states, stop, restart, delete, the orphan trap.
# Runs at the version SMOLVM_SIM_VERSION names (lifecycle-1.9.sh: 1.9.3),
# where the behaviours that differ are checked per version.
. "$(dirname "$0")/../lib.sh"
t_need_root

# sim_begin, the leftover checks and run()
. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin docker

sx() { "$SMOLVM" machine exec --name m1 "$@"; }
json_field() { # NAME FIELD
	"$SMOLVM" machine status --name "$1" --json | python3 -c "import json,sys; print(json.dumps(json.load(sys.stdin)['$2']))"
}
# alive PID: the process exists and is not a zombie (this host's init may
# reap orphans late).
alive() { [ -n "$(ps -o stat= -p "$1" 2>/dev/null | grep -v Z)" ]; }
uid_procs() { ps -o stat=,pid= -u "$1" 2>/dev/null | grep -v '^ *Z' || true; }

mkdir -p "$TMP/ws" "$TMP/ro" "$TMP/user"
chmod 0777 "$TMP/ws"
chown 12345:12346 "$TMP/user"
chmod 0755 "$TMP/user"
echo "host file" >"$TMP/ro/hello"
cat >"$TMP/Smolfile" <<EOF
image = "bottle-demo-vm:latest"
cmd = ["sh", "-c", "echo workload-marker-\$FROM_SMOLFILE; while :; do sleep 1; done"]
env = ["FROM_SMOLFILE=yes", "OVER=smolfile"]
workdir = "/workspace"
cpus = 2
memory = 1024
volumes = ["$TMP/ws:/workspace", "$TMP/ro:/data:ro", "$TMP/user:/user"]

[network]
allow_cidrs = ["10.213.250.2/32"]
EOF
run sim_create m1 -s "$TMP/Smolfile"
t_eq "create exits 0" 0 "$RC"
note_uids

# --- start ---
if is19; then
	# the in-guest pull obeys the allowlist: through a proxy on the allowed IP
	run "$SMOLVM" machine start --name m1 --proxy http://10.213.250.2:8888
else
	run "$SMOLVM" machine start --name m1
fi
t_eq "start exits 0" 0 "$RC"
t_match "start prints Machine 'm1' running (PID: N)" "^Machine 'm1' running \\(PID: [0-9]+\\)\$" "$OUT"
t_match "start says Starting ... with 3 mount(s)" "Starting machine 'm1' with 3 mount\\(s\\)\\.\\.\\." "$ERR"
t_match "first start pulls the image" "Pulling image bottle-demo-vm:latest\\.\\.\\." "$ERR"
PID=$(printf '%s' "$OUT" | sed -n 's/.*(PID: \([0-9]*\))/\1/p')
t_eq "status: running" '"running"' "$(json_field m1 state)"
t_eq "status: pid is the VMM pid" "$PID" "$(json_field m1 pid)"
t_check "the VMM process is alive" alive "$PID"
run "$SMOLVM" machine start --name m1
t_eq "start of a running machine exits 0" 0 "$RC"
t_eq "start of a running machine: already running" "Machine 'm1' already running (PID: $PID)" "$OUT"
t_eq "start of a running machine: nothing on stderr" "" "$ERR"
UID_=$(sx -- id -u)
t_match "guest runs as a per-machine UID" "^61[0-9]{3}\$" "$UID_"
if is19; then
	t_eq "1.9.3: no host netfilter chain for the machine's UID" 0 "$(iptables -S | grep -c "SMOLSIM-$UID_")"
	t_check "1.9.3: the VMM is in its own network namespace" test "$(netns_of "$PID")" != "$(netns_of $$)"
	t_eq "1.9.3: exec runs in the VMM's network namespace" "$(netns_of "$PID")" "$(sx -- readlink /proc/self/ns/net)"
else
	t_eq "a netfilter chain for the machine's UID" 1 "$(iptables -S | grep -c "^-N SMOLSIM-$UID_\$")"
fi

# --- exec exit status ---
sx -- true
t_eq "exec true: 0" 0 "$?"
sx -- false
t_eq "exec false: 1" 1 "$?"
sx -- sh -c 'exit 42'
t_eq "exec exit 42: 42" 42 "$?"
start=$(date +%s%N)
sx --timeout 1s -- sleep 5
rc=$?
ms=$((($(date +%s%N) - start) / 1000000))
t_eq "exec --timeout 1s -- sleep 5: 124" 124 "$rc"
t_check "--timeout kills at about 1s (${ms} ms)" test "$ms" -lt 3500
sx -- sh -c 'kill -9 $$'
rc=$?
if is19; then
	t_eq "guest killed by a signal: 128+9 (0.8.1+)" 137 "$rc"
else
	t_eq "guest killed by a signal: 255" 255 "$rc"
fi
run sx -- nosuchcommand
t_eq "exec of a missing command: 127" 127 "$RC"
if is19; then
	run sx -d -- sleep 30
	t_match "1.9.3: exec -d prints the PID and exits 0" "^0 [0-9]+\$" "$RC $OUT"
	t_match "1.9.3: the detached process runs as the guest" "sleep" "$(ps -o user=,args= -p "$OUT" 2>/dev/null)"
fi

# --- output ---
sx -- sh -c 'printf out1; printf err1 >&2; printf out2' >"$TMP/o" 2>"$TMP/e"
t_eq "stdout separated" "out1out2" "$(cat "$TMP/o")"
t_eq "stderr separated" "err1" "$(cat "$TMP/e")"
sx -- printf '\000\001\377x\n\r' >"$TMP/o"
t_eq "stdout byte-exact (NUL, 0xff, CR)" " 00 01 ff 78 0a 0d" "$(od -An -tx1 "$TMP/o" | tr -s ' ' | sed 's/ *$//')"
sx -- sh -c 'head -c 3000000 /dev/urandom | tee /tmp/blob | md5sum | cut -c1-32 >&2; cat /tmp/blob' >"$TMP/o" 2>"$TMP/e"
t_eq "3 MB of binary stdout intact" "$(cat "$TMP/e")" "$(md5sum <"$TMP/o" | cut -c1-32)"
sx -- sh -c 'head -c 12000000 /dev/zero' | wc -c >"$TMP/n"
t_eq "each stream capped at 11 MiB" 11534336 "$(tr -d ' ' <"$TMP/n")"
(sx -- sh -c 'echo early; sleep 1.5; echo late' >"$TMP/buf") &
bpid=$!
(sx --stream -- sh -c 'echo early; sleep 1.5; echo late' >"$TMP/str") &
spid=$!
t_wait_for 5 grep -q early "$TMP/str"
t_check "--stream forwards output live" grep -q early "$TMP/str"
t_eq "without --stream output waits for the exit" "" "$(cat "$TMP/buf")"
wait $bpid $spid
t_eq "buffered output complete after exit" "early
late" "$(cat "$TMP/buf")"
t_eq "without -i stdin is /dev/null" "" "$(echo piped | sx -- cat)"
t_eq "-i passes stdin" "piped" "$(echo piped | sx -i -- cat)"

# --- environment, workdir ---
t_eq "Smolfile env" "yes" "$(sx -- sh -c 'echo $FROM_SMOLFILE')"
t_eq "-e overrides the Smolfile env" "cli A=b=c" "$(sx -e OVER=cli -e A=b=c -- sh -c 'echo $OVER A=$A')"
t_eq "Smolfile workdir" "/workspace" "$(sx -- pwd)"
t_eq "-w overrides the workdir" "/tmp" "$(sx -w /tmp -- pwd)"

# --- volumes ---
sx -- sh -c 'echo from-guest > /workspace/g.txt'
t_eq "rw volume: guest write visible on the host" "from-guest" "$(cat "$TMP/ws/g.txt" 2>/dev/null)"
t_eq "ro volume: host file visible" "host file" "$(sx -- cat /data/hello)"
run sx -- sh -c 'echo x > /data/new'
t_check "ro volume: write fails" test "$RC" -ne 0
t_match "ro volume: read-only file system" "Read-only file system" "$ERR"
t_check "ro volume: nothing written on the host" test ! -e "$TMP/ro/new"
t_eq "a user's directory is the guest's own (idmapped)" "$UID_" "$(sx -- stat -c %u /user)"
sx -- sh -c 'echo mine > /user/made'
t_eq "guest files in a user's directory belong to that user on the host" "12345:12346" \
	"$(stat -c %u:%g "$TMP/user/made" 2>/dev/null)"
run sx -- sh -c 'echo x > /etc/owned'
t_check "image files are not writable by the guest UID" test "$RC" -ne 0

# --- pty ---
PTY_OUT=$(python3 - "$SMOLVM" <<'EOF'
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], [sys.argv[1], "machine", "exec", "--name", "m1", "-i", "-t", "--", "sh"])
buf = b""
def pump(t):
    global buf
    end = time.time() + t
    while time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 4096)
            except OSError:
                return
            if not d:
                return
            buf += d
pump(0.8)
os.write(fd, b"tty; echo sum=$((40+2)); exit 7\n")
pump(3)
_, st = os.waitpid(pid, 0)
print(buf.decode(errors="replace").replace("\r", ""))
print("exit=%d" % os.waitstatus_to_exitcode(st))
EOF
)
t_match "-i -t: the guest has a terminal" "/dev/pts/[0-9]+" "$PTY_OUT"
t_match "-i -t: interactive shell works" "sum=42" "$PTY_OUT"
t_match "-i -t: exit status passed through" "exit=7" "$PTY_OUT"

# --- console log ---
DD=$(sim_datadir m1)
t_wait_for 5 grep -q workload-marker-yes "$DD/agent-console.log"
t_check "workload output in agent-console.log" grep -q workload-marker-yes "$DD/agent-console.log"
t_eq "the agent's lines are JSON with timestamp, level and message" "ok" "$(grep '^{' "$DD/agent-console.log" | head -3 | python3 -c '
import json, sys
ls = [json.loads(x) for x in sys.stdin]
print("ok" if ls and all(l["timestamp"].endswith("Z") and l["level"] and l["fields"]["message"] for l in ls) else ls)')"
CONSOLE_INODE=$(stat -c %i "$DD/agent-console.log")

# --- unreachable: VMM alive, agent not answering ---
kill -STOP "$PID"
t_eq "stopped VMM process: state unreachable" '"unreachable"' "$(json_field m1 state)"
run sx -- true
t_eq "exec on an unreachable machine fails" 1 "$RC"
kill -CONT "$PID"
t_eq "resumed: running again" '"running"' "$(json_field m1 state)"

# --- stop ---
sx -- sh -c 'echo persisted > /tmp/state'
(sx -- sleep 60 >/dev/null 2>&1) &
t_wait_for 5 eval '[ -n "$(uid_procs "$UID_")" ]'
start=$(date +%s%N)
run "$SMOLVM" machine stop --name m1
ms=$((($(date +%s%N) - start) / 1000000))
t_eq "stop exits 0" 0 "$RC"
t_eq "stop text" "Stopping machine 'm1'...
Stopped machine: m1" "$OUT"
t_check "stop is quick (${ms} ms)" test "$ms" -lt 3000
t_check "VMM process gone" eval "! alive $PID"
t_eq "no process left with the guest UID" "" "$(uid_procs "$UID_")"
t_eq "the machine's chain is gone" 0 "$(iptables -S | grep -c "SMOLSIM-$UID_")"
t_eq "status: stopped" '"stopped"' "$(json_field m1 state)"
t_eq "status: pid null after stop" "null" "$(json_field m1 pid)"
run "$SMOLVM" machine stop --name m1
t_eq "stop of a stopped machine: exit 0 and quirk text" "0 Machine 'm1' is not running (state: stopped)" "$RC $OUT"
run sx -- true
t_eq "exec on a stopped machine: exit 1" 1 "$RC"
t_eq "exec on a stopped machine: message" \
	"Error: agent operation failed: connect: machine 'm1' is not running. Use 'smolvm machine start --name m1' first." "$ERR"

# --- restart: the overlay persists, no second pull ---
run "$SMOLVM" machine start --name m1
t_eq "restart exits 0" 0 "$RC"
t_nomatch "restart does not pull again" "Pulling" "$ERR"
t_eq "agent-console.log keeps its inode across boots" "$CONSOLE_INODE" "$(stat -c %i "$DD/agent-console.log")"
if is19; then
	t_eq "1.9.3: agent-console.log truncated at boot (1.6.1+): one boot in it" 1 "$(grep -c 'booting simulated machine' "$DD/agent-console.log")"
else
	t_eq "0.8.0: agent-console.log appends across boots" 2 "$(grep -c 'booting simulated machine' "$DD/agent-console.log")"
fi
t_eq "guest filesystem changes persist across restarts" "persisted" "$(sx -- cat /tmp/state)"
t_eq "same UID after restart" "$UID_" "$(sx -- id -u)"

# --- a VMM that dies without a stop ---
PID=$(json_field m1 pid)
kill -9 "$PID"
t_wait_for 5 eval "! alive $PID"
t_eq "dead VMM: state stopped (0.8.0 resolves a dead PID to stopped)" '"stopped"' "$(json_field m1 state)"
run sx -- true
t_eq "dead VMM: exec fails" 1 "$RC"
run "$SMOLVM" machine start --name m1
t_eq "dead VMM: start again works" 0 "$RC"
if is19; then
	t_check "dead VMM: the new VMM has its own namespace again" test "$(netns_of "$(json_field m1 pid)")" != "$(netns_of $$)"
else
	t_eq "dead VMM: stale chain replaced, one chain" 1 "$(iptables -S | grep -c "^-N SMOLSIM-$UID_\$")"
fi

if is19; then
	# --- 1.9.3 (0.8.1+): delete stops a running VM first ---
	PID=$(json_field m1 pid)
	run sim_delete m1 -f
	t_eq "1.9.3: delete -f of a running machine exits 0" 0 "$RC"
	t_match "1.9.3: delete stops it first" "^Stopping machine 'm1'\.\.\." "$OUT"
	t_match "1.9.3: delete -f text" "Deleted machine: m1\$" "$OUT"
	t_check "1.9.3: no orphan VMM" eval "! alive $PID"
	t_eq "1.9.3: no process left with the guest UID" "" "$(uid_procs "$UID_")"
	run "$SMOLVM" machine stop --name m1
	t_eq "1.9.3: stop after delete: exit 1" 1 "$RC"
	t_eq "1.9.3: stop after delete: vm not found" "Error: vm not found: m1" "$ERR"
	"$SMOLVM" _sim-reap
	t_check "_sim-reap removes the state" test ! -e "$SMOLVM_SIM_HOME"
	t_cleanup
	check_leftovers
	exit 0
fi

# --- delete does not stop a running VM (0.8.0 trap) ---
PID=$(json_field m1 pid)
run sim_delete m1 -f
t_eq "delete -f of a running machine exits 0" 0 "$RC"
t_match "delete -f text" "Deleted machine: m1\$" "$OUT"
t_eq "the machine is gone from ls" "[]" "$("$SMOLVM" machine ls --json)"
t_check "but its VMM process lives on (orphan)" alive "$PID"
t_eq "and so does its netfilter chain" 1 "$(iptables -S | grep -c "^-N SMOLSIM-$UID_\$")"
run "$SMOLVM" machine stop --name m1
t_eq "stop after delete: not found" "Machine 'm1' not found or not running" "$OUT"
"$SMOLVM" _sim-reap
t_check "_sim-reap kills the orphan" eval "! alive $PID"
t_eq "_sim-reap leaves no guest process" "" "$(uid_procs "$UID_")"
t_eq "_sim-reap removes its chain" 0 "$(iptables -S | grep -c "SMOLSIM-$UID_")"
t_check "_sim-reap removes the state" test ! -e "$SMOLVM_SIM_HOME"

t_cleanup
check_leftovers
