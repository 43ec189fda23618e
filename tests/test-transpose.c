/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The writer's transposition (core/oxp-onnx-writer-convert.c, compiled into
 * this test): the SIMD kernels and the threaded band/block engine give the
 * bytes of a naive transpose followed by _oxp_convert_floats(), for odd
 * shapes, every float pair, any band and block size and thread count; and
 * _oxp_convert_floats()'s bfloat16 loops against the compiler's rounding. */
#include "config.h"

#include <oxport/oxport.h>

#include <string.h>

#include "oxp-onnx-writer-convert-private.h"

typedef struct
{
  gsize rows, cols;
} Shape;

/* Ragged edges everywhere, single rows and columns, and multiples of the
 * 64 x 64 tiles (whole tiles take the streaming path in a worker). */
static const Shape shapes[] = {
  { 1, 1 },    { 1, 17 },   { 17, 1 },    { 7, 9 },     { 8, 8 },    { 9, 8 },
  { 63, 65 },  { 64, 64 },  { 65, 130 },  { 128, 72 },  { 129, 67 }, { 192, 130 },
  { 3, 1000 }, { 1000, 3 }, { 256, 320 }, { 257, 513 },
};

typedef struct
{
  OxpDataType src, dst;
} Pair;

static const Pair pairs[] = {
  { OXP_DATA_TYPE_FLOAT, OXP_DATA_TYPE_FLOAT },
  { OXP_DATA_TYPE_FLOAT, OXP_DATA_TYPE_FLOAT16 },
  { OXP_DATA_TYPE_FLOAT, OXP_DATA_TYPE_BFLOAT16 },
  { OXP_DATA_TYPE_BFLOAT16, OXP_DATA_TYPE_BFLOAT16 },
  { OXP_DATA_TYPE_BFLOAT16, OXP_DATA_TYPE_FLOAT },
  { OXP_DATA_TYPE_BFLOAT16, OXP_DATA_TYPE_FLOAT16 },
  { OXP_DATA_TYPE_FLOAT16, OXP_DATA_TYPE_FLOAT16 },
  { OXP_DATA_TYPE_FLOAT16, OXP_DATA_TYPE_FLOAT },
  { OXP_DATA_TYPE_FLOAT16, OXP_DATA_TYPE_BFLOAT16 },
  { OXP_DATA_TYPE_DOUBLE, OXP_DATA_TYPE_FLOAT16 },
  { OXP_DATA_TYPE_INT64, OXP_DATA_TYPE_INT64 },
  { OXP_DATA_TYPE_UINT8, OXP_DATA_TYPE_UINT8 },
};

/* Values that exercise the rounding: raw bit patterns (NaNs, infinities,
 * subnormals), ties of the float16 and bfloat16 roundings, values around
 * the float16 range. */
static void
fill_random (guint8 *data, OxpDataType dtype, gsize n, GRand *rand)
{
  gsize size = oxp_data_type_get_size (dtype);

  for (gsize i = 0; i < n; i++)
    {
      guint32 bits = g_rand_int (rand);
      guint32 kind = g_rand_int_range (rand, 0, 4);

      if (dtype == OXP_DATA_TYPE_FLOAT)
        {
          if (kind == 1) /* a float16 tie, exponents around float16's range */
            bits = (bits & 0x80000000) | ((guint32)g_rand_int_range (rand, 100, 146) << 23)
                   | (bits & 0x7fe000) | 0x1000;
          else if (kind == 2) /* a bfloat16 tie */
            bits = (bits & 0xffff0000) | 0x8000;
          else if (kind == 3)
            {
              float f = (float)g_rand_double_range (rand, -70000.0, 70000.0);

              memcpy (&bits, &f, 4);
            }
          memcpy (data + 4 * i, &bits, 4);
        }
      else if (dtype == OXP_DATA_TYPE_DOUBLE)
        {
          double d = kind == 0 ? g_rand_double_range (rand, -1e6, 1e6)
                               : g_rand_double_range (rand, -1e-5, 1e-5);

          memcpy (data + 8 * i, &d, 8);
        }
      else
        for (gsize b = 0; b < size; b++)
          data[size * i + b] = (guint8)g_rand_int (rand);
    }
}

