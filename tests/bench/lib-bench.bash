# tests/bench/lib-bench.bash: helpers shared by the benchmark scripts
# (sourced, never run; not named *.sh, so tests/bench/run.sh skips it).
#
# Output contract (read by run.sh): each figure on a line of its own,
#   BENCH NAME VALUE UNIT
# and, optionally, the acceptance figure it is held to,
#   BENCH_TARGET NAME OP VALUE        (OP: <= >= < > ==)
# with any human text around them.
#
#   bench_world TAG NAME...
#       needs root and docker; builds the demo images; makes a private
#       state dir, simulator home and config dir under /tmp; every exit
#       path (end, failure, SIGINT/SIGTERM from run.sh's timeout) reaps
#       the simulator machines of that home, removes the docker objects
#       of bottles NAME... (and of BENCH_CONTAINERS / BENCH_NETWORKS) and
#       the directory. Sets BW (the directory) and CFG (its config).
#   bench_config FILE NAME...    a config with bottles NAME..., subnet pool
#       $BENCH_POOL, vmm $BENCH_VMM (default sim), probes every hour, no
#       resolver probe. Each script sets BENCH_POOL to its own part of
#       10.214.0.0/16 (the tests use 10.213.0.0/16), so that leftovers of
#       one never collide with another: up_overhead 10.214.0.0/24,
#       up_parallel 10.214.16.0/22, ui_idle 10.214.30.0/24, ui_flood
#       10.214.31.0/24, refresh_subprocs 10.214.32.0/22, log_flood
#       10.214.36.0/24, probe_parallel 10.214.48.0/22; new scripts take a
#       free range and add it here.
#   bottle ARGS...               $BOTTLE -c $CFG ARGS...
#   bench_raw_register NAME...   has the cleanup remove bench_raw_up's objects
#   bench_raw_up NAME NET [bundle]  the baseline: `up` of one bottle by a
#       plain shell script (docker network NAME on NET/28, bundle
#       NAME-bundle, simulator machine NAME; with "bundle", only docker's
#       part: up to docker run); each step's ms in $BW/NAME/steps
#   bench_raw_down NAME          its teardown
#   bench_raw_err NAME           the last lines of its error output
#   bench_now_ms                 wall clock in milliseconds
#   bench_cpu                    sets CPU_MS: CPU ms (user + system) of
#       this shell's waited-for children so far, the commands it ran and
#       their children (not daemons: dockerd, the simulator's VM
#       supervisors). Not in $(...): a subshell has children of its own.
#   bench_machine_cpu            sets MACH_BUSY_MS and MACH_ALL_MS: the whole
#       machine's CPU time so far, busy and in all (every CPU, /proc/stat);
#       differences over a run show how saturated the machine was
#   bench_errors FILE            bottle's stderr in FILE without its
#       progress lines (the last 5 others)
#   bench_up_steps EVENTS_LOG    each step's milliseconds in the last `up`
#   bench_median N...            the median (the lower middle for even N)
#   bench_ratio A B              A / B with two decimals
#   bench_figure NAME VALUE UNIT / bench_target NAME OP VALUE
#   bench_die MESSAGE            says why on stderr and exits 1

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SMOLVM_SIM=$BENCH_ROOT/assets/demo/smolvm
# The plain-script baselines speak smolvm 0.8.0's argv (positional names),
# and the figures compare with earlier runs at 0.8.0: pin it here (the
# simulator itself defaults to 1.9.3).
export SMOLVM_SIM_VERSION=${SMOLVM_SIM_VERSION:-0.8.0}
# The optimized build; before it builds, the sanitizer build will do. Only
# from the build tree (or an explicit $BOTTLE): never a binary from a
# world-writable directory such as /tmp, which the benchmarks run as root.
if [ -z "${BOTTLE:-}" ]; then
	for BOTTLE in "$BENCH_ROOT/bottle" "$BENCH_ROOT/build/asan/bottle"; do
		[ -x "$BOTTLE" ] && break
	done
