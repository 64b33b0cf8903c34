#!/usr/bin/env bash
# tests/integration/hostile_config.sh: the hostile configuration catalogue,
# end to end (config file -> bottle -> docker, Smolfile, simulator).
#
#  - values with NUL (raw and "\u0000"), newlines, quotes, TOML and JSON
#    structure, shell metacharacters, "[network]" injections: refused
#    (exit 78, the key named, nothing created) where the schema forbids
#    them, otherwise inert: the Smolfile parses (python3 tomllib) with
#    exactly one allow_cidrs == ["B/32"] and every value comes back byte
#    for byte (in the Smolfile, in the VM's environment, in the bundle's,
#    where bundle.env refuses a newline: docker's --env-file cannot carry
#    one);
#  - a bundle that exits at once: a clear error within seconds;
#  - a VM image and a bundle image that don't exist (named so that
#    nothing is pulled from outside this machine): a clear error;
#  - a subnet pool that is exhausted, or that overlaps a docker network
#    or a host route: a clear error, or a subnet that overlaps nothing.
# Each failure leaves nothing behind.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 214 hc1 hc2 hc3

SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
PWNED=$W/pwned
OVL_NET=hostile-ovl-214
ROUTE=10.213.214.192/26

now_ms() { echo $(($(date +%s%N) / 1000000)); }


nothing_of() { # nothing_of LABEL NAME: no docker object, VM or allocation
	t_eq "$1: no network bottle-$2" "" "$(docker network ls --filter "name=^bottle-$2\$" -q)"
	t_eq "$1: no container bottle-$2-bundle" "" "$(docker ps -a --filter "name=^bottle-$2-bundle\$" -q)"
	t_nomatch "$1: no VM bottle-$2" "\"bottle-$2\"" "$("$SMOLVM_SIM" machine ls --json 2>/dev/null)"
	t_nomatch "$1: no allocation for $2" "\"$2\"" "$(cat "$BOTTLE_STATE_DIR/state.json" 2>/dev/null)"
}

# refused LABEL REGEX: `up --all` on the current config exits 78 with a
# message matching REGEX and creates nothing at all.
refused() {
	brun up --all
	t_eq "$1: exit 78" 78 "$RC"
	t_match "$1: the message names it" "$2" "$ERR"
	t_nomatch "$1: no sanitizer report" "$SAN_RE" "$ERR"
	t_check "$1: no state directory" test ! -e "$BOTTLE_STATE_DIR"
	if [ "$RC" != 78 ]; then
		# accepted by mistake: undo it so that the next cases start clean
		brun rm hc1
		rm -rf "$BOTTLE_STATE_DIR"
	fi
}

# ---- refused by the schema: exit 78, nothing created ----------------------

