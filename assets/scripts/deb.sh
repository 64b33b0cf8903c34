#!/bin/sh
# deb.sh STAGE VERSION OUTDIR: a Debian package from a staged install
# (make install PREFIX=/usr DESTDIR=STAGE), with dpkg-deb. What `make deb`
# runs; writes OUTDIR/bottle_VERSION_ARCH.deb and prints its path.
#
# The package tree is a copy of STAGE (STAGE is left as it is) with the
# binaries stripped, the manuals compressed, the Debian documentation
# (copyright, changelog) and lintian overrides from assets/deb/ added.
# Depends: the runtime libraries dpkg-shlibdeps finds for /usr/bin/bottle,
# and docker.io | docker-ce (assets/deb/control).
#
# Environment: DEB_MAINTAINER  the Maintainer field ("Name <address>");
#              default: "$DEBFULLNAME <$DEBEMAIL>", else the committer of
#              the source tree's HEAD, else an address in .invalid that
#              says nobody maintains this local build.
set -eu
[ $# = 3 ] || {
	echo "usage: deb.sh STAGE VERSION OUTDIR" >&2
	exit 2
}
stage=$1 version=$2 out=$3
here=$(cd "$(dirname "$0")/../.." && pwd)
meta=$here/assets/deb

die() {
	echo "deb: $*" >&2
	exit 1
}
for t in dpkg-deb dpkg-shlibdeps strip; do
	command -v $t >/dev/null 2>&1 ||
		die "$t not found (apt-get install dpkg-dev binutils)"
done
[ -x "$stage/usr/bin/bottle" ] ||
	die "$stage/usr/bin/bottle missing: stage with make install PREFIX=/usr DESTDIR=$stage"

arch=$(dpkg --print-architecture)
maint=${DEB_MAINTAINER:-}
if [ -z "$maint" ] && [ -n "${DEBFULLNAME:-}" ] && [ -n "${DEBEMAIL:-}" ]; then
	maint="$DEBFULLNAME <$DEBEMAIL>"
fi
if [ -z "$maint" ] && git -C "$here" rev-parse --git-dir >/dev/null 2>&1; then
	maint=$(git -C "$here" log -1 --format='%cn <%ce>' 2>/dev/null || true)
fi
# a local package without a named maintainer: an address that says so
# (.invalid is reserved; root@host is what lintian rejects)
[ -n "$maint" ] || maint="bottle local build <nobody@bottle.invalid>"
date=$(LC_ALL=C date -R)

mkdir -p "$out"
out=$(cd "$out" && pwd)
pkg=$out/pkg
rm -rf "$pkg"
mkdir -p "$pkg"
cp -a "$stage/." "$pkg/"

# binaries: stripped (the static helper too)
for f in "$pkg/usr/bin/bottle" "$pkg/usr/libexec/bottle/helper/bottle-probe"; do
	[ -f "$f" ] || die "${f#"$pkg"} missing from the staged install"
	strip --strip-unneeded --remove-section=.comment --remove-section=.note "$f"
done
# zsh: Debian's zsh looks in vendor-completions (its site-functions is
# for /usr/local)
if [ -f "$pkg/usr/share/zsh/site-functions/_bottle" ]; then
	mkdir -p "$pkg/usr/share/zsh/vendor-completions"
	mv "$pkg/usr/share/zsh/site-functions/_bottle" "$pkg/usr/share/zsh/vendor-completions/_bottle"
	rmdir "$pkg/usr/share/zsh/site-functions"
fi
# manuals: compressed, reproducibly
find "$pkg/usr/share/man" -type f -name '*.[0-9]' -exec gzip -9n {} +
# documentation and overrides
doc=$pkg/usr/share/doc/bottle
mkdir -p "$doc" "$pkg/usr/share/lintian/overrides"
install -m 644 "$meta/copyright" "$doc/copyright"
sed -e "s|@VERSION@|$version|g" -e "s|@MAINTAINER@|$maint|g" -e "s|@DATE@|$date|g" \
	"$meta/changelog" | gzip -9n >"$doc/changelog.gz"
chmod 644 "$doc/changelog.gz"
install -m 644 "$meta/lintian-overrides" "$pkg/usr/share/lintian/overrides/bottle"
# modes: directories 755, files 644 unless executable (then 755)
find "$pkg" -type d -exec chmod 755 {} +
find "$pkg" -type f -perm /111 -exec chmod 755 {} +
find "$pkg" -type f ! -perm /111 -exec chmod 644 {} +

# Depends: the runtime libraries of the dynamic binary
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/debian"
printf 'Source: bottle\n\nPackage: bottle\nArchitecture: any\n' >"$tmp/debian/control"
shlibs=$(cd "$tmp" && dpkg-shlibdeps -O "-e$pkg/usr/bin/bottle" 2>"$tmp/err") ||
	die "dpkg-shlibdeps failed: $(cat "$tmp/err")"
shlibs=${shlibs#shlibs:Depends=}
[ -n "$shlibs" ] || die "dpkg-shlibdeps found no library"

size=$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)
mkdir -p "$pkg/DEBIAN"
sed -e "s|@VERSION@|$version|g" -e "s|@ARCH@|$arch|g" -e "s|@MAINTAINER@|$maint|g" \
	-e "s|@SIZE@|$size|g" -e "s|@SHLIBS@|$shlibs|g" "$meta/control" >"$pkg/DEBIAN/control"
(cd "$pkg" && find . -path ./DEBIAN -prune -o -type f -print | sed 's|^\./||' | LC_ALL=C sort |
	xargs md5sum) >"$pkg/DEBIAN/md5sums"
chmod 644 "$pkg/DEBIAN/control" "$pkg/DEBIAN/md5sums"

deb=$out/bottle_${version}_$arch.deb
dpkg-deb --root-owner-group -Zxz --build "$pkg" "$deb" >/dev/null
rm -rf "$pkg"
echo "$deb"
