#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sets oxport up on a Debian 12 machine and runs it:
#
#   ./quickstart.sh         install what is missing, build into _build/, then export
#                           the bundled example checkpoint and validate it against
#                           its reference outputs (the main job)
#   ./quickstart.sh test    the same setup, then the whole test suite; the last line
#                           is "N passed, N failed" and the exit status is non-zero
#                           on any failure
#
# Needs root for apt-get (uses sudo when not root) unless every package is
# already installed.  ONNX Runtime comes from npm (onnxruntime-node, whose
# package carries libonnxruntime.so.1) into _deps/ of the source tree.
# Environment: OXP_BUILD_DIR (default _build), OXP_CONFIGURE_FLAGS (extra
# configure flags; CI=true adds --enable-werror), OXP_JOBS (make -j).
set -eu

srcdir=$(cd "$(dirname "$0")" && pwd)
mode=${1:-run}
case $mode in
  run|test) ;;
  -h|--help)
    sed -n '3,18p' "$0" | sed 's/^# \{0,1\}//'
    exit 0 ;;
  *)
    echo "quickstart.sh: unknown mode '$mode' (use no argument, or 'test')" >&2
    exit 2 ;;
esac

builddir=${OXP_BUILD_DIR:-$srcdir/_build}
case $builddir in /*) ;; *) builddir=$srcdir/$builddir ;; esac
jobs=${OXP_JOBS:-$(nproc 2>/dev/null || echo 2)}
ort_version=1.30.0
ort_lib=$srcdir/_deps/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1

say () { printf '==> %s\n' "$*"; }
die () { printf 'quickstart.sh: error: %s\n' "$*" >&2; exit 1; }

# --- 1. apt packages ------------------------------------------------------
packages="build-essential autoconf automake libtool libltdl-dev pkg-config
  libglib2.0-dev libjson-glib-dev libprotobuf-c-dev protobuf-c-compiler
  libonnx-dev python3-onnx python3-numpy time ca-certificates
  gobject-introspection libgirepository1.0-dev python3-gi gir1.2-json-1.0"
# npm (and its nodejs) only when no npm is on the PATH already.
command -v npm >/dev/null 2>&1 || packages="$packages npm"

missing=
for p in $packages; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' \
    || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" -eq 0 ]; then
    sudo=
  elif command -v sudo >/dev/null 2>&1; then
    sudo=sudo
  else
    die "these packages are missing and installing them needs root (or sudo):$missing"
  fi
  say "installing apt packages:$missing"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q
  # shellcheck disable=SC2086
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing
else
  say "apt packages: all present"
fi

# --- 2. ONNX Runtime (npm onnxruntime-node, library only) ---------------------
if [ ! -r "$ort_lib" ]; then
  say "installing onnxruntime-node@$ort_version into $srcdir/_deps"
  mkdir -p "$srcdir/_deps"
  # ONNXRUNTIME_NODE_INSTALL=skip: the package already carries the CPU
  # library; skip its install script (it would fetch GPU binaries).
  # npm's progress and notices go to a log, shown only when it fails.
  (cd "$srcdir/_deps" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund \
     --no-save --no-update-notifier --loglevel=error --prefix "$srcdir/_deps" \
     "onnxruntime-node@$ort_version" </dev/null >"$srcdir/_deps/npm-onnxruntime.log" 2>&1) \
    || { tail -n 20 "$srcdir/_deps/npm-onnxruntime.log"; die "npm could not install onnxruntime-node"; }
  [ -r "$ort_lib" ] || die "npm did not provide $ort_lib"
else
  say "ONNX Runtime: $ort_lib"
fi

# --- 2b. transformers.js, for tests/test-transformersjs.sh -------------------
# The client the test suite loads the exports with; it runs on the same
# onnxruntime-node (ONNXRUNTIME_NODE_INSTALL=skip again: no GPU download).
tjs_version=4.3.2
tjs_pkg=$srcdir/_deps/node_modules/@huggingface/transformers/package.json
if ! grep -q "\"version\": *\"$tjs_version\"" "$tjs_pkg" 2>/dev/null; then
  say "installing @huggingface/transformers@$tjs_version into $srcdir/_deps"
  (cd "$srcdir/_deps" && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund \
     --no-save --no-update-notifier --loglevel=error --prefix "$srcdir/_deps" \
     "@huggingface/transformers@$tjs_version" "onnxruntime-node@$ort_version" \
     </dev/null >"$srcdir/_deps/npm-transformers.log" 2>&1) \
    || { tail -n 20 "$srcdir/_deps/npm-transformers.log"; die "npm could not install @huggingface/transformers"; }
else
  say "transformers.js: $tjs_version"
fi

# --- 3. build ---------------------------------------------------------------------
configure_flags=${OXP_CONFIGURE_FLAGS:-}
[ "${CI:-}" = true ] && configure_flags="--enable-werror $configure_flags"
if [ ! -x "$srcdir/configure" ] || [ "$srcdir/configure.ac" -nt "$srcdir/configure" ]; then
  say "autogen.sh"
  "$srcdir/autogen.sh" >/dev/null 2>&1 || { "$srcdir/autogen.sh"; die "autogen.sh failed"; }
fi
mkdir -p "$builddir"
if [ ! -f "$builddir/Makefile" ]; then
  say "configure in $builddir $configure_flags"
  # shellcheck disable=SC2086
  (cd "$builddir" && "$srcdir/configure" --with-onnxruntime="$ort_lib" $configure_flags \
     >"$builddir/configure.out" 2>&1) \
    || { tail -n 20 "$builddir/configure.out"; die "configure failed (see $builddir/config.log)"; }
fi
say "make -j$jobs"
make -C "$builddir" -s -j"$jobs" >/dev/null || { make -C "$builddir" -j1 2>&1 | tail -40; die "build failed"; }

# --- 4a. the tests --------------------------------------------------------------
# Counts every TAP test point of every test (the .trs files automake's
# tap-driver writes): PASS and XFAIL pass; FAIL, XPASS and ERROR fail.
count_results () {
  find "$1" -name '*.trs' -exec cat {} + 2>/dev/null | awk '
    /^:test-result: (PASS|XFAIL)/ { p++ }
    /^:test-result: (FAIL|XPASS|ERROR)/ { f++ }
    /^:test-result: SKIP/ { s++ }
    END { printf "%d %d %d\n", p, f, s }'
}

if [ "$mode" = test ]; then
  find "$builddir" -name '*.trs' -exec rm -f {} +
  say "make check -j$jobs"
  check_status=0
  make -C "$builddir" -j"$jobs" check </dev/null || check_status=$?
  set -- $(count_results "$builddir")
  passed=$1 failed=$2 skipped=$3
  [ -f "$builddir/test-suite.log" ] && [ "$failed" -gt 0 ] \
    && sed -n '/^FAIL\|^ERROR\|^XPASS/p' "$builddir/test-suite.log" | head -40
  if [ "$check_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # make check itself failed (a build error, a harness error): one failure.
    echo "make check failed (exit $check_status) without a failing test point" >&2
    failed=1
  fi
  [ "$skipped" -gt 0 ] && echo "($skipped test points skipped)"
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
fi

# --- 4b. the main job: export the bundled example checkpoint ------------------
example=$srcdir/tests/data/bert_text-classification
outdir=${OXP_QUICKSTART_OUTDIR:-$builddir/quickstart-output/bert_text-classification}
OXPORT_PLUGIN_PATH=$(make -C "$builddir" -s --no-print-directory oxp-print-plugin-path)
OXPORT_ONNXRUNTIME=$ort_lib
export OXPORT_PLUGIN_PATH OXPORT_ONNXRUNTIME
say "oxport export --model $example --reference $example/vectors.safetensors $outdir"
echo
"$builddir/oxport" export --model "$example" --reference "$example/vectors.safetensors" "$outdir"
echo
say "done: $outdir/model.onnx (run $builddir/oxport --help for more)"
