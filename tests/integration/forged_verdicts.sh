#!/usr/bin/env bash
# tests/integration/forged_verdicts.sh: a root guest forges the probe
# helper's verdicts (issue 15). The guest of fv1 (root in a real VM; the
# simulator's guest is an unprivileged UID, so the test acts for it from
# the host, in the guest's mount namespace and root) mounts a tmpfs over
# the helper's directory /opt/bottle and puts there a bottle-probe that
# first records what the genuine helper (a copy) prints for bottle's
# arguments, then only replays those lines: PASS lines, measured once,
# printed from then on whatever the network does. Then the bundle is
# stopped (bundle-reach can no longer connect) and `bottle probe` runs
# again.
#   Wanted: no probe is PASS on host evidence (a PASS is at most
#   guest-reported), the bottle is not healthy, probe exits non-zero, and
#   the detail says why.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 217 fv1

brun up fv1
t_eq "control: up fv1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"

gpid=$(t_guest_pid)
if [ -z "$gpid" ]; then
	t_fail "a process of the guest is found"
	exit 1
fi
GROOT=/proc/$gpid/root
cp "$GROOT/opt/bottle/bottle-probe" "$W/genuine"
cat >"$W/forger" <<'SH'
#!/bin/busybox sh
# record the genuine helper's answer once, then replay it forever
if [ ! -e /tmp/forge.lines ]; then
	echo "$@" >/tmp/forge.argv
	/opt/bottle/.genuine "$@" >/tmp/forge.lines.tmp
	echo $? >/tmp/forge.rc
	mv /tmp/forge.lines.tmp /tmp/forge.lines
fi
cat /tmp/forge.lines
exit "$(cat /tmp/forge.rc)"
SH
nsenter -t "$gpid" -m -r /bin/busybox sh -c \
	'mount -t tmpfs -o mode=755 forged /opt/bottle && cat >/opt/bottle/.genuine &&
	chmod 755 /opt/bottle/.genuine' <"$W/genuine"
nsenter -t "$gpid" -m -r /bin/busybox sh -c \
	'cat >/opt/bottle/bottle-probe && chmod 755 /opt/bottle/bottle-probe' <"$W/forger"
t_eq "the guest's bottle-probe is the forger" \
	"$(cat "$W/forger")" "$(cat "$GROOT/opt/bottle/bottle-probe" 2>/dev/null)"

# verdicts FILE: "PROBE VERDICT EVIDENCE" lines and "status S" of a probe
# --json
verdicts() {
	python3 - "$1" <<'PY'
import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print("status unreadable"); sys.exit(0)
for name, p in sorted(d["probes"].items()):
    print(f"{name} {p.get('verdict')} {p.get('evidence')}")
print(f"status {d.get('status')}")
PY
}

# the forger records (the genuine helper measures): all PASS
brun probe fv1 --json
t_check "control: the forger recorded the genuine answer" test -s "$GROOT/tmp/forge.lines"
t_diag "recorded: $(tr -c '[:print:]\n' '?' <"$GROOT/tmp/forge.lines" 2>/dev/null | tr '\n' ';')"
cp "$W/out" "$W/first.json"
t_diag "first run (genuine, recorded): $(verdicts "$W/first.json" | tr '\n' ';')"

# the bundle stops: a genuine helper could no longer reach pipelock
docker stop -t 1 bottle-fv1-bundle >/dev/null 2>&1
brun probe fv1 --json
cp "$W/out" "$W/forged.json"
v=$(verdicts "$W/forged.json")
t_diag "replayed, bundle stopped: $(tr '\n' ';' <<<"$v")"
t_nomatch "forged helper: bundle-reach is not PASS on host evidence" \
	"^bundle-reach PASS host$" "$v"
t_nomatch "forged helper: no PASS without a claim of who stands behind it" \
	"^(bundle-reach|localhost-reach|egress-port-bypass|cross-bottle|dns-hole) PASS None$" "$v"
t_match "forged helper: bundle-reach's PASS, if any, is the guest's word only" \
	"^bundle-reach (PASS guest-reported|FAIL|UNKNOWN)" "$v"
t_nomatch "forged helper: the bottle is not healthy" "^status healthy$" "$v"
t_check "forged helper: probe exits non-zero" test "$RC" != 0

brun rm fv1
t_eq "rm fv1" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_world_clean_check
