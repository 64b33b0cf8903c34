#!/usr/bin/env bash
# tests/integration/state_files.sh: the state directory is not trusted
# blindly. A symlinked state.json, state.lock or bottle directory is
# refused and its target left byte-identical; a state.json whose bundle_ip
# is not a host of its subnet is refused naming the file and the bottle,
# and no Smolfile ever carries that address; a state directory writable by
# group or others, or owned by someone else, is refused with what to fix;
# a CLI verb that cannot get the lock gives up with a clear error. After
# all that, up and rm work on the repaired directory.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 216 sfb1
t_defer "'$BOTTLE' -c '$CFG' rm sfb1"

S=$BOTTLE_STATE_DIR
mkdir -m 700 "$S"
SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'

no_network() {
	! docker network inspect bottle-sfb1 >/dev/null 2>&1
}

# --- a symlinked state.json ---------------------------------------------
printf '{"version": 1, "bottles": {}, "keep": "me"}\n' >"$W/elsewhere.json"
sum=$(md5sum <"$W/elsewhere.json")
ln -s "$W/elsewhere.json" "$S/state.json"
brun up sfb1
t_check "up refuses a symlinked state.json" test "$RC" -ne 0
t_match "saying so, naming it" \
	"state: $S/state.json: is a symbolic link; refused" "$ERR"
t_eq "its target is byte-identical" "$sum" "$(md5sum <"$W/elsewhere.json")"
t_check "the link is still a link (not replaced)" test -L "$S/state.json"
t_check "no network was created" no_network
brun ls
t_check "ls refuses it too" test "$RC" -ne 0
t_nomatch "no sanitizer report" "$SAN_RE" "$ERR"
rm "$S/state.json"

# --- a symlinked state.lock ---------------------------------------------
printf 'not a lock\n' >"$W/elsewhere.lock"
sum=$(md5sum <"$W/elsewhere.lock")
ln -s "$W/elsewhere.lock" "$S/state.lock"
brun up sfb1
t_check "up refuses a symlinked state.lock" test "$RC" -ne 0
t_match "saying so, naming it" \
	"state: $S/state.lock: is a symbolic link; refused" "$ERR"
t_eq "its target is byte-identical" "$sum" "$(md5sum <"$W/elsewhere.lock")"
t_check "no network was created" no_network
t_check "state.json was not written" test ! -e "$S/state.json"
rm "$S/state.lock"

# --- a symlinked bottle directory -----------------------------------------
mkdir -m 700 "$W/elsewhere.d"
rm -rf "${S:?}/sfb1" # the refused ups above logged their events there
ln -s "$W/elsewhere.d" "$S/sfb1"
brun up sfb1
t_check "up refuses a symlinked bottle directory" test "$RC" -ne 0
t_match "saying so" "state: $S/sfb1: is a symbolic link" "$ERR"
t_eq "nothing was written through it" "" "$(ls -A "$W/elsewhere.d")"
t_check "no network was created" no_network
rm "$S/sfb1"

# --- a bundle_ip that is not a host of its subnet ---------------------------
for bad in 1.1.1.1 10.213.216.0 10.213.216.15 10.213.216.16; do
	cat >"$S/state.json" <<EOF
{"version": 1, "bottles": {"sfb1": {"subnet": "10.213.216.0/28",
 "bundle_ip": "$bad", "step": "down"}}}
EOF
	brun up sfb1
	t_check "up refuses bundle_ip $bad in 10.213.216.0/28" test "$RC" -ne 0
	t_match "naming state.json, the bottle and the address" \
		"state: $S/state.json: bottles\.sfb1\.bundle_ip: \"$bad\" is not a host address of its subnet 10\.213\.216\.0/28" \
		"$ERR"
	t_check "no Smolfile carries it" \
		sh -c "! grep -qs -- '$bad' '$S/sfb1/Smolfile'"
	t_check "no network was created" no_network
done
t_match "the message says how to repair it" 'fix or remove bottles\.sfb1' "$ERR"
rm "$S/state.json"

# --- a state directory others can write, or someone else's ----------------
chmod 0770 "$S"
brun up sfb1
t_check "up refuses a group-writable state directory" test "$RC" -ne 0
t_match "saying what to fix" \
	"state: $S: writable by group or others \(mode 0770\): fix it with \`chmod go-w $S\`" "$ERR"
brun ls
t_check "ls too" test "$RC" -ne 0
chmod 0707 "$S"
brun up sfb1
t_match "other-writable too" "state: $S: writable by group or others \(mode 0707\)" "$ERR"
chmod 0700 "$S"
if [ "$(id -u)" = 0 ]; then
	chown 65534 "$S"
	brun up sfb1
	t_check "up refuses a state directory owned by another user" test "$RC" -ne 0
	t_match "naming the owner" "state: $S: owned by uid 65534, not by this user \(uid 0\)" "$ERR"
	chown 0 "$S"
else
	t_skip "a state directory owned by another user" "needs root"
fi
t_check "no network was created" no_network

# --- a CLI verb that cannot get the lock gives up, clearly ----------------
FIFO=$W/release
mkfifo "$FIFO"
flock "$S/state.lock" sh -c 'read x <"$1"' sh "$FIFO" &
HOLDER=$!
t_defer "timeout 2 sh -c 'echo x >\"\$1\"' sh '$FIFO'; kill $HOLDER 2>/dev/null"
t_wait_for 10 sh -c "! flock -n '$S/state.lock' true"
BOTTLE_TEST_STATE_WAIT_MS=1500 brun up sfb1
t_check "up gives up when the lock stays held" test "$RC" -ne 0
t_match "it said it was waiting, and for whom" \
	'waiting for the state lock \(held by pid [0-9]+ \((flock|sh)\)' "$OUT$ERR"
t_match "then why it gave up" \
	"state: $S/state.lock: busy \(held by pid [0-9]+ \((flock|sh)\) for more than 1500 ms\)" "$ERR"
t_check "no network was left behind" no_network
echo go >"$FIFO"
wait "$HOLDER"

# --- repaired: up and rm work ---------------------------------------------
brun up sfb1
t_eq "up works on the repaired directory" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_match "the Smolfile allows the bundle's own address" \
	'allow_cidrs = \["10\.213\.216\.2/32"\]' "$(cat "$S/sfb1/Smolfile")"
t_eq "state.json stays private (0600)" 600 "$(stat -c %a "$S/state.json")"
t_eq "the bottle directory 0700" 700 "$(stat -c %a "$S/sfb1")"
brun rm sfb1
t_eq "rm works" 0 "$RC"
t_nomatch "no sanitizer report" "$SAN_RE" "$ERR"
t_world_clean_check
