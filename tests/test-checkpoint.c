/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <oxport/oxport.h>

#include "oxp-test-utils.h"

static const char good_config[] = "{\"model_type\": \"bert\", \"hidden_size\": 4}";

/* ---- small writers for the files a test needs ------------------------- */

static void
write_file (const char *path, const void *data, gsize size)
{
  g_autoptr (GError) error = NULL;

  g_file_set_contents (path, data, (gssize)size, &error);
  g_assert_no_error (error);
}

static void
write_text (const char *dir, const char *name, const char *text)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  write_file (path, text, strlen (text));
}

/* A safetensors file from a literal JSON header and @data_size bytes of
 * data (@data, or a byte pattern when NULL). @declared overrides the
 * length prefix when non-zero. */
static void
write_safetensors_full (const char *path, const char *header, guint64 declared, const void *data,
                        gsize data_size)
{
  g_autoptr (GByteArray) bytes = g_byte_array_new ();
  guint64 n = declared ? declared : strlen (header);
  guint8 prefix[8];

  for (int i = 0; i < 8; i++)
    prefix[i] = (guint8)(n >> (8 * i));
  g_byte_array_append (bytes, prefix, 8);
  g_byte_array_append (bytes, (const guint8 *)header, strlen (header));
  for (gsize i = 0; i < data_size; i++)
    {
      guint8 b = data ? ((const guint8 *)data)[i] : (guint8)(i * 7 + 1);
      g_byte_array_append (bytes, &b, 1);
    }
  write_file (path, bytes->data, bytes->len);
}

static void
write_safetensors (const char *dir, const char *name, const char *header, gsize data_size)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);

  write_safetensors_full (path, header, 0, NULL, data_size);
}

/* A temporary model folder with @config (none when NULL). */
static char *
make_model_dir (const char *config)
{
  char *dir = oxp_test_make_tmpdir ("oxp-ckpt-XXXXXX");

  if (config != NULL)
    write_text (dir, "config.json", config);
  return dir;
}

/* Opening @path must fail with @code; the message must name every needle;
 * the folder must be left as it was. */
static void
assert_open_fails (const char *path, gboolean single_file, gint code, const char *needle1,
                   const char *needle2)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  g_autofree char *dir = single_file ? g_path_get_dirname (path) : g_strdup (path);
  guint before = oxp_test_count_dir_entries (dir);

  ckpt = single_file ? oxp_checkpoint_open_safetensors (path, &error)
                     : oxp_checkpoint_open (path, &error);
  g_assert_null (ckpt);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, code);
  g_test_message ("error: %s", error->message);
  if (needle1 != NULL && strstr (error->message, needle1) == NULL)
    g_error ("message \"%s\" does not name \"%s\"", error->message, needle1);
  if (needle2 != NULL && strstr (error->message, needle2) == NULL)
    g_error ("message \"%s\" does not name \"%s\"", error->message, needle2);
  g_assert_cmpuint (oxp_test_count_dir_entries (dir), ==, before);
}

static OxpCheckpoint *
open_ok (const char *dir)
{
  g_autoptr (GError) error = NULL;
  OxpCheckpoint *ckpt = oxp_checkpoint_open (dir, &error);

  g_assert_no_error (error);
  g_assert_nonnull (ckpt);
  return ckpt;
}

static void
assert_shape (const OxpCheckpointTensor *t, guint rank, const gint64 *shape)
{
  g_assert_nonnull (t);
  g_assert_cmpuint (oxp_checkpoint_tensor_get_rank (t), ==, rank);
  for (guint i = 0; i < rank; i++)
    g_assert_cmpint (oxp_checkpoint_tensor_get_shape (t)[i], ==, shape[i]);
}

static float
read_f32 (const OxpCheckpointTensor *t, gsize i)
{
  const guint8 *p = (const guint8 *)oxp_checkpoint_tensor_get_data (t) + 4 * i;
  guint32 bits = (guint32)p[0] | (guint32)p[1] << 8 | (guint32)p[2] << 16 | (guint32)p[3] << 24;
  float f;

  memcpy (&f, &bits, 4);
  return f;
}

/* TRUE when @p lies in a mapping of @file (Linux /proc/self/maps): the
 * weights are the memory map itself, not a copy. */
static gboolean
pointer_is_mapped_from (gconstpointer p, const char *file)
{
  g_autofree char *maps = NULL;
  g_autofree char *real = realpath (file, NULL);
  g_auto (GStrv) lines = NULL;

  g_assert_nonnull (real);
  if (!g_file_get_contents ("/proc/self/maps", &maps, NULL, NULL))
    return TRUE; /* no /proc: nothing to check against */
  lines = g_strsplit (maps, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      guint64 start, end;

      if (g_str_has_suffix (lines[i], real)
          && sscanf (lines[i], "%" G_GINT64_MODIFIER "x-%" G_GINT64_MODIFIER "x", &start, &end) == 2
          && (guintptr)p >= start && (guintptr)p < end)
        return TRUE;
    }
  return FALSE;
}

/* ---- malformed safetensors headers (one data-driven case each) -------- */

typedef struct
{
  const char *path;
  const char *header;
  gsize data_size;
  OxpCheckpointError code;
  const char *needle; /* the tensor or field the message must name */
} HeaderCase;

#define T1(dtype, shape, offsets)                                                                  \
  "{\"w\": {\"dtype\": " dtype ", \"shape\": " shape ", \"data_offsets\": " offsets "}}"

