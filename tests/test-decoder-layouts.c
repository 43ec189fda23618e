/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The text decoder's files, end to end in ONNX Runtime, with a small decoder
 * built here the way a plugin builds one (learned positions, grouped-query
 * attention with a cache, tied lm_head): current optimum's model.onnx, and
 * optimum 1.13's decoder_model / decoder_with_past_model /
 * decoder_model_merged with --legacy.  The merged file must store each
 * weight once and give both branches' outputs; a greedy loop fed back its
 * own cache must pick the tokens a run without cache picks.  ONNX Runtime
 * comes from OXPORT_ONNXRUNTIME; python3-onnx reads the written files. */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <oxport/oxport.h>

#include "oxp-test-utils.h"

enum
{
  VOCAB = 40,
  HIDDEN = 16,
  HEADS = 4,
  KV_HEADS = 2,
  HEAD_DIM = 4,
  LAYERS = 2,
  POSITIONS = 64,
};

/* ------------------------------------------------------------ the config */

typedef struct
{
  OxpTextDecoderOnnxConfig parent;
} ToyDecoderConfig;

typedef struct
{
  OxpTextDecoderOnnxConfigClass parent_class;
} ToyDecoderConfigClass;

static GType toy_decoder_config_get_type (void);
G_DEFINE_TYPE (ToyDecoderConfig, toy_decoder_config, OXP_TYPE_TEXT_DECODER_ONNX_CONFIG)

static gboolean
declares_input (OxpOnnxConfig *config, const char *name)
{
  g_autoptr (GPtrArray) inputs = oxp_onnx_config_get_inputs (config);

  for (guint i = 0; i < inputs->len; i++)
    if (strcmp (oxp_tensor_spec_get_name (g_ptr_array_index (inputs, i)), name) == 0)
      return TRUE;
  return FALSE;
}

/* A deliberately wrong variant: positions restart at 0 after the past. */
typedef struct
{
  ToyDecoderConfig parent;
} ToyStalePositionsConfig;

typedef struct
{
  ToyDecoderConfigClass parent_class;
} ToyStalePositionsConfigClass;

static GType toy_stale_positions_config_get_type (void);

static gboolean
toy_decoder_config_build_graph (OxpOnnxConfig *config, OxpGraph *graph, OxpCheckpoint *ckpt,
                                GError **error)
{
  OxpOnnxConfigWithPast *past = OXP_ONNX_CONFIG_WITH_PAST (config);
  gboolean past_in = oxp_onnx_config_with_past_get_use_past_in_inputs (past);
  gboolean presents = oxp_onnx_config_with_past_get_use_past (past);
  const char *positions, *h, *mask, *logits;

  if (G_TYPE_CHECK_INSTANCE_TYPE (config, toy_stale_positions_config_get_type ()))
    positions = oxp_block_position_ids (graph, "input_ids", NULL);
  else if (declares_input (config, "position_ids"))
    positions = "position_ids";
  else
    {
      const char *past_len = NULL;

      if (past_in)
        {
          past_len = oxp_graph_op (graph, "Shape", "past_key_values.0.key", NULL);
          past_len = oxp_graph_op (graph, "Gather", past_len,
                                   oxp_graph_add_constant_int64 (graph, "two", 2), NULL);
        }
      positions = oxp_block_position_ids (graph, "input_ids", past_len);
    }
  h = oxp_block_embedding (graph, ckpt, "input_ids", "wte.weight", VOCAB, HIDDEN, error);
  if (h == NULL)
    return FALSE;
  h = oxp_graph_op (
      graph, "Add", h,
      oxp_block_embedding (graph, ckpt, positions, "wpe.weight", POSITIONS, HIDDEN, error), NULL);
  mask = oxp_block_causal_attention_mask (graph, "attention_mask", "input_ids");

  for (guint i = 0; i < LAYERS; i++)
    {
      g_autofree char *qn = g_strdup_printf ("layers.%u.q", i);
      g_autofree char *kn = g_strdup_printf ("layers.%u.k", i);
      g_autofree char *vn = g_strdup_printf ("layers.%u.v", i);
      g_autofree char *on = g_strdup_printf ("layers.%u.o", i);
      g_autofree char *pk = g_strdup_printf ("past_key_values.%u.key", i);
      g_autofree char *pv = g_strdup_printf ("past_key_values.%u.value", i);
      g_autofree char *ok = g_strdup_printf ("present.%u.key", i);
      g_autofree char *ov = g_strdup_printf ("present.%u.value", i);
      const char *q, *k, *v, *a;

      oxp_graph_push_scope (graph, "layers.%u", i);
      q = oxp_block_linear (graph, ckpt, h, qn, HIDDEN, HEADS * HEAD_DIM, OXP_LINEAR_NO_BIAS,
                            error);
      k = oxp_block_linear (graph, ckpt, h, kn, HIDDEN, KV_HEADS * HEAD_DIM, OXP_LINEAR_NO_BIAS,
                            error);
      v = oxp_block_linear (graph, ckpt, h, vn, HIDDEN, KV_HEADS * HEAD_DIM, OXP_LINEAR_NO_BIAS,
                            error);
      if (q == NULL || k == NULL || v == NULL)
        return FALSE;
      q = oxp_block_split_heads (graph, q, HEADS, HEAD_DIM);
      k = oxp_block_split_heads (graph, k, KV_HEADS, HEAD_DIM);
      v = oxp_block_split_heads (graph, v, KV_HEADS, HEAD_DIM);
      if (past_in)
        {
          k = oxp_block_concat_past (graph, pk, k);
          v = oxp_block_concat_past (graph, pv, v);
        }
      if (presents
          && (!oxp_graph_bind_output (graph, ok, k, error)
              || !oxp_graph_bind_output (graph, ov, v, error)))
        return FALSE;
      k = oxp_block_repeat_kv (graph, k, KV_HEADS, HEADS / KV_HEADS, HEAD_DIM);
      v = oxp_block_repeat_kv (graph, v, KV_HEADS, HEADS / KV_HEADS, HEAD_DIM);
      a = oxp_block_attention (graph, q, k, v, mask, 1.0 / sqrt (HEAD_DIM));
      a = oxp_block_merge_heads (graph, a, HEADS, HEAD_DIM);
      a = oxp_block_linear (graph, ckpt, a, on, HEADS * HEAD_DIM, HIDDEN, OXP_LINEAR_NO_BIAS,
                            error);
      if (a == NULL)
        return FALSE;
      h = oxp_graph_op (graph, "Add", h, a, NULL);
      oxp_graph_pop_scope (graph);
    }
  logits = oxp_block_linear_from (graph, ckpt, h, "wte.weight", NULL, HIDDEN, VOCAB,
                                  OXP_LINEAR_NO_BIAS | OXP_LINEAR_SHARED_WEIGHT, error);
  return logits != NULL && oxp_graph_bind_output (graph, "logits", logits, error);
}

