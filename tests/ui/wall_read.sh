#!/usr/bin/env bash
# tests/ui/wall_read.sh: a refresh reads the host's rule listings
# (iptables-save, ip6tables-save) and socket tables off the loop. With
# each such read held 6 s (BOTTLE_TEST_WALL_READ_DELAY_MS, a test build's
# hook in the thread-pool job), the dashboard started just now still
# answers ? at once (the help drawn while the first refresh's read is
# held, the figure printed); q quits with status 0. Control: the hook is
# in this build (`bottle ls`, whose refresh holds the read, takes 6 s).
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 242 wrd1
export BOTTLE_TEST_WALL_READ_DELAY_MS=6000
ms() { echo $(($(date +%s%N) / 1000000)); }

t0=$(ms)
brun ls
took=$(($(ms) - t0))
t_eq "control: ls exits 0" 0 "$RC"
t_check "control: the hook holds a refresh's read 6 s in this build (ls took ${took} ms)" \
	test "$took" -ge 5900

ui_start 100x24
t0=$(ms)
ui_dashboard
sleep 0.5
ui_keys '?'
if ui_wait 3 '^ Everywhere'; then
	t_ok "? is answered while the refresh's iptables-save read is held"
else
	t_fail "? is answered while the refresh's iptables-save read is held"
	ui_diag_screen
fi
drawn=$(($(ms) - t0))
t_diag "help drawn ${drawn} ms after the dashboard was started (the read is held 6000 ms)"
t_check "... before the held read could have ended" test "$drawn" -lt 5500
ui_keys Escape
ui_expect 20 '^ wrd1 +- stopped' "the dashboard shows the bottle"
ui_keys q
ui_expect 20 '^EXIT=0' "q quits with status 0"
t_world_clean_check
