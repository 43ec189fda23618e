/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* oxp-gen-checkpoint: writes a random-weight safetensors checkpoint from a
 * tensor list, for tests and benchmarks. It is a writer independent of
 * liboxport's reader, streams the data (memory use does not grow with the
 * checkpoint) and is deterministic for a seed. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#define PROG "oxp-gen-checkpoint"
#define CHUNK_BYTES (4u << 20)

typedef enum
{
  KIND_F64,
  KIND_F32,
  KIND_F16,
  KIND_BF16,
  KIND_I64,
  KIND_I32,
  KIND_I16,
  KIND_I8,
  KIND_U8,
  KIND_BOOL,
} Kind;

static const struct
{
  const char *name;
  Kind kind;
  guint size;
} dtypes[] = {
  { "F64", KIND_F64, 8 },   { "F32", KIND_F32, 4 }, { "F16", KIND_F16, 2 },
  { "BF16", KIND_BF16, 2 }, { "I64", KIND_I64, 8 }, { "I32", KIND_I32, 4 },
  { "I16", KIND_I16, 2 },   { "I8", KIND_I8, 1 },   { "U8", KIND_U8, 1 },
  { "BOOL", KIND_BOOL, 1 },
};

typedef struct
{
  char *name;
  const char *dtype; /* static, from dtypes[] */
  Kind kind;
  guint element_size;
  GArray *shape; /* guint64 */
  guint64 n_elements;
  guint64 n_bytes;
  guint index; /* position in the list: seeds its values */
} Tensor;

static void
tensor_free (Tensor *t)
{
  g_free (t->name);
  g_array_unref (t->shape);
  g_free (t);
}

static void G_GNUC_PRINTF (1, 2) G_GNUC_NORETURN die (const char *format, ...)
{
  va_list ap;

  va_start (ap, format);
  fprintf (stderr, PROG ": ");
  vfprintf (stderr, format, ap);
  fputc ('\n', stderr);
  va_end (ap);
  exit (1);
}

/* ---- the tensor list ---------------------------------------------------- */

/* Expands the first "{A..B}" of @name into B - A + 1 names. */
static GPtrArray *
expand_name (const char *name, const char *source, guint ln)
{
  GPtrArray *names = g_ptr_array_new_with_free_func (g_free);
  const char *open = strchr (name, '{');
  const char *dots = open ? strstr (open, "..") : NULL;
  const char *close = dots ? strchr (dots, '}') : NULL;
  g_autofree char *first = NULL;
  g_autofree char *last = NULL;
  guint64 a, b;

  if (close == NULL)
    {
      g_ptr_array_add (names, g_strdup (name));
      return names;
    }
  first = g_strndup (open + 1, (gsize)(dots - open - 1));
  last = g_strndup (dots + 2, (gsize)(close - dots - 2));
  if (!g_ascii_string_to_unsigned (first, 10, 0, G_MAXUINT32, &a, NULL)
      || !g_ascii_string_to_unsigned (last, 10, 0, G_MAXUINT32, &b, NULL) || a > b
      || b - a >= 1000000)
    die ("%s: line %u: '%.*s' in '%s' is not a range {A..B} with A <= B", source, ln,
         (int)(close - open + 1), open, name);
  for (guint64 k = a; k <= b; k++)
    g_ptr_array_add (names, g_strdup_printf ("%.*s%" G_GUINT64_FORMAT "%s", (int)(open - name),
                                             name, k, close + 1));
  return names;
}