static void
toy_decoder_config_class_init (ToyDecoderConfigClass *klass)
{
  OxpOnnxConfigClass *config_class = OXP_ONNX_CONFIG_CLASS (klass);

  config_class->default_opset = 17;
  config_class->min_opset = 14;
  config_class->atol = 1e-4;
  config_class->build_graph = toy_decoder_config_build_graph;
  OXP_TEXT_DECODER_ONNX_CONFIG_CLASS (klass)->uses_position_ids = TRUE;
}

static void
toy_decoder_config_init (ToyDecoderConfig *self)
{
}

G_DEFINE_TYPE (ToyStalePositionsConfig, toy_stale_positions_config, toy_decoder_config_get_type ())

static void
toy_stale_positions_config_class_init (ToyStalePositionsConfigClass *klass)
{
}

static void
toy_stale_positions_config_init (ToyStalePositionsConfig *self)
{
}

/* ------------------------------------------------------------ fixture */

static const char toy_json[]
    = "{\"model_type\": \"toy\", \"architectures\": [\"ToyForCausalLM\"], \"hidden_size\": 16,"
      " \"num_hidden_layers\": 2, \"num_attention_heads\": 4, \"num_key_value_heads\": 2,"
      " \"vocab_size\": 40, \"max_position_embeddings\": 64, \"pad_token_id\": 0}";

/* Weights k/256, |k| ≤ 128 (a power-of-two scale of 8-bit integers), are
 * exact in F32, F16 and BF16 alike: a checkpoint in any of them holds the
 * same model. */
static void
put_value (GByteArray *data, const char *dtype, float x)
{
  guint32 bits;

  memcpy (&bits, &x, sizeof bits);
  if (strcmp (dtype, "F32") == 0)
    g_byte_array_append (data, (const guint8 *)&x, sizeof x);
  else if (strcmp (dtype, "BF16") == 0)
    {
      guint16 h = (guint16)(bits >> 16);
      g_byte_array_append (data, (const guint8 *)&h, sizeof h);
    }
  else
    {
      /* Normal or zero values only, exact: no rounding needed. */
      guint16 h = 0;

      if ((bits & 0x7fffffffu) != 0)
        h = (guint16)(((bits >> 16) & 0x8000u) | ((((bits >> 23) & 0xffu) - 127 + 15) << 10)
                      | ((bits >> 13) & 0x3ffu));
      else
        h = (guint16)((bits >> 16) & 0x8000u);
      g_byte_array_append (data, (const guint8 *)&h, sizeof h);
    }
}

