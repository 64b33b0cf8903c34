#!/usr/bin/env bash
# tests/integration/hostile_names.sh: hostile bottle names, as command-line
# arguments (up, down, rm, status), as configuration keys, and as docker
# labels that bottle's discovery reads: path separators, "..", shell
# metacharacters, format directives, terminal escapes, 200 characters.
# Each gets a clear error (exit 1 naming it an invalid bottle name, found
# before docker or smolvm is asked anything, or 2 on the command line, 78 in the
# configuration), no sanitizer report, no raw control byte echoed to the
# terminal, and nothing created: no file outside or inside the state
# directory, no docker object, no VM. The longest valid name (32
# characters) works end to end.
. "$(dirname "$0")/../lib.sh"
. "$T_ROOT/tests/lib-bottle.sh"
LONG_OK=a23456789-b23456789-c23456789-d2
t_world 213 hn1 "$LONG_OK"

SAN_RE='AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:'
PWNED=$W/pwned
A200=$(printf 'a%.0s' $(seq 200))

NAMES=(
	"../etc" "a/b" "/etc/passwd" ".." "." "a/../hn1" "hn1/" "hn1/.."
	"\$(touch $PWNED)" "\`touch $PWNED\`" "hn1;touch $PWNED" "hn1 && touch $PWNED"
	"hn1|cat" "hn1>$PWNED" "*" "hn1?" "~root" "hn1 hn1" "%s%s%s%n%n" "%x%x%x"
	"$A200" "${LONG_OK}x" "HN1" "hn1--x" "hn1-" "hn1." "é" "" " "
	$'hn1\nhn1' $'hn1\t' $'\e[31mred\e[0m' $'\e]0;title\a' $'hn1\r' $'\x7f'
	"-rf" "--all=x" "-"
)

# state_listing: every path under the state directory (sorted).
state_listing() {
	if [ -d "$BOTTLE_STATE_DIR" ]; then
		(cd "$BOTTLE_STATE_DIR" && find . | sort)
	fi
}

# no_raw_control TEXT: TEXT has no control byte but newline.
no_raw_control() {
	! printf '%s' "$1" | LC_ALL=C grep -q $'[\x01-\x09\x0b-\x1f\x7f]'
}

# cli_case VERB NAME: one hostile argument; one TAP line, with the reasons.
cli_case() {
	local verb=$1 name=$2 why=""
	brun "$verb" "$name"
	case "$RC" in
	1) printf '%s' "$ERR" | grep -Eq "^bottle: .*: invalid bottle name \(lower-case" ||
		why+="exit 1 without 'invalid bottle name (...)'; " ;;
	2) printf '%s' "$ERR" | grep -Eq "usage|unknown option" ||
		why+="exit 2 without a usage line; " ;;
	*) why+="exit $RC; " ;;
	esac
	printf '%s' "$ERR" | grep -Eq "$SAN_RE" && why+="sanitizer report; "
	no_raw_control "$ERR" || why+="raw control bytes on stderr; "
	no_raw_control "$OUT" || why+="raw control bytes on stdout; "
	[ -e "$PWNED" ] && why+="a shell ran the name; " && rm -f "$PWNED"
	[ "$(state_listing)" == "$LISTING" ] || why+="the state directory changed; "
	if [ -z "$why" ]; then
		t_ok "$verb $(printf '%q' "$name" | cut -c1-60): clear error, nothing touched"
	else
		t_fail "$verb $(printf '%q' "$name" | cut -c1-60): clear error, nothing touched"
		t_diag "$why"
		t_diag "stderr: $(printf '%q' "$ERR" | cut -c1-300)"
	fi
}

# ---- the longest valid name works end to end ----------------------------

brun up "$LONG_OK"
t_eq "up of a 32-character name exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_eq "its network is bottle-$LONG_OK" 1 \
	"$(docker network ls --filter "name=^bottle-$LONG_OK\$" -q | wc -l)"
t_match "its VM runs" '"running"' \
	"$("$SMOLVM_SIM" machine status --name "bottle-$LONG_OK" --json 2>/dev/null)"

# ---- hostile names on the command line -----------------------------------

LISTING=$(state_listing)
for verb in up down rm status; do
	for name in "${NAMES[@]}"; do
		cli_case "$verb" "$name"
	done
done

# found before docker is asked anything: a docker first in PATH that
# records its calls sees none
mkdir -p "$W/shim"
printf '#!/bin/sh\necho "$*" >>%q\nexec %q "$@"\n' "$W/docker.calls" "$(command -v docker)" >"$W/shim/docker"
chmod 755 "$W/shim/docker"
for verb in up down rm status probe; do
	PATH="$W/shim:$PATH" brun "$verb" "../etc"