static const HeaderCase header_cases[] = {
  { "/oxp/checkpoint/safetensors/header-not-json", "{\"w\": {\"dtype\": ", 0,
    OXP_CHECKPOINT_ERROR_HEADER, "not valid JSON" },
  { "/oxp/checkpoint/safetensors/header-empty", "", 0, OXP_CHECKPOINT_ERROR_HEADER, "empty" },
  { "/oxp/checkpoint/safetensors/header-not-object", "[1, 2, 3]", 0, OXP_CHECKPOINT_ERROR_HEADER,
    "an array, expected an object" },
  { "/oxp/checkpoint/safetensors/header-string", "\"weights\"", 0, OXP_CHECKPOINT_ERROR_HEADER,
    "a string, expected an object" },
  { "/oxp/checkpoint/safetensors/header-bad-utf8", "{\"w\xff\": 1}", 0, OXP_CHECKPOINT_ERROR_HEADER,
    "UTF-8" },
  { "/oxp/checkpoint/safetensors/entry-not-object", "{\"w\": [1, 2]}", 0,
    OXP_CHECKPOINT_ERROR_HEADER, "'w'" },
  { "/oxp/checkpoint/safetensors/dtype-unknown", T1 ("\"Q7\"", "[2]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_DTYPE, "'Q7'" },
  { "/oxp/checkpoint/safetensors/dtype-unsupported-fp8", T1 ("\"F8_E4M3\"", "[2]", "[0, 2]"), 2,
    OXP_CHECKPOINT_ERROR_DTYPE, "'F8_E4M3'" },
  { "/oxp/checkpoint/safetensors/dtype-lower-case", T1 ("\"f32\"", "[2]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_DTYPE, "'f32'" },
  { "/oxp/checkpoint/safetensors/dtype-missing",
    "{\"w\": {\"shape\": [2], \"data_offsets\": [0, 8]}}", 8, OXP_CHECKPOINT_ERROR_DTYPE,
    "\"dtype\" is missing" },
  { "/oxp/checkpoint/safetensors/dtype-not-string", T1 ("4", "[2]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_DTYPE, "\"dtype\" is an integer" },
  { "/oxp/checkpoint/safetensors/shape-missing",
    "{\"w\": {\"dtype\": \"F32\", \"data_offsets\": [0, 8]}}", 8, OXP_CHECKPOINT_ERROR_SHAPE,
    "\"shape\" is missing" },
  { "/oxp/checkpoint/safetensors/shape-not-list", T1 ("\"F32\"", "2", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_SHAPE, "\"shape\" is an integer" },
  { "/oxp/checkpoint/safetensors/shape-negative", T1 ("\"F32\"", "[-2]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_SHAPE, "below zero" },
  { "/oxp/checkpoint/safetensors/shape-fraction", T1 ("\"F32\"", "[2.5]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_SHAPE, "dimension 0" },
  { "/oxp/checkpoint/safetensors/shape-string-dim", T1 ("\"F32\"", "[1, \"2\"]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_SHAPE, "dimension 1 of \"shape\" is a string" },
  { "/oxp/checkpoint/safetensors/shape-null-dim", T1 ("\"F32\"", "[null]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_SHAPE, "null" },
  { "/oxp/checkpoint/safetensors/shape-overflow",
    T1 ("\"F32\"", "[4294967296, 4294967296, 16]", "[0, 8]"), 8, OXP_CHECKPOINT_ERROR_SHAPE,
    "overflows" },
  { "/oxp/checkpoint/safetensors/shape-size-mismatch", T1 ("\"F32\"", "[3]", "[0, 8]"), 8,
    OXP_CHECKPOINT_ERROR_SHAPE, "shape [3] of F32" },
  { "/oxp/checkpoint/safetensors/shape-bytes-overflow",
    T1 ("\"F64\"", "[4611686018427387904]", "[0, 8]"), 8, OXP_CHECKPOINT_ERROR_SHAPE,
    "hold 8 bytes" },
  { "/oxp/checkpoint/safetensors/offsets-missing", "{\"w\": {\"dtype\": \"F32\", \"shape\": [2]}}",
    8, OXP_CHECKPOINT_ERROR_OFFSETS, "data_offsets" },
  { "/oxp/checkpoint/safetensors/offsets-one-value", T1 ("\"F32\"", "[2]", "[8]"), 8,
    OXP_CHECKPOINT_ERROR_OFFSETS, "data_offsets" },
  { "/oxp/checkpoint/safetensors/offsets-reversed", T1 ("\"F32\"", "[0]", "[8, 0]"), 8,
    OXP_CHECKPOINT_ERROR_OFFSETS, "BEGIN <= END" },
  { "/oxp/checkpoint/safetensors/offsets-negative", T1 ("\"F32\"", "[2]", "[-8, 0]"), 8,
    OXP_CHECKPOINT_ERROR_OFFSETS, "data_offsets" },
  { "/oxp/checkpoint/safetensors/offsets-out-of-range", T1 ("\"F32\"", "[4]", "[0, 16]"), 8,
    OXP_CHECKPOINT_ERROR_OFFSETS, "past the end of the data section (8 bytes)" },
  { "/oxp/checkpoint/safetensors/offsets-overlap",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
    " \"b\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [4, 12]}}",
    12, OXP_CHECKPOINT_ERROR_OFFSETS, "'a' [0, 8] and 'b' [4, 12] overlap" },
  { "/oxp/checkpoint/safetensors/offsets-same-range",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [2], \"data_offsets\": [0, 8]},"
    " \"b\": {\"dtype\": \"I32\", \"shape\": [2], \"data_offsets\": [0, 8]}}",
    8, OXP_CHECKPOINT_ERROR_OFFSETS, "overlap" },
  { "/oxp/checkpoint/safetensors/offsets-hole",
    "{\"a\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]},"
    " \"b\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [8, 12]}}",
    12, OXP_CHECKPOINT_ERROR_OFFSETS, "hole of 4 bytes before tensor 'b'" },
  { "/oxp/checkpoint/safetensors/offsets-hole-at-start", T1 ("\"U8\"", "[2]", "[2, 4]"), 4,
    OXP_CHECKPOINT_ERROR_OFFSETS, "before tensor 'w'" },
  { "/oxp/checkpoint/safetensors/offsets-trailing-bytes", T1 ("\"F32\"", "[1]", "[0, 4]"), 8,
    OXP_CHECKPOINT_ERROR_OFFSETS, "4 trailing bytes after the last tensor 'w'" },
  { "/oxp/checkpoint/safetensors/offsets-data-without-tensors", "{}", 8,
    OXP_CHECKPOINT_ERROR_OFFSETS, "8 trailing bytes" },
  { "/oxp/checkpoint/safetensors/duplicate-tensor",
    "{\"w\": {\"dtype\": \"U8\", \"shape\": [4], \"data_offsets\": [0, 4]},"
    " \"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}",
    4, OXP_CHECKPOINT_ERROR_DUPLICATE, "tensor 'w' appears twice" },
  { "/oxp/checkpoint/safetensors/duplicate-field",
    "{\"w\": {\"dtype\": \"U8\", \"dtype\": \"I8\", \"shape\": [4], \"data_offsets\": [0, 4]}}", 4,
    OXP_CHECKPOINT_ERROR_HEADER, "member \"dtype\" appears twice" },
  { "/oxp/checkpoint/safetensors/tensor-empty-name",
    "{\"\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0, 4]}}", 4,
    OXP_CHECKPOINT_ERROR_HEADER, "empty name" },
};

static void
test_header_case (gconstpointer data)
{
  const HeaderCase *c = data;
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *file = g_build_filename (dir, "model.safetensors", NULL);

  write_safetensors_full (file, c->header, 0, NULL, c->data_size);
  assert_open_fails (dir, FALSE, c->code, "model.safetensors", c->needle);
  /* The same file opened alone fails the same way. */
  assert_open_fails (file, TRUE, c->code, "model.safetensors", c->needle);
}

static void
test_header_nul_byte (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *file = g_build_filename (dir, "model.safetensors", NULL);
  /* A JSON prefix, then a NUL: a parser stopping there would accept "{}". */
  static const char header[] = "{}\0{\"w\": 1}";
  guint8 bytes[8 + sizeof header - 1] = { sizeof header - 1 };

  memcpy (bytes + 8, header, sizeof header - 1);
  write_file (file, bytes, sizeof bytes);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_HEADER, "model.safetensors",
                     "NUL byte at offset 2");
}

static void
test_truncated (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *file = g_build_filename (dir, "model.safetensors", NULL);

  write_file (file, "\x10\0\0\0\0", 5);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_HEADER, "model.safetensors", "truncated");
  write_file (file, "", 0);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_HEADER, "model.safetensors", "0 bytes");
}

static void
test_header_past_end (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *file = g_build_filename (dir, "model.safetensors", NULL);

  /* Claims 1000 header bytes; the file ends after 2 + 4 bytes of data. */
  write_safetensors_full (file, "{}", 1000, NULL, 4);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_HEADER, "model.safetensors",
                     "header length 1000 runs past the end of the file (14 bytes)");
}

static void
test_header_too_large (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *file = g_build_filename (dir, "model.safetensors", NULL);

  write_safetensors_full (file, "{}", G_GUINT64_CONSTANT (200000000), NULL, 0);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_HEADER, "model.safetensors",
                     "header length 200000000 is above the 100000000-byte limit");
  write_safetensors_full (file, "{}", G_MAXUINT64, NULL, 0);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_HEADER, "model.safetensors",
                     "above the 100000000-byte limit");
}

static void
test_header_too_deep (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autoptr (GString) header = g_string_new ("{\"__metadata__\": ");

  /* Nesting that would overflow json-glib's recursive parser's stack. */
  for (int i = 0; i < 100000; i++)
    g_string_append_c (header, '[');
  for (int i = 0; i < 100000; i++)
    g_string_append_c (header, ']');
  g_string_append_c (header, '}');
  write_safetensors (dir, "model.safetensors", header->str, 0);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_HEADER, "model.safetensors",
                     "nested more than 64 levels");
}

/* ---- config.json ------------------------------------------------------ */

typedef struct
{
  const char *path;
  const char *config; /* NULL: no config.json */
  OxpCheckpointError code;
  const char *needle;
} ConfigCase;

static const ConfigCase config_cases[] = {
  { "/oxp/checkpoint/config/missing", NULL, OXP_CHECKPOINT_ERROR_CONFIG, "missing" },
  { "/oxp/checkpoint/config/malformed", "{\"model_type\": \"bert\",", OXP_CHECKPOINT_ERROR_CONFIG,
    "not valid JSON" },
  { "/oxp/checkpoint/config/empty", "", OXP_CHECKPOINT_ERROR_CONFIG, "empty" },
  { "/oxp/checkpoint/config/not-object", "[{\"model_type\": \"bert\"}]",
    OXP_CHECKPOINT_ERROR_CONFIG, "an array, expected an object" },
  { "/oxp/checkpoint/config/no-model-type", "{\"hidden_size\": 32}",
    OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE, "no \"model_type\"" },
  { "/oxp/checkpoint/config/model-type-not-string", "{\"model_type\": 7}",
    OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE, "\"model_type\" is an integer" },
  { "/oxp/checkpoint/config/model-type-null", "{\"model_type\": null}",
    OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE, "\"model_type\" is null" },
  { "/oxp/checkpoint/config/model-type-empty", "{\"model_type\": \"\"}",
    OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE, "an empty string" },
};

static void
test_config_case (gconstpointer data)
{
  const ConfigCase *c = data;
  g_autofree char *dir = make_model_dir (c->config);

  write_safetensors (dir, "model.safetensors", T1 ("\"F32\"", "[1]", "[0, 4]"), 4);
  assert_open_fails (dir, FALSE, c->code, "config.json", c->needle);
}

/* ---- folders ----------------------------------------------------------- */

static void
test_folder_missing (void)
{
  g_autofree char *dir = make_model_dir (NULL);
  g_autofree char *missing = g_build_filename (dir, "no-such-model", NULL);
  g_autofree char *file = g_build_filename (dir, "config.json", NULL);

  assert_open_fails (missing, FALSE, OXP_CHECKPOINT_ERROR_NOT_FOUND, "no-such-model", NULL);
  write_text (dir, "config.json", good_config);
  assert_open_fails (file, FALSE, OXP_CHECKPOINT_ERROR_NOT_FOUND, "config.json", "not a folder");
}

static void
test_no_weights (void)
{
  g_autofree char *dir = make_model_dir (good_config);

  write_text (dir, "tokenizer.json", "{}");
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_NOT_FOUND, dir, "model.safetensors");
}

static void
test_safetensors_file_missing (void)
{
  g_autofree char *dir = make_model_dir (NULL);
  g_autofree char *file = g_build_filename (dir, "vectors.safetensors", NULL);

  assert_open_fails (file, TRUE, OXP_CHECKPOINT_ERROR_NOT_FOUND, "vectors.safetensors", NULL);
}

static void
test_weights_is_folder (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *sub = g_build_filename (dir, "model.safetensors", NULL);

  g_assert_cmpint (g_mkdir (sub, 0755), ==, 0);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_IO, "model.safetensors", "folder");
}

static const char *const foreign_files[] = {
  "pytorch_model.bin", "model.pt", "model.ckpt", "model.pth", "tf_model.h5", "flax_model.msgpack",
};

static void
test_foreign_only (gconstpointer data)
{
  const char *name = data;
  g_autofree char *dir = make_model_dir (good_config);

  write_text (dir, name, "not a safetensors file");
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT, name,
                     "safe_serialization=True");
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT, "needs safetensors",
                     "model.safetensors.index.json");
  if (g_str_has_suffix (name, ".h5"))
    assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT, "TensorFlow",
                       "from_tf=True");
}

static void
test_foreign_prefers_weights (void)
{
  g_autofree char *dir = make_model_dir (good_config);

  /* Trainer state sorts first but is not the weights. */
  write_text (dir, "optimizer.pt", "x");
  write_text (dir, "training_args.bin", "x");
  write_text (dir, "adapter.ckpt", "x");
  write_text (dir, "pytorch_model-00001-of-00002.bin", "x");
  write_text (dir, "pytorch_model-00002-of-00002.bin", "x");
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT,
                     "only in pytorch_model-00001-of-00002.bin", "safe_serialization=True");
}

