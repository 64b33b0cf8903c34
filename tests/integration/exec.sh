#!/usr/bin/env bash
# tests/integration/exec.sh: `bottle exec` and `bottle shell` against the
# real docker engine and the smolvm simulator: the guest's exit status
# comes through (0, 1, 42, 127), 124 on --timeout, a signal death is
# reported as such (0.8.0: 255 and a note; 1.9.3: 128+N), bottle's own failures are 125 (stopped VM, no
# VM, no such bottle, usage, smolvm's "Error:"); stdout and stderr stay
# separate and byte-exact for binary data; -i passes stdin, output
# streams live; SIGTERM reaches the guest; `bottle shell` runs on a pty
# and leaves the host terminal as it found it even when smolvm dies.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 205 ex1

VOL=$W/vol
mkdir -p "$VOL"
chmod 755 "$W" "$VOL"
head -c 1048576 /dev/urandom >"$VOL/blob"
# every byte value, NUL included, and no final newline
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 64 + b"\x00end")' >"$VOL/bytes"
chmod 644 "$VOL/blob" "$VOL/bytes"
t_world_config_vm "" "$VOL:/data:ro" ex1
t_defer "'$BOTTLE' -c '$CFG' rm ex1"

brun up ex1
t_eq "up ex1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || {
	t_diag "$ERR"
	exit 1
}

# --- exit status ---------------------------------------------------------
brun exec ex1 -- sh -c 'exit 42'
t_eq "exec -- sh -c 'exit 42' exits 42" 42 "$RC"
t_eq "exit 42: bottle prints nothing of its own" "" "$ERR"
brun exec ex1 -- true
t_eq "exec -- true exits 0" 0 "$RC"
brun exec ex1 -- false
t_eq "exec -- false exits 1 (the guest's 1, not 125)" 1 "$RC"
brun exec ex1 -- sh -c 'echo warning >&2; echo "Error: from the guest" >&2; exit 1'
t_eq "a guest's 'Error:' line after other output stays the guest's exit 1" 1 "$RC"
brun exec ex1 -- no-such-command
t_eq "exec of a missing command exits 127" 127 "$RC"
brun exec ex1 -- sh -c 'kill -9 $$'
if t_at_tsi; then
	t_eq "0.8.0: a guest killed by SIGKILL: exit 255" 255 "$RC"
	t_match "0.8.0: a signal death is reported on stderr" \
		"^bottle: ex1: the command was killed by a signal or exited 255; smolvm 0.8.0 cannot tell which$" "$ERR"
	brun exec ex1 -- sh -c 'exit 255'
	t_eq "0.8.0: a guest's exit 255: 255" 255 "$RC"
	t_match "0.8.0: ... which smolvm cannot tell from a signal" "cannot tell which$" "$ERR"
else
	t_eq "1.9.3: a guest killed by SIGKILL: exit 128+9" 137 "$RC"
	t_eq "1.9.3: ... and bottle adds nothing (the status says it)" "" "$ERR"
	brun exec ex1 -- sh -c 'exit 255'
	t_eq "1.9.3: a guest's exit 255: 255" 255 "$RC"
	t_eq "1.9.3: ... not taken for a signal" "" "$ERR"
fi
t0=$(date +%s%N)
brun exec ex1 --timeout 1s -- sleep 5
ms=$((($(date +%s%N) - t0) / 1000000))
t_eq "--timeout 1s -- sleep 5 exits 124" 124 "$RC"
t_match "the timeout is reported" "^bottle: ex1: the command timed out after 1s$" "$ERR"
if [ $ms -lt 4000 ]; then t_ok "the timeout stops it early (${ms} ms)"; else t_fail "the timeout stops it early (${ms} ms)"; fi

# --- output ---------------------------------------------------------------
brun exec ex1 -- sh -c 'echo to-out; echo to-err >&2; echo more-out'
t_eq "stdout holds only stdout" "to-out
more-out" "$OUT"
t_eq "stderr holds only stderr" "to-err" "$ERR"
"$BOTTLE" -c "$CFG" exec ex1 -- cat /data/blob >"$W/blob.out" 2>"$W/blob.err" </dev/null
t_eq "1 MiB of random bytes on stdout is byte-exact" \
	"$(sha256sum <"$VOL/blob")" "$(sha256sum <"$W/blob.out")"
t_eq "... with nothing on stderr" 0 "$(stat -c %s "$W/blob.err")"
"$BOTTLE" -c "$CFG" exec ex1 -- sh -c 'cat /data/blob >&2' >"$W/blob2.out" 2>"$W/blob2.err" </dev/null
t_eq "1 MiB of random bytes on stderr is byte-exact (piped through bottle)" \
	"$(sha256sum <"$VOL/blob")" "$(sha256sum <"$W/blob2.err")"
t_eq "... with nothing on stdout" 0 "$(stat -c %s "$W/blob2.out")"
"$BOTTLE" -c "$CFG" exec ex1 -- sh -c 'cat /data/bytes; cat /data/bytes >&2' \
	>"$W/bytes.out" 2>"$W/bytes.err" </dev/null
t_check "every byte value, NUL and no final newline, on stdout" cmp -s "$VOL/bytes" "$W/bytes.out"
t_check "... and on stderr" cmp -s "$VOL/bytes" "$W/bytes.err"

out=$(printf 'from-stdin\n' | "$BOTTLE" -c "$CFG" exec -i ex1 -- cat)
t_eq "-i passes stdin to the guest" "from-stdin" "$out"
out=$(printf 'from-stdin\n' | "$BOTTLE" -c "$CFG" exec ex1 -- cat)
t_eq "without -i the guest's stdin is empty" "" "$out"
brun exec ex1 -e GREETING=hello -e SECOND=2 -w /tmp -- sh -c 'echo "$GREETING $SECOND $(pwd)"'
t_eq "-e and -w reach the guest" "hello 2 /tmp" "$OUT"

