// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Loads oxport's exports of the reference cases through transformers.js
// (the real client: its own file lookup, session setup, input plumbing and
// generation loop) and compares its outputs with the reference outputs of
// each case.  Run by tests/test-transformersjs.sh, which checks that node
// and the package are there; prints TAP test points (the script prints the
// plan).
//
//   node transformersjs-cases.mjs TRANSFORMERS_MJS OXPORT DATA_DIR WORK_DIR
//
// Every public case is exported with `oxport export --layout
// transformers.js` into WORK_DIR/CASE (the folder name is the model id
// transformers.js resolves under env.localModelPath), loaded with the
// AutoModel class of its task, fed the case's inputs from its
// vectors.safetensors, and each output the case holds is compared within
// the case's atol.  Decoders and seq2seq models also run generate().

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [transformersPath, oxport, dataDir, workDir] = process.argv.slice(2);
const tjs = await import(pathToFileURL(transformersPath).href);
const { env, Tensor } = tjs;

// Only the local folder: a missing file must fail, not be downloaded.
env.allowRemoteModels = false;
env.allowLocalModels = true;
env.localModelPath = workDir;
env.useFSCache = false;
env.useBrowserCache = false;

let n = 0;
let failed = 0;
const ok = (cond, name, detail) => {
  n++;
  if (!cond) failed++;
  console.log(`${cond ? 'ok' : 'not ok'} ${n} - ${name}`);
  if (detail) for (const line of String(detail).split('\n')) console.log(`# ${line}`);
};
const diag = (text) => console.log(`# ${text}`);

// --- safetensors -------------------------------------------------------------
// 8 bytes of header length (little endian), the JSON header, then the data.
const ST_TYPES = {
  F32: ['float32', Float32Array],
  F64: ['float64', Float64Array],
  I64: ['int64', BigInt64Array],
  I32: ['int32', Int32Array],
  F16: ['float16', Uint16Array],
  BOOL: ['bool', Uint8Array],
  U8: ['uint8', Uint8Array],
};

function readSafetensors(file) {
  const buf = fs.readFileSync(file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8'));
  const base = 8 + headerLen;
  const tensors = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [type, Cls] = ST_TYPES[info.dtype] ?? [];
    if (!type) throw new Error(`${file}: ${name} has dtype ${info.dtype}, which this reader does not know`);
    const [begin, end] = info.data_offsets;
    // Copy: a typed array view needs an aligned offset.
    const bytes = new Uint8Array(buf.subarray(base + begin, base + end));
    const data = new Cls(bytes.buffer, 0, (end - begin) / Cls.BYTES_PER_ELEMENT);
    tensors[name] = new Tensor(type, data, info.shape);
  }
  return tensors;
}

// --- comparison --------------------------------------------------------------
function toFloat(t) {
  if (t.type === 'float16') {
    // The ORT tensor of an fp16 output carries Uint16 bits; convert.
    const out = new Float64Array(t.data.length);
    for (let i = 0; i < out.length; i++) {
      const h = t.data[i];
      const s = h & 0x8000 ? -1 : 1;
      const e = (h >> 10) & 0x1f;
      const f = h & 0x3ff;
      out[i] = e === 0 ? s * 2 ** -14 * (f / 1024) : e === 31 ? (f ? NaN : s * Infinity) : s * 2 ** (e - 15) * (1 + f / 1024);
    }
    return out;
  }
  return Array.from(t.data, Number);
}

function maxDiff(got, want) {
  if (got.dims.join(',') !== want.dims.join(',')) return { shape: `[${got.dims}] instead of [${want.dims}]` };
  const a = toFloat(got);
  const b = toFloat(want);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= m)) m = Number.isNaN(d) ? Infinity : d;
  }
  return { diff: m };
}

function compareOutputs(caseName, outputs, reference, names, atol) {
  for (const name of names) {
    const got = outputs[name];
    if (got === undefined) {
      ok(false, `${caseName}: ${name} through transformers.js`, `transformers.js returned no ${name} (it returned: ${Object.keys(outputs).join(', ')})`);
      continue;
    }
    const r = maxDiff(got, reference[name]);
    if (r.shape) ok(false, `${caseName}: ${name} through transformers.js`, `shape ${r.shape}`);
    else ok(r.diff <= atol, `${caseName}: ${name} through transformers.js, max diff ${r.diff.toExponential(2)} (atol ${atol})`);
  }
}

