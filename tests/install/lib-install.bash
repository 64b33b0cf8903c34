# tests/install/lib-install.bash: helpers of the install tests (sourced after
# tests/lib.sh, never run).
#
#   i_copy_tree DIR     copies the source tree (what git tracks, plus new
#                       files not ignored; never build/) to DIR, so a test
#                       builds and installs without touching the tree's
#                       build/ or ./bottle
#   i_readme_install    the README's "## Install" section (empty if none)

i_copy_tree() {
	local dst=$1
	mkdir -p "$dst"
	if git -C "$T_ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		(cd "$T_ROOT" && git ls-files -z --cached --others --exclude-standard |
			tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$dst" -xf -
	else
		tar -C "$T_ROOT" --exclude=./build --exclude=./bottle -cf - . | tar -C "$dst" -xf -
	fi
}

i_readme_install() {
	awk '/^## /{on = ($0 ~ /^## Install/)} on' "$T_ROOT/README.md"
}
