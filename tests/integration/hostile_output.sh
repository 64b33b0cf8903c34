#!/usr/bin/env bash
# tests/integration/hostile_output.sh: (issue 12) hostile amounts of guest
# output against the real docker engine and the smolvm simulator. The
# guest's workload prints, when told to (a file the test creates in a
# host directory the VM mounts read-only), to the VM console:
#   - a line of 10 MiB without a newline (ended only when told later),
#   - 1,000,000 lines as fast as it can (well above 100k lines/s),
# and `bottle exec` runs a command that writes 50 MiB to stdout and
# 10 MiB to stderr. Checked: the peak resident memory (VmHWM) of a
# `bottle logs --source vm -f` follower grows by less than 20 MiB through
# both floods, and it keeps following (the lines after each flood
# arrive); the 10 MiB line is printed cut, with a marker, by the follower
# and by a later `bottle logs --source vm`; `bottle exec` passes both
# streams through byte for byte (cmp against the same generator run on
# the host) and its peak memory grows by less than 20 MiB. Memory is
# measured on the optimized build (./bottle: ASan's quarantine and
# shadow would measure ASan), the rest on $BOTTLE.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 252 ho1

RB=$T_ROOT/bottle
if [ ! -x "$RB" ]; then
	t_skip "hostile output" "no optimized build ./bottle (make bottle)"
	exit 0
fi
LIMIT_KB=20480
LONG=10485760

# The workload: a loop that answers trigger files the test creates in a
# host directory mounted read-only at /data (each once).
VOL=$W/vol
mkdir -p "$VOL"
chmod 755 "$W" "$VOL"
WL='echo agent ready
h= l= f=
while :; do
	if [ -e /data/hello ] && [ -z "$h" ]; then h=1; echo hello-mark; fi
	if [ -e /data/long ] && [ -z "$l" ]; then
		l=1
		yes x | tr -d "\n" | head -c '$LONG'
		while [ ! -e /data/long-end ]; do sleep 0.1; done
		echo; echo long-done
	fi
	if [ -e /data/flood ] && [ -z "$f" ]; then
		f=1
		yes "flood line 0123456789 abcdefghijklmnopqrstuvwxyz" | head -n 1000000
		echo flood-done
	fi
	sleep 0.1
done'
t_world_config_vm "$WL" "$VOL:/data:ro" ho1
t_defer "'$BOTTLE' -c '$CFG' rm ho1"

brun up ho1
t_eq "up ho1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || {
	t_diag "$ERR"
	exit 1
}

# kb PID FIELD: VmHWM / VmRSS of PID in kB (empty once it is gone)
kb() {
	awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null
}
# guest FILE: the trigger /data/FILE for the guest's workload
guest() {
	touch "$VOL/$1"
	chmod 644 "$VOL/$1"
}
seen() { grep -q "$1" "$W/vm.out"; }

# --- the console follower ---------------------------------------------------
# bottle logs -f writes into a fifo read by a filter that counts the
# flood lines instead of storing them (python: mawk would hold lines back
# in its input buffer); $! is bottle's own pid
mkfifo "$W/vm.fifo"
python3 -c '
import sys
n = 0
out = sys.stdout.buffer
for line in sys.stdin.buffer:
    if b"flood line 0123456789" in line:
        n += 1
        continue
    out.write(line)
    out.flush()
out.write(b"FLOODLINES %d\n" % n)
' <"$W/vm.fifo" >"$W/vm.out" &
AWKPID=$!
"$RB" -c "$CFG" logs ho1 --source vm -f -n 1 >"$W/vm.fifo" 2>"$W/vm.err" </dev/null &
FP=$!
t_defer "kill -9 $FP"
# the last console line first: then it follows, and the trigger's line
# cannot come before the follower looks
t_wait_for 30 test -s "$W/vm.out"
guest hello
if t_wait_for 30 seen hello-mark; then
	t_ok "logs -f --source vm follows the console"
else
	t_fail "logs -f --source vm follows the console"
	t_diag "follower's stderr: $(tail -5 "$W/vm.err")"
	t_diag "follower's output: $(tail -5 "$W/vm.out")"
	t_diag "console: $(tail -c 600 "$(find "$SMOLVM_SIM_HOME" -name agent-console.log | head -1)")"
	exit 1
fi
BASE=$(kb $FP VmHWM)
t_diag "follower: VmHWM $BASE kB once following"

# --- a 10 MiB line without a newline ----------------------------------------
CONSOLE=$(find "$SMOLVM_SIM_HOME" -name agent-console.log | head -1)
console_bytes() { # the console's size, rotated copies included
	cat "$CONSOLE" "$CONSOLE.1" "$CONSOLE.2" 2>/dev/null | wc -c
}
before=$(console_bytes)
guest long
long_written() { [ $(($(console_bytes) - before)) -ge $LONG ]; }
if t_wait_for 120 long_written; then
	t_ok "the guest wrote 10 MiB without a newline to the console"
else
	t_fail "the guest wrote 10 MiB without a newline to the console"
	t_diag "console grew by $(($(console_bytes) - before)) bytes"
