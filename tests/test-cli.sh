#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The `oxport` command as a user drives it: --help/--version, every command's
# options and arguments, plugins/tasks/inspect (text and --json), export's
# summary, its side files and its all-or-nothing output folder, and the exit
# statuses (0 success, 1 user error).  Speaks TAP.
#
# Uses the registry's test plugins (tests/plugins/) through --plugin-dir and
# the real plugins on OXPORT_PLUGIN_PATH; ONNX Runtime from OXPORT_ONNXRUNTIME.

set -u

: "${OXP_TOP_BUILDDIR:?}"
: "${G_TEST_SRCDIR:?}"
. "$G_TEST_SRCDIR/tap.sh"
skip () { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

out_has () { grep -q -e "$1" "$tmp/out"; }
err_has () { grep -q -e "$1" "$tmp/err"; }
# json_check PYTHON_EXPRESSION: evaluates it with d = the JSON on stdout.
json_check () {
  "$PYTHON3" -c "import json,sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if ($1) else 1)" "$tmp/out" 2>>"$tmp/err"
}

good_dir=$OXP_TOP_BUILDDIR/tests/plugins/good/.libs
broken_dir=$OXP_TOP_BUILDDIR/tests/plugins/broken/.libs
bert_case=$G_TEST_SRCDIR/data/bert_text-classification
version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$OXP_TOP_BUILDDIR/config.h")

# --- the program itself ----------------------------------------------------------
run 0 --version && [ "$(cat "$tmp/out")" = "oxport $version" ] \
  && ok "--version is 'oxport $version'" || not_ok "--version is 'oxport $version'"

run 0 --help && out_has "^Usage:" && out_has "plugins" && out_has "tasks" && out_has "inspect" \
  && out_has "export" && out_has "validate" && out_has "Exit status" \
  && ok "--help lists every command and the exit statuses" || not_ok "--help lists every command"

run 1 && err_has "Usage:" && ok "no command: usage on stderr, exit 1" \
  || not_ok "no command: usage on stderr, exit 1"

run 1 frobnicate && err_has "^oxport: error: Unknown command “frobnicate”" \
  && ok "unknown command: exit 1 naming it" || not_ok "unknown command: exit 1 naming it"

run 1 --frobnicate && err_has "^oxport: error: Unknown option" \
  && ok "unknown option before the command: exit 1" || not_ok "unknown option before the command"

for cmd in plugins tasks inspect export validate; do
  run 0 "$cmd" --help && out_has "^Usage:" && out_has "oxport $cmd" && out_has "Examples:" \
    && out_has "--plugin-dir" && out_has "--verbose" \
    && ok "$cmd --help: usage, examples, common options" \
    || not_ok "$cmd --help: usage, examples, common options"
done
for cmd in plugins tasks inspect export validate; do
  run 0 "$cmd" --help && out_has "--json" \
    && ok "$cmd --help offers --json" || not_ok "$cmd --help offers --json"
done
run 0 help export && out_has "oxport export" && out_has "--model" && out_has "--dtype" \
  && out_has "--reference" && out_has "--external-data" && out_has "--no-validate" \
  && ok "help export shows every export option" || not_ok "help export shows every export option"
run 0 validate --help && out_has "--reference" && out_has "--atol" && out_has "--task" && out_has "--model" \
  && ok "validate --help shows its options" || not_ok "validate --help shows its options"

# --- bad options and arguments: exit 1 with a message naming what is wrong ---
run 1 plugins --frobnicate && err_has "^oxport: error: .*frobnicate" && err_has "oxport plugins --help" \
  && ok "bad option: exit 1, names it, points at --help" || not_ok "bad option: exit 1, names it"
run 1 plugins extra && err_has "Unexpected argument “extra”" \
  && ok "plugins takes no argument" || not_ok "plugins takes no argument"
run 1 tasks && err_has "Missing MODEL_TYPE" && ok "tasks without argument: exit 1" \
  || not_ok "tasks without argument: exit 1"
run 1 inspect && err_has "Missing MODEL_DIR" && ok "inspect without argument: exit 1" \
  || not_ok "inspect without argument: exit 1"
run 1 export "$tmp/o" && err_has "Missing --model" && ok "export without --model: exit 1" \
  || not_ok "export without --model: exit 1"
run 1 export --model "$bert_case" && err_has "Missing OUTDIR" && ok "export without OUTDIR: exit 1" \
  || not_ok "export without OUTDIR: exit 1"
run 1 export --model "$bert_case" --dtype fp64 "$tmp/o" && err_has "fp64" \
  && ok "export --dtype fp64: exit 1 naming it" || not_ok "export --dtype fp64: exit 1"
run 1 export --model "$bert_case" --external-data sometimes "$tmp/o" && err_has "sometimes" \
  && ok "export --external-data sometimes: exit 1" || not_ok "export --external-data sometimes: exit 1"
run 1 export --model "$bert_case" --atol lots "$tmp/o" && err_has "atol" \
  && ok "export --atol lots: exit 1" || not_ok "export --atol lots: exit 1"
run 1 export --model "$bert_case" --opset many "$tmp/o" && err_has "opset" \
  && ok "export --opset many: exit 1" || not_ok "export --opset many: exit 1"
run 1 validate && err_has "Missing MODEL.onnx" && ok "validate without argument: exit 1" \
  || not_ok "validate without argument: exit 1"
run 1 validate "$tmp/nonesuch" && err_has "nonesuch" && ok "validate of a missing path: exit 1" \
  || not_ok "validate of a missing path: exit 1"
run 1 plugins --plugin-dir "$tmp/nonesuch" && err_has "nonesuch" \
  && ok "--plugin-dir of a missing folder: exit 1 naming it" || not_ok "--plugin-dir missing folder"
[ ! -e "$tmp/o" ] && ok "no output folder was created by the failed commands" \
  || not_ok "no output folder was created by the failed commands"

# --- plugins ------------------------------------------------------------------------
if [ -d "$good_dir" ]; then
  run 0 plugins --plugin-dir "$good_dir" && out_has "^  good 1.2.3" && out_has "oxptest: " \
    && out_has "feature-extraction" && out_has "oxport-good" \
    && ok "plugins lists the good test plugin, its model types and tasks" \
    || not_ok "plugins lists the good test plugin"
  run 0 plugins --plugin-dir "$good_dir" --json \
    && json_check '[p for p in d["plugins"] if p["name"] == "good" and p["version"] == "1.2.3"
                    and any(m["model_type"] == "oxptest" and "fill-mask" in m["tasks"]
                            for m in p["model_types"])]' \
    && ok "plugins --json: the good plugin with model types and tasks" \
    || not_ok "plugins --json: the good plugin with model types and tasks"
  run 0 tasks oxptest --plugin-dir "$good_dir" && out_has "^  feature-extraction$" \
    && out_has "^  multiple-choice$" && ok "tasks MODEL_TYPE lists its tasks" \
    || not_ok "tasks MODEL_TYPE lists its tasks"
  run 0 tasks oxptest-decoder --plugin-dir "$good_dir" --json \
    && json_check 'd["model_type"] == "oxptest-decoder" and "text-generation-with-past" in d["tasks"]
                   and "text-generation" in d["tasks"] and "causal-lm" not in d["tasks"]' \
    && ok "tasks --json: canonical names, -with-past included" \
    || not_ok "tasks --json: canonical names, -with-past included"
