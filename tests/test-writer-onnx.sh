#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Models written by test-writer, checked by python3-onnx (tests/check-onnx.py):
# onnx.checker with full_check, and initializer values against the source
# checkpoints.  Prints TAP.
set -u
: "${G_TEST_BUILDDIR:?}" "${G_TEST_SRCDIR:?}" "${PYTHON3:=python3}"

dir=$(mktemp -d "${TMPDIR:-/tmp}/oxp-writer-onnx-XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT

if ! OXP_WRITER_OUTDIR="$dir" "$G_TEST_BUILDDIR/test-writer" >"$dir/test-writer.log" 2>&1; then
  echo "1..1"
  echo "not ok 1 - test-writer could not write the models"
  sed 's/^/# /' "$dir/test-writer.log"
  exit 1
fi
if ! "$PYTHON3" -c 'import onnx, numpy' 2>/dev/null; then
  echo "1..0 # SKIP python3-onnx or numpy missing"
  exit 0
fi
set -- "$dir"/*.onnx
if [ ! -e "$1" ]; then
  echo "1..1"
  echo "not ok 1 - test-writer wrote no model"
  exit 1
fi
# Not exec: the trap must still remove the folder.
"$PYTHON3" "$G_TEST_SRCDIR/check-onnx.py" "$@"
