#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Every encoder-decoder reference case in tests/data (text2text-generation
# and automatic-speech-recognition), exported with `oxport export` and run
# in ONNX Runtime on the case's inputs; each output is compared with what
# transformers computed and the max abs difference is printed.
#
# Each case is checked in the file its case.json names (encoder_model.onnx,
# decoder_model.onnx, decoder_with_past_model.onnx).  For a with-past case,
# decoder_model_merged.onnx is also run on both branches: use_cache_branch
# false with an empty past against the first-step decoder case, true against
# the with-past case (gen-merged-references.py), and its initializers are
# checked to be stored once.
#
# The cases follow the plugins: a model type no loaded plugin handles is
# skipped, except t5 and mt5, whose plugin ships with oxport (a missing one
# fails).

set -u

n=0
failed=0
ok () { n=$((n + 1)); echo "ok $n - $1"; }
not_ok () { n=$((n + 1)); failed=1; echo "not ok $n - $1"; }
skip () { n=$((n + 1)); echo "ok $n # SKIP $1"; }
skip_all () { echo "1..0 # SKIP $1"; exit 0; }

[ -n "${OXPORT:-}" ] && [ -x "$OXPORT" ] || skip_all "no oxport program (OXPORT=${OXPORT:-})"
[ -n "${OXPORT_ONNXRUNTIME:-}" ] || skip_all "OXPORT_ONNXRUNTIME is not set"
py=${PYTHON3:-/usr/bin/python3}
data=$G_TEST_SRCDIR/data
srcdir=$G_TEST_SRCDIR

tmp=$(mktemp -d "${TMPDIR:-/tmp}/oxp-seq2seq-cases-XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT

# case_fields: the case.json values of a case, one python3 run per case.
. "$G_TEST_SRCDIR/case-fields.sh"

# The model types the loaded plugins register, one per line.
"$OXPORT" plugins --json >"$tmp/plugins.json" 2>"$tmp/plugins.err" || {
  echo "Bail out! oxport plugins --json failed: $(head -c 300 "$tmp/plugins.err")"; exit 1; }
loaded=$("$py" -c '
import json, sys
doc = json.load(open(sys.argv[1]))
for p in doc.get("plugins", []):
    for m in p.get("model_types", []):
        print(m["model_type"])' "$tmp/plugins.json")

# check NAME MODEL TASK REFERENCE ATOL: validates MODEL against REFERENCE
# and reports the largest difference over the reference outputs.
check () {
  name=$1 model=$2 task=$3 ref=$4 atol=$5
  if [ ! -f "$model" ]; then
    not_ok "$name: $(basename "$model") was not written"
    return
  fi
  "$OXPORT" validate "$model" --task "$task" --reference "$ref" --atol "$atol" --json \
    >"$tmp/v.json" 2>"$tmp/v.err"
  status=$?
  summary=$("$py" "$G_TEST_SRCDIR/validate-summary.py" "$tmp/v.json")
  case $summary in
    *"max abs diff"*) [ "$status" -eq 0 ] && { ok "$name: $summary"; return; } ;;
  esac
  not_ok "$name: exit $status: $summary $(head -c 300 "$tmp/v.err")"
}

# check_shared NAME OUTDIR CHECKPOINT: decoder_model.onnx and
# decoder_with_past_model.onnx share one decoder_model.onnx_data holding each
# tensor once, python onnx loads both with it, the merged file is
# self-contained, and the tensor bytes written are at most 2.2x the
# checkpoint's (tests/check-shared-data.py).
check_shared () {
  if verdict=$("$py" "$srcdir/check-shared-data.py" "$2" "$3" 2>&1); then
    ok "$1: $verdict"
  else
    not_ok "$1: $(printf '%s' "$verdict" | tail -n 3 | tr '\n' ' ')"
  fi
}

# check_storage NAME OUTDIR: the merged decoder stores each weight once, in
# its main graph, and is no bigger than the first-step decoder plus the
# with-past graph's nodes (a few kB).
check_storage () {
  name=$1 out=$2
  verdict=$("$py" - "$srcdir/check-merged-decoder.py" "$out" <<'PY'
import json, os, subprocess, sys
script, out = sys.argv[1], sys.argv[2]
def facts(a, b):
    return json.loads(subprocess.check_output([sys.executable, script, a, b]))
merged = os.path.join(out, "decoder_model_merged.onnx")
plain = os.path.join(out, "decoder_model.onnx")
step = os.path.join(out, "decoder_with_past_model.onnx")
m = facts(merged, plain)
s = facts(step, step)
def external_bytes(path):
    import onnx
    model = onnx.load(path, load_external_data=False)
    return sum(int({e.key: e.value for e in i.external_data}["length"])
               for i in model.graph.initializer if i.data_location == onnx.TensorProto.EXTERNAL)
# The two split decoders may keep their weights in decoder_model.onnx_data.
limit = (os.path.getsize(plain) + external_bytes(plain) + os.path.getsize(step)
         + external_bytes(step) - s["weight_bytes"] + 4096)
size = os.path.getsize(merged)
problems = []
if m["duplicate_names"]:
    problems.append("%d duplicate initializer names" % m["duplicate_names"])
if m["branch_initializers"]:
    problems.append("%d initializers inside the branches" % m["branch_initializers"])
if m["weight_bytes"] != m["plain_weight_bytes"]:
    problems.append("weights %d bytes, the decoder's %d" % (m["weight_bytes"], m["plain_weight_bytes"]))
if size > limit:
    problems.append("%d bytes, more than %d" % (size, limit))
if problems:
    print("FAIL " + "; ".join(problems))
else:
    print("%d weights stored once (%d bytes), file %d bytes <= %d" % (m["weights"], m["weight_bytes"], size, limit))
PY
)
  case $verdict in
    FAIL*|"") not_ok "$name: ${verdict:-no verdict}" ;;
    *) ok "$name: $verdict" ;;
  esac
}

