#!/usr/bin/env bash
# tests/sim/workdir.sh: the simulator makes a guest's workdir as the guest,
# inside its root: never from the host side as root (which would follow
# symlinks the guest controls, and create and chown what the guest itself
# cannot). Runs as root, at the simulator's 0.8.0 (lib-sim.bash).
. "$(dirname "$0")/../lib.sh"
t_need_root

. "$T_ROOT/tests/sim/lib-sim.bash"
sim_begin docker

sx() { "$SMOLVM" machine exec --name w1 "$@"; }
uid_procs() { ps -o stat=,pid= -u "$1" 2>/dev/null | grep -v '^ *Z' || true; }

# host: a directory the guest must never see created in (not mounted), and
# a root-owned directory mounted read-write (a plain bind: the guest, not
# its owner, cannot write it)
mkdir -p "$TMP/hostside" "$TMP/rootvol" "$TMP/ws"
chmod 0755 "$TMP/rootvol"
chmod 0777 "$TMP/ws"
cat >"$TMP/Smolfile" <<EOF
image = "bottle-demo-vm:latest"
cmd = ["sh", "-c", "while :; do sleep 1; done"]
workdir = "/ws/made-at-start"
volumes = ["$TMP/ws:/ws", "$TMP/rootvol:/rootvol"]
EOF
run sim_create w1 -s "$TMP/Smolfile"
t_eq "create exits 0" 0 "$RC"
note_uids
run "$SMOLVM" machine start --name w1
t_eq "start exits 0" 0 "$RC"
UID_=$(sx -- id -u)
t_match "the guest runs as its own UID" "^61[0-9]{3}\$" "$UID_"

# the Smolfile's workdir: made by the workload, as the guest
t_eq "the Smolfile workdir is the cwd" "/ws/made-at-start" "$(sx -- pwd)"
t_eq "and it is the guest's" "$UID_" "$(stat -c %u "$TMP/ws/made-at-start" 2>/dev/null)"

# -w: a new directory where the guest may write
t_eq "-w a new dir under /tmp: made, and the cwd" "/tmp/new/deeper" \
	"$(sx -w /tmp/new/deeper -- pwd)"
t_eq "-w a new dir: the guest's" "$UID_" "$(sx -- stat -c %u /tmp/new/deeper)"

# -w through a symlink the guest planted, pointing at a host path
sx -- sh -c "mkdir -p /tmp/w && ln -s '$TMP/hostside' /tmp/w/link"
out=$(sx -w /tmp/w/link/planted -- pwd)
t_eq "-w through a guest symlink to a host path: nothing made on the host" "" \
	"$(ls -A "$TMP/hostside")"
t_eq "and the command runs in /" "/" "$out"

# -w in a root-owned directory: what the guest cannot make is not made for it
out=$(sx -w /rootvol/planted -- pwd)
t_check "-w in a root-owned volume: no directory made on the host" \
	test ! -e "$TMP/rootvol/planted"
t_eq "and the command runs in /" "/" "$out"
out=$(sx -w /etc/planted -- pwd)
t_eq "-w in the image's root-owned /etc: not made, runs in /" "/" "$out"
t_eq "/etc/planted does not exist in the guest" "no" \
	"$(sx -- sh -c 'test -e /etc/planted && echo yes || echo no')"

# a race: the guest swaps a directory and a symlink to a host path while
# -w goes through it; nothing may appear on the host
sx -- sh -c "mkdir -p /tmp/race; (while :; do mkdir /tmp/race/d 2>/dev/null; rmdir /tmp/race/d 2>/dev/null; ln -s '$TMP/hostside' /tmp/race/d 2>/dev/null; rm -f /tmp/race/d; done) >/dev/null 2>&1 &" </dev/null
for i in $(seq 1 40); do
	sx -w /tmp/race/d/x$i -- true >/dev/null 2>&1
done
t_eq "-w through a swapped symlink (40 tries): nothing made on the host" "" \
	"$(ls -A "$TMP/hostside")"

run sim_delete w1 -f
"$SMOLVM" _sim-reap
t_eq "no process left with the guest UID" "" "$(uid_procs "$UID_")"
t_cleanup
check_leftovers
