#!/usr/bin/env bash
# tests/integration/smolvm_versions.sh: bottle against every smolvm band
# (smolvm-1.9.md §5), through a fake smolvm that prints `smolvm X.Y.Z`,
# keeps machines in a JSON file, refuses (clap-style, exit 2) every flag
# its release lacks and records every argv and the names of its
# environment. For 0.8.0 (A), 0.9.0 (B), 1.0.2 (C), 1.5.0 (D), 1.9.3 (E)
# and 2.0.0 (newer):
#   doctor: the band line, a TSI WARNING below 1.1.3, 2.0.0 refused naming
#     1.9.3 and smolvm_allow_newer (accepted with it in defaults)
#   status --json: the smolvm object's band, backend, egress_events
#   up + rm: create and delete argv as the band wants (positional name
#     before 1.0.2, --name from it, --label from 1.8.0, --dns from 1.2.5,
#     -I from 1.1.0), no argv with a flag its release lacks, and smolvm's
#     environment only the allowlisted names (SMOLVM_SECCOMP from 0.8.2)
# The fake runs no guest: up fails at the probes; what matters is the argv.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 207 sv1
sed -i 's/"vmm": "sim"/"vmm": "smolvm"/' "$CFG"
F=$W/fake-smolvm
export BOTTLE_SMOLVM=$F
t_defer "docker rm -f bottle-sv1-bundle; docker network rm bottle-sv1"

# write_fake VERSION: the fake, its settings written into it (smolvm gets
# no variable of ours)
write_fake() {
	{
		echo '#!/usr/bin/env python3'
		printf 'VERSION = %s\nLOG = %s\nSTATE = %s\n' "'$1'" "'$W/argv.log'" "'$W/machines.json'"
		cat <<'PY'
import json, os, sys, time
a = sys.argv[1:]
with open(LOG, "a") as f:
    f.write(json.dumps({"argv": a, "env": sorted(os.environ)}) + "\n")
v = tuple(int(x) for x in VERSION.split("."))
def clap(msg):
    with open(STATE + ".clap", "a") as f:
        f.write(" ".join(a) + ": " + msg + "\n")
    print("error: " + msg, file=sys.stderr); sys.exit(2)
def load():
    try: return json.load(open(STATE))
    except OSError: return {}
def save(m):
    json.dump(m, open(STATE + ".tmp", "w")); os.replace(STATE + ".tmp", STATE)
if a == ["--version"]:
    print("smolvm " + VERSION); sys.exit(0)
if len(a) < 2 or a[0] != "machine":
    clap("unrecognized subcommand")
verb, rest = a[1], a[2:]
first = {"--name": (0, 0, 0), "-n": (0, 0, 0), "--label": (1, 8, 0), "--dns": (1, 2, 5),
         "-I": (1, 1, 0), "--proxy": (0, 8, 1), "-d": (1, 3, 0)}
if verb in ("create", "delete", "data-dir"):
    first["--name"] = first["-n"] = (1, 0, 2)
if verb == "egress-events" and v < (1, 8, 1):
    clap("unrecognized subcommand 'egress-events'")
for w in rest:
    if w == "--":
        break
    if w in first and v < first[w]:
        clap(f"unexpected argument '{w}' found")
name, labels, i = None, {}, 0
while i < len(rest):
    w = rest[i]
    if w == "--":
        break
    if w in ("--name", "-n"):
        name = rest[i + 1]; i += 2; continue
    if w == "--label":
        k, _, val = rest[i + 1].partition("="); labels[k] = val; i += 2; continue
    if w in ("-s", "--dns", "-I", "--limit", "--proxy", "-e", "-w", "--timeout"):
        i += 2; continue
    if not w.startswith("-"):
        if verb in ("create", "delete", "data-dir") and v >= (1, 0, 2):
            clap(f"unexpected argument '{w}' found")
        name = w
    i += 1
m = load()
def machine(n):
    d = {"name": n, "state": m[n]["state"], "pid": None, "cpus": 1, "memory": 256,
         "network": True, "created_at": m[n].get("created_at", 1), "image": None}
    if v >= (1, 8, 0):
        d["labels"] = m[n]["labels"]
    return d
if verb == "ls":
    print(json.dumps([machine(n) for n in m])); sys.exit(0)
if verb == "egress-events":
    print("[]"); sys.exit(0)
if verb == "create":
    if name in m:
        print(f"Error: machine '{name}' already exists", file=sys.stderr); sys.exit(1)
    m[name] = {"state": "created", "labels": labels,
               "created_at": int(time.time())}; save(m); sys.exit(0)
if name not in m:
    if verb == "stop" and v < (0, 8, 1):
        sys.exit(0)
    print(f"Error: vm not found: {name}", file=sys.stderr); sys.exit(1)
if verb == "status":
    print(json.dumps(machine(name))); sys.exit(0)
if verb in ("start", "stop"):
    m[name]["state"] = "running" if verb == "start" else "stopped"; save(m); sys.exit(0)
if verb == "delete":
    del m[name]; save(m); sys.exit(0)
if verb == "data-dir":
    print("/nonexistent/" + name); sys.exit(0)
print("Error: the fake smolvm runs no guest", file=sys.stderr)
sys.exit(1)
PY
	} >"$F"
	chmod +x "$F"
	: >"$W/argv.log"
	rm -f "$W/machines.json.clap"
}

