#!/usr/bin/env bash
# tests/integration/fault_state_write.sh: the state directory can't be
# written. Root ignores permissions, so each case runs bottle in a private
# mount namespace (unshare -m) where the state directory is either a
# read-only bind mount of itself or a small tmpfs holding a copy of it,
# filled to the last byte. bottle fails with an error that names the file
# it could not write; state.json stays intact and readable; a failed up
# creates nothing, and one that re-ran on a running bottle leaves it
# running; a failed rm keeps the allocation so that the next rm converges.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 212 sw1 sw2

SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
S=$BOTTLE_STATE_DIR

# The namespace script: set up the state directory as MODE, run bottle,
# then record (from inside, where the mount is visible) what the state
# directory holds: the checksum of state.json, whether python can parse
# it, and the names of any temp files left behind.
cat >"$W/ns.sh" <<'EOF'
set -u
d=$1 mode=$2 copy=$3 rep=$4
shift 4
case $mode in
ro)
	mount --bind "$d" "$d" && mount -o remount,bind,ro "$d" || exit 90
	;;
full)
	mount -t tmpfs -o size=4m,mode=0700 bottle-fault-state "$d" || exit 90
	# (4 MiB: room for each bottle's copy of the probe helper)
	# the image cache (docker save archives, 1.1.0+) stays on the real
	# disk: it is filled before any state write and is MBs, not KBs
	# (the bottles' machine records stay out too: rm removing one would
	# free the page state.json's write needs)
	(cd "$copy" && tar cf - --exclude=./images --exclude='./*/machine' .) |
		(cd "$d" && tar xpf -) || exit 90
	if [ -d "$copy/images" ]; then
		mkdir "$d/images" && mount --bind "$copy/images" "$d/images" || exit 90
	fi
	dd if=/dev/zero of="$d/.fill" bs=4k >/dev/null 2>&1
	# the last partial page too
	dd if=/dev/zero of="$d/.fill2" bs=1 >/dev/null 2>&1
	;;
esac
"$@"
rc=$?
{
	echo "rc $rc"
	echo "sum $(md5sum <"$d/state.json")"
	python3 -c 'import json,sys; json.load(open(sys.argv[1])); print("parses yes")' \
		"$d/state.json" 2>/dev/null || echo "parses no"
	echo "temps $(cd "$d" && find . -name '.*.tmp*' | tr '\n' ' ')"
	echo "free $(df -k --output=avail "$d" | tail -1 | tr -d ' ')"
} >"$rep"
exit $rc
EOF

# ns_bottle MODE ARGS...: bottle ARGS in a namespace where the state dir
# is MODE (ro|full); sets RC OUT ERR and NS_* from the report.
ns_bottle() {
	local mode=$1
	shift
	rm -rf "$W/copy"
	cp -a "$S" "$W/copy"
	rm -f "$W/rep"
	unshare -m --propagation private bash "$W/ns.sh" "$S" "$mode" "$W/copy" \
		"$W/rep" "$BOTTLE" -c "$CFG" "$@" >"$W/out" 2>"$W/err" </dev/null
	RC=$?
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
	NS_SUM=$(sed -n 's/^sum //p' "$W/rep" 2>/dev/null)
	NS_PARSES=$(sed -n 's/^parses //p' "$W/rep" 2>/dev/null)
	NS_TEMPS=$(sed -n 's/^temps //p' "$W/rep" 2>/dev/null | tr -d ' ')
	NS_FREE=$(sed -n 's/^free //p' "$W/rep" 2>/dev/null)
	if [ "$RC" = 90 ]; then
		t_fail "$mode: the namespace's state directory could be set up"
		t_diag "$ERR"
	fi
}

# state_intact LABEL: what ns_bottle saw of state.json is the old file.
state_intact() {
	t_eq "$1: state.json byte for byte as before" "$SUM" "$NS_SUM"
	t_eq "$1: state.json parses" "yes" "$NS_PARSES"
	t_eq "$1: no temp file left in the state directory" "" "$NS_TEMPS"
}

