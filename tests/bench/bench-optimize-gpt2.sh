#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Benchmark (not a test) of `oxport export --optimize O2` on GPT-2: ONNX
# Runtime latency of the plain export against O2 (GroupQueryAttention,
# multi-head, the mask as its attention_bias): $OXP_BENCH_ROUNDS
# rounds (default 5) of tests/bench/bench-optimize.c, each the median of
# $OXP_BENCH_RUNS runs (default 20) after warm-up with the two files' runs
# alternating in one process; the table gives the median over the rounds
# of each latency and of the rounds' ratios (and the ratios' range), so
# the ratio is comparable on a shared, noisy machine.  gpt2-small shapes (124M: 12
# layers, hidden 768, 12 heads, vocabulary 50257, random fp32 weights from
# tests/tools/oxp-gen-checkpoint), text-generation-with-past:
#   - one new token after a past of 128 (the decode step);
#   - a 128-token prompt, no past.
#
# Usage: tests/bench/bench-optimize-gpt2.sh [BUILDDIR]   (default: the current folder)
# Needs the build's oxport, plugins, tests/tools/oxp-gen-checkpoint and
# tests/bench/bench-optimize (`make -C BUILDDIR all tests/bench/bench-optimize`).
# Scratch files (~1.5 GB) go to $TMPDIR.

set -eu

# shellcheck source=tests/bench/bench-common.sh
. "$(dirname "$0")/bench-common.sh"
# shellcheck source=tests/bench/gpt2-small.sh
. "$(dirname "$0")/gpt2-small.sh"
BENCH_WORKDIR=${BENCH_WORKDIR:-$(mktemp -d "${TMPDIR:-/tmp}/oxp-bench-gpt2-XXXXXX")}
bench_init bench-optimize "${1:-.}"
runs=${OXP_BENCH_RUNS:-20}
rounds=${OXP_BENCH_ROUNDS:-5}

mkdir -p "$work/gpt2"
gpt2_config >"$work/gpt2/config.json"
gpt2_tensors >"$work/gpt2/tensors.txt"
"$gen" --quiet --seed 1 --config "$work/gpt2/config.json" --tensors "$work/gpt2/tensors.txt" \
  "$work/gpt2/model"

# export_to OUT [OPTIONS]
export_to () {
  out=$1
  shift
  "$oxport" export --model "$work/gpt2/model" --task text-generation-with-past --no-validate \
    "$@" "$out" >"$out.log" 2>&1 ||
    { echo "bench-optimize-gpt2.sh: export to $out failed:" >&2; tail -n 5 "$out.log" >&2; exit 1; }
}
export_to "$work/gpt2-plain"
export_to "$work/gpt2-O2" --optimize O2
rm -rf "$work/gpt2/model"

files="$work/gpt2-plain/model.onnx $work/gpt2-O2/model.onnx"
# measure SEQ PAST: "plain O2" medians, one line per round.
measure () {
  r=0
  while [ $r -lt "$rounds" ]; do
    # shellcheck disable=SC2086
    "$driver" 1 "$1" "$2" "$runs" $files | tr '\n' ' '
    echo
    r=$((r + 1))
  done
}
decode=$(measure 1 128)
prompt=$(measure 128 0)

# row LABEL ROUNDS: the median over the rounds of each file's median and
# of the rounds' plain/O2 ratios.
row () {
  printf '%s\n' "$2" | awk -v label="$1" '
    function median(v, n,   i, j, t) {
      for (i = 2; i <= n; i++) for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
      return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    NF >= 2 { n++; p[n] = $1; o[n] = $2; q[n] = $1 / $2; lo = (n == 1 || q[n] < lo) ? q[n] : lo; hi = (n == 1 || q[n] > hi) ? q[n] : hi }
    END { printf "%-28s %10.2f %10.2f %10.2f   %.2f-%.2f\n", label, median(p, n), median(o, n), median(q, n), lo, hi }'
}

printf 'ONNX Runtime CPU latency (ms): %d rounds, each the median of %d runs after warm-up,\n' "$rounds" "$runs"
printf 'the files alternating run by run; %d CPUs, load average %s at the end\n' "$(nproc)" \
  "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %10s %10s %10s   %s\n' "gpt2-small-shaped, input" plain O2 plain/O2 "ratio range"
row "1 token, past 128" "$decode"
row "prompt 128, no past" "$prompt"