static void
write_checkpoint_as (const char *dir, const char *dtype)
{
  static const struct
  {
    const char *name;
    gint64 rows, cols;
  } tensors[] = {
    { "wte.weight", VOCAB, HIDDEN },
    { "wpe.weight", POSITIONS, HIDDEN },
    { "layers.0.q.weight", HEADS * HEAD_DIM, HIDDEN },
    { "layers.0.k.weight", KV_HEADS * HEAD_DIM, HIDDEN },
    { "layers.0.v.weight", KV_HEADS * HEAD_DIM, HIDDEN },
    { "layers.0.o.weight", HIDDEN, HEADS * HEAD_DIM },
    { "layers.1.q.weight", HEADS * HEAD_DIM, HIDDEN },
    { "layers.1.k.weight", KV_HEADS * HEAD_DIM, HIDDEN },
    { "layers.1.v.weight", KV_HEADS * HEAD_DIM, HIDDEN },
    { "layers.1.o.weight", HIDDEN, HEADS * HEAD_DIM },
  };
  g_autoptr (GString) header = g_string_new ("{");
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (GRand) rand = g_rand_new_with_seed (20261201);
  g_autoptr (GString) file = g_string_new (NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autofree char *config_path = g_build_filename (dir, "config.json", NULL);
  g_autofree char *generation_path = g_build_filename (dir, "generation_config.json", NULL);
  g_autoptr (GError) error = NULL;
  guint64 header_len;

  for (gsize t = 0; t < G_N_ELEMENTS (tensors); t++)
    {
      gsize start = data->len;

      /* About ±2/√fan_in, as a trained model's scale. */
      for (gint64 i = 0; i < tensors[t].rows * tensors[t].cols; i++)
        put_value (data, dtype, (float)g_rand_int_range (rand, -128, 129) / 256.0f);
      g_string_append_printf (header,
                              "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[%" G_GINT64_FORMAT
                              ",%" G_GINT64_FORMAT "],\"data_offsets\":[%" G_GSIZE_FORMAT ",%u]}",
                              t ? "," : "", tensors[t].name, dtype, tensors[t].rows,
                              tensors[t].cols, start, data->len);
    }
  g_string_append_c (header, '}');
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  header_len = GUINT64_TO_LE ((guint64)header->len);
  g_string_append_len (file, (const char *)&header_len, 8);
  g_string_append_len (file, header->str, (gssize)header->len);
  g_string_append_len (file, (const char *)data->data, (gssize)data->len);
  g_file_set_contents (path, file->str, (gssize)file->len, &error);
  g_assert_no_error (error);
  g_file_set_contents (config_path, toy_json, -1, &error);
  g_assert_no_error (error);
  g_file_set_contents (generation_path, "{\"bos_token_id\": 1, \"eos_token_id\": 2}\n", -1, &error);
  g_assert_no_error (error);
}

static void
write_checkpoint (const char *dir)
{
  write_checkpoint_as (dir, "F32");
}

typedef struct
{
  char *dir;
  char *out;
  OxpCheckpoint *checkpoint;
  OxpRuntime *runtime;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  const char *ort = g_getenv ("OXPORT_ONNXRUNTIME");
  g_autoptr (GError) error = NULL;

  f->dir = oxp_test_make_tmpdir ("oxp-toy-XXXXXX");
  f->out = g_build_filename (f->dir, "out", NULL);
  g_assert_cmpint (g_mkdir (f->out, 0755), ==, 0);
  write_checkpoint (f->dir);
  f->checkpoint = oxp_checkpoint_open (f->dir, &error);
  g_assert_no_error (error);
  if (ort != NULL && *ort != '\0')
    {
      f->runtime = oxp_runtime_new (ort, FALSE, &error);
      g_assert_no_error (error);
    }
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  g_clear_object (&f->checkpoint);
  g_clear_object (&f->runtime);
  g_free (f->out);
  g_free (f->dir);
}

static gboolean
need_runtime (Fixture *f)
{
  if (f->runtime != NULL)
    return TRUE;
  g_test_skip ("OXPORT_ONNXRUNTIME is not set: no ONNX Runtime");
  return FALSE;
}

static OxpOnnxConfig *
toy_config_of_type (GType type, const char *task, gboolean with_past, gboolean legacy)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpOnnxConfig) base = NULL;

  json_parser_load_from_data (parser, toy_json, -1, &error);
  g_assert_no_error (error);
  base = oxp_onnx_config_new (type, task, json_node_get_object (json_parser_get_root (parser)),
                              &error);
  g_assert_no_error (error);
  return oxp_onnx_config_copy (base, "use-past", with_past, "legacy", legacy, NULL);
}

