#!/usr/bin/env bash
# tests/integration/hostile_volumes.sh: what a configuration may mount into
# a VM, end to end (config file -> bottle -> Smolfile -> simulator).
#
#  - /root, /etc, bottle's state directory (or a directory holding it) and
#    another user's home are refused when the configuration is loaded:
#    exit 78, the key path named, nothing created;
#  - a read-write mount of a repository keeps .git read-only in the guest
#    (a write to .git from `bottle exec` fails, a write beside it works,
#    `up` lists both mounts); vm.git_writable makes .git writable;
#  - a volume path that is a symbolic link to /root or /etc (the load-time
#    check reads the path as written; a link can be swapped in after it)
#    is refused by the up-time check, and no VM is created.
#
# The last two need bottle-up.c's smolfile step to call
# config_check_volumes_now and smolfile_render_mounts.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 216 hv1 hv2

SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
# the guest acts as the owner of a user's directory (the simulator maps
# it, as virtiofs run by that user would): a user that is not root
OWNER=4242

# cfg NAME VM_JSON [NAME2 VM_JSON2]: the world's config, each bottle's vm
# section extended with VM_JSON (JSON object members).
cfg() {
	t_cfg_py 'for name, vm in zip(args[0::2], args[1::2]):
    bottle(name)["vm"] = json.loads("{" + vm + "}")' "$@"
}

nothing_of() { # nothing_of LABEL NAME: no docker object, VM or allocation
	t_eq "$1: no network bottle-$2" "" "$(docker network ls --filter "name=^bottle-$2\$" -q)"
	t_eq "$1: no container bottle-$2-bundle" "" "$(docker ps -a --filter "name=^bottle-$2-bundle\$" -q)"
	t_nomatch "$1: no VM bottle-$2" "\"bottle-$2\"" "$("$SMOLVM_SIM" machine ls --json 2>/dev/null)"
}

# refused LABEL HOST: a bottle mounting HOST read-write is refused when the
# configuration loads: exit 78, the key path, nothing created.
refused() {
	cfg hv1 "\"volumes\": [\"$2:/work\"]"
	brun up hv1
	t_eq "$1: exit 78" 78 "$RC"
	t_match "$1: the message names the key and the path" \
		"bottles\\.hv1\\.vm\\.volumes\\[0\\]: the host directory \"$3\" may not be mounted into a VM: $4" "$ERR"
	t_nomatch "$1: no sanitizer report" "$SAN_RE" "$ERR"
	t_check "$1: no state directory" test ! -e "$BOTTLE_STATE_DIR"
	nothing_of "$1" hv1
	if [ "$RC" != 0 ] && [ "$RC" != 78 ]; then
		t_diag "$ERR"
	fi
	if [ "$RC" != 78 ]; then
		# accepted by mistake: undo it so that the next cases start clean
		brun rm hv1
		rm -rf "$BOTTLE_STATE_DIR"
	fi
}

# ---- refused when the configuration loads -----------------------------------

refused "/root" /root /root "/root is a system directory"
refused "/etc" /etc /etc "/etc is a system directory"
refused "/root/.ssh" /root/.ssh /root/.ssh "/root is a system directory"
refused "bottle's state directory" "$BOTTLE_STATE_DIR" "$BOTTLE_STATE_DIR" \
	"it is, contains or lies inside bottle's own"
refused "a directory holding bottle's state" "$W" "$W" \
	"it is, contains or lies inside bottle's own"
# another user's home: a throwaway one under /home (bottle runs as root
# here, whose home is /root)
OTHER=$(mktemp -d /home/bottle-vol-other.XXXXXX) || t_fail "mktemp under /home"
t_defer "rm -rf '$OTHER'"
mkdir -p "$OTHER/src"
refused "another user's home" "$OTHER/src" "$OTHER/src" "another user's home"
refused "/home" /home /home "/home holds every user's home"

# ---- a read-write repository: .git stays read-only ----------------------------

