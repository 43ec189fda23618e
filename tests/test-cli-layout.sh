#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `--layout transformers.js` is arranged inside the staging folder, so an
# export in that layout commits or fails as a whole (issue 12): a failure
# after the files are written leaves OUTDIR as it was; the success layout is
# config.json at the top and the ONNX files under onnx/; an fp16 file with
# external data is onnx/model_fp16.onnx + onnx/model_fp16.onnx_data, and the
# file names that location; `oxport validate` finds them.  And a half-precision export validates against
# a reference whose float inputs are fp32 (transformers' own).  Speaks TAP.
# Uses the export's test hook OXP_TEST_PAUSE_BEFORE_RENAME (see
# tests/test-cli-export-safety.sh).

set -u

: "${G_TEST_SRCDIR:?}"
. "$G_TEST_SRCDIR/tap.sh"
bert=$data/bert_feature-extraction

# tree DIR: every entry below DIR, relative, sorted, one line
tree () { (cd "$1" && find . -mindepth 1 | sed 's|^\./||' | LC_ALL=C sort | tr '\n' ' '); }
wait_for () {
  i=0
  while [ ! -e "$1" ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i + 1)); done
  [ -e "$1" ]
}

# --- the success layout -------------------------------------------------------------
run 0 export --json --layout transformers.js --model "$bert" "$tmp/ok" \
  && json 'sorted(f["name"] for f in d["files"]) == ["config.json", "onnx/model.onnx"]' \
  && json 'd["validation"]["status"] == "passed" and d["layout"] == "transformers.js"'
check "transformers.js: config.json at the top, onnx/model.onnx, validated there" \
  "[ \$? -eq 0 ] && [ \"\$(tree '$tmp/ok')\" = 'config.json onnx onnx/model.onnx ' ]"

# --- fp16 with external data: the names transformers.js asks for ----------------------------
run 0 export --json --layout transformers.js --dtype fp16 --external-data always \
  --model "$bert" "$tmp/fp16"
check "fp16 + external data: onnx/model_fp16.onnx and onnx/model_fp16.onnx_data, validated" \
  "[ \$? -eq 0 ] && json 'd[\"validation\"][\"status\"] == \"passed\"' \
   && [ \"\$(tree '$tmp/fp16')\" = 'config.json onnx onnx/model_fp16.onnx onnx/model_fp16.onnx_data ' ]"
check "the fp16 file's external data location is model_fp16.onnx_data, and onnx loads it" \
  "'$PYTHON3' - '$tmp/fp16/onnx/model_fp16.onnx' <<'PY' 2>>'$tmp/err'
import sys, onnx
m = onnx.load(sys.argv[1], load_external_data=False)
locs = {kv.value for t in m.graph.initializer for kv in t.external_data if kv.key == 'location'}
assert locs == {'model_fp16.onnx_data'}, locs
onnx.checker.check_model(sys.argv[1], full_check=True)
onnx.load(sys.argv[1])
PY"

# `oxport validate` (what the export suggests when ONNX Runtime was missing)
# finds the layout's files, and config.json above onnx/.
run 0 validate --json "$tmp/fp16" \
  && json 'd["validation"]["status"] == "passed" and [r["model"].endswith("onnx/model_fp16.onnx") for r in d["validation"]["reports"]] == [True]'
check "oxport validate OUTDIR of the layout: onnx/model_fp16.onnx found and passed" '[ $? -eq 0 ]'
run 0 validate --json "$tmp/fp16/onnx/model_fp16.onnx" \
  && json "d['validation']['status'] == 'passed' and {'input', 'run'} <= {c['check'] for r in d['validation']['reports'] for c in r['checks']}"
check "oxport validate onnx/model_fp16.onnx: checked against its config (config.json above onnx/), passed" '[ $? -eq 0 ]'

# --- failures after the files are written leave nothing -----------------------------------
# A file named onnx in OUTDIR: the commit's check refuses before any file
# moves (the old move after the commit had already put model.onnx and
# config.json there).
mkdir -p "$tmp/in-the-way" && echo "the user's" >"$tmp/in-the-way/onnx"
run 1 export --layout transformers.js --model "$bert" "$tmp/in-the-way"
check "an onnx file in OUTDIR: exit 1 before any move; OUTDIR holds only the user's file" \
  "grep -q 'onnx there is not a folder' '$tmp/err' && [ \"\$(tree '$tmp/in-the-way')\" = 'onnx ' ] \
   && [ \"\$(cat '$tmp/in-the-way/onnx')\" = \"the user's\" ]"

# Unused checkpoint tensors with --strict fail once every ONNX file is
# written (in the staging folder's onnx/): nothing is left.
mkdir -p "$tmp/unused" && cp "$bert/model.safetensors" "$tmp/unused/" \
  && "$PYTHON3" -c "import json; c=json.load(open('$bert/config.json')); c['num_hidden_layers']=1; json.dump(c, open('$tmp/unused/config.json','w'))"
mkdir -p "$tmp/strict" && echo keep >"$tmp/strict/notes.txt"
run 1 export --strict --layout transformers.js --model "$tmp/unused" "$tmp/strict"
check "--strict failure after writing: exit 1, OUTDIR as it was (no onnx/, no staging)" \
  "grep -q 'not used by the export' '$tmp/err' && [ \"\$(tree '$tmp/strict')\" = 'notes.txt ' ]"

# A signal once every file is complete in the staging folder, before the
# commit: the staging folder (with its onnx/) goes, a created OUTDIR too.
OXP_TEST_PAUSE_BEFORE_RENAME="$tmp/marker" \
  "$OXPORT" export --no-validate --layout transformers.js --fp16 --model "$bert" "$tmp/sig" \
  >"$tmp/out" 2>"$tmp/err" </dev/null &
pid=$!
if wait_for "$tmp/marker"; then
  staged=$(ls "$tmp/sig"/.oxport-staging-*/onnx 2>/dev/null | tr '\n' ' ')
  kill -TERM $pid
fi
wait $pid
sig_status=$?
rm -f "$tmp/marker"
check "SIGTERM with onnx/model_fp16.onnx staged: exit 143, the created OUTDIR removed" \
  "[ '${staged:-}' = 'model_fp16.onnx ' ] && [ $sig_status -eq 143 ] && [ ! -e '$tmp/sig' ]"

# --- fp16 against fp32 references --------------------------------------------------------
vit=$data/vit_image-classification
run 0 export --json --dtype fp16 --reference "$vit/vectors.safetensors" --model "$vit" "$tmp/vit16"
check "vit fp16 against the fp32 reference (pixel_values rounded to fp16): passed" \
  "[ \$? -eq 0 ] && json \"[c['passed'] for r in d['validation']['reports'] for c in r['checks'] if c['check'] == 'reference'] == [True]\""
gpt2=$data/gpt2_decoder-with-past
run 0 export --json --dtype fp16 --layout transformers.js --task text-generation-with-past \
  --reference "$gpt2/vectors-model.safetensors" --model "$gpt2" "$tmp/gpt16"
check "gpt2 with past, fp16, transformers.js: fp32 past inputs converted, every output compared, passed" \
  "[ \$? -eq 0 ] && json \"len([c for r in d['validation']['reports'] for c in r['checks'] if c['check'] == 'reference' and c['passed']]) == 5\" \
   && json 'd[\"validation\"][\"reports\"][0][\"model\"].endswith(\"onnx/model_fp16.onnx\")'"

tap_done
