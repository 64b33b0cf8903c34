#!/usr/bin/env bash
# tests/bench/run.sh [PATTERN...]: run every benchmark (tests/bench/*.sh
# but this one; PATTERN, a substring of a script's name, selects), each
# under a timeout, then print the summary table and write it to
# build/bench/summary.md. Called by `make bench`. Full output of each
# script: build/bench/NAME.log.
#
# A benchmark script prints its figures as lines
#   BENCH NAME VALUE UNIT
# and may hold a figure to an acceptance value with
#   BENCH_TARGET NAME OP VALUE        (OP: <= >= < > ==)
# plus any human text. Its timeout is BENCH_TIMEOUT (default 240 s), or
# its own, given by a line "# bench-timeout: SECONDS" in its first 20
# lines; on timeout it gets SIGTERM (its cleanup runs), then SIGKILL 120 s
# later. tests/bench/lib-bench.bash has the helpers (a private bottle
# world, medians, ratios).
#
# Exit status: 1 when a script failed or timed out (or, with
# BENCH_STRICT=1, when a figure misses its target), else 0.
set -u
cd "$(dirname "$0")/../.." || exit 1
ROOT=$(pwd)
OUT=$ROOT/build/bench
mkdir -p "$OUT"
if [ -z "${BOTTLE:-}" ]; then
	for BOTTLE in "$ROOT/bottle" "$ROOT/build/asan/bottle"; do
		[ -x "$BOTTLE" ] && break
	done
fi
export BOTTLE

# The dashboard and log benchmarks of issue 7 (d to g): until a script
# matching one of these names exists, the table says "not yet measured".
PENDING=(
	"(d) dashboard idle CPU vs htop|ui_idle*.sh ui_*cpu*.sh"
	"(e) log flood: lines/s, peak RSS vs docker logs -f|log_flood*.sh"
	"(f) key-press latency under a log flood|ui_flood*.sh ui_*key*.sh ui_*latency*.sh"
	"(g) bytes to the terminal per refresh, 200 bottles|ui_*bytes*.sh ui_*refresh*.sh ui_*write*.sh"
)

want() { # want NAME: honour the command-line patterns
	local p
	[ ${#PATTERNS[@]} -eq 0 ] && return 0
	for p in "${PATTERNS[@]}"; do
		case "$1" in *"$p"*) return 0 ;; esac
	done
	return 1
}

script_timeout() { # script_timeout FILE
	local t
	t=$(head -20 "$1" | sed -n 's/^# bench-timeout: *\([0-9][0-9]*\).*/\1/p' | head -1)
	echo "${t:-${BENCH_TIMEOUT:-240}}"
}

# meets VALUE OP TARGET: exit 0 when VALUE OP TARGET holds
meets() {
	if [ "$2" = "==" ]; then
		[ "$1" = "$3" ]
		return
	fi
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		if (v !~ /^-?[0-9.]+$/) exit 1
		v += 0; t += 0
		if (op == "<=") exit !(v <= t)
		if (op == ">=") exit !(v >= t)
		if (op == "<") exit !(v < t)
		if (op == ">") exit !(v > t)
		exit 1
	}'
}

# table: tab-separated rows on stdin (the first is the header) as a
# padded markdown table
table() {
	awk -F '\t' '{
		for (i = 1; i <= NF; i++) {
			c[NR, i] = $i
			if (length($i) > w[i]) w[i] = length($i)
		}
		if (NF > nf) nf = NF
		rows = NR
	} END {
		for (r = 1; r <= rows; r++) {
			line = "|"
			for (i = 1; i <= nf; i++) line = line sprintf(" %-*s |", w[i], c[r, i])
			print line
			if (r == 1) {
				line = "|"
				for (i = 1; i <= nf; i++) {
					d = ""
					for (k = 0; k < w[i]; k++) d = d "-"
					line = line " " d " |"
				}
				print line
			}
		}
	}'
}

# wait_script PID: waits for the timeout process PID through signals
# (which on_signal forwards to it: its script then cleans up); sets rc to
# its exit status
wait_script() {
	while :; do
		wait "$1"
		rc=$?
		kill -0 "$1" 2>/dev/null || break
	done
}

# on_signal: SIGINT or SIGTERM (^C on make bench): the running script
# gets SIGTERM and cleans up; no further script runs.
on_signal() {
	interrupted=1
	[ -z "$tpid" ] || kill -TERM "$tpid" 2>/dev/null
}

