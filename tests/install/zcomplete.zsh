#!/usr/bin/env zsh
# tests/install/zcomplete.zsh FPATH_DIR OUT LINE: the candidates zsh's real
# completion system offers for LINE (the cursor at its end), one per line
# in OUT. Runs an interactive zsh in a pseudo-terminal (zsh/zpty), loads
# compinit with FPATH_DIR first in $fpath, and presses a key bound to a
# widget that completes LINE with compadd wrapped to record every match.
emulate -L zsh
zmodload zsh/zpty || { print -u2 "zcomplete: no zsh/zpty"; exit 2 }
dir=$1 out=$2 line=$3
: >| $out
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -U compinit; compinit -u -d ${(q)out}.zcd"
zpty -w z "compadd() { local -a __h; builtin compadd -A __h \"\$@\"; (( \$#__h )) && print -rl -- \$__h >> ${(q)out}; builtin compadd \"\$@\" }"
zpty -w z "__zt_line=${(q)line}"
zpty -w z "__zt() { BUFFER=\$__zt_line; CURSOR=\$#BUFFER; zle complete-word; print -r -- __ZT_END__ >> ${(q)out}; BUFFER=; zle send-break }"
zpty -w z "zle -N __zt; bindkey '^T' __zt"
zpty -w -n z $'\x14'
integer i
for (( i = 0; i < 200; i++ )); do
	grep -q '^__ZT_END__$' $out 2>/dev/null && break
	sleep 0.05
done
zpty -d z
rm -f $out.zcd
grep -v '^__ZT_END__$' $out >| $out.tmp; mv -f $out.tmp $out
(( i < 200 ))
