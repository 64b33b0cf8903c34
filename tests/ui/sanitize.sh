#!/usr/bin/env bash
# tests/ui/sanitize.sh: hostile bytes from a bottle reach the terminal
# inert. A bundle log line and an exec output line carry OSC 52 (write the
# clipboard), ESC [ 2 J / ESC [ H (clear the screen, home the cursor), a
# C1 CSI byte and a carriage return; the dashboard shows them as text on
# one line, the screen is not cleared, and tmux (set-clipboard on) never
# sees a clipboard write.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 232 uis1
t_defer "'$BOTTLE' -c '$CFG' rm uis1"

brun up uis1
t_eq "uis1 comes up (CLI)" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"

ui_start 80x24
buffers() { ui_tmux list-buffers 2>/dev/null | wc -l; }

# Positive control: raw OSC 52 printed in this terminal does reach tmux's
# clipboard, so the checks below can fail.
ui_type "printf '\\033]52;c;Y29udHJvbA==\\007'; clear"
ui_keys Enter
t_until_buffers() { [ "$(buffers)" -ge 1 ]; }
if t_wait_for 5 t_until_buffers; then
	t_ok "control: a raw OSC 52 in this terminal sets a tmux buffer"
else
	t_fail "control: a raw OSC 52 in this terminal sets a tmux buffer"
fi
ui_tmux delete-buffer 2>/dev/null
t_eq "no buffer before the dashboard runs" 0 "$(buffers)"

ui_dashboard
ui_expect 20 '^ uis1 +✓ healthy|^ uis1 +\? unknown' "the dashboard shows uis1 running"

# The bundle's PID 1 stdout is what `docker logs` (the bundle tab) reads.
evil='evil-start\033]52;c;cHduZWQ=\007\033[2J\033[H\302\23331mred\rover evil-end\n'
docker exec bottle-uis1-bundle sh -c "printf '$evil' >/proc/1/fd/1"
ui_keys l
ui_expect 30 '^ evil-start.*evil-end' "the hostile bundle line shows on one line"
t_match "the carriage return is made visible" 'red\^Mover' "$UI_SCREEN"
t_nomatch "the OSC 52 payload is not shown as a sequence" '52;c;' "$UI_SCREEN"
t_match "the screen was not cleared: the header is still there" \
	'^ bottle [0-9.]+ ' "$UI_SCREEN"
t_eq "tmux saw no clipboard write" 0 "$(buffers)"

# The same bytes from a command run with e land in the exec tab.
ui_keys e
ui_expect 5 'exec in uis1:' "e prompts for a command"
ui_type "printf 'x-start\\033]52;c;cHduZWQ=\\007\\033[2J\\033[Hx\\rx-end\\n'"
ui_keys Enter
ui_expect 30 '^ x-start.*x-end' "the hostile exec output shows on one line"
t_match "its carriage return is made visible" 'x\^Mx-end' "$UI_SCREEN"
t_match "the screen was not cleared" '^ bottle [0-9.]+ ' "$UI_SCREEN"
t_eq "tmux saw no clipboard write" 0 "$(buffers)"

ui_keys Escape
ui_keys q
ui_expect 20 '^EXIT=0' "q quits with status 0"
t_nomatch "no sanitizer report from the dashboard" \
	'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$W/ui.err")"
