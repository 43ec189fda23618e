#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Installs oxport into a temporary prefix, builds a plugin out of tree with
# `pkg-config --cflags --libs oxport-1.0` only, installs it into a directory
# and checks that the installed library (and the installed `oxport`, when
# built) lists it.  Prints TAP.

srcdir=${G_TEST_SRCDIR:-$(dirname "$0")}
builddir=${OXP_TOP_BUILDDIR:?OXP_TOP_BUILDDIR must name the build tree}
cc=${CC:-cc}
# The flags the library was built with: a sanitizer build's library only
# loads into programs built with the same -fsanitize flags.
build_cflags=${OXP_BUILD_CFLAGS:-}
build_ldflags=${OXP_BUILD_LDFLAGS:-}
n=0
failed=0

ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip () { n=$((n + 1)); echo "ok $n # SKIP $1"; }
# Shows a log as TAP diagnostics.
diag () { sed 's/^/# /' "$1"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-install-XXXXXX") || exit 1
# The installed library must find its installed plugin scanner by itself,
# and its cache must not mix with the build tree's.
unset OXPORT_PLUGIN_SCANNER OXPORT_SCAN_IN_PROCESS
XDG_CACHE_HOME="$tmp/cache"
export XDG_CACHE_HOME
trap 'rm -rf "$tmp"' EXIT
prefix="$tmp/prefix"

echo "1..11"

# The outer `make check` must not leak its command-line variables or job
# server into these makes.
submake () {
  (cd "$builddir" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make "$@")
}

# 1. make install into the temporary prefix.  libtool refuses to relink
# plugin modules for a prefix other than the configured one (only DESTDIR
# staging is supported for them), so they are left out here and checked
# with DESTDIR below.
if submake install prefix="$prefix" plugins_LTLIBRARIES= > "$tmp/install.log" 2>&1; then
  ok "make install prefix=$prefix"
else
  not_ok "make install prefix=$prefix"
  diag "$tmp/install.log"
  echo "Bail out! nothing installed"
  exit 1
fi

# 2. The .pc file points at the prefix it was installed into.
pcdir=$(find "$prefix" -name oxport-1.0.pc -path '*/pkgconfig/*' | head -n 1)
PKG_CONFIG_PATH="$(dirname "${pcdir:-$tmp}")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export PKG_CONFIG_PATH
pc_prefix=$(pkg-config --variable=prefix oxport-1.0 2>/dev/null)
libdir=$(pkg-config --variable=libdir oxport-1.0 2>/dev/null)
includedir=$(pkg-config --variable=includedir oxport-1.0 2>/dev/null)
pluginsdir=$(pkg-config --variable=pluginsdir oxport-1.0 2>/dev/null)
if test -n "$pcdir" && test "$pc_prefix" = "$prefix" \
   && test -f "$libdir/liboxport-1.0.so" \
   && test -f "$includedir/oxport-1.0/oxport/oxport.h" \
   && test -f "$includedir/oxport-1.0/oxport/oxp-version.h" \
   && test "$pluginsdir" = "$libdir/oxport-1.0/plugins"; then
  ok "oxport-1.0.pc points at the prefix (pluginsdir $pluginsdir)"
else
  not_ok "oxport-1.0.pc points at the prefix"
  echo "# .pc: ${pcdir:-none}; prefix=$pc_prefix libdir=$libdir includedir=$includedir pluginsdir=$pluginsdir"
fi

# 3. A staged install (DESTDIR) installs every built plugin into pluginsdir,
# as modules only (no libtool archives).
stage="$tmp/stage"
staged_pluginsdir=$(PKG_CONFIG_PATH="$builddir" pkg-config --variable=pluginsdir oxport-1.0)
if submake install DESTDIR="$stage" > "$tmp/stage.log" 2>&1; then
  missing=
  for so in "$builddir"/plugins/*/.libs/*.so; do
    test -f "$so" || continue
    test -f "$stage$staged_pluginsdir/$(basename "$so")" || missing="$missing $(basename "$so")"
  done
  leftovers=$(find "$stage$staged_pluginsdir" -name '*.la' 2>/dev/null)
  if test -z "$missing" && test -z "$leftovers"; then
    ok "make install DESTDIR puts the plugins in pluginsdir, without .la files"
  else
    not_ok "make install DESTDIR puts the plugins in pluginsdir, without .la files"
    echo "# missing:$missing; left over: $leftovers"
  fi
else
  not_ok "make install DESTDIR=$stage"
  diag "$tmp/stage.log"
fi

# 4. A plugin built out of tree against the installed oxport.
plugindir="$tmp/plugins"
mkdir -p "$plugindir"
# shellcheck disable=SC2046
if $cc $build_cflags $build_ldflags -shared -fPIC -fvisibility=hidden -Wall -Werror=implicit-function-declaration \
      -o "$plugindir/oxport-hello.so" "$srcdir/plugins/outoftree/oxport-hello.c" \
      $(pkg-config --cflags --libs oxport-1.0) > "$tmp/plugin.log" 2>&1; then
  ok "plugin built out of tree with pkg-config --cflags --libs oxport-1.0"
else
  not_ok "plugin built out of tree with pkg-config --cflags --libs oxport-1.0"
  diag "$tmp/plugin.log"
fi

# 5. The plugin exports its descriptor through OXP_PLUGIN_DEFINE.
if nm -D --defined-only "$plugindir/oxport-hello.so" 2>/dev/null | grep -q ' oxp_plugin_hello_desc$'; then
  ok "the plugin exports oxp_plugin_hello_desc"
else
  not_ok "the plugin exports oxp_plugin_hello_desc"
fi

# 6. A program linked against the installed library.
# shellcheck disable=SC2046
if $cc $build_cflags $build_ldflags -Wall -Werror=implicit-function-declaration -o "$tmp/list-plugins" \
      "$srcdir/plugins/outoftree/list-plugins.c" \
      $(pkg-config --cflags --libs oxport-1.0) > "$tmp/program.log" 2>&1; then
  ok "program built against the installed library"
else
  not_ok "program built against the installed library"
  diag "$tmp/program.log"
fi

# 7. ... loads the plugin, with no rejection.
LD_LIBRARY_PATH="$libdir" "$tmp/list-plugins" "$plugindir" > "$tmp/list.txt" 2>&1
if grep -q -x 'plugin hello 0.0.1: hello' "$tmp/list.txt" && ! grep -q '^rejected' "$tmp/list.txt"; then
  ok "the installed library loads the out-of-tree plugin"
else
  not_ok "the installed library loads the out-of-tree plugin"
  diag "$tmp/list.txt"
fi

# 8. ... and really from the installed library.
if LD_LIBRARY_PATH="$libdir" ldd "$tmp/list-plugins" 2>/dev/null \
     | grep -q "liboxport-1.0.so.* => $libdir/liboxport-1.0.so"; then
  ok "the program runs with the installed liboxport-1.0"
else
  not_ok "the program runs with the installed liboxport-1.0"
  LD_LIBRARY_PATH="$libdir" ldd "$tmp/list-plugins" 2>&1 | sed 's/^/# /'
fi

# 9. The installed `oxport plugins --plugin-dir DIR` lists it.
bindir=$(dirname "$libdir")/bin
test -x "$bindir/oxport" || bindir="$prefix/bin"
if test -x "$bindir/oxport"; then
  if LD_LIBRARY_PATH="$libdir" OXPORT_PLUGIN_PATH_ONLY=1 OXPORT_PLUGIN_PATH= \
       "$bindir/oxport" plugins --plugin-dir "$plugindir" > "$tmp/cli.txt" 2>&1 \
     && grep -q '^  hello 0\.0\.1 ' "$tmp/cli.txt" \
     && grep -q '^    hello: feature-extraction, text-classification$' "$tmp/cli.txt" \
     && ! grep -q '^Rejected' "$tmp/cli.txt"; then
    ok "oxport plugins --plugin-dir DIR lists the plugin"
  else
    not_ok "oxport plugins --plugin-dir DIR lists the plugin"
    diag "$tmp/cli.txt"
  fi
  # A plugin that crashes in init: only the installed scanner, run out of
  # process, lets the installed oxport survive it.
  crashdir="$tmp/crash-plugins"
  mkdir -p "$crashdir"
  cp "$plugindir/oxport-hello.so" "$crashdir/"
  if cp "$builddir/tests/plugins/broken/.libs/oxport-segv.so" "$crashdir/" 2>/dev/null; then
    if LD_LIBRARY_PATH="$libdir" OXPORT_PLUGIN_PATH_ONLY=1 OXPORT_PLUGIN_PATH= \
         "$bindir/oxport" plugins --plugin-dir "$crashdir" > "$tmp/crash.txt" 2>&1 \
       && grep -q '^  hello 0\.0\.1 ' "$tmp/crash.txt" \
       && grep -q 'oxport-segv.so: loading the plugin \(crashed\|ended\) the plugin scanner' "$tmp/crash.txt"; then
      ok "the installed oxport scans plugins with the installed scanner and survives a crash"
    else
      not_ok "the installed oxport scans plugins with the installed scanner and survives a crash"
      diag "$tmp/crash.txt"
    fi
  else
    skip "tests/plugins/broken not built"
  fi
else
  skip "no oxport program installed"
  skip "no oxport program installed"
fi

scanner=$(find "$prefix" -name oxport-plugin-scanner -type f | head -n 1)
case $scanner in
  */libexec/oxport-1.0/oxport-plugin-scanner) ok "oxport-plugin-scanner is installed in libexecdir/oxport-1.0" ;;
  *) not_ok "oxport-plugin-scanner is installed in libexecdir/oxport-1.0 (found: ${scanner:-nothing})" ;;
esac

exit $failed
