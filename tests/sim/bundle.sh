#!/usr/bin/env bash
# tests/sim/bundle.sh: the demo bundle image (assets/demo/bundle/build.sh):
# idempotent build, the BOTTLE_<SERVICE>_LISTEN bind knob, pipelock-shaped
# /health and its knobs, JSON-line logs, a dying bundle, quick docker stop,
# the log flood. Traffic goes only to containers this test creates.
. "$(dirname "$0")/../lib.sh"
t_need_root

if ! docker info >/dev/null 2>&1; then
	t_skip "$(basename "$0")" "docker not reachable"
	exit 0
fi
t_tmpdir TMP
BUILD=$T_ROOT/assets/demo/bundle/build.sh
BEFORE=$(t_snapshot)

OUT=$("$BUILD" 2>&1)
t_eq "build.sh exits 0" 0 "$?"
t_match "build.sh builds or finds the image" "^(built bottle-demo-bundle:latest|bottle-demo-bundle:latest is up to date)" "$OUT"
OUT=$("$BUILD" 2>&1)
t_eq "second build.sh: up to date, nothing rebuilt" "bottle-demo-bundle:latest is up to date" "$OUT"
id1=$(docker image inspect -f '{{.Id}}' bottle-demo-bundle:latest)
id2=$(docker image inspect -f '{{.Id}}' bottle-demo-vm:latest)
t_eq "bottle-demo-vm:latest is the same image" "$id1" "$id2"
t_match "image carries the input hash label" '^[0-9a-f]{64}$' \
	"$(docker image inspect -f '{{index .Config.Labels "dev.bottle.demo-hash"}}' bottle-demo-bundle:latest)"
t_eq "image CMD is the start script" '["/bottle/start.sh"]' \
	"$(docker image inspect -f '{{json .Config.Cmd}}' bottle-demo-bundle:latest)"

# A changed input must rebuild: a busybox with one more byte, and a docker
# stand-in that records the import instead of replacing the shared image.
cp /bin/busybox "$TMP/busybox"
printf '\n' >>"$TMP/busybox"
cat >"$TMP/docker" <<EOF
#!/bin/sh
echo "\$*" >>"$TMP/docker.calls"
case "\$1" in
import) cat >/dev/null; exit 0 ;;
tag | rmi) exit 0 ;;
esac
exec docker "\$@"
EOF
chmod +x "$TMP/docker"
OUT=$(DOCKER=$TMP/docker BOTTLE_DEMO_BUSYBOX=$TMP/busybox "$BUILD" 2>&1)
t_check "changed input: build.sh rebuilds (docker import)" grep -q '^import ' "$TMP/docker.calls"
t_match "changed input: the new hash goes into the label" "LABEL dev.bottle.demo-hash=[0-9a-f]{64}" "$(grep '^import ' "$TMP/docker.calls")"
t_nomatch "changed input: label differs from the current image's" \
	"$(docker image inspect -f '{{index .Config.Labels "dev.bottle.demo-hash"}}' bottle-demo-bundle:latest)" \
	"$(grep '^import ' "$TMP/docker.calls")"

NET=simtest-bnet-$$
C=$NET-bundle
t_defer "docker network rm $NET"
OURS=$NET
t_defer "docker rm -f $C $C-ks $C-exit $C-flood"
PFX=""
for third in 250 251 252 253 254; do
	if docker network create --subnet "10.213.$third.16/28" "$NET" >/dev/null 2>&1; then
		PFX=10.213.$third
		break
	fi
done
if [ -z "$PFX" ]; then
	t_fail "a docker network 10.213.25x.16/28 can be created"
	exit 1
fi
IP=$PFX.18
IP2=$PFX.19
OURS="$OURS|br-$(docker network inspect -f '{{.Id}}' "$NET" | cut -c1-12)"
docker run -d --name "$C" --network "$NET" --ip $IP \
	-e BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888 \
	-e BOTTLE_EGRESS_LISTEN=127.0.0.1:9099 \
	-e BOTTLE_GIT_GATE_LISTEN=0.0.0.0:9418 \
	bottle-demo-bundle:latest >/dev/null
t_wait_for 10 curl -fs --max-time 1 -o /dev/null "http://$IP:8888/health"

curl -si --max-time 2 "http://$IP:8888/health" >"$TMP/h"
t_match "pipelock /health: 200" "^HTTP/1.[01] 200" "$(head -1 "$TMP/h")"
body=$(tail -1 "$TMP/h")
fields=$(printf '%s' "$body" | python3 -c 'import json,sys; print(" ".join(sorted(json.load(sys.stdin))))')
t_eq "pipelock /health: pipelock's fields" \
	"dlp_patterns forward_proxy_enabled kill_switch_active mode response_scan_enabled status tls_interception_enabled uptime_seconds version" "$fields"