// --- the cases ---------------------------------------------------------------
// transformers.js class per task (multiple-choice has none: AutoModel's
// BertModel returns the session's outputs as they are).
const CLASS_FOR_TASK = {
  'feature-extraction': 'AutoModel',
  'fill-mask': 'AutoModelForMaskedLM',
  'text-classification': 'AutoModelForSequenceClassification',
  'token-classification': 'AutoModelForTokenClassification',
  'question-answering': 'AutoModelForQuestionAnswering',
  'multiple-choice': 'AutoModel',
  'image-classification': 'AutoModelForImageClassification',
  'zero-shot-image-classification': 'AutoModel',
  'text-generation': 'AutoModelForCausalLM',
  'text-generation-with-past': 'AutoModelForCausalLM',
  'text2text-generation-with-past': 'AutoModelForSeq2SeqLM',
  'automatic-speech-recognition-with-past': 'AutoModelForSpeechSeq2Seq',
};
const SEQ2SEQ = new Set(['AutoModelForSeq2SeqLM', 'AutoModelForSpeechSeq2Seq']);

function oxportExport(modelDir, task, outDir, extra = []) {
  fs.rmSync(outDir, { recursive: true, force: true });
  try {
    execFileSync(oxport, ['export', '--quiet', '--no-validate', '--layout', 'transformers.js', ...extra, '--model', modelDir, '--task', task, outDir], {
      stdio: ['ignore', 'ignore', 'pipe'],
      encoding: 'utf8',
    });
    return null;
  } catch (e) {
    return e.stderr || String(e);
  }
}

const exported = new Map(); // model dir → export folder name (seq2seq cases share one)
const greedy = []; // decoders and seq2seq models for generate()

const cases = fs
  .readdirSync(dataDir)
  .filter((c) => fs.existsSync(path.join(dataDir, c, 'case.json')))
  .sort();

