#!/usr/bin/env bash
# tests/integration/wall.sh: the host's own view of a bottle's VM, on the
# simulator at 1.9.3 (virtio-net: the VMM's host sockets run under a
# per-VM uid >= 2,000,000):
#   - the second wall: a chain BOTTLE-W-* jumped to from OUTPUT for that
#     uid exists while the bottle runs, bundle-reach is proven by the
#     host (the wall's counter to B moved), and the chain is gone after
#     `down`, after `rm`, and after a kill -9 of `bottle down` once the VM
#     is stopped, followed by `bottle status`;
#   - a hole made on purpose in the simulator's allowlist
#     (SMOLVM_SIM_HOLE) to a container this test runs: the guest's
#     connection to it is caught by the socket watch (UNSAFE, destination
#     named, with BOTTLE_WALL=off) and, with the wall, by its counter
#     (UNSAFE, packets refused; the connection never opens);
#   - the filter table (without counters) is identical before and after.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 247 w1
export SMOLVM_SIM_VERSION=1.9.3

filter_rules() {
	{
		iptables-save -t filter
		ip6tables-save -t filter
	} 2>/dev/null | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//g'
}
BEFORE=$(filter_rules)

# every chain this test's bottles may leave, removed even on failure
wall_cleanup() {
	local fam save restore c
	for fam in 4 6; do
		save=iptables-save restore=iptables-restore
		[ $fam = 6 ] && save=ip6tables-save restore=ip6tables-restore
		for c in $($save -t filter 2>/dev/null | sed -n 's/^:\(BOTTLE-W-[^ ]*\) .*/\1/p'); do
			grep -q "$c" <<<"$WALL_CHAINS" || continue
			{
				echo '*filter'
				$save -t filter | sed -n "s/^-A OUTPUT \(.*-j $c\)\$/-D OUTPUT \1/p"
				echo "-F $c"
				echo "-X $c"
				echo COMMIT
			} | $restore -w 5 --noflush
		done
	done
}
WALL_CHAINS=""
t_defer wall_cleanup

chains() { iptables-save -t filter | grep -c "^:BOTTLE-W-" || true; }
jumps() { iptables -w -S OUTPUT | grep -c -- "-j BOTTLE-W-" || true; }
status_json() { brun status w1 --json; }
host() { jget "d[\"host\"]$1" <<<"$OUT"; }

# --- the wall while the bottle runs -----------------------------------
brun up w1
t_eq "up exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
WALL_CHAINS=$(iptables-save -t filter | sed -n 's/^:\(BOTTLE-W-[^ ]*\) .*/\1/p' | tr '\n' ' ')
status_json
UID_VMM=$(host '["vmm_uid"]')
t_match "the VMM's uid is a per-VM uid (>= 2000000)" '^2[0-9]{6}$' "$UID_VMM"
t_eq "its kind: the VMM's own" vmm "$(host '["vmm_uid_kind"]')"
t_eq "the wall is in place" "in place" "$(host '["wall"]["state"]')"
t_match "iptables -S OUTPUT: a jump for that uid only" \
	"-A OUTPUT -m owner --uid-owner $UID_VMM -j BOTTLE-W-" "$(iptables -w -S OUTPUT)"
B=$(jget 'd["bundle_ip"]' <<<"$OUT")
t_match "the chain lets the uid reach B only" "-d $B/32 -j RETURN" \
	"$(iptables -w -S | grep -- '-A BOTTLE-W-')"
t_match "and IPv6 nothing" "-A BOTTLE-W-.* -j DROP" "$(ip6tables -w -S 2>/dev/null)"
t_eq "bundle-reach is proven by the host" host \
	"$(host '["evidence"]["bundle-reach"]["proof"]')"
t_match "with the wall's counter as the evidence" "new connection.* to $B:" \
	"$(host '["evidence"]["bundle-reach"]["text"]')"
t_eq "status healthy (host-proven)" healthy "$(jget 'd["status"]' <<<"$OUT")"
t_eq "no stray socket" null "$(host '["stray"]')"
brun probe w1 --json
t_eq "probe with the wall in place exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_eq "... proven true" true "$(jget 'd["proven"]' <<<"$OUT")"
t_nomatch "... and says nothing of the guest's word" "guest-reported" "$ERR"