static OxpOnnxConfig *
toy_config (const char *task, gboolean with_past, gboolean legacy)
{
  return toy_config_of_type (toy_decoder_config_get_type (), task, with_past, legacy);
}

/* Writes every file of @config into f->out, as the exporter does; returns
 * the submodels. */
static GPtrArray *
export_all (Fixture *f, OxpOnnxConfig *config)
{
  GPtrArray *submodels = oxp_onnx_config_dup_submodels (config);

  for (guint i = 0; i < submodels->len; i++)
    {
      OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);
      g_autofree char *path = g_build_filename (f->out, oxp_onnx_config_get_file_name (sub), NULL);
      g_autoptr (OxpGraph) graph = oxp_graph_new ("main_graph", 17);
      g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
      g_autoptr (GError) error = NULL;

      oxp_onnx_config_build_graph (sub, graph, f->checkpoint, &error);
      g_assert_no_error (error);
      oxp_onnx_writer_write (writer, graph, path, &error);
      g_assert_no_error (error);
    }
  return submodels;
}

static OxpRuntimeSession *
open_session (Fixture *f, const char *file)
{
  g_autofree char *path = g_build_filename (f->out, file, NULL);
  g_autoptr (GError) error = NULL;
  OxpRuntimeSession *session = oxp_runtime_open_session (f->runtime, path, &error);

  g_assert_no_error (error);
  return session;
}

static OxpTensor *
int64_tensor (const char *name, gint64 rows, gint64 cols, const gint64 *values)
{
  const gint64 shape[] = { rows, cols };
  OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_INT64, shape, 2);

  memcpy (oxp_tensor_get_mutable_data (t), values, (gsize)(rows * cols) * sizeof (gint64));
  return t;
}

static OxpTensor *
renamed (const OxpTensor *t, const char *name)
{
  OxpTensor *copy = oxp_tensor_new (name, oxp_tensor_get_dtype (t), oxp_tensor_get_shape (t),
                                    oxp_tensor_get_rank (t));

  memcpy (oxp_tensor_get_mutable_data (copy), oxp_tensor_get_data (t), oxp_tensor_get_size (t));
  return copy;
}

static OxpTensor *
empty_past (const char *name, gint64 batch)
{
  const gint64 shape[] = { batch, KV_HEADS, 0, HEAD_DIM };

  return oxp_tensor_new (name, OXP_DATA_TYPE_FLOAT, shape, 4);
}

static OxpTensor *
bool_tensor (const char *name, gboolean value)
{
  const gint64 shape[] = { 1 };
  OxpTensor *t = oxp_tensor_new (name, OXP_DATA_TYPE_BOOL, shape, 1);

  *(guint8 *)oxp_tensor_get_mutable_data (t) = value ? 1 : 0;
  return t;
}

static GPtrArray *
tensor_array (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_unref);
}

static GPtrArray *
run (OxpRuntimeSession *session, GPtrArray *inputs)
{
  g_autoptr (GError) error = NULL;
  GPtrArray *outputs = oxp_runtime_session_run (session, inputs, &error);

  g_assert_no_error (error);
  return outputs;
}

static double
max_diff (const OxpTensor *a, const OxpTensor *b)
{
  double worst = 0;

  g_assert_cmpuint (oxp_tensor_get_rank (a), ==, oxp_tensor_get_rank (b));
  g_assert_cmpmem (oxp_tensor_get_shape (a), oxp_tensor_get_rank (a) * sizeof (gint64),
                   oxp_tensor_get_shape (b), oxp_tensor_get_rank (b) * sizeof (gint64));
  for (gsize i = 0; i < oxp_tensor_get_n_elements (a); i++)
    worst = MAX (worst, fabs (oxp_tensor_get_element_as_double (a, i)
                              - oxp_tensor_get_element_as_double (b, i)));
  return worst;
}

/* ------------------------------------------------------------ tests */

/* The prompt: 2 rows of 5, the second padded on the right by 2. */
static const gint64 prompt_ids[] = { 5, 17, 3, 29, 11, 7, 22, 35, 0, 0 };
static const gint64 prompt_mask[] = { 1, 1, 1, 1, 1, 1, 1, 1, 0, 0 };
static const gint64 prompt_positions[] = { 0, 1, 2, 3, 4, 0, 1, 2, 1, 1 };

