#!/usr/bin/env bash
# tests/sim/network.sh: the simulator's TSI emulation, enforced by netfilter.
# A docker network with two demo bundles (B, and a second one standing in for
# another bottle or the resolver), a canary listener on 127.0.0.1, and
# machines with different Smolfiles:
#   allow_cidrs = [B]      reaches B:8888 only; B:9099 refused (bind knob);
#                          host loopback and the other bundle rejected
#   + SMOLVM_SIM_RESOLVER  the resolver stand-in becomes reachable
#   loopback-only list     no resolver hole added
#   ports only / net=true  unrestricted (traps)
#   no network keys        nothing reachable
#   --from a pack          allowlist silently dropped (0.8.0 trap)
# Traffic goes only to 127.0.0.1 and to containers this test creates.
. "$(dirname "$0")/../lib.sh"
t_need_root

unset SMOLVM_SIM_RESOLVER
# sim_begin, the leftover checks and run()
. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin docker

# a /28 of our own (the first free one of a few candidates), B and OTHER
sim_bundles simtest-net-$$ 250 251 252 253 254

# The canary: a listener on the host's loopback that records every accept.
python3 - "$TMP/canary" <<'EOF' &
import os, select, socket, sys
d = sys.argv[1]
s4 = socket.socket()
s4.bind(("127.0.0.1", 0))
port = s4.getsockname()[1]
s6 = socket.socket(socket.AF_INET6)
s6.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
s6.bind(("::1", port))
for s in (s4, s6):
    s.listen(16)
open(d + ".port.tmp", "w").write(str(port))
os.rename(d + ".port.tmp", d + ".port")
while True:
    r, _, _ = select.select([s4, s6], [], [])
    for s in r:
        c, a = s.accept()
        with open(d + ".log", "a") as f:
            f.write("accepted %s:%d\n" % a[:2])
        c.close()
EOF
CANARY_PID=$!
t_defer "kill $CANARY_PID"
t_wait_for 5 test -s "$TMP/canary.port"
P=$(cat "$TMP/canary.port")
canary_hits() { cat "$TMP/canary.log" 2>/dev/null | wc -l | tr -d ' '; }

mk() { # NAME SMOLFILE-LINES...
	local n=$1
	shift
	printf '%s\n' 'image = "bottle-demo-vm:latest"' "$@" >"$TMP/$n.Smolfile"
	"$SMOLVM" machine create "$n" -s "$TMP/$n.Smolfile" >/dev/null
	note_uids
	"$SMOLVM" machine start --name "$n" >/dev/null 2>&1
}

# --- allowlist: exactly B ---
mk allow '[network]' "allow_cidrs = [\"$B\"]"
t_eq "allowlisted machine started" '"running"' \
	"$("$SMOLVM" machine status --name allow --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["state"]))')"
UID_ALLOW=$("$SMOLVM" machine exec --name allow -- id -u)
sim_connect allow $B 8888
t_eq "bundle-reach: connect to B:8888 succeeds" 0 "$RC"
t_match "bundle-reach: pipelock /health answered" '"kill_switch_active":false' "$OUT"
sim_connect allow $B 9099
t_check "egress-port-bypass: B:9099 fails" test "$RC" -ne 0
t_match "egress-port-bypass: refused by B (bind knob)" "Connection refused" "$ERR"
before=$(canary_hits)
start=$(date +%s%N)
sim_connect allow 127.0.0.1 "$P"
ms=$((($(date +%s%N) - start) / 1000000))
t_check "localhost-reach: connect to 127.0.0.1 fails" test "$RC" -ne 0
t_match "localhost-reach: host loopback gets a reset (ECONNREFUSED)" "Connection refused" "$ERR"
t_check "localhost-reach: fails at once, not by timeout (${ms} ms)" test "$ms" -lt 900
sleep 0.2
t_eq "localhost-reach: the canary saw no connection" "$before" "$(canary_hits)"
sim_connect allow $OTHER 8888
t_check "cross-bottle: another bundle's IP is rejected" test "$RC" -ne 0
t_match "cross-bottle: rejected by policy with EACCES, as TSI does" "Permission denied" "$ERR"
t_eq "a bare IP in allow_cidrs means /32" "throw $B" "$(ip route show table "$UID_ALLOW" | grep throw | sed 's/ *$//')"
OUT=$("$SMOLVM" machine exec --name allow -- sh -c "echo x | nc -w 2 127.0.0.1 $P 2>/dev/null; echo \$?")
t_eq "stdin of nc: still rejected" 1 "$(printf '%s' "$OUT" | tail -1)"
v6=$("$SMOLVM" machine exec --name allow -- sh -c "nc -w 2 ::1 $P </dev/null 2>&1; echo rc=\$?")
t_match "IPv6 loopback (a canary listens there too) rejected" "Connection refused.*rc=1" "$(echo $v6)"
t_eq "canary still untouched" "$before" "$(canary_hits)"

