#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# liboxport-1.0.so exports only the oxp_/Oxp namespace (hidden visibility
# plus OXP_API), and each plugin module exports exactly its descriptor.
# Prints TAP.

builddir=${OXP_TOP_BUILDDIR:-.}
lib="$builddir/.libs/liboxport-1.0.so"
n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }

# Defined dynamic symbols of $1, one per line.
defined_symbols () {
  nm -D --defined-only "$1" | awk 'NF >= 3 { print $3 }' | sort -u
}

plugins=$(ls "$builddir"/plugins/*/.libs/*.so 2>/dev/null)
set -- $plugins
echo "1..$((4 + $#))"

if ! command -v nm >/dev/null 2>&1; then
  echo "Bail out! nm (binutils) is needed"
  exit 1
fi
if test ! -f "$lib"; then
  echo "Bail out! $lib not built"
  exit 1
fi

symbols=$(defined_symbols "$lib")
foreign=$(printf '%s\n' "$symbols" | grep -v -E '^(oxp_|Oxp)')
if test -z "$foreign"; then
  ok "every symbol liboxport-1.0.so exports starts with oxp_ or Oxp"
else
  not_ok "liboxport-1.0.so exports symbols outside the namespace"
  printf '%s\n' "$foreign" | sed 's/^/# /'
fi

internal=$(printf '%s\n' "$symbols" | grep -E '^_oxp_')
if test -z "$internal"; then
  ok "no _oxp_ internal helper is exported"
else
  not_ok "internal helpers are exported"
  printf '%s\n' "$internal" | sed 's/^/# /'
fi

# The public API is really there (a broken OXP_API would hide it).
missing=
for s in oxp_tasks_manager_new oxp_tasks_manager_load_plugins oxp_plugin_register_model \
         oxp_plugin_get_type oxp_plugin_error_quark oxp_onnx_config_get_type; do
  printf '%s\n' "$symbols" | grep -q -x "$s" || missing="$missing $s"
done
if test -z "$missing"; then
  ok "the public entry points are exported"
else
  not_ok "public entry points missing from the dynamic symbol table:$missing"
fi

count=$(printf '%s\n' "$symbols" | grep -c .)
if test "$count" -ge 50; then
  ok "liboxport-1.0.so exports $count symbols"
else
  not_ok "liboxport-1.0.so exports only $count symbols"
fi

# A plugin exports its descriptor and nothing else.
for so in "$@"; do
  base=$(basename "$so" .so)
  name=$(printf '%s' "$base" | sed -e 's/^lib//' -e 's/^oxport-//' -e 's/[^A-Za-z0-9_]/_/g')
  got=$(defined_symbols "$so" | tr '\n' ' ')
  if test "$got" = "oxp_plugin_${name}_desc "; then
    ok "$base exports only oxp_plugin_${name}_desc"
  else
    not_ok "$base must export only oxp_plugin_${name}_desc (build it with -fvisibility=hidden)"
    echo "# exported: $got"
  fi
done

exit $failed