else
  for i in 1 2 3 4; do skip "good test plugin" "tests/plugins/good not built"; done
fi
if [ -d "$broken_dir" ]; then
  run 0 plugins --plugin-dir "$broken_dir" && out_has "^Rejected (" && out_has "oxport-nodesc" \
    && out_has "oxport-abimajor" && out_has "oxport-initfail" \
    && ok "plugins lists rejected files with reasons, exit 0" \
    || not_ok "plugins lists rejected files with reasons"
  run 0 plugins --plugin-dir "$broken_dir" --json \
    && json_check 'len(d["rejected"]) >= 5 and all(r["file"] and r["reason"] for r in d["rejected"])
                   and any("nodesc" in r["file"] for r in d["rejected"])' \
    && ok "plugins --json: rejected files each with a reason" \
    || not_ok "plugins --json: rejected files each with a reason"
  run 0 plugins --plugin-dir "$broken_dir" --verbose && err_has "rejected plugin .*oxport-" \
    && ok "--verbose reports rejections on stderr" || not_ok "--verbose reports rejections on stderr"
else
  for i in 1 2 3; do skip "broken test plugins" "tests/plugins/broken not built"; done
fi
run 1 tasks nonesuch-model && err_has "nonesuch-model" \
  && ok "tasks of an unknown model type: exit 1 naming it" || not_ok "tasks of an unknown model type"