# argvs VERB: the recorded argv (after "machine VERB") of every VERB call
argvs() {
	python3 -c '
import json, sys
for l in open(sys.argv[1]):
    a = json.loads(l)["argv"]
    if a[:2] == ["machine", sys.argv[2]]: print(" ".join(a[2:]))' "$W/argv.log" "$1"
}
# envs: every environment name smolvm got, once
envs() {
	python3 -c '
import json, sys
print(" ".join(sorted({n for l in open(sys.argv[1]) for n in json.loads(l)["env"]})))' "$W/argv.log"
}
allow_newer() { # allow_newer true|false
	python3 - "$CFG" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["defaults"]["smolvm_allow_newer"] = sys.argv[2] == "true"
json.dump(c, open(sys.argv[1], "w"), indent=2)
PY
}

# check_up V: up + rm, and the argv the fake got
check_up() {
	local v=$1 ge102=$2 ge110=$3 ge125=$4 ge180=$5 ge082=$6 want name
	brun up sv1
	t_diag "$v: up exit $RC: $(grep 'bottle: sv1:' <<<"$ERR" | tail -1)"
	B=$(docker inspect bottle-sv1-bundle --format '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' 2>/dev/null)
	if [ $ge102 = 1 ]; then name="--name bottle-sv1"; else name="bottle-sv1"; fi
	want="$name -s $BOTTLE_STATE_DIR/sv1/Smolfile"
	[ $ge180 = 1 ] && want+=" --label dev.bottle.managed=1 --label dev.bottle.name=sv1"
	[ $ge125 = 1 ] && want+=" --dns $B"
	[ $ge110 = 1 ] && want+=" -I $BOTTLE_STATE_DIR/images/$(docker image inspect bottle-demo-vm:latest --format '{{.Id}}' | sed 's/^sha256://').tar"
	t_eq "$v: create's argv" "$want" "$(argvs create | head -1)"
	brun rm sv1
	t_eq "$v: rm exits 0" 0 "$RC"
	[ "$RC" = 0 ] || t_diag "$ERR"
	t_eq "$v: delete's argv" "$name -f" "$(argvs delete | tail -1)"
	t_eq "$v: the machine is gone" "{}" "$(cat "$W/machines.json" 2>/dev/null)"
	t_eq "$v: the fake refused no call as a usage error" "" \
		"$(cat "$W/machines.json.clap" 2>/dev/null)"
	local bad
	bad=$(python3 - "$W/argv.log" "$v" <<'PY'
import json, sys
v = tuple(int(x) for x in sys.argv[2].split("."))
first = {"--label": (1, 8, 0), "--dns": (1, 2, 5), "-I": (1, 1, 0), "--proxy": (0, 8, 1),
         "-d": (1, 3, 0)}
for l in open(sys.argv[1]):
    a = json.loads(l)["argv"]
    if a[:1] != ["machine"]:
        continue
    if a[1] == "egress-events" and v < (1, 8, 1):
        print(" ".join(a))
    words = a[2:a.index("--")] if "--" in a else a[2:]
    f = dict(first)
    if a[1] in ("create", "delete", "data-dir"):
        f["--name"] = f["-n"] = (1, 0, 2)
    for w in words:
        if w in f and v < f[w]:
            print(" ".join(a))
    if a[1] in ("create", "delete", "data-dir") and v >= (1, 0, 2) and \
            "--name" not in words and "-n" not in words:
        print(" ".join(a))
PY
)
	t_eq "$v: no argv uses a flag its release lacks" "" "$bad"
	local e
	e=$(envs)
	t_nomatch "$v: smolvm's environment holds only the allowlisted names" \
		'(^| )(BOTTLE_[A-Z_]*|ASAN_OPTIONS|SMOLVM_SIM_[A-Z_]*|LD_PRELOAD|T_ROOT)( |$)' "$e"
	if [ $ge082 = 1 ]; then
		t_match "$v: smolvm runs confined (SMOLVM_SECCOMP, SMOLVM_LANDLOCK)" \
			'SMOLVM_LANDLOCK SMOLVM_SECCOMP' "$e"
	else
		t_nomatch "$v: no confinement variable before 0.8.2" 'SMOLVM_SECCOMP' "$e"
	fi
}

