#!/usr/bin/env bash
# tests/integration/parallel.sh: `up --all` brings five bottles up at once
# (distinct subnets, all healthy, cross-bottle proven), `ls` costs the
# same number of subprocesses for 1 and for 5 bottles, `rm` cleans all.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 203 pa1 pa2 pa3 pa4 pa5

# count subprocesses through counting shims on PATH
mkdir -p "$W/shim"
cat >"$W/shim/docker" <<SHIM
#!/bin/sh
echo docker >>"$W/count"
exec "$(command -v docker)" "\$@"
SHIM
cat >"$W/shim/smolvm" <<SHIM
#!/bin/sh
echo smolvm >>"$W/count"
exec "$SMOLVM_SIM" "\$@"
SHIM
chmod +x "$W/shim/docker" "$W/shim/smolvm"
count_ls() {
	: >"$W/count"
	BOTTLE_DOCKER=$W/shim/docker BOTTLE_SMOLVM=$W/shim/smolvm \
		"$BOTTLE" -c "$1" ls >/dev/null 2>&1
	wc -l <"$W/count"
}
sed 's/"vmm": "sim"/"vmm": "smolvm"/' "$CFG" >"$W/five.json"
python3 - "$W/five.json" "$W/one.json" <<'PY'
import sys, re
t = open(sys.argv[1]).read()
t = re.sub(r'"pa2": \{\},?|,\s*"pa[2-5]": \{\}', '', t)
open(sys.argv[2], "w").write(t)
PY
one=$(count_ls "$W/one.json")
five=$(count_ls "$W/five.json")
t_diag "ls subprocesses: 1 bottle $one, 5 bottles $five"
t_eq "ls spawns as many subprocesses for 5 bottles as for 1" "$one" "$five"
t_check "ls spawns at most 5 subprocesses (version checks + 3 lists)" test "$one" -le 5

brun up --all
t_eq "up --all exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_eq "five bottles healthy" 5 "$(grep -c ': healthy$' <<<"$OUT")"
subnets=$(for n in pa1 pa2 pa3 pa4 pa5; do
	docker network inspect bottle-$n --format '{{(index .IPAM.Config 0).Subnet}}'
done | sort -u | wc -l)
t_eq "five distinct subnets" 5 "$subnets"
brun probe pa1 --json
t_eq "probe pa1 exits 0" 0 "$RC"
t_eq "cross-bottle PASS with other bottles up" "PASS" \
	"$(jget 'd["probes"]["cross-bottle"]["verdict"]' <<<"$OUT")"

brun probe --all --json
t_eq "probe --all exits 0" 0 "$RC"
t_eq "probe --all: five bottles in one report" 5 "$(jget 'len(d["bottles"])' <<<"$OUT")"
t_eq "probe --all: all_pass" true "$(jget 'd["all_pass"]' <<<"$OUT")"
brun probe pa2 pa3
t_eq "probe of two names exits 0" 0 "$RC"
t_match "probe of two names prefixes lines with the bottle" "^pa3: cross-bottle +PASS" "$OUT"

brun rm pa1 pa2 pa3 pa4 pa5
t_eq "rm of five exits 0" 0 "$RC"
t_world_clean_check
