#!/usr/bin/env bash
# tests/ui/lock.sh: another process holds the state lock (flock(1) on
# STATE/state.lock, as bottle takes it) for 10 s while the dashboard starts
# a bottle. The dashboard keeps answering keys (? draws the help at once:
# polled up to 2 s, the figure printed), shows who holds the lock in its
# message line, and once the lock is released the bottle comes up, the
# note goes and state.json records it: nothing is lost.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 241 lkb1
t_defer "'$BOTTLE' -c '$CFG' rm lkb1"

S=$BOTTLE_STATE_DIR
mkdir -m 700 "$S"
FIFO=$W/release
mkfifo "$FIFO"
ms() { echo $(($(date +%s%N) / 1000000)); }

ui_start 100x24
ui_dashboard
ui_expect 20 '^ lkb1 +- stopped' "the dashboard shows the bottle, stopped"

# The holder: flock(1) keeps the lock until the test writes to the fifo.
flock "$S/state.lock" sh -c 'read x <"$1"' sh "$FIFO" &
HOLDER=$!
t_defer "timeout 2 sh -c 'echo x >\"\$1\"' sh '$FIFO'; kill $HOLDER 2>/dev/null"
if t_wait_for 10 sh -c "! flock -n '$S/state.lock' true"; then
	t_ok "another process holds $S/state.lock"
else
	t_fail "another process holds $S/state.lock"
fi
HELD_AT=$(ms)

# u starts up on the bottle, and at once ? asks for the help: with the
# loop blocked on the lock the help would only come after the wait.
t0=$(ms)
ui_keys u '?'
if ui_wait 2 '^ Everywhere'; then
	t_ok "keys are answered while the lock is held (help drawn within the 2 s poll)"
else
	t_fail "keys are answered while the lock is held (help drawn within the 2 s poll)"
	ui_diag_screen
fi
t_diag "help drawn $(($(ms) - t0)) ms after the keys (includes tmux and capture-pane)"
ui_keys Escape
ui_expect 5 '^ NAME +STATE' "Esc closes the help, the lock still held"
ui_expect 10 'waiting for the state lock \(held by pid [0-9]+ \((flock|sh)\)' \
	"the message line says the update waits for the lock, and who holds it"
ui_expect 5 '^ lkb1 +[^ ]+ allocate ' "the bottle waits in its allocate step"
t_check "nothing was written to state.json while the lock was held" \
	test ! -e "$S/state.json" -o -z "$(grep -s lkb1 "$S/state.json")"
t_check "the holder still holds the lock" kill -0 "$HOLDER"

# Hold it 10 s in all, then release.
left=$((10000 - ($(ms) - HELD_AT)))
[ $left -gt 0 ] && sleep "$(printf '%d.%03d' $((left / 1000)) $((left % 1000)))"
echo go >"$FIFO"
wait "$HOLDER"
t_diag "lock held for $(($(ms) - HELD_AT)) ms"

ui_expect 120 '^ lkb1 +✓ healthy' "after the release the bottle comes up, healthy"
ui_gone 5 'waiting for the state lock' "the waiting note is gone"
step_of() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bottles"]["lkb1"]["step"])' \
		"$S/state.json" 2>/dev/null
}
is_up() { [ "$(step_of)" = up ]; }
if t_wait_for 10 is_up; then
	t_ok "state.json records the bottle as up"
else
	t_fail "state.json records the bottle as up"
	t_diag "$(cat "$S/state.json" 2>&1)"
fi
t_match "with its allocation" '"bundle_ip":[[:space:]]+"10\.213\.241\.[0-9]+"' \
	"$(cat "$S/state.json")"
t_match "events.log notes the wait" 'waiting for the state lock' \
	"$(cat "$S/lkb1/events.log")"

ui_keys q
ui_expect 20 '^EXIT=0' "q quits with status 0"
t_nomatch "no sanitizer report from the dashboard" \
	'AddressSanitizer|LeakSanitizer|runtime error' "$(cat "$W/ui.err")"

brun rm lkb1
t_eq "rm removes the bottle" 0 "$RC"
t_world_clean_check