/* The merged file: one initializer per weight (no copy for the second
 * branch, nor for the tied lm_head), none in the branches, and each branch
 * gives the outputs of its own file. */
static void
test_legacy_merged (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpOnnxConfig) config = toy_config ("text-generation", TRUE, TRUE);
  g_autoptr (GPtrArray) submodels = export_all (f, config);
  g_autofree char *merged_path = g_build_filename (f->out, "decoder_model_merged.onnx", NULL);
  g_autofree char *plain_path = g_build_filename (f->out, "decoder_model.onnx", NULL);
  g_autofree char *script_path = oxp_test_srcdir_path ("check-merged-decoder.py", NULL);
  const char *python = g_getenv ("PYTHON3") ? g_getenv ("PYTHON3") : "/usr/bin/python3";
  const char *argv[] = { python, script_path, merged_path, plain_path, NULL };
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonParser) parser = json_parser_new ();
  JsonObject *facts;
  int status = 0;

  g_assert_cmpuint (submodels->len, ==, 3);
  g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 2)), ==,
                   "decoder_model_merged.onnx");

  if (!g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
    g_test_message ("no %s: initializers not counted", python);
  else
    {
      g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                    &error);
      g_assert_no_error (error);
      if (g_spawn_check_wait_status (status, NULL))
        {
          json_parser_load_from_data (parser, out, -1, &error);
          g_assert_no_error (error);
          facts = json_node_get_object (json_parser_get_root (parser));
          g_test_message ("%s", out);
          /* The 10 checkpoint tensors, each once, in the main graph. */
          g_assert_cmpint (json_object_get_int_member (facts, "duplicate_names"), ==, 0);
          g_assert_cmpint (json_object_get_int_member (facts, "duplicate_large_payloads"), ==, 0);
          g_assert_cmpint (json_object_get_int_member (facts, "branch_initializers"), ==, 0);
          g_assert_cmpint (json_object_get_int_member (facts, "weights"), ==, 10);
          g_assert_cmpint (json_object_get_int_member (facts, "weight_bytes"), ==,
                           json_object_get_int_member (facts, "plain_weight_bytes"));
          g_assert_cmpstr (json_object_get_string_member (facts, "inputs"), ==,
                           "input_ids,attention_mask,past_key_values.0.key,"
                           "past_key_values.0.value,past_key_values.1.key,"
                           "past_key_values.1.value,use_cache_branch");
          g_assert_cmpstr (json_object_get_string_member (facts, "outputs"), ==,
                           "logits,present.0.key,present.0.value,present.1.key,present.1.value");
        }
      else if (strstr (err, "No module named") != NULL)
        g_test_message ("python3-onnx missing: initializers not counted (%s)", err);
      else
        g_error ("check-merged-decoder.py failed: %s%s", out, err);
    }

  if (!need_runtime (f))
    return;
  {
    g_autoptr (OxpRuntimeSession) merged = open_session (f, "decoder_model_merged.onnx");
    g_autoptr (OxpRuntimeSession) plain = open_session (f, "decoder_model.onnx");
    g_autoptr (OxpRuntimeSession) with_past = open_session (f, "decoder_with_past_model.onnx");
    g_autoptr (GPtrArray) in = tensor_array ();
    g_autoptr (GPtrArray) in_merged = tensor_array ();
    g_autoptr (GPtrArray) first = NULL;
    g_autoptr (GPtrArray) first_merged = NULL;
    g_autoptr (GPtrArray) step_in = tensor_array ();
    g_autoptr (GPtrArray) step_merged_in = tensor_array ();
    g_autoptr (GPtrArray) step = NULL;
    g_autoptr (GPtrArray) step_merged = NULL;
    static const gint64 next_ids[] = { 9, 31 };
    static const gint64 next_mask[] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 1 };

    /* First step: the no-cache branch, whatever past is fed. */
    g_ptr_array_add (in, int64_tensor ("input_ids", 2, 5, prompt_ids));
    g_ptr_array_add (in, int64_tensor ("attention_mask", 2, 5, prompt_mask));
    first = run (plain, in);
    g_ptr_array_add (in_merged, int64_tensor ("input_ids", 2, 5, prompt_ids));
    g_ptr_array_add (in_merged, int64_tensor ("attention_mask", 2, 5, prompt_mask));
    for (guint i = 0; i < 2 * LAYERS; i++)
      {
        g_autofree char *name
            = g_strdup_printf ("past_key_values.%u.%s", i / 2, i % 2 ? "value" : "key");
        g_ptr_array_add (in_merged, empty_past (name, 2));
      }
    g_ptr_array_add (in_merged, bool_tensor ("use_cache_branch", FALSE));
    first_merged = run (merged, in_merged);
    g_assert_cmpuint (first_merged->len, ==, first->len);
    for (guint i = 0; i < first->len; i++)
      g_assert_cmpfloat (
          max_diff (g_ptr_array_index (first_merged, i), g_ptr_array_index (first, i)), ==, 0.0);

    /* Next step: the cache branch, fed the first step's presents. */
    g_ptr_array_add (step_in, int64_tensor ("input_ids", 2, 1, next_ids));
    g_ptr_array_add (step_in, int64_tensor ("attention_mask", 2, 6, next_mask));
    g_ptr_array_add (step_merged_in, int64_tensor ("input_ids", 2, 1, next_ids));
    g_ptr_array_add (step_merged_in, int64_tensor ("attention_mask", 2, 6, next_mask));
    for (guint i = 0; i < 2 * LAYERS; i++)
      {
        g_autofree char *name
            = g_strdup_printf ("past_key_values.%u.%s", i / 2, i % 2 ? "value" : "key");
        g_ptr_array_add (step_in, renamed (g_ptr_array_index (first, i + 1), name));
        g_ptr_array_add (step_merged_in, renamed (g_ptr_array_index (first, i + 1), name));
      }
    g_ptr_array_add (step_merged_in, bool_tensor ("use_cache_branch", TRUE));
    step = run (with_past, step_in);
    step_merged = run (merged, step_merged_in);
    for (guint i = 0; i < step->len; i++)
      g_assert_cmpfloat (max_diff (g_ptr_array_index (step_merged, i), g_ptr_array_index (step, i)),
                         ==, 0.0);
    /* The cache grew by the new token. */
    g_assert_cmpint (oxp_tensor_get_shape (g_ptr_array_index (step_merged, 1))[2], ==, 6);
  }
}

