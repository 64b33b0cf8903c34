#!/usr/bin/env bash
# tests/ui/dashboard.sh: the dashboard end to end in a real terminal, on
# a two-bottle configuration (real docker, the smolvm simulator): the list,
# u to healthy with the probe marks, e with output and exit status, l with
# bundle lines arriving, s handing the terminal to a shell and getting it
# back, d, and q leaving the terminal exactly as it was.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 230 uid1 uid2
t_defer "'$BOTTLE' -c '$CFG' rm uid1 uid2"

ui_start 80x24
ui_type "stty -g >$W/stty.before; tput cnorm >/dev/null 2>&1; clear"
ui_keys Enter
ui_dashboard

ui_expect 20 '^ uid1 +- stopped' "the list shows the first bottle, stopped"
ui_expect 5 '^ uid2 +- stopped' "and the second"
ui_expect 5 '[0-9]+ bottles: .*[0-9]+ stopped' "the header counts bottles by state"
ui_expect 5 'SIMULATED' "the header shows the SIMULATED badge"
ui_expect 5 'docker [0-9]' "the header shows docker's version"
ui_expect 5 'q quit +\? help' "the footer shows the keys that apply"

# u on the selected (first) bottle: every step, then proven healthy.
ui_keys u
ui_expect 20 'uid1: up started|^ uid1 +[^ ] [a-z-]+ ' "u starts up on the selected bottle"
ui_expect 120 '^ uid1 +✓ healthy' "its row reaches healthy"
row=$(printf '%s\n' "$UI_SCREEN" | grep -E '^ uid1 ')
# cross-bottle SKIP (one bottle); dns-hole SKIP at 0.8.0 (no resolver),
# PASS at 1.9.3 (real queries through the gateway)
marks='✓✓✓✓--'
t_at_tsi || marks='✓✓✓✓-✓'
t_match "every applicable probe mark is a PASS (the others SKIP)" \
	"$marks" "$row"
t_nomatch "no probe mark is a FAIL" '✗' "$row"
t_match "the row shows its bundle IP with the subnet prefix" \
	'10\.213\.230\.[0-9]+/28' "$row"
t_match "and the VM running" ' running ' "$row"
ui_expect 5 '^ uid2 +- stopped' "the other bottle stays stopped"

# e: a command line, run without a shell; output and status in the pane.
ui_keys e
ui_expect 5 'exec in uid1:' "e prompts for a command line"
ui_type "sh -c 'echo hi; exit 3'"
ui_keys Enter
ui_expect 30 '^ hi *$' "the exec pane shows the output"
ui_expect 30 'exit (status )?3' "and the exit status 3"
ui_expect 5 'logs .*5 exec' "in the exec tab of the detail view"
ui_expect 5 '^ uid1 +✓ healthy' "the detail view names the bottle and its state"

# l: the bundle's log, lines arriving while we watch.
ui_keys Escape
ui_expect 5 '^ NAME +STATE' "Esc goes back to the list"
ui_keys l
ui_expect 5 'logs .*2 bundle' "l opens the logs on the bundle tab"
ui_expect 30 '"service":"[a-z-]+","event":"request"' \
	"bundle log lines show (the health checks' requests)"
count_lines() { printf '%s\n' "$UI_SCREEN" | grep -c '"event":"request"'; }
n0=$(count_lines)
last0=$(printf '%s\n' "$UI_SCREEN" | grep '"event":"request"' | tail -1)
arrived=0
for i in $(seq 300); do
	UI_SCREEN=$(ui_screen)
	last=$(printf '%s\n' "$UI_SCREEN" | grep '"event":"request"' | tail -1)
	if [ "$(count_lines)" -gt "$n0" ] || [ "$last" != "$last0" ]; then
		arrived=1
		break
	fi
	sleep 0.1
done
t_eq "new bundle lines arrive while the pane follows" 1 "$arrived"
ui_keys Escape

# s: the terminal goes to `bottle shell`, and comes back to this screen.
ui_expect 5 '^ NAME +STATE' "back in the list before the shell"
before_shell=$(ui_screen)
ui_keys s
ui_gone 15 '^ NAME +STATE' "s hands the terminal over (the dashboard is gone)"
ui_expect 30 '^/ [$#] *$' "the shell in the VM shows its prompt"
ui_type 'echo inside-$((6*7))'
ui_keys Enter
ui_expect 20 '^inside-42' "the shell in the VM runs commands"
ui_type 'exit'
ui_keys Enter
ui_expect 20 '^ NAME +STATE' "exit returns to the dashboard"
ui_expect 5 '^ uid1 +✓ healthy' "on the same screen"
after=$(ui_screen | grep -E '^ (NAME|uid1|uid2) ' | sed 's/ [0-9]*[smhd][0-9]*[smh]* *$//')
before=$(printf '%s\n' "$before_shell" | grep -E '^ (NAME|uid1|uid2) ' | sed 's/ [0-9]*[smhd][0-9]*[smh]* *$//')
t_eq "the list is as it was before the shell" "$before" "$after"
# keypad mode is back: an arrow key is a key, not raw bytes
ui_keys Down
ui_keys Enter
ui_expect 5 '^ uid2 +- stopped *$' "arrow keys work after the shell (Down, Enter opens uid2)"
ui_keys Escape
ui_keys Up

# d: down, back to stopped.
ui_keys d
ui_expect 120 '^ uid1 +- stopped' "d stops the bottle"
t_eq "its network is gone" "" "$(docker network ls --filter name=^bottle-uid1$ -q)"

# q: the terminal as it was.
ui_keys q
ui_expect 20 '^EXIT=0' "q quits with status 0"
ui_type "stty -g >$W/stty.after; echo typed-after-\$((1+1))"
ui_keys Enter
ui_expect 10 '^typed-after-2' "a command typed afterwards works normally"
t_eq "the terminal modes are as before (stty -g)" \
	"$(cat "$W/stty.before")" "$(cat "$W/stty.after" 2>/dev/null)"
t_nomatch "no sanitizer report from the dashboard" \
	'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$W/ui.err")"