static void
test_trainer_files_only (void)
{
  g_autofree char *dir = make_model_dir (good_config);

  write_text (dir, "training_args.bin", "x");
  write_text (dir, "rng_state.pth", "x");
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_NOT_FOUND, "no weights", "model.safetensors");
}

/* ---- sharded folders --------------------------------------------------- */

#define SHARD1 "model-00001-of-00002.safetensors"
#define SHARD2 "model-00002-of-00002.safetensors"

static const char shard1_header[]
    = "{\"a\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 16]},"
      " \"b\": {\"dtype\": \"I64\", \"shape\": [1], \"data_offsets\": [16, 24]}}";
static const char shard2_header[]
    = "{\"__metadata__\": {\"format\": \"pt\"},"
      " \"c\": {\"dtype\": \"F16\", \"shape\": [3], \"data_offsets\": [0, 6]}}";
static const char good_index[]
    = "{\"metadata\": {\"total_size\": 30}, \"weight_map\": {\"a\": \"" SHARD1
      "\", \"b\": \"" SHARD1 "\", \"c\": \"" SHARD2 "\"}}";

static char *
make_sharded_dir (const char *index)
{
  char *dir = make_model_dir (good_config);

  write_safetensors (dir, SHARD1, shard1_header, 24);
  write_safetensors (dir, SHARD2, shard2_header, 6);
  if (index != NULL)
    write_text (dir, "model.safetensors.index.json", index);
  return dir;
}