/* Each file the config writes passes the validator (its dummy inputs,
 * use_cache_branch included, fit the file). */
static void
validate_all (Fixture *f, GPtrArray *submodels)
{
  g_autoptr (OxpValidator) validator = oxp_validator_new (f->runtime);

  for (guint i = 0; i < submodels->len; i++)
    {
      OxpOnnxConfig *sub = g_ptr_array_index (submodels, i);
      g_autofree char *path = g_build_filename (f->out, oxp_onnx_config_get_file_name (sub), NULL);
      g_autoptr (OxpValidationReport) report = NULL;
      g_autoptr (GError) error = NULL;
      g_autofree char *table = NULL;

      oxp_validator_validate (validator, sub, path, &report, &error);
      table = oxp_validation_report_to_table (report);
      g_test_message ("%s\n%s", oxp_onnx_config_get_file_name (sub), table);
      g_assert_no_error (error);
    }
}

static void
test_validate (Fixture *f, gconstpointer data)
{
  gboolean legacy = GPOINTER_TO_INT (data);
  g_autoptr (OxpOnnxConfig) config = toy_config ("text-generation", TRUE, legacy);
  g_autoptr (GPtrArray) submodels = export_all (f, config);

  g_assert_cmpuint (submodels->len, ==, legacy ? 3 : 1);
  if (!legacy)
    g_assert_cmpstr (oxp_onnx_config_get_file_name (g_ptr_array_index (submodels, 0)), ==,
                     "model.onnx");
  if (need_runtime (f))
    validate_all (f, submodels);
}

/* The validator's cache check catches positions that ignore the past,
 * which the dummy runs alone do not (shapes and values stay plausible). */
static void
test_cache_check_fails (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpOnnxConfig) config
      = toy_config_of_type (toy_stale_positions_config_get_type (), "text-generation", TRUE, FALSE);
  g_autoptr (GPtrArray) submodels = export_all (f, config);
  g_autofree char *path = g_build_filename (f->out, "model.onnx", NULL);
  g_autoptr (OxpValidator) validator = NULL;
  g_autoptr (OxpValidationReport) report = NULL;
  g_autoptr (GError) error = NULL;
  const OxpValidationCheck *failure;

  if (!need_runtime (f))
    return;
  validator = oxp_validator_new (f->runtime);
  g_assert_false (
      oxp_validator_validate (validator, g_ptr_array_index (submodels, 0), path, &report, &error));
  g_assert_error (error, OXP_VALIDATION_ERROR, OXP_VALIDATION_ERROR_TOLERANCE);
  failure = oxp_validation_report_get_first_failure (report);
  g_assert_cmpint (oxp_validation_check_get_kind (failure), ==, OXP_VALIDATION_CHECK_CACHE);
  g_assert_cmpstr (oxp_validation_check_get_name (failure), ==, "logits");
  g_assert_cmpfloat (oxp_validation_check_get_max_abs_diff (failure), >, 1e-3);
}

