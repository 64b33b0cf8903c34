#!/usr/bin/env bash
# tests/integration/secrets.sh: a bundle.env secret never travels on an
# argv and never reaches a log (issue 12).
#
#  - while `up` runs, a scanner reads every /proc/*/cmdline as fast as it
#    can: the secret is in none, and (the control that makes the check
#    mean something) the scanner did see the `docker run` of the bundle;
#    while that docker run ran, its --env-file was mode 0600, ours;
#  - nothing under the state directory holds the secret afterwards
#    (events.log with its "command:" lines, state.json, the env file is
#    gone), nor `status --json` (last_command), nor `logs --source events`;
#    the docker run command is shown there, with --env-file;
#  - the bundle container's environment holds the secret, byte for byte;
#  - an env file a crash left (here a symlink to a victim file) is removed
#    at the next up without being followed;
#  - a value docker's --env-file cannot carry (a trailing CR) is refused
#    by name, without the value, and leaves no container and no file.
# The secret is never on a command line of this script's own commands: it
# reaches python and grep through the environment or a file.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
t_world 226 sc1

NEEDLE=$W/needle
export SECRET_NEEDLE="bottle-secret-$$-$RANDOM$RANDOM-do-not-show"
(umask 077 && printf '%s\n' "$SECRET_NEEDLE" >"$NEEDLE")
ENVFILE=$BOTTLE_STATE_DIR/sc1/bundle.env

# the config: sc1's bundle.env holds the secret (written by python from
# the environment, so the secret is on no command line)
secret_cfg() { # secret_cfg EXTRA_PYTHON
	python3 - "$CFG" "$1" <<'EOF'
import json, os, sys
path, extra = sys.argv[1], sys.argv[2]
d = json.load(open(path))
d["bottles"]["sc1"] = {"bundle": {"env": {
    "API_TOKEN": os.environ["SECRET_NEEDLE"],
    "PLAIN": "not secret",
}}}
exec(extra)
json.dump(d, open(path, "w"), indent=1)
EOF
}
secret_cfg ''

# holds FILE: 0 when FILE contains the secret
holds() { grep -qF -f "$NEEDLE" -- "$1" 2>/dev/null; }
# holds_text TEXT: 0 when TEXT contains the secret
holds_text() { [[ $1 == *"$SECRET_NEEDLE"* ]]; }

# ---- the scanner -------------------------------------------------------------

STOP=$W/scan.stop
SCAN=$W/scan.json
python3 - "$STOP" "$SCAN" "$ENVFILE" <<'EOF' &
import json, os, sys
stop, out, envfile = sys.argv[1], sys.argv[2], sys.argv[3].encode()
needle = os.environb[b"SECRET_NEEDLE"]
me = str(os.getpid())
scans, hits, runs, modes, envfile_args = 0, [], set(), set(), set()
while not os.path.exists(stop):
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or pid == me:
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cl = f.read()
        except OSError:
            continue
        words = cl.split(b"\0")
        if needle in cl:
            hits.append(b" ".join(words).decode(errors="replace")[:300])
        if b"run" in words and b"bottle-sc1-bundle" in words:
            runs.add(pid)
            if b"--env-file" in words:
                i = words.index(b"--env-file")
                envfile_args.add(words[i + 1].decode(errors="replace"))
            try:
                st = os.lstat(envfile)
                modes.add("%o %d" % (st.st_mode, st.st_uid))
            except OSError:
                pass
    scans += 1
json.dump({"scans": scans, "hits": hits, "runs": len(runs),
           "modes": sorted(modes), "envfile_args": sorted(envfile_args)},
          open(out, "w"))
EOF
SCANNER=$!
t_defer "touch '$STOP'; kill $SCANNER"
# the scanner is running before up starts
for _ in $(seq 100); do
	[ -d "/proc/$SCANNER" ] && break
	sleep 0.05
done
sleep 0.5

brun up sc1
t_eq "up sc1 exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_check "up's own output has no secret" eval '! holds_text "$OUT$ERR"'
touch "$STOP"
wait "$SCANNER"
res=$(cat "$SCAN" 2>/dev/null)
t_diag "scanner: $res"
t_eq "no /proc/*/cmdline held the secret during up" "[]" \
	"$(jget 'd["hits"]' <<<"$res" 2>/dev/null)"
runs=$(jget 'd["runs"]' <<<"$res" 2>/dev/null)
if [ "${runs:-0}" -ge 1 ] 2>/dev/null; then
	t_ok "control: the scanner saw the bundle's docker run ($runs)"
else
	t_fail "control: the scanner saw the bundle's docker run (${runs:-none})"
fi
t_eq "that docker run read bundle.env's values from STATE/sc1/bundle.env" \
	"[\"$ENVFILE\"]" "$(jget 'd["envfile_args"]' <<<"$res" 2>/dev/null)"
