#!/usr/bin/env bash
# tests/integration/logs.sh: `bottle logs` against the real docker engine
# and the smolvm simulator: the last N lines of each source, merged by
# time with a source prefix; pipelock audit lines summarised; a hostile
# bundle line (OSC 52, ESC [ 2 J, C1 CSI, invalid UTF-8, CR, BEL) reaches
# the terminal inert (checked on the raw bytes bottle writes, in a UTF-8
# and in an ASCII locale) while --raw passes it through; -f shows a new
# bundle line within a second, follows the bundle across a container
# restart and the events log as bottle writes it, and ends cleanly (exit
# 0, no leak under ASan) on SIGINT and SIGTERM.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 206 lg1
t_defer "'$BOTTLE' -c '$CFG' rm lg1"

brun up lg1
t_eq "up lg1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || {
	t_diag "$ERR"
	exit 1
}
IP=$(docker inspect bottle-lg1-bundle --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
EVENTS=$BOTTLE_STATE_DIR/lg1/events.log

# say TEXT: a line on the bundle's stdout (what docker logs reads)
say() {
	docker exec bottle-lg1-bundle sh -c "printf '$1\\n' >/proc/1/fd/1"
}
# request: one HTTP request to the bundle's pipelock, which logs it
request() {
	local reply
	exec 7<>"/dev/tcp/$IP/8888" || return 1
	printf 'GET /health HTTP/1.0\r\n\r\n' >&7
	reply=$(cat <&7)
	exec 7<&-
	[ -n "$reply" ]
}
# follow ARGS...: bottle logs lg1 ARGS... in the background into $W/f.out
follow() {
	"$BOTTLE" -c "$CFG" logs lg1 "$@" >"$W/f.out" 2>"$W/f.err" </dev/null &
	FP=$!
	t_defer "kill -9 $FP"
}
# stop_follow SIG: the exit status of the follower after SIG
stop_follow() {
	kill -"$1" $FP
	wait $FP
}

# --- history --------------------------------------------------------------
brun logs lg1
t_eq "logs lg1 exits 0" 0 "$RC"
t_match "all: bundle lines carry the bundle| prefix" \
	'^[0-9T:.-]+Z bundle\| ' "$OUT"
t_match "all: events lines carry the events| prefix" \
	'^[0-9T:.-]+Z events\| up done$' "$OUT"
t_match "all: vm lines carry the vm | prefix" '^[0-9T:.-]+Z vm    \| agent ready$' "$OUT"
t_eq "all: merged by time" "$(printf '%s\n' "$OUT" | cut -c1-24 | sort -s)" \
	"$(printf '%s\n' "$OUT" | cut -c1-24)"

brun logs lg1 --source events -n 3
t_eq "--source events -n 3: the last 3 lines of events.log, as written" \
	"$(tail -n 3 "$EVENTS")" "$OUT"
brun logs lg1 --source events -n 2 --raw
t_eq "--raw --source events -n 2: the lines as written" "$(tail -n 2 "$EVENTS")" "$OUT"
brun logs lg1 --source vm -n 1
t_match "--source vm -n 1: the last console line, no prefix" '^[0-9T:.-]+Z agent ready$' "$OUT"

# smolvm's record of denials: up's own probes were denied on their way
# to the host's loopback through the gateway (1.9.3); 0.8.0 keeps none
brun logs lg1 --source egress
if t_at_tsi; then
	t_eq "0.8.0: --source egress exits 1" 1 "$RC"
	t_match "0.8.0: --source egress says this smolvm cannot report denials" \
		"smolvm 0\.8\.0 cannot report denials" "$OUT$ERR"
	t_nomatch "0.8.0: ... and shows no denial" "denied" "$OUT"
else
	t_eq "1.9.3: --source egress exits 0" 0 "$RC"
	t_match "1.9.3: --source egress shows the probes' denied connect to the gateway" \
		'^[0-9T:.-]+Z denied connect to 100\.96\.0\.1:[0-9]+$' "$OUT"
	t_nomatch "1.9.3: ... and never the bundle's address, which is allowed" \
		"denied connect to $IP:" "$OUT"
fi

# pipelock's audit line (the demo bundle prints one at start)
LANG=C.UTF-8 LC_ALL=C.UTF-8 brun logs lg1 --source bundle -n 100
t_match "audit line summarised (UTF-8)" \
	'Z BLOCKED dlp: GitHub Token → example\.invalid \[critical\]$' "$OUT"
LANG=C LC_ALL=C brun logs lg1 --source bundle -n 100
t_match "audit line summarised (ASCII)" \
	'Z BLOCKED dlp: GitHub Token -> example\.invalid \[critical\]$' "$OUT"
brun logs lg1 --source bundle -n 100 --raw
t_match "--raw shows the audit line as pipelock wrote it" \
	'^\{"ts":"[^"]*","service":"pipelock","event":"blocked",.*"scanner":"dlp"' "$OUT"

# --- hostile text ---------------------------------------------------------
say 'evil-start\033]52;c;cHduZWQ=\007 \033[2J\033[H \302\23331m c1-csi \23331m raw-c1 \377\376 bad-utf8 \rover evil-end'
# inert FILE START END: the line from START to END is in FILE once, in
# one piece; FILE is valid UTF-8 without any control character (C0 but
# the newlines, DEL, C1: raw bytes are invalid UTF-8, encoded ones are
# code points U+0080..U+009F): no ESC, BEL, CR, CSI, OSC.
inert() {
	python3 - "$@" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
text = data.decode("utf-8")  # raises on invalid UTF-8
ctl = [hex(ord(c)) for c in text
       if c != "\n" and (ord(c) < 0x20 or 0x7f <= ord(c) <= 0x9f)]
assert not ctl, ctl
lines = [l for l in text.split("\n") if sys.argv[2] in l]
assert len(lines) == 1 and sys.argv[3] in lines[0], lines
print("inert")
EOF
}
for loc in C.UTF-8 C; do
	LANG=$loc LC_ALL=$loc "$BOTTLE" -c "$CFG" logs lg1 --source bundle -n 5 \
		>"$W/hostile.$loc" 2>/dev/null </dev/null
	t_eq "a hostile bundle line reaches the terminal inert ($loc)" "inert" \
		"$(inert "$W/hostile.$loc" evil-start evil-end 2>&1 | tail -1)"
done
LANG=C LC_ALL=C "$BOTTLE" -c "$CFG" logs lg1 --source bundle -n 5 >"$W/hostile.ascii" 2>/dev/null </dev/null
t_eq "ASCII locale: printable ASCII only" "" \
	"$(LC_ALL=C tr -d '\n\040-\176' <"$W/hostile.ascii" | od -An -c | head -3)"
"$BOTTLE" -c "$CFG" logs lg1 --source bundle -n 5 --raw >"$W/hostile.raw" 2>/dev/null </dev/null
t_check "control: --raw passes the ESC bytes through" grep -q $'\x1b\\]52;c;' "$W/hostile.raw"

# --- following ------------------------------------------------------------
follow --source bundle -f -n 0
# ready: say a marker until one shows (bottle needs a moment to start)
ready() {
	say "marker-$((++MARKS))"
	t_wait_for 1 grep -q '^[0-9T:.-]*Z marker-[0-9]*$' "$W/f.out"
}
MARKS=0
if t_wait_for 20 ready; then
	t_ok "-f shows a line printed after it started"
else
	t_fail "-f shows a line printed after it started"
	t_diag "$(cat "$W/f.err")"
fi
t0=$(date +%s%N)
request
seen() { grep -q '"path":"/health"' "$W/f.out"; }
if t_wait_for 5 seen; then
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ $ms -lt 1000 ]; then
		t_ok "-f shows a new bundle line within a second (${ms} ms)"
	else
		t_fail "-f shows a new bundle line within a second (${ms} ms)"
	fi
