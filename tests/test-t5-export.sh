#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# The t5 plugin through `oxport export`: the files each task writes
# (T5EncoderModel's feature-extraction is the encoder alone, as model.onnx;
# text2text-generation without past is the encoder and a decoder without
# cache outputs), and bad checkpoints: a clear error naming the file and the
# field or tensor, a non-zero exit, nothing written.  Prints TAP.

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
py=${PYTHON3:-/usr/bin/python3}
case_dir=$G_TEST_SRCDIR/data/t5_encoder

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-t5-export-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# variant NAME PYTHON: a copy of the t5 case whose config.json `c` the
# Python statement changes.
variant () {
  mkdir "$tmp/$1" && cp "$case_dir/model.safetensors" "$case_dir/generation_config.json" "$tmp/$1/" &&
    "$py" -c 'import json,sys; c=json.load(open(sys.argv[1])); exec(sys.argv[3]); json.dump(c, open(sys.argv[2], "w"))' \
      "$case_dir/config.json" "$tmp/$1/config.json" "$2"
}

# A copy of the t5 case whose checkpoint lacks one tensor.
drop_tensor () {
  variant "$1" pass && "$py" - "$tmp/$1/model.safetensors" "$2" <<'PY'
import json, struct, sys
path, drop = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
n = struct.unpack("<Q", data[:8])[0]
header, body = json.loads(data[8:8 + n]), data[8 + n:]
out, blobs, offset = {}, [], 0
for name, info in header.items():
    if name == drop:
        continue
    if name == "__metadata__":
        out[name] = info
        continue
    start, end = info["data_offsets"]
    out[name] = dict(info, data_offsets=[offset, offset + end - start])
    blobs.append(body[start:end])
    offset += end - start
text = json.dumps(out).encode()
text += b" " * (-len(text) % 8)
open(path, "wb").write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
PY
}

# refused NAME DIR WORDS...: the export of DIR fails with a message holding
# every word, and leaves no output folder.
refused () {
  name=$1 dir=$2
  shift 2
  out=$tmp/out-$name
  "$OXPORT" export --model "$dir" --no-validate "$out" >"$tmp/log" 2>&1
  status=$?
  if [ "$status" -eq 0 ]; then
    not_ok "$name: the export succeeded"
    return
  fi
  for word in "$@"; do
    if ! grep -qF -- "$word" "$tmp/log"; then
      not_ok "$name: the message does not name '$word': $(head -c 300 "$tmp/log")"
      return
    fi
  done
  if [ -e "$out" ]; then
    not_ok "$name: $out was written"
    return
  fi
  ok "$name: exit $status, $(grep -m1 error "$tmp/log")"
}

variant buckets 'c["relative_attention_num_buckets"] = 0'
refused "relative_attention_num_buckets 0" "$tmp/buckets" config.json relative_attention_num_buckets
variant buckets-negative 'c["relative_attention_num_buckets"] = -32'
refused "relative_attention_num_buckets -32" "$tmp/buckets-negative" config.json \
  relative_attention_num_buckets
# T5 maps d_model to num_heads·d_kv; a d_kv the checkpoint's projections do
# not have is caught on the first of them.
variant dkv 'c["d_kv"] = 16'
refused "d_kv not matching the projections" "$tmp/dkv" model.safetensors \
  encoder.block.0.layer.0.SelfAttention.q.weight "[64, 32]"
variant ffn 'c["feed_forward_proj"] = "gated-swishy"'
refused "unknown feed_forward_proj activation" "$tmp/ffn" config.json feed_forward_proj swishy
variant ffn-form 'c["feed_forward_proj"] = "double-gated-gelu"'
refused "malformed feed_forward_proj" "$tmp/ffn-form" config.json feed_forward_proj
drop_tensor missing decoder.block.1.layer.2.DenseReluDense.wo.weight
refused "missing layer tensor" "$tmp/missing" "$tmp/missing" \
  decoder.block.1.layer.2.DenseReluDense.wo.weight

# T5EncoderModel: feature-extraction, the encoder alone.
variant encoder-only 'c["architectures"] = ["T5EncoderModel"]'
if "$OXPORT" export --model "$tmp/encoder-only" --no-validate "$tmp/out-encoder-only" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-encoder-only" && ls *.onnx | tr '\n' ' ')
  if [ "$files" = "model.onnx " ]; then
    ok "T5EncoderModel writes model.onnx alone"
  else
    not_ok "T5EncoderModel writes $files"
  fi
  if [ -n "${OXPORT_ONNXRUNTIME:-}" ]; then
    if "$OXPORT" validate "$tmp/out-encoder-only/model.onnx" \
         --reference "$case_dir/vectors.safetensors" >"$tmp/log" 2>&1; then
      ok "T5EncoderModel's model.onnx: $(grep -m1 'vs reference' "$tmp/log" | sed 's/^ *//')"
    else
      not_ok "T5EncoderModel's model.onnx: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
    fi
  fi
else
  not_ok "T5EncoderModel export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

# text2text-generation without past: encoder and decoder, no cache outputs.
if "$OXPORT" export --model "$case_dir" --task text2text-generation --no-validate \
     "$tmp/out-no-past" >"$tmp/log" 2>&1; then
  files=$(cd "$tmp/out-no-past" && ls *.onnx | tr '\n' ' ')
  outputs=$("$py" -c 'import onnx,sys; print(",".join(o.name for o in onnx.load(sys.argv[1]).graph.output))' \
    "$tmp/out-no-past/decoder_model.onnx" 2>&1)
  if [ "$files" = "decoder_model.onnx encoder_model.onnx " ] && [ "$outputs" = logits ]; then
    ok "text2text-generation writes encoder_model.onnx and decoder_model.onnx (logits only)"
  else
    not_ok "text2text-generation writes $files; decoder outputs $outputs"
  fi
  [ -f "$tmp/out-no-past/generation_config.json" ] && ok "generation_config.json is copied" ||
    not_ok "generation_config.json is not copied"
else
  not_ok "text2text-generation export failed: $(tail -n 3 "$tmp/log" | tr '\n' ' ')"
fi

echo "1..$n"
exit $failed