static void
test_sharded_good (void)
{
  g_autofree char *dir = make_sharded_dir (good_index);
  g_autoptr (OxpCheckpoint) ckpt = open_ok (dir);
  const char *order[] = { "a", "b", "c" };
  const OxpCheckpointTensor *t;
  g_autofree char *base = NULL;

  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (ckpt), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, i)), ==,
                     order[i]);
  g_assert_cmpuint (oxp_checkpoint_get_n_parameters (ckpt), ==, 4 + 1 + 3);

  t = oxp_checkpoint_lookup (ckpt, "c");
  g_assert_nonnull (t);
  base = g_path_get_basename (oxp_checkpoint_tensor_get_file (t));
  g_assert_cmpstr (base, ==, SHARD2);
  g_assert_true (pointer_is_mapped_from (oxp_checkpoint_tensor_get_data (t),
                                         oxp_checkpoint_tensor_get_file (t)));
  g_assert_cmpint (oxp_checkpoint_tensor_get_dtype (t), ==, OXP_DATA_TYPE_FLOAT16);
  g_assert_cmpuint (oxp_checkpoint_tensor_get_size (t), ==, 6);
  /* The byte pattern of write_safetensors: data byte i is i * 7 + 1. */
  g_assert_cmpint (((const guint8 *)oxp_checkpoint_tensor_get_data (t))[5], ==, 36);
  g_clear_pointer (&base, g_free);
  base = g_path_get_basename (oxp_checkpoint_tensor_get_file (oxp_checkpoint_lookup (ckpt, "b")));
  g_assert_cmpstr (base, ==, SHARD1);
  g_assert_cmpint (
      ((const guint8 *)oxp_checkpoint_tensor_get_data (oxp_checkpoint_lookup (ckpt, "b")))[0], ==,
      16 * 7 + 1);
  g_assert_cmpstr (oxp_checkpoint_get_model_type (ckpt), ==, "bert");
}

static void
test_sharded_single_wins (void)
{
  g_autofree char *dir = make_sharded_dir (good_index);
  g_autoptr (OxpCheckpoint) ckpt = NULL;

  /* Like transformers: model.safetensors is used when present. */
  write_safetensors (dir, "model.safetensors", T1 ("\"F32\"", "[1]", "[0, 4]"), 4);
  ckpt = open_ok (dir);
  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (ckpt), ==, 1);
  g_assert_nonnull (oxp_checkpoint_lookup (ckpt, "w"));
}

static void
test_sharded_no_index (void)
{
  g_autofree char *dir = make_sharded_dir (NULL);

  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_INDEX, SHARD1,
                     "without model.safetensors.index.json");
}

typedef struct
{
  const char *path;
  const char *index;
  OxpCheckpointError code;
  const char *needle1;
  const char *needle2;
} IndexCase;

static const IndexCase index_cases[] = {
  { "/oxp/checkpoint/index/not-json", "{\"weight_map\": ", OXP_CHECKPOINT_ERROR_INDEX,
    "model.safetensors.index.json", "not valid JSON" },
  { "/oxp/checkpoint/index/not-object", "[]", OXP_CHECKPOINT_ERROR_INDEX,
    "model.safetensors.index.json", "expected an object" },
  { "/oxp/checkpoint/index/no-weight-map", "{\"metadata\": {}}", OXP_CHECKPOINT_ERROR_INDEX,
    "model.safetensors.index.json", "\"weight_map\" is missing" },
  { "/oxp/checkpoint/index/empty-weight-map", "{\"weight_map\": {}}", OXP_CHECKPOINT_ERROR_INDEX,
    "model.safetensors.index.json", "empty" },
  { "/oxp/checkpoint/index/shard-not-string",
    "{\"weight_map\": {\"a\": 1, \"b\": \"" SHARD1 "\", \"c\": \"" SHARD2 "\"}}",
    OXP_CHECKPOINT_ERROR_INDEX, "model.safetensors.index.json", "tensor 'a'" },
  { "/oxp/checkpoint/index/shard-outside-folder",
    "{\"weight_map\": {\"a\": \"../" SHARD1 "\", \"b\": \"" SHARD1 "\", \"c\": \"" SHARD2 "\"}}",
    OXP_CHECKPOINT_ERROR_INDEX, "tensor 'a'", "'../" SHARD1 "'" },
  { "/oxp/checkpoint/index/shard-not-safetensors",
    "{\"weight_map\": {\"a\": \"pytorch_model-00001-of-00002.bin\", \"b\": \"" SHARD1
    "\", \"c\": \"" SHARD2 "\"}}",
    OXP_CHECKPOINT_ERROR_INDEX, "tensor 'a'", ".safetensors" },
  { "/oxp/checkpoint/index/missing-shard",
    "{\"weight_map\": {\"a\": \"" SHARD1 "\", \"b\": \"" SHARD1 "\", \"c\": \"" SHARD2
    "\", \"d\": \"model-00003-of-00003.safetensors\"}}",
    OXP_CHECKPOINT_ERROR_INDEX, "model-00003-of-00003.safetensors", "tensor 'd'" },
  { "/oxp/checkpoint/index/missing-tensor",
    "{\"weight_map\": {\"a\": \"" SHARD1 "\", \"b\": \"" SHARD1 "\", \"c\": \"" SHARD2
    "\", \"ghost\": \"" SHARD2 "\"}}",
    OXP_CHECKPOINT_ERROR_INDEX, "tensor 'ghost'", SHARD2 ", which that shard does not hold" },
  { "/oxp/checkpoint/index/unlisted-tensor",
    "{\"weight_map\": {\"a\": \"" SHARD1 "\", \"c\": \"" SHARD2 "\"}}", OXP_CHECKPOINT_ERROR_INDEX,
    "tensor 'b' of shard " SHARD1, "missing from the index" },
  { "/oxp/checkpoint/index/wrong-shard",
    "{\"weight_map\": {\"a\": \"" SHARD1 "\", \"b\": \"" SHARD2 "\", \"c\": \"" SHARD2 "\"}}",
    OXP_CHECKPOINT_ERROR_INDEX, "tensor 'b' is in " SHARD2, "but it is in " SHARD1 },
};

static void
test_index_case (gconstpointer data)
{
  const IndexCase *c = data;
  g_autofree char *dir = make_sharded_dir (c->index);

  assert_open_fails (dir, FALSE, c->code, c->needle1, c->needle2);
}

static void
test_sharded_duplicate (void)
{
  g_autofree char *dir = make_sharded_dir (good_index);

  /* Shard 2 also holds 'a'. */
  write_safetensors (dir, SHARD2,
                     "{\"c\": {\"dtype\": \"F16\", \"shape\": [3], \"data_offsets\": [0, 6]},"
                     " \"a\": {\"dtype\": \"U8\", \"shape\": [2], \"data_offsets\": [6, 8]}}",
                     8);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_DUPLICATE, "tensor 'a'", SHARD2);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_DUPLICATE, SHARD1, "two shards");
}