else
	t_fail "-f shows a new bundle line within a second (never)"
fi
say 'again-evil\033]52;c;eA==\007\033[2J end-again'
t_wait_for 10 grep -q 'end-again' "$W/f.out"
t_eq "-f: the hostile line is inert while following too" "inert" \
	"$(inert "$W/f.out" again-evil end-again 2>&1 | tail -1)"
docker restart -t 1 bottle-lg1-bundle >/dev/null
restarted() { grep -q '"service":"bundle","event":"start"' "$W/f.out"; }
if t_wait_for 15 restarted; then
	t_ok "-f follows the bundle across a container restart"
else
	t_fail "-f follows the bundle across a container restart"
	t_diag "$(cat "$W/f.err")"
fi
# A line every second until one shows (at most 12 s): a docker exec that
# failed while docker was still busy with the restart is said again, and
# is named in the log. Then none of the lines said may be missing.
said=0
printed= # the numbers whose docker exec succeeded
t0=$SECONDS
while [ $((SECONDS - t0)) -lt 12 ]; do
	said=$((said + 1))
	if say "after-restart-$said"; then
		printed+=" $said"
	else
		t_diag "say after-restart-$said failed"
	fi
	t_wait_for 1 grep -q 'after-restart-[0-9]*$' "$W/f.out" && break
