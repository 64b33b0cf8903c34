#!/usr/bin/env bash
# tests/integration/probes.sh: the probes prove isolation from inside the
# VM, and each mutation that breaks it turns the named probe red, at the
# world's smolvm (1.9.3: virtio-net, denials recorded by smolvm; 0.8.0:
# TSI, run by tests/run.sh as probes@0.8.0):
#   a healthy pair: every probe PASS (cross-bottle with a second bottle up;
#     1.9.3: localhost-reach aims at the gateway 100.96.0.1 and the denials
#     are attributed; dns-hole PASS though the VMM's default upstream
#     answers every name, because --dns names the bundle)
#   (a) egress bound to 0.0.0.0 (test-only override) → egress-port-bypass FAIL
#   (b) the VM recreated from a pack (--from drops the allowlist)
#       → localhost-reach FAIL and cross-bottle FAIL
#   (c) 0.8.0: the simulator's resolver hole aimed at a container of ours → WARN
#   1.9.3, the VM recreated by hand (the control: as bottle creates it, all
#   PASS): with --allow-cidr 100.96.0.1/32 (the gateway let through to the
#   host's loopback) → localhost-reach FAIL; without --dns → dns-hole FAIL;
#   smolvm's denial log unwritable (a refusal without attribution)
#   → localhost-reach and cross-bottle UNKNOWN
#   pipelock killed inside the bundle → bundle-reach FAIL, negatives UNKNOWN
#   the bundle stopped → bundle-reach FAIL, the negative probes UNKNOWN
#   pipelock's kill switch on → degraded, shown by status
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
# these cases break the first wall (the VMM's allowlist) on purpose, to
# see that the probes tell; the second wall (wall.sh) would close the hole
export BOTTLE_WALL=off
t_world 205 pr1 pr2

# A stand-in resolver of our own: a container listening on TCP 53.
t_defer "docker rm -f bottle-test-pr-dns; docker network rm bottle-test-pr-dns"
docker network create --subnet 10.213.206.0/28 bottle-test-pr-dns >/dev/null
docker run -d --name bottle-test-pr-dns --network bottle-test-pr-dns \
	--ip 10.213.206.2 -e BOTTLE_DNS_LISTEN=0.0.0.0:53 \
	bottle-demo-bundle:latest >/dev/null
RESOLVER=10.213.206.2
UPSTREAM=$RESOLVER
if ! t_at_tsi; then
	# 1.9.3: the VMM forwards DNS to SMOLVM_SIM_RESOLVER unless create
	# had --dns: a UDP responder on the host's loopback that answers
	# every A query (192.0.2.1, never contacted)
	python3 - "$W/dns.port" <<'PY' >/dev/null 2>&1 &
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    q, src = s.recvfrom(4096)
    i = 12
    while i < len(q) and q[i]:
        i += q[i] + 1
    i += 5
    a = q[:2] + struct.pack("!HHHHH", 0x8180, 1, 1, 0, 0) + q[12:i]
    a += b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([192, 0, 2, 1])
    s.sendto(a, src)
PY
	t_defer "kill $!"
	t_wait_for 10 test -s "$W/dns.port"
	UPSTREAM=127.0.0.1:$(cat "$W/dns.port")
fi
config() { # config PR1-EXTRA PR2-EXTRA
	cat >"$CFG" <<EOF
{
  "defaults": {
    "vmm": "sim", "subnet_pool": "$POOL", "probe_interval_s": 3600,
    "vm": {"image": "bottle-demo-vm:latest",
           "cmd": ["/bin/sh", "-c", "while :; do sleep 3600; done"],
           "cpus": 1, "memory": 256},
    "bundle": {"image": "bottle-demo-bundle:latest"},
    "probes": {"resolver": null, "timeout_s": 3}
  },
  "bottles": {"pr1": {$1}, "pr2": {$2}}
}
EOF
}

