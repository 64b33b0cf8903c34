# tests/lib-bottle.sh: a private bottle world for one integration test
# (sourced after tests/lib.sh, never run).
#
#   t_world POOL_OCTET NAME...
#       needs root and docker; builds the demo images; makes a private
#       state dir, simulator home and config with bottles NAME... on the
#       simulator, subnet pool 10.213.POOL_OCTET.0/24 (each test its own
#       octet, so that leftovers of one test never collide with another);
#       registers cleanup of every docker object, simulator machine and
#       netfilter rule of those bottles; records a snapshot to compare.
#   bottle ARGS...      runs $BOTTLE -c $CFG ARGS...
#   brun ARGS...        runs bottle, sets RC, OUT, ERR
#   t_world_clean_check
#       asserts docker containers, networks and iptables rules are as
#       before the test (call at the end, after `bottle rm`).
#   t_at_tsi            true when the simulator emulates 0.8.0 (TSI), false
#       at 1.9.3 (virtio-net, the default: SMOLVM_SIM_VERSION)
#   t_config_json JSON  replaces the config with JSON (bottles in it must be
#       among t_world's NAMEs for cleanup)

BOTTLE=${BOTTLE:-$T_ROOT/build/asan/bottle}
SMOLVM_SIM=$T_ROOT/assets/demo/smolvm
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export BOTTLE_QUIET_PROGRESS=0
# smolvm 1.9.x is the first-class target: the world runs at 1.9.3 unless
# the caller (tests/run.sh's second pass) asks for another release.
export SMOLVM_SIM_VERSION=${SMOLVM_SIM_VERSION:-1.9.3}
# t_at_tsi: 0 when the simulated smolvm is a TSI release (0.8.0).
t_at_tsi() { [ "$SMOLVM_SIM_VERSION" = 0.8.0 ]; }

t_world() {
	local octet=$1 n
	shift
	t_need_root
	if ! docker info >/dev/null 2>&1; then
		t_fail "docker engine answers (run make test, which starts dockerd)"
		exit 1
	fi
	if ! "$T_ROOT/assets/demo/bundle/build.sh" >/dev/null 2>&1; then
		t_fail "demo images build"
		exit 1
	fi
	t_tmpdir W
	export BOTTLE_STATE_DIR=$W/state
	export SMOLVM_SIM_HOME=$W/sim
	export XDG_CONFIG_HOME=$W/config
	CFG=$W/bottles.json
	POOL=10.213.$octet.0/24
	WORLD_NAMES=("$@")
	WORLD_BEFORE=$(t_snapshot)
	t_defer "'$SMOLVM_SIM' _sim-reap"
	for n in "$@"; do
		t_defer "docker rm -f bottle-$n-bundle; docker network rm bottle-$n"
	done
	t_world_config "$@"
}

# t_world_config NAME...: the demo-like config for these bottles.
t_world_config() {
	t_world_config_vm "" "" "$@"
}