for (const caseName of cases) {
  const caseDir = path.join(dataDir, caseName);
  const info = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
  if (info.variant !== 'public') continue;
  const task = info.optimum?.task ?? info.task;
  const cls = CLASS_FOR_TASK[task];
  if (!cls) {
    ok(false, `${caseName}: this test knows no transformers.js class for task ${task}`);
    continue;
  }
  const id = caseName;
  const outDir = path.join(workDir, id);
  const err = oxportExport(caseDir, task, outDir);
  if (err !== null) {
    // Not a case oxport can export (yet): said, not counted.
    if (/no plugin handles model type/.test(err)) diag(`${caseName}: not exportable, oxport has no plugin for model type ${info.model_type}`);
    else ok(false, `${caseName}: oxport export --layout transformers.js`, err.trim());
    continue;
  }

  // The layout transformers.js looks for.
  const onnxFiles = fs.readdirSync(path.join(outDir, 'onnx'));
  const want = SEQ2SEQ.has(cls) ? ['encoder_model.onnx', 'decoder_model_merged.onnx'] : ['model.onnx'];
  ok(
    want.every((f) => onnxFiles.includes(f)) && fs.existsSync(path.join(outDir, 'config.json')),
    `${caseName}: config.json at the top, ${want.map((f) => 'onnx/' + f).join(' and ')}`,
    `onnx/ holds: ${onnxFiles.join(', ')}`,
  );

  let model;
  try {
    model = await tjs[cls].from_pretrained(id, { dtype: 'fp32', device: 'cpu' });
  } catch (e) {
    ok(false, `${caseName}: ${cls}.from_pretrained loads the export`, e.stack ?? String(e));
    continue;
  }
  ok(true, `${caseName}: ${cls}.from_pretrained loads the export (${model.constructor.name})`);

  const vectorsModel = path.join(caseDir, 'vectors-model.safetensors');
  const vectors = readSafetensors(fs.existsSync(vectorsModel) ? vectorsModel : path.join(caseDir, 'vectors.safetensors'));
  const isPast = (name) => name.startsWith('past_key_values.');
  const inputNames = Object.keys(vectors).filter((k) => !info.outputs.some((o) => o.name === k) && !k.startsWith('present.'));
  const outputNames = info.outputs.map((o) => o.name).filter((k) => k in vectors);
  const atol = info.atol ?? 1e-4;

  const feeds = {};
  const past = {};
  for (const name of inputNames) (isPast(name) ? past : feeds)[name] = vectors[name];
  // An empty past is no past: transformers.js makes its own for a first step.
  const pastGiven = Object.values(past).some((t) => t.dims[2] > 0);

  let outputs;
  try {
    if (SEQ2SEQ.has(cls)) {
      if ('encoder_hidden_states' in feeds || pastGiven) {
        // A decoder case: the encoder's output is given.  A with-past step
        // of a family whose decoder drops encoder_hidden_states (bart,
        // marian, mbart, whisper) has none: transformers.js still wants
        // encoder_outputs, which the merged decoder's cache branch ignores
        // (the cross-attention keys and values come from the past), so
        // zeros of the encoder's shape stand in.
        let encoderOutputs = feeds.encoder_hidden_states;
        if (encoderOutputs === undefined) {
          const [b, heads, len, dim] = Object.entries(past)
            .find(([k]) => k.includes('.encoder.'))[1].dims;
          encoderOutputs = new Tensor('float32', new Float32Array(b * len * heads * dim), [b, len, heads * dim]);
        }
        outputs = await model({
          encoder_outputs: encoderOutputs,
          decoder_input_ids: feeds.input_ids,
          attention_mask: feeds.encoder_attention_mask,
          ...(pastGiven ? { past_key_values: past } : {}),
        });
      } else {
        // An encoder case: transformers.js's encoder session, as generate() runs it.
        const session = model.sessions.model;
        const ortFeeds = {};
        for (const n of session.inputNames) ortFeeds[n] = feeds[n].ort_tensor;
        const raw = await session.run(ortFeeds);
        outputs = Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, new Tensor(v)]));
        // (Whisper's generate() wants its language and task tokens: not here.)
        if ('input_ids' in feeds) greedy.push({ caseName, id, model, kind: 'seq2seq', feeds });
      }
    } else if (cls === 'AutoModelForCausalLM') {
      outputs = await model({ ...feeds, ...(pastGiven ? { past_key_values: past } : {}) });
      // transformers.js's generate() feeds only the new token after the
      // first step, whatever use_cache says: a model without past cannot
      // generate there.  The with-past export of the same family does.
      if (task !== 'text-generation' && !pastGiven)
        greedy.push({ caseName, id, model, kind: 'causal', feeds, reference: vectors.logits });
      else if (task === 'text-generation')
        diag(`${caseName}: no generate(): transformers.js needs the past inputs of text-generation-with-past for it`);
    } else {
      outputs = await model(feeds);
    }
  } catch (e) {
    ok(false, `${caseName}: forward through transformers.js`, e.stack ?? String(e));
    continue;
  }
  // optimum 1.13's text-generation decoder_model.onnx also returned
  // present.*; current optimum's (and oxport's) model.onnx returns logits.
  const sessionOutputs = new Set(Object.values(model.sessions).flatMap((s) => s.outputNames));
  const absent = outputNames.filter((k) => k.startsWith('present.') && !sessionOutputs.has(k));
  if (absent.length > 0) diag(`${caseName}: the export has no ${absent.join(', ')} (logits only, as current optimum's ${task})`);
  compareOutputs(caseName, outputs, vectors, outputNames.filter((k) => !absent.includes(k)), atol);
  exported.set(caseDir, id);
}