PROJ=$W/proj
mkdir -p "$PROJ/.git/hooks"
echo "# project" >"$PROJ/README"
chown -R "$OWNER:$OWNER" "$PROJ"
cfg hv1 "\"volumes\": [\"$PROJ:/work\"]"
t_defer "'$BOTTLE' -c '$CFG' rm hv1"
brun up hv1
t_eq "repo: up hv1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_nomatch "repo: no sanitizer report" "$SAN_RE" "$ERR"
t_match "repo: the Smolfile mounts .git read-only after its parent" \
	"\"$PROJ:/work\", \"$PROJ/.git:/work/.git:ro\"" \
	"$(cat "$BOTTLE_STATE_DIR/hv1/Smolfile" 2>/dev/null)"
t_match "repo: up lists the read-write mount" "mount: $PROJ -> /work \\(rw\\)" "$OUT$ERR"
t_match "repo: up lists the read-only .git" \
	"mount: $PROJ/.git -> /work/.git \\(ro, git stays read-only\\)" "$OUT$ERR"
brun exec hv1 -- sh -c 'echo "#!/bin/sh" > /work/.git/hooks/pre-commit'
t_check "repo: a write to .git from the guest fails" test "$RC" != 0
t_check "repo: ... and plants no hook on the host" test ! -e "$PROJ/.git/hooks/pre-commit"
brun exec hv1 -- sh -c 'mv /work/.git /work/git-moved'
t_check "repo: .git cannot be moved away" test "$RC" != 0
t_check "repo: ... it is still there on the host" test -d "$PROJ/.git"
brun exec hv1 -- sh -c 'echo hello > /work/Makefile.new && cat /work/README'
t_eq "repo: a write beside .git works" 0 "$RC"
t_match "repo: ... and the guest reads the project" "# project" "$OUT"
t_eq "repo: ... it lands on the host" hello "$(cat "$PROJ/Makefile.new" 2>/dev/null)"
brun rm hv1
t_eq "repo: rm hv1 exits 0" 0 "$RC"

# ---- vm.git_writable opts out -------------------------------------------------

# (where .git was not protected, the guest moved it away: put it back so
# that this case stands on its own)
if [ ! -d "$PROJ/.git" ] && [ -d "$PROJ/git-moved" ]; then
	mv "$PROJ/git-moved" "$PROJ/.git"
fi
cfg hv2 "\"volumes\": [\"$PROJ:/work\"], \"git_writable\": true"
t_defer "'$BOTTLE' -c '$CFG' rm hv2"
brun up hv2
t_eq "git_writable: up hv2 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_nomatch "git_writable: the Smolfile has no .git mount" "/work/\\.git" \
	"$(cat "$BOTTLE_STATE_DIR/hv2/Smolfile" 2>/dev/null)"
brun exec hv2 -- sh -c 'echo "#!/bin/sh" > /work/.git/hooks/post-checkout'
t_eq "git_writable: a write to .git from the guest works" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_check "git_writable: ... it lands on the host" test -e "$PROJ/.git/hooks/post-checkout"
brun rm hv2
t_eq "git_writable: rm hv2 exits 0" 0 "$RC"

# ---- a path that is a symbolic link at up time --------------------------------
# The load-time check reads the path as written: $W/swap passes it. At up
# time it resolves to /root (which the simulator itself would mount) or
# /etc, and is refused before any VM exists.

for target in /root /etc; do
	rm -rf "$W/swap"
	ln -s "$target" "$W/swap"
	cfg hv1 "\"volumes\": [\"$W/swap:/work\"]"
	brun up hv1
	t_check "swap to $target: up fails" test "$RC" != 0
	t_match "swap to $target: the message names the key and the target" \
		"bottles\\.hv1\\.vm\\.volumes\\[0\\]: the host directory \"$W/swap\" resolves to \"$target\", which may not be mounted into a VM" "$ERR"
	t_nomatch "swap to $target: no sanitizer report" "$SAN_RE" "$ERR"
	t_nomatch "swap to $target: no VM bottle-hv1" '"bottle-hv1"' \
		"$("$SMOLVM_SIM" machine ls --json 2>/dev/null)"
	t_nomatch "swap to $target: the Smolfile does not name it" "$target:/work|swap:/work" \
		"$(cat "$BOTTLE_STATE_DIR/hv1/Smolfile" 2>/dev/null)"
	brun rm hv1
	t_eq "swap to $target: rm hv1 exits 0" 0 "$RC"
done

t_world_clean_check
