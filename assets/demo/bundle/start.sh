#!/bin/sh
# bottle demo bundle: the PID 1 of bottle-demo-bundle:latest (busybox sh).
#
# For every BOTTLE_<SERVICE>_LISTEN=ADDR:PORT in the environment it starts
#   busybox httpd -f -vv -p ADDR:PORT -h /srv/<service>
# (service = the lower-cased name, "_" -> "-"), serving /health:
#   pipelock  -> a pipelock-shaped JSON document, refreshed every second
#   others    -> {"status":"ok","service":"NAME"}
# It prints one JSON line on stdout per service start and per HTTP request,
# plus one sample pipelock audit line at start, and a resolver on UDP port
# 53 that refuses every query (dnsd.c).
#
# Knobs: BOTTLE_DEMO_KILL_SWITCH=1   pipelock reports kill_switch_active=true
#        BOTTLE_DEMO_FORWARD_PROXY=0 pipelock reports forward_proxy_enabled=false
#        BOTTLE_DEMO_FLOOD=1         print JSON lines as fast as possible, forever
#        BOTTLE_DEMO_EXIT=1          exit 3 at once (a bundle that dies)

BB=/bin/busybox
RUN=/run/bottle
PIDS=""

ts() { $BB date -u +%Y-%m-%dT%H:%M:%SZ; }

# jstr STRING: STRING as the inside of a JSON string (no control characters).
jstr() {
	printf '%s' "$1" | $BB tr -d '\000-\037\177' | $BB sed -e 's/\\/\\\\/g' -e 's/"/\\"/g'
}

# event SERVICE EVENT [EXTRA-JSON-MEMBERS]
event() {
	printf '{"ts":"%s","service":"%s","event":"%s"%s}\n' "$(ts)" "$1" "$2" "${3:+,$3}"
}

if [ "${BOTTLE_DEMO_EXIT:-0}" = 1 ]; then
	event bundle exit '"code":3,"reason":"BOTTLE_DEMO_EXIT=1"'
	exit 3
fi

shutdown() {
	trap '' TERM INT HUP
	event bundle stopping
	for p in $PIDS; do kill -TERM "$p" 2>/dev/null; done
	exit 0
}
trap shutdown TERM INT HUP

START=$($BB date +%s)
KILL_SWITCH=false
[ "${BOTTLE_DEMO_KILL_SWITCH:-0}" = 1 ] && KILL_SWITCH=true
FORWARD_PROXY=true
[ "${BOTTLE_DEMO_FORWARD_PROXY:-1}" = 0 ] && FORWARD_PROXY=false

pipelock_health() {
	printf '{"status":"healthy","version":"0.2.7-demo","mode":"balanced","uptime_seconds":%d,"kill_switch_active":%s,"forward_proxy_enabled":%s,"dlp_patterns":46,"response_scan_enabled":true,"tls_interception_enabled":false}\n' \
		"$(($($BB date +%s) - START))" "$KILL_SWITCH" "$FORWARD_PROXY"
}

# write_file PATH: stdin to PATH, atomically.
write_file() {
	cat >"$1.tmp" && mv -f "$1.tmp" "$1"
}

start_service() { # NAME(upper-case, from the variable) ADDR:PORT
	svc=$(printf '%s' "$1" | $BB tr 'A-Z_' 'a-z-')
	doc=/srv/$svc
	mkdir -p "$doc/cgi-bin" "$RUN"
	if [ "$svc" = pipelock ]; then
		pipelock_health | write_file "$doc/health"
		printf '{"requests":{"total":1,"allowed":0,"blocked":1},"tunnels":0,"top_blocked_domains":[{"domain":"example.invalid","count":1}]}\n' |
			write_file "$doc/stats"
		# The same document with Content-Type: application/json.
		cat >"$doc/cgi-bin/health" <<-EOF
			#!/bin/sh
			printf 'Content-Type: application/json\r\n\r\n'
			exec cat $doc/health
		EOF
		chmod 755 "$doc/cgi-bin/health"
	else
		printf '{"status":"ok","service":"%s"}\n' "$(jstr "$svc")" | write_file "$doc/health"
	fi
	fifo=$RUN/$svc.log
	rm -f "$fifo"
	mkfifo "$fifo"
	$BB awk -v svc="$svc" -f /bottle/httpdlog.awk <"$fifo" &
	PIDS="$PIDS $!"
	$BB httpd -f -vv -p "$2" -h "$doc" 2>"$fifo" &
	PIDS="$PIDS $!"
	event "$(jstr "$svc")" listening "\"addr\":\"$(jstr "$2")\""
}

event bundle start
# the list in a variable, not in a file at a predictable /tmp path
services=$(env | $BB sed -n 's/^BOTTLE_\([A-Z0-9_]*\)_LISTEN=\(.*\)$/\1 \2/p')
while read -r name addr; do
	[ -n "$name" ] && start_service "$name" "$addr"
done <<SERVICES
$services
SERVICES

# The filtering resolver (dnsd.c): every query on UDP port 53 answered
# REFUSED at once. The VMM's gateway forwards the guest's DNS here (--dns
# B); without it smolvm waits 2 s for an answer on every probe run.
if [ -x /bottle/dnsd ]; then
	/bottle/dnsd 0.0.0.0 53 &
	PIDS="$PIDS $!"
fi

# A sample audit line, so that log views have something to show.
printf '{"ts":"%s","service":"pipelock","event":"blocked","url":"https://example.invalid/upload","scanner":"dlp","reason":"GitHub Token","severity":"critical"}\n' "$(ts)"

if [ -d /srv/pipelock ]; then
	(
		trap 'exit 0' TERM
		while :; do
			sleep 1
			pipelock_health | write_file /srv/pipelock/health
		done
	) &
	PIDS="$PIDS $!"
fi

if [ "${BOTTLE_DEMO_FLOOD:-0}" = 1 ]; then
	$BB awk 'BEGIN {
		for (i = 1; ; i++) {
			if (i % 4096 == 1) ts = strftime("%Y-%m-%dT%H:%M:%SZ")
			printf "{\"ts\":\"%s\",\"service\":\"pipelock\",\"event\":\"flood\",\"seq\":%d,\"url\":\"https://example.invalid/item/%d\"}\n", ts, i, i
		}
	}' &
	PIDS="$PIDS $!"
fi

# PID 1 keeps running even when every service died; a trapped signal
# interrupts wait.
sleep 2147483647 &
PIDS="$PIDS $!"
while :; do
	wait
done