static void
test_sharded_bad_shard (void)
{
  g_autofree char *dir = make_sharded_dir (good_index);

  write_safetensors (dir, SHARD2, T1 ("\"F32\"", "[3]", "[0, 6]"), 6);
  assert_open_fails (dir, FALSE, OXP_CHECKPOINT_ERROR_SHAPE, SHARD2, "tensor 'w'");
}

/* ---- good checkpoints ------------------------------------------------- */

static void
test_bert_real (void)
{
  g_autofree char *dir = oxp_test_srcdir_path ("data", "bert_feature-extraction", NULL);
  g_autoptr (OxpCheckpoint) ckpt = open_ok (dir);
  const OxpCheckpointTensor *t;
  JsonObject *config;
  double sum = 0;

  g_assert_cmpstr (oxp_checkpoint_get_model_type (ckpt), ==, "bert");
  g_assert_cmpstr (oxp_checkpoint_get_path (ckpt), ==, dir);
  config = oxp_checkpoint_get_config (ckpt);
  g_assert_nonnull (config);
  g_assert_cmpint (json_object_get_int_member (config, "hidden_size"), ==, 32);
  g_assert_cmpint (json_object_get_int_member (config, "num_hidden_layers"), ==, 2);

  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (ckpt), ==, 39);
  g_assert_cmpuint (oxp_checkpoint_get_n_parameters (ckpt), ==, 41386);
  g_assert_null (oxp_checkpoint_lookup (ckpt, "__metadata__"));

  /* File order is data-offset order (the header lists __metadata__ first). */
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 0)), ==,
                   "embeddings.LayerNorm.bias");
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 4)), ==,
                   "embeddings.word_embeddings.weight");
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 38)), ==,
                   "pooler.dense.weight");
  for (guint i = 1; i < 39; i++)
    g_assert_true (
        (const guint8 *)oxp_checkpoint_tensor_get_data (oxp_checkpoint_get_nth (ckpt, i))
        == (const guint8 *)oxp_checkpoint_tensor_get_data (oxp_checkpoint_get_nth (ckpt, i - 1))
               + oxp_checkpoint_tensor_get_size (oxp_checkpoint_get_nth (ckpt, i - 1)));

  t = oxp_checkpoint_lookup (ckpt, "embeddings.word_embeddings.weight");
  g_assert_true (pointer_is_mapped_from (oxp_checkpoint_tensor_get_data (t),
                                         oxp_checkpoint_tensor_get_file (t)));
  assert_shape (t, 2, (gint64[]){ 320, 32 });
  g_assert_cmpint (oxp_checkpoint_tensor_get_dtype (t), ==, OXP_DATA_TYPE_FLOAT);
  g_assert_cmpuint (oxp_checkpoint_tensor_get_n_elements (t), ==, 320 * 32);
  g_assert_cmpuint (oxp_checkpoint_tensor_get_size (t), ==, 320 * 32 * 4);
  /* Values and the sum computed independently with numpy from the file. */
  g_assert_cmpfloat (read_f32 (t, 0), ==, -2.0946178436279297f);
  g_assert_cmpfloat (read_f32 (t, 319 * 32 + 31), ==, 0.3500642776489258f);
  g_assert_cmpfloat (read_f32 (t, 7 * 32 + 5), ==, -1.373348593711853f);
  for (gsize i = 0; i < 320 * 32; i++)
    sum += read_f32 (t, i);
  g_assert_cmpfloat_with_epsilon (sum, -88.7310505365931, 1e-9);

  t = oxp_checkpoint_lookup (ckpt, "encoder.layer.1.attention.self.query.bias");
  assert_shape (t, 1, (gint64[]){ 32 });
  g_assert_cmpfloat (read_f32 (t, 0), ==, 0.11254163831472397f);
  g_assert_cmpfloat (read_f32 (t, 31), ==, -0.0381573885679245f);

  t = oxp_checkpoint_lookup (ckpt, "pooler.dense.weight");
  assert_shape (t, 2, (gint64[]){ 32, 32 });
  g_assert_cmpfloat (read_f32 (t, 3 * 32 + 4), ==, -0.14508429169654846f);

  t = oxp_checkpoint_lookup (ckpt, "encoder.layer.0.intermediate.dense.weight");
  assert_shape (t, 2, (gint64[]){ 37, 32 });
  g_assert_true (g_str_has_suffix (oxp_checkpoint_tensor_get_file (t), "model.safetensors"));
}

static void
test_bert_vectors_alone (void)
{
  g_autofree char *file
      = oxp_test_srcdir_path ("data", "bert_feature-extraction", "vectors.safetensors", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (OxpCheckpoint) ckpt = oxp_checkpoint_open_safetensors (file, &error);

  g_assert_no_error (error);
  g_assert_null (oxp_checkpoint_get_config (ckpt));
  g_assert_null (oxp_checkpoint_get_model_type (ckpt));
  g_assert_cmpstr (oxp_checkpoint_get_path (ckpt), ==, file);
  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (ckpt), >, 0);
  g_assert_nonnull (oxp_checkpoint_lookup (ckpt, "input_ids"));
}

static void
test_get_and_expect (void)
{
  g_autofree char *dir = oxp_test_srcdir_path ("data", "bert_feature-extraction", NULL);
  g_autoptr (OxpCheckpoint) ckpt = open_ok (dir);
  g_autoptr (GError) error = NULL;
  const OxpCheckpointTensor *t;
  const char *name = "encoder.layer.0.output.dense.weight";

  t = oxp_checkpoint_get_tensor (ckpt, name, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  t = oxp_checkpoint_expect_tensor (ckpt, name, (gint64[]){ 32, 37 }, 2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);
  t = oxp_checkpoint_expect_tensor (ckpt, name, (gint64[]){ -1, 37 }, 2, &error);
  g_assert_no_error (error);
  g_assert_nonnull (t);

  t = oxp_checkpoint_expect_tensor (ckpt, name, (gint64[]){ 37, 32 }, 2, &error);
  g_assert_null (t);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_assert_nonnull (strstr (error->message, name));
  g_assert_nonnull (strstr (error->message, "has shape [32, 37], expected [37, 32]"));
  g_clear_error (&error);

  t = oxp_checkpoint_expect_tensor (ckpt, name, (gint64[]){ 32, 37, -1 }, 3, &error);
  g_assert_null (t);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_assert_nonnull (strstr (error->message, "expected [32, 37, *]"));
  g_clear_error (&error);

  t = oxp_checkpoint_get_tensor (ckpt, "encoder.layer.2.output.dense.weight", &error);
  g_assert_null (t);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_MISSING_TENSOR);
  g_assert_nonnull (strstr (error->message, "'encoder.layer.2.output.dense.weight'"));
  g_assert_nonnull (strstr (error->message, "bert_feature-extraction"));
  g_clear_error (&error);

  t = oxp_checkpoint_expect_tensor (ckpt, "nope", (gint64[]){ 1 }, 1, &error);
  g_assert_null (t);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_MISSING_TENSOR);
}

