#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# A full disk, simulated with a file size limit (SIGXFSZ ignored so that the
# write fails with EFBIG): the writer must fail with OXP_EXPORT_ERROR_NO_SPACE
# naming the file, inline and with external data, and leave nothing behind.
set -u
: "${G_TEST_BUILDDIR:?}" "${OXP_TOP_BUILDDIR:?}"

dir=$(mktemp -d "${TMPDIR:-/tmp}/oxp-writer-nospace-XXXXXX") || exit 2
trap 'rm -rf "$dir"' EXIT
mkdir "$dir/ckpt" "$dir/out"
echo '{"model_type": "test"}' >"$dir/config.json"

echo "1..3"
# 2 MiB of weights; the limit below is 256 KiB.
if printf 'a F32 512,512\nb F32 512,512\n' |
    "$OXP_TOP_BUILDDIR/tests/tools/oxp-gen-checkpoint" --quiet --config "$dir/config.json" "$dir/ckpt" \
    >"$dir/gen.log" 2>&1; then
  echo "ok 1 - checkpoint of 2 MiB made"
else
  echo "not ok 1 - checkpoint of 2 MiB made"
  sed 's/^/# /' "$dir/gen.log"
fi

(
  trap '' XFSZ
  ulimit -f 256
  OXP_TEST_NOSPACE_DIR="$dir/out" OXP_TEST_NOSPACE_CHECKPOINT="$dir/ckpt" \
    exec "$G_TEST_BUILDDIR/test-writer" -p /oxp/writer/no-space
) >"$dir/test.log" 2>&1
status=$?
if [ $status -eq 0 ] && grep -q '^ok 1 /oxp/writer/no-space$' "$dir/test.log"; then
  echo "ok 2 - writes fail with OXP_EXPORT_ERROR_NO_SPACE under ulimit -f 256"
  grep '^# .*Could not write' "$dir/test.log"
else
  echo "not ok 2 - writes fail with OXP_EXPORT_ERROR_NO_SPACE under ulimit -f 256 (status $status)"
  grep -v 'GLib-DEBUG' "$dir/test.log" | sed 's/^/# /'
fi

left=$(ls -A "$dir/out")
if [ -z "$left" ]; then
  echo "ok 3 - nothing left in the output folder"
else
  echo "not ok 3 - nothing left in the output folder: $left"
fi