# --- the resolver stand-in ---
"$SMOLVM" machine stop --name allow >/dev/null
SMOLVM_SIM_RESOLVER=$OTHER "$SMOLVM" machine start --name allow >/dev/null 2>&1
sim_connect allow $OTHER 8888
t_eq "dns-hole: SMOLVM_SIM_RESOLVER makes that IP reachable" 0 "$RC"
sim_connect allow 127.0.0.1 "$P"
t_check "dns-hole: loopback still rejected" test "$RC" -ne 0

# --- loopback-only allowlist: no resolver added ---
SMOLVM_SIM_RESOLVER=$OTHER mk loop '[network]' 'allow_cidrs = ["127.0.0.1/32"]'
before=$(canary_hits)
sim_connect loop 127.0.0.1 "$P"
t_eq "loopback allowlist reaches the loopback listener" 0 "$RC"
t_wait_for 3 eval '[ "$(canary_hits)" -gt "$before" ]'
sim_connect loop $OTHER 8888
t_check "loopback-only allowlist: no resolver hole" test "$RC" -ne 0

# --- no networking at all ---
mk nonet
sim_connect nonet $B 8888
t_check "no network keys: B unreachable" test "$RC" -ne 0
t_match "no network keys: EACCES" "Permission denied" "$ERR"
t_eq "no network keys: status network=false" false \
	"$("$SMOLVM" machine status --name nonet --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["network"]))')"

# --- ports only: networking with no allowlist (trap) ---
mk ports 'ports = ["18080:80"]'
before=$(canary_hits)
sim_connect ports 127.0.0.1 "$P"
t_eq "ports-only machine is unrestricted" 0 "$RC"
t_wait_for 3 eval '[ "$(canary_hits)" -gt "$before" ]'
t_check "ports-only: the canary saw the connection" test "$(canary_hits)" -gt "$before"

# --- net = true without allowlist ---
mk open 'net = true'
sim_connect open $OTHER 8888
t_eq "net = true without allowlist is unrestricted" 0 "$RC"

# --- --from a pack: the allowlist is silently dropped (0.8.0 trap) ---
mkdir -p "$TMP/pack"
printf '%s\n' 'image = "bottle-demo-vm:latest"' 'cmd = ["sleep", "100000"]' \
	'[network]' "allow_cidrs = [\"$B/32\"]" >"$TMP/pack.Smolfile"
"$SMOLVM" pack create -s "$TMP/pack.Smolfile" -o "$TMP/pack/demo" >"$TMP/out" 2>&1
t_eq "pack create exits 0" 0 "$?"
t_check "pack create writes PATH and PATH.smolmachine" test -x "$TMP/pack/demo" -a -s "$TMP/pack/demo.smolmachine"
"$SMOLVM" machine create packed --from "$TMP/pack/demo.smolmachine" >"$TMP/out"
note_uids
t_match "create --from extracts the pack" "^Extracting .smolmachine assets" "$(cat "$TMP/out")"
"$SMOLVM" machine start --name packed >/dev/null 2>&1
t_eq "--from machine is running" 0 "$?"
before=$(canary_hits)
sim_connect packed 127.0.0.1 "$P"
t_eq "--from machine reaches host loopback (allowlist dropped)" 0 "$RC"
t_wait_for 3 eval '[ "$(canary_hits)" -gt "$before" ]'
t_check "--from: the canary saw the connection" test "$(canary_hits)" -gt "$before"

# --- chains follow the machines ---
uids=""
for m in allow loop nonet ports open packed; do
	uids="$uids $("$SMOLVM" machine exec --name $m -- id -u)"
done
t_eq "distinct UIDs" 6 "$(printf '%s\n' $uids | sort -u | wc -l | tr -d ' ')"
n=0
for u in $uids; do n=$((n + $(iptables -S | grep -c "^-N SMOLSIM-$u\$"))); done
t_eq "chains only for restricted machines (allow, loop, nonet)" 3 "$n"
for m in allow loop nonet ports open packed; do
	"$SMOLVM" machine stop --name $m >/dev/null
	"$SMOLVM" machine delete $m -f >/dev/null
done
left=0
for u in $uids; do
	left=$((left + $(iptables -S | grep -c "SMOLSIM-$u")))
done
t_eq "every chain removed after stop + delete" 0 "$left"

t_cleanup
check_leftovers