# live output: the first line arrives while the command still runs
"$BOTTLE" -c "$CFG" exec ex1 -- sh -c 'echo first; sleep 3; echo second' \
	>"$W/live.out" 2>/dev/null </dev/null &
live=$!
if t_wait_for 2 grep -q first "$W/live.out"; then
	t_eq "output streams live (second line not yet there)" "first" "$(cat "$W/live.out")"
else
	t_fail "output streams live: first line within 2 s"
fi
wait $live

# SIGTERM to bottle reaches smolvm and the guest
"$BOTTLE" -c "$CFG" exec ex1 -- sleep 30 >/dev/null 2>&1 </dev/null &
ep=$!
guest_sleep() { ps -eo args= | grep -q '^sleep 30$'; }
t_wait_for 10 guest_sleep
kill -TERM $ep
t0=$(date +%s)
wait $ep
RC=$?
t_eq "SIGTERM: bottle exits 128+15 (smolvm ended by SIGTERM)" 143 "$RC"
if t_wait_for 5 eval '! guest_sleep'; then t_ok "SIGTERM: the guest command is gone"; else t_fail "SIGTERM: the guest command is gone"; fi

events=$(cat "$BOTTLE_STATE_DIR/ex1/events.log")
t_match "events.log records exec with argv, status and duration" \
	"exec: sh -c 'exit 42' → exit 42 in [0-9]+ ms" "$events"
t_match "events.log records the timeout" "exec: sleep 5 → timed out after 1s \\(exit 124\\)" "$events"

# --- bottle's own failures: 125 -------------------------------------------
brun exec ex1
t_eq "exec without a command: 125" 125 "$RC"
t_match "... with the usage" "^usage: bottle exec NAME" "$ERR"
brun exec ex1 --timeout nonsense -- true
t_eq "a bad --timeout: 125" 125 "$RC"
brun exec nosuch -- true
t_eq "exec in an unknown bottle: 125" 125 "$RC"
t_match "... says so" "^bottle: nosuch: no such bottle" "$ERR"
brun --read-only exec ex1 -- true
t_eq "--read-only refuses exec: 125" 125 "$RC"

# --- bottle shell on a pty --------------------------------------------------
if command -v script >/dev/null 2>&1; then
	shell_run() { # INPUT-FEEDER: run bottle shell on a pty
		"$@" | script -qec "stty -g >'$W/tty.before'; '$BOTTLE' -c '$CFG' shell ex1; echo EXIT=\$?; stty -g >'$W/tty.after'" /dev/null >"$W/shell.out" 2>&1
	}
	feed_exit() {
		sleep 1
		printf 'echo hello-$((6*7))\n'
		sleep 0.5
		printf 'exit 7\n'
		sleep 1
	}
	shell_run feed_exit
	t_match "shell: the guest shell runs on a pty" "hello-42" "$(tr -d '\r' <"$W/shell.out")"
	t_match "shell: its exit status comes through" "EXIT=7" "$(tr -d '\r' <"$W/shell.out")"
	t_check "shell: the terminal modes are as before" cmp -s "$W/tty.before" "$W/tty.after"
	# smolvm dies by SIGKILL with the terminal in raw mode: bottle restores it
	feed_kill() {
		local p
		sleep 1.5
		p=$(ps -eo pid=,args= | awk '/python3.*smolvm machine exec --name bottle-ex1 .*-t/ && !/awk/ {print $1}' | head -1)
		[ -n "$p" ] && kill -9 "$p"
		sleep 1
	}
	shell_run feed_kill
	t_match "shell: smolvm killed: 128+9" "EXIT=137" "$(tr -d '\r' <"$W/shell.out")"
	t_check "shell: smolvm killed in raw mode, the terminal is restored" \
		cmp -s "$W/tty.before" "$W/tty.after"
	# the control: smolvm alone leaves the terminal raw, so the check above
	# can fail
	script -qec "stty -g >'$W/tty.before'; '$SMOLVM_SIM' machine exec --name bottle-ex1 -i -t -- /bin/sh; stty -g >'$W/tty.after'" /dev/null \
		< <(feed_kill) >/dev/null 2>&1
	if cmp -s "$W/tty.before" "$W/tty.after"; then
		t_fail "control: smolvm killed alone leaves the terminal changed"
	else
		t_ok "control: smolvm killed alone leaves the terminal changed"
	fi
else
	t_skip "bottle shell on a pty" "no script(1)"
fi

# --- a stopped VM, then no VM ---------------------------------------------
"$SMOLVM_SIM" machine stop --name bottle-ex1 >/dev/null 2>&1
brun exec ex1 -- true
t_eq "exec on a stopped bottle: 125" 125 "$RC"
t_eq "... with a clear message" \
	"bottle ex1 is not running (state: stopped); start it with: bottle up ex1" "$ERR"
t_eq "... and nothing on stdout" "" "$OUT"
brun shell ex1
t_eq "shell on a stopped bottle: 125" 125 "$RC"
brun down ex1
brun exec ex1 -- true
t_eq "exec on a bottle that is down: 125" 125 "$RC"
t_match "... says it has no VM" "^bottle ex1 is not running \\(it has no VM\\); start it with: bottle up ex1$" "$ERR"

brun rm ex1
t_eq "rm ex1" 0 "$RC"
t_world_clean_check
