#!/usr/bin/env bash
# tests/sim/network-1.9.sh: the simulator's virtio-net emulation at 1.9.3.
# A docker network with two demo bundles (B: pipelock on 8888, a
# loopback-only port 9099; OTHER: another bottle), a canary on the host's
# 127.0.0.1, fake DNS resolvers on 127.0.0.1, and machines:
#   allow_cidrs = [B]     guest netns (eth0 100.96.0.2/30, gw 100.96.0.1);
#                         B:8888 answered; B:9099 connects, then reset/EOF;
#                         OTHER refused fast + `connect` event; UDP to OTHER
#                         dropped + `sendto` event; gateway and 169.254
#                         refused + logged; guest 127.0.0.1 is its own; DNS
#                         to any IP (UDP, and TCP/53) forwarded to the
#                         resolver from the host, never logged; the relay's
#                         host sockets belong to the VMM pid and its per-VM
#                         uid; an unreachable allowed IP: connect, then reset
#   --dns                 the forwarder uses it instead of the resolver
#   no resolver           names fail (SERVFAIL), nothing leaks
#   ports only            virtio-net, no policy: the gateway reaches host
#                         loopback (canary), UDP relayed, 169.254 floored
#   net = true            TSI: host network, unrestricted (as 0.8.0)
#   no network keys       loopback only (ENETUNREACH)
#   registry image        first start pulls in the guest: needs --proxy on
#                         an allowed IP (or HTTPS_PROXY, 1.9.1); -I archive
#                         needs none
#   --from + --allow-cidr the allowlist is kept (1.8.0+)
# Traffic goes only to 127.0.0.1 and to containers this test creates.
. "$(dirname "$0")/../lib.sh"
t_need_root

export SMOLVM_SIM_VERSION=1.9.3
unset SMOLVM_SIM_RESOLVER HTTPS_PROXY https_proxy HTTP_PROXY http_proxy ALL_PROXY all_proxy
. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin docker

sim_bundles simtest19-net-$$ 245 246 247 248 249
NOBODY=${SUBNET%.0/28}.9 # in our subnet, no container: unreachable

# Host-side helpers: a TCP canary and a UDP canary on 127.0.0.1 that record
# what reaches them, and fake DNS resolvers answering every A query with a
# fixed address (one on a free port: SMOLVM_SIM_RESOLVER; one on port 53 for
# --dns, when that port is free).
python3 - "$TMP" <<'EOF' &
import os, select, socket, struct, sys
d = sys.argv[1]
def note(name, text):
    with open(os.path.join(d, name + ".log"), "a") as f:
        f.write(text + "\n")
def port(name, v):
    open(os.path.join(d, name + ".tmp"), "w").write(str(v))
    os.rename(os.path.join(d, name + ".tmp"), os.path.join(d, name + ".port"))
tcp = socket.socket(); tcp.bind(("127.0.0.1", 0)); tcp.listen(16)
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); udp.bind(("127.0.0.1", 0))
dns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); dns.bind(("127.0.0.1", 0))
socks = {tcp: "canary", udp: "udp", dns: "dns"}
try:
    dns53 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    dns53.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    dns53.bind(("127.0.0.1", 53)); socks[dns53] = "dns53"
except OSError:
    dns53 = None
port("udp", udp.getsockname()[1]); port("dns", dns.getsockname()[1])
port("dns53", 53 if dns53 else 0)
port("canary", tcp.getsockname()[1])
while True:
    r, _, _ = select.select(list(socks), [], [])
    for s in r:
        if s is tcp:
            c, a = s.accept(); note("canary", "accepted %s:%d" % a); c.close()
            continue
        q, a = s.recvfrom(4096)
        if socks[s] == "udp":
            note("udp", "got %r" % q); s.sendto(b"pong:" + q, a); continue
        i = 12
        while q[i]:
            i += q[i] + 1
        i += 5
        ip = [192, 0, 2, 77] if s is dns else [192, 0, 2, 53]
        note(socks[s], "query")
        s.sendto(q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + q[12:i] +
                 b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes(ip), a)