static GPtrArray *
parse_tensor_list (const char *text, const char *source)
{
  g_autoptr (GPtrArray) tensors = g_ptr_array_new_with_free_func ((GDestroyNotify)tensor_free);
  g_autoptr (GHashTable) names = g_hash_table_new (g_str_hash, g_str_equal);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);

  for (guint ln = 1; lines[ln - 1] != NULL; ln++)
    {
      g_auto (GStrv) tokens = NULL;
      g_autoptr (GPtrArray) words = g_ptr_array_new ();
      g_autoptr (GArray) shape = g_array_new (FALSE, FALSE, sizeof (guint64));
      g_autoptr (GPtrArray) expanded = NULL;
      char *line = g_strstrip (lines[ln - 1]);
      const char *dtype = NULL;
      Kind kind = KIND_F32;
      guint element_size = 0;
      guint64 n_elements = 1, n_bytes;

      if (*line == '\0' || *line == '#')
        continue;
      tokens = g_strsplit_set (line, " \t", -1);
      for (guint i = 0; tokens[i] != NULL; i++)
        if (*tokens[i] != '\0')
          g_ptr_array_add (words, tokens[i]);
      if (words->len < 2 || words->len > 3)
        die ("%s: line %u: expected \"NAME DTYPE DIM,DIM,...\" (no dims for a scalar), got \"%s\"",
             source, ln, line);

      for (gsize i = 0; i < G_N_ELEMENTS (dtypes); i++)
        if (g_ascii_strcasecmp (dtypes[i].name, words->pdata[1]) == 0)
          {
            dtype = dtypes[i].name;
            kind = dtypes[i].kind;
            element_size = dtypes[i].size;
          }
      if (dtype == NULL)
        die ("%s: line %u: unknown dtype '%s' (expected F64, F32, F16, BF16, I64, I32, I16, I8, "
             "U8 or BOOL)",
             source, ln, (const char *)words->pdata[1]);

      if (words->len == 3)
        {
          g_auto (GStrv) dims = g_strsplit (words->pdata[2], ",", -1);

          for (guint i = 0; dims[i] != NULL; i++)
            {
              guint64 dim;

              if (!g_ascii_string_to_unsigned (dims[i], 10, 0, G_MAXINT64, &dim, NULL))
                die ("%s: line %u: dimension '%s' is not a non-negative integer", source, ln,
                     dims[i]);
              g_array_append_val (shape, dim);
              if (!g_uint64_checked_mul (&n_elements, n_elements, dim))
                die ("%s: line %u: the tensor is too large", source, ln);
            }
        }
      if (!g_uint64_checked_mul (&n_bytes, n_elements, element_size))
        die ("%s: line %u: the tensor is too large", source, ln);

      expanded = expand_name (words->pdata[0], source, ln);
      for (guint i = 0; i < expanded->len; i++)
        {
          Tensor *t = g_new0 (Tensor, 1);

          t->name = g_strdup (expanded->pdata[i]);
          t->dtype = dtype;
          t->kind = kind;
          t->element_size = element_size;
          t->shape = g_array_ref (shape);
          t->n_elements = n_elements;
          t->n_bytes = n_bytes;
          t->index = tensors->len;
          g_ptr_array_add (tensors, t);
          if (!g_hash_table_add (names, t->name))
            die ("%s: line %u: tensor '%s' is listed twice", source, ln, t->name);
        }
    }
  if (tensors->len == 0)
    die ("%s: no tensors listed", source);
  return g_steal_pointer (&tensors);
}

/* ---- random values ------------------------------------------------------ */

static guint64
splitmix64 (guint64 *state)
{
  guint64 z = (*state += G_GUINT64_CONSTANT (0x9e3779b97f4a7c15));

  z = (z ^ (z >> 30)) * G_GUINT64_CONSTANT (0xbf58476d1ce4e5b9);
  z = (z ^ (z >> 27)) * G_GUINT64_CONSTANT (0x94d049bb133111eb);
  return z ^ (z >> 31);
}

static inline guint64
xorshift64 (guint64 *s)
{
  guint64 x = *s;

  x ^= x << 13;
  x ^= x >> 7;
  x ^= x << 17;
  *s = x;
  return x * G_GUINT64_CONSTANT (0x2545f4914f6cdd1d);
}

static inline guint16
float_to_bf16 (float f)
{
  guint32 bits;

  memcpy (&bits, &f, 4);
  return (guint16)((bits + 0x7fff + ((bits >> 16) & 1)) >> 16);
}