no_objects() { # no_objects LABEL NAME
	t_eq "$1: no network bottle-$2" "" "$(docker network ls --filter "name=^bottle-$2\$" -q)"
	t_eq "$1: no container bottle-$2-bundle" "" "$(docker ps -a --filter "name=^bottle-$2-bundle\$" -q)"
	t_nomatch "$1: no VM bottle-$2" "\"bottle-$2\"" "$("$SMOLVM_SIM" machine ls --json 2>/dev/null)"
}

vm_state() {
	"$SMOLVM_SIM" machine status --name "bottle-$1" --json 2>/dev/null | jget 'd["state"]' 2>/dev/null
}

brun up sw1
t_eq "up sw1 (the bottle already in state.json)" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
SUM=$(md5sum <"$S/state.json")
SUBNET1=$(jget 'd["bottles"]["sw1"]["subnet"]' <"$S/state.json")

# ---- read-only state directory ------------------------------------------

ns_bottle ro up sw2
t_diag "ro up: $(tail -1 <<<"$ERR")"
t_eq "ro: up sw2 exits 1" 1 "$RC"
t_match "ro: the error names a path in the state directory and EROFS" \
	"$S/[^ ]*: Read-only file system" "$ERR"
t_nomatch "ro: no sanitizer report" "$SAN_RE" "$ERR"
state_intact ro
no_objects ro sw2

ns_bottle ro ls --json
t_eq "ro: ls reads the state (exit 0)" 0 "$RC"
t_eq "ro: ls still shows sw1's subnet" "$SUBNET1" \
	"$(jget '[b for b in d["bottles"] if b["name"]=="sw1"][0]["subnet"]' <<<"$OUT" 2>/dev/null)"

ns_bottle ro down sw1
t_diag "ro down: $(tail -1 <<<"$ERR")"
t_eq "ro: down sw1 exits 1 (it can't take the bottle's lock)" 1 "$RC"
t_match "ro: the error names the file" "$S/[^ ]*: Read-only file system" "$ERR"
t_eq "ro: the refused down left sw1's VM running" running "$(vm_state sw1)"

# ---- full state directory ------------------------------------------------

ns_bottle full up sw2
t_diag "full: ${NS_FREE:-?} KiB free after the run"
t_eq "full: up sw2 exits 1" 1 "$RC"
t_match "full: the error names state.json and ENOSPC" \
	"$S/state.json: No space left on device" "$ERR"
t_nomatch "full: no sanitizer report" "$SAN_RE" "$ERR"
state_intact "full: up sw2"
no_objects "full: up sw2" sw2

# up again on the running sw1: the Smolfile can't be rewritten
ns_bottle full up sw1
t_diag "full up sw1: $(grep -m1 "sw1: .*No space" <<<"$ERR")"
t_eq "full: up sw1 (running) exits 1" 1 "$RC"
t_match "full: the error names the file" \
	"$S/sw1/(Smolfile|helper/bottle-probe): No space left on device" "$ERR"
t_nomatch "full: up sw1: no sanitizer report" "$SAN_RE" "$ERR"
state_intact "full: up sw1"
t_eq "full: a failed re-up leaves the running sw1's VM running" running "$(vm_state sw1)"
t_eq "full: ... and its bundle" running \
	"$(docker inspect -f '{{.State.Status}}' bottle-sw1-bundle 2>/dev/null)"
t_eq "full: ... and its network" 1 "$(docker network ls --filter name=^bottle-sw1$ -q | wc -l)"

brun up sw1
t_eq "up sw1 again with room: exit 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
SUM=$(md5sum <"$S/state.json")

# rm with a full disk: everything goes but the allocation can't be
# forgotten: rm fails naming state.json and the next rm converges
ns_bottle full rm sw1
t_eq "full: rm sw1 exits 1" 1 "$RC"
t_match "full: rm names state.json" "$S/state.json: No space left on device" "$ERR"
t_nomatch "full: rm: no sanitizer report" "$SAN_RE" "$ERR"
state_intact "full: rm sw1"
brun rm sw1
t_eq "rm sw1 with room: exit 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_nomatch "rm forgets sw1" '"sw1"' "$(cat "$S/state.json")"
t_world_clean_check