PATTERNS=("$@")
interrupted=0
tpid=
trap on_signal INT TERM
failed=0
missed=0
rows=$(printf 'benchmark\tfigure\tvalue\tunit\ttarget\tverdict')
status_rows=$(printf 'script\tresult\tseconds')
load0=$(cut -d' ' -f1-3 /proc/loadavg)
t_all0=$(date +%s)
echo "bench: bottle $BOTTLE; $(nproc) CPUs; load average $load0"

for s in tests/bench/*.sh; do
	name=$(basename "$s" .sh)
	[ "$name" = run ] && continue
	want "$name" || continue
	limit=$(script_timeout "$s")
	log=$OUT/$name.log
	echo "== $name (timeout ${limit}s)"
	t0=$(date +%s)
	: >"$log"
	timeout -k 120 "$limit" bash "$s" </dev/null >"$log" 2>&1 &
	tpid=$!
	tail -s 0.2 -n +1 -f --pid="$tpid" "$log" | sed 's/^/  /' &
	wait_script "$tpid"
	wait
	tpid=
	secs=$(($(date +%s) - t0))
	case $rc in
	0) result=ok ;;
	124 | 137) result="TIMEOUT after ${limit}s" ;;
	*) result="exit $rc" ;;
	esac
	[ $interrupted = 0 ] || result="interrupted"
	[ $rc = 0 ] || failed=$((failed + 1))
	status_rows+=$(printf '\n%s\t%s\t%s' "$name" "$result" "$secs")

	declare -A target=()
	while read -r _ fig op val; do
		target[$fig]="$op $val"
	done < <(grep -E '^BENCH_TARGET [^ ]+ (<=|>=|<|>|==) [^ ]+' "$log")
	got=0
	while read -r _ fig val unit; do
		got=1
		tgt=${target[$fig]:-}
		verdict=-
		if [ -n "$tgt" ]; then
			if meets "$val" $tgt; then verdict=ok; else
				verdict=MISSED
				missed=$((missed + 1))
			fi
		fi
		rows+=$(printf '\n%s\t%s\t%s\t%s\t%s\t%s' "$name" "$fig" "$val" "${unit:--}" "${tgt:--}" "$verdict")
	done < <(grep -E '^BENCH [^ ]+ [^ ]+' "$log")
	unset target
	[ $got = 1 ] || rows+=$(printf '\n%s\t%s\t%s\t%s\t%s\t%s' "$name" "(no figure)" - - - "$result")
	[ $interrupted = 0 ] || break
done

[ ${#PATTERNS[@]} -gt 0 ] || for p in "${PENDING[@]}"; do
	label=${p%%|*}
	found=0
	for g in ${p#*|}; do
		compgen -G "tests/bench/$g" >/dev/null && found=1
	done
	[ $found = 1 ] || rows+=$(printf '\n%s\t%s\t%s\t%s\t%s\t%s' "$label" - "not yet measured" - - -)
done

total=$(($(date +%s) - t_all0))
load1=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo "# bottle benchmarks"
	echo
	echo "$(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')" \
		"$(git diff --quiet HEAD 2>/dev/null || echo '(with local changes)'),"
	echo "binary $BOTTLE, $(nproc) CPUs, load average $load0 at start and $load1 at the end," \
		"$total s in all."
	if awk -v l="${load0%% *}" -v n="$(nproc)" 'BEGIN { exit !(l > n) }'; then
		echo
		echo "**The machine was busy (load above its CPU count) when this started:" \
			"times and ratios are inflated and noisy.**"
	fi
	echo
	printf '%s\n' "$rows" | table
	echo
	printf '%s\n' "$status_rows" | table
	echo
	echo "$missed figure(s) missed their target; $failed script(s) failed."
} >"$OUT/summary.md"
echo
cat "$OUT/summary.md"
echo "(written to build/bench/summary.md; logs in build/bench/)"
[ $total -le 600 ] || echo "bench: WARNING: took $total s, more than the 10 minutes budgeted"
[ $interrupted = 0 ] || exit 130
[ $failed = 0 ] || exit 1
[ "${BENCH_STRICT:-0}" = 0 ] || [ $missed = 0 ] || exit 1
exit 0