/* out[j][i] = in[i][j], element by element, then converted as a whole. */
static guint8 *
naive_transpose (const guint8 *src, OxpDataType src_dtype, OxpDataType dst_dtype, gsize rows,
                 gsize cols)
{
  gsize se = oxp_data_type_get_size (src_dtype), de = oxp_data_type_get_size (dst_dtype);
  g_autofree guint8 *t = g_malloc (MAX (rows * cols * se, 1));
  guint8 *out = g_malloc (MAX (rows * cols * de, 1));

  for (gsize i = 0; i < rows; i++)
    for (gsize j = 0; j < cols; j++)
      memcpy (t + (j * rows + i) * se, src + (i * cols + j) * se, se);
  _oxp_convert_floats (dst_dtype, out, src_dtype, t, rows * cols);
  return out;
}

/* The source at an odd address: checkpoint data need not be aligned. */
static guint8 *
make_source (OxpDataType dtype, gsize n, guint32 seed, guint8 **block)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (seed);
  gsize size = oxp_data_type_get_size (dtype);

  *block = g_malloc (n * size + 3);
  fill_random (*block + 1, dtype, n, rand);
  return *block + 1;
}

static void
assert_same_bytes (const guint8 *got, const guint8 *want, gsize len, const char *what)
{
  for (gsize i = 0; i < len; i++)
    if (got[i] != want[i])
      g_error ("%s: byte %" G_GSIZE_FORMAT " of %" G_GSIZE_FORMAT " is 0x%02x, expected 0x%02x",
               what, i, len, got[i], want[i]);
}

/* Every kernel, on a column range that starts inside the matrix. */
static void
test_kernels (void)
{
  for (gsize p = 0; p < G_N_ELEMENTS (pairs); p++)
    for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
      {
        const Pair *pair = &pairs[p];
        gsize rows = shapes[s].rows, cols = shapes[s].cols;
        gsize de = oxp_data_type_get_size (pair->dst);
        g_autofree guint8 *block = NULL;
        const guint8 *src = make_source (pair->src, rows * cols, (guint32)(p * 100 + s), &block);
        g_autofree guint8 *want = naive_transpose (src, pair->src, pair->dst, rows, cols);
        gsize j0 = cols / 3, k = cols - j0 - (cols > 2 ? 1 : 0);
        g_autofree guint8 *got = g_malloc0 (MAX (k * rows * de, 1));
        g_autofree char *what = g_strdup_printf (
            "%s -> %s, %" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT ", columns from %" G_GSIZE_FORMAT,
            oxp_data_type_to_string (pair->src), oxp_data_type_to_string (pair->dst), rows, cols,
            j0);

        if (k == 0)
          continue;
        _oxp_transpose_convert (got, pair->dst, src, pair->src, rows, cols, j0, k);
        assert_same_bytes (got, want + j0 * rows * de, k * rows * de, what);
      }
}

/* What the engine hands its callbacks, checked as it goes. */
typedef struct
{
  guint8 *out;
  guint8 *written; /* bytes of out written so far (each must be once) */
  gsize len;
  const guint8 *src;
  gsize src_len;
  guint8 *band_state; /* per source byte: 0, 1 announced, 2 done */
  gsize rows, cols, se, de;
  gsize last_row_written; /* the last source row of a written run */
  guint n_writes, fail_at;
  gboolean failed;
} Output;

static gboolean
output_write (gconstpointer data, gsize len, guint64 offset, gpointer user_data, GError **error)
{
  Output *o = user_data;

  g_assert_false (o->failed);
  g_assert_cmpuint (offset + len, <=, o->len);
  if (++o->n_writes == o->fail_at)
    {
      o->failed = TRUE;
      g_set_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC, "write %u fails", o->n_writes);
      return FALSE;
    }
  for (gsize i = 0; i < len; i++)
    {
      g_assert_cmpuint (o->written[offset + i], ==, 0);
      o->written[offset + i] = 1;
    }
  memcpy (o->out + offset, data, len);
  /* Output element e is source element [e % rows, e / rows]: its band is
   * announced and not done yet. */
  for (gsize e = offset / o->de; e < (offset + len) / o->de; e++)
    {
      gsize i = e % o->rows, j = e / o->rows;

      g_assert_cmpuint (o->band_state[(i * o->cols + j) * o->se], ==, 1);
      o->last_row_written = o->last_row_written == G_MAXSIZE ? i : MAX (o->last_row_written, i);
    }
  return TRUE;
}

/* Bands are announced before they are read and finished one at a time:
 * when a band is done, nothing after it has been written yet. */