t_eq "kill switch off, forward proxy on by default" "False True" \
	"$(printf '%s' "$body" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kill_switch_active"], d["forward_proxy_enabled"])')"
up() { curl -s --max-time 1 "http://$IP:8888/health" | python3 -c 'import json,sys; print(json.load(sys.stdin)["uptime_seconds"])'; }
u1=$(up)
sleep 2.1
t_check "uptime_seconds advances" test "$(up)" -gt "$u1"
t_match "/cgi-bin/health: Content-Type application/json" "Content-Type: application/json" \
	"$(curl -si --max-time 2 "http://$IP:8888/cgi-bin/health" | tr -d '\r')"
t_eq "git-gate /health on 0.0.0.0:9418" '{"status":"ok","service":"git-gate"}' \
	"$(curl -s --max-time 2 "http://$IP:9418/health")"
curl -s --max-time 2 -o /dev/null "http://$IP:9099/health"
t_eq "egress bound to 127.0.0.1: refused at the bundle IP (curl exit 7)" 7 "$?"
t_eq "egress answers on the bundle's own loopback" '{"status":"ok","service":"egress"}' \
	"$(docker exec "$C" wget -qO- http://127.0.0.1:9099/health)"

docker logs "$C" >"$TMP/log" 2>&1
t_eq "every log line is JSON" "ok" "$(python3 -c '
import json, sys
bad = [l for l in open(sys.argv[1]) if l.strip() and not isinstance(json.loads(l), dict)]
print("ok" if not bad else bad)' "$TMP/log" 2>&1)"
events=$(python3 -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    if d["event"] == "listening":
        print("listening", d["service"], d["addr"])
    elif d["event"] == "blocked":
        print("blocked", d["scanner"], d["severity"])
    elif d["event"] == "request" and d.get("path") == "/health":
        print("request", d["service"], d.get("status"))
' "$TMP/log" | sort -u)
t_match "log: pipelock listening on 0.0.0.0:8888" "listening pipelock 0.0.0.0:8888" "$events"
t_match "log: egress listening on 127.0.0.1:9099" "listening egress 127.0.0.1:9099" "$events"
t_match "log: git-gate listening" "listening git-gate 0.0.0.0:9418" "$events"
t_match "log: the sample pipelock audit line" "blocked dlp critical" "$events"
t_match "log: one line per request served" "request pipelock 200" "$events"
t_match "log lines carry a timestamp" '^\{"ts":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "$(head -1 "$TMP/log")"

t0=$(date +%s%N)
docker stop "$C" >/dev/null
ms=$((($(date +%s%N) - t0) / 1000000))
t_check "docker stop is quick: PID 1 handles SIGTERM (${ms} ms)" test "$ms" -lt 3000
t_eq "stopped bundle exit code 0" 0 "$(docker inspect -f '{{.State.ExitCode}}' "$C")"

docker run -d --name "$C-ks" --network "$NET" --ip $IP2 \
	-e BOTTLE_PIPELOCK_LISTEN=0.0.0.0:8888 -e BOTTLE_DEMO_KILL_SWITCH=1 \
	-e BOTTLE_DEMO_FORWARD_PROXY=0 bottle-demo-bundle:latest >/dev/null
t_wait_for 10 curl -fs --max-time 1 -o /dev/null "http://$IP2:8888/health"
t_eq "BOTTLE_DEMO_KILL_SWITCH=1 / FORWARD_PROXY=0 flip the fields (still 200)" "True False" \
	"$(curl -fs --max-time 2 "http://$IP2:8888/health" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["kill_switch_active"], d["forward_proxy_enabled"])')"

docker run -d --name "$C-exit" -e BOTTLE_DEMO_EXIT=1 --network none bottle-demo-bundle:latest >/dev/null
t_eq "BOTTLE_DEMO_EXIT=1: the bundle dies with 3" 3 "$(timeout 10 docker wait "$C-exit")"

docker run -d --name "$C-flood" -e BOTTLE_DEMO_FLOOD=1 --network none bottle-demo-bundle:latest >/dev/null
sleep 1
docker stop -t 5 "$C-flood" >/dev/null
docker logs "$C-flood" 2>&1 | head -200000 >"$TMP/flood"
n=$(wc -l <"$TMP/flood" | tr -d ' ')
t_check "BOTTLE_DEMO_FLOOD=1 floods (${n} lines in about 1 s)" test "$n" -gt 20000
t_eq "flood lines are JSON" "ok" "$(tail -1000 "$TMP/flood" | head -999 | python3 -c '
import json, sys
for l in sys.stdin:
    json.loads(l)
print("ok")' 2>&1 | tail -1)"

t_cleanup
t_eq "nothing left behind: docker objects, netfilter rules" "" \
	"$(diff <(printf '%s\n' "$BEFORE") <(t_snapshot) | grep '^>' | grep -E "$OURS" || true)"
