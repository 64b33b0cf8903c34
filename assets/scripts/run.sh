#!/usr/bin/env bash
# run.sh: what `make run` runs. The dashboard on the user's configuration
# when there is one and smolvm is installed; otherwise on the demo
# configuration (two bottles on the smolvm simulator, clearly labelled
# SIMULATED in the dashboard).
set -eu
cd "$(dirname "$0")/../.."
cfg=${XDG_CONFIG_HOME:-$HOME/.config}/bottle/bottles.json
if [ -f "$cfg" ] && { [ -n "${BOTTLE_SMOLVM:-}" ] || command -v smolvm >/dev/null 2>&1; }; then
	exec ./bottle "$@"
fi
if [ -f "$cfg" ]; then
	echo "run: smolvm is not installed: opening the DEMO configuration on the simulator" >&2
else
	echo "run: no configuration at $cfg: opening the DEMO configuration on the simulator" >&2
fi
if [ "$(id -u)" != 0 ]; then
	echo "run: the smolvm simulator enforces the allowlist with netfilter and needs root;" >&2
	echo "     run: sudo make run" >&2
	exit 1
fi
assets/demo/bundle/build.sh
exec ./bottle -c assets/demo/bottles.json "$@"