/* Greedy decoding through model.onnx, 4 new tokens: feeding each step's
 * presents back as the next past (what a client does) must choose the
 * tokens that recomputing the whole sequence without past chooses. */
static void
test_greedy_generation (Fixture *f, gconstpointer data)
{
  g_autoptr (OxpOnnxConfig) config = toy_config ("text-generation", TRUE, FALSE);
  g_autoptr (GPtrArray) submodels = export_all (f, config);
  g_autoptr (OxpRuntimeSession) session = NULL;
  static const gint64 prompt[] = { 5, 17, 3, 29, 11, 7, 22, 35, 2, 19 };
  g_autofree gint64 *cached = NULL;
  g_autofree gint64 *recomputed = NULL;

  if (!need_runtime (f))
    return;
  session = open_session (f, "model.onnx");
  cached = oxp_test_greedy_generate (session, 2, 5, prompt, 4, TRUE);
  recomputed = oxp_test_greedy_generate (session, 2, 5, prompt, 4, FALSE);
  g_test_message ("tokens with cache %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                  " %" G_GINT64_FORMAT " | %" G_GINT64_FORMAT " %" G_GINT64_FORMAT
                  " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                  cached[0], cached[1], cached[2], cached[3], cached[4], cached[5], cached[6],
                  cached[7]);
  g_assert_cmpmem (cached, 8 * sizeof (gint64), recomputed, 8 * sizeof (gint64));

  /* The comparison can fail: with positions that ignore the past, the
   * cached loop picks other tokens. */
  {
    g_autoptr (OxpOnnxConfig) stale = toy_config_of_type (toy_stale_positions_config_get_type (),
                                                          "text-generation", TRUE, FALSE);
    g_autoptr (GPtrArray) stale_models = export_all (f, stale);
    g_autoptr (OxpRuntimeSession) stale_session = open_session (f, "model.onnx");
    g_autofree gint64 *stale_cached
        = oxp_test_greedy_generate (stale_session, 2, 5, prompt, 4, TRUE);
    g_autofree gint64 *stale_recomputed
        = oxp_test_greedy_generate (stale_session, 2, 5, prompt, 4, FALSE);

    g_assert_true (memcmp (stale_cached, stale_recomputed, 8 * sizeof (gint64)) != 0);
  }
}

/* Checkpoints in F32, F16 and BF16 holding the same (exactly
 * representable) weights export to fp32 files giving identical logits:
 * half-precision tensors are widened exactly while streaming.  From the
 * BF16 checkpoint, an fp16 export validates (cache check included) within
 * the half-precision tolerance, and a bf16 export stores bf16 weights. */
