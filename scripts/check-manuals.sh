#!/usr/bin/env bash
# Checks the generated manuals and completion (tools/docgen.cpp) against the tool's own --help:
# one page per subcommand, every option --help shows is in its page, each page renders without a
# groff warning, and the completion completes subcommands and options.
#   scripts/check-manuals.sh TUNTAP_BINARY MAN_DIR
set -euo pipefail
tuntap=${1:?usage: scripts/check-manuals.sh TUNTAP_BINARY MAN_DIR}
dir=${2:?usage: scripts/check-manuals.sh TUNTAP_BINARY MAN_DIR}
fail() { echo "check-manuals: $*" >&2; exit 1; }
# The subcommands --help lists: the indented words under SUBCOMMANDS.
mapfile -t subs < <("$tuntap" --help | awk 'toupper($0) ~ /^SUBCOMMANDS:/ {on=1; next} on && /^  [a-z]/ {print $1}')
((${#subs[@]} > 0)) || fail "tuntap --help lists no subcommands"
# Options in a page's source: roff escapes hyphens.
options_of_page() { sed 's/\\-/-/g' "$1"; }
check_page() {  # PAGE HELP_TEXT
  local page=$1 help=$2 warnings option text
  [[ -f $page ]] || fail "no page $page"
  warnings=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
  [[ -z $warnings ]] || fail "$page renders with warnings: $warnings"
  # Read once, not piped into grep -q: grep leaving at the first match would kill the writer of a
  # page longer than a pipe write with SIGPIPE, and pipefail would report the option missing.
  text=$(options_of_page "$page")
  while read -r option; do
    grep -qE -- "(^|[^-a-z0-9])${option}([^-a-z0-9]|$)" <<<"$text" ||
      fail "$(basename "$page") lacks $option, which --help shows"
  done < <(grep -oE -- '(^|[ ,])--?[A-Za-z0-9][A-Za-z0-9-]*' <<<"$help" | sed 's/^[ ,]*//' | sort -u)
}
check_page "$dir/tuntap.1" "$("$tuntap" --help)"
for sub in "${subs[@]}"; do check_page "$dir/tuntap-$sub.1" "$("$tuntap" "$sub" --help)"; done
pages=$(find "$dir" -name 'tuntap-*.1' | wc -l)
((pages == ${#subs[@]})) || fail "$pages subcommand pages for ${#subs[@]} subcommands"
complete() {  # WORDS...: what the completion offers for the last word
  bash -c 'source "$0"; COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); _tuntap; echo "${COMPREPLY[*]}"' \
    "$dir/tuntap.bash" "$@"
}
[[ $(complete tuntap b) == bridge ]] || fail "'tuntap b' completes to '$(complete tuntap b)', not bridge"
for sub in "${subs[@]}"; do
  [[ " $(complete tuntap "$sub" --) " == *" --help "* ]] || fail "'tuntap $sub --' does not complete --help"
done
echo "check-manuals: ${#subs[@]} subcommand pages and tuntap(1) list every option of --help, render cleanly;" \
  "the completion completes subcommands and options"
