#!/usr/bin/env bash
# tests/integration/start_checks.sh: what the CLI runs before it acts,
# with a fake docker and a fake smolvm (no engine, no simulator needed).
#  - Verbs that never show docker's version (up, down, rm, probe) take the
#    first refresh's `docker ps` as docker's check and run no `docker
#    version`, but when docker is missing or does not answer they say what
#    to do (install it, start it), as `docker version`'s check does; only
#    a failure the refresh can't name runs `docker version` for its
#    diagnosis. A hung docker costs one timeout, not two.
#  - exec, shell and logs never run `docker version`; ls still does.
#  - `up` of a bottle without a subnet fetches docker's subnets (network
#    ls -q) while the first refresh runs, not after it.
. "$(dirname "$0")/../lib.sh"
B=${BOTTLE:-$T_ROOT/build/asan/bottle}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}

t_tmpdir D
export BOTTLE_STATE_DIR=$D/state FAKE_DOCKER_LOG=$D/docker.log
export BOTTLE_SMOLVM=$D/smolvm BOTTLE_DOCKER=$D/docker
cat >"$D/smolvm" <<'EOF'
#!/bin/sh
case "$1" in
--version) echo "smolvm 0.8.0" ;;
machine) echo "[]" ;;
*) echo "Error: the fake smolvm has no $1" >&2; exit 1 ;;
esac
EOF
# the fake docker logs when each command starts and ends; its docker ps
# (the first refresh) takes a second, so what runs meanwhile shows
cat >"$D/docker" <<'EOF'
#!/bin/sh
echo "start $*" >>"$FAKE_DOCKER_LOG"
rc=0
case "$1 $2" in
"ps -a") sleep 1 ;;
"network ls") ;;
"version --format")
	echo '{"Client":{"Version":"28.2.2"},"Server":{"Version":"20.10.24"}}' ;;
*) echo "Error response from daemon: the fake docker refuses $1" >&2; rc=1 ;;
esac
echo "end $*" >>"$FAKE_DOCKER_LOG"
exit $rc
EOF
cat >"$D/unreachable" <<'EOF'
#!/bin/sh
echo "start $*" >>"$FAKE_DOCKER_LOG"
echo "Cannot connect to the Docker daemon at unix:///nowhere.sock. Is the docker daemon running?" >&2
exit 1
EOF
# hangs (until bottle's timeout kills it)
cat >"$D/hung" <<'EOF'
#!/bin/sh
echo "start $*" >>"$FAKE_DOCKER_LOG"
exec sleep 30
EOF
# fails in a way bottle can't name, except `docker version`, which answers
cat >"$D/odd" <<'EOF'
#!/bin/sh
echo "start $*" >>"$FAKE_DOCKER_LOG"
[ "$1" = version ] &&
	echo '{"Client":{"Version":"28.2.2"},"Server":{"Version":"20.10.24"}}' && exit 0
echo "Error: something odd" >&2
exit 1
EOF
chmod +x "$D/smolvm" "$D/docker" "$D/unreachable" "$D/hung" "$D/odd"
cat >"$D/bottles.json" <<'EOF'
{
  "defaults": {
    "vmm": "smolvm",
    "subnet_pool": "10.213.250.0/24",
    "vm": {"image": "alpine"},
    "bundle": {"image": "bottle-demo-bundle:latest"}
  },
  "bottles": {"sc1": {}}
}
EOF
b() { "$B" -c "$D/bottles.json" "$@"; }

# up: no docker version, the subnets fetched during the first refresh
: >"$FAKE_DOCKER_LOG"
err=$(b up sc1 2>&1 >/dev/null)
t_eq "up exits 1 (the fake docker refuses network create)" 1 $?
t_match "up got as far as network create" "docker network create: exit 1" "$err"
log=$(cat "$FAKE_DOCKER_LOG")
t_nomatch "up runs no docker version when docker ps answers" "^start version" "$log"
first_ls=$(grep -n '^start network ls -q' "$FAKE_DOCKER_LOG" | head -1 | cut -d: -f1)
ps_end=$(grep -n '^end ps ' "$FAKE_DOCKER_LOG" | head -1 | cut -d: -f1)
before() { [ -n "$1" ] && [ -n "$2" ] && [ "$1" -lt "$2" ]; }
t_check "up fetches docker's subnets while the first refresh runs" \
	before "$first_ls" "$ps_end"