# --- with the real BERT plugin ----------------------------------------------------
# Only the plugin's presence decides; a crash of oxport must fail below, not skip.
have_bert=no
"$OXPORT" plugins 2>/dev/null | grep -q "^    bert: " && have_bert=yes
if [ "$have_bert" = yes ]; then
  run 0 tasks "$bert_case" && out_has "^  text-classification$" \
    && out_has "^Inferred from .*: text-classification$" \
    && ok "tasks MODEL_DIR: the model's tasks and the inferred one" || not_ok "tasks MODEL_DIR"

  run 0 inspect "$bert_case" && out_has "^Model type: *bert" \
    && out_has "^Task: *text-classification (inferred" && out_has "input_ids" \
    && out_has "token_type_ids" && out_has "logits .*\[batch_size, 3\]" \
    && out_has "dynamic axes {0: batch_size, 1: sequence_length}" && out_has "hidden_size: *32" \
    && ok "inspect: model type, inferred task, normalized config, inputs/outputs with axes" \
    || not_ok "inspect: model type, inferred task, normalized config, inputs/outputs with axes"
  run 0 inspect "$bert_case" --json \
    && json_check 'd["model_type"] == "bert" and d["task"] == "text-classification" and d["task_inferred"]
                   and [i["name"] for i in d["submodels"][0]["inputs"]] == ["input_ids", "attention_mask", "token_type_ids"]
                   and d["submodels"][0]["inputs"][0]["dynamic_axes"] == {"0": "batch_size", "1": "sequence_length"}
                   and d["submodels"][0]["outputs"][0]["name"] == "logits"
                   and d["normalized_config"]["hidden_size"] == 32 and d["submodels"][0]["file"] == "model.onnx"' \
    && ok "inspect --json: the same as data" || not_ok "inspect --json: the same as data"
  run 0 inspect "$bert_case" --task default && out_has "^Task: *feature-extraction (given)" \
    && out_has "last_hidden_state" && ok "inspect --task folds a synonym (default → feature-extraction)" \
    || not_ok "inspect --task folds a synonym"
  run 1 inspect "$bert_case" --task bogus-task && err_has "bogus-task" \
    && ok "inspect --task of an unknown task: exit 1 naming it" || not_ok "inspect --task unknown"
  run 1 inspect "$tmp/nonesuch" && err_has "nonesuch" \
    && ok "inspect of a missing folder: exit 1 naming it" || not_ok "inspect of a missing folder"

  # A model type no plugin handles.
  mkdir -p "$tmp/unknown-type"
  cp "$bert_case/model.safetensors" "$tmp/unknown-type/"
  sed 's/"model_type": *"bert"/"model_type": "nonesuch"/' "$bert_case/config.json" >"$tmp/unknown-type/config.json"
  run 1 inspect "$tmp/unknown-type" --task feature-extraction && err_has "nonesuch" \
    && ok "inspect of an unknown model type: exit 1 naming it" || not_ok "inspect of an unknown model type"
  run 1 export --model "$tmp/unknown-type" --task feature-extraction "$tmp/o-unknown" \
    && err_has "nonesuch" && [ ! -e "$tmp/o-unknown" ] \
    && ok "export of an unknown model type: exit 1, no output folder left" \
    || not_ok "export of an unknown model type: exit 1, no output folder left"

  # Export: the summary, and the side files optimum copies.
  mkdir -p "$tmp/model"
  cp "$bert_case/config.json" "$bert_case/model.safetensors" "$tmp/model/"
  echo '{"version": "1.0"}' >"$tmp/model/tokenizer.json"
  printf '[PAD]\n[UNK]\n' >"$tmp/model/vocab.txt"
  echo '{}' >"$tmp/model/special_tokens_map.json"
  printf 'not really a sentencepiece model' >"$tmp/model/spiece.model"
  echo 'not copied' >"$tmp/model/README.md"
  run 0 export --model "$tmp/model" --no-validate "$tmp/exported" \
    && out_has "^Exported bert (text-classification, inferred)" && out_has "^Files:" \
    && out_has "model.onnx" && out_has "^Time: " && out_has "dynamic axes" \
    && out_has "Validation: not run" \
    && ok "export: summary with task, inputs/outputs, files and time" \
    || not_ok "export: summary with task, inputs/outputs, files and time"
  missing=
  for f in model.onnx config.json tokenizer.json vocab.txt special_tokens_map.json spiece.model; do
    [ -s "$tmp/exported/$f" ] || missing="$missing $f"
  done
  [ -z "$missing" ] && [ ! -e "$tmp/exported/README.md" ] \
    && ok "export copies config.json and the tokenizer files, nothing else" \
    || { echo "# missing:$missing"; not_ok "export copies config.json and the tokenizer files"; }
  "$PYTHON3" - "$tmp/exported/model.onnx" "$version" >"$tmp/out" 2>"$tmp/err" <<'EOF'