modes=$(jget '[m for m in d["modes"] if m != "100600 %d" % __import__("os").geteuid()]' <<<"$res" 2>/dev/null)
t_eq "the env file, whenever seen during docker run, was a regular file, 0600, ours" \
	"[]" "$modes"
t_diag "env file seen as: $(jget 'd["modes"]' <<<"$res" 2>/dev/null)"

# ---- nothing logged holds it -------------------------------------------------

t_check "the env file is gone after up" test ! -e "$ENVFILE" -a ! -L "$ENVFILE"
found=$(grep -rlF -f "$NEEDLE" -- "$BOTTLE_STATE_DIR" 2>/dev/null)
t_eq "no file under the state directory holds the secret" "" "$found"
ev=$BOTTLE_STATE_DIR/sc1/events.log
t_check "control: events.log exists" test -s "$ev"
t_check "events.log has no secret" eval '! holds "$ev"'
run_line=$(grep -F 'command: ' "$ev" | grep -F ' run -d ' | grep -F 'bottle-sc1-bundle' | head -1)
t_match "events.log shows the docker run, with --env-file" \
	" run -d .*--env-file [^ ]*/sc1/bundle\.env .*bottle-demo-bundle" "$run_line"

brun status sc1 --json
t_eq "status --json exits 0" 0 "$RC"
t_check "status --json (last_command) has no secret" eval '! holds_text "$OUT$ERR"'
t_match "control: status --json has a last_command field" '"last_command":' "$OUT"

brun status sc1
t_check "status (text) has no secret" eval '! holds_text "$OUT$ERR"'

brun logs sc1 --source events -n 10000
t_check "logs --source events has no secret" eval '! holds_text "$OUT$ERR"'
t_match "control: logs --source events shows the docker run command" \
	"command: .* run -d .*--env-file" "$OUT"
brun logs sc1 --source all -n 10000
t_check "logs --source all has no secret" eval '! holds_text "$OUT$ERR"'
brun ls --json
t_check "ls --json has no secret" eval '! holds_text "$OUT$ERR"'

# ---- the bundle has it -------------------------------------------------------

env=$(docker inspect bottle-sc1-bundle --format '{{range .Config.Env}}{{println .}}{{end}}' 2>/dev/null)
# has_token TEXT: one line of TEXT is exactly API_TOKEN=<the secret>
has_token() {
	printf '%s\n' "$1" | grep -qxF -f <(printf 'API_TOKEN=%s\n' "$SECRET_NEEDLE")
}
got=$(docker exec bottle-sc1-bundle env 2>/dev/null)
t_check "the bundle's processes have API_TOKEN, byte for byte" has_token "$got"
t_check "docker records API_TOKEN in the container's config" has_token "$env"
t_match "and the non-secret PLAIN" "^PLAIN=not secret$" "$env"
t_match "the bind knob is still set (on the argv, not secret)" \
	"^BOTTLE_PIPELOCK_LISTEN=0\.0\.0\.0:8888$" "$env"

# ---- a leftover from a crash -------------------------------------------------

brun down sc1
t_eq "down sc1 exits 0" 0 "$RC"
docker rm -f bottle-sc1-bundle >/dev/null 2>&1 # the next up runs docker run
printf 'victim\n' >"$W/victim"
chmod 644 "$W/victim"
ln -s "$W/victim" "$ENVFILE"
brun up sc1
t_eq "up over a leftover env file exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_check "the leftover (a symlink) is gone" test ! -e "$ENVFILE" -a ! -L "$ENVFILE"
t_eq "its target was not followed" "victim" "$(cat "$W/victim")"
got=$(docker exec bottle-sc1-bundle env 2>/dev/null)
t_check "the new bundle has the secret" has_token "$got"

# a bundle already running: up keeps it, and still removes a leftover
touch "$ENVFILE"
brun up sc1
t_eq "up of a running bottle exits 0" 0 "$RC"
t_check "a leftover is removed even when the bundle is kept" test ! -e "$ENVFILE"

brun rm sc1
t_eq "rm sc1 exits 0" 0 "$RC"

# ---- a value docker's --env-file would change --------------------------------

secret_cfg 'd["bottles"]["sc1"]["bundle"]["env"]["TRAILING_CR"] = os.environ["SECRET_NEEDLE"] + "\r"'
brun up sc1
t_eq "a value ending in CR: up fails" 1 "$([ "$RC" != 0 ] && echo 1 || echo 0)"
t_match "the message names the key" "TRAILING_CR" "$ERR"
t_check "the message does not quote the value" eval '! holds_text "$OUT$ERR"'
t_eq "no bundle container was made" "" \
	"$(docker ps -a --filter 'name=^bottle-sc1-bundle$' -q)"
t_check "no env file is left" test ! -e "$ENVFILE"
found=$(grep -rlF -f "$NEEDLE" -- "$BOTTLE_STATE_DIR" 2>/dev/null)
t_eq "no file under the state directory holds the secret" "" "$found"
brun rm sc1

t_world_clean_check
