#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# oxport(1) documents every command of `oxport --help` and every option of
# `oxport COMMAND --help`: in the command's ".SS" section, or, for the
# options every command shares, in COMMON OPTIONS.  A new option without a
# man entry fails here.  TAP.
set -u
man=${OXP_MAN_PAGE:?}
oxport=${OXPORT:?}
n=0 failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $1"; }

# The man page's section for $1 ("oxport export", "COMMON OPTIONS"), with
# roff's \- turned into -.
section () {
  sed 's/\\-/-/g' "$man" | awk -v want="$1" '
    /^\.S[HS] / { t = $0; sub(/^\.S[HS] /, "", t); gsub(/"/, "", t); on = (t == want); next }
    on { print }'
}

commands=$("$oxport" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }')
[ -n "$commands" ] && ok "oxport --help lists commands" || not_ok "oxport --help lists commands"
common=$(section "COMMON OPTIONS")
for c in $commands; do
  body=$(section "oxport $c")
  if [ -n "$body" ]; then ok "man page has a section for $c"; else not_ok "man page has a section for $c"; fi
  [ "$c" = help ] && continue
  # Long options of the "Application Options" block (and --help).
  opts=$("$oxport" "$c" --help 2>&1 | awk '/^Application Options:/ { on = 1; next } /^$/ { on = 0 } on' \
    | grep -o -- '--[a-z0-9][a-z0-9_-]*' | sort -u)
  [ -n "$opts" ] || { not_ok "$c --help lists options"; continue; }
  for o in $opts --help; do
    if printf '%s\n%s\n' "$body" "$common" | grep -q -e "$o\\b" -e "$o=" -e "$o\$"; then
      ok "man page documents $c $o"
    else
      not_ok "man page documents $c $o"
    fi
  done
done
# --version comes before a command.
if sed 's/\\-/-/g' "$man" | grep -q -- '--version'; then ok "--version documented"; else not_ok "--version documented"; fi
echo "1..$n"
[ "$failed" -eq 0 ]