verdict() { jget "d[\"probes\"][\"$1\"][\"verdict\"]" <<<"$OUT"; }
detail() { jget "d[\"probes\"][\"$1\"][\"detail\"]" <<<"$OUT"; }

# --- a healthy pair ---------------------------------------------------------
config '"probes": {"resolver": "'$RESOLVER'"}' ''
export SMOLVM_SIM_RESOLVER=$UPSTREAM
# one after the other: the concurrent up is parallel.sh's
brun up pr1
t_eq "up pr1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
brun up pr2
t_eq "up pr2 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
brun probe pr1 --json
t_eq "probe pr1: with the second wall off some PASS is only the guest's word: exit 1" 1 "$RC"
t_match "probe pr1: ... isolation not proven, said on stderr" \
	"isolation not proven: some PASS verdicts are guest-reported" "$ERR"
t_eq "probe pr1: ... proven false, all_pass true" "false true" \
	"$(jget 'd["proven"]' <<<"$OUT") $(jget 'd["all_pass"]' <<<"$OUT")"
for p in bundle-reach localhost-reach egress-port-bypass exec-fidelity cross-bottle; do
	t_eq "healthy: $p PASS" PASS "$(verdict $p)"
done
t_eq "probe uses the static helper" "bottle-probe" \
	"$(jget 'd["probes"]["bundle-reach"]["method"]' <<<"$OUT")"
if t_at_tsi; then
	t_eq "(c) resolver hole reachable: dns-hole WARN" WARN "$(verdict dns-hole)"
	t_match "dns-hole says why" "resolver" "$(detail dns-hole)"
	t_match "0.8.0: localhost-reach aims at the host's 127.0.0.1" "^127\.0\.0\.1:" \
		"$(detail localhost-reach)"
	t_nomatch "0.8.0: no denial is attributed to smolvm" "recorded by smolvm" "$OUT"
else
	t_eq "1.9.3: dns-hole PASS (--dns names the bundle)" PASS "$(verdict dns-hole)"
	t_match "1.9.3: localhost-reach aims at the gateway" "^100\.96\.0\.1:[0-9]+ \\(canary\\): refused" \
		"$(detail localhost-reach)"
	for p in localhost-reach cross-bottle; do
		t_match "1.9.3: $p: denial recorded by smolvm" "denial recorded by smolvm" "$(detail $p)"
	done
fi

