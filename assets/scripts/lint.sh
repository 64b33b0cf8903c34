#!/usr/bin/env bash
# lint.sh: what `make lint` checks. Fails on the first kind of problem
# found, after printing all of that kind.
set -u
cd "$(dirname "$0")/../.."
rc=0
files=$(git ls-files 'src/*.c' 'src/*.h' 'src/helper/*.c' 'ui/*.c' 'ui/*.h' 'tests/unit/*.c' 'tests/fuzz/*.c')

# 1. banned libc calls (see style.md)
banned='\b(strcpy|strcat|strncpy|strncat|sprintf|vsprintf|strtok|gets|atoi|system)[[:space:]]*\('
if grep -nE "$banned" $files | grep -v '^\S*:[0-9]*:\s*/\?\*'; then
	echo "lint: banned calls above (use snprintf, xasprintf, strtol, buf_*)" >&2
	rc=1
fi

# 2. clang-format, when installed
if command -v clang-format >/dev/null 2>&1; then
	bad=""
	for f in $files; do
		clang-format --dry-run -Werror "$f" >/dev/null 2>&1 || bad="$bad $f"
	done
	if [ -n "$bad" ]; then
		echo "lint: not clang-formatted:$bad" >&2
		echo "      fix: clang-format -i$bad" >&2
		rc=1
	fi
else
	echo "lint: clang-format not installed; skipping the format check" >&2
fi

# 3. cppcheck, when installed
if command -v cppcheck >/dev/null 2>&1; then
	if ! cppcheck --quiet --error-exitcode=1 --enable=warning,portability \
		--inline-suppr --std=c11 -Isrc -Iui -D__GNUC__ \
		--suppress=missingIncludeSystem src ui 2>&1; then
		echo "lint: cppcheck found problems" >&2
		rc=1
	fi
else
	echo "lint: cppcheck not installed; skipping" >&2
fi

# 4. every non-static function in a module carries its prefix
prefix_out=$(mktemp "${TMPDIR:-/tmp}/bottle-lint.XXXXXX")
trap 'rm -f "$prefix_out"' EXIT
for f in $(git ls-files 'src/*.c' 'ui/*.c'); do
	case $f in src/main.c | src/util.c) continue ;; esac
	mod=$(basename "$f" .c | tr '-' '_')
	grep -nE '^[a-z][a-z0-9_ *]*[ *]([a-z_][a-z0-9_]*)\(' "$f" |
		grep -vE '^[0-9]+:static ' |
		sed -E 's/^([0-9]+):.*[ *]([a-z_][a-z0-9_]*)\(.*/\1 \2/' |
		while read -r line fn; do
			case $fn in "$mod"_* | "$mod" | main) ;; LLVMFuzzer*) ;; *)
				echo "$f:$line: $fn lacks the module prefix ${mod}_" ;;
			esac
		done
done | tee "$prefix_out" >&2
[ -s "$prefix_out" ] && rc=1

[ $rc = 0 ] && echo "lint: clean"
exit $rc