t_cfg_py 'bottle("hc1")["vm"] = {"env": {"A": "x@NUL@y"}}; raw.append(("@NUL@", b"\0"))'
refused "raw NUL byte in a value" "line [0-9]+, column [0-9]+.*NUL|NUL.*line [0-9]+"
t_cfg_py 'bottle("hc1")["vm"] = {"env": {"A": "x\0y"}}'
refused '"\u0000" in a value' 'line [0-9]+, column [0-9]+: .*\\u0000'
t_cfg_py 'bottle("hc1")["vm"] = {"env": {"A\0B": "x"}}'
refused '"\u0000" in a key' 'line [0-9]+, column [0-9]+: .*\\u0000'
t_cfg_py 'bottle("hc1")["vm"] = {"env": {"HTTP_PROXY": "http://evil:1"}}'
refused "vm.env HTTP_PROXY (bottle's own)" 'bottles\.hc1\.vm\.env\.HTTP_PROXY: reserved'
t_cfg_py 'bottle("hc1")["vm"] = {"env": {"A=B": "x"}}'
refused "vm.env name with =" 'bottles\.hc1\.vm\.env\["A=B"\]: invalid environment variable name'
t_cfg_py 'bottle("hc1")["vm"] = {"env": {"A\n[network]": "x"}}'
refused "vm.env name with a newline and [network]" 'bottles\.hc1\.vm\.env.*invalid environment variable name'
t_cfg_py 'bottle("hc1")["bundle"] = {"env": {"BOTTLE_PIPELOCK_LISTEN": "0.0.0.0:1"}}'
refused "bundle.env overriding the bind knob" 'bottles\.hc1\.bundle\.env\.BOTTLE_PIPELOCK_LISTEN: reserved'
# bundle.env reaches docker through --env-file, one variable per line: a
# newline cannot be carried (it would start another variable)
t_cfg_py 'bottle("hc1")["bundle"] = {"env": {"HC_NL": "a\nBOTTLE_PIPELOCK_LISTEN=0.0.0.0:1"}}'
refused "bundle.env value with a newline" 'bottles\.hc1\.bundle\.env\.HC_NL: .*cannot contain a newline'
t_cfg_py 'bottle("hc1")["vm"] = {"image": "bottle-demo-vm:latest\n[network]\nallow_cidrs = [\"0.0.0.0/0\"]"}'
refused "vm.image with a newline and [network]" 'bottles\.hc1\.vm\.image: expected an image reference'
t_cfg_py 'bottle("hc1")["vm"] = {"workdir": "/w\"]\n[network]\nallow_cidrs = [\"0.0.0.0/0\"]"}'
refused "vm.workdir with a newline and [network]" 'bottles\.hc1\.vm\.workdir: expected an absolute path'
t_cfg_py 'bottle("hc1")["bundle"] = {"image": "--privileged"}'
refused "bundle.image that docker would read as an option" 'bottles\.hc1\.bundle\.image: an image name cannot start with'
t_cfg_py 'bottle("hc1")["vm"] = {"image": "--from=/tmp/x"}'
refused "vm.image that smolvm would read as an option" 'bottles\.hc1\.vm\.image: an image name cannot start with'
t_cfg_py 'bottle("hc1")["vm"] = {"env": {"A": {"[network]": ["0.0.0.0/0"]}}}'
refused "an env value that is JSON structure, not a string" 'bottles\.hc1\.vm\.env\.A: expected a string'
t_cfg_py 'bottle("hc1")["vm"] = {"env": {"A": "@DEEP@"}}; raw.append(("\"@DEEP@\"", b"[" * 100000 + b"]" * 100000))'
refused "100000 nested arrays" 'line [0-9]+, column [0-9]+|bottles\.hc1\.vm\.env\.A'
t_cfg_py 'bottle("hc1"); raw.append(("\"hc1\": {}", b"\"hc1\": {}, \"hc1\": {\"vm\": {\"image\": \"x\"}}"))'
refused "a bottle defined twice" 'bottles\.hc1.*(duplicate|twice|more than once)'
t_cfg_py 'd["defaults"]["subnet_pool"] = "10.213.214.0/24\n"'
refused "subnet_pool with a newline" 'defaults\.subnet_pool'

# ---- accepted and inert: hostile values round-trip byte for byte ---------

cat >"$W/values.py" <<EOF
V = {
 "HC_A": 'a"\n[network]\nallow_cidrs = ["0.0.0.0/0"]\n',
 "HC_B": "x'''\"\"\"]]}{\\\\u0041 \\\\ # not a comment",
 "HC_C": '{"bottles": {"evil": {}}, "defaults": {"vmm": "smolvm"}}',
 "HC_D": '"]\n[network]\nallow_cidrs = ["0.0.0.0/0"]\nports = ["80:80"]\nnet = true\n#',
 "HC_E": "tab\there\rcr é 🍾 \\\\ \\\\\\\\ end",
 "HC_F": "\$(touch $PWNED) \`touch $PWNED\` ; touch $PWNED | & > $PWNED",
 "HC_G": "[network]",
 "HC_H": "=" * 3 + "x" * 4096,
 "HC_I": "",
}
EOF
t_cfg_py "exec(open('$W/values.py').read())
bottle('hc1')['vm'] = {'env': dict(V)}
bottle('hc1')['bundle'] = {'env': {k: v for k, v in V.items() if '\\n' not in v}}"
brun up hc1
t_eq "hostile values: up hc1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_nomatch "hostile values: no sanitizer report" "$SAN_RE" "$ERR"
t_check "hostile values: no shell ran a value" test ! -e "$PWNED"
ip=$(jget 'd["bottles"]["hc1"]["bundle_ip"]' <"$BOTTLE_STATE_DIR/state.json" 2>/dev/null)
res=$(python3 - "$BOTTLE_STATE_DIR/hc1/Smolfile" "$ip" "$W/values.py" <<'EOF'
import sys, tomllib
exec(open(sys.argv[3]).read())
raw = open(sys.argv[1], "rb").read()
d = tomllib.loads(raw.decode())
ip = sys.argv[2]
bad = []
if d.get("network") != {"allow_cidrs": [ip + "/32"]}:
    bad.append("network is %r" % (d.get("network"),))
if set(d) - {"image", "entrypoint", "cmd", "env", "workdir", "cpus", "memory",
             "volumes", "network"}:
    bad.append("extra keys %r" % sorted(d))
env = d.get("env", [])
for k, v in V.items():
    if env.count(k + "=" + v) != 1:
        bad.append("env %s does not round-trip" % k)
print("; ".join(bad) or "ok")
EOF
)
t_eq "hostile values: Smolfile parses, [network] is exactly allow_cidrs = [B/32], env round-trips" ok "$res"
t_eq "hostile values: the Smolfile has one allow_cidrs line" 1 \
	"$(grep -c '^[[:space:]]*allow_cidrs' "$BOTTLE_STATE_DIR/hc1/Smolfile")"

