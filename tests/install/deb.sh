#!/usr/bin/env bash
# tests/install/deb.sh: make deb, from a copy of the source tree, builds a
# package that lintian (when installed) finds no error in, that dpkg -i
# installs, whose bottle runs --version and doctor, and that dpkg -r
# removes leaving no file behind. Needs root, dpkg-dev and docker (doctor);
# run under the docker test lock. Skips when a bottle package or a
# /usr/bin/bottle is already there: it never replaces the machine's own.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/install/lib-install.bash"
t_need_root
for t in dpkg dpkg-deb dpkg-shlibdeps; do
	if ! command -v $t >/dev/null 2>&1; then
		t_skip "deb.sh" "$t is not installed (apt-get install dpkg-dev)"
		exit 0
	fi
done
if dpkg-query -W -f='${Status}' bottle 2>/dev/null | grep -q 'installed' ||
	[ -e /usr/bin/bottle ]; then
	t_skip "deb.sh" "a bottle package or /usr/bin/bottle is already installed"
	exit 0
fi

t_tmpdir T
SRC=$T/src
i_copy_tree "$SRC"
if ! make -C "$SRC" --no-print-directory -j2 deb >"$T/make.log" 2>&1; then
	t_fail "make deb (from a copy of the tree)"
	tail -20 "$T/make.log" | sed 's/^/# /'
	exit 1
fi
deb=$(tail -n 1 "$T/make.log")
t_match "make deb ends by printing build/deb/bottle_VERSION_ARCH.deb" \
	"/build/deb/bottle_[0-9.]+_$(dpkg --print-architecture)\.deb$" "$deb"
if [ ! -f "$deb" ]; then
	t_fail "the package file exists"
	tail -5 "$T/make.log" | sed 's/^/# /'
	exit 1
fi
t_ok "the package file exists"

info=$(dpkg-deb -f "$deb" Package Version Depends Suggests)
dep=$(dpkg-deb -f "$deb" Depends)
for lib in libc6 libuv1 libcjson1 libcurl4 libncursesw6; do
	t_match "Depends on $lib" "(^|, )$lib( |,|$)" "$dep"
done
t_match "Depends on docker.io | docker-ce" "docker\.io \| docker-ce" "$dep"
bad=""
for s in $(dpkg-deb -f "$deb" Suggests | tr ',|' '  ' | sed 's/([^)]*)//g'); do
	apt-cache show "$s" >/dev/null 2>&1 || bad="$bad $s"
done
t_eq "every suggested package is a real Debian package" "" "$bad"

files=$(dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|')
for f in /usr/bin/bottle /usr/libexec/bottle/helper/bottle-probe \
	/usr/share/man/man1/bottle.1.gz /usr/share/man/man5/bottle.json.5.gz \
	/usr/share/bash-completion/completions/bottle /usr/share/zsh/vendor-completions/_bottle \
	/usr/share/fish/vendor_completions.d/bottle.fish /usr/share/bottle/bottles.example.json \
	/usr/share/bottle/demo/smolvm /usr/share/doc/bottle/copyright; do
	t_match "the package holds $f" "^$f$" "$files"
done
t_nomatch "nothing under /usr/local" "^/usr/local" "$files"
t_nomatch "the simulator is not on PATH as smolvm" "^/usr/s?bin/smolvm" "$files"

# The README's Install section names only files the package holds.
readme=$(i_readme_install)
missing=""
for f in $(grep -oE '/usr/share/bottle[A-Za-z0-9_./-]*[A-Za-z0-9_]' <<<"$readme" | sort -u); do
	grep -qE "^$f/?$" <<<"$files" || missing="$missing $f"
done
t_eq "README Install: the /usr/share/bottle paths it names are in the package" "" "$missing"

if command -v lintian >/dev/null 2>&1; then
	lintian "$deb" >"$T/lintian" 2>&1
	errs=$(grep -E '^E: ' "$T/lintian")
	t_eq "lintian: no error" "" "$errs"
	# (control: lintian read this package: it applies its overrides)
	t_match "(control: lintian applied the package's overrides)" \
		"^O: bottle: statically-linked-binary" "$(lintian --show-overrides "$deb" 2>&1)"
	grep -E '^[WI]: ' "$T/lintian" | head -5 | sed 's/^/# /'
else
	t_skip "lintian: no error" "lintian is not installed"
fi

# Install. Files named like the package's, before: none of ours exist.
snap() {
	find /usr/bin /usr/libexec /usr/share/bottle /usr/share/doc/bottle \
		/usr/share/man/man1 /usr/share/man/man5 /usr/share/bash-completion \
		/usr/share/zsh /usr/share/fish /usr/share/lintian/overrides \
		/var/lib/dpkg/info -xdev 2>/dev/null | grep -E 'bottle' | sort
}
before=$(snap)
t_defer "dpkg -r bottle"
dpkg -i "$deb" >"$T/dpkg-i.log" 2>&1
t_eq "dpkg -i installs it" 0 "$?"
sed 's/^/# /' "$T/dpkg-i.log" | grep -i error
t_eq "dpkg says installed" "install ok installed" \
	"$(dpkg-query -W -f='${Status}' bottle 2>/dev/null)"

mkdir -p "$T/home"
cd "$T/home" || exit 1
v=$(HOME=$T/home XDG_CONFIG_HOME=$T/home/.config /usr/bin/bottle --version 2>&1)
t_match "installed: bottle --version" "^bottle [0-9]+\.[0-9]+\.[0-9]+$" "$v"
out=$(HOME=$T/home XDG_CONFIG_HOME=$T/home/.config XDG_CACHE_HOME=$T/home/.cache \
	BOTTLE_STATE_DIR=$T/home/state SMOLVM_SIM_HOME=$T/home/sim \
	/usr/bin/bottle -c /usr/share/bottle/demo/bottles.json doctor 2>&1)
rc=$?
t_eq "installed: bottle doctor (the demo's vmm sim) exits 0" 0 "$rc"
t_match "installed: doctor finds docker" "^ok +docker engine" "$out"
t_match "installed: doctor uses /usr/share/bottle/demo/smolvm" \
	"\(/usr/share/bottle/demo/smolvm\)" "$out"
[ "$rc" = 0 ] || t_diag "$out"
cd "$T" || exit 1
if [ -f /usr/share/bash-completion/bash_completion ]; then
	spec=$(bash -c '. /usr/share/bash-completion/bash_completion
		__load_completion bottle; complete -p bottle' 2>&1)
	t_eq "installed: bash-completion loads bottle's completion" \
		"complete -F _bottle bottle" "$spec"
fi
if command -v zsh >/dev/null 2>&1; then
	z=$(zsh -fc 'autoload -U compinit; compinit -u -d '"$T"'/zcd; print -r -- $_comps[bottle]' 2>&1)
	t_eq "installed: zsh finds _bottle on its default fpath" "_bottle" "$z"
fi

dpkg -r bottle >"$T/dpkg-r.log" 2>&1
t_eq "dpkg -r removes it" 0 "$?"
t_nomatch "dpkg no longer lists it installed" "^(installed|half-installed|unpacked|half-configured)$" \
	"$(dpkg-query -W -f='${db:Status-Status}' bottle 2>/dev/null)"
left=""
for f in $files; do
	[ -d "$f" ] && continue
	[ -e "$f" ] && left="$left $f"
done
t_eq "no file of the package is left" "" "$left"
t_eq "nothing named bottle left in the system's directories" "$before" "$(snap)"
for d in /usr/share/bottle /usr/libexec/bottle /usr/share/doc/bottle; do
	t_check "$d is gone" test ! -e "$d"
done
