#!/bin/sh
# deps.sh LEVEL: make sure what bottle needs is installed.
#   build  compiler, pkg-config and the -dev packages
#   test   build + cmocka, tmux, python3, busybox-static, iptables,
#          iproute2, util-linux, the docker engine
#   run    build + docker engine, busybox-static, iptables (the demo)
# On Debian/Ubuntu as root, missing packages are installed with apt-get
# (non-interactive, after apt-get update). Elsewhere the exact command to
# run is printed and the script fails.
set -eu
level=${1:-build}

missing=""
need_pkg() { # need_pkg PACKAGE CHECK-COMMAND...
	pkg=$1
	shift
	if ! "$@" >/dev/null 2>&1; then missing="$missing $pkg"; fi
}
have() { command -v "$1"; }
pc() { pkg-config --exists "$1"; }

need_pkg gcc have gcc
need_pkg make have make
need_pkg pkg-config have pkg-config
if have pkg-config >/dev/null 2>&1; then
	need_pkg libncurses-dev pc ncursesw
	need_pkg libuv1-dev pc libuv
	need_pkg libcjson-dev pc libcjson
	need_pkg libcurl4-openssl-dev pc libcurl
else
	missing="$missing libncurses-dev libuv1-dev libcjson-dev libcurl4-openssl-dev"
fi
if [ "$level" = test ] || [ "$level" = run ]; then
	need_pkg python3 have python3
	need_pkg busybox-static test -x /bin/busybox
	need_pkg iptables have iptables
	need_pkg iproute2 have ip
	need_pkg util-linux have unshare
	need_pkg docker.io have dockerd
	need_pkg tmux have tmux
	need_pkg procps have ps
fi
if [ "$level" = test ]; then
	need_pkg htop have htop # the idle-CPU benchmark's baseline
	need_pkg jq have jq     # the tests' JSON reads (tests/lib-bottle.sh jget)
	# tests/install/: make deb, completion in bash, zsh and fish, strace
	need_pkg dpkg-dev have dpkg-shlibdeps
	need_pkg bash-completion test -f /usr/share/bash-completion/bash_completion
	need_pkg zsh have zsh
	need_pkg fish have fish
	need_pkg strace have strace
	need_pkg lintian have lintian
fi
if [ "$level" = deb ]; then
	need_pkg dpkg-dev have dpkg-shlibdeps
fi
if [ "$level" = test ]; then
	if have pkg-config >/dev/null 2>&1; then
		need_pkg libcmocka-dev pc cmocka
	else
		missing="$missing libcmocka-dev"
	fi
fi

[ -z "$missing" ] && exit 0

if [ "$(id -u)" = 0 ] && have apt-get >/dev/null 2>&1; then
	echo "deps: installing:$missing" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq >&2
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >&2
	exit 0
fi
echo "deps: missing:$missing" >&2
echo "deps: install them with:" >&2
echo "  sudo apt-get update && sudo apt-get install -y$missing" >&2
exit 1
