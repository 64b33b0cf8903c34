#!/usr/bin/env bash
# tests/integration/hostile_guest.sh: a compromised guest writes terminal
# controls; bottle's output carries none of them (issue 12).
#
# The guest of hg1 (root in a real VM; the simulator's guest is an
# unprivileged UID, so the test acts for it from the host, in the guest's
# own root and mount namespace) replaces what the probes run: /bin/sh
# (exec-fidelity's `sh -c`), nc (the helper's fallback) and, under a
# tmpfs mounted over the helper's directory /opt/bottle, bottle-probe
# (the connect probes). Each replacement prints OSC 52 (ESC ] 52 ; c ;
# ... BEL), CSI (ESC [ 2 J), C1 controls (0x9b, 0x9d raw and as UTF-8
# U+009B, U+009D) and DEL to stdout and stderr, after "Error: " (what
# smolvm's own errors start with), and exits 1. The VM's command prints
# the same to its console at boot.
#
# Then the stdout and stderr of `bottle probe`, `probe --json`, `probe
# --all`, `status`, `status --json`, `ls`, `ls --json`, `up` (re-run) and
# `logs` (every source, and all) hold no ESC, BEL, C1 (raw 0x80-0x9f, or
# U+0080-U+009F in UTF-8) or DEL, and the strings of the JSON documents
# none either; no verdict is PASS, exec-fidelity and bundle-reach are
# UNKNOWN or FAIL with a detail, and the bottle is not healthy.
# Controls: `bottle exec` (the user's own command's output, untouched)
# and `logs --raw` do carry the payload, and the byte check catches it.
# Runs at the world's smolvm (1.9.3) and, as hostile_guest@0.8.0, at 0.8.0.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 216 hg1

# the payload: printf(1) octal escapes (busybox printf, in the guest)
PAYLOAD='Error: hostile \033]52;c;SGVsbG8=\007 csi \033[2J c1 \233\235 u+9b \302\233\302\235 del \177 end\n'

python3 - "$CFG" "$POOL" "$PAYLOAD" <<'PY'
import json, sys
cfg, pool, payload = sys.argv[1:]
cmd = (f"printf '{payload}'; printf '{payload}' >&2; echo agent ready; "
       "while :; do sleep 3600; done")
json.dump({
    "defaults": {
        "vmm": "sim", "subnet_pool": pool, "subnet_prefix": 28,
        "probe_interval_s": 3600,
        "vm": {"image": "bottle-demo-vm:latest", "cmd": ["/bin/sh", "-c", cmd],
               "cpus": 1, "memory": 256},
        "bundle": {"image": "bottle-demo-bundle:latest"},
        "probes": {"resolver": None, "timeout_s": 5},
    },
    "bottles": {"hg1": {}},
}, open(cfg, "w"), indent=2)
PY

# dirty FILE...: exit 0 when a FILE holds ESC, BEL, DEL or a C1 control
# (raw 0x80-0x9f outside a UTF-8 sequence, or U+0080-U+009F); prints where
# (escaped) as diagnostics. With --json, the strings of the JSON document
# in FILE are checked too (an escaped \u001b is an ESC to its reader).
dirty() {
	python3 - "$@" <<'PY'
import json, sys
args = sys.argv[1:]
as_json = args[:1] == ["--json"]
if as_json:
    args = args[1:]
def bad(ch):
    o = ord(ch)
    return o in (0x1b, 0x07, 0x7f) or 0x80 <= o <= 0x9f or 0xdc80 <= o <= 0xdc9f
def report(where, s):
    hits = [i for i, ch in enumerate(s) if bad(ch)]
    if hits:
        i = hits[0]
        ctx = ascii(s[max(0, i - 40):i + 40])  # raw bytes show as \udcXX
        print(f"# {where}: {len(hits)} control(s), first at {i}: {ctx}")
    return bool(hits)
def strings(v):
    if isinstance(v, str):
        yield v
    elif isinstance(v, dict):
        for k, x in v.items():
            yield k
            yield from strings(x)
    elif isinstance(v, list):
        for x in v:
            yield from strings(x)
found = False
for path in args:
    data = open(path, "rb").read()
    s = data.decode("utf-8", "surrogateescape")
    found |= report(path.rsplit("/", 1)[-1], s)
    if as_json and data.strip():
        try:
            doc = json.loads(s)
        except ValueError as e:
            print(f"# {path}: not JSON: {e}")
            continue
        for x in strings(doc):
            found |= report(path.rsplit("/", 1)[-1] + " (a JSON string)", x)
sys.exit(0 if found else 1)
PY
}

# clean LABEL [--json] ARGS...: run bottle ARGS; neither its stdout nor
# its stderr holds a control (sets RC OUT ERR as brun).
clean() {
	local label=$1 j=
	shift
	if [ "$1" = --json ]; then
		j=--json
		shift
	fi
	brun "$@"
	cp "$W/out" "$W/$label.out"
	cp "$W/err" "$W/$label.err"
	if dirty $j "$W/$label.out"; then
		t_fail "$label: stdout holds no terminal control"
	else
		t_ok "$label: stdout holds no terminal control"
	fi
	if dirty "$W/$label.err"; then
		t_fail "$label: stderr holds no terminal control"
	else
		t_ok "$label: stderr holds no terminal control"
	fi
}

