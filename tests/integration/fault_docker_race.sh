#!/usr/bin/env bash
# tests/integration/fault_docker_race.sh: docker objects vanish under
# bottle's feet, as they do on a machine where other programs work too.
# The allocate step lists every docker network (`network ls -q`) and then
# inspects them; a network removed in between must not fail the up. A
# docker wrapper (BOTTLE_DOCKER) removes a network of the test's own right
# after listing it, so the race happens every time.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 215 fr1

SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
VICTIM=fault-race-215

WRAP=$W/docker-wrap
cat >"$WRAP" <<'EOF'
#!/bin/bash
# docker, except that `network ls -q` removes $RACE_NET after listing it
if [ "$1 $2 $3" = "network ls -q" ]; then
	docker "$@"
	rc=$?
	docker network rm "$RACE_NET" >/dev/null 2>&1
	exit $rc
fi
exec docker "$@"
EOF
chmod +x "$WRAP"
t_defer "docker network rm $VICTIM"

docker network create "$VICTIM" >/dev/null
BOTTLE_DOCKER=$WRAP RACE_NET=$VICTIM brun up fr1
t_diag "$(tail -1 <<<"$ERR")"
t_eq "a network removed between list and inspect: up still exits 0" 0 "$RC"
t_nomatch "no sanitizer report" "$SAN_RE" "$ERR"
t_eq "the race happened (the network is gone)" "" \
	"$(docker network ls --filter "name=^$VICTIM\$" -q)"
brun rm fr1
t_eq "rm exits 0" 0 "$RC"
t_world_clean_check