S=$SMOLVM_SIM
B1=$(docker inspect bottle-pr1-bundle --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
# recreate [CREATE-FLAGS...]: pr1's VM made again by hand as bottle makes it
# at 1.9.3 (--dns B, -I the saved image, labels), plus CREATE-FLAGS
recreate() {
	"$S" machine stop --name bottle-pr1 >/dev/null 2>&1
	"$S" machine delete --name bottle-pr1 -f >/dev/null 2>&1
	"$S" machine create --name bottle-pr1 -s "$BOTTLE_STATE_DIR/pr1/Smolfile" \
		--label dev.bottle.managed=1 --label dev.bottle.name=pr1 \
		-I "$(ls "$BOTTLE_STATE_DIR"/images/*.tar | head -1)" "$@" >"$W/rc.out" 2>&1 &&
		"$S" machine start --name bottle-pr1 >>"$W/rc.out" 2>&1 ||
		t_diag "recreate $*: $(cat "$W/rc.out")"
	t_vm_record pr1
}
if ! t_at_tsi; then
	recreate --dns "$B1"
	brun probe pr1 --json
	t_eq "control: pr1 recreated by hand as bottle does: with the second wall off some PASS is only the guest's word: exit 1" 1 "$RC"
	t_match "control: pr1 recreated by hand as bottle does: ... isolation not proven, said on stderr" \
		"isolation not proven: some PASS verdicts are guest-reported" "$ERR"
	t_eq "control: pr1 recreated by hand as bottle does: ... proven false, all_pass true" "false true" \
		"$(jget 'd["proven"]' <<<"$OUT") $(jget 'd["all_pass"]' <<<"$OUT")"
	for p in localhost-reach cross-bottle dns-hole; do
		t_eq "control: recreated: $p PASS" PASS "$(verdict $p)"
	done
	# smolvm cannot write its denial log: the refusals are not attributed
	dd=$("$S" machine data-dir --name bottle-pr1)
	rm -f "$dd/egress-denials.log"
	mkdir "$dd/egress-denials.log"
	brun probe pr1 --json
	t_eq "no attribution: probe exits 1" 1 "$RC"
	for p in localhost-reach cross-bottle; do
		t_eq "no attribution: $p UNKNOWN, never PASS" UNKNOWN "$(verdict $p)"
		t_match "no attribution: $p says smolvm recorded nothing" \
			"no denial|recorded no" "$(detail $p)"
	done
	# the gateway let through to the host's loopback
	recreate --dns "$B1" --allow-cidr 100.96.0.1/32
	brun probe pr1 --json
	t_eq "gateway allowed: probe exits 1" 1 "$RC"
	t_eq "gateway allowed: localhost-reach FAIL" FAIL "$(verdict localhost-reach)"
	t_match "gateway allowed: the canary saw it" "canary .*saw [1-9]" "$(detail localhost-reach)"
	t_eq "gateway allowed: cross-bottle still PASS" PASS "$(verdict cross-bottle)"
	# --dns dropped: the VMM forwards to its default upstream
	recreate
	brun probe pr1 --json
	t_eq "--dns dropped: probe exits 1" 1 "$RC"
	t_eq "--dns dropped: dns-hole FAIL" FAIL "$(verdict dns-hole)"
	t_match "--dns dropped: names resolve" "resolve" "$(detail dns-hole)"
	t_eq "--dns dropped: localhost-reach still PASS" PASS "$(verdict localhost-reach)"
fi
unset SMOLVM_SIM_RESOLVER

# --- (b) the VM recreated from a pack: the allowlist is gone ------------
"$S" pack create -s "$BOTTLE_STATE_DIR/pr1/Smolfile" -o "$W/pack" >/dev/null 2>&1
"$S" machine stop --name bottle-pr1 >/dev/null 2>&1
# a pack carries no volumes: the probe helper's mount is given again
# (without it no connect probe has a helper: all UNKNOWN, never FAIL)
vols=()
while IFS= read -r v; do vols+=(-v "$v"); done < <(python3 -c '
import sys, tomllib
for v in tomllib.load(open(sys.argv[1], "rb")).get("volumes", []): print(v)' \
	"$BOTTLE_STATE_DIR/pr1/Smolfile")
if t_at_tsi; then
	"$S" machine delete bottle-pr1 -f >/dev/null 2>&1
	"$S" machine create bottle-pr1 --from "$W/pack.smolmachine" "${vols[@]}" \
		>"$W/b.out" 2>&1 || t_diag "$(cat "$W/b.out")"
else
	# --from keeps only the CLI's --allow-cidr (none); on virtio-net (on
	# TSI the guest would share the host's network and its probe of
	# 100.96.0.1 would leave the machine)
	"$S" machine delete --name bottle-pr1 -f >/dev/null 2>&1
	"$S" machine create --name bottle-pr1 --from "$W/pack.smolmachine" \
		--net-backend virtio-net "${vols[@]}" --label dev.bottle.managed=1 \
		--label dev.bottle.name=pr1 >"$W/b.out" 2>&1 || t_diag "$(cat "$W/b.out")"
fi
"$S" machine start --name bottle-pr1 >/dev/null 2>&1
t_vm_record pr1
brun probe pr1 --json
t_eq "(b) probe of a VM from a pack exits 1" 1 "$RC"
t_eq "(b) localhost-reach FAIL" FAIL "$(verdict localhost-reach)"
t_eq "(b) cross-bottle FAIL" FAIL "$(verdict cross-bottle)"
t_eq "(b) status unsafe" unsafe "$(jget 'd["status"]' <<<"$OUT")"
brun ls
t_match "(b) ls shows pr1 unsafe" "^pr1 +unsafe" "$OUT"

# negatives_unknown WHAT: every negative probe that ran is UNKNOWN
negatives_unknown() {
	local p v
	for p in localhost-reach egress-port-bypass cross-bottle dns-hole; do
		v=$(verdict $p)
		[ "$v" = SKIP ] && continue
		t_eq "$1: $p UNKNOWN, never PASS" UNKNOWN "$v"
	done
}

# --- pipelock killed inside the bundle: the control fails ----------------
docker exec bottle-pr2-bundle sh -c 'for d in /proc/[0-9]*; do
	tr "\0" " " <$d/cmdline 2>/dev/null | grep -q "^/bin/busybox httpd .*:8888 " &&
		kill ${d#/proc/}; done' >/dev/null 2>&1
B2=$(docker inspect bottle-pr2-bundle --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}')
pipelock_gone() { ! timeout 5 bash -c "exec 3<>/dev/tcp/$B2/8888" 2>/dev/null; }
t_check "pipelock's httpd is gone from the bundle" t_wait_for 10 pipelock_gone
brun probe pr2 --json
t_eq "pipelock killed: probe exits 1" 1 "$RC"
t_eq "pipelock killed: bundle-reach FAIL" FAIL "$(verdict bundle-reach)"
negatives_unknown "pipelock killed"

# --- the bundle stopped: the control fails, negatives are UNKNOWN -------
docker stop -t 1 bottle-pr2-bundle >/dev/null
brun probe pr2 --json
t_eq "bundle stopped: probe exits 1" 1 "$RC"
if t_at_tsi; then
	t_eq "bundle stopped: bundle-reach FAIL" FAIL "$(verdict bundle-reach)"
else
	# the VMM accepts, then its own connect to the vanished address
	# stalls (or fails after the ARP timeout): silence or a reset
	t_match "bundle stopped: bundle-reach FAIL or UNKNOWN, never PASS" \
		"^(FAIL|UNKNOWN)$" "$(verdict bundle-reach)"
fi
negatives_unknown "bundle stopped"
brun down pr1 pr2
t_eq "down both" 0 "$RC"

# --- (a) egress exposed through the loudly-warned test override ---------
config '"bundle": {"image": "bottle-demo-bundle:latest", "services": {"egress": {"bind": "0.0.0.0"}}}' \
	'"bundle": {"image": "bottle-demo-bundle:latest", "env": {"BOTTLE_DEMO_KILL_SWITCH": "1"}}'
brun up pr1
t_eq "(a) without the override the config is refused (78)" 78 "$RC"
export BOTTLE_TEST_UNSAFE_BIND=1
brun up pr1 pr2
t_eq "(a) up exits 1: isolation not proven" 1 "$RC"
t_match "(a) the override is warned about" "warning: .*egress" "$ERR"
t_match "(a) up names the failing probe" "egress-port-bypass FAIL" "$ERR"
brun probe pr1 --json
t_eq "(a) egress-port-bypass FAIL" FAIL "$(verdict egress-port-bypass)"
t_eq "(a) status unsafe" unsafe "$(jget 'd["status"]' <<<"$OUT")"

# --- pipelock's kill switch is not green --------------------------------
brun status pr2 --json
t_eq "kill switch: status degraded" degraded "$(jget 'd["status"]' <<<"$OUT")"
t_eq "kill switch reported" true "$(jget 'd["kill_switch"]' <<<"$OUT")"

brun rm pr1 pr2
t_eq "rm exits 0" 0 "$RC"
unset BOTTLE_TEST_UNSAFE_BIND
docker rm -f bottle-test-pr-dns >/dev/null 2>&1
docker network rm bottle-test-pr-dns >/dev/null 2>&1
t_world_clean_check