for dir in "$data"/*; do
  [ -f "$dir/case.json" ] || continue
  case_name=$(basename "$dir")
  if ! case_fields "$dir" task='c["optimum"]["task"]' model_type='c["model_type"]' \
         atol='c.get("atol", 1e-4)' onnx_file='c["optimum"]["onnx_file"]' \
         o3_atol='max(float(c.get("atol", 1e-4)), float(os.environ.get("OXP_O3_ATOL") or 2e-2))'; then
    not_ok "$case_name: case.json unreadable"
    continue
  fi
  case $task in text2text-generation*|automatic-speech-recognition*) ;; *) continue ;; esac
  if ! printf '%s\n' "$loaded" | grep -qx "$model_type"; then
    case $model_type in
      t5|mt5) not_ok "$case_name: no loaded plugin handles model type $model_type" ;;
      *) skip "$case_name: no loaded plugin handles model type $model_type" ;;
    esac
    continue
  fi

  out=$tmp/$case_name
  if ! "$OXPORT" export --model "$dir" --task "$task" --no-validate "$out" >"$tmp/e.log" 2>&1; then
    not_ok "$case_name: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    continue
  fi
  check "$case_name $onnx_file" "$out/$onnx_file" "$task" "$dir/vectors.safetensors" "$atol"

  # The merged decoder, on the first-step and the with-past vectors.
  case $case_name in *_decoder-with-past) ;; *) continue ;; esac
  first=$data/${case_name%-with-past}
  merged=$out/decoder_model_merged.onnx
  if [ ! -f "$merged" ]; then
    not_ok "$case_name: decoder_model_merged.onnx was not written"
    continue
  fi
  if [ ! -f "$first/vectors.safetensors" ]; then
    not_ok "$case_name: no first-step case $(basename "$first") for the merged decoder"
    continue
  fi
  mkdir -p "$tmp/ref-$case_name"
  if ! "$py" "$srcdir/gen-merged-references.py" "$merged" "$first/vectors.safetensors" \
       "$dir/vectors.safetensors" "$tmp/ref-$case_name" 2>"$tmp/g.err"; then
    not_ok "$case_name: merged references: $(tail -n 2 "$tmp/g.err" | tr '\n' ' ')"
    continue
  fi
  check "$case_name merged use_cache_branch=false" "$merged" "$task" \
    "$tmp/ref-$case_name/no_past.safetensors" "$atol"
  check "$case_name merged use_cache_branch=true" "$merged" "$task" \
    "$tmp/ref-$case_name/with_past.safetensors" "$atol"
  check_storage "$case_name merged storage" "$out"
  check_shared "$case_name shared decoder data" "$out" "$dir"
done

# check_fused NAME OUTDIR LEVEL: from O2 every attention of every .onnx file
# (the merged decoder's branches too) is a com.microsoft MultiHeadAttention:
# at least one per file and no Softmax left, so a block falling back to the
# plain attention fails; below O2 there is none.  From O2 the decoder
# self-attention's cache goes into the operator: each past_key_values.N.decoder
# key and value feeds a MultiHeadAttention's past_key / past_value (inputs 6
# and 7) and no Concat, and each present.N.decoder output is a
# MultiHeadAttention's present.
check_fused () {
  if verdict=$("$py" - "$2" "$3" <<'PY' 2>&1
import glob, os, sys
import onnx
out, level = sys.argv[1], sys.argv[2]
fused = level in ("O2", "O3")
def ops(graph):
    for node in graph.node:
        yield node
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                yield from ops(a.g)
problems, counts = [], []
for path in sorted(glob.glob(os.path.join(out, "*.onnx"))):
    nodes = list(ops(onnx.load(path, load_external_data=False).graph))
    mha = sum(n.op_type == "MultiHeadAttention" and n.domain == "com.microsoft" for n in nodes)
    softmax = sum(n.op_type == "Softmax" for n in nodes)
    name = os.path.basename(path)
    counts.append("%s %d" % (name, mha))
    if fused and (mha == 0 or softmax):
        problems.append("%s: %d MultiHeadAttention, %d Softmax" % (name, mha, softmax))
    if not fused and mha:
        problems.append("%s: %d MultiHeadAttention below O2" % (name, mha))
    if fused:
        model = onnx.load(path, load_external_data=False)
        pasts = [i.name for i in model.graph.input
                 if i.name.startswith("past_key_values.") and ".decoder." in i.name]
        concat = sorted({x for n in nodes if n.op_type == "Concat" for x in n.input if x in pasts})
        if concat:
            problems.append("%s: Concat of %s" % (name, ", ".join(concat[:2])))
        taken = set()
        present = set()
        for n in nodes:
            if n.op_type == "MultiHeadAttention":
                taken.update(n.input[6:8])
                present.update(n.output[1:3])
        missing = [p for p in pasts if p not in taken]
        if missing:
            problems.append("%s: %s is no MultiHeadAttention past" % (name, missing[0]))
        outs = [o.name for o in model.graph.output
                if o.name.startswith("present.") and ".decoder." in o.name]
        # The merged decoder's outputs come from its If node: its branches' outputs.
        branch_outs = {o.name for n in nodes if n.op_type == "If"
                       for a in n.attribute if a.type == onnx.AttributeProto.GRAPH
                       for o in a.g.output}
        if not any(n.op_type == "If" for n in nodes):
            bad = [o for o in outs if o not in present]
            if bad:
                problems.append("%s: %s is no MultiHeadAttention present" % (name, bad[0]))
        elif outs and not any(o in present for o in branch_outs):
            problems.append("%s: no branch output is a MultiHeadAttention present" % name)
        if pasts:
            counts[-1] += " (%d cache inputs taken)" % len(pasts)
if not counts:
    problems.append("no .onnx file in " + out)
if problems:
    sys.exit("; ".join(problems))
print("MultiHeadAttention: " + ", ".join(counts))
PY
  ); then
    ok "$1: $verdict"
  else
    not_ok "$1: $(printf '%s' "$verdict" | tail -n 3 | tr '\n' ' ')"
  fi
}

# The optimize levels ($OXP_OPTIMIZE, default "O1 O2 O3"; empty: none): every
# case again, in its own file and for a with-past case through the merged
# decoder on both branches, against the same references; O3's approximations
# at their own tolerance (OXP_O3_ATOL, default 2e-2).
for level in ${OXP_OPTIMIZE-O1 O2 O3}; do
  for dir in "$data"/*; do
    [ -f "$dir/case.json" ] || continue
    case_name=$(basename "$dir")
    case_fields "$dir" task='c["optimum"]["task"]' model_type='c["model_type"]' \
      atol='c.get("atol", 1e-4)' onnx_file='c["optimum"]["onnx_file"]' \
      o3_atol='max(float(c.get("atol", 1e-4)), float(os.environ.get("OXP_O3_ATOL") or 2e-2))' || continue
    case $task in text2text-generation*|automatic-speech-recognition*) ;; *) continue ;; esac
    printf '%s\n' "$loaded" | grep -qx "$model_type" || continue
    level_atol=$atol
    [ "$level" = O3 ] && level_atol=$o3_atol
    out=$tmp/$case_name-$level
    if ! "$OXPORT" export --optimize "$level" --model "$dir" --task "$task" --no-validate "$out" \
         >"$tmp/e.log" 2>&1; then
      not_ok "$case_name --optimize $level: export failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
      continue
    fi
    check "$case_name --optimize $level $onnx_file" "$out/$onnx_file" "$task" \
      "$dir/vectors.safetensors" "$level_atol"
    check_fused "$case_name --optimize $level" "$out" "$level"
    case $case_name in
      *_decoder-with-past)
        # The merged references depend on the inputs only: the plain export's serve.
        check "$case_name --optimize $level merged use_cache_branch=false" \
          "$out/decoder_model_merged.onnx" "$task" "$tmp/ref-$case_name/no_past.safetensors" "$level_atol"
        check "$case_name --optimize $level merged use_cache_branch=true" \
          "$out/decoder_model_merged.onnx" "$task" "$tmp/ref-$case_name/with_past.safetensors" "$level_atol"
        ;;
    esac
    rm -rf "$out"
  done
done

# --external-data: "never" keeps every file self-contained (no data file,
# the decoders' weights written twice); "always" gives the encoder and the
# merged decoder their own data files beside the shared one.  Both validate.
case_dir=$data/t5_decoder-with-past
for mode in never always; do
  out=$tmp/external-$mode
  if ! "$OXPORT" export --model "$case_dir" --external-data "$mode" "$out" >"$tmp/e.log" 2>&1; then
    not_ok "--external-data $mode: export or validation failed: $(tail -n 3 "$tmp/e.log" | tr '\n' ' ')"
    continue
  fi
  data_files=$(cd "$out" && ls *.onnx_data 2>/dev/null | tr '\n' ' ')
  case $mode in
    never) want="" ;;
    always) want="decoder_model.onnx_data decoder_model_merged.onnx_data encoder_model.onnx_data " ;;
  esac
  if [ "$data_files" = "$want" ]; then
    ok "--external-data $mode: data files '${data_files}', validation passed"
  else
    not_ok "--external-data $mode: data files '$data_files', expected '$want'"
  fi
done

[ "$n" -gt 0 ] || { echo "Bail out! no seq2seq case in $data"; exit 1; }
echo "1..$n"
exit $failed