/* A block that needs a float weight refuses an integer one itself, naming
 * the tensor, its file and dtype, before any graph is written (ONNX Runtime
 * would refuse the MatMul later without naming anything of the checkpoint). */
static void
test_integer_weight (void)
{
  g_autofree char *dir = make_model_dir ("{\"model_type\": \"bert\"}");
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  g_autoptr (OxpGraph) graph = oxp_graph_new ("g", 17);
  g_autoptr (OxpTensorSpec) spec = oxp_tensor_spec_new ("x", OXP_DATA_TYPE_FLOAT, "2,2");
  g_autoptr (GError) error = NULL;
  const char *x, *y;

  write_safetensors (
      dir, "model.safetensors",
      "{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 16]},"
      " \"iw\": {\"dtype\": \"I32\", \"shape\": [2, 2], \"data_offsets\": [16, 32]}}",
      32);
  ckpt = open_ok (dir);
  g_assert_nonnull (oxp_checkpoint_expect_float_tensor (ckpt, "w", (gint64[]){ 2, 2 }, 2, &error));
  g_assert_no_error (error);

  x = oxp_graph_add_input (graph, spec);
  y = oxp_block_linear_from (graph, ckpt, x, "iw", NULL, 2, 2, OXP_LINEAR_NO_BIAS, &error);
  g_assert_null (y);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_test_message ("error: %s", error->message);
  g_assert_nonnull (strstr (error->message, "'iw'"));
  g_assert_nonnull (strstr (error->message, "model.safetensors"));
  g_assert_nonnull (strstr (error->message, "expected a floating-point weight"));
  g_clear_error (&error);

  y = oxp_block_layer_norm_from (graph, ckpt, x, "iw", NULL, -1, 1e-5, &error);
  g_assert_null (y);
  g_assert_error (error, OXP_CHECKPOINT_ERROR, OXP_CHECKPOINT_ERROR_TENSOR_SHAPE);
  g_clear_error (&error);

  y = oxp_block_linear_from (graph, ckpt, x, "w", NULL, 2, 2, OXP_LINEAR_NO_BIAS, &error);
  g_assert_no_error (error);
  g_assert_nonnull (y);
}

/* Every dtype, with known bytes (little-endian) and what they mean. */
typedef struct
{
  const char *name;
  OxpDataType dtype;
  gsize element_size;
  guint8 bytes[16];
  double values[2];
} DtypeCase;

static const DtypeCase dtype_cases[] = {
  { "F64",
    OXP_DATA_TYPE_DOUBLE,
    8,
    { 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0x04, 0xc0 },
    { 1.0, -2.5 } },
  { "F32", OXP_DATA_TYPE_FLOAT, 4, { 0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0 }, { 1.0, -2.5 } },
  { "F16", OXP_DATA_TYPE_FLOAT16, 2, { 0x00, 0x3c, 0x00, 0xc1 }, { 1.0, -2.5 } },
  { "BF16", OXP_DATA_TYPE_BFLOAT16, 2, { 0x80, 0x3f, 0x20, 0xc0 }, { 1.0, -2.5 } },
  { "I64",
    OXP_DATA_TYPE_INT64,
    8,
    { 0x39, 0x30, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
    { 12345, -1 } },
  { "I32", OXP_DATA_TYPE_INT32, 4, { 0x39, 0x30, 0, 0, 0xfe, 0xff, 0xff, 0xff }, { 12345, -2 } },
  { "I16", OXP_DATA_TYPE_INT16, 2, { 0x39, 0x30, 0xfd, 0xff }, { 12345, -3 } },
  { "I8", OXP_DATA_TYPE_INT8, 1, { 0x7f, 0x80 }, { 127, -128 } },
  { "U8", OXP_DATA_TYPE_UINT8, 1, { 0xff, 0x01 }, { 255, 1 } },
  { "BOOL", OXP_DATA_TYPE_BOOL, 1, { 0x01, 0x00 }, { 1, 0 } },
};

static void
test_every_dtype (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *file = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr (GString) header = g_string_new ("{");
  g_autoptr (GByteArray) data = g_byte_array_new ();
  g_autoptr (OxpCheckpoint) ckpt = NULL;

  for (gsize i = 0; i < G_N_ELEMENTS (dtype_cases); i++)
    {
      const DtypeCase *c = &dtype_cases[i];

      g_string_append_printf (header,
                              "%s\"t_%s\": {\"dtype\": \"%s\", \"shape\": [2], "
                              "\"data_offsets\": [%u, %u]}",
                              i ? ", " : "", c->name, c->name, data->len,
                              (guint)(data->len + 2 * c->element_size));
      g_byte_array_append (data, c->bytes, 2 * c->element_size);
    }
  g_string_append_c (header, '}');
  write_safetensors_full (file, header->str, 0, data->data, data->len);

  ckpt = open_ok (dir);
  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (ckpt), ==, G_N_ELEMENTS (dtype_cases));
  for (gsize i = 0; i < G_N_ELEMENTS (dtype_cases); i++)
    {
      const DtypeCase *c = &dtype_cases[i];
      g_autofree char *name = g_strdup_printf ("t_%s", c->name);
      const OxpCheckpointTensor *t = oxp_checkpoint_lookup (ckpt, name);
      g_autoptr (OxpTensor) copy = NULL;

      g_test_message ("dtype %s", c->name);
      g_assert_nonnull (t);
      g_assert_cmpint (oxp_checkpoint_tensor_get_dtype (t), ==, c->dtype);
      g_assert_cmpuint (oxp_checkpoint_tensor_get_n_elements (t), ==, 2);
      g_assert_cmpuint (oxp_checkpoint_tensor_get_size (t), ==, 2 * c->element_size);
      g_assert_cmpmem (oxp_checkpoint_tensor_get_data (t), 2 * c->element_size, c->bytes,
                       2 * c->element_size);
      g_assert_true (oxp_checkpoint_get_nth (ckpt, (guint)i) == t);

      copy = oxp_checkpoint_tensor_to_tensor (t);
      g_assert_nonnull (copy);
      g_assert_cmpstr (oxp_tensor_get_name (copy), ==, name);
      g_assert_cmpint (oxp_tensor_get_dtype (copy), ==, c->dtype);
      g_assert_cmpuint (oxp_tensor_get_rank (copy), ==, 1);
      g_assert_cmpint (oxp_tensor_get_shape (copy)[0], ==, 2);
      g_assert_true (oxp_tensor_get_data (copy) != oxp_checkpoint_tensor_get_data (t));
      g_assert_cmpfloat (oxp_tensor_get_element_as_double (copy, 0), ==, c->values[0]);
      g_assert_cmpfloat (oxp_tensor_get_element_as_double (copy, 1), ==, c->values[1]);
    }
}

