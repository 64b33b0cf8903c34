#!/bin/sh
# dockerd.sh: make sure a docker engine answers; start dockerd when root
# and none runs. Waits up to 60 s for `docker info`.
set -eu
if docker info >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
	echo "dockerd: no docker engine answers and this is not root;" >&2
	echo "  start it with: sudo systemctl start docker (or sudo dockerd &)" >&2
	exit 1
fi
if ! command -v dockerd >/dev/null 2>&1; then
	echo "dockerd: dockerd is not installed (apt-get install docker.io)" >&2
	exit 1
fi
# The log of a dockerd started here goes to /run (only root writes there),
# never to a predictable path in a world-writable /tmp, where another user
# could plant a symlink for root to write through.
log=/run/bottle-dockerd.log
if ! pgrep -x dockerd >/dev/null 2>&1; then
	if [ ! -d /run ] || [ -L /run ]; then
		log=$(mktemp "${TMPDIR:-/tmp}/bottle-dockerd.XXXXXX")
	fi
	echo "dockerd: starting dockerd (log: $log)" >&2
	# dockerd outlives this script: it holds none of its descriptors
	# above 2 (a caller's flock on fd N would otherwise live on in it)
	nohup python3 -c 'import os; os.closerange(3, 1 << 16)
os.execvp("dockerd", ["dockerd"])' >"$log" 2>&1 </dev/null &
fi
i=0
while ! docker info >/dev/null 2>&1; do
	i=$((i + 1))
	if [ $i -ge 600 ]; then
		echo "dockerd: docker engine did not answer within 60 s;" \
			"see $log" >&2
		exit 1
	fi
	sleep 0.1
done
exit 0
