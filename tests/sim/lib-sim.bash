# tests/sim/lib-sim.bash: shared by the simulator's tests (sourced after
# tests/lib.sh, with SMOLVM and SMOLVM_SIM_HOME set; never run: not *.sh).
# Takes the before-snapshot at the point where it is sourced and defines
# note_uids, check_leftovers and run.

snap() { t_snapshot; ip6tables -S 2>/dev/null; ip rule show; ip -6 rule show 2>/dev/null; }
BEFORE=$(snap)
# What this test owns, to tell its leftovers from changes other programs on
# the host (another bottle, a dashboard in development) make meanwhile.
OUR_UIDS=""
OUR_NAMES=""
note_uids() {
	local f u
	for f in "$SMOLVM_SIM_HOME"/vms/*/record.json; do
		[ -e "$f" ] || continue
		u=$(sed -n 's/.*"uid": \([0-9]*\).*/\1/p' "$f")
		case " $OUR_UIDS " in *" $u "*) ;; *) OUR_UIDS="$OUR_UIDS $u" ;; esac
	done
}
check_leftovers() {
	local after diff re="" u n mine
	after=$(snap)
	# only what appeared counts: a guest UID may be reused after another
	# program's machine that had it went away during this test
	diff=$(diff <(printf '%s\n' "$BEFORE") <(printf '%s\n' "$after") | grep '^>' || true)
	for u in $OUR_UIDS; do
		# released and already handed to another program's machine?
		if [ -e "/run/smolvm-sim/uids/$u" ] &&
			! grep -q "\"$SMOLVM_SIM_HOME\"" "/run/smolvm-sim/uids/$u"; then
			continue
		fi
		re="$re|SMOLSIM-$u( |\$)|uidrange $u-"
	done
	for n in $OUR_NAMES; do re="$re|$n"; done
	re=${re#|}
	mine=""
	[ -n "$re" ] && mine=$(printf '%s\n' "$diff" | grep -E -- "$re" || true)
	t_eq "nothing left behind: docker objects, netfilter and routing rules" "" "$mine"
	[ -n "$diff" ] && [ -z "$mine" ] && t_diag "ignored changes made by other programs: $(printf '%s' "$diff" | head -c 300 | tr '\n' ' ')"
	t_eq "no simulator state left for this test's home" "" "$(grep -ls "\"$SMOLVM_SIM_HOME\"" /run/smolvm-sim/uids/* 2>/dev/null)"
}

# run CMD...: sets RC, OUT and ERR
run() {
	"$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# The smolvm version the simulator emulates in this test (SMOLVM_SIM_VERSION;
# these tests pin 0.8.0 unless told otherwise, whatever the simulator's own
# default), and the argv forms that differ between versions: NAME is
# positional for create/delete/data-dir at 0.8.0, --name from 1.0.2.
export SMOLVM_SIM_VERSION=${SMOLVM_SIM_VERSION:-0.8.0}
SIM_V=$SMOLVM_SIM_VERSION
is19() { [ "$SIM_V" = 1.9.3 ]; }
sim_create() { # NAME ARGS...
	local n=$1
	shift
	if is19; then "$SMOLVM" machine create --name "$n" "$@"; else "$SMOLVM" machine create "$n" "$@"; fi
}
sim_delete() { # NAME ARGS...
	local n=$1
	shift
	if is19; then "$SMOLVM" machine delete --name "$n" "$@"; else "$SMOLVM" machine delete "$n" "$@"; fi
}
sim_datadir() { # NAME
	if is19; then "$SMOLVM" machine data-dir --name "$1"; else "$SMOLVM" machine data-dir "$1"; fi
}
# netns_of PID: the network namespace a process is in
netns_of() { readlink "/proc/$1/ns/net" 2>/dev/null; }