fi
sleep 2 # the follower reads what is there
t_check "the follower printed the start of the line, cut, with a marker" \
	grep -q "^[0-9T:.-]*Z xxxxxxxx*x \[cut: the line is longer than 16384 bytes\]$" "$W/vm.out"
hwm=$(kb $FP VmHWM)
t_diag "follower: VmHWM $hwm kB with the 10 MiB line open"
t_check "the follower's peak memory grew by < 20 MiB (${BASE:-?} -> ${hwm:-?} kB)" \
	test -n "$hwm" -a $((hwm - BASE)) -lt $LIMIT_KB
guest long-end
t_check "the follower goes on after the 10 MiB line" t_wait_for 60 seen long-done
maxlen=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$W/vm.out")
t_check "no printed line is longer than the cap and its marker ($maxlen bytes)" \
	test "$maxlen" -lt 17000

# a later `bottle logs` reads the line back from the console file
brun logs ho1 --source vm -n 5
t_eq "logs --source vm -n 5 exits 0" 0 "$RC"
t_match "logs --source vm: the 10 MiB line is printed cut, with a marker" \
	'x \[cut: the line is longer than 16384 bytes\]' "$OUT"
t_check "logs --source vm: no line longer than the cap and its marker" \
	test "$(printf '%s\n' "$OUT" | awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }')" -lt 17000
t_match "logs --source vm: the line after it follows" 'Z long-done$' "$OUT"

# --- 1,000,000 lines as fast as the guest can -------------------------------
t0=$(date +%s%N)
guest flood
if t_wait_for 300 seen flood-done; then
	t_ok "the follower keeps up to the end of a 1,000,000-line flood"
else
	t_fail "the follower keeps up to the end of a 1,000,000-line flood"
fi
t1=$(date +%s%N)
hwm=$(kb $FP VmHWM)
t_diag "flood: $(((t1 - t0) / 1000000)) ms from the trigger to the last line" \
	"(1,000,000 lines written); follower VmHWM $hwm kB"
t_check "the follower's peak memory grew by < 20 MiB through both floods (${BASE:-?} -> ${hwm:-?} kB)" \
	test -n "$hwm" -a $((hwm - BASE)) -lt $LIMIT_KB
kill -INT $FP
wait $FP
t_eq "the follower ends with 0 on SIGINT" 0 $?
wait $AWKPID
n=$(sed -n 's/^FLOODLINES //p' "$W/vm.out")
t_diag "the follower printed $n of the 1,000,000 flood lines (the console" \
	"rotates at 10 MiB: a reader behind the writer loses the rotated-away part)"
t_check "the follower printed flood lines" test "${n:-0}" -gt 0

# --- 50 MiB of exec output --------------------------------------------------
OUTGEN="yes 'exec output line 0123456789 abcdefghijklmnopqrstuvwxyz' | head -c 52428800"
ERRGEN="yes 'exec error line 0123456789' | head -c 10485760"
# stdout through a fifo whose reader starts late: exec lives long enough
# to be sampled
mkfifo "$W/exec.fifo"
{
	sleep 1
	cat
} <"$W/exec.fifo" >"$W/exec.out" &
CATPID=$!
"$RB" -c "$CFG" exec ho1 -- sh -c "$OUTGEN; $ERRGEN >&2" >"$W/exec.fifo" 2>"$W/exec.err" </dev/null &
XP=$!
t_defer "kill -9 $XP"
base= peak=0
while kill -0 $XP 2>/dev/null; do
	v=$(kb $XP VmHWM)
	if [ -n "$v" ]; then
		# the base: the first sample (it may be before bottle set
		# itself up: the growth then includes its start-up)
		[ -n "$base" ] || base=$(kb $XP VmRSS)
		[ "$v" -le "$peak" ] || peak=$v
	fi
	sleep 0.02
done
wait $XP
t_eq "exec of 50 MiB exits 0" 0 $?
wait $CATPID
t_check "exec: stdout is the 50 MiB the command wrote, byte for byte" \
	cmp -s "$W/exec.out" <(sh -c "$OUTGEN")
t_check "exec: stderr is the 10 MiB the command wrote, byte for byte" \
	cmp -s "$W/exec.err" <(sh -c "$ERRGEN")
t_diag "exec: VmRSS $base kB at the first sample, peak VmHWM $peak kB;" \
	"stdout $(stat -c %s "$W/exec.out") bytes, stderr $(stat -c %s "$W/exec.err") bytes"
if [ -n "$base" ] && [ "$peak" -gt 0 ]; then
	t_check "exec: bottle's peak memory grew by < 20 MiB ($base -> $peak kB)" \
		test $((peak - base)) -lt $LIMIT_KB
else
	t_skip "exec: bottle's peak memory grew by < 20 MiB" "exec ended before it could be sampled"
fi
rm -f "$W/exec.out" "$W/exec.err"

brun rm ho1
t_eq "rm ho1 exits 0" 0 "$RC"
t_world_clean_check
