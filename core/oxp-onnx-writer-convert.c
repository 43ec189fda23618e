/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define OXP_HAVE_F16C 1
#endif

#include "oxp-onnx-writer-convert-private.h"

static inline guint32
f32_bits (float f)
{
  guint32 u;

  memcpy (&u, &f, sizeof u);
  return u;
}

static inline float
bits_f32 (guint32 u)
{
  float f;

  memcpy (&f, &u, sizeof f);
  return f;
}

/* IEEE binary32 → binary16, round to nearest, ties to even; NaN stays NaN. */
static inline guint16
f32_to_f16 (guint32 x)
{
  guint32 sign = (x >> 16) & 0x8000;
  guint32 a = x & 0x7fffffff;

  if (a >= 0x7f800000)
    return sign | 0x7c00 | (a > 0x7f800000 ? 0x200 | ((a >> 13) & 0x3ff) : 0);
  if (a >= 0x477ff000) /* ≥ 65520 rounds past 65504 */
    return sign | 0x7c00;
  if (a < 0x38800000) /* below 2^-14: a binary16 subnormal or zero */
    {
      guint32 e = a >> 23, m, shift, half, h, rem;

      if (a <= 0x33000000) /* ≤ 2^-25: ties to even give 0 */
        return sign;
      m = (a & 0x7fffff) | 0x800000;
      shift = 126 - e;
      h = m >> shift;
      rem = m & ((1u << shift) - 1);
      half = 1u << (shift - 1);
      if (rem > half || (rem == half && (h & 1)))
        h++;
      return sign | h;
    }
  /* Rebias the exponent from 127 to 15 and round the 13 dropped bits to
   * nearest even without a branch (a carry into the exponent is still the
   * right encoding). */
  a -= 0x38000000;
  a += 0xfff + ((a >> 13) & 1);
  return sign | (a >> 13);
}

static inline guint32
f16_to_f32 (guint16 h)
{
  guint32 sign = (guint32)(h & 0x8000) << 16;
  guint32 e = (h >> 10) & 0x1f;
  guint32 m = h & 0x3ff;

  if (e == 0x1f)
    return sign | 0x7f800000 | (m << 13);
  if (e == 0)
    {
      if (m == 0)
        return sign;
      e = 113;
      while (!(m & 0x400))
        {
          m <<= 1;
          e--;
        }
      return sign | (e << 23) | ((m & 0x3ff) << 13);
    }
  return sign | ((e + 112) << 23) | (m << 13);
}

static inline guint16
f32_to_bf16 (guint32 x)
{
  if ((x & 0x7fffffff) > 0x7f800000)
    return (guint16)((x >> 16) | 0x40);
  return (guint16)((x + 0x7fff + ((x >> 16) & 1)) >> 16);
}

static inline guint32
bf16_to_f32 (guint16 b)
{
  return (guint32)b << 16;
}

static inline float
load_f32 (OxpDataType dtype, const guint8 *p, gsize i)
{
  guint16 h;
  double d;
  float f;

  switch (dtype)
    {
    case OXP_DATA_TYPE_FLOAT16:
      memcpy (&h, p + 2 * i, 2);
      return bits_f32 (f16_to_f32 (h));
    case OXP_DATA_TYPE_BFLOAT16:
      memcpy (&h, p + 2 * i, 2);
      return bits_f32 (bf16_to_f32 (h));
    case OXP_DATA_TYPE_DOUBLE:
      memcpy (&d, p + 8 * i, 8);
      return (float)d;
    case OXP_DATA_TYPE_FLOAT:
    default:
      memcpy (&f, p + 4 * i, 4);
      return f;
    }
}

#ifdef OXP_HAVE_F16C
/* The F16C instructions round to nearest even too, and keep NaNs NaNs. */
__attribute__ ((target ("avx,f16c"))) static void
f32_to_f16_f16c (guint8 *d, const guint8 *s, gsize n)
{
  gsize i = 0;

  for (; i + 8 <= n; i += 8)
    {
      __m256 v = _mm256_loadu_ps ((const float *)(s + 4 * i));
      __m128i h = _mm256_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);

      _mm_storeu_si128 ((__m128i *)(d + 2 * i), h);
    }
  for (; i < n; i++)
    {
      guint32 x;
      guint16 h;

      memcpy (&x, s + 4 * i, 4);
      h = f32_to_f16 (x);
      memcpy (d + 2 * i, &h, 2);
    }
}

