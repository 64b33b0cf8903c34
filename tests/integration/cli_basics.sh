#!/usr/bin/env bash
# tests/integration/cli_basics.sh: --version, --help, usage errors and
# their exit statuses; nothing here needs docker.
. "$(dirname "$0")/../lib.sh"
B=${BOTTLE:-$T_ROOT/build/asan/bottle}

out=$("$B" --version)
t_eq "--version exits 0" 0 $?
t_match "--version prints bottle X.Y.Z" '^bottle [0-9]+\.[0-9]+\.[0-9]+$' "$out"
out=$("$B" --help)
t_eq "--help exits 0" 0 $?
for verb in ls up down rm status probe exec shell logs prepare doctor; do
	t_match "--help lists $verb" "^  $verb( |$)" "$out"
done
t_match "--help gives the exit statuses" "78 configuration error" "$out"

err=$("$B" frobnicate 2>&1 >/dev/null)
t_eq "an unknown command exits 2" 2 $?
t_match "and says so" 'unknown command "frobnicate"' "$err"
err=$("$B" --frob 2>&1 >/dev/null)
t_eq "an unknown option exits 2" 2 $?
err=$("$B" $'\e]52;c;aGk=\a' 2>&1 >/dev/null)
t_nomatch "a hostile command word is printed inert (no ESC)" $'\e' "$err"
err=$("$B" -c 2>&1 >/dev/null)
t_eq "-c without a file exits 2" 2 $?
err=$("$B" -c /nonexistent/bottles.json ls 2>&1 >/dev/null)
t_eq "a missing configuration exits 78" 78 $?