EOF
HELPER=$!
t_defer "kill $HELPER"
t_wait_for 5 test -s "$TMP/canary.port"
P=$(cat "$TMP/canary.port")
UP=$(cat "$TMP/udp.port")
DNSP=$(cat "$TMP/dns.port")
hits() { cat "$TMP/$1.log" 2>/dev/null | wc -l | tr -d ' '; }

mk() { # NAME SMOLFILE-LINES...
	local n=$1
	shift
	printf '%s\n' "$@" >"$TMP/$n.Smolfile"
	sim_create "$n" -s "$TMP/$n.Smolfile" >/dev/null
	note_uids
}
vmm_pid() { "$SMOLVM" machine status --name "$1" --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])'; }
events() { "$SMOLVM" machine egress-events --name "$1" --json | python3 -c 'import json,sys; print(" ".join(e["operation"] + ":" + e["dest"] for e in json.load(sys.stdin)))'; }
# the TCP/53 query for example.test (length-prefixed), as printf octal escapes
QTCP=$(python3 -c '
import struct
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0) + b"\x07example\x04test\x00" + struct.pack("!HH", 1, 1)
print("".join("\\%03o" % b for b in struct.pack("!H", len(q)) + q))')

# --- allowlist [B]: the bundle-only machine ---
export SMOLVM_SIM_RESOLVER=127.0.0.1:$DNSP
mk allow 'image = "bottle-demo-vm:latest"' 'cmd = ["sleep", "100000"]' '[network]' "allow_cidrs = [\"$B\"]"
run "$SMOLVM" machine start --name allow
t_eq "registry image + allowlist, no proxy: first start fails" 1 "$RC"
t_match "no proxy: the in-guest pull fails like smolvm's" "^Error: agent operation failed: pull image: failed to pull image 'bottle-demo-vm:latest'" "$ERR"
run "$SMOLVM" machine start --name allow --proxy "http://$OTHER:3128"
t_eq "--proxy on a denied IP: the pull fails too" 1 "$RC"
run env HTTPS_PROXY="http://$B:8888" "$SMOLVM" machine start --name allow
t_eq "HTTPS_PROXY on the allowed IP in smolvm's env (1.9.1+): the pull works" 0 "$RC"
"$SMOLVM" machine stop --name allow >/dev/null
run "$SMOLVM" machine start --name allow --proxy "http://$B:8888"
t_eq "--proxy on the allowed IP: start works" 0 "$RC"
VPID=$(vmm_pid allow)
GUID=$("$SMOLVM" machine exec --name allow -- id -u)
t_eq "the guest has eth0 100.96.0.2/30" "100.96.0.2/30" \
	"$("$SMOLVM" machine exec --name allow -- ip -4 addr show eth0 | sed -n 's/.*inet \([0-9./]*\).*/\1/p')"
t_eq "default route via the gateway 100.96.0.1" "default via 100.96.0.1 dev eth0" \
	"$("$SMOLVM" machine exec --name allow -- ip route | sed -n 's/ *$//; /^default/p')"
t_eq "the guest's resolver is the gateway" "nameserver 100.96.0.1" "$("$SMOLVM" machine exec --name allow -- cat /etc/resolv.conf)"
t_eq "no host netfilter chain for the guest UID" 0 "$(iptables -S | grep -c "SMOLSIM-$GUID")"

