#!/bin/sh
# Build the demo bundle image bottle-demo-bundle:latest (also tagged
# bottle-demo-vm:latest, the VM image of the demo configuration) with
# `docker import` from Debian's busybox-static: no registry is needed.
#
# Idempotent: the image carries LABEL dev.bottle.demo-hash=<sha256 of the
# inputs> (busybox, every file in this directory but a shipped dnsd, which
# is dnsd.c built); when that matches, nothing
# is rebuilt.
#
# Environment: BOTTLE_DEMO_BUSYBOX  static busybox to use (default /bin/busybox)
#              DOCKER               docker client (default docker)
#              CC                   builds the resolver dnsd.c (default cc)
set -eu

here=$(cd "$(dirname "$0")" && pwd)
busybox=${BOTTLE_DEMO_BUSYBOX:-/bin/busybox}
docker=${DOCKER:-docker}
image=bottle-demo-bundle:latest
vm_image=bottle-demo-vm:latest

die() {
	echo "build.sh: $*" >&2
	exit 1
}

[ -x "$busybox" ] || die "$busybox not found (install busybox-static)"
if ! "$busybox" --list | grep -qx httpd; then
	die "$busybox has no httpd applet"
fi
if file_type=$(LC_ALL=C file -b "$busybox" 2>/dev/null); then
	case $file_type in
	*dynamically*) die "$busybox is dynamically linked (install busybox-static)" ;;
	esac
fi

# One build at a time on this host (tests run in parallel): lock this script.
exec 9<"$here/build.sh"
flock 9

# Where the resolver comes from (part of the hash: an image built without
# one is rebuilt once a compiler or a shipped dnsd appears).
if [ -f "$here/dnsd" ]; then
	dnsd_from=shipped
elif command -v "${CC:-cc}" >/dev/null 2>&1; then
	dnsd_from=cc
else
	dnsd_from=none
fi

hash=$(
	{
		echo "dnsd: $dnsd_from"
		sha256sum <"$busybox"
		cd "$here" && find . -type f ! -name '*~' ! -name dnsd | LC_ALL=C sort | while read -r f; do
			printf '%s ' "$f"
			sha256sum <"$f"
		done
	} | sha256sum | cut -c1-64
)

label() {
	"$docker" image inspect -f '{{index .Config.Labels "dev.bottle.demo-hash"}}' "$1" 2>/dev/null || true
}
id_of() {
	"$docker" image inspect -f '{{.Id}}' "$1" 2>/dev/null || true
}

old_id=$(id_of "$image")
if [ -n "$old_id" ] && [ "$(label "$image")" = "$hash" ]; then
	if [ "$(id_of "$vm_image")" != "$old_id" ]; then
		"$docker" tag "$image" "$vm_image"
	fi
	echo "$image is up to date"
	exit 0
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bottle-demo-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
root=$tmp/rootfs
mkdir -p "$root"
cd "$root"
mkdir -p bin sbin usr/bin usr/sbin etc root tmp proc sys dev run srv \
	var/log workspace bottle
chmod 1777 tmp
chmod 700 root
cp "$busybox" bin/busybox
chmod 755 bin/busybox
# Applet links where busybox --install would put them.
"$busybox" --list-full | while read -r path; do
	case $path in
	*/busybox | linuxrc | "") continue ;;
	esac
	dir=${path%/*}
	[ "$dir" = "$path" ] && continue
	case $dir in
	bin) target=busybox ;;
	sbin) target=../bin/busybox ;;
	usr/bin | usr/sbin) target=../../bin/busybox ;;
	*) continue ;;
	esac
	[ -e "$path" ] || ln -s "$target" "$path"
done
cat >etc/passwd <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >etc/group <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
echo bottle-demo >etc/hostname
# The resolver (dnsd.c): the binary shipped beside this script (an
# installed bottle), else built here; without a compiler the image has
# none and the VMM's DNS relay waits its 2 s timeout on every probe run.
case $dnsd_from in
shipped) cp "$here/dnsd" bottle/dnsd ;;
cc)
	"${CC:-cc}" -std=gnu11 -O2 -static -s -o bottle/dnsd "$here/dnsd.c" ||
		echo "build.sh: warning: could not build the demo resolver dnsd.c (static libc?): the image has none" >&2
	;;
esac
[ -f bottle/dnsd ] && chmod 755 bottle/dnsd
cp "$here/start.sh" bottle/start.sh
cp "$here/httpdlog.awk" bottle/httpdlog.awk
chmod 755 bottle/start.sh
chmod 644 bottle/httpdlog.awk

tar --numeric-owner --owner=0 --group=0 -C "$root" -cf - . |
	"$docker" import \
		--change 'CMD ["/bottle/start.sh"]' \
		--change "LABEL dev.bottle.demo-hash=$hash" \
		--change 'LABEL dev.bottle.demo=1' \
		- "$image" >/dev/null
"$docker" tag "$image" "$vm_image"
new_id=$(id_of "$image")
# Drop the previous build if nothing uses it any more.
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
	"$docker" rmi "$old_id" >/dev/null 2>&1 || true
fi
echo "built $image and $vm_image (${new_id#sha256:})"