# in the VM (the simulator's strict parser accepted the file) and in the
# bundle, each value is exactly what was configured
res=$(python3 - "$SMOLVM_SIM" "$W/values.py" <<'EOF'
import json, subprocess, sys
exec(open(sys.argv[2]).read())
bad = []
for k, v in V.items():
    r = subprocess.run([sys.argv[1], "machine", "exec", "--name", "bottle-hc1",
                        "--", "/bin/sh", "-c", 'printf %s "$' + k + '"'],
                       capture_output=True, timeout=30)
    if r.returncode == 0 and r.stdout != v.encode() and \
            r.stdout == ("%s=%s" % (k, v)).strip().split("=", 1)[1].encode():
        # the simulator strips each "K=V" entry (as smolvm does?): only
        # surrounding whitespace is lost, by smolvm, not by bottle
        print("# vm %s: trailing whitespace stripped by smolvm" % k,
              file=sys.stderr)
    elif r.returncode != 0 or r.stdout != v.encode():
        bad.append("vm %s: %r" % (k, r.stdout[:80]))
insp = json.loads(subprocess.run(["docker", "inspect", "bottle-hc1-bundle"],
                                 capture_output=True, check=True).stdout)
env = insp[0]["Config"]["Env"]
for k, v in V.items():
    # values with a newline are refused in bundle.env (--env-file)
    if "\n" not in v and env.count(k + "=" + v) != 1:
        bad.append("bundle %s" % k)
knob = [e for e in env if e.startswith("BOTTLE_PIPELOCK_LISTEN=")]
if knob != ["BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888"]:
    bad.append("bind knob %r" % knob)
print("; ".join(bad) or "ok")
EOF
)
t_eq "hostile values: the VM's and the bundle's environments hold them exactly" ok "$res"
brun ls --json
t_eq "hostile values: JSON in a value adds no bottle" "[\"hc1\"]" \
	"$(jget '[b["name"] for b in d["bottles"] if b["name"].startswith("hc") or b["name"]=="evil"]' <<<"$OUT" 2>/dev/null)"
brun status hc1 --json
t_eq "hostile values: hc1 is healthy" healthy "$(jget 'd["status"]' <<<"$OUT" 2>/dev/null)"
brun rm hc1
t_eq "hostile values: rm exits 0" 0 "$RC"
nothing_of "hostile values: after rm" hc1

# ---- a bundle that exits at once -------------------------------------------

t_cfg_py 'bottle("hc1")["bundle"] = {"env": {"BOTTLE_DEMO_EXIT": "1"}}'
t0=$(now_ms)
brun up hc1
ms=$(($(now_ms) - t0))
t_diag "dying bundle: up gave up after $ms ms: $(tail -1 <<<"$ERR")"
t_eq "dying bundle: up exits 1" 1 "$RC"
t_match "dying bundle: the error says the bundle is not running" \
	"bundle.*(not running|exited|died)" "$ERR"
if [ "$ms" -lt 10000 ]; then
	t_ok "dying bundle: the error comes within 10 s ($ms ms)"
else
	t_fail "dying bundle: the error comes within 10 s ($ms ms)"
fi
t_nomatch "dying bundle: no sanitizer report" "$SAN_RE" "$ERR"
nothing_of "dying bundle" hc1

# ---- images that don't exist (on 127.0.0.1:1: nothing is pulled) -----------

t_cfg_py 'bottle("hc1")["vm"] = {"image": "127.0.0.1:1/bottle-no-such-vm:latest"}'
brun up hc1
t_diag "missing VM image: $(tail -1 <<<"$ERR")"
t_eq "missing VM image: up exits 1" 1 "$RC"
t_match "missing VM image: the error names the image" "127\.0\.0\.1:1/bottle-no-such-vm:latest" \
	"$(grep "hc1: " <<<"$ERR" | tail -1)"
t_nomatch "missing VM image: no sanitizer report" "$SAN_RE" "$ERR"
nothing_of "missing VM image" hc1

t_cfg_py 'bottle("hc1")["bundle"] = {"image": "127.0.0.1:1/bottle-no-such-bundle:latest"}'
brun up hc1
t_diag "missing bundle image: $(tail -1 <<<"$ERR")"
t_eq "missing bundle image: up exits 1" 1 "$RC"
t_match "missing bundle image: the error names the image" \
	"bundle image 127\.0\.0\.1:1/bottle-no-such-bundle:latest is not available" "$ERR"