import sys, onnx
m = onnx.load(sys.argv[1])
props = {p.key: p.value for p in m.metadata_props}
assert m.producer_name == "oxport", m.producer_name
assert props.get("source_model_type") == "bert", props
assert props.get("task") == "text-classification", props
assert props.get("oxport_version") == sys.argv[2], props
EOF
  [ $? -eq 0 ] && ok "export writes the metadata (source_model_type, task, oxport_version)" \
    || not_ok "export writes the metadata"

  run 0 export --model "$tmp/model" --task feature-extraction --no-validate --json "$tmp/exported-json" \
    && json_check 'd["task"] == "feature-extraction" and not d["task_inferred"]
                   and d["submodels"][0]["outputs"][0]["name"] == "last_hidden_state"
                   and {f["name"] for f in d["files"]} >= {"model.onnx", "config.json", "tokenizer.json"}
                   and all(f["size"] > 0 for f in d["files"]) and d["validation"]["status"] == "not run"' \
    && ok "export --json: task, submodels, files with sizes, validation status" \
    || not_ok "export --json"

  if [ -n "${OXPORT_ONNXRUNTIME:-}" ] && [ -r "$OXPORT_ONNXRUNTIME" ]; then
    run 0 validate "$tmp/exported-json" --json \
      && json_check 'd["passed"] and d["task"] == "feature-extraction"' \
      && ok "validate OUTDIR takes the task from the model's metadata, not config.json" \
      || not_ok "validate OUTDIR takes the task from the model's metadata"

    # A validation mismatch: exit 1 with the table, and the files stay.
    run 1 export --model "$bert_case" --reference "$bert_case/vectors.safetensors" --atol 1e-12 \
        "$tmp/mismatch" \
      && out_has "logits .*reference .*FAIL" && out_has "Validation: failed" \
      && err_has "^oxport: error: validation failed: .*logits" && err_has "stay in .*mismatch" \
      && [ -s "$tmp/mismatch/model.onnx" ] && [ -s "$tmp/mismatch/config.json" ] \
      && ok "export with a validation mismatch: exit 1, the table, the files stay" \
      || not_ok "export with a validation mismatch: exit 1, the table, the files stay"
    run 0 export --model "$bert_case" --reference "$bert_case/vectors.safetensors" --dtype fp16 \
        "$tmp/fp16" \
      && out_has "float16" && out_has "logits vs reference: max abs diff .* (atol 0.05) ok" \
      && ok "export --dtype fp16: fp16 model, validated against the fp32 reference at atol 0.05" \
      || not_ok "export --dtype fp16: validated against the fp32 reference at atol 0.05"
    run 0 validate "$tmp/fp16" --json \
      && json_check 'd["passed"] and d["task"] == "text-classification" and len(d["reports"]) == 1' \
      && ok "validate --json of an fp16 export: passed, task from the model's metadata" \
      || not_ok "validate --json of an fp16 export"
  else
    for i in 1 2 3 4; do skip "validation with ONNX Runtime" "OXPORT_ONNXRUNTIME is not set"; done
  fi

  # ORT missing: the model is written, validation is said to be skipped;
  # an explicit validate then fails.
  OXPORT_ONNXRUNTIME=$tmp/nonesuch/libonnxruntime.so.1 LD_LIBRARY_PATH= \
    "$OXPORT" export --model "$bert_case" "$tmp/no-ort" >"$tmp/out" 2>"$tmp/err" </dev/null
  st=$?
  [ $st -eq 0 ] && [ -s "$tmp/no-ort/model.onnx" ] && err_has "validation skipped" \
    && err_has "OXPORT_ONNXRUNTIME" && out_has "Validation: skipped" \
    && ok "export without ONNX Runtime: writes the model, says validation was skipped" \
    || not_ok "export without ONNX Runtime: writes the model, says validation was skipped (exit $st)"
  OXPORT_ONNXRUNTIME=$tmp/nonesuch/libonnxruntime.so.1 LD_LIBRARY_PATH= \
    "$OXPORT" validate "$tmp/no-ort" >"$tmp/out" 2>"$tmp/err" </dev/null
  st=$?
  [ $st -eq 1 ] && err_has "^oxport: error: " && err_has "OXPORT_ONNXRUNTIME" \
    && ok "validate without ONNX Runtime: exit 1, says how to point at it" \
    || not_ok "validate without ONNX Runtime: exit 1 (got $st)"

  # All or nothing: a failed export leaves no file, and removes the folder it created.
  mkdir -p "$tmp/broken-model"
  cp "$bert_case/config.json" "$tmp/broken-model/"
  printf 'garbage' >"$tmp/broken-model/model.safetensors"
  run 1 export --model "$tmp/broken-model" "$tmp/o-broken" && [ ! -e "$tmp/o-broken" ] \
    && err_has "model.safetensors" \
    && ok "export of a corrupt checkpoint: exit 1 naming the file, no output folder" \
    || not_ok "export of a corrupt checkpoint: exit 1, no output folder"
  mkdir -p "$tmp/existing"
  echo keep >"$tmp/existing/mine.txt"
  run 1 export --model "$bert_case" --task bogus-task "$tmp/existing" \
    && [ "$(ls "$tmp/existing")" = mine.txt ] \
    && ok "failed export into an existing folder leaves only what was there" \
    || not_ok "failed export into an existing folder leaves only what was there"
  # A failure after model.onnx was written (config.json cannot be copied over
  # a folder): model.onnx goes again, what was there stays.
  mkdir -p "$tmp/late-failure/config.json"
  run 1 export --model "$bert_case" --no-validate "$tmp/late-failure" && err_has "config.json" \
    && [ "$(ls "$tmp/late-failure")" = config.json ] && [ -d "$tmp/late-failure/config.json" ] \
    && ok "export failing after writing model.onnx removes it and keeps what was there" \
    || not_ok "export failing after writing model.onnx removes it and keeps what was there"
  run 1 export --model "$bert_case" --opset 3 "$tmp/o-opset" && err_has "opset" \
    && [ ! -e "$tmp/o-opset" ] \
    && ok "export --opset below the model's lowest: exit 1, nothing written" \
    || not_ok "export --opset below the model's lowest: exit 1, nothing written"
  # A plugin's bug is an internal error: exit 2, said so, nothing left.
  internal_dir=$OXP_TOP_BUILDDIR/tests/cli-plugins/.libs
  mkdir -p "$tmp/internal-model"
  cp "$bert_case/model.safetensors" "$tmp/internal-model/"
  sed 's/"model_type": *"bert"/"model_type": "oxptest-cli-internal"/' "$bert_case/config.json" \
    >"$tmp/internal-model/config.json"
  run 2 export --plugin-dir "$internal_dir" --model "$tmp/internal-model" --task feature-extraction \
      "$tmp/o-internal" \
    && err_has "^oxport: error: " && err_has "internal error" && [ ! -e "$tmp/o-internal" ] \
    && ok "export hitting a plugin's bug: exit 2, reported as internal, nothing left" \
    || not_ok "export hitting a plugin's bug: exit 2, reported as internal, nothing left"
  echo x >"$tmp/a-file"
  run 1 export --model "$bert_case" --no-validate "$tmp/a-file" && err_has "a-file" \
    && ok "export into a path that is a file: exit 1" || not_ok "export into a path that is a file"
else
  for i in $(seq 1 24); do skip "bert plugin" "the bert plugin is not built"; done
fi

tap_done