static void
test_checkpoint_dtypes (Fixture *f, gconstpointer data)
{
  static const char *const dtypes[] = { "F32", "F16", "BF16" };
  g_autoptr (GPtrArray) first_logits = NULL;

  if (!need_runtime (f))
    return;
  for (guint d = 0; d < G_N_ELEMENTS (dtypes); d++)
    {
      g_autofree char *dir = oxp_test_make_tmpdir ("oxp-toy-dtype-XXXXXX");
      g_autoptr (OxpCheckpoint) checkpoint = NULL;
      g_autoptr (OxpOnnxConfig) config = toy_config ("text-generation", FALSE, FALSE);
      g_autoptr (OxpGraph) graph = oxp_graph_new ("main_graph", 17);
      g_autoptr (OxpOnnxWriter) writer = oxp_onnx_writer_new ();
      g_autofree char *path = g_build_filename (dir, "model.onnx", NULL);
      g_autoptr (OxpRuntimeSession) session = NULL;
      g_autoptr (GPtrArray) in = tensor_array ();
      g_autoptr (GPtrArray) out = NULL;
      g_autoptr (GError) error = NULL;

      write_checkpoint_as (dir, dtypes[d]);
      checkpoint = oxp_checkpoint_open (dir, &error);
      g_assert_no_error (error);
      g_assert_cmpint (
          oxp_checkpoint_tensor_get_dtype (oxp_checkpoint_lookup (checkpoint, "layers.1.o.weight")),
          ==,
          d == 0   ? OXP_DATA_TYPE_FLOAT
          : d == 1 ? OXP_DATA_TYPE_FLOAT16
                   : OXP_DATA_TYPE_BFLOAT16);
      oxp_onnx_config_build_graph (config, graph, checkpoint, &error);
      g_assert_no_error (error);
      oxp_onnx_writer_write (writer, graph, path, &error);
      g_assert_no_error (error);
      session = oxp_runtime_open_session (f->runtime, path, &error);
      g_assert_no_error (error);
      g_ptr_array_add (in, int64_tensor ("input_ids", 2, 5, prompt_ids));
      g_ptr_array_add (in, int64_tensor ("attention_mask", 2, 5, prompt_mask));
      g_ptr_array_add (in, int64_tensor ("position_ids", 2, 5, prompt_positions));
      out = run (session, in);
      if (first_logits == NULL)
        first_logits = g_ptr_array_ref (out);
      else
        g_assert_cmpfloat (
            max_diff (g_ptr_array_index (out, 0), g_ptr_array_index (first_logits, 0)), ==, 0.0);

      if (d == 2)
        {
          g_autoptr (OxpOnnxConfig) half = toy_config ("text-generation", TRUE, FALSE);
          g_autoptr (OxpOnnxConfig) bf16 = toy_config ("text-generation", TRUE, FALSE);
          g_autoptr (GPtrArray) half_models = oxp_onnx_config_dup_submodels (half);
          g_autoptr (GPtrArray) bf16_models = oxp_onnx_config_dup_submodels (bf16);
          OxpOnnxConfig *half_model = g_ptr_array_index (half_models, 0);
          OxpOnnxConfig *bf16_model = g_ptr_array_index (bf16_models, 0);
          g_autoptr (OxpGraph) half_graph = oxp_graph_new ("main_graph", 17);
          g_autoptr (OxpGraph) bf16_graph = oxp_graph_new ("main_graph", 17);
          g_autofree char *half_path = g_build_filename (dir, "model-fp16.onnx", NULL);
          g_autofree char *bf16_path = g_build_filename (dir, "model-bf16.onnx", NULL);
          g_autoptr (OxpValidator) validator = oxp_validator_new (f->runtime);
          g_autoptr (OxpValidationReport) report = NULL;
          g_autofree char *types = NULL;
          const char *python = g_getenv ("PYTHON3") ? g_getenv ("PYTHON3") : "/usr/bin/python3";
          const char *argv[] = { python, "-c",
                                 "import onnx, sys; m = onnx.load(sys.argv[1]); "
                                 "print(sorted({i.data_type for i in m.graph.initializer "
                                 "if i.name.endswith('.weight') or i.name.endswith('.weight.T')}))",
                                 bf16_path, NULL };
          int status = 0;

          oxp_onnx_config_set_float_type (half_model, OXP_DATA_TYPE_FLOAT16);
          oxp_graph_set_float_type (half_graph, OXP_DATA_TYPE_FLOAT16);
          oxp_onnx_config_build_graph (half_model, half_graph, checkpoint, &error);
          g_assert_no_error (error);
          oxp_onnx_writer_write (writer, half_graph, half_path, &error);
          g_assert_no_error (error);
          oxp_validator_set_atol (validator, OXP_EXPORTER_HALF_ATOL);
          oxp_validator_validate (validator, half_model, half_path, &report, &error);
          g_assert_no_error (error);

          oxp_onnx_config_set_float_type (bf16_model, OXP_DATA_TYPE_BFLOAT16);
          oxp_graph_set_float_type (bf16_graph, OXP_DATA_TYPE_BFLOAT16);
          oxp_onnx_config_build_graph (bf16_model, bf16_graph, checkpoint, &error);
          g_assert_no_error (error);
          oxp_onnx_writer_write (writer, bf16_graph, bf16_path, &error);
          g_assert_no_error (error);
          if (g_file_test (python, G_FILE_TEST_IS_EXECUTABLE))
            {
              g_spawn_sync (NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL,
                            &types, NULL, &status, &error);
              g_assert_no_error (error);
              /* TensorProto.BFLOAT16 is 16. */
              if (g_spawn_check_wait_status (status, NULL))
                g_assert_cmpstr (types, ==, "[16]\n");
            }
        }
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

#define ADD(path, func)                                                                            \
  g_test_add ("/oxp/decoder-layouts/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("legacy/merged", test_legacy_merged);
  g_test_add ("/oxp/decoder-layouts/legacy/validate", Fixture, GINT_TO_POINTER (TRUE),
              fixture_set_up, test_validate, fixture_tear_down);
  g_test_add ("/oxp/decoder-layouts/model/validate", Fixture, GINT_TO_POINTER (FALSE),
              fixture_set_up, test_validate, fixture_tear_down);
  ADD ("model/cache-check-fails", test_cache_check_fails);
  ADD ("model/greedy-generation", test_greedy_generation);
  ADD ("checkpoint-dtypes", test_checkpoint_dtypes);
#undef ADD

  return g_test_run ();
}