sim_connect allow $B 8888
t_eq "bundle-reach: B:8888 exchanges data" 0 "$RC"
t_match "bundle-reach: pipelock /health answered" '"kill_switch_active":false' "$OUT"
sim_connect allow $B 9099
t_nomatch "egress-port-bypass: connect() to B:9099 succeeds (allowed IP)" "can't connect" "$ERR"
t_eq "egress-port-bypass: then reset/EOF with no bytes" "" "$OUT"
before=$(hits canary)
sim_connect allow $OTHER 8888
t_check "cross-bottle: OTHER fails" test "$RC" -ne 0
t_match "cross-bottle: refused at connect() (ECONNREFUSED)" "can't connect to remote host \\($OTHER\\): Connection refused" "$ERR"
sim_connect allow 100.96.0.1 "$P"
t_match "gateway (not in the allowlist): refused at connect()" "can't connect .*Connection refused" "$ERR"
sim_connect allow 169.254.169.254 80
t_match "metadata address: refused at connect()" "can't connect .*Connection refused" "$ERR"
sim_connect allow 127.0.0.1 "$P"
t_match "guest 127.0.0.1 is guest-local: nothing listens there" "can't connect .*Connection refused" "$ERR"
sleep 0.2
t_eq "the host canary saw none of it" "$before" "$(hits canary)"
v6=$("$SMOLVM" machine exec --name allow -- sh -c "nc -w 2 2001:db8::1 80 </dev/null 2>&1; echo rc=\$?")
t_match "no IPv6 in the guest (the host here has no IPv6 route for it)" "Network is unreachable" "$v6"
"$SMOLVM" machine exec --name allow -- timeout 3 tftp -g -r x $OTHER 6969 >/dev/null 2>&1
t_eq "egress-events: the denials, oldest first (UDP retries: one or more sendto)" \
	"connect:$OTHER:8888 connect:100.96.0.1:$P connect:169.254.169.254:80 sendto:$OTHER:6969" \
	"$(events allow | sed 's/\(sendto:[^ ]*\)\( sendto:[^ ]*\)*$/\1/')"
t_match "egress-events JSON: exactly timestamp, operation, dest; seconds, Z" \
	'^\[\["dest", "operation", "timestamp"\], true\]$' \
	"$("$SMOLVM" machine egress-events --name allow --json | python3 -c '
