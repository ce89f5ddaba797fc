#!/usr/bin/env bash
# Checks every git-tracked C and C++ file (*.c *.cpp *.h *.hpp) against .clang-format.
#   scripts/check-format.sh         list the files that drift; exit 1 if any, 0 if none
#   scripts/check-format.sh --fix   reformat those files in place (clang-format -i)
# Exit 2 when clang-format is missing (Debian: apt-get install clang-format-14), cannot read
# .clang-format, or is given a bad argument.
set -euo pipefail
fix=0
case "${1:-}" in
  "") ;;
  --fix) fix=1 ;;
  -h|--help) sed -n '2,6s/^# \{0,1\}//p' "$0"; exit 0 ;;
  *) echo "check-format: unknown argument '$1' (try --fix or --help)" >&2; exit 2 ;;
esac

# The version .clang-format was tuned with first; another version may lay out a few lines differently.
if command -v clang-format-14 >/dev/null 2>&1; then
  cf=clang-format-14
elif command -v clang-format >/dev/null 2>&1; then
  cf=clang-format
else
  echo "check-format: clang-format not found (Debian: apt-get install clang-format-14)" >&2
  exit 2
fi

cd "$(dirname "$0")"
cd "$(git rev-parse --show-toplevel)"

if [ ! -f .clang-format ]; then
  echo "check-format: no .clang-format at $(pwd)" >&2
  exit 2
fi
if ! "$cf" --dump-config --style=file >/dev/null; then
  echo "check-format: $cf cannot read .clang-format (see above)" >&2
  exit 2
fi

mapfile -d '' files < <(git ls-files -z -- '*.c' '*.cpp' '*.h' '*.hpp')
present=()
for f in "${files[@]}"; do
  [ -f "$f" ] && present+=("$f")  # skip files deleted in the work tree but still in the index
done
if [ "${#present[@]}" -eq 0 ]; then
  echo "check-format: no C or C++ files tracked"
  exit 0
fi

# One run over all files; with --ferror-limit=1 each drifting file reports its first difference only.
log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
printf '%s\0' "${present[@]}" | xargs -0 "$cf" --dry-run --Werror --ferror-limit=1 >/dev/null 2>"$log" || status=$?
mapfile -t drift < <(sed -n 's/^\(.*\):[0-9]*:[0-9]*: error: code should be clang-formatted.*/\1/p' "$log" | sort -u)
if [ "$status" -ne 0 ] && [ "${#drift[@]}" -eq 0 ]; then
  cat "$log" >&2
  echo "check-format: $cf failed (see above)" >&2
  exit 2
fi

if [ "${#drift[@]}" -eq 0 ]; then
  echo "check-format: ${#present[@]} files formatted ($cf)"
  exit 0
fi

if [ "$fix" -eq 1 ]; then
  "$cf" -i "${drift[@]}"
  printf '  %s\n' "${drift[@]}"
  echo "check-format: reformatted ${#drift[@]} files ($cf); review with git diff"
  exit 0
fi

printf '  %s\n' "${drift[@]}"
echo "check-format: ${#drift[@]} of ${#present[@]} files are not formatted ($cf)." >&2
echo "  fix them:  scripts/check-format.sh --fix    (or: $cf -i FILE...)" >&2
echo "  see how:   $cf FILE | diff FILE -" >&2
exit 1