// --- fp16: onnx/model_fp16.onnx, chosen by dtype: 'fp16' ---------------------
{
  const caseName = 'bert_feature-extraction';
  const caseDir = path.join(dataDir, caseName);
  const id = `${caseName}-fp16`;
  const err = oxportExport(caseDir, 'feature-extraction', path.join(workDir, id), ['--dtype', 'fp16']);
  if (err !== null) {
    ok(false, `${caseName}: oxport export --dtype fp16 --layout transformers.js`, err.trim());
  } else {
    const files = fs.readdirSync(path.join(workDir, id, 'onnx'));
    ok(files.join() === 'model_fp16.onnx', `${caseName} fp16: the file is onnx/model_fp16.onnx`, `onnx/ holds: ${files.join(', ')}`);
    try {
      const model = await tjs.AutoModel.from_pretrained(id, { dtype: 'fp16' });
      const v = readSafetensors(path.join(caseDir, 'vectors.safetensors'));
      const out = await model({ input_ids: v.input_ids, attention_mask: v.attention_mask, token_type_ids: v.token_type_ids });
      const r = maxDiff(out.last_hidden_state, v.last_hidden_state);
      // OXP_EXPORTER_HALF_ATOL: the tolerance oxport validates fp16 with.
      ok(r.diff <= 5e-2, `${caseName} fp16: last_hidden_state (${out.last_hidden_state.type}) through transformers.js, max diff ${r.diff?.toExponential(2)} (atol 5e-2)`, r.shape);
    } catch (e) {
      ok(false, `${caseName} fp16: AutoModel.from_pretrained(dtype fp16) loads the export`, e.stack ?? String(e));
    }
  }
}

// --- generate() ----------------------------------------------------------------
// transformers.js's own loop (its cache handling, position ids, the merged
// decoder's use_cache_branch) against a loop without cache: each step runs
// the whole sequence again and takes the argmax of the last position.  The
// first token must also be the argmax of the reference logits.
const argmaxLast = (logits, row) => {
  const [, seq, vocab] = logits.dims;
  const data = logits.data;
  let best = 0;
  const off = (row * seq + seq - 1) * vocab;
  for (let v = 1; v < vocab; v++) if (data[off + v] > data[off + best]) best = v;
  return best;
};

const NEW_TOKENS = 4;
for (const g of greedy) {
  try {
    if (g.kind === 'causal') {
      // One row, no padding: the reference's last position is a real token.
      const seq = g.feeds.input_ids.dims[1];
      const mask = Array.from(g.feeds.attention_mask.data.slice(0, seq), Number);
      const row = mask.every((m) => m === 1) ? 0 : 1;
      const ids = Array.from(g.feeds.input_ids.data.slice(row * seq, (row + 1) * seq));
      const input_ids = new Tensor('int64', BigInt64Array.from(ids), [1, seq]);
      const attention_mask = new Tensor('int64', new BigInt64Array(seq).fill(1n), [1, seq]);
      const out = await g.model.generate({ input_ids, attention_mask, max_new_tokens: NEW_TOKENS, do_sample: false, min_new_tokens: NEW_TOKENS, eos_token_id: null });
      const got = Array.from(out.data.slice(seq), Number);

      const loop = [];
      const cur = [...ids];
      for (let i = 0; i < NEW_TOKENS; i++) {
        const t = new Tensor('int64', BigInt64Array.from(cur), [1, cur.length]);
        const m = new Tensor('int64', new BigInt64Array(cur.length).fill(1n), [1, cur.length]);
        const o = await g.model({ input_ids: t, attention_mask: m });
        const next = argmaxLast(o.logits, 0);
        loop.push(next);
        cur.push(BigInt(next));
      }
      const refFirst = g.reference ? argmaxLast(g.reference, row) : null;
      ok(
        got.length === NEW_TOKENS && got.join() === loop.join() && (refFirst === null || got[0] === refFirst),
        `${g.caseName}: generate() (${NEW_TOKENS} greedy tokens with the cache) matches the no-cache loop and the reference argmax`,
        `generate: [${got}], no-cache loop: [${loop}], reference argmax of the first: ${refFirst}`,
      );
    } else {
      const seq = g.feeds.input_ids.dims[1];
      const input_ids = new Tensor('int64', g.feeds.input_ids.data.slice(0, seq), [1, seq]);
      const attention_mask = new Tensor('int64', g.feeds.attention_mask.data.slice(0, seq), [1, seq]);
      const start = g.model.config.decoder_start_token_id ?? 0;
      const out = await g.model.generate({ input_ids, attention_mask, max_new_tokens: NEW_TOKENS, min_new_tokens: NEW_TOKENS, do_sample: false, eos_token_id: null, forced_eos_token_id: null, forced_bos_token_id: null });
      const got = Array.from(out.data, Number);

      const loop = [start];
      for (let i = 0; i < NEW_TOKENS; i++) {
        const d = new Tensor('int64', BigInt64Array.from(loop.map(BigInt)), [1, loop.length]);
        const o = await g.model({ input_ids, attention_mask, decoder_input_ids: d });
        loop.push(argmaxLast(o.logits, 0));
      }
      ok(
        got.join() === loop.join(),
        `${g.caseName}: generate() (${NEW_TOKENS} greedy tokens, encoder_model + decoder_model_merged with the cache) matches the no-cache loop`,
        `generate: [${got}], no-cache loop: [${loop}]`,
      );
    }
  } catch (e) {
    ok(false, `${g.caseName}: generate() through transformers.js`, e.stack ?? String(e));
  }
}