# ---- a healthy bottle first (the control) ------------------------------
brun up hg1
t_eq "control: up hg1 exits 0 before the guest turns hostile" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
brun status hg1 --json
t_eq "control: healthy before" healthy "$(jget 'd["status"]' <<<"$OUT" 2>/dev/null)"
t_eq "control: exec-fidelity PASS before" PASS \
	"$(jget 'd["probes"]["exec-fidelity"]["verdict"]' <<<"$OUT" 2>/dev/null)"

# ---- the guest turns hostile -------------------------------------------
gpid=$(t_guest_pid)
if [ -z "$gpid" ]; then
	t_fail "a process of the guest is found"
	exit 1
fi
GROOT=/proc/$gpid/root
{
	echo '#!/bin/busybox sh'
	printf "printf '%s'\n" "$PAYLOAD"
	printf "printf '%s' >&2\n" "$PAYLOAD"
	echo 'exit 1'
} >"$W/hostile"
# the helper's directory: a tmpfs over it, with a hostile bottle-probe
nsenter -t "$gpid" -m -r /bin/busybox sh -c \
	'mount -t tmpfs -o mode=755 hostile /opt/bottle &&
	cat >/opt/bottle/bottle-probe && chmod 755 /opt/bottle/bottle-probe' <"$W/hostile"
t_eq "the guest's /opt/bottle/bottle-probe is the hostile script" \
	"$(cat "$W/hostile")" "$(cat "$GROOT/opt/bottle/bottle-probe" 2>/dev/null)"
for f in bin/sh bin/nc usr/bin/nc; do
	if [ -L "$GROOT/$f" ] || [ -e "$GROOT/$f" ]; then
		rm -f "$GROOT/$f"
		cp "$W/hostile" "$GROOT/$f"
		chmod 755 "$GROOT/$f"
	fi
done
t_eq "the guest's /bin/sh is the hostile script" \
	"$(cat "$W/hostile")" "$(cat "$GROOT/bin/sh" 2>/dev/null)"

# controls: the payload is live, and the check sees it
brun exec hg1 -- sh -c true
t_check "control: exec passes the guest command's stdout untouched (controls in it)" \
	dirty "$W/out"
t_check "control: and its stderr" dirty "$W/err"
brun logs hg1 --source vm --raw
t_check "control: logs --raw shows the console's controls" dirty "$W/out"

# ---- what bottle prints --------------------------------------------------
clean probe probe hg1
t_check "probe exits non-zero (isolation not proven)" test "$RC" != 0
t_match "probe shows the guest's text (what is left of it)" "hostile" "$(cat "$W/probe.out")"
t_diag "probe: $(tr -c '[:print:]\n' '?' <"$W/probe.out" | tr '\n' ';')"
clean probe-json --json probe hg1 --json
clean probe-all probe --all
clean status status hg1
t_match "status shows the guest's text (what is left of it)" "hostile" "$(cat "$W/status.out")"
clean status-json --json status hg1 --json
cp "$W/status-json.out" "$W/verdicts.json"
clean ls ls
clean ls-json --json ls --json
clean up up hg1
t_check "up re-run exits non-zero (isolation not proven)" test "$RC" != 0
clean logs logs hg1
clean logs-all logs hg1 --source all
for s in events bundle vm egress; do
	clean "logs-$s" logs hg1 --source "$s"
done
t_match "logs shows the console (its text, without the controls)" \
	"hostile .*csi .*del .*end" "$(cat "$W/logs-vm.out")"

# ---- the verdicts ---------------------------------------------------------
verdicts=$(python3 - "$W/verdicts.json" <<'PY'
import json, sys
# surrogateescape: the verdicts are read even when the bytes are not UTF-8
d = json.loads(open(sys.argv[1], "rb").read().decode("utf-8", "surrogateescape"))
for name, p in sorted(d["probes"].items()):
    print(f"{name} {p.get('verdict')} {'detail' if p.get('detail') else 'no-detail'}")
print(f"status {d['status']}")
PY
)
t_diag "after: $(tr '\n' ';' <<<"$verdicts")"
t_match "the verdicts are read" "^exec-fidelity " "$verdicts"
t_nomatch "no probe PASSes" " PASS " "$verdicts"
t_match "exec-fidelity is UNKNOWN or FAIL, with a detail" \
	"^exec-fidelity (UNKNOWN|FAIL) detail$" "$verdicts"
t_match "bundle-reach is UNKNOWN or FAIL, with a detail" \
	"^bundle-reach (UNKNOWN|FAIL) detail$" "$verdicts"
t_nomatch "the bottle is not healthy" "^status healthy$" "$verdicts"

brun rm hg1
t_eq "rm hg1" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_world_clean_check
