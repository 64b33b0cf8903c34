# tests/sim/lib-sim.bash: shared by the simulator's tests (sourced after
# tests/lib.sh and t_need_root; never run: not *.sh). Defines sim_begin (the
# common start: SMOLVM, TMP, SMOLVM_SIM_HOME, the before-snapshot),
# sim_bundles, note_uids, check_leftovers and run.

SMOLVM=$T_ROOT/assets/demo/smolvm
snap() { t_snapshot; ip6tables -S 2>/dev/null; ip rule show; ip -6 rule show 2>/dev/null; }

# sim_begin [docker]: a fresh TMP and SMOLVM_SIM_HOME, the before-snapshot
# and the reaper; with "docker", first skip the test (exit 0) when docker is
# not reachable, and after, build the demo image (exit 1 when that fails).
sim_begin() {
	if [ "${1:-}" = docker ] && ! docker info >/dev/null 2>&1; then
		t_skip "$(basename "$0")" "docker not reachable"
		exit 0
	fi
	t_tmpdir TMP
	export SMOLVM_SIM_HOME=$TMP/home
	BEFORE=$(snap)
	t_defer "'$SMOLVM' _sim-reap"
	[ "${1:-}" = docker ] || return 0
	"$T_ROOT/assets/demo/bundle/build.sh" >/dev/null || {
		t_fail "demo image builds"
		exit 1
	}
}

# sim_bundles NET THIRDS...: a docker network NET on the first free
# 10.213.THIRD.0/28 of THIRDS, with two demo bundles: B (.2: pipelock on
# 0.0.0.0:8888, egress on its loopback 9099) and OTHER (.3); sets SUBNET, B
# and OTHER, adds the network and its bridge to OUR_NAMES, removes all on exit.
sim_bundles() {
	local third
	NET=$1
	shift
	OUR_NAMES="$OUR_NAMES $NET"
	t_defer "docker network rm $NET"
	t_defer "docker rm -f $NET-b $NET-other"
	SUBNET=""
	for third in "$@"; do
		if docker network create --subnet "10.213.$third.0/28" "$NET" >/dev/null 2>&1; then
			SUBNET=10.213.$third.0/28
			break
		fi
	done
	if [ -z "$SUBNET" ]; then
		t_fail "a docker network 10.213.THIRD.0/28 can be created (THIRD: $*)"
		exit 1
	fi
	B=${SUBNET%.0/28}.2
	OTHER=${SUBNET%.0/28}.3
	OUR_NAMES="$OUR_NAMES br-$(docker network inspect -f '{{.Id}}' "$NET" | cut -c1-12)"
	docker run -d --name "$NET-b" --network "$NET" --ip "$B" \
		-e BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888 \
		-e BOTTLE_EGRESS_LISTEN=127.0.0.1:9099 \
		bottle-demo-bundle:latest >/dev/null
	docker run -d --name "$NET-other" --network "$NET" --ip "$OTHER" \
		-e BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888 \
		bottle-demo-bundle:latest >/dev/null
	t_wait_for 10 sim_healthy "$B"
	t_check "bundle B is up" sim_healthy "$B"
	t_wait_for 10 sim_healthy "$OTHER"
}
sim_healthy() { curl -fs --max-time 1 "http://$1:8888/health" >/dev/null; }

# sim_connect MACHINE HOST PORT: nc from inside the machine; sets RC, OUT, ERR
sim_connect() {
	run "$SMOLVM" machine exec --name "$1" -- sh -c \
		"printf 'GET /health HTTP/1.0\r\n\r\n' | nc -w 3 $2 $3"
}
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