# with the subnet kept (a failed up keeps nothing here: it was rolled
# back), give it one: an allocated bottle fetches nothing
cat >"$BOTTLE_STATE_DIR/state.json" <<'EOF'
{"version": 1, "bottles": {"sc1": {"subnet": "10.213.250.16/28", "bundle_ip": "10.213.250.18", "step": "allocated"}}}
EOF
: >"$FAKE_DOCKER_LOG"
b up sc1 >/dev/null 2>&1
t_eq "up of an allocated bottle fetches no subnets" 0 \
	"$(grep -c '^start network ls -q' "$FAKE_DOCKER_LOG")"

: >"$FAKE_DOCKER_LOG"
b down sc1 >/dev/null 2>&1
t_nomatch "down runs no docker version" "^start version" "$(cat "$FAKE_DOCKER_LOG")"
t_eq "down fetches no subnets" 0 "$(grep -c '^start network ls -q' "$FAKE_DOCKER_LOG")"

: >"$FAKE_DOCKER_LOG"
out=$(b ls --json 2>/dev/null)
t_match "ls still runs docker version" "^start version" "$(cat "$FAKE_DOCKER_LOG")"
t_match "and shows the engine's version" '"20\.10\.24"' "$out"

# docker missing, not answering, hung: the advice, without docker version
for verb in up down probe; do
	err=$(BOTTLE_DOCKER=$D/nonexistent b $verb sc1 2>&1 >/dev/null)
	t_eq "$verb with docker missing exits 1" 1 $?
	t_match "$verb with docker missing says how to install it" \
		"docker: $D/nonexistent not found; install docker \(Debian: apt-get install docker\.io\)" "$err"
	: >"$FAKE_DOCKER_LOG"
	err=$(BOTTLE_DOCKER=$D/unreachable b $verb sc1 2>&1 >/dev/null)
	t_eq "$verb with docker not answering exits 1" 1 $?
	t_match "$verb with docker not answering says how to start it" \
		"the engine does not answer \(start it: sudo systemctl start docker\).*Cannot connect" "$err"
	t_nomatch "$verb with docker not answering runs no docker version" \
		"^start version" "$(cat "$FAKE_DOCKER_LOG")"
done

: >"$FAKE_DOCKER_LOG"
err=$(BOTTLE_DOCKER=$D/hung BOTTLE_TEST_DOCKER_TIMEOUT_MS=1000 b up sc1 2>&1 >/dev/null)
t_eq "up with a hung docker exits 1" 1 $?
t_match "and says docker does not answer, after its timeout" \
	"the engine does not answer \(start it: sudo systemctl start docker\).*(did not finish|timed out)" "$err"
t_nomatch "and does not wait a second timeout for docker version" \
	"^start version" "$(cat "$FAKE_DOCKER_LOG")"

: >"$FAKE_DOCKER_LOG"
BOTTLE_DOCKER=$D/odd b down sc1 >/dev/null 2>&1
t_match "a failure the refresh can't name: down asks docker version" \
	"^start version" "$(cat "$FAKE_DOCKER_LOG")"

for cmd in "exec sc1 -- true" "logs sc1"; do
	: >"$FAKE_DOCKER_LOG"
	BOTTLE_DOCKER=$D/odd timeout 20 "$B" -c "$D/bottles.json" $cmd >/dev/null 2>&1
	t_nomatch "${cmd%% *} runs no docker version, even when docker fails" \
		"^start version" "$(cat "$FAKE_DOCKER_LOG")"
done
