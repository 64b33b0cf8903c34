#!/usr/bin/env bash
# tests/integration/foreign_vm.sh: a machine named bottle-NAME that bottle
# did not create is never adopted (issue 15). It is made by hand, after
# bottle's own was deleted: once without bottle's labels, once with them
# forged (from 1.8.0 anyone can pass --label). Then
#   - `up` fails with a clear message and changes nothing of it (its
#     state, pid and creation time are as before);
#   - `status` shows its vm as foreign, and the bottle is not healthy;
#   - `rm` leaves it alone (neither stopped nor deleted) and says so.
# Also: probe results belong to the VM instance they ran against, so a VM
# replaced behind bottle's back (another pid) starts unknown.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 218 fo1

S=$SMOLVM_SIM
brun up fo1
t_eq "control: up fo1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_check "control: bottle keeps a creation record" test -s "$BOTTLE_STATE_DIR/fo1/machine"

# machine_of NAME: "state pid created_at" of the simulator's machine NAME
machine_of() {
	"$S" machine ls --json 2>/dev/null | python3 -c '
import json, sys
for m in json.load(sys.stdin):
    if m.get("name") == sys.argv[1]:
        print(m.get("state"), m.get("pid"), m.get("created_at"))' "$1"
}

# by_hand [LABEL-FLAGS...]: bottle-fo1 made again outside bottle, a few
# seconds after bottle's own (smolvm's created_at is whole seconds)
by_hand() {
	local img
	"$S" machine stop --name bottle-fo1 >/dev/null 2>&1 ||
		"$S" machine stop bottle-fo1 >/dev/null 2>&1
	"$S" machine delete --name bottle-fo1 -f >/dev/null 2>&1 ||
		"$S" machine delete bottle-fo1 -f >/dev/null 2>&1
	sleep 3
	if t_at_tsi; then
		"$S" machine create bottle-fo1 -s "$BOTTLE_STATE_DIR/fo1/Smolfile" \
			>"$W/h.out" 2>&1 &&
			"$S" machine start --name bottle-fo1 >>"$W/h.out" 2>&1
	else
		img=$(ls "$BOTTLE_STATE_DIR"/images/*.tar | head -1)
		"$S" machine create --name bottle-fo1 -s "$BOTTLE_STATE_DIR/fo1/Smolfile" \
			-I "$img" --dns 127.0.0.1 "$@" >"$W/h.out" 2>&1 &&
			"$S" machine start --name bottle-fo1 >>"$W/h.out" 2>&1
	fi || t_diag "by hand: $(cat "$W/h.out")"
}

# foreign_case LABEL [LABEL-FLAGS...]
foreign_case() {
	local what=$1 before after
	shift
	by_hand "$@"
	before=$(machine_of bottle-fo1)
	t_match "$what: the machine runs" "^running [0-9]+ [0-9]+$" "$before"
	brun status fo1 --json
	t_eq "$what: status shows the vm as foreign" foreign "$(jget 'd["vm"]' <<<"$OUT" 2>/dev/null)"
	t_match "$what: status says why" "." "$(jget 'd.get("vm_foreign", "")' <<<"$OUT" 2>/dev/null)"
	t_nomatch "$what: the bottle is not healthy" '"status": "healthy"' "$OUT"
	probes_before=$(grep -ac "step up: probe" "$BOTTLE_STATE_DIR/fo1/events.log")
	brun up fo1
	t_eq "$what: up exits 1" 1 "$RC"
	t_match "$what: up says bottle did not create it and leaves it alone" \
		"bottle-fo1 exists and bottle did not create it .*leaves it alone" "$ERR"
	after=$(machine_of bottle-fo1)
	t_eq "$what: up changed nothing of the machine" "$before" "$after"
	t_eq "$what: up never reached its probe step" "$probes_before" \
		"$(grep -ac "step up: probe" "$BOTTLE_STATE_DIR/fo1/events.log")"
}

foreign_case "no labels"
if ! t_at_tsi; then
	foreign_case "forged labels" --label dev.bottle.managed=1 --label dev.bottle.name=fo1
fi

# rm leaves it alone too, and removes the rest
before=$(machine_of bottle-fo1)
brun rm fo1
t_eq "rm exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_match "rm says the machine is left alone" "bottle-fo1 is not bottle's .*left alone" "$ERR"
t_eq "rm did not stop or delete the machine" "$before" "$(machine_of bottle-fo1)"
t_eq "rm removed the bundle" "" "$(docker ps -aq --filter name=^bottle-fo1-bundle$)"

# the owner removes it; up then makes bottle's own
"$S" machine stop --name bottle-fo1 >/dev/null 2>&1 || "$S" machine stop bottle-fo1 >/dev/null 2>&1
"$S" machine delete --name bottle-fo1 -f >/dev/null 2>&1 || "$S" machine delete bottle-fo1 -f >/dev/null 2>&1
brun up fo1
t_eq "once removed: up exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"

# ---- results belong to one VM instance ------------------------------------
brun probe fo1 --json
t_eq "control: probe exits 0" 0 "$RC"
pid1=$(machine_of bottle-fo1 | cut -d' ' -f2)
t_match "control: probes.json names the VMM pid" "\"vm_pid\": *$pid1\b" \
	"$(cat "$BOTTLE_STATE_DIR/fo1/probes.json")"
# the VM restarted behind bottle's back: another VMM, proof of none
"$S" machine stop --name bottle-fo1 >/dev/null 2>&1 || "$S" machine stop bottle-fo1 >/dev/null 2>&1
"$S" machine start --name bottle-fo1 >/dev/null 2>&1 || "$S" machine start bottle-fo1 >/dev/null 2>&1
pid2=$(machine_of bottle-fo1 | cut -d' ' -f2)
t_check "control: the VM runs again under another pid" test "$pid2" != "$pid1" -a -n "$pid2"
brun status fo1 --json
t_nomatch "replaced VM: no verdict is left from the old instance" '"verdict": "PASS"' "$OUT"
t_nomatch "replaced VM: not healthy" '"status": "healthy"' "$OUT"

brun rm fo1
t_eq "rm fo1" 0 "$RC"
t_check "rm forgets the creation record" test ! -e "$BOTTLE_STATE_DIR/fo1/machine"
t_world_clean_check