/* IEEE half, round to nearest even (the values here are finite). */
static inline guint16
float_to_f16 (float f)
{
  guint32 bits, sign, mant;
  gint32 exp;

  memcpy (&bits, &f, 4);
  sign = (bits >> 16) & 0x8000;
  exp = (gint32)((bits >> 23) & 0xff) - 127 + 15;
  mant = bits & 0x7fffff;
  if (exp >= 31)
    return (guint16)(sign | 0x7c00);
  if (exp <= 0)
    {
      guint32 shift, half, rounded;

      if (exp < -10)
        return (guint16)sign;
      mant |= 0x800000;
      shift = (guint32)(14 - exp);
      half = 1u << (shift - 1);
      rounded = mant >> shift;
      if ((mant & ((1u << shift) - 1)) > half
          || ((mant & ((1u << shift) - 1)) == half && (rounded & 1)))
        rounded++;
      return (guint16)(sign | rounded);
    }
  {
    guint32 h = sign | ((guint32)exp << 10) | (mant >> 13);
    guint32 rest = mant & 0x1fff;

    if (rest > 0x1000 || (rest == 0x1000 && (h & 1)))
      h++; /* may carry into the exponent, which is right */
    return (guint16)h;
  }
}

/* Fills @n elements of @t at @out; @state continues across chunks. */
static void
fill (const Tensor *t, guint8 *out, gsize n, guint64 *state, float scale)
{
  for (gsize i = 0; i < n; i++)
    {
      guint64 r = xorshift64 (state);
      /* Uniform in [-scale, scale): variance scale²/3 = 1/fan_in. */
      float u = ((float)(r >> 40) * (1.0f / 16777216.0f) * 2.0f - 1.0f) * scale;
      guint64 small = (r >> 33) % 100;

      switch (t->kind)
        {
        case KIND_F64:
          {
            double d = u;
            memcpy (out + 8 * i, &d, 8);
          }
          break;
        case KIND_F32:
          memcpy (out + 4 * i, &u, 4);
          break;
        case KIND_F16:
          {
            guint16 h = GUINT16_TO_LE (float_to_f16 (u));
            memcpy (out + 2 * i, &h, 2);
          }
          break;
        case KIND_BF16:
          {
            guint16 h = GUINT16_TO_LE (float_to_bf16 (u));
            memcpy (out + 2 * i, &h, 2);
          }
          break;
        case KIND_I64:
          {
            gint64 v = GINT64_TO_LE ((gint64)small);
            memcpy (out + 8 * i, &v, 8);
          }
          break;
        case KIND_I32:
          {
            gint32 v = GINT32_TO_LE ((gint32)small);
            memcpy (out + 4 * i, &v, 4);
          }
          break;
        case KIND_I16:
          {
            gint16 v = GINT16_TO_LE ((gint16)small);
            memcpy (out + 2 * i, &v, 2);
          }
          break;
        case KIND_I8:
        case KIND_U8:
          out[i] = (guint8)small;
          break;
        case KIND_BOOL:
          out[i] = (guint8)(r >> 63);
          break;
        }
#if G_BYTE_ORDER == G_BIG_ENDIAN
      if (t->kind == KIND_F32 || t->kind == KIND_F64)
        for (guint j = 0; j < t->element_size / 2; j++)
          {
            guint8 *e = out + t->element_size * i, tmp = e[j];
            e[j] = e[t->element_size - 1 - j];
            e[t->element_size - 1 - j] = tmp;
          }
#endif
    }
}

/* ---- writing -------------------------------------------------------------- */

static void
write_or_die (FILE *f, const void *data, gsize size, const char *path)
{
  if (size > 0 && fwrite (data, 1, size, f) != size)
    die ("%s: write failed: %s", path, g_strerror (errno));
}