# --- down, then rm: no rule left --------------------------------------
brun down w1
t_eq "down exits 0" 0 "$RC"
t_eq "after down: no BOTTLE-W chain" 0 "$(chains)"
t_eq "after down: no jump in OUTPUT" 0 "$(jumps)"
brun up w1
t_eq "up again" 0 "$RC"
t_eq "a chain again" 1 "$(chains)"
brun rm w1
t_eq "rm exits 0" 0 "$RC"
t_eq "after rm: no BOTTLE-W chain" 0 "$(chains)"

# --- kill -9 of bottle down once the VM is stopped, then status ----------
brun up w1
t_eq "up for the kill -9 case" 0 "$RC"
t_eq "a chain while it runs" 1 "$(chains)"
rm -f "$BOTTLE_STATE_DIR/w1/events.log" # an earlier down's lines
BOTTLE_TEST_STEP_DELAY_MS=400 "$BOTTLE" -c "$CFG" down w1 >/dev/null 2>&1 </dev/null &
DPID=$!
t_defer "kill -9 $DPID 2>/dev/null"
t_check "down reaches bundle-rm (the VM stopped)" \
	t_wait_for 60 grep -q "step down: bundle-rm\$" "$BOTTLE_STATE_DIR/w1/events.log"
kill -9 $DPID 2>/dev/null
wait $DPID 2>/dev/null
brun status w1
t_eq "after kill -9 and status: no BOTTLE-W chain" 0 "$(chains)"
t_eq "after kill -9 and status: no jump" 0 "$(jumps)"
brun rm w1

# --- a hole in the allowlist: caught by the watch and by the wall --------
# the target: a container of this test's own, on docker's default bridge
docker rm -f bottle-w1-target >/dev/null 2>&1
t_defer "docker rm -f bottle-w1-target"
docker run -d --name bottle-w1-target --entrypoint /bin/busybox \
	bottle-demo-bundle:latest httpd -f -p 0.0.0.0:7777 -h / >/dev/null
T=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' bottle-w1-target)
t_match "the target container has an address" '^[0-9.]+$' "$T"

export BOTTLE_WALL=off
SMOLVM_SIM_HOLE=$T/32 brun up w1
t_eq "up with the hole (no wall) exits 0: the probes do not aim at it" 0 "$RC"
status_json
t_eq "BOTTLE_WALL=off: no wall" none "$(host '["wall"]["state"]')"
t_match "and it says the allowlist is the only wall" "only wall" \
	"$(host '["wall"]["text"]')"
# the guest holds a connection to the target open
"$BOTTLE" -c "$CFG" exec w1 -- sh -c "sleep 30 | nc $T 7777" >/dev/null 2>&1 </dev/null &
EPID=$!
t_defer "kill $EPID 2>/dev/null"
caught() {
	status_json
	[ "$(jget 'd["status"]' <<<"$OUT")" = unsafe ]
}
t_check "the watch turns the bottle unsafe within a refresh" t_wait_for 30 caught
t_match "naming the destination" "VMM socket to $T:7777 \\(tcp\\)" "$(host '["stray"]')"
brun status w1
t_match "status text says it" "host watch: UNSAFE: VMM socket to $T:7777" "$OUT"
kill $EPID 2>/dev/null
wait $EPID 2>/dev/null

# now the wall (status installs it for the running VM)
unset BOTTLE_WALL
brun status w1
WALL_CHAINS="$WALL_CHAINS $(iptables-save -t filter | sed -n 's/^:\(BOTTLE-W-[^ ]*\) .*/\1/p' | tr '\n' ' ')"
status_json
t_eq "the wall is put in place by a refresh" "in place" "$(host '["wall"]["state"]')"
t_eq "nothing refused yet" 0 "$(host '["wall"]["refused"]')"
brun exec w1 -- sh -c "echo x | nc -w 3 $T 7777"
status_json
t_match "the wall refused the VMM's dial" '^[1-9][0-9]*$' "$(host '["wall"]["refused"]')"
t_eq "a breach: the VMM's allowlist let it through" true "$(host '["wall"]["breach"]')"
t_eq "status unsafe" unsafe "$(jget 'd["status"]' <<<"$OUT")"
t_eq "and the connection never opened (no stray socket)" null "$(host '["stray"]')"

brun rm w1
t_eq "rm exits 0" 0 "$RC"
docker rm -f bottle-w1-target >/dev/null 2>&1
t_eq "the filter table is as before (no counters)" "$BEFORE" "$(filter_rules)"
t_world_clean_check
