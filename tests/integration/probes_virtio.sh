#!/usr/bin/env bash
# tests/integration/probes_virtio.sh: smolvm 1.9.3 (virtio-net), the
# mutations the simulator's fault knobs make, each caught by its probe:
#   healthy: every probe PASS, the denials recorded by smolvm, --dns B
#     keeping guest DNS away from the resolver (dns-hole PASS)
#   (d) --dns dropped (SMOLVM_SIM_IGNORE_DNS): names resolve through the
#       gateway → dns-hole FAIL
#   (e) the gateway let through to the host's loopback (SMOLVM_SIM_HOLE)
#       → localhost-reach FAIL, the canary saw the connection
#   (f) denials enforced but not recorded (SMOLVM_SIM_NO_DENIAL_LOG)
#       → localhost-reach and cross-bottle UNKNOWN, never PASS
# The resolver is a fake on 127.0.0.1 that answers every A query.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
# these cases break the first wall (the VMM's allowlist) on purpose, to
# see that the probes tell; the second wall (wall.sh) would close the hole
export BOTTLE_WALL=off
t_world 207 pv1 pv2
export SMOLVM_SIM_VERSION=1.9.3

# the fake resolver: one A record (192.0.2.1, documentation range) for any
# name, on a loopback port of our own; it stops by itself
t_tmpdir R
python3 - "$R/port" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
s.settimeout(1.0)
end = time.monotonic() + 600
while time.monotonic() < end:
    try:
        q, a = s.recvfrom(512)
    except socket.timeout:
        continue
    if len(q) < 12:
        continue
    ans = (q[:2] + b"\x81\x80" + q[4:6] + b"\x00\x01\x00\x00\x00\x00" +
           q[12:] + b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" +
           bytes([192, 0, 2, 1]))
    s.sendto(ans, a)
PY
FAKE_DNS=$!
t_defer "kill $FAKE_DNS 2>/dev/null"
t_wait_for 20 test -s "$R/port" || t_fail "the fake resolver started"
export SMOLVM_SIM_RESOLVER=127.0.0.1:$(cat "$R/port")

verdict() { jget "d[\"probes\"][\"$1\"][\"verdict\"]" <<<"$OUT"; }
detail() { jget "d[\"probes\"][\"$1\"][\"detail\"]" <<<"$OUT"; }

# --- healthy: proven, with smolvm's own record of every denial ---------
brun up pv1 pv2
t_eq "healthy: up pv1 pv2 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
brun probe pv1 --json
t_eq "healthy: with the second wall off some PASS is only the guest's word: exit 1" 1 "$RC"
t_match "healthy: ... isolation not proven, said on stderr" \
	"isolation not proven: some PASS verdicts are guest-reported" "$ERR"
t_eq "healthy: ... proven false, all_pass true" "false true" \
	"$(jget 'd["proven"]' <<<"$OUT") $(jget 'd["all_pass"]' <<<"$OUT")"
for p in bundle-reach localhost-reach egress-port-bypass exec-fidelity \
	cross-bottle dns-hole; do
	t_eq "healthy: $p PASS" PASS "$(verdict $p)"
done
t_match "healthy: bundle-reach is an HTTP exchange, not a bare connect" \
	"answered HTTP 200" "$(detail bundle-reach)"
t_match "healthy: localhost-reach aims at the gateway" "100\.96\.0\.1:" \
	"$(detail localhost-reach)"
t_match "healthy: its denial is recorded by smolvm" "denial recorded by smolvm" \
	"$(detail localhost-reach)"
t_match "healthy: cross-bottle's denial is recorded too" \
	"denial recorded by smolvm" "$(detail cross-bottle)"
t_match "healthy: egress is reset after the connect, nothing answered" \
	"then (reset|closed) with nothing answered" "$(detail egress-port-bypass)"
t_nomatch "healthy: --dns B: no name resolves" "with [1-9][0-9]* record" \
	"$(detail dns-hole)"
t_match "healthy: the demo bundle's resolver refused the names at once (rcode 5)" \
	"UDP\): connected in [0-9]+ ms, DNS answer rcode 5 with 0 records" "$(detail dns-hole)"
t_match "healthy: smolvm got --dns with the bundle's address" \
	"machine create --name bottle-pv1 .*--dns 10\.213\.207\." \
	"$(cat "$BOTTLE_STATE_DIR/pv1/events.log")"

# --- (d) --dns dropped: the gateway forwards to the resolver ------------
brun down pv1
SMOLVM_SIM_IGNORE_DNS=1 brun up pv1
t_eq "(d) up exits 1: not proven isolated" 1 "$RC"
brun probe pv1 --json
t_eq "(d) dns-hole FAIL" FAIL "$(verdict dns-hole)"
t_match "(d) it says names resolve" "names resolve" "$(detail dns-hole)"
t_eq "(d) status unsafe" unsafe "$(jget 'd["status"]' <<<"$OUT")"

# --- (e) the gateway let through: the host's loopback is reachable ------
brun down pv1
SMOLVM_SIM_HOLE=100.96.0.1/32 brun up pv1
t_eq "(e) up exits 1" 1 "$RC"
brun probe pv1 --json
t_eq "(e) localhost-reach FAIL" FAIL "$(verdict localhost-reach)"
t_match "(e) the canary saw it" "canary .*saw [1-9]" "$(detail localhost-reach)"

# --- (f) denials nobody records: no proof, so UNKNOWN -------------------
brun down pv1
SMOLVM_SIM_NO_DENIAL_LOG=1 brun up pv1
t_eq "(f) up exits 1 (not proven)" 1 "$RC"
brun probe pv1 --json
t_eq "(f) localhost-reach UNKNOWN, never PASS" UNKNOWN "$(verdict localhost-reach)"
t_eq "(f) cross-bottle UNKNOWN, never PASS" UNKNOWN "$(verdict cross-bottle)"
t_match "(f) it says smolvm recorded no denial" "recorded no denial" \
	"$(detail localhost-reach)"
t_nomatch "(f) status is not healthy" "^healthy$" "$(jget 'd["status"]' <<<"$OUT")"

brun rm pv1 pv2
t_eq "rm exits 0" 0 "$RC"
t_world_clean_check
