#!/usr/bin/env bash
# tests/integration/lifecycle.sh: bottle up / ls / status / down / rm of
# one bottle against the real docker engine and the smolvm simulator:
# the network, the bundle at its pinned IP with the bind knob, the
# Smolfile with exactly one allow_cidrs entry, probes, and a clean rm.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 201 lc1

# The user's environment holds variables smolvm would act on (a stricter
# egress floor, a pull proxy, a boot debug switch): bottle must not pass
# them (smolvm gets only the environment bottle builds).
SMOLVM_EGRESS_FLOOR=strict HTTPS_PROXY=http://127.0.0.1:9 SMOLVM_BOOT_DEBUG=1 \
	brun up lc1
t_eq "up lc1 exits 0" 0 "$RC"
t_match "up prints the bottle healthy on stdout" "^lc1: healthy$" "$OUT"
t_match "up reports its steps on stderr" "lc1: up: vm-start" "$ERR"
[ "$RC" = 0 ] || t_diag "$ERR"

subnet=$(docker network inspect bottle-lc1 --format '{{(index .IPAM.Config 0).Subnet}}' 2>/dev/null)
t_match "network bottle-lc1 has a /28 from the pool" "^10\.213\.201\.[0-9]+/28$" "$subnet"
label=$(docker network inspect bottle-lc1 --format '{{index .Labels "dev.bottle.name"}}' 2>/dev/null)
t_eq "network carries dev.bottle.name" "lc1" "$label"

ip=$(docker inspect bottle-lc1-bundle --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' 2>/dev/null)
base=${subnet%/28}
expect_ip="${base%.*}.$((${base##*.} + 2))"
t_eq "bundle pinned at the subnet's first host + 1" "$expect_ip" "$ip"
env=$(docker inspect bottle-lc1-bundle --format '{{range .Config.Env}}{{println .}}{{end}}' 2>/dev/null)
t_match "bind knob: pipelock on 0.0.0.0:8888" "^BOTTLE_PIPELOCK_LISTEN=0\.0\.0\.0:8888$" "$env"
t_match "bind knob: egress on loopback" "^BOTTLE_EGRESS_LISTEN=127\.0\.0\.1:9099$" "$env"
t_match "bind knob: git-gate" "^BOTTLE_GIT_GATE_LISTEN=0\.0\.0\.0:9418$" "$env"
t_eq "bundle labelled managed" "1" \
	"$(docker inspect bottle-lc1-bundle --format '{{index .Config.Labels "dev.bottle.managed"}}')"

smolfile=$BOTTLE_STATE_DIR/lc1/Smolfile
parsed=$(python3 - "$smolfile" "$ip" <<'EOF'
import sys, tomllib
d = tomllib.load(open(sys.argv[1], "rb"))
ip = sys.argv[2]
assert d["network"] == {"allow_cidrs": [ip + "/32"]}, d["network"]
assert "ports" not in d and "net" not in d, d
assert d["image"] == "bottle-demo-vm:latest", d["image"]
assert d["cpus"] == 1 and d["memory"] == 256, d
assert d["cmd"][0] == "/bin/sh", d["cmd"]
assert "HTTPS_PROXY=http://%s:8888" % ip in d["env"], d["env"]
print("ok")
EOF
)
t_eq "Smolfile parses (tomllib) with exactly allow_cidrs == [B/32]" "ok" "$parsed"

vm=$("$SMOLVM_SIM" machine status --name bottle-lc1 --json 2>/dev/null | jget 'd["state"]')
t_eq "VM bottle-lc1 is running" "running" "$vm"

# the VMM (the machine's pid) runs with what bottle gave smolvm
vmm=$("$SMOLVM_SIM" machine ls --json 2>/dev/null | jget 'd[0]["pid"]')
venv=$(tr '\0' '\n' <"/proc/$vmm/environ" 2>/dev/null)
t_match "control: the VMM's environment is the one bottle gave (SMOLVM_SIM_HOME)" \
	"^SMOLVM_SIM_HOME=$SMOLVM_SIM_HOME$" "$venv"
for v in SMOLVM_EGRESS_FLOOR HTTPS_PROXY SMOLVM_BOOT_DEBUG; do
	t_nomatch "the user's $v does not reach smolvm's VMM" "^$v=" "$venv"
done
t_nomatch "nothing of the caller outside the allowlist reaches the VMM" \
	"^(BOTTLE_|ASAN_OPTIONS|UBSAN_OPTIONS|LD_PRELOAD)" "$venv"

brun ls --json
t_eq "ls --json exits 0" 0 "$RC"
t_eq "ls --json: lc1 healthy" "healthy" "$(jget 'd["bottles"][0]["status"]' <<<"$OUT")"
t_eq "ls --json: vm running" "running" "$(jget 'd["bottles"][0]["vm"]' <<<"$OUT")"
t_eq "ls --json: simulated" "true" "$(jget 'd["smolvm"]["simulated"]' <<<"$OUT")"

brun status lc1 --json
t_eq "status --json: allowlist" "[\"$ip/32\"]" "$(jget 'd["allow_cidrs"]' <<<"$OUT")"
t_eq "status --json: bundle-reach PASS" "PASS" \
	"$(jget 'd["probes"]["bundle-reach"]["verdict"]' <<<"$OUT")"

# up again: idempotent, nothing duplicated
brun up lc1
t_eq "second up exits 0" 0 "$RC"
t_eq "still one network" 1 "$(docker network ls --filter name=^bottle-lc1$ -q | wc -l)"
t_eq "still one bundle" 1 "$(docker ps -a --filter name=^bottle-lc1-bundle$ -q | wc -l)"

events=$(cat "$BOTTLE_STATE_DIR/lc1/events.log")
t_match "events.log records commands with exit status and duration" \
	"command: .*docker network create .*→ exit 0 in [0-9]+ ms" "$events"
t_match "events.log records probe verdicts" "probe exec-fidelity: PASS" "$events"

brun down lc1
t_eq "down exits 0" 0 "$RC"
t_eq "down removes the network" "" "$(docker network ls --filter name=^bottle-lc1$ -q)"
t_eq "down removes the bundle" "" "$(docker ps -a --filter name=^bottle-lc1-bundle$ -q)"
t_eq "down removes the VM" "[]" "$("$SMOLVM_SIM" machine ls --json)"
t_match "down keeps the allocation" "\"lc1\"" "$(cat "$BOTTLE_STATE_DIR/state.json")"

brun rm lc1
t_eq "rm exits 0" 0 "$RC"
t_nomatch "rm forgets the allocation" "\"lc1\"" "$(cat "$BOTTLE_STATE_DIR/state.json")"
t_world_clean_check
