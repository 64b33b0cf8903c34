# tests/lib.sh: helpers shared by every shell test (sourced, never run).
#
# Output contract (read by tests/run.sh): one TAP line per check,
#   ok - DESCRIPTION
#   not ok - DESCRIPTION
#   ok - DESCRIPTION # SKIP REASON
# and a non-zero exit status when any check failed. A script that dies
# before printing anything counts as one failure.
#
# Cleanup: register commands with t_defer; they run in reverse order on
# every exit path (normal end, failure, SIGINT/SIGTERM from the runner's
# timeout).

T_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
T_FAILED=0
T_COUNT=0
T_DEFERRED=()

t_ok() { T_COUNT=$((T_COUNT + 1)); echo "ok - $*"; }
t_fail() {
	T_COUNT=$((T_COUNT + 1))
	T_FAILED=$((T_FAILED + 1))
	echo "not ok - $*"
}
t_skip() { T_COUNT=$((T_COUNT + 1)); echo "ok - $1 # SKIP ${2:-}"; }
t_diag() { echo "# $*"; }

# t_check DESCRIPTION CMD...: passes when CMD exits 0.
t_check() {
	local d=$1
	shift
	if "$@"; then t_ok "$d"; else t_fail "$d"; fi
}

# t_eq DESCRIPTION EXPECTED ACTUAL
t_eq() {
	if [ "$2" == "$3" ]; then
		t_ok "$1"
	else
		t_fail "$1"
		t_diag "expected: $(printf '%q' "$2")"
		t_diag "actual:   $(printf '%q' "$3")"
	fi
}

# t_match DESCRIPTION REGEX ACTUAL (grep -E on ACTUAL)
t_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		t_ok "$1"
	else
		t_fail "$1"
		t_diag "wanted /$2/ in: $(printf '%s' "$3" | head -c 2000)"
	fi
}

# t_nomatch DESCRIPTION REGEX ACTUAL
t_nomatch() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then
		t_fail "$1"
		t_diag "unwanted /$2/ in: $(printf '%s' "$3" | head -c 2000)"
	else
		t_ok "$1"
	fi
}

# t_wait_for SECONDS CMD...: poll CMD every 0.1 s until it succeeds.
t_wait_for() {
	local limit=$1 i=0
	shift
	while ! "$@"; do
		i=$((i + 1))
		[ $i -ge $((limit * 10)) ] && return 1
		sleep 0.1
	done
	return 0
}

t_defer() { T_DEFERRED+=("$*"); }

t_cleanup() {
	local i
	for ((i = ${#T_DEFERRED[@]} - 1; i >= 0; i--)); do
		eval "${T_DEFERRED[$i]}" >/dev/null 2>&1 || true
	done
	T_DEFERRED=()
}

t_on_exit() {
	local rc=$?
	t_cleanup
	if [ $T_FAILED -gt 0 ]; then exit 1; fi
	if [ $T_COUNT -eq 0 ] && [ $rc -eq 0 ]; then
		echo "not ok - script printed no result"
		exit 1
	fi
	exit $rc
}
trap t_on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# t_need_root: skip the whole script (one SKIP line) when not root.
t_need_root() {
	if [ "$(id -u)" != 0 ]; then
		t_skip "$(basename "$0")" "needs root"
		exit 0
	fi
}

# t_tmpdir VAR: a fresh directory, removed on exit, its path stored in VAR
# (not printed: a defer registered inside $(...) would be lost).
t_tmpdir() {
	local d
	d=$(mktemp -d "${TMPDIR:-/tmp}/bottle-test.XXXXXX")
	t_defer "rm -rf '$d'"
	printf -v "$1" '%s' "$d"
}

# t_snapshot: docker objects and netfilter rules, to compare before/after.
t_snapshot() {
	{
		docker ps -a --format '{{.Names}}' 2>/dev/null | sort
		docker network ls --format '{{.Name}}' 2>/dev/null | sort
		iptables -S 2>/dev/null
		ip6tables -S 2>/dev/null
		ip rule show 2>/dev/null
	} | sort # a set: a restarted dockerd may re-insert its rules in another order
}