static void
output_band (gconstpointer src, gsize len, gboolean done, gpointer user_data)
{
  Output *o = user_data;
  gsize start = (const guint8 *)src - o->src;

  g_assert_cmpuint (start + len, <=, o->src_len);
  g_assert_cmpuint (start % (o->cols * o->se), ==, 0);
  g_assert_cmpuint (len % (o->cols * o->se), ==, 0);
  for (gsize i = start; i < start + len; i++)
    {
      g_assert_cmpuint (o->band_state[i], ==, done ? 1 : 0);
      o->band_state[i] = done ? 2 : 1;
    }
  if (done)
    g_assert_cmpuint (o->last_row_written, <, (start + len) / (o->cols * o->se));
}

typedef struct
{
  gsize band_size, block_size;
  guint n_threads;
} EngineCase;

/* Tiny bands and blocks (many of each, band rows cut anywhere); blocks of
 * whole aligned output lines, which workers stream out; the writer's own
 * sizes; no thread, one, and more than this machine has. */
static const EngineCase engine_cases[] = {
  { 4096, 1024, 0 },        { 4096, 1024, 1 },
  { 4096, 1024, 3 },        { 100, 64, 2 },
  { 1 << 20, 8192, 2 },     { 1 << 20, 64 << 10, 2 },
  { 1 << 20, 48 << 10, 3 }, { (gsize)128 << 20, 512 << 10, 2 },
};

static void
check_engine (OxpTransposer *transposer, const Pair *pair, const Shape *shape, const EngineCase *c,
              guint32 seed)
{
  gsize rows = shape->rows, cols = shape->cols;
  gsize se = oxp_data_type_get_size (pair->src), de = oxp_data_type_get_size (pair->dst);
  g_autofree guint8 *block = NULL;
  const guint8 *src = make_source (pair->src, rows * cols, seed, &block);
  g_autofree guint8 *want = naive_transpose (src, pair->src, pair->dst, rows, cols);
  g_autofree guint8 *out = g_malloc0 (rows * cols * de);
  g_autofree guint8 *written = g_malloc0 (rows * cols * de);
  g_autofree guint8 *band_state = g_malloc0 (rows * cols * se);
  Output o = { .out = out,
               .written = written,
               .len = rows * cols * de,
               .src = src,
               .src_len = rows * cols * se,
               .band_state = band_state,
               .rows = rows,
               .cols = cols,
               .se = se,
               .de = de,
               .last_row_written = G_MAXSIZE };
  OxpTransposeJob job = { src, pair->src, pair->dst, rows, cols, c->band_size, c->block_size };
  g_autoptr (GError) error = NULL;
  g_autofree char *what = g_strdup_printf (
      "%s -> %s, %" G_GSIZE_FORMAT " x %" G_GSIZE_FORMAT ", bands of %" G_GSIZE_FORMAT
      " B, blocks of %" G_GSIZE_FORMAT " B, %u threads",
      oxp_data_type_to_string (pair->src), oxp_data_type_to_string (pair->dst), rows, cols,
      c->band_size, c->block_size, c->n_threads);

  g_assert_true (_oxp_transposer_write (transposer, &job, output_write, output_band, &o, &error));
  g_assert_no_error (error);
  for (gsize i = 0; i < o.len; i++)
    if (!written[i])
      g_error ("%s: output byte %" G_GSIZE_FORMAT " never written", what, i);
  for (gsize i = 0; i < o.src_len; i++)
    if (band_state[i] != 2)
      g_error ("%s: source byte %" G_GSIZE_FORMAT " not in a finished band", what, i);
  assert_same_bytes (out, want, o.len, what);
}

/* One transposer per case for all tensors, as in a write: its threads and
 * buffers go from tensor to tensor, whatever their shapes and types. */
static void
test_engine (void)
{
  for (gsize c = 0; c < G_N_ELEMENTS (engine_cases); c++)
    {
      OxpTransposer *transposer = _oxp_transposer_new (engine_cases[c].n_threads);

      for (gsize p = 0; p < G_N_ELEMENTS (pairs); p++)
        for (gsize s = 0; s < G_N_ELEMENTS (shapes); s++)
          check_engine (transposer, &pairs[p], &shapes[s], &engine_cases[c],
                        (guint32)(c * 10000 + p * 100 + s));
      _oxp_transposer_free (transposer);
    }
}

/* A tall matrix whose output rows are longer than a block, a wide one
 * whose band is one row. */
