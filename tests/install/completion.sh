#!/usr/bin/env bash
# tests/install/completion.sh: shell completion (assets/completion/) and
# the hidden `bottle __complete` it reads. bash is driven the way bash
# drives it (COMP_WORDS split as bash splits, "=" a word of its own, then
# the function `complete -p bottle` names); zsh through its real
# completion system in a pseudo-terminal (zcomplete.zsh) and fish with
# `complete -C`, each when installed. Names come from a private
# configuration, a private state.json and a fake docker: no docker engine,
# no root, nothing outside a temporary directory.
. "$(dirname "$0")/../lib.sh"

BOTTLE=${BOTTLE:-$T_ROOT/build/asan/bottle}
# The shells call `bottle` several times per TAB: on PATH is the plain
# build (the sanitizer build starts ten times slower); __complete itself
# is checked with $BOTTLE.
PLAIN=${BOTTLE_PLAIN:-$T_ROOT/bottle}
[ -x "$PLAIN" ] || PLAIN=$BOTTLE
COMP=$T_ROOT/assets/completion
t_tmpdir T

mkdir -p "$T/bin" "$T/state" "$T/config/bottle"
ln -s "$PLAIN" "$T/bin/bottle"
export PATH=$T/bin:$PATH
bottle() { "$BOTTLE" "$@"; }
export BOTTLE_STATE_DIR=$T/state XDG_CONFIG_HOME=$T/config HOME=$T
export XDG_CACHE_HOME=$T/cache XDG_DATA_HOME=$T/data

# configured: alpha, beta-2 (the default configuration file) and, in
# another file given with -c, other-1
cat >"$T/config/bottle/bottles.json" <<'EOF'
{"defaults": {"vmm": "sim", "probes": {"resolver": null},
              "vm": {"image": "bottle-demo-vm:latest"},
              "bundle": {"image": "bottle-demo-bundle:latest"}},
 "bottles": {"alpha": {}, "beta-2": {}}}
EOF
cat >"$T/other.json" <<'EOF'
{"defaults": {"vmm": "sim", "probes": {"resolver": null},
              "vm": {"image": "bottle-demo-vm:latest"},
              "bundle": {"image": "bottle-demo-bundle:latest"}},
 "bottles": {"other-1": {}}}
EOF
# remembered by state.json only: gamma (and alpha, which must not repeat)
cat >"$T/state/state.json" <<'EOF'
{"version": 1,
 "bottles": {"gamma": {"subnet": "10.213.9.0/28", "bundle_ip": "10.213.9.2", "step": "healthy"},
             "alpha": {"subnet": "10.213.9.16/28", "bundle_ip": "10.213.9.18", "step": "down"}}}
EOF
# known to docker only: delta (a labelled container); a container whose
# label is no bottle name is ignored, an unlabelled one too
cat >"$T/bin/fake-docker" <<'EOF'
#!/bin/sh
case "$*" in
"ps -a --no-trunc --filter label=dev.bottle.managed=1 --format {{json .}}")
	echo '{"ID":"1111","Names":"bottle-delta-bundle","State":"running","Labels":"dev.bottle.managed=1,dev.bottle.name=delta"}'
	echo '{"ID":"2222","Names":"x","State":"running","Labels":"dev.bottle.managed=1,dev.bottle.name=../Bad Name"}'
	echo '{"ID":"3333","Names":"bottle-zeta-bundle","State":"running","Labels":"dev.bottle.name=zeta"}'
	;;
*) exit 1 ;;
esac
EOF
chmod +x "$T/bin/fake-docker"
export BOTTLE_DOCKER=$T/bin/fake-docker

# ---- bottle __complete ------------------------------------------------

lines() { tr '\n' ' ' | sed 's/ $//'; }

out=$(bottle __complete names 2>"$T/err")
t_eq "__complete names: configuration + state.json + docker, sorted, once each" \
	"alpha beta-2 delta gamma" "$(lines <<<"$out")"
t_eq "__complete names prints nothing on stderr" "" "$(cat "$T/err")"
out=$(bottle -c "$T/other.json" __complete names 2>/dev/null)
t_eq "__complete names follows -c FILE" "alpha delta gamma other-1" "$(lines <<<"$out")"
out=$(bottle -c "$T/missing.json" __complete names 2>"$T/err")
rc=$?
t_eq "__complete names without a configuration: exit 0" 0 "$rc"
t_eq "__complete names without a configuration: state and docker, no message" \
	"alpha delta gamma|" "$(lines <<<"$out")|$(cat "$T/err")"
printf '{"bottles": {"alpha": {"vm": {"cpu": 1}}}}' >"$T/bad.json"
out=$(bottle -c "$T/bad.json" __complete names 2>"$T/err")
t_eq "__complete names with an invalid configuration: quiet" "alpha delta gamma|" \
	"$(lines <<<"$out")|$(cat "$T/err")"
