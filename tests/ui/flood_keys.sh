#!/usr/bin/env bash
# tests/ui/flood_keys.sh: (issue 12) the dashboard keeps answering keys
# while the guest floods its console. The VM's workload, when told to (a
# file the test creates in a directory the VM mounts), prints lines as
# fast as it can for a minute (far above 100k lines/s through the
# simulator); the dashboard shows the bottle's vm tab meanwhile, and ? /
# Esc are pressed five times: each is answered (the help opens, closes)
# and the flood keeps showing between them. No timing is asserted: each
# wait is generous; what fails is a dashboard that stops answering.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 253 ufk1

# the trigger: a file in a host directory mounted read-only at /data
VOL=$W/vol
mkdir -p "$VOL"
chmod 755 "$W" "$VOL"
WL='echo agent ready
while [ ! -e /data/flood ]; do sleep 0.1; done
timeout 60 yes flood-line-abcdefghijklmnopqrstuvwxyz-0123456789
echo flood-done
while :; do sleep 3600; done'
t_world_config_vm "$WL" "$VOL:/data:ro" ufk1
t_defer "'$BOTTLE' -c '$CFG' rm ufk1"

brun up ufk1
t_eq "up ufk1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || {
	t_diag "$ERR"
	exit 1
}

ui_start 80x24
ui_dashboard
ui_expect 30 '^ ufk1 +. (healthy|unknown)' "the dashboard shows ufk1 running"
ui_keys l
ui_expect 10 'logs .*2 bundle' "l opens the logs"
ui_keys 3
ui_expect 10 'logs .*3 vm' "3 shows the vm tab"

touch "$VOL/flood"
ui_expect 60 '^ flood-line-abc' "the console flood shows in the vm tab"
for i in 1 2 3 4 5; do
	ui_keys '?'
	ui_expect 20 '^ Everywhere' "during the flood, ? is answered ($i/5)"
	ui_keys Escape
	ui_gone 20 '^ Everywhere' "and Esc closes the help ($i/5)"
	ui_expect 20 '^ flood-line-abc' "the flood shows again ($i/5)"
done
ui_keys Escape
ui_expect 20 '^ NAME +STATE' "Esc goes back to the list during the flood"
ui_keys :
ui_type "q"
ui_keys Enter
ui_expect 20 '^EXIT=0' ":q ends the dashboard during the flood (exit 0)"

brun rm ufk1
t_eq "rm ufk1 exits 0" 0 "$RC"
t_world_clean_check
