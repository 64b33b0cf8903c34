#!/usr/bin/env bash
# tests/ui/quiet.sh: the dashboard stays quiet while a probe run is slow
# (a regression test: a probe due while one was still running made the
# core's timer fire in a loop): over 3 s of a probe run held up by a
# slow smolvm exec, the dashboard uses well under half a core. And it
# exits when its terminal goes away (tmux killed), instead of running on.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
. "$T_ROOT/tests/ui/lib-tmux.bash"
t_world 235 uiq1
# probe at once and often, so that a run is due while one is in flight
sed -i 's/"probe_interval_s": 3600/"probe_interval_s": 5/' "$CFG"

brun up uiq1
t_eq "uiq1 comes up (CLI)" 0 "$RC"

ui_start 80x24
# every exec (the probes' too) takes 9 s more from now on: a run started
# 0.5 s after the dashboard comes up is still in flight when the next one
# is due (5 s, jittered by 10%)
ui_type "export SMOLVM_SIM_DELAY=exec:9"
ui_keys Enter
ui_dashboard
ui_expect 20 '^ uiq1 ' "the dashboard lists uiq1"
pid=$BOTTLE_UI_PID
t_check "the dashboard's pid is known" test -n "$pid"
hz=$(getconf CLK_TCK)
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
sleep 11 # a probe run (started about 5 s in) is in flight, the next is due
t0=$(ticks "$pid")
sleep 3 # the measurement window
t1=$(ticks "$pid")
cpu=$(((t1 - t0) * 100 / hz / 3))
t_diag "dashboard CPU during a slow probe run: ${cpu}% of one core"
t_check "the dashboard uses under 30% of a core during a slow probe" test "$cpu" -lt 30

ui_tmux kill-server
gone() { ! kill -0 "$pid" 2>/dev/null; }
t_check "the dashboard exits when its terminal goes away" t_wait_for 10 gone
kill -9 "$pid" 2>/dev/null

brun rm uiq1
t_eq "rm exits 0" 0 "$RC"
t_world_clean_check