t_nomatch "missing bundle image: no sanitizer report" "$SAN_RE" "$ERR"
nothing_of "missing bundle image" hc1

# ---- subnet pools ------------------------------------------------------------

# exhausted: a /28 pool holds one /28
t_cfg_py 'd["defaults"]["subnet_pool"] = "10.213.214.0/28"; bottle("hc2"); bottle("hc3")'
brun up hc2
t_eq "one-subnet pool: the first bottle comes up" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
brun up hc3
t_diag "exhausted pool: $(tail -1 <<<"$ERR")"
t_eq "exhausted pool: up of the second exits 1" 1 "$RC"
t_match "exhausted pool: the error says so and names the pool" \
	"10\.213\.214\.0/28.*(exhausted|no free|full)|(exhausted|no free|full).*10\.213\.214\.0/28" "$ERR"
t_nomatch "exhausted pool: no sanitizer report" "$SAN_RE" "$ERR"
nothing_of "exhausted pool" hc3
brun status hc2 --json
t_eq "exhausted pool: the first bottle is still healthy" healthy \
	"$(jget 'd["status"]' <<<"$OUT" 2>/dev/null)"
brun rm hc2
t_eq "exhausted pool: rm of the first exits 0" 0 "$RC"

# overlapping a docker network made for the test
t_defer "docker network rm $OVL_NET"
docker network create --subnet 10.213.214.64/27 "$OVL_NET" >/dev/null
t_cfg_py 'd["defaults"]["subnet_pool"] = "10.213.214.64/27"; bottle("hc2")'
brun up hc2
t_eq "pool inside a docker network: up exits 1" 1 "$RC"
t_match "pool inside a docker network: the error says no subnet is free" \
	"10\.213\.214\.64/27.*(exhausted|no free|overlap)|(exhausted|no free|overlap).*10\.213\.214\.64/27" "$ERR"
nothing_of "pool inside a docker network" hc2
t_cfg_py 'd["defaults"]["subnet_pool"] = "10.213.214.64/26"; bottle("hc2")'
brun up hc2
t_eq "pool half covered by a docker network: up exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_eq "pool half covered by a docker network: the subnet skips it" "10.213.214.96/28" \
	"$(docker network inspect bottle-hc2 --format '{{(index .IPAM.Config 0).Subnet}}' 2>/dev/null)"
brun rm hc2
t_eq "pool half covered by a docker network: rm exits 0" 0 "$RC"
docker network rm "$OVL_NET" >/dev/null

# overlapping docker's default bridge (a docker network and a host route)
if ip route show 172.17.0.0/16 | grep -q .; then
	t_cfg_py 'd["defaults"]["subnet_pool"] = "172.17.0.0/24"; bottle("hc2")'
	brun up hc2
	t_eq "pool inside docker0's 172.17.0.0/16: up exits 1" 1 "$RC"
	t_match "pool inside docker0's 172.17.0.0/16: clear error" \
		"172\.17\.0\.0/24.*(exhausted|no free|overlap)|(exhausted|no free|overlap).*172\.17\.0\.0/24" "$ERR"
	nothing_of "pool inside docker0" hc2
else
	t_skip "pool inside docker0's 172.17.0.0/16" "no route to 172.17.0.0/16"
fi

# overlapping a host route that docker knows nothing of
t_defer "ip route del $ROUTE dev lo"
if ip route add "$ROUTE" dev lo 2>/dev/null; then
	t_cfg_py "d['defaults']['subnet_pool'] = '$ROUTE'; bottle('hc2')"
	brun up hc2
	t_diag "host route: $(tail -1 <<<"$ERR")"
	t_eq "pool inside a host route: up exits 1" 1 "$RC"
	t_match "pool inside a host route: clear error" \
		"10\.213\.214\.192/26.*(exhausted|no free|overlap)|(exhausted|no free|overlap).*10\.213\.214\.192/26" "$ERR"
	nothing_of "pool inside a host route" hc2
	t_cfg_py "d['defaults']['subnet_pool'] = '10.213.214.128/25'; bottle('hc2')"
	brun up hc2
	t_eq "pool half covered by a host route: up exits 0" 0 "$RC"
	[ "$RC" = 0 ] || t_diag "$ERR"
	t_match "pool half covered by a host route: the subnet avoids it" \
		'^10\.213\.214\.(128|144|160|176)/28$' \
		"$(docker network inspect bottle-hc2 --format '{{(index .IPAM.Config 0).Subnet}}' 2>/dev/null)"
	brun rm hc2
	t_eq "pool half covered by a host route: rm exits 0" 0 "$RC"
	ip route del "$ROUTE" dev lo
else
	t_skip "pool inside a host route" "could not add a route via lo"
fi

t_world_clean_check