done
t_eq "an invalid name is refused before docker is run (up, down, rm, status, probe)" "" \
	"$(cat "$W/docker.calls" 2>/dev/null)"
PATH="$W/shim:$PATH" brun status hn1
t_check "control: the docker first in PATH records a valid name's status" test -s "$W/docker.calls"

# a valid name next to a hostile one: nothing starts
brun up hn1 "../etc"
t_eq "up hn1 ../etc exits 1" 1 "$RC"
t_eq "... and did not start hn1" "" "$(docker network ls --filter name=^bottle-hn1$ -q)"
t_eq "... nor touch the state directory" "$LISTING" "$(state_listing)"

# ---- hostile names as configuration keys ---------------------------------

cp "$CFG" "$W/good.json"
# every configuration at once: $W/key.N for the Nth name (python3 is slow
# to start)
python3 - "$W/good.json" "$W/key" "${NAMES[@]}" "@NUL@" <<'EOF'
import json, sys
for i, name in enumerate(sys.argv[3:]):
    d = json.load(open(sys.argv[1], encoding="utf-8"))
    if name == "@NUL@":
        name = "hn1\x00x"  # "\u0000" in JSON
    d["bottles"][name] = {}
    with open("%s.%d" % (sys.argv[2], i), "w", encoding="utf-8") as f:
        print(json.dumps(d, ensure_ascii=False), file=f)
EOF
i=0
for name in "${NAMES[@]}" "@NUL@"; do
	cp "$W/key.$i" "$CFG"
	i=$((i + 1))
	brun up --all
	why=""
	[ "$RC" = 78 ] || why+="exit $RC, not 78; "
	printf '%s' "$ERR" | grep -Eq "bottles\..*invalid bottle name|line [0-9]+, column [0-9]+" ||
		why+="no message naming the key; "
	printf '%s' "$ERR" | grep -Eq "$SAN_RE" && why+="sanitizer report; "
	no_raw_control "$ERR" || why+="raw control bytes on stderr; "
	[ -e "$PWNED" ] && why+="a shell ran the name; " && rm -f "$PWNED"
	[ "$(state_listing)" == "$LISTING" ] || why+="the state directory changed; "
	d="config key $(printf '%q' "$name" | cut -c1-60): exit 78 naming it, nothing touched"
	if [ -z "$why" ]; then
		t_ok "$d"
	else
		t_fail "$d"
		t_diag "$why"
		t_diag "stderr: $(printf '%q' "$ERR" | cut -c1-300)"
	fi
done
cp "$W/good.json" "$CFG"

# ---- hostile names in docker labels (what discovery reads) ---------------

# Objects labelled as bottle's, with names bottle must not adopt.
LBL_NET=hostile-lbl-213
LBL_CTR=hostile-lbl-213-ctr
t_defer "docker rm -f $LBL_CTR; docker network rm $LBL_NET"
docker network create --label dev.bottle.managed=1 \
	--label "dev.bottle.name=../../etc" "$LBL_NET" >/dev/null
docker create --label dev.bottle.managed=1 --label "dev.bottle.name=\$(touch $PWNED)" \
	--name "$LBL_CTR" bottle-demo-bundle:latest >/dev/null
brun ls --json
t_eq "ls with hostile labels exits 0" 0 "$RC"
t_nomatch "ls --json adopts no bottle from a hostile label" \
	'"name": *"(\.\./\.\./etc|\$\(touch)' "$OUT"
t_nomatch "ls: no sanitizer report" "$SAN_RE" "$ERR"
# (never `down --all` here: it would act on every bottle on the machine,
# other tests' included)
brun down hn1 "$LONG_OK"
t_eq "down of the configured bottles exits 0" 0 "$RC"
t_eq "down left the hostile-labelled network alone" 1 \
	"$(docker network ls --filter "name=^$LBL_NET\$" -q | wc -l)"
t_eq "down left the hostile-labelled container alone" 1 \
	"$(docker ps -a --filter "name=^$LBL_CTR\$" -q | wc -l)"
t_check "no shell ran a label" test ! -e "$PWNED"
# (and, from smolvm 1.1.0, bottle's image cache "images")
cache=images
t_at_tsi && cache=
t_eq "the state directory holds only the configured bottles" \
	"$(printf '%s\n' hn1 "$LONG_OK" $cache | sort)" \
	"$(cd "$BOTTLE_STATE_DIR" && find . -mindepth 1 -maxdepth 1 -type d | sed 's|^\./||' | sort)"
docker rm -f "$LBL_CTR" >/dev/null
docker network rm "$LBL_NET" >/dev/null

brun rm "$LONG_OK" hn1
t_eq "rm exits 0" 0 "$RC"
[ "$RC" = 0 ] || t_diag "$ERR"
t_world_clean_check