done
if grep -q 'after-restart-[0-9]*$' "$W/f.out"; then
	t_ok "-f: lines after the restart keep coming"
	lost=
	for i in $printed; do
		t_wait_for 3 grep -q "after-restart-$i\$" "$W/f.out" || lost+=" after-restart-$i"
	done
	t_eq "-f: no line printed after the restart is lost" "" "$lost"
else
	t_fail "-f: lines after the restart keep coming"
	t_diag "said $said lines; bottle's stderr: $(tail -5 "$W/f.err")"
	t_diag "last lines shown: $(tail -3 "$W/f.out")"
	t_diag "docker logs: $(docker logs --timestamps --tail 3 bottle-lg1-bundle 2>&1)"
	t_diag "docker logs -f children: $(ps -eo pid,etimes,args | grep '[d]ocker logs')"
fi
t_eq "-f: no line is shown twice across the restart" "" \
	"$(sort "$W/f.out" | uniq -d)"
t0=$(date +%s%N)
stop_follow INT
RC=$?
ms=$((($(date +%s%N) - t0) / 1000000))
t_eq "SIGINT ends -f with exit 0 (and no leak under ASan)" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$(tail -20 "$W/f.err")"
if [ $ms -lt 3000 ]; then t_ok "... promptly (${ms} ms)"; else t_fail "... promptly (${ms} ms)"; fi
t_eq "no docker logs child is left behind" "" \
	"$(ps -eo args= | grep -E '^docker logs .*bottle-lg1-bundle' || true)"

follow -f -n 0
ready() {
	say "marker-$((++MARKS))"
	t_wait_for 1 grep -q 'bundle| marker-[0-9]*$' "$W/f.out"
}
t_check "-f on all sources starts" t_wait_for 20 ready
brun exec lg1 -- true
t_check "-f on all sources shows bottle's own events as they happen" \
	t_wait_for 10 grep -q 'events| exec: true → exit 0 in' "$W/f.out"
say 'all-sources-marker'
t_check "-f on all sources shows bundle lines with their prefix" \
	t_wait_for 10 grep -q 'bundle| all-sources-marker$' "$W/f.out"
stop_follow TERM
t_eq "SIGTERM ends -f with exit 0" 0 "$?"

# --- errors ---------------------------------------------------------------
brun logs nosuch
t_eq "logs of an unknown bottle exits 1" 1 "$RC"
brun logs lg1 --source nonsense
t_eq "an unknown source is a usage error (2)" 2 "$RC"
brun logs lg1 -n lots
t_eq "a bad -n is a usage error (2)" 2 "$RC"
brun down lg1
brun logs lg1
t_eq "logs of a bottle that is down still shows its events (exit 0)" 0 "$RC"
t_match "... the down steps among them" 'events\| down done$' "$OUT"
brun logs lg1 --source bundle
t_eq "--source bundle without a container exits 1" 1 "$RC"
t_match "... and says why" "^bottle: lg1: bundle: docker logs: .*No such container" "$ERR"

brun rm lg1
t_eq "rm lg1" 0 "$RC"
t_world_clean_check