static void
test_engine_extremes (void)
{
  static const Shape extreme[] = { { 70001, 2 }, { 2, 70001 } };
  static const EngineCase tiny = { 4096, 4096, 2 };
  static const Pair f32_f16 = { OXP_DATA_TYPE_FLOAT, OXP_DATA_TYPE_FLOAT16 };
  static const Pair bf16_f32 = { OXP_DATA_TYPE_BFLOAT16, OXP_DATA_TYPE_FLOAT };

  OxpTransposer *transposer = _oxp_transposer_new (tiny.n_threads);

  for (gsize s = 0; s < G_N_ELEMENTS (extreme); s++)
    {
      check_engine (transposer, &f32_f16, &extreme[s], &tiny, 7);
      check_engine (transposer, &bf16_f32, &extreme[s], &tiny, 8);
    }
  _oxp_transposer_free (transposer);
}

/* A failed write stops the engine with its error, workers still running. */
static void
test_engine_write_error (void)
{
  static const Pair pair = { OXP_DATA_TYPE_FLOAT, OXP_DATA_TYPE_FLOAT16 };
  gsize rows = 300, cols = 257;

  for (guint fail_at = 1; fail_at <= 5; fail_at += 2)
    {
      g_autofree guint8 *block = NULL;
      const guint8 *src = make_source (pair.src, rows * cols, 3, &block);
      g_autofree guint8 *out = g_malloc0 (rows * cols * 2);
      g_autofree guint8 *written = g_malloc0 (rows * cols * 2);
      g_autofree guint8 *band_state = g_malloc0 (rows * cols * 4);
      Output o = { .out = out,
                   .written = written,
                   .len = rows * cols * 2,
                   .src = src,
                   .src_len = rows * cols * 4,
                   .band_state = band_state,
                   .rows = rows,
                   .cols = cols,
                   .se = 4,
                   .de = 2,
                   .last_row_written = G_MAXSIZE,
                   .fail_at = fail_at };
      OxpTransposeJob job = { src, pair.src, pair.dst, rows, cols, 8192, 1024 };
      OxpTransposer *transposer = _oxp_transposer_new (2);
      g_autoptr (GError) error = NULL;

      g_assert_false (
          _oxp_transposer_write (transposer, &job, output_write, output_band, &o, &error));
      g_assert_error (error, G_FILE_ERROR, G_FILE_ERROR_NOSPC);
      g_assert_cmpuint (o.n_writes, ==, fail_at);
      _oxp_transposer_free (transposer);
    }
}

/* Every bfloat16 through the whole-array conversions the writer's plain
 * path uses: to float32 exactly, to float16 as the compiler's own _Float16
 * rounds (to nearest even; NaNs stay NaNs of the same sign). */
static void
test_convert_bf16 (void)
{
#ifdef __FLT16_MAX__
  g_autofree guint16 *src = g_new (guint16, 65536);
  g_autofree guint32 *f32 = g_new (guint32, 65536);
  g_autofree guint16 *f16 = g_new (guint16, 65536);

  for (guint i = 0; i < 65536; i++)
    src[i] = (guint16)i;
  /* An odd count: the vector loops' tail too. */
  _oxp_convert_floats (OXP_DATA_TYPE_FLOAT, f32, OXP_DATA_TYPE_BFLOAT16, src, 65535);
  _oxp_convert_floats (OXP_DATA_TYPE_FLOAT16, f16, OXP_DATA_TYPE_BFLOAT16, src, 65535);
  for (guint i = 0; i < 65535; i++)
    {
      guint32 bits = (guint32)i << 16;
      float f;
      _Float16 h;
      guint16 want;

      g_assert_cmphex (f32[i], ==, bits);
      memcpy (&f, &bits, 4);
      h = (_Float16)f;
      memcpy (&want, &h, 2);
      if (f != f)
        {
          g_assert_cmphex (f16[i] & 0x7c00, ==, 0x7c00);
          g_assert_cmphex (f16[i] & 0x3ff, !=, 0);
          g_assert_cmphex (f16[i] & 0x8000, ==, (i & 0x8000));
        }
      else if (f16[i] != want)
        g_error ("bfloat16 0x%04x -> float16 0x%04x, expected 0x%04x", i, f16[i], want);
    }
#else
  g_test_skip ("the compiler has no _Float16");
#endif
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, G_TEST_OPTION_ISOLATE_DIRS, NULL);
  g_test_add_func ("/oxp/writer/convert/bf16", test_convert_bf16);
  g_test_add_func ("/oxp/writer/transpose/kernels", test_kernels);
  g_test_add_func ("/oxp/writer/transpose/engine", test_engine);
  g_test_add_func ("/oxp/writer/transpose/engine-extremes", test_engine_extremes);
  g_test_add_func ("/oxp/writer/transpose/engine-write-error", test_engine_write_error);
  return g_test_run ();
}
