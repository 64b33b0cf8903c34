#!/usr/bin/env bash
# tests/ui/fault_docker.sh: the docker engine goes away under the
# dashboard, while a bottle is up and while `u` starts another, then comes
# back. The dashboard talks to docker through DOCKER_HOST=unix://W/docker.sock,
# a symlink to the real socket that the test removes and restores (nothing
# else on the machine notices; fault_docker_restart.sh stops the real
# dockerd for the CLI).
# While docker is gone: the header says docker does not answer, the up
# bottle is no longer shown healthy (unknown, never a pass it can't see),
# `u` on the other bottle fails with a message instead of hanging, keys
# still work and the dashboard keeps running. Once docker is back: the
# header and the up bottle converge within 5 s, and `u` brings the other
# bottle up. The same for a dashboard started while docker is gone.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 236 ufd1 ufd2
SOCK=$W/docker.sock
ln -s /var/run/docker.sock "$SOCK"
t_defer "rm -f '$SOCK'"

# docker_returns WHO: restore the socket; ufd1 is to show healthy again
# within 5 s
docker_returns() {
	local t0 ms
	ln -s /var/run/docker.sock "$SOCK"
	t0=$(date +%s%N)
	ui_wait 15 '^ ufd1 +✓ healthy'
	ms=$((($(date +%s%N) - t0) / 1000000))
	t_diag "$1 converged ${ms} ms after docker returned"
	t_check "$1 shows ufd1 healthy again within 5 s of docker's return" \
		test "$ms" -le 5000
}

brun up ufd1
t_eq "ufd1 comes up (CLI)" 0 "$RC"

ui_start 100x24
ui_type "export DOCKER_HOST=unix://$SOCK"
ui_keys Enter
ui_dashboard
ui_expect 20 '^ ufd1 +✓ healthy' "the dashboard shows ufd1 healthy"
ui_expect 5 'docker [0-9]' "the header shows docker's version"
pid=$BOTTLE_UI_PID
t_check "the dashboard's pid is known" test -n "$pid"

# ---- docker goes away -------------------------------------------------------
rm -f "$SOCK"
# the next refresh (every 10 s when all is quiet) notices
ui_expect 15 'docker the engine does not answer|docker .*(Cannot connect|unreachable)' \
	"the header says docker does not answer"
ui_expect 5 '^ ufd1 +. unknown' "ufd1 is shown unknown, not healthy"
row=$(printf '%s\n' "$UI_SCREEN" | grep -E '^ ufd1 ')
t_nomatch "ufd1's row claims no health it cannot see" 'healthy' "$row"

ui_keys '?'
ui_expect 5 '^ Everywhere' "keys still work: ? opens the help"
ui_keys '?'
ui_gone 5 '^ Everywhere' "and ? closes it"

# u on ufd2 (the second row) while docker is gone
ui_keys Down u
ui_expect 30 'ufd2: up failed|ufd2.*(docker|Cannot connect|does not answer)' \
	"u on ufd2 fails with a message"
t_check "the dashboard is still running" kill -0 "$pid"
t_eq "nothing of ufd2 was created" "" \
	"$(docker ps -aq --filter name=^bottle-ufd2-bundle\$)$(docker network ls -q --filter name=^bottle-ufd2\$)"

# ---- docker comes back ------------------------------------------------------
docker_returns "the dashboard"
ui_expect 5 'docker [0-9]' "the header shows docker's version again"

ui_keys u
ui_expect 120 '^ ufd2 +✓ healthy' "u now brings ufd2 up"

ui_keys q
ui_expect 10 'EXIT=0' "q quits with status 0"
t_eq "no sanitizer report" "" "$(grep -E 'Sanitizer|runtime error' "$W/ui.err")"

# ---- a dashboard started while docker is gone -------------------------------
rm -f "$SOCK"
ui_keys C-l
ui_dashboard
ui_expect 20 'docker the engine does not answer|docker .*(Cannot connect|unreachable)' \
	"a dashboard started without docker says docker does not answer"
ui_expect 5 '^ ufd1 +. unknown' "and shows ufd1 unknown"
docker_returns "a dashboard started without docker"
ui_keys q
ui_expect 10 'EXIT=0' "q quits with status 0"
t_eq "no sanitizer report" "" "$(grep -E 'Sanitizer|runtime error' "$W/ui.err")"

brun rm ufd1 ufd2
t_eq "rm exits 0" 0 "$RC"
t_world_clean_check