#         version band tsi  events ge102 ge110 ge125 ge180 ge082
for row in "0.8.0 A tsi false 0 0 0 0 0" "0.9.0 B tsi false 0 0 0 0 1" \
	"1.0.2 C tsi false 1 0 0 0 1" "1.5.0 D virtio-net false 1 1 1 0 1" \
	"1.9.3 E virtio-net true 1 1 1 1 1"; do
	read -r v band backend events ge102 ge110 ge125 ge180 ge082 <<<"$row"
	write_fake "$v"
	brun doctor
	t_match "$v: doctor shows band $band" "^(ok      |WARNING ) band $band: " "$OUT"
	if [ $backend = tsi ]; then
		t_match "$v: doctor warns: TSI" "^WARNING  band $band: the allowlist rides on TSI" "$OUT"
		t_match "$v: ... and advises 1.9.3" "^WARNING  upgrade to smolvm 1\\.9\\.3" "$OUT"
	else
		t_match "$v: doctor: band $band is ok" "^ok       band $band: the allowlist runs on virtio-net" "$OUT"
		t_nomatch "$v: ... with no upgrade warning" "upgrade to smolvm" "$OUT"
	fi
	brun status sv1 --json
	t_eq "$v: status --json: smolvm band" "$band" "$(jget 'd["smolvm"]["band"]' <<<"$OUT")"
	t_eq "$v: status --json: backend" "$backend" "$(jget 'd["smolvm"]["backend"]' <<<"$OUT")"
	t_eq "$v: status --json: egress_events" "$events" "$(jget 'd["smolvm"]["egress_events"]' <<<"$OUT")"
	check_up "$v" "$ge102" "$ge110" "$ge125" "$ge180" "$ge082"
done

# --- 2.0.0: newer than any release bottle knows --------------------------
write_fake 2.0.0
brun doctor
t_check "2.0.0: doctor reports a problem (exit not 0)" test "$RC" != 0
t_match "2.0.0: refused, naming the newest known release" "1\\.9\\.3" "$OUT$ERR"
t_match "2.0.0: ... and the switch smolvm_allow_newer" "smolvm_allow_newer" "$OUT$ERR"
brun up sv1
t_check "2.0.0: up refused" test "$RC" != 0
t_eq "2.0.0: no machine was created" "" "$(argvs create)"
allow_newer true
brun doctor
t_match "2.0.0 allowed: doctor shows band newer with a WARNING" "^WARNING  band newer: " "$OUT"
brun status sv1 --json
t_eq "2.0.0 allowed: status --json: band newer" "newer" "$(jget 'd["smolvm"]["band"]' <<<"$OUT")"
t_eq "2.0.0 allowed: backend virtio-net" "virtio-net" "$(jget 'd["smolvm"]["backend"]' <<<"$OUT")"
t_eq "2.0.0 allowed: egress_events" "true" "$(jget 'd["smolvm"]["egress_events"]' <<<"$OUT")"
check_up 2.0.0 1 1 1 1 1
allow_newer false
t_world_clean_check
