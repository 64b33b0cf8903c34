#!/usr/bin/env bash
# tests/install/standalone.sh: an installed bottle stands alone. A copy of
# the source tree is built and installed into a temporary prefix; while
# the copy still exists the installed bottle must already ignore it; then
# the copy is moved away and, from a directory outside any source tree,
# the installed bottle runs --help, doctor, ls --json and a demo
# up / probe / rm with "vmm": "sim" on the installed simulator, its
# demo images built by the installed build.sh. Where strace is
# installed, it shows that bottle never touches a file of either tree
# (bottle's own system calls and the programs it runs: strace detaches
# from a child at its execve, so the simulator's VM process, which
# outlives `up`, is not held).
# Needs root and docker (run under the docker test lock).
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/install/lib-install.bash"
t_need_root
if ! docker info >/dev/null 2>&1; then
	t_fail "docker engine answers (run make test, which starts dockerd)"
	exit 1
fi

t_tmpdir T
SRC=$T/src
P=$T/prefix
i_copy_tree "$SRC"
if ! make -C "$SRC" -j2 install PREFIX="$P" >"$T/make.log" 2>&1; then
	t_fail "make install PREFIX=$P (from a copy of the tree)"
	tail -20 "$T/make.log" | sed 's/^/# /'
	exit 1
fi
t_ok "make install into a temporary prefix"

B=$P/bin/bottle
SIM=$P/share/bottle/demo/smolvm
for f in bin/bottle libexec/bottle/helper/bottle-probe share/man/man1/bottle.1 \
	share/man/man5/bottle.json.5 share/bottle/bottles.example.json \
	share/bottle/demo/smolvm share/bottle/demo/bottles.json \
	share/bottle/demo/bundle/build.sh share/bottle/demo/bundle/dnsd \
	share/bash-completion/completions/bottle \
	share/zsh/site-functions/_bottle share/fish/vendor_completions.d/bottle.fish; do
	t_check "installed: PREFIX/$f" test -f "$P/$f"
done
t_eq "the simulator is never installed on PATH as smolvm" "" \
	"$(find "$P/bin" "$P/sbin" -name 'smolvm*' 2>/dev/null)"

# The README's Install section names only files make install puts there.
readme=$(i_readme_install)
if [ -n "$readme" ]; then
	missing=""
	for f in $(grep -oE 'PREFIX/[A-Za-z0-9_./-]+[A-Za-z0-9_]' <<<"$readme" | sort -u); do
		[ -e "$P/${f#PREFIX/}" ] || missing="$missing $f"
	done
	t_eq "README Install: every PREFIX/... path it names is installed" "" "$missing"
	t_match "README Install: names the completion files" \
		"share/bash-completion/completions/bottle" "$readme"
else
	t_fail "README.md has an Install section"
fi

# A private world: config, state, simulator home, all under $T; commands
# run from $T (no source tree there).
W=$T/world
mkdir -p "$W/config" "$W/home"
export BOTTLE_STATE_DIR=$W/state SMOLVM_SIM_HOME=$W/sim XDG_CONFIG_HOME=$W/config
export HOME=$W/home XDG_CACHE_HOME=$W/cache
cd "$T" || exit 1
POOL=10.213.207.0/24
CFG=$W/bottles.json
cat >"$CFG" <<EOF
{
  "defaults": {
    "vmm": "sim",
    "subnet_pool": "$POOL",
    "subnet_prefix": 28,
    "probe_interval_s": 3600,
    "vm": {
      "image": "bottle-demo-vm:latest",
      "cmd": ["/bin/sh", "-c", "echo agent ready; while :; do sleep 3600; done"],
      "cpus": 1, "memory": 256
    },
    "bundle": {"image": "bottle-demo-bundle:latest"},
    "probes": {"resolver": null, "timeout_s": 5}
  },
  "bottles": {"st1": {}}
}
EOF
BEFORE=$(t_snapshot)
t_defer "'$SIM' _sim-reap"
t_defer "docker rm -f bottle-st1-bundle; docker network rm bottle-st1"

# 1. With the copied tree still in place, the installed bottle uses only
#    its installed files (a build inside the tree would use the tree's).
out=$("$B" -c "$CFG" doctor 2>&1)
t_match "installed doctor, tree present: the installed simulator" \
	"^ok .*\($SIM\) - the SIMULATOR" "$out"
t_nomatch "installed doctor, tree present: nothing of the tree" "$SRC" "$out"

# 2. The tree moved out of reach.
mv "$SRC" "$T/moved-away"
trace=()
if command -v strace >/dev/null 2>&1; then
	trace=(strace -f -qq -b execve -e trace=%file,execve -o "$T/trace")
	: >"$T/trace.all"