static gboolean
have_f16c (void)
{
  static gsize result = 0;

  if (g_once_init_enter (&result))
    {
      __builtin_cpu_init ();
      g_once_init_leave (&result, __builtin_cpu_supports ("f16c") ? 2 : 1);
    }
  return result == 2;
}
#endif

void
_oxp_convert_floats (OxpDataType dst_dtype, gpointer dst, OxpDataType src_dtype, gconstpointer src,
                     gsize n)
{
  const guint8 *s = src;
  guint8 *d = dst;

  if (dst_dtype == src_dtype)
    {
      memcpy (dst, src, n * oxp_data_type_get_size (src_dtype));
      return;
    }

  /* The common pairs get their own loops; the rest go through float. */
  if (src_dtype == OXP_DATA_TYPE_FLOAT && dst_dtype == OXP_DATA_TYPE_FLOAT16)
    {
#ifdef OXP_HAVE_F16C
      if (have_f16c ())
        {
          f32_to_f16_f16c (d, s, n);
          return;
        }
#endif
      for (gsize i = 0; i < n; i++)
        {
          guint32 x;
          guint16 h;

          memcpy (&x, s + 4 * i, 4);
          h = f32_to_f16 (x);
          memcpy (d + 2 * i, &h, 2);
        }
      return;
    }
  if (src_dtype == OXP_DATA_TYPE_FLOAT && dst_dtype == OXP_DATA_TYPE_BFLOAT16)
    {
      for (gsize i = 0; i < n; i++)
        {
          guint32 x;
          guint16 h;

          memcpy (&x, s + 4 * i, 4);
          h = f32_to_bf16 (x);
          memcpy (d + 2 * i, &h, 2);
        }
      return;
    }

  for (gsize i = 0; i < n; i++)
    {
      float f = load_f32 (src_dtype, s, i);
      guint16 h;
      double v;

      switch (dst_dtype)
        {
        case OXP_DATA_TYPE_FLOAT16:
          h = f32_to_f16 (f32_bits (f));
          memcpy (d + 2 * i, &h, 2);
          break;
        case OXP_DATA_TYPE_BFLOAT16:
          h = f32_to_bf16 (f32_bits (f));
          memcpy (d + 2 * i, &h, 2);
          break;
        case OXP_DATA_TYPE_DOUBLE:
          v = f;
          memcpy (d + 8 * i, &v, 8);
          break;
        case OXP_DATA_TYPE_FLOAT:
        default:
          memcpy (d + 4 * i, &f, 4);
          break;
        }
    }
}

/* Square tiles: a tile's source rows and destination rows both stay in
 * cache, whichever of the two dimensions is long. */
#define OXP_TRANSPOSE_TILE 32

/* Element copies go through memcpy: checkpoint data need not be aligned. */
#define OXP_TRANSPOSE_LOOP(T)                                                                      \
  G_STMT_START                                                                                     \
  {                                                                                                \
    const guint8 *s = src;                                                                         \
    guint8 *d = dst;                                                                               \
    for (gsize i0 = 0; i0 < rows; i0 += OXP_TRANSPOSE_TILE)                                        \
      {                                                                                            \
        gsize i1 = MIN (i0 + OXP_TRANSPOSE_TILE, rows);                                            \
        for (gsize jt = j0; jt < j0 + k; jt += OXP_TRANSPOSE_TILE)                                 \
          {                                                                                        \
            gsize jt1 = MIN (jt + OXP_TRANSPOSE_TILE, j0 + k);                                     \
            for (gsize j = jt; j < jt1; j++)                                                       \
              {                                                                                    \
                guint8 *drow = d + (j - j0) * rows * sizeof (T);                                   \
                for (gsize i = i0; i < i1; i++)                                                    \
                  {                                                                                \
                    T v;                                                                           \
                    memcpy (&v, s + (i * cols + j) * sizeof (T), sizeof (T));                      \
                    memcpy (drow + i * sizeof (T), &v, sizeof (T));                                \
                  }                                                                                \
              }                                                                                    \
          }                                                                                        \
      }                                                                                            \
  }                                                                                                \
  G_STMT_END

void
_oxp_transpose_rows (gpointer dst, gconstpointer src, gsize elem_size, gsize rows, gsize cols,
                     gsize j0, gsize k)
{
  switch (elem_size)
    {
    case 1:
      OXP_TRANSPOSE_LOOP (guint8);
      break;
    case 2:
      OXP_TRANSPOSE_LOOP (guint16);
      break;
    case 4:
      OXP_TRANSPOSE_LOOP (guint32);
      break;
    case 8:
      OXP_TRANSPOSE_LOOP (guint64);
      break;
    default:
      g_assert_not_reached ();
    }
}