static void
test_file_order (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autoptr (OxpCheckpoint) ckpt = NULL;
  const char *expected[] = { "empty", "first", "second", "last" };

  /* The header lists tensors in another order than their data. */
  write_safetensors (
      dir, "model.safetensors",
      "{\"last\": {\"dtype\": \"U8\", \"shape\": [3], \"data_offsets\": [9, 12]},"
      " \"first\": {\"dtype\": \"I32\", \"shape\": [1, 1], \"data_offsets\": [0, 4]},"
      " \"__metadata__\": {\"format\": \"pt\", \"note\": \"ignored\"},"
      " \"second\": {\"dtype\": \"BF16\", \"shape\": [2, 1, 1], \"data_offsets\": [4, 8]},"
      " \"scalar\": {\"dtype\": \"BOOL\", \"shape\": [], \"data_offsets\": [8, 9]},"
      " \"empty\": {\"dtype\": \"F32\", \"shape\": [0, 5], \"data_offsets\": [0, 0]}}",
      12);
  ckpt = open_ok (dir);
  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (ckpt), ==, 5);
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 0)), ==,
                   expected[0]);
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 1)), ==,
                   expected[1]);
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 2)), ==,
                   expected[2]);
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 3)), ==, "scalar");
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (ckpt, 4)), ==,
                   expected[3]);
  g_assert_null (oxp_checkpoint_lookup (ckpt, "__metadata__"));

  /* A scalar has rank 0 and one element; a zero-size tensor none. */
  g_assert_cmpuint (oxp_checkpoint_tensor_get_rank (oxp_checkpoint_lookup (ckpt, "scalar")), ==, 0);
  g_assert_cmpuint (oxp_checkpoint_tensor_get_n_elements (oxp_checkpoint_lookup (ckpt, "scalar")),
                    ==, 1);
  assert_shape (oxp_checkpoint_lookup (ckpt, "empty"), 2, (gint64[]){ 0, 5 });
  g_assert_cmpuint (oxp_checkpoint_tensor_get_n_elements (oxp_checkpoint_lookup (ckpt, "empty")),
                    ==, 0);
  g_assert_cmpuint (oxp_checkpoint_get_n_parameters (ckpt), ==, 1 + 2 + 1 + 3 + 0);
}

static void
test_config_duplicate_key (void)
{
  g_autofree char *dir
      = make_model_dir ("{\"model_type\": \"gpt2\", \"hidden_size\": 4, \"model_type\": \"bert\"}");
  g_autoptr (OxpCheckpoint) ckpt = NULL;

  /* As in Python's json module, the last value wins. */
  write_safetensors (dir, "model.safetensors", T1 ("\"F32\"", "[1]", "[0, 4]"), 4);
  ckpt = open_ok (dir);
  g_assert_cmpstr (oxp_checkpoint_get_model_type (ckpt), ==, "bert");
}

static void
test_properties (void)
{
  g_autofree char *dir = oxp_test_srcdir_path ("data", "bert_feature-extraction", NULL);
  g_autoptr (OxpCheckpoint) ckpt = open_ok (dir);
  g_autofree char *path = NULL;
  g_autofree char *model_type = NULL;

  g_assert_cmpstr (g_quark_to_string (OXP_CHECKPOINT_ERROR), ==, "oxp-checkpoint-error-quark");
  g_object_get (ckpt, "path", &path, "model-type", &model_type, NULL);
  g_assert_cmpstr (path, ==, dir);
  g_assert_cmpstr (model_type, ==, "bert");
}

/* ---- the oxp-gen-checkpoint tool ------------------------------------- */

static char *
gen_tool_path (void)
{
  const char *top = g_getenv ("OXP_TOP_BUILDDIR");

  return g_build_filename (top ? top : "..", "tests", "tools", "oxp-gen-checkpoint", NULL);
}

/* Runs the tool; returns its exit status and its stderr in @err. */
static gint
run_gen (const char *const *args, const char *stdin_text, char **err)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr (GSubprocessLauncher) launcher = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GError) error = NULL;

  g_ptr_array_add (argv, gen_tool_path ());
  for (gsize i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (args[i]));
  g_ptr_array_add (argv, NULL);

  launcher
      = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE
                                   | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *)argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, stdin_text, NULL, NULL, err, &error);
  g_assert_no_error (error);
  g_test_message ("oxp-gen-checkpoint stderr: %s", *err);
  return g_subprocess_get_exit_status (proc);
}

static const char gen_tensors[] = "# a tiny model\n"
                                  "embeddings.weight F32 50,8\n"
                                  "\n"
                                  "layer.0.weight F16 8,8\n"
                                  "layer.0.bias BF16 8\n"
                                  "layer.1.weight F64 4,8\n"
                                  "ids I64 1,16\n"
                                  "mask BOOL 2,3\n"
                                  "small I8 5\n"
                                  "bytes U8 7\n"
                                  "i16 I16 3\n"
                                  "i32 I32 2,2\n"
                                  "scalar F32\n"
                                  "blk.{0..2}.w F16 2,3\n";

static OxpCheckpoint *
gen_and_open (const char *config, const char *shards, const char *seed)
{
  g_autofree char *out = oxp_test_make_tmpdir ("oxp-gen-XXXXXX");
  g_autofree char *err = NULL;
  const char *args[] = { "--config", config, "--shards", shards, "--seed", seed, out, NULL };

  g_assert_cmpint (run_gen (args, gen_tensors, &err), ==, 0);
  return open_ok (out);
}