fi
run() { # run ARGS...: the installed bottle; sets RC, OUT, ERR
	"${trace[@]}" "$B" "$@" >"$W/out" 2>"$W/err" </dev/null
	RC=$?
	[ ${#trace[@]} -gt 0 ] && cat "$T/trace" >>"$T/trace.all"
	OUT=$(cat "$W/out")
	ERR=$(cat "$W/err")
}

run --help
t_eq "bottle --help exits 0" 0 "$RC"
t_match "bottle --help prints the usage" "^usage: bottle" "$OUT"
run --version
t_match "bottle --version" "^bottle [0-9]+\.[0-9]+\.[0-9]+" "$OUT"

run -c "$CFG" doctor
t_eq "bottle doctor (the demo's vmm sim) exits 0" 0 "$RC"
t_match "doctor: docker engine ok" "^ok +docker engine" "$OUT"
t_match "doctor: the installed simulator (vmm sim)" "\($SIM\)" "$OUT"
t_match "doctor: all good" "^doctor: all good$" "$OUT"
[ "$RC" = 0 ] || t_diag "$OUT $ERR"

run -c "$CFG" ls --json
t_eq "bottle ls --json exits 0" 0 "$RC"
js=$(python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["smolvm"]["path"], d["smolvm"]["simulated"], [b["name"] for b in d["bottles"]])' <<<"$OUT" 2>&1)
t_eq "ls --json: the installed simulator, simulated, bottle st1" "$SIM True ['st1']" "$js"

if ! "$P/share/bottle/demo/bundle/build.sh" >"$T/build.log" 2>&1; then
	t_fail "the installed build.sh builds the demo images"
	sed 's/^/# /' "$T/build.log" | tail -5
	exit 1
fi
t_ok "the installed build.sh builds (or finds) the demo images"

run -c "$CFG" up st1
t_eq "up st1 exits 0" 0 "$RC"
t_match "up st1: healthy" "^st1: healthy$" "$OUT"
[ "$RC" = 0 ] || t_diag "$ERR"
t_check "the VM mounts the bottle's own copy of the probe helper" \
	grep -q "$BOTTLE_STATE_DIR/st1/helper" "$BOTTLE_STATE_DIR/st1/Smolfile"
t_check "the copy is the installed probe helper, byte for byte" \
	cmp -s "$P/libexec/bottle/helper/bottle-probe" "$BOTTLE_STATE_DIR/st1/helper/bottle-probe"
run -c "$CFG" probe st1 --json
t_eq "probe st1 exits 0" 0 "$RC"
v=$(python3 -c 'import json,sys; d=json.load(sys.stdin); b=d["bottles"][0] if "bottles" in d else d; print(b["probes"]["bundle-reach"]["verdict"], b["probes"]["localhost-reach"]["verdict"])' <<<"$OUT" 2>&1)
t_eq "probe st1: bundle-reach PASS, localhost-reach PASS" "PASS PASS" "$v"
run -c "$CFG" rm st1
t_eq "rm st1 exits 0" 0 "$RC"

after=$(t_snapshot)
if [ "$after" == "$BEFORE" ]; then
	t_ok "no container, network or netfilter rule left behind"
else
	t_fail "no container, network or netfilter rule left behind"
	diff <(echo "$BEFORE") <(echo "$after") | sed 's/^/# /' | head -20
fi
t_eq "no simulator machine left behind" "[]" "$("$SIM" machine ls --json 2>/dev/null)"

if [ ${#trace[@]} -gt 0 ]; then
	n=$(wc -l <"$T/trace.all")
	t_check "(strace saw the runs: $n lines)" test "$n" -gt 100
	hits=$(grep -F -e "$SRC" -e "$T/moved-away" -e "$T_ROOT/" "$T/trace.all" | head -5)
	t_eq "strace: no file of the source tree (the copy or $T_ROOT) is touched" "" "$hits"
	t_check "(control: strace shows the installed simulator run)" \
		grep -qF "$SIM" "$T/trace.all"
else
	t_skip "strace: no file of the source tree is touched" "strace is not installed"
fi

# Completion as installed: bash-completion's loader finds it under
# PREFIX/share, and it offers the configured bottle.
if [ -f /usr/share/bash-completion/bash_completion ]; then
	spec=$(XDG_DATA_DIRS=$P/share bash -c '. /usr/share/bash-completion/bash_completion
		__load_completion bottle; complete -p bottle' 2>&1)
	t_eq "bash-completion loads PREFIX/share/bash-completion/completions/bottle" \
		"complete -F _bottle bottle" "$spec"
else
	t_skip "bash-completion loads the installed completion" "bash-completion is not installed"
fi
names=$(PATH=$P/bin:$PATH BOTTLE_DOCKER=/bin/false bash -c '. "$1/share/bash-completion/completions/bottle"
	COMP_WORDS=(bottle -c "$2" status ""); COMP_CWORD=4
	_bottle bottle "" status; printf "%s\n" "${COMPREPLY[@]}"' _ "$P" "$CFG")
t_eq "installed completion offers the configured bottle" "st1" "$names"
