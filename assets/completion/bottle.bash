# bash completion for bottle(1)                            -*- shell-script -*-
#
# Installed as share/bash-completion/completions/bottle (loaded on demand by
# bash-completion), or sourced directly. Needs nothing from bash-completion.
# Every candidate comes from the program itself, as plain lines:
#   bottle __complete verbs            VERB<TAB>ARGS<TAB>HELP
#   bottle __complete options [VERB]   OPTION<TAB>VALUE<TAB>HELP
#   bottle __complete sources          values of logs --source
#   bottle [-c FILE] __complete names  bottle names (configuration, state,
#                                      docker)

# _bottle_lines BIN CFG... -- ARGS...: the first field of each line that
# `BIN CFG... __complete ARGS...` prints, in the array _bottle_out.
_bottle_lines() {
	local bin=$1 line
	shift
	local -a cfg=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		cfg+=("$1")
		shift
	done
	shift
	_bottle_out=()
	while IFS= read -r line; do
		_bottle_out+=("${line%%$'\t'*}")
	done < <("$bin" "${cfg[@]}" __complete "$@" 2>/dev/null)
}

# _bottle_field LINE N: field N (1-3) of a tab-separated line (read with
# IFS=$'\t' would merge the empty middle field: tab is IFS whitespace).
_bottle_field() {
	local rest=${1#*$'\t'}
	case $2 in
	1) printf '%s' "${1%%$'\t'*}" ;;
	2) printf '%s' "${rest%%$'\t'*}" ;;
	3) printf '%s' "${rest#*$'\t'}" ;;
	esac
}

# _bottle_value OPTION: the kind of value OPTION takes ("" for a flag or an
# unknown option), from the lines in _bottle_opts.
_bottle_value() {
	local line
	for line in "${_bottle_opts[@]}"; do
		if [ "${line%%$'\t'*}" = "$1" ]; then
			_bottle_field "$line" 2
			return 0
		fi
	done
	return 1
}

_bottle_reply() { # _bottle_reply CUR WORD...: the WORDs that start with CUR
	local cur=$1 w
	shift
	for w in "$@"; do
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
}

_bottle() {
	local bin=${1:-bottle} cur=${COMP_WORDS[COMP_CWORD]} prev="" i w
	local verb="" vi=0 optword="" kind args="" f
	local -a cfg=() _bottle_out=() _bottle_opts=()
	COMPREPLY=()
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# "--source=ev" arrives as "--source" "=" "ev" (= is a word break)
	if [ "$cur" = "=" ]; then
		optword=$prev
		cur=""
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -ge 2 ]; then
		optword=${COMP_WORDS[COMP_CWORD - 2]}
	fi

	# global options and the verb
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-c | --config)
			# "--config=FILE" arrives as "--config" "=" "FILE"
			[ "${COMP_WORDS[i + 1]}" = "=" ] && i=$((i + 1))
			if [ $((i + 1)) -lt "$COMP_CWORD" ]; then
				f=${COMP_WORDS[i + 1]}
				[[ $f == "~/"* ]] && f=$HOME/${f#"~/"}
				cfg=(-c "$f")
			fi
			i=$((i + 1))
			;;
		-*) ;;
		=) ;;
		*)
			verb=$w
			vi=$i
			break
			;;
		esac
	done

	if [ -z "$verb" ]; then
		case ${optword:-$prev} in
		-c | --config)
			COMPREPLY=($(compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
			return 0
			;;
		esac
		if [[ $cur == -* ]]; then
			_bottle_lines "$bin" -- options
		else
			_bottle_lines "$bin" -- verbs
		fi
		_bottle_reply "$cur" "${_bottle_out[@]}"
		return 0
	fi

	# exec: after "--" comes the command, in the VM: no candidates here
	if [ "$verb" = exec ]; then
		for ((i = vi + 1; i < COMP_CWORD; i++)); do
			[ "${COMP_WORDS[i]}" = -- ] && return 0
		done
	fi

	# the value of an option
	while IFS= read -r w; do
		_bottle_opts+=("$w")
	done < <("$bin" __complete options "$verb" 2>/dev/null)
	w=${optword:-$prev}
	if [[ $w == -* ]] && [ "$w" != -- ]; then
		kind=$(_bottle_value "$w")
		case $kind in
		source)
			_bottle_lines "$bin" -- sources
			_bottle_reply "$cur" "${_bottle_out[@]}"
			return 0
			;;
		file)
			COMPREPLY=($(compgen -f -- "$cur"))
			compopt -o filenames 2>/dev/null
			return 0
			;;
		"") ;;
		*) return 0 ;; # a value bottle cannot guess (K=V, a number, ...)
		esac
	fi

	if [[ $cur == -* ]]; then
		for w in "${_bottle_opts[@]}"; do
			w=${w%%$'\t'*}
			[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
		done
		return 0
	fi

	# positional words: bottle names
	while IFS= read -r w; do
		[ "${w%%$'\t'*}" = "$verb" ] && args=$(_bottle_field "$w" 2)
	done < <("$bin" __complete verbs 2>/dev/null)
	[ -z "$args" ] && return 0
	local -a given=()
	for ((i = vi + 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		-* | =) continue ;;
		esac
		# skip the value of an option that takes one
		if [[ ${COMP_WORDS[i - 1]} == -* ]] && [ "${COMP_WORDS[i - 1]}" != -- ] &&
			[ -n "$(_bottle_value "${COMP_WORDS[i - 1]}")" ]; then
			continue
		fi
		[ "${COMP_WORDS[i - 1]}" = "=" ] && continue
		given+=("$w")
	done
	[ "$args" = name ] && [ ${#given[@]} -gt 0 ] && return 0
	_bottle_lines "$bin" "${cfg[@]}" -- names
	for w in "${_bottle_out[@]}"; do
		for f in "${given[@]}"; do
			[ "$w" = "$f" ] && continue 2
		done
		[[ $w == "$cur"* ]] && COMPREPLY+=("$w")
	done
	return 0
}

complete -F _bottle bottle
