# SPDX-License-Identifier: LGPL-2.1-or-later
# Sourced by tests/bench/bench-decoder.sh, bench-seq2seq.sh and
# bench-optimize-gpt2.sh (after
# `set -eu`): what they need to time exports of random checkpoints.
#
# bench_init NAME BUILDDIR: NAME is the benchmark (bench-decoder), whose ONNX
# Runtime driver is BUILDDIR/tests/bench/NAME.  Sets builddir (absolute),
# oxport, gen (tests/tools/oxp-gen-checkpoint), driver, srcdir (the source
# tree of BUILDDIR) and work (BENCH_WORKDIR, default BUILDDIR/NAME.tmp,
# created, removed on exit); exits 2 when a tool is missing.  Exports what
# the tests would: the build's plugins only, its ONNX Runtime (unless
# OXPORT_ONNXRUNTIME is set), no telemetry.
bench_init () {
  builddir=$(cd "${2:-.}" && pwd)
  oxport="$builddir/oxport"
  gen="$builddir/tests/tools/oxp-gen-checkpoint"
  driver="$builddir/tests/bench/$1"
  for tool in "$oxport" "$gen" "$driver" /usr/bin/time; do
    if [ ! -x "$tool" ]; then
      echo "$1.sh: $tool is missing (make -C $builddir all tests/bench/$1)" >&2
      exit 2
    fi
  done
  [ -f "$builddir/Makefile" ] || { echo "$1.sh: $builddir is not a build folder" >&2; exit 2; }
  srcdir=$(sed -n 's/^abs_top_srcdir = //p' "$builddir/Makefile")

  OXPORT_PLUGIN_PATH=$(make -s -C "$builddir" --no-print-directory oxp-print-plugin-path)
  OXPORT_PLUGIN_PATH_ONLY=1
  export OXPORT_PLUGIN_PATH OXPORT_PLUGIN_PATH_ONLY
  if [ -z "${OXPORT_ONNXRUNTIME:-}" ]; then
    ort=$(sed -n 's/^ONNXRUNTIME_LIBRARY = //p' "$builddir/Makefile")
    [ -n "$ort" ] && export OXPORT_ONNXRUNTIME="$ort"
  fi
  export ORT_DISABLE_TELEMETRY=1

  work=${BENCH_WORKDIR:-$builddir/$1.tmp}
  mkdir -p "$work"
  work=$(cd "$work" && pwd)
  trap 'rm -rf "$work"' EXIT INT TERM
}

# field FILE LABEL: a value of /usr/bin/time -v's report.
field () { sed -n "s/^[[:space:]]*$2: //p" "$1"; }
# wall FILE: the elapsed time of a /usr/bin/time -v report, in seconds.
wall () {
  field "$1" 'Elapsed (wall clock) time (h:mm:ss or m:ss)' |
    awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; printf "%.2f", s }'
}
# bytes DIR: the bytes of the files in DIR.
# (%.0f: mawk's %d stops at 2^31.)
bytes () { find "$1" -type f -exec stat -c %s {} + | awk '{ s += $1 } END { printf "%.0f", s }'; }
mib () { awk -v b="$1" 'BEGIN { printf "%.0f", b / 1048576 }'; }

# time_cp NAME DIR: warms the page cache with DIR/ckpt/*.safetensors (as far
# as it holds them), then times their cp into DIR/cp (removed after): the
# seconds in cp_s.  Nothing is left dirty before the next run.
time_cp () {
  cat "$2"/ckpt/*.safetensors >/dev/null
  sync
  echo "== $1: cp" >&2
  mkdir -p "$2/cp"
  /usr/bin/time -v -o "$2/cp.time" cp "$2"/ckpt/*.safetensors "$2/cp/"
  cp_s=$(wall "$2/cp.time")
  rm -rf "$2/cp"
  sync
}
