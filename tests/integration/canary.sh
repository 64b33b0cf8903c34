#!/usr/bin/env bash
# tests/integration/canary.sh: another local user connecting to the canary
# (the host-loopback listener localhost-reach aims at) changes no verdict,
# and a guest connection that reaches it with the run's nonce still does:
#   healthy: during `bottle probe`, an intruder hammers the canary port
#     from the host (a wrong nonce, junk, nothing at all, as uid nobody);
#     localhost-reach stays PASS, the bottle healthy, and the detail counts
#     the unrelated connections it ignored
#   1.9.3, the gateway let through (SMOLVM_SIM_HOLE): the guest's own
#     connection carries the nonce → localhost-reach FAIL, intruder or not
# Traffic: only 127.0.0.1 (the canary) and the test's own bottle.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 241 cn1

verdict() { jget "d[\"probes\"][\"$1\"][\"verdict\"]" <<<"$OUT"; }
detail() { jget "d[\"probes\"][\"$1\"][\"detail\"]" <<<"$OUT"; }

# intrude PID COUNTFILE: find PID's listener on 127.0.0.1 (the canary:
# bottle's only loopback listener), then, as uid nobody, connect to it
# every 20 ms until PID is gone; each connection sends a wrong nonce,
# junk, or nothing. Writes how many connections it made to COUNTFILE.
intrude() {
	python3 - "$1" <<'PY' >"$2"
import encodings.idna, os, socket, sys, time  # all loaded before setuid
pid = int(sys.argv[1])
def port_of(pid):
    try:
        inodes = set()
        for fd in os.listdir("/proc/%d/fd" % pid):
            l = os.readlink("/proc/%d/fd/%s" % (pid, fd))
            if l.startswith("socket:["):
                inodes.add(l[8:-1])
        for line in open("/proc/net/tcp").readlines()[1:]:
            f = line.split()
            if f[3] == "0A" and f[9] in inodes and f[1].startswith("0100007F:"):
                return int(f[1].split(":")[1], 16)
    except OSError:
        pass
    return None
port = None
while port is None and os.path.exists("/proc/%d" % pid):
    port = port_of(pid)
    time.sleep(0.01)
os.setgroups([]); os.setgid(65534); os.setuid(65534)  # another local user
n, held = 0, []
words = [b"bottle-canary 00000000000000000000000000000000\n",
         b"GET / HTTP/1.0\r\n\r\n", b""]
while port is not None and os.path.exists("/proc/%d" % pid):
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(1)
        s.connect(("127.0.0.1", port))
        s.sendall(words[n % 3])
        n += 1
        held.append(s)  # kept open: a silent one stays silent
        if len(held) > 20:
            held.pop(0).close()
    except OSError:
        pass
    time.sleep(0.02)
print(n)  # to the file the shell opened (nobody cannot)
PY
}

# probe_with_intruder: `bottle probe cn1 --json` while intrude runs; each
# smolvm exec waits a second first (a probe run is otherwise over in a
# quarter of a second, before the intruder has found the port).
probe_with_intruder() {
	SMOLVM_SIM_DELAY=exec:1 "$BOTTLE" -c "$CFG" probe cn1 --json >"$W/out" 2>"$W/err" </dev/null &
	local bpid=$!
	rm -f "$W/intruder.n"
	intrude "$bpid" "$W/intruder.n" &
	local ipid=$!
	wait "$bpid"
	RC=$?
	wait "$ipid"
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
	INTRUDED=$(cat "$W/intruder.n" 2>/dev/null || echo 0)
}

brun up cn1
t_eq "up cn1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"

probe_with_intruder
t_check "the intruder connected to the canary" test "$INTRUDED" -gt 0
t_eq "intruded: probe exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$OUT $ERR"
t_eq "intruded: localhost-reach still PASS" PASS "$(verdict localhost-reach)"
t_match "intruded: the canary saw none with the run's nonce" \
	"saw no connection carrying this run's nonce" "$(detail localhost-reach)"
t_match "intruded: the unrelated connections are counted, ignored" \
	"[1-9][0-9]* unrelated connections? to the canary .*ignored" \
	"$(detail localhost-reach)"
t_eq "intruded: status healthy" healthy "$(jget 'd["status"]' <<<"$OUT")"

if ! t_at_tsi; then
	# the gateway let through to the host's loopback: a real breach,
	# proven by the nonce the guest's connection carried
	# (the second wall would refuse it before the canary: it is off here,
	# to see the canary tell; wall.sh covers the wall)
	brun down cn1
	export BOTTLE_WALL=off
	SMOLVM_SIM_HOLE=100.96.0.1/32 brun up cn1
	t_eq "hole: up exits 1" 1 "$RC"
	probe_with_intruder
	t_eq "hole: probe exits 1" 1 "$RC"
	t_eq "hole: localhost-reach FAIL" FAIL "$(verdict localhost-reach)"
	t_match "hole: the canary saw the guest's connection with the nonce" \
		"saw 1 connection carrying this run's nonce" \
		"$(detail localhost-reach)"
	t_eq "hole: status unsafe" unsafe "$(jget 'd["status"]' <<<"$OUT")"
	unset BOTTLE_WALL
fi

brun rm cn1
t_eq "rm exits 0" 0 "$RC"
t_world_clean_check