printf '#!/bin/sh\nexec sleep 60\n' >"$T/bin/hung-docker"
chmod +x "$T/bin/hung-docker"
out=$(BOTTLE_DOCKER=$T/bin/hung-docker timeout 30 bottle __complete names 2>/dev/null)
t_eq "__complete names with a hung docker: returns, without docker's names" \
	"alpha beta-2 gamma" "$(lines <<<"$out")"
out=$(BOTTLE_DOCKER=$T/nonexistent bottle __complete names 2>/dev/null)
t_eq "__complete names without docker" "alpha beta-2 gamma" "$(lines <<<"$out")"

out=$(bottle __complete verbs | cut -f1)
t_eq "__complete verbs" "ls up down rm status probe exec shell logs prepare doctor" \
	"$(lines <<<"$out")"
t_eq "__complete sources" "events bundle vm egress all" "$(bottle __complete sources | lines)"
bottle __complete options nosuchverb >/dev/null 2>&1
t_eq "__complete options of an unknown verb: exit 2" 2 "$?"
bottle __complete bogus >/dev/null 2>&1
t_eq "__complete bogus: exit 2" 2 "$?"
t_nomatch "__complete stays out of --help" "__complete" "$(bottle --help)"

# Every option offered is one its verb accepts (exit status is never the
# usage error 2; the missing configuration stops the verb after parsing),
# and the check catches an option the verb does not know.
verbs=$(bottle __complete verbs | cut -f1)
bad=""
for v in $verbs; do
	while IFS= read -r line; do
		o=${line%%$'\t'*}
		rest=${line#*$'\t'}
		kind=${rest%%$'\t'*}
		args=("$v")
		case $v in ls | doctor) ;; *) args+=(x) ;; esac
		case $kind in
		"") args+=("$o") ;;
		source) args+=("$o" vm) ;;
		number) args+=("$o" 5) ;;
		duration) args+=("$o" 10s) ;;
		env) args+=("$o" K=V) ;;
		dir) args+=("$o" /tmp) ;;
		*) args+=("$o" x) ;;
		esac
		case $v in exec) [ "$o" = -- ] && args+=(true) || args+=(-- true) ;; esac
		[ "$v" = doctor ] && continue
		BOTTLE_DOCKER=/bin/false timeout 30 "$PLAIN" -c "$T/missing.json" "${args[@]}" \
			>/dev/null 2>"$T/err" </dev/null
		rc=$?
		if [ $rc = 2 ] || grep -q 'unknown option' "$T/err"; then
			bad="$bad $v$o"
		fi
	done < <(bottle __complete options "$v")
done
t_eq "every offered option is accepted by its verb" "" "$bad"
"$PLAIN" -c "$T/missing.json" ls --bogus >/dev/null 2>&1
t_eq "(control: ls --bogus is a usage error)" 2 "$?"
n=$(for v in $verbs; do bottle __complete options "$v"; done | wc -l)
t_check "(control: the loop above saw options: $n)" test "$n" -ge 20

# ---- bash ---------------------------------------------------------------

