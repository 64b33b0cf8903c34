#!/usr/bin/env bash
# tests/ui/resize.sh: SIGWINCH redraws cleanly at the new size (100x30 and
# back to 80x24, nothing left over from the old layout), and a terminal
# under 80x24 gets a clear "too small" message instead of a broken layout.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 231 uir1 uir2

# line_of REGEX: the 1-based screen line where REGEX first matches.
line_of() {
	printf '%s\n' "$UI_SCREEN" | grep -nE -- "$1" | head -1 | cut -d: -f1
}
count_of() {
	printf '%s\n' "$UI_SCREEN" | grep -cE -- "$1"
}
footer_at() {
	[ "$(line_of 'q quit')" = "$1" ] && [ "$(count_of 'q quit')" = 1 ]
}

ui_start 80x24
ui_dashboard
ui_expect 20 '^ uir2 +- stopped' "the dashboard shows at 80x24"
t_eq "the footer is on the second-to-last line" 23 "$(line_of 'q quit')"

ui_resize 100 30
ui_expect 5 'q quit.*/ filter' "at 100x30 the wider footer has room for more keys"
ui_until 5 footer_at 29
t_eq "the footer moved to the new second-to-last line" 29 "$(line_of 'q quit')"
t_eq "and shows once (no leftover from the old size)" 1 "$(count_of 'q quit')"
t_match "the list is still there" '^ uir1 +- stopped' "$UI_SCREEN"
t_eq "nothing is drawn past column 100" 1 "$([ "$(ui_width)" -le 100 ] && echo 1)"
sim_col=$(printf '%s\n' "$UI_SCREEN" | head -1 | awk '{ print index($0, "SIMULATED") }')
t_eq "the SIMULATED badge moved to the new right edge" 90 "$sim_col"

ui_resize 80 24
ui_until 5 footer_at 23
t_eq "the footer is back on line 23" 23 "$(line_of 'q quit')"
t_eq "once" 1 "$(count_of 'q quit')"
t_nomatch "the 100-column footer is gone" '/ filter' "$UI_SCREEN"
t_eq "nothing is drawn past column 80" 1 "$([ "$(ui_width)" -le 80 ] && echo 1)"

ui_resize 60 20
ui_expect 5 'terminal too small: 60x20' "a 60x20 terminal says it is too small"
ui_expect 5 'needs at least 80x24' "and what it needs"
t_nomatch "instead of a broken layout" 'NAME|uir1|q quit  \?' "$UI_SCREEN"

ui_resize 80 24
ui_expect 5 '^ uir1 +- stopped' "growing back brings the list back"
ui_keys q
ui_expect 20 '^EXIT=0' "q quits with status 0"
t_nomatch "no sanitizer report from the dashboard" \
	'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$W/ui.err")"