import json, re, sys
e = json.load(sys.stdin)
print(json.dumps([sorted(e[0]), all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", x["timestamp"]) for x in e)]))')"
t_match "egress-denials.log line format" \
	"^\\[[0-9T:-]+Z\\]: egress policy denied connect to $OTHER:8888\$" \
	"$(head -1 "$(sim_datadir allow)/egress-denials.log")"

# DNS: to any address, forwarded from the host, never logged
before=$(hits dns)
OUT=$("$SMOLVM" machine exec --name allow -- nslookup example.test 9.9.9.9 2>&1)
t_match "UDP DNS to 9.9.9.9 answered (by the forwarder)" "192\\.0\\.2\\.77" "$OUT"
t_check "the query reached the resolver, from the host" test "$(hits dns)" -gt "$before"
OUT=$("$SMOLVM" machine exec --name allow -- sh -c "printf '$QTCP' | nc -w 3 100.96.0.1 53 | od -An -tx1")
t_match "TCP DNS to the gateway answered" "c0 00 02 4d" "$(echo $OUT)"
OUT=$("$SMOLVM" machine exec --name allow -- sh -c "printf '$QTCP' | nc -w 3 $OTHER 53 | od -An -tx1")
t_match "TCP/53 to a denied IP: answered by the gateway too" "c0 00 02 4d" "$(echo $OUT)"
t_match "... and logged as a denied connect" "connect:$OTHER:53" "$(events allow)"
t_nomatch "UDP/53 is never logged" "9\\.9\\.9\\.9" "$(events allow)"

# the VMM's host sockets: its pid, its per-VM uid
"$SMOLVM" machine exec --name allow -- sh -c "sleep 4 | nc $B 8888 >/dev/null" &
EXEC=$!
t_wait_for 5 eval "ss -Htnpe state established dst $B | grep -q ':8888'"
SS=$(ss -Htnpe state established dst $B)
t_match "the relay's socket to B belongs to the VMM process" "pid=$VPID," "$SS"
t_match "... and to the per-VM uid 2000000+(guest uid-61000)" "uid:$((2000000 + GUID - 61000)) " "$SS"
wait $EXEC

# an allowed but unreachable address: connect() succeeds, then a reset
"$SMOLVM" machine stop --name allow >/dev/null
mk wide 'image = "bottle-demo-vm:latest"' 'cmd = ["sleep", "100000"]' '[network]' "allow_cidrs = [\"$SUBNET\"]"
SMOLVM_SIM_CONNECT_TIMEOUT=2 "$SMOLVM" machine start --name wide --proxy "http://$B:8888" >/dev/null 2>&1
sim_connect wide $NOBODY 80
t_nomatch "unreachable allowed IP: connect() succeeds" "can't connect" "$ERR"
t_eq "unreachable allowed IP: no bytes, then reset/EOF" "" "$OUT"
t_eq "unreachable allowed IP: not a denial" "" "$(events wide)"
"$SMOLVM" machine stop --name wide >/dev/null

# --- --dns: the forwarder's upstream ---
if [ "$(cat "$TMP/dns53.port")" = 53 ]; then
	printf '%s\n' '[network]' "allow_cidrs = [\"$B\"]" >"$TMP/dns.Smolfile"
	run sim_create withdns -s "$TMP/dns.Smolfile" --dns 127.0.0.1
	note_uids
	"$SMOLVM" machine start --name withdns >/dev/null 2>&1
	OUT=$("$SMOLVM" machine exec --name withdns -- nslookup example.test 9.9.9.9 2>&1)
	t_match "--dns: the forwarder asks that server, not SMOLVM_SIM_RESOLVER" "192\\.0\\.2\\.53" "$OUT"
	"$SMOLVM" machine stop --name withdns >/dev/null
else
	t_skip "--dns upstream" "127.0.0.1:53 is in use on this host"
fi

# --- no resolver: DNS fails, nothing leaks ---
unset SMOLVM_SIM_RESOLVER
mk nores '[network]' "allow_cidrs = [\"$B\"]"
"$SMOLVM" machine start --name nores >/dev/null 2>&1
before=$(hits dns)
run "$SMOLVM" machine exec --name nores -- nslookup example.test 9.9.9.9
t_check "no resolver: the lookup fails" test "$RC" -ne 0
t_nomatch "no resolver: no answer" "192\\.0\\.2" "$OUT"
t_eq "no resolver: the fake resolver saw nothing" "$before" "$(hits dns)"
"$SMOLVM" machine stop --name nores >/dev/null

# --- ports only: virtio-net without a policy ---
mk ports 'ports = ["18080:80"]'
"$SMOLVM" machine start --name ports >/dev/null 2>&1
before=$(hits canary)
sim_connect ports 100.96.0.1 "$P"
t_nomatch "no policy: the gateway reaches host loopback (1.7.2+)" "can't connect" "$ERR"
t_wait_for 3 eval '[ "$(hits canary)" -gt "$before" ]'
t_check "no policy: the canary saw the connection" test "$(hits canary)" -gt "$before"
sim_connect ports $OTHER 8888
t_eq "no policy: another bundle reachable" 0 "$RC"
sim_connect ports 169.254.169.254 80
t_match "no policy: the metadata floor still refuses" "Connection refused" "$ERR"
t_match "no policy: a floor denial is logged" "connect:169.254.169.254:80" "$(events ports)"
before=$(hits udp)
"$SMOLVM" machine exec --name ports -- timeout 2 tftp -g -r relayed 100.96.0.1 "$UP" >/dev/null 2>&1
t_check "no policy: UDP relayed (to host loopback via the gateway)" test "$(hits udp)" -gt "$before"
"$SMOLVM" machine stop --name ports >/dev/null

# --- net = true: TSI, the host's network (as 0.8.0) ---
mk tsi 'net = true'
"$SMOLVM" machine start --name tsi >/dev/null 2>&1
t_eq "net = true: TSI, the host's network namespace" "$(netns_of $$)" "$(netns_of "$(vmm_pid tsi)")"
sim_connect tsi 127.0.0.1 "$P"
t_eq "net = true: unrestricted, host loopback reachable" 0 "$RC"
"$SMOLVM" machine stop --name tsi >/dev/null

# --- no network at all ---
mk nonet
"$SMOLVM" machine start --name nonet >/dev/null 2>&1
sim_connect nonet $B 8888
t_match "no network: only loopback (ENETUNREACH)" "Network is unreachable" "$ERR"
t_eq "no network: status network=false" false \
	"$("$SMOLVM" machine status --name nonet --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["network"]))')"
"$SMOLVM" machine stop --name nonet >/dev/null

# --- -I a docker save archive: no pull, no proxy needed ---
docker save bottle-demo-vm:latest -o "$TMP/img.tar"
printf '%s\n' 'cmd = ["sleep", "100000"]' '[network]' "allow_cidrs = [\"$B\"]" >"$TMP/local.Smolfile"
run sim_create local -s "$TMP/local.Smolfile" -I "$TMP/img.tar"
t_eq "-I /abs/archive.tar: create exits 0" 0 "$RC"
note_uids
t_match "-I archive: image is local:<sha256>" '^"local:[0-9a-f]{64}"$' \
	"$("$SMOLVM" machine status --name local --json | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin)["image"]))')"
run "$SMOLVM" machine start --name local
t_eq "-I archive: starts without a proxy" 0 "$RC"
t_nomatch "-I archive: no pull" "Pulling" "$ERR"
t_eq "-I archive: the image's files are there" "/bottle/start.sh" "$("$SMOLVM" machine exec --name local -- ls /bottle/start.sh)"
sim_connect local $B 8888
t_eq "-I archive: the allowlist holds (B reachable)" 0 "$RC"
sim_connect local $OTHER 8888
t_match "-I archive: the allowlist holds (OTHER refused)" "Connection refused" "$ERR"
"$SMOLVM" machine stop --name local >/dev/null

# --- --from + --allow-cidr: kept at 1.8.0+ ---
mkdir -p "$TMP/pack"
printf '%s\n' 'image = "bottle-demo-vm:latest"' 'cmd = ["sleep", "100000"]' '[network]' "allow_cidrs = [\"$B/32\"]" >"$TMP/pack.Smolfile"
"$SMOLVM" pack create -s "$TMP/pack.Smolfile" -o "$TMP/pack/demo" >/dev/null 2>&1
sim_create packed --from "$TMP/pack/demo.smolmachine" --allow-cidr "$B/32" >/dev/null
note_uids
"$SMOLVM" machine start --name packed >/dev/null 2>&1
sim_connect packed $B 8888
t_eq "--from + --allow-cidr: B reachable" 0 "$RC"
sim_connect packed $OTHER 8888
t_match "--from + --allow-cidr: the allowlist is kept (OTHER refused)" "Connection refused" "$ERR"

# --- kill -9 of a VMM: its namespace goes with the guest's processes ---
PID=$(vmm_pid packed)
NS=$(netns_of "$PID")
"$SMOLVM" machine exec --name packed -- sh -c 'sleep 1000 >/dev/null 2>&1 &'
kill -9 "$PID"
run "$SMOLVM" machine stop --name packed
t_eq "after kill -9: stop exits 0" 0 "$RC"
gone() { ! ls -l /proc/[0-9]*/ns/net 2>/dev/null | grep -qF "$NS"; }
t_wait_for 5 gone
t_check "after kill -9 + stop: no process left in the guest's namespace" gone

for m in allow wide withdns nores ports tsi nonet local packed; do
	sim_delete $m -f >/dev/null 2>&1
done
t_cleanup
check_leftovers