// --- a pipeline with a tokenizer the test writes ------------------------------
// A WordPiece tokenizer.json over the first ids of the vocabulary, then
// pipeline('feature-extraction') on a sentence: the tokens must be the ones
// this vocabulary gives, and the hidden states those of the model on them.
{
  const caseName = 'bert_feature-extraction';
  const id = exported.get(path.join(dataDir, caseName));
  if (id === undefined) {
    ok(false, `pipeline: ${caseName} was not exported`);
  } else {
    const words = ['the', 'cat', 'sat', 'on', 'mat', 'dog', '##s'];
    const specials = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
    const vocab = Object.fromEntries([...specials, ...words].map((t, i) => [t, i]));
    const special = (content, i) => ({ id: i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    const tokenizer = {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: specials.map(special),
      normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
      pre_tokenizer: { type: 'BertPreTokenizer' },
      post_processor: {
        type: 'TemplateProcessing',
        single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
        pair: [
          { SpecialToken: { id: '[CLS]', type_id: 0 } },
          { Sequence: { id: 'A', type_id: 0 } },
          { SpecialToken: { id: '[SEP]', type_id: 0 } },
          { Sequence: { id: 'B', type_id: 1 } },
          { SpecialToken: { id: '[SEP]', type_id: 1 } },
        ],
        special_tokens: {
          '[CLS]': { id: '[CLS]', ids: [2], tokens: ['[CLS]'] },
          '[SEP]': { id: '[SEP]', ids: [3], tokens: ['[SEP]'] },
        },
      },
      decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
      model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
    };
    const dir = path.join(workDir, id);
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tokenizer));
    fs.writeFileSync(
      path.join(dir, 'tokenizer_config.json'),
      JSON.stringify({ tokenizer_class: 'BertTokenizer', do_lower_case: true, model_max_length: 512, cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }),
    );
    try {
      const extractor = await tjs.pipeline('feature-extraction', id, { dtype: 'fp32' });
      const text = 'The dogs sat on the zebra';
      const enc = await extractor.tokenizer(text);
      const ids = Array.from(enc.input_ids.data, Number);
      // [CLS] the dog ##s sat on the [UNK] [SEP]
      const wantIds = [2, 5, 10, 11, 7, 8, 5, 1, 3];
      ok(ids.join() === wantIds.join(), `pipeline: the test's tokenizer.json gives the expected ids`, `ids [${ids}], expected [${wantIds}]`);
      const features = await extractor(text);
      const model = await tjs.AutoModel.from_pretrained(id, { dtype: 'fp32' });
      const direct = await model(enc);
      const r = maxDiff(features, direct.last_hidden_state);
      ok(
        r.diff !== undefined && r.diff === 0 && features.dims.join() === `1,${wantIds.length},${model.config.hidden_size}`,
        `pipeline('feature-extraction') runs the export on its tokens: [${features.dims}], same as the model on them`,
        r.shape ?? `max diff ${r.diff}`,
      );
    } catch (e) {
      ok(false, `pipeline('feature-extraction') over ${caseName} with the test's tokenizer.json`, e.stack ?? String(e));
    }
  }
}

console.log(`1..${n}`);
process.exit(failed > 0 ? 1 : 0);
