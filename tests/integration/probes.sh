#!/usr/bin/env bash
# tests/integration/probes.sh: the probes prove isolation from inside the
# VM, and each mutation that breaks it turns the named probe red:
#   a healthy pair: every probe PASS (cross-bottle with a second bottle up)
#   (a) egress bound to 0.0.0.0 (test-only override) → egress-port-bypass FAIL
#   (b) the VM recreated from a pack (--from drops the allowlist)
#       → localhost-reach FAIL and cross-bottle FAIL
#   (c) the simulator's resolver hole aimed at a container of ours → WARN
#   the bundle stopped → bundle-reach FAIL, the negative probes UNKNOWN
#   pipelock's kill switch on → degraded, shown by status
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 205 pr1 pr2

# A stand-in resolver of our own: a container listening on TCP 53.
t_defer "docker rm -f bottle-test-pr-dns; docker network rm bottle-test-pr-dns"
docker network create --subnet 10.213.206.0/28 bottle-test-pr-dns >/dev/null
docker run -d --name bottle-test-pr-dns --network bottle-test-pr-dns \
	--ip 10.213.206.2 -e BOTTLE_DNS_LISTEN=0.0.0.0:53 \
	bottle-demo-bundle:latest >/dev/null
RESOLVER=10.213.206.2

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

# --- a healthy pair, the resolver hole open to our stand-in ------------
config '"probes": {"resolver": "'$RESOLVER'"}' ''
export SMOLVM_SIM_RESOLVER=$RESOLVER
brun up pr1 pr2
t_eq "up pr1 pr2 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
brun probe pr1 --json
t_eq "probe pr1 exits 0" 0 "$RC"
for p in bundle-reach localhost-reach egress-port-bypass exec-fidelity cross-bottle; do
	t_eq "healthy: $p PASS" PASS "$(verdict $p)"
done
t_eq "(c) resolver hole reachable: dns-hole WARN" WARN "$(verdict dns-hole)"
t_match "dns-hole says why" "resolver" "$(jget 'd["probes"]["dns-hole"]["detail"]' <<<"$OUT")"
t_eq "probe uses the static helper" "bottle-probe" \
	"$(jget 'd["probes"]["bundle-reach"]["method"]' <<<"$OUT")"
unset SMOLVM_SIM_RESOLVER

# --- (b) the VM recreated from a pack: the allowlist is gone ------------
S=$SMOLVM_SIM
"$S" machine stop --name bottle-pr1 >/dev/null 2>&1
"$S" machine delete bottle-pr1 -f >/dev/null 2>&1
"$S" pack create -s "$BOTTLE_STATE_DIR/pr1/Smolfile" -o "$W/pack" >/dev/null 2>&1
"$S" machine create bottle-pr1 --from "$W/pack.smolmachine" >/dev/null 2>&1
"$S" machine start --name bottle-pr1 >/dev/null 2>&1
brun probe pr1 --json
t_eq "(b) probe of a VM from a pack exits 1" 1 "$RC"
t_eq "(b) localhost-reach FAIL" FAIL "$(verdict localhost-reach)"
t_eq "(b) cross-bottle FAIL" FAIL "$(verdict cross-bottle)"
t_eq "(b) status unsafe" unsafe "$(jget 'd["status"]' <<<"$OUT")"
brun ls
t_match "(b) ls shows pr1 unsafe" "^pr1 +unsafe" "$OUT"

# --- the bundle stopped: the control fails, negatives are UNKNOWN -------
docker stop -t 1 bottle-pr2-bundle >/dev/null
brun probe pr2 --json
t_eq "bundle stopped: probe exits 1" 1 "$RC"
t_eq "bundle stopped: bundle-reach FAIL" FAIL "$(verdict bundle-reach)"
for p in localhost-reach egress-port-bypass; do
	t_eq "bundle stopped: $p UNKNOWN, never PASS" UNKNOWN "$(verdict $p)"
done
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