/* Writes tensors [first, last) as one safetensors file. */
static void
write_file (const char *path, GPtrArray *tensors, guint first, guint last, guint64 seed,
            guint8 *buffer)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GString) header = NULL;
  guint64 offset = 0;
  guint8 prefix[8];
  FILE *f;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "__metadata__");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "format");
  json_builder_add_string_value (builder, "pt");
  json_builder_end_object (builder);
  for (guint i = first; i < last; i++)
    {
      const Tensor *t = tensors->pdata[i];

      json_builder_set_member_name (builder, t->name);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dtype");
      json_builder_add_string_value (builder, t->dtype);
      json_builder_set_member_name (builder, "shape");
      json_builder_begin_array (builder);
      for (guint d = 0; d < t->shape->len; d++)
        json_builder_add_int_value (builder, (gint64)g_array_index (t->shape, guint64, d));
      json_builder_end_array (builder);
      json_builder_set_member_name (builder, "data_offsets");
      json_builder_begin_array (builder);
      json_builder_add_int_value (builder, (gint64)offset);
      json_builder_add_int_value (builder, (gint64)(offset + t->n_bytes));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      offset += t->n_bytes;
    }
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  header = g_string_new (NULL);
  json_generator_to_gstring (generator, header);
  /* Pad with spaces so that the data starts 8-byte aligned, as the Python
   * writer does. */
  while (header->len % 8 != 0)
    g_string_append_c (header, ' ');
  for (int i = 0; i < 8; i++)
    prefix[i] = (guint8)((guint64)header->len >> (8 * i));

  f = g_fopen (path, "wb");
  if (f == NULL)
    die ("%s: cannot create: %s", path, g_strerror (errno));
  write_or_die (f, prefix, 8, path);
  write_or_die (f, header->str, header->len, path);
  for (guint i = first; i < last; i++)
    {
      const Tensor *t = tensors->pdata[i];
      guint64 mix = seed ^ ((guint64)(t->index + 1) * G_GUINT64_CONSTANT (0xd1b54a32d192ed03));
      guint64 state = splitmix64 (&mix) | 1;
      guint64 fan_in = t->shape->len ? g_array_index (t->shape, guint64, t->shape->len - 1) : 1;
      float scale = sqrtf (3.0f / (float)MAX (fan_in, 1));
      guint64 left = t->n_elements;
      gsize per_chunk = CHUNK_BYTES / t->element_size;

      while (left > 0)
        {
          gsize n = (gsize)MIN (left, (guint64)per_chunk);

          fill (t, buffer, n, &state, scale);
          write_or_die (f, buffer, n * t->element_size, path);
          left -= n;
        }
    }
  if (fclose (f) != 0)
    die ("%s: write failed: %s", path, g_strerror (errno));
}

static void
write_index (const char *path, GPtrArray *tensors, const guint *shard_of, guint n_shards,
             guint64 total)
{
  g_autoptr (JsonBuilder) builder = json_builder_new ();
  g_autoptr (JsonGenerator) generator = json_generator_new ();
  g_autoptr (JsonNode) root = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();

  for (guint i = 0; i < tensors->len; i++)
    g_ptr_array_add (sorted, tensors->pdata[i]);
  /* Sorted by name, as transformers writes it. */
  for (guint i = 1; i < sorted->len; i++)
    for (guint j = i;
         j > 0
         && strcmp (((Tensor *)sorted->pdata[j - 1])->name, ((Tensor *)sorted->pdata[j])->name) > 0;
         j--)
      {
        gpointer tmp = sorted->pdata[j];
        sorted->pdata[j] = sorted->pdata[j - 1];
        sorted->pdata[j - 1] = tmp;
      }

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "metadata");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "total_size");
  json_builder_add_int_value (builder, (gint64)total);
  json_builder_end_object (builder);
  json_builder_set_member_name (builder, "weight_map");
  json_builder_begin_object (builder);
  for (guint i = 0; i < sorted->len; i++)
    {
      const Tensor *t = sorted->pdata[i];
      g_autofree char *shard
          = g_strdup_printf ("model-%05u-of-%05u.safetensors", shard_of[t->index] + 1, n_shards);

      json_builder_set_member_name (builder, t->name);
      json_builder_add_string_value (builder, shard);
    }
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  root = json_builder_get_root (builder);
  json_generator_set_root (generator, root);
  json_generator_set_pretty (generator, TRUE);
  if (!json_generator_to_file (generator, path, &error))
    die ("%s: %s", path, error->message);
}

/* A previous checkpoint in the folder would shadow or contradict the new one. */
static void
remove_old_checkpoint (const char *outdir)
{
  g_autoptr (GDir) dir = g_dir_open (outdir, 0, NULL);
  const char *name;

  if (dir == NULL)
    return;
  while ((name = g_dir_read_name (dir)) != NULL)
    if (strcmp (name, "model.safetensors") == 0
        || strcmp (name, "model.safetensors.index.json") == 0
        || (g_str_has_prefix (name, "model-") && g_str_has_suffix (name, ".safetensors")))
      {
        g_autofree char *path = g_build_filename (outdir, name, NULL);

        if (g_unlink (path) != 0)
          die ("%s: cannot remove the old file: %s", path, g_strerror (errno));
      }
}