static void
test_gen_tool (void)
{
  g_autofree char *dir = make_model_dir (good_config);
  g_autofree char *config = g_build_filename (dir, "config.json", NULL);
  g_autoptr (OxpCheckpoint) one = gen_and_open (config, "1", "7");
  g_autoptr (OxpCheckpoint) three = gen_and_open (config, "3", "7");
  g_autoptr (OxpCheckpoint) other = gen_and_open (config, "1", "8");
  g_autofree char *out = oxp_test_make_tmpdir ("oxp-gen-XXXXXX");
  g_autofree char *err = NULL;
  g_autofree char *index
      = g_build_filename (oxp_checkpoint_get_path (three), "model.safetensors.index.json", NULL);
  g_autofree char *shard3 = g_build_filename (oxp_checkpoint_get_path (three),
                                              "model-00003-of-00003.safetensors", NULL);
  const OxpCheckpointTensor *t;
  double sum2 = 0;

  g_assert_cmpstr (oxp_checkpoint_get_model_type (one), ==, "bert");
  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (one), ==, 14);
  g_assert_cmpuint (oxp_checkpoint_get_n_parameters (one), ==,
                    400 + 64 + 8 + 32 + 16 + 6 + 5 + 7 + 3 + 4 + 1 + 3 * 6);
  g_assert_true (g_file_test (index, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (shard3, G_FILE_TEST_EXISTS));
  g_assert_cmpuint (oxp_checkpoint_get_n_tensors (three), ==, 14);

  /* Same seed: same values however the tensors are sharded, in the same
   * order; another seed: other values. */
  for (guint i = 0; i < 14; i++)
    {
      const OxpCheckpointTensor *a = oxp_checkpoint_get_nth (one, i);
      const OxpCheckpointTensor *b = oxp_checkpoint_get_nth (three, i);

      g_assert_cmpstr (oxp_checkpoint_tensor_get_name (a), ==, oxp_checkpoint_tensor_get_name (b));
      g_assert_cmpint (oxp_checkpoint_tensor_get_dtype (a), ==,
                       oxp_checkpoint_tensor_get_dtype (b));
      g_assert_cmpmem (oxp_checkpoint_tensor_get_data (a), oxp_checkpoint_tensor_get_size (a),
                       oxp_checkpoint_tensor_get_data (b), oxp_checkpoint_tensor_get_size (b));
    }
  t = oxp_checkpoint_lookup (one, "embeddings.weight");
  g_assert_cmpint (
      memcmp (oxp_checkpoint_tensor_get_data (t),
              oxp_checkpoint_tensor_get_data (oxp_checkpoint_lookup (other, "embeddings.weight")),
              oxp_checkpoint_tensor_get_size (t)),
      !=, 0);
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (one, 0)), ==,
                   "embeddings.weight");
  assert_shape (t, 2, (gint64[]){ 50, 8 });
  g_assert_cmpint (oxp_checkpoint_tensor_get_dtype (oxp_checkpoint_lookup (one, "mask")), ==,
                   OXP_DATA_TYPE_BOOL);
  g_assert_cmpuint (oxp_checkpoint_tensor_get_rank (oxp_checkpoint_lookup (one, "scalar")), ==, 0);
  /* A {A..B} range in a name stands for one tensor per value, in order. */
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (one, 11)), ==,
                   "blk.0.w");
  g_assert_cmpstr (oxp_checkpoint_tensor_get_name (oxp_checkpoint_get_nth (one, 13)), ==,
                   "blk.2.w");
  assert_shape (oxp_checkpoint_lookup (one, "blk.1.w"), 2, (gint64[]){ 2, 3 });

  /* Uniform with variance 1/fan_in (fan_in 8): |x| <= sqrt(3/8), mean of
   * squares near 1/8. */
  for (gsize i = 0; i < 400; i++)
    {
      float v = read_f32 (t, i);

      g_assert_cmpfloat (fabsf (v), <=, sqrtf (3.0f / 8.0f));
      sum2 += (double)v * v;
    }
  g_assert_cmpfloat (sum2 / 400, >, 0.09);
  g_assert_cmpfloat (sum2 / 400, <, 0.16);
  for (gsize i = 0; i < 6; i++)
    g_assert_cmpint (
        ((const guint8 *)oxp_checkpoint_tensor_get_data (oxp_checkpoint_lookup (one, "mask")))[i],
        <=, 1);

  /* Bad input is refused with a message naming the line. */
  {
    const char *args[] = { "--config", config, out, NULL };

    g_assert_cmpint (run_gen (args, "w Q9 2,2\n", &err), !=, 0);
    g_assert_nonnull (strstr (err, "line 1"));
    g_assert_nonnull (strstr (err, "Q9"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_gen (args, "w F32 2,x\n", &err), !=, 0);
    g_assert_nonnull (strstr (err, "line 1"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_gen (args, "w F32 2\nw F32 3\n", &err), !=, 0);
    g_assert_nonnull (strstr (err, "line 2"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_gen (args, "\nl.{3..1}.w F32 2\n", &err), !=, 0);
    g_assert_nonnull (strstr (err, "line 2"));
    g_assert_nonnull (strstr (err, "{3..1}"));
    g_clear_pointer (&err, g_free);
    g_assert_cmpint (run_gen (args, "l.{0..1}.w F32 2\nl.1.w F32 2\n", &err), !=, 0);
    g_assert_nonnull (strstr (err, "'l.1.w' is listed twice"));
    g_clear_pointer (&err, g_free);
  }
  {
    const char *args[] = { "--config", config, "--shards", "20", out, NULL };

    g_assert_cmpint (run_gen (args, gen_tensors, &err), !=, 0);
    g_assert_nonnull (strstr (err, "--shards"));
  }
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (header_cases); i++)
    g_test_add_data_func (header_cases[i].path, &header_cases[i], test_header_case);
  g_test_add_func ("/oxp/checkpoint/safetensors/header-nul-byte", test_header_nul_byte);
  g_test_add_func ("/oxp/checkpoint/safetensors/truncated", test_truncated);
  g_test_add_func ("/oxp/checkpoint/safetensors/header-past-end", test_header_past_end);
  g_test_add_func ("/oxp/checkpoint/safetensors/header-too-large", test_header_too_large);
  g_test_add_func ("/oxp/checkpoint/safetensors/header-too-deep", test_header_too_deep);

  for (gsize i = 0; i < G_N_ELEMENTS (config_cases); i++)
    g_test_add_data_func (config_cases[i].path, &config_cases[i], test_config_case);

  g_test_add_func ("/oxp/checkpoint/config/duplicate-key", test_config_duplicate_key);
  g_test_add_func ("/oxp/checkpoint/folder/missing", test_folder_missing);
  g_test_add_func ("/oxp/checkpoint/folder/no-weights", test_no_weights);
  g_test_add_func ("/oxp/checkpoint/folder/weights-is-folder", test_weights_is_folder);
  g_test_add_func ("/oxp/checkpoint/safetensors/file-missing", test_safetensors_file_missing);
  for (gsize i = 0; i < G_N_ELEMENTS (foreign_files); i++)
    {
      g_autofree char *path
          = g_strdup_printf ("/oxp/checkpoint/folder/unsupported/%s", foreign_files[i]);

      g_test_add_data_func (path, foreign_files[i], test_foreign_only);
    }

  g_test_add_func ("/oxp/checkpoint/folder/unsupported/prefers-weights",
                   test_foreign_prefers_weights);
  g_test_add_func ("/oxp/checkpoint/folder/trainer-files-only", test_trainer_files_only);
  g_test_add_func ("/oxp/checkpoint/sharded/good", test_sharded_good);
  g_test_add_func ("/oxp/checkpoint/sharded/single-file-wins", test_sharded_single_wins);
  g_test_add_func ("/oxp/checkpoint/sharded/no-index", test_sharded_no_index);
  g_test_add_func ("/oxp/checkpoint/sharded/duplicate", test_sharded_duplicate);
  g_test_add_func ("/oxp/checkpoint/sharded/bad-shard", test_sharded_bad_shard);
  for (gsize i = 0; i < G_N_ELEMENTS (index_cases); i++)
    g_test_add_data_func (index_cases[i].path, &index_cases[i], test_index_case);

  g_test_add_func ("/oxp/checkpoint/good/bert", test_bert_real);
  g_test_add_func ("/oxp/checkpoint/good/vectors-alone", test_bert_vectors_alone);
  g_test_add_func ("/oxp/checkpoint/good/get-and-expect", test_get_and_expect);
  g_test_add_func ("/oxp/checkpoint/good/every-dtype", test_every_dtype);
  g_test_add_func ("/oxp/checkpoint/good/file-order", test_file_order);
  g_test_add_func ("/oxp/checkpoint/good/properties", test_properties);
  g_test_add_func ("/oxp/checkpoint/gen-tool", test_gen_tool);
  g_test_add_func ("/oxp/checkpoint/integer-weight", test_integer_weight);

  return g_test_run ();
}