fi
export BOTTLE
# bench_binary_ok PATH: PATH (symlinks resolved) lies in no world-writable
# directory, nor under /tmp, /var/tmp or /dev/shm
bench_binary_ok() {
	local p d
	p=$(readlink -f -- "$1" 2>/dev/null) || return 1
	case "$p" in /tmp/* | /var/tmp/* | /dev/shm/*) return 1 ;; esac
	d=$(dirname -- "$p")
	while [ -n "$d" ]; do
		[ -n "$(find "$d" -maxdepth 0 -perm -0002 ! -perm -1000 2>/dev/null)" ] &&
			return 1
		[ "$d" = / ] && break
		d=$(dirname -- "$d")
	done
	return 0
}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
BENCH_POOL=${BENCH_POOL:-10.214.0.0/16}
BENCH_VMM=${BENCH_VMM:-sim}
BENCH_NAMES=()
BENCH_CONTAINERS=()
BENCH_NETWORKS=()
BW=
CFG=

bench_die() {
	echo "bench: $*" >&2
	exit 1
}

if ! bench_binary_ok "$BOTTLE"; then
	bench_die "BOTTLE=$BOTTLE: not run (a benchmark runs bottle only from the build tree, never from /tmp or a world-writable directory; make all)"
fi

bench_figure() { echo "BENCH $1 $2 $3"; }
bench_target() { echo "BENCH_TARGET $1 $2 $3"; }

bench_now_ms() {
	local t=${EPOCHREALTIME/[.,]/}
	echo $((t / 1000))
}

bench_cpu() {
	times >"$BW/.times"
	CPU_MS=$(awk 'NR == 2 {
		split($1, u, /[ms]/); split($2, s, /[ms]/)
		printf "%d\n", (u[1] * 60 + u[2] + s[1] * 60 + s[2]) * 1000
	}' "$BW/.times")
}

bench_machine_cpu() {
	local line
	read -r line </proc/stat
	# cpu user nice system idle iowait irq softirq steal ... (USER_HZ = 100)
	set -- $line
	MACH_BUSY_MS=$((($2 + $3 + $4 + $7 + $8 + $9) * 10))
	MACH_ALL_MS=$((MACH_BUSY_MS + ($5 + $6) * 10))
}

bench_errors() {
	grep -Ev '^bottle: [a-z0-9-]+: (up|down|rm): [a-z-]+$' "$1" | tail -5
}

bench_median() {
	printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

bench_ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f\n", a / b; else print "inf" }'
}

bottle() {
	"$BOTTLE" -c "$CFG" "$@"
}

# bench_docker_clean: remove the docker objects of this benchmark, in
# one docker command per kind whatever their number.
bench_docker_clean() {
	local n want=() c
	for n in "${BENCH_NAMES[@]}"; do
		want+=("bottle-$n-bundle" "bottle-$n")
	done
	want+=("${BENCH_CONTAINERS[@]}" "${BENCH_NETWORKS[@]}")
	[ ${#want[@]} -gt 0 ] || return 0
	c=$(docker ps -a --format '{{.Names}}' | grep -Fx -f <(printf '%s\n' "${want[@]}"))
	[ -z "$c" ] || docker rm -f $c >/dev/null
	c=$(docker network ls --format '{{.Name}}' | grep -Fx -f <(printf '%s\n' "${want[@]}"))
	[ -z "$c" ] || docker network rm $c >/dev/null
	c=$({ docker ps -a --format '{{.Names}}' && docker network ls --format '{{.Name}}'; } |
		grep -Fx -f <(printf '%s\n' "${want[@]}"))
	[ -z "$c" ] || echo "bench: cleanup left docker objects behind:" $c >&2
	return 0
}

bench_cleanup() {
	local i
	trap '' INT TERM
	[ -n "$BW" ] || return 0
	"$SMOLVM_SIM" _sim-reap >/dev/null 2>&1
	# docker may be restarting under us (a fault test running at the
	# same time): give it a minute before cleaning
	for ((i = 0; i < 60; i++)); do
		docker info >/dev/null 2>&1 && break
		sleep 1
	done
	bench_docker_clean
	rm -rf "$BW"
	BW=
}

bench_world() {
	local tag=$1
	shift
	[ "$(id -u)" = 0 ] || bench_die "needs root (the smolvm simulator does)"
	[ -x "$BOTTLE" ] || bench_die "no bottle binary (make bottle)"
	docker info >/dev/null 2>&1 || bench_die "docker engine does not answer (make docker)"
	"$BENCH_ROOT/assets/demo/bundle/build.sh" >/dev/null 2>&1 ||
		bench_die "demo images do not build (assets/demo/bundle/build.sh)"
	BENCH_NAMES=("$@")
	BW=$(mktemp -d "/tmp/bottle-bench-$tag.XXXXXX")
	trap bench_cleanup EXIT
	trap 'exit 143' TERM
	trap 'exit 130' INT
	export BOTTLE_STATE_DIR=$BW/state
	export SMOLVM_SIM_HOME=$BW/sim
	export XDG_CONFIG_HOME=$BW/config
	CFG=$BW/bottles.json
	bench_config "$CFG" "$@"
	echo "bottle: $BOTTLE; world: $BW; pool: $BENCH_POOL"
}

bench_config() {
	local file=$1 n first=1
	shift
	{
		cat <<EOF
{
  "defaults": {
    "vmm": "$BENCH_VMM",
    "subnet_pool": "$BENCH_POOL",
    "subnet_prefix": 28,
    "probe_interval_s": 3600,
    "vm": {
      "image": "bottle-demo-vm:latest",
      "cmd": ["/bin/sh", "-c", "echo agent ready; while :; do sleep 3600; done"],
      "cpus": 1, "memory": 256
    },
    "bundle": {"image": "bottle-demo-bundle:latest"},
    "probes": {"resolver": null, "timeout_s": 5}
  },
  "bottles": {
EOF
		for n in "$@"; do
			[ $first = 1 ] || echo ","
			first=0
			printf '    "%s": {}' "$n"
		done
		printf '\n  }\n}\n'
	} >"$file"
}

# bench_names PREFIX COUNT: PREFIX01 ... (three digits from 100 on)
bench_names() {
	local w=2 i
	[ "$2" -lt 100 ] || w=3
	for ((i = 1; i <= $2; i++)); do printf "%s%0${w}d\n" "$1" "$i"; done
}

# bench_up_steps EVENTS_LOG: "STEP MS" for each step of the last `up`
# in a bottle's events.log, then "core MS" (from "up: start" to "up done"),
# "at-start MS" and "at-done MS" (Unix milliseconds), "execs N" (the
# smolvm execs it ran).
bench_up_steps() {
	python3 - "$1" <<'PY'
import sys, datetime
def ms(line):
    t = datetime.datetime.strptime(line[:23] + "+0000", "%Y-%m-%dT%H:%M:%S.%f%z")
    return t.timestamp() * 1000
lines = open(sys.argv[1], encoding="utf-8", errors="replace").read().splitlines()
start = max(i for i, l in enumerate(lines) if l[25:].startswith("up: start"))
steps, t0, prev, execs = [], None, None, 0
for l in lines[start:]:
    msg = l[25:]
    if msg.startswith("command: ") and " machine exec " in msg:
        execs += 1
    if msg.startswith("up: start"):
        t0 = ms(l)
    elif msg.startswith("step up: ") or msg.startswith("up done"):
        if prev is not None:
            steps.append((prev[0], ms(l) - prev[1]))
        prev = (msg[9:], ms(l))
        if msg.startswith("up done"):
            for s, d in steps:
                print(s, int(round(d)))
            print("core", int(round(ms(l) - t0)))
            print("at-start", int(round(t0)))
            print("at-done", int(round(ms(l))))
            print("execs", execs)
            break
PY
}

bench_raw_register() {
	local n
	for n in "$@"; do
		BENCH_CONTAINERS+=("$n-bundle")
		BENCH_NETWORKS+=("$n")
	done
}

# bench_raw_up NAME NET [bundle]: what a careful shell script does to bring one
# bottle up, with the same docker and simulator commands as `bottle up`:
# network create, docker run with the bind knob and the pinned IP, curl in
# a loop (every 0.1 s) until every service's /health answers, the
# Smolfile, machine create and start, and the four probe execs (in
# parallel, as bottle runs them). NET is the /28's first address; the
# gateway is NET+1, the bundle NET+2 (in the last octet).
bench_raw_up() {
	local name=$1 net=$2 last=${3:-} t s x
	local ip=${net%.*}.$((${net##*.} + 2)) gw=${net%.*}.$((${net##*.} + 1))
	local dir=$BW/$name
	mkdir -p "$dir"
	: >"$dir/steps"
	t=$(bench_now_ms)
	step() {
		local now
		now=$(bench_now_ms)
		echo "$1 $((now - t))" >>"$dir/steps"
		t=$now
	}
	docker network create --driver bridge --subnet "$net/28" --gateway "$gw" \
		--label dev.bottle.bench=1 --label "dev.bottle.bench-name=$name" "$name" \
		>/dev/null 2>>"$dir/err" || return 1
	step network
	docker run -d --name "$name-bundle" --network "$name" --ip "$ip" \
		--label dev.bottle.bench=1 --label "dev.bottle.bench-name=$name" --restart no \
		-e BOTTLE_EGRESS_LISTEN=127.0.0.1:9099 -e BOTTLE_GIT_GATE_LISTEN=0.0.0.0:9418 \
		-e BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888 -e BOTTLE_SUPERVISE_LISTEN=0.0.0.0:7070 \
		bottle-demo-bundle:latest >/dev/null 2>>"$dir/err" || return 1
	step bundle
	[ "$last" != bundle ] || return 0
	for ((s = 0; s < 300; s++)); do
		curl -fsS -m 3 -o /dev/null "http://$ip:8888/health" 2>/dev/null &&
			curl -fsS -m 3 -o /dev/null "http://$ip:9418/health" 2>/dev/null &&
			curl -fsS -m 3 -o /dev/null "http://$ip:7070/health" 2>/dev/null && break
		sleep 0.1
	done
	if [ "$s" -ge 300 ]; then
		echo "bundle health: no answer in 30 s" >>"$dir/err"
		return 1
	fi
	step bundle-health
	cat >"$dir/Smolfile" <<EOF
image = "bottle-demo-vm:latest"
cmd = ["/bin/sh", "-c", "echo agent ready; while :; do sleep 3600; done"]
env = ["HTTPS_PROXY=http://$ip:8888", "HTTP_PROXY=http://$ip:8888", "http_proxy=http://$ip:8888", "https_proxy=http://$ip:8888"]
cpus = 1
memory = 256
volumes = ["$BENCH_ROOT/build/helper:/opt/bottle:ro"]

[network]
allow_cidrs = ["$ip/32"]
EOF
	step smolfile
	"$SMOLVM_SIM" machine create "$name" -s "$dir/Smolfile" >/dev/null 2>>"$dir/err" || return 1
	step vm-create
	"$SMOLVM_SIM" machine start --name "$name" >/dev/null 2>>"$dir/err" || return 1
	step vm-start
	x="$SMOLVM_SIM machine exec --name $name --timeout 5s --"
	$x sh -c 'exit 42' >/dev/null 2>&1 &
	$x /opt/bottle/bottle-probe connect "$ip" 8888 3000 >/dev/null 2>&1 &
	$x /opt/bottle/bottle-probe connect "$ip" 9099 3000 >/dev/null 2>&1 &
	$x /opt/bottle/bottle-probe connect 127.0.0.1 9 3000 >/dev/null 2>&1 &
	wait
	step probe
}

bench_raw_down() {
	"$SMOLVM_SIM" machine stop --name "$1" >/dev/null 2>&1
	"$SMOLVM_SIM" machine delete "$1" -f >/dev/null 2>&1
	docker rm -f "$1-bundle" >/dev/null 2>&1
	docker network rm "$1" >/dev/null 2>&1
	return 0
}

bench_raw_err() {
	tail -3 "$BW/$1/err" 2>/dev/null
}