static char *
format_size (guint64 bytes)
{
  return g_format_size_full (bytes, G_FORMAT_SIZE_IEC_UNITS);
}

int
main (int argc, char *argv[])
{
  g_autofree char *tensors_file = NULL;
  g_autofree char *config_file = NULL;
  gint n_shards = 1;
  gint64 seed = 0;
  gboolean quiet = FALSE;
  const GOptionEntry entries[] = {
    { "tensors", 't', 0, G_OPTION_ARG_FILENAME, &tensors_file,
      "Tensor list, one \"NAME DTYPE DIM,DIM,...\" per line (default: standard input)", "FILE" },
    { "config", 'c', 0, G_OPTION_ARG_FILENAME, &config_file,
      "config.json to copy into OUTDIR (required)", "FILE" },
    { "shards", 'n', 0, G_OPTION_ARG_INT, &n_shards,
      "Write N shards model-0000K-of-0000N.safetensors and model.safetensors.index.json "
      "(default 1: model.safetensors)",
      "N" },
    { "seed", 's', 0, G_OPTION_ARG_INT64, &seed, "Seed of the random values (default 0)", "N" },
    { "quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "Print nothing on success", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) context = g_option_context_new ("OUTDIR");
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) tensors = NULL;
  g_autofree char *list = NULL;
  g_autofree char *config = NULL;
  g_autofree char *config_out = NULL;
  g_autofree guint *shard_of = NULL;
  g_autofree guint8 *buffer = NULL;
  g_autofree char *size_text = NULL;
  const char *outdir;
  guint64 total = 0, n_params = 0;
  gsize length;

  g_option_context_set_summary (
      context,
      "Writes a safetensors checkpoint with random weights: OUTDIR/config.json (a copy of\n"
      "--config) and OUTDIR/model.safetensors, or with --shards N the files\n"
      "model-0000K-of-0000N.safetensors and model.safetensors.index.json. A checkpoint\n"
      "already in OUTDIR is replaced.");
  g_option_context_set_description (
      context,
      "Tensor list: one tensor per line, \"NAME DTYPE DIM,DIM,...\", with DTYPE one of\n"
      "F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL; no DIMs for a scalar, 0 for an empty\n"
      "dimension; blank lines and lines starting with '#' are skipped. A range {A..B}\n"
      "in NAME stands for B-A+1 tensors (\"layer.{0..11}.bias F32 768\"). The tensors\n"
      "are written in list order; shards split the list into N contiguous runs of\n"
      "about equal size.\n"
      "\n"
      "Values: floats uniform in [-a, a) with a = sqrt(3 / fan_in), fan_in being the last\n"
      "dimension (variance 1/fan_in); integers uniform in [0, 100); BOOL 0 or 1. Each\n"
      "tensor's values depend only on --seed and its position in the list, so the same\n"
      "list and seed give the same values whatever --shards is. The data is streamed\n"
      "through a 4 MiB buffer: a multi-GiB checkpoint takes seconds and little memory.\n"
      "\n"
      "Example (a 2.5 GiB checkpoint in 4 shards):\n"
      "  echo '{\"model_type\": \"bert\"}' > cfg.json\n"
      "  echo 'layer.{0..19}.weight F32 4096,8192' |\n"
      "    oxp-gen-checkpoint --config cfg.json --shards 4 --seed 1 big-model/\n"
      "\n"
      "BERT-base (BertModel, 109M parameters; pair it with bert-base-uncased's config.json):\n"
      "  embeddings.word_embeddings.weight F32 30522,768\n"
      "  embeddings.position_embeddings.weight F32 512,768\n"
      "  embeddings.token_type_embeddings.weight F32 2,768\n"
      "  embeddings.LayerNorm.weight F32 768\n"
      "  embeddings.LayerNorm.bias F32 768\n"
      "  encoder.layer.{0..11}.attention.self.query.weight F32 768,768\n"
      "  encoder.layer.{0..11}.attention.self.query.bias F32 768\n"
      "  (the same two lines for key and value)\n"
      "  encoder.layer.{0..11}.attention.output.dense.weight F32 768,768\n"
      "  encoder.layer.{0..11}.attention.output.dense.bias F32 768\n"
      "  encoder.layer.{0..11}.attention.output.LayerNorm.weight F32 768\n"
      "  encoder.layer.{0..11}.attention.output.LayerNorm.bias F32 768\n"
      "  encoder.layer.{0..11}.intermediate.dense.weight F32 3072,768\n"
      "  encoder.layer.{0..11}.intermediate.dense.bias F32 3072\n"
      "  encoder.layer.{0..11}.output.dense.weight F32 768,3072\n"
      "  encoder.layer.{0..11}.output.dense.bias F32 768\n"
      "  encoder.layer.{0..11}.output.LayerNorm.weight F32 768\n"
      "  encoder.layer.{0..11}.output.LayerNorm.bias F32 768\n"
      "  pooler.dense.weight F32 768,768\n"
      "  pooler.dense.bias F32 768\n");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("%s (see --help)", error->message);
  if (argc != 2)
    die ("expected exactly one OUTDIR (see --help)");
  if (config_file == NULL)
    die ("--config FILE is required (see --help)");
  if (n_shards < 1)
    die ("--shards %d: expected at least 1", n_shards);
  outdir = argv[1];

  if (tensors_file == NULL || strcmp (tensors_file, "-") == 0)
    {
      g_autoptr (GIOChannel) in = g_io_channel_unix_new (0);

      if (g_io_channel_read_to_end (in, &list, &length, &error) != G_IO_STATUS_NORMAL)
        die ("standard input: %s", error->message);
    }
  else if (!g_file_get_contents (tensors_file, &list, &length, &error))
    die ("%s", error->message);
  tensors = parse_tensor_list (list, tensors_file ? tensors_file : "standard input");
  if ((guint)n_shards > tensors->len)
    die ("--shards %d: more shards than tensors (%u)", n_shards, tensors->len);
  if (!g_file_get_contents (config_file, &config, &length, &error))
    die ("%s", error->message);

  if (g_mkdir_with_parents (outdir, 0755) != 0)
    die ("%s: cannot create the folder: %s", outdir, g_strerror (errno));
  remove_old_checkpoint (outdir);
  config_out = g_build_filename (outdir, "config.json", NULL);
  if (!g_file_set_contents (config_out, config, (gssize)length, &error))
    die ("%s", error->message);

  for (guint i = 0; i < tensors->len; i++)
    {
      total += ((Tensor *)tensors->pdata[i])->n_bytes;
      n_params += ((Tensor *)tensors->pdata[i])->n_elements;
    }

  /* Contiguous runs: shard k ends once it reaches (k+1)/N of the bytes,
   * leaving at least one tensor for each later shard. */
  shard_of = g_new0 (guint, tensors->len);
  {
    guint k = 0;
    guint64 cum = 0;

    for (guint i = 0; i < tensors->len; i++)
      {
        guint left_after = tensors->len - i - 1;

        shard_of[i] = k;
        cum += ((Tensor *)tensors->pdata[i])->n_bytes;
        if (k + 1 < (guint)n_shards
            && (left_after == (guint)n_shards - k - 1
                || (double)cum >= (double)total * (k + 1) / n_shards))
          k++;
      }
  }

  buffer = g_malloc (CHUNK_BYTES);
  if (n_shards == 1)
    {
      g_autofree char *path = g_build_filename (outdir, "model.safetensors", NULL);

      write_file (path, tensors, 0, tensors->len, (guint64)seed, buffer);
    }
  else
    {
      g_autofree char *index = g_build_filename (outdir, "model.safetensors.index.json", NULL);
      guint first = 0;

      for (guint k = 0; k < (guint)n_shards; k++)
        {
          g_autofree char *name
              = g_strdup_printf ("model-%05u-of-%05d.safetensors", k + 1, n_shards);
          g_autofree char *path = g_build_filename (outdir, name, NULL);
          guint last = first;

          while (last < tensors->len && shard_of[last] == k)
            last++;
          write_file (path, tensors, first, last, (guint64)seed, buffer);
          first = last;
        }
      write_index (index, tensors, shard_of, (guint)n_shards, total);
    }

  size_text = format_size (total);
  if (!quiet)
    printf ("%s: %u tensors, %" G_GUINT64_FORMAT " parameters, %s of weights in %d file%s\n",
            outdir, tensors->len, n_params, size_text, n_shards, n_shards > 1 ? "s" : "");
  return 0;
}
