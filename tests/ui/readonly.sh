#!/usr/bin/env bash
# tests/ui/readonly.sh: --read-only disables every mutating key (u d r D
# e s, and the same through the : command line), says so on the footer,
# the header and the message line, and changes nothing.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 233 uiro1
t_defer "'$BOTTLE' -c '$CFG' rm uiro1"

ui_start 80x24
ui_dashboard --read-only
ui_expect 20 '^ uiro1 +- stopped' "the read-only dashboard shows the bottle"
t_match "the footer says READ-ONLY" '^ READ-ONLY +q quit' "$UI_SCREEN"
t_match "so does the header" '^ bottle .*READ-ONLY' "$UI_SCREEN"
t_nomatch "the footer offers no mutating key" ' u up| d down| e exec| s shell' \
	"$(printf '%s\n' "$UI_SCREEN" | grep 'q quit')"

for k in u d r D e s; do
	ui_keys "$k"
	ui_expect 5 "read-only: $k \\([a-z]+\\) is disabled by --read-only" \
		"$k is refused and the message line says why"
done
ui_keys :
ui_type "up uiro1"
ui_keys Enter
ui_expect 5 'read-only: u \(up\) is disabled' ":up NAME is refused too"
t_match "nothing started: still stopped" '^ uiro1 +- stopped' "$UI_SCREEN"
t_eq "no docker network was created" "" \
	"$(docker network ls --filter name=^bottle-uiro1$ -q)"

ui_keys Enter
ui_expect 5 '^ uiro1 +- stopped *$' "Enter still opens the detail view"
ui_expect 5 'logs .*1 events' "with its log pane"
ui_keys Escape
ui_keys q
ui_expect 20 '^EXIT=0' "q quits with status 0"
t_nomatch "no sanitizer report from the dashboard" \
	'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$W/ui.err")"