# comp WORD...: the candidates bash's completion offers when the cursor is
# at the end of the last WORD (words as bash splits them: "=" alone).
comp() {
	(
		# shellcheck source=/dev/null
		. "$COMP/bottle.bash"
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		COMPREPLY=()
		spec=$(complete -p bottle)
		fn=${spec#*-F }
		fn=${fn%% *}
		"$fn" bottle "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf '%s\n' "${COMPREPLY[@]}" | sort | lines
	)
}

spec=$(bash -c ". '$COMP/bottle.bash'; complete -p bottle")
t_eq "bash: complete -p bottle" "complete -F _bottle bottle" "$spec"
t_eq "bash: verbs" "doctor down exec logs ls prepare probe rm shell status up" \
	"$(comp bottle "")"
t_eq "bash: verbs starting with d" "doctor down" "$(comp bottle d)"
t_eq "bash: global options" "--config --help --read-only --version -V -c -h" \
	"$(comp bottle -)"
t_eq "bash: a global option before the verb is skipped" "doctor down" \
	"$(comp bottle --read-only d)"
t_eq "bash: ls options" "--json" "$(comp bottle ls -)"
t_eq "bash: up options" "--all" "$(comp bottle up -)"
t_eq "bash: probe options" "--all --json" "$(comp bottle probe -)"
t_eq "bash: logs options" "--follow --lines --raw --source --tail -f -n" \
	"$(comp bottle logs -)"
t_eq "bash: exec options" "-- --env --interactive --timeout --tty --workdir -e -i -t -w" \
	"$(comp bottle exec -)"
t_eq "bash: shell options (no --timeout, no -i/-t)" "--env --workdir -e -w" \
	"$(comp bottle shell -)"
t_eq "bash: rm has no option" "" "$(comp bottle rm -)"
t_eq "bash: --source values" "all bundle egress events vm" "$(comp bottle logs --source "")"
t_eq "bash: --source=e (= a word of its own)" "egress events" "$(comp bottle logs --source = e)"
t_eq "bash: --source= with nothing typed" "all bundle egress events vm" \
	"$(comp bottle logs --source = "")"
t_eq "bash: up NAME: every bottle" "alpha beta-2 delta gamma" "$(comp bottle up "")"
t_eq "bash: up NAME: by prefix" "alpha" "$(comp bottle up a)"
t_eq "bash: up takes more names, not those given" "delta gamma" \
	"$(comp bottle up alpha beta-2 "")"
t_eq "bash: status takes one name" "" "$(comp bottle status alpha "")"
t_eq "bash: logs NAME after -n 5 (a value, not a name)" "alpha beta-2 delta gamma" \
	"$(comp bottle logs -n 5 "")"
t_eq "bash: logs NAME after --source=vm" "alpha beta-2 delta gamma" \
	"$(comp bottle logs --source = vm "")"
t_eq "bash: -c FILE: that file's bottles" "alpha delta gamma other-1" \
	"$(comp bottle -c "$T/other.json" down "")"
t_eq "bash: --config FILE too" "other-1" "$(comp bottle --config "$T/other.json" down o)"
t_eq "bash: --config=FILE too (= a word of its own)" "other-1" \
	"$(comp bottle --config = "$T/other.json" down o)"
t_eq "bash: --config=FILE completes files" "$T/other.json" \
	"$(comp bottle --config = "$T/other")"
t_eq "bash: doctor takes no name" "" "$(comp bottle doctor "")"
t_eq "bash: ls takes no name" "" "$(comp bottle ls "")"
t_eq "bash: exec after -- offers nothing of bottle's" "" "$(comp bottle exec alpha -- "")"
t_eq "bash: exec -e takes K=V, no candidates" "" "$(comp bottle exec alpha -e "")"
touch "$T/conf-a.json"
t_eq "bash: -c completes files" "$T/conf-a.json" "$(comp bottle -c "$T/conf-")"

# ---- zsh --------------------------------------------------------------

if command -v zsh >/dev/null 2>&1 && zsh -fc 'zmodload zsh/zpty' 2>/dev/null; then
	mkdir -p "$T/zfunc"
	cp "$COMP/_bottle" "$T/zfunc/_bottle"
	zcomp() {
		if zsh -f "$T_ROOT/tests/install/zcomplete.zsh" "$T/zfunc" "$T/zout" "$1" \
			2>>"$T/zerr"; then
			sort -u "$T/zout" | lines
		else
			echo "(zsh completion did not finish)"
		fi
	}
	t_eq "zsh: verbs" "doctor down exec logs ls prepare probe rm shell status up" \
		"$(zcomp 'bottle ')"
	t_eq "zsh: logs options" "--follow --lines --raw --source --tail -f -n" \
		"$(zcomp 'bottle logs -')"
	t_eq "zsh: --source values" "all bundle egress events vm" "$(zcomp 'bottle logs --source ')"
	t_eq "zsh: --source=e" "egress events" "$(zcomp 'bottle logs --source=e')"
	t_eq "zsh: up NAME" "alpha beta-2 delta gamma" "$(zcomp 'bottle up ')"
	t_eq "zsh: up takes more names, not those given" "delta gamma" \
		"$(zcomp 'bottle up alpha beta-2 ')"
	t_eq "zsh: status takes one name" "" "$(zcomp 'bottle status alpha ')"
	t_eq "zsh: -c FILE: that file's bottles" "alpha delta gamma other-1" \
		"$(zcomp "bottle -c $T/other.json rm ")"
	t_eq "zsh: doctor takes no name" "" "$(zcomp 'bottle doctor ')"
	if [ -s "$T/zerr" ]; then t_diag "zsh: $(head -c 500 "$T/zerr")"; fi
else
	t_skip "zsh completion" "zsh (with zsh/zpty) is not installed"
fi

# ---- fish ---------------------------------------------------------------

if command -v fish >/dev/null 2>&1; then
	fcomp() {
		fish --no-config -c "source '$COMP/bottle.fish'; complete -C '$1'" 2>>"$T/ferr" |
			cut -f1 | sort | lines
	}
	t_eq "fish: verbs" "doctor down exec logs ls prepare probe rm shell status up" \
		"$(fcomp 'bottle ')"
	t_eq "fish: logs options" "--follow --lines --raw --source --tail -f -n" \
		"$(fcomp 'bottle logs -')"
	t_eq "fish: --source values" "all bundle egress events vm" "$(fcomp 'bottle logs --source ')"
	t_eq "fish: up takes more names, not those given" "delta gamma" \
		"$(fcomp 'bottle up alpha beta-2 ')"
	t_eq "fish: status takes one name" "" "$(fcomp 'bottle status alpha ')"
	t_eq "fish: -c FILE: that file's bottles" "alpha delta gamma other-1" \
		"$(fcomp "bottle -c $T/other.json rm ")"
	if [ -s "$T/ferr" ]; then t_diag "fish: $(head -c 500 "$T/ferr")"; fi
else
	t_skip "fish completion" "fish is not installed"
fi