# t_world_config_vm CMD VOLUME NAME...: the same with the VM running CMD
# (sh -c; "" for the default idle agent) and, unless "", the one volume
# VOLUME (HOST:GUEST[:ro]).
t_world_config_vm() {
	local n first=1 cmd='"echo agent ready; while :; do sleep 3600; done"' vol=""
	[ -n "$1" ] && cmd=$(python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1")
	[ -n "$2" ] && vol=",
      \"volumes\": [\"$2\"]"
	shift 2
	{
		cat <<EOF
{
  "defaults": {
    "vmm": "sim",
    "subnet_pool": "$POOL",
    "subnet_prefix": 28,
    "probe_interval_s": 3600,
    "vm": {
      "image": "bottle-demo-vm:latest",
      "cmd": ["/bin/sh", "-c", $cmd],
      "cpus": 1, "memory": 256$vol
    },
    "bundle": {"image": "bottle-demo-bundle:latest"},
    "probes": {"resolver": null, "timeout_s": 5}
  },
  "bottles": {
EOF
		for n in "$@"; do
			[ $first = 1 ] || echo ","
			first=0
			printf '    "%s": {}' "$n"
		done
		printf '\n  }\n}\n'
	} >"$CFG"
}

# t_cfg_py PYTHON [ARG...]: the world's config written from python: PYTHON
# runs over `d` (the demo-like config as a dict, no bottle yet),
# `bottle(name)` (its entry, created), `args` (the ARGs) and `raw` (a list
# of (placeholder, bytes) substitutions done on the JSON text).
t_cfg_py() {
	python3 - "$CFG" "$POOL" "$@" <<'EOF'
import json, sys
path, pool, code, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
d = {
  "defaults": {
    "vmm": "sim", "subnet_pool": pool, "subnet_prefix": 28,
    "probe_interval_s": 3600,
    "vm": {"image": "bottle-demo-vm:latest",
           "cmd": ["/bin/sh", "-c", "echo agent ready; while :; do sleep 3600; done"],
           "cpus": 1, "memory": 256},
    "bundle": {"image": "bottle-demo-bundle:latest"},
    "probes": {"resolver": None, "timeout_s": 5}},
  "bottles": {}}
raw = []
def bottle(name):
    return d["bottles"].setdefault(name, {})
exec(code)
text = json.dumps(d, ensure_ascii=False, indent=1).encode()
for ph, b in raw:
    assert ph.encode() in text, ph
    text = text.replace(ph.encode(), b)
open(path, "wb").write(text)
EOF
}

t_config_json() {
	printf '%s\n' "$1" >"$CFG"
}

bottle() {
	"$BOTTLE" -c "$CFG" "$@"
}

brun() {
	"$BOTTLE" -c "$CFG" "$@" >"$W/out" 2>"$W/err" </dev/null
	RC=$?
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
}

# t_world_clean_check: nothing of the test is left (after rm).
t_world_clean_check() {
	local after
	after=$(t_snapshot)
	if [ "$after" == "$WORLD_BEFORE" ]; then
		t_ok "no container, network or netfilter rule left behind"
	else
		t_fail "no container, network or netfilter rule left behind"
		diff <(echo "$WORLD_BEFORE") <(echo "$after") | sed 's/^/# /' | head -20
	fi
	local m
	m=$("$SMOLVM_SIM" machine ls --json 2>/dev/null)
	t_eq "no simulator machine left behind" "[]" "$m"
}

# t_vm_record NAME: NAME's machine, just made by hand "as bottle makes it",
# is recorded as bottle's (the creation record bottle keeps: without it
# bottle leaves a machine it did not create alone, down and rm included)
t_vm_record() {
	local now
	now=$(date +%s)
	printf '{"created_from": %d, "created_to": %d, "pending_from": 0, "pending_to": 0}\n' \
		$((now - 30)) $((now + 1)) >"$BOTTLE_STATE_DIR/$1/machine"
}

# t_guest_pid: a process of the (only) simulator machine's guest: a
# descendant of its VMM running in another root, not as root
t_guest_pid() {
	local vmm
	vmm=$("$SMOLVM_SIM" machine ls --json 2>/dev/null | jget 'd[0]["pid"]' 2>/dev/null)
	[ -n "$vmm" ] || return 1
	python3 - "$vmm" <<'PY'
import os, sys
vmm = int(sys.argv[1])
parent = {}
for d in os.listdir("/proc"):
    if d.isdigit():
        try:
            st = open(f"/proc/{d}/stat").read()
            parent[int(d)] = int(st.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            pass
def under(p):
    while p > 1:
        p = parent.get(p, 0)
        if p == vmm:
            return True
    return False
for p in sorted(parent):
    try:
        if under(p) and os.readlink(f"/proc/{p}/root") != "/" and \
                os.stat(f"/proc/{p}").st_uid != 0:
            print(p)
            break
    except OSError:
        pass
PY
}

# JSON field reads: jget 'EXPR' <<< "$JSON"
# EXPR is python over `d`, e.g. jget 'd["bottles"][0]["status"]'; a plain
# path (d["a"][0]...) whose value is a string or a boolean is read with jq
# (python3 takes about 0.3 s to start here, jq 10 ms); anything else
# (numbers, null, structures, a missing key, other python) by python3, so
# the output is the same either way.
jget() {
	local in out
	if [[ $1 =~ ^d(\[(\"[^\"\\]*\"|[0-9]+)\])+$ ]] && command -v jq >/dev/null; then
		in=$(cat)
		if out=$(jq -r ".${1#d} | if type == \"string\" or type == \"boolean\" then . else error(\"other\") end" \
			<<<"$in" 2>/dev/null); then
			printf '%s\n' "$out"
			return 0
		fi
		jget_py "$1" <<<"$in"
		return
	fi
	jget_py "$1"
}
jget_py() {
	python3 -c 'import json,sys; d=json.load(sys.stdin); v=eval(sys.argv[1]); print(v if not isinstance(v,(dict,list,bool)) and v is not None else json.dumps(v))' "$1"
}
