/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include <math.h>
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

/* bfloat16 widens exactly; the narrowing is f32_to_f16_f16c()'s. */
__attribute__ ((target ("avx2,f16c"))) static void
bf16_to_f16_f16c (guint8 *d, const guint8 *s, gsize n)
{
  gsize i = 0;

  for (; i + 8 <= n; i += 8)
    {
      __m128i b = _mm_loadu_si128 ((const __m128i *)(s + 2 * i));
      __m256 v = _mm256_castsi256_ps (_mm256_slli_epi32 (_mm256_cvtepu16_epi32 (b), 16));

      _mm_storeu_si128 ((__m128i *)(d + 2 * i),
                        _mm256_cvtps_ph (v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
    }
  for (; i < n; i++)
    {
      guint16 b, h;

      memcpy (&b, s + 2 * i, 2);
      h = f32_to_f16 (bf16_to_f32 (b));
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

/* The transposition kernels want AVX2 as well (integer widening, packing). */
static gboolean
have_avx2_f16c (void)
{
  static gsize result = 0;

  if (g_once_init_enter (&result))
    {
      __builtin_cpu_init ();
      g_once_init_leave (
          &result, __builtin_cpu_supports ("avx2") && __builtin_cpu_supports ("f16c") ? 2 : 1);
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
  /* The embeddings and norms of a bf16 checkpoint come this way. */
  if (src_dtype == OXP_DATA_TYPE_BFLOAT16 && dst_dtype == OXP_DATA_TYPE_FLOAT)
    {
      for (gsize i = 0; i < n; i++)
        {
          guint16 b;
          guint32 x;

          memcpy (&b, s + 2 * i, 2);
          x = bf16_to_f32 (b);
          memcpy (d + 4 * i, &x, 4);
        }
      return;
    }
#ifdef OXP_HAVE_F16C
  if (src_dtype == OXP_DATA_TYPE_BFLOAT16 && dst_dtype == OXP_DATA_TYPE_FLOAT16
      && have_avx2_f16c ())
    {
      bf16_to_f16_f16c (d, s, n);
      return;
    }
#endif
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

/* --- Transposition with conversion ------------------------------------------ */

/* Tiles of the element-by-element paths: 64 source rows × 64 columns, at
 * most 32 KiB read and 32 KiB written, which stay in L1/L2. */
#define OXP_TILE 64

/* Gathers column @j of rows [@i0, @i1) and converts it into its output row. */
static void
convert_column (guint8 *dst, OxpDataType dst_dtype, const guint8 *src, OxpDataType src_dtype,
                gsize rows, gsize cols, gsize j0, gsize j, gsize i0, gsize i1)
{
  gsize se = oxp_data_type_get_size (src_dtype), de = oxp_data_type_get_size (dst_dtype);
  guint8 tmp[OXP_TILE * 8];

  for (gsize i = i0; i < i1; i += OXP_TILE)
    {
      gsize n = MIN (OXP_TILE, i1 - i);

      for (gsize a = 0; a < n; a++)
        memcpy (tmp + a * se, src + ((i + a) * cols + j0 + j) * se, se);
      _oxp_convert_floats (dst_dtype, dst + (j * rows + i) * de, src_dtype, tmp, n);
    }
}

#ifdef OXP_HAVE_F16C
#define OXP_SIMD_TARGET __attribute__ ((target ("avx2,f16c")))

/* Eight rows of eight 32-bit lanes become eight columns. */
OXP_SIMD_TARGET static inline void
transpose8 (__m256 r[8])
{
  __m256 t0 = _mm256_unpacklo_ps (r[0], r[1]), t1 = _mm256_unpackhi_ps (r[0], r[1]);
  __m256 t2 = _mm256_unpacklo_ps (r[2], r[3]), t3 = _mm256_unpackhi_ps (r[2], r[3]);
  __m256 t4 = _mm256_unpacklo_ps (r[4], r[5]), t5 = _mm256_unpackhi_ps (r[4], r[5]);
  __m256 t6 = _mm256_unpacklo_ps (r[6], r[7]), t7 = _mm256_unpackhi_ps (r[6], r[7]);
  __m256 u0 = _mm256_shuffle_ps (t0, t2, _MM_SHUFFLE (1, 0, 1, 0));
  __m256 u1 = _mm256_shuffle_ps (t0, t2, _MM_SHUFFLE (3, 2, 3, 2));
  __m256 u2 = _mm256_shuffle_ps (t1, t3, _MM_SHUFFLE (1, 0, 1, 0));
  __m256 u3 = _mm256_shuffle_ps (t1, t3, _MM_SHUFFLE (3, 2, 3, 2));
  __m256 u4 = _mm256_shuffle_ps (t4, t6, _MM_SHUFFLE (1, 0, 1, 0));
  __m256 u5 = _mm256_shuffle_ps (t4, t6, _MM_SHUFFLE (3, 2, 3, 2));
  __m256 u6 = _mm256_shuffle_ps (t5, t7, _MM_SHUFFLE (1, 0, 1, 0));
  __m256 u7 = _mm256_shuffle_ps (t5, t7, _MM_SHUFFLE (3, 2, 3, 2));

  r[0] = _mm256_permute2f128_ps (u0, u4, 0x20);
  r[1] = _mm256_permute2f128_ps (u1, u5, 0x20);
  r[2] = _mm256_permute2f128_ps (u2, u6, 0x20);
  r[3] = _mm256_permute2f128_ps (u3, u7, 0x20);
  r[4] = _mm256_permute2f128_ps (u0, u4, 0x31);
  r[5] = _mm256_permute2f128_ps (u1, u5, 0x31);
  r[6] = _mm256_permute2f128_ps (u2, u6, 0x31);
  r[7] = _mm256_permute2f128_ps (u3, u7, 0x31);
}

/* Loads of eight elements into 32-bit lanes: as they are, a bfloat16's
 * float bits, a 16-bit value zero-extended. */
#define LOAD_32(p) _mm256_loadu_ps ((const float *)(p))
#define LOAD_BF16(p)                                                                               \
  _mm256_castsi256_ps (                                                                            \
      _mm256_slli_epi32 (_mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *)(p))), 16))
#define LOAD_U16(p)                                                                                \
  _mm256_castsi256_ps (_mm256_cvtepu16_epi32 (_mm_loadu_si128 ((const __m128i *)(p))))

/* Eight lanes holding 16-bit values, packed. */
OXP_SIMD_TARGET static inline __m128i
pack_u16 (__m256i v)
{
  return _mm_packus_epi32 (_mm256_castsi256_si128 (v), _mm256_extracti128_si256 (v, 1));
}

/* f32_to_bf16() on eight lanes, bit for bit. */
OXP_SIMD_TARGET static inline __m256i
f32_to_bf16_x8 (__m256i x)
{
  __m256i nan = _mm256_cmpgt_epi32 (_mm256_and_si256 (x, _mm256_set1_epi32 (0x7fffffff)),
                                    _mm256_set1_epi32 (0x7f800000));
  __m256i lsb = _mm256_and_si256 (_mm256_srli_epi32 (x, 16), _mm256_set1_epi32 (1));
  __m256i rounded = _mm256_srli_epi32 (
      _mm256_add_epi32 (_mm256_add_epi32 (x, _mm256_set1_epi32 (0x7fff)), lsb), 16);
  __m256i quiet = _mm256_or_si256 (_mm256_srli_epi32 (x, 16), _mm256_set1_epi32 (0x40));

  return _mm256_blendv_epi8 (rounded, quiet, nan);
}

/* Stores of eight 32-bit lanes as four or two bytes each. */
#define STORE_32(p, v) _mm256_storeu_ps ((float *)(p), (v))
#define STORE_F16(p, v)                                                                            \
  _mm_storeu_si128 ((__m128i *)(p),                                                                \
                    _mm256_cvtps_ph ((v), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC))
#define STORE_BF16(p, v)                                                                           \
  _mm_storeu_si128 ((__m128i *)(p), pack_u16 (f32_to_bf16_x8 (_mm256_castps_si256 (v))))
#define STORE_U16(p, v) _mm_storeu_si128 ((__m128i *)(p), pack_u16 (_mm256_castps_si256 (v)))

/* Copies one 64-byte output line from the staging buffer; @stream uses
 * streaming stores (@d then is 64-byte aligned), which send the line to
 * memory whole rather than into this core's cache, where the writing
 * thread, on another core, would have to fetch it line by line (that made
 * its write() 5× slower). */
OXP_SIMD_TARGET static inline void
copy_line (guint8 *d, const guint8 *s, gboolean stream)
{
  __m256i a = _mm256_load_si256 ((const __m256i *)s);
  __m256i b = _mm256_load_si256 ((const __m256i *)(s + 32));

  if (stream)
    {
      _mm256_stream_si256 ((__m256i *)d, a);
      _mm256_stream_si256 ((__m256i *)(d + 32), b);
    }
  else
    {
      _mm256_storeu_si256 ((__m256i *)d, a);
      _mm256_storeu_si256 ((__m256i *)(d + 32), b);
    }
}

/* One kernel per (source, destination) pair.  Panels of 64 / DE source rows
 * (one 64-byte line of every output row) by chunks of OXP_CHUNK columns are
 * transposed in 8 × 8 blocks in registers into a staging buffer of whole
 * output lines, then copied out line by line.  Row strides are powers of
 * two here (2048, 4096, 8192 elements), which map a tile's rows to the same
 * cache sets: so each source line is used up by consecutive blocks, and the
 * staging buffer is contiguous.  What does not fill a panel or a block of
 * 8 goes element by element through _oxp_convert_floats(), which rounds
 * exactly as the blocks do. */
#define OXP_CHUNK 256
#define DEFINE_TRANSPOSE_KERNEL(name, SE, DE, LOAD, STORE)                                         \
  OXP_SIMD_TARGET static void name (guint8 *dst, OxpDataType dst_dtype, const guint8 *src,         \
                                    OxpDataType src_dtype, gsize rows, gsize cols, gsize j0,       \
                                    gsize k, gboolean stream)                                      \
  {                                                                                                \
    const gsize panel = 64 / (DE), line = 64 / (SE);                                               \
    guint8 stage[OXP_CHUNK * 64] __attribute__ ((aligned (64)));                                   \
    gsize full = rows / panel * panel;                                                             \
                                                                                                   \
    for (gsize jc = 0; jc < k; jc += OXP_CHUNK)                                                    \
      {                                                                                            \
        gsize je = MIN (jc + OXP_CHUNK, k), j8 = jc + (je - jc) / 8 * 8;                           \
        for (gsize i0 = 0; i0 < full; i0 += panel)                                                 \
          {                                                                                        \
            for (gsize jl = jc; jl < j8; jl += line)                                               \
              for (gsize g = 0; g < panel; g += 8)                                                 \
                for (gsize j = jl; j < MIN (jl + line, j8); j += 8)                                \
                  {                                                                                \
                    const guint8 *s = src + ((i0 + g) * cols + j0 + j) * (SE);                     \
                    guint8 *d = stage + (j - jc) * 64 + g * (DE);                                  \
                    __m256 r[8];                                                                   \
                    r[0] = LOAD (s);                                                               \
                    r[1] = LOAD (s + cols * (SE));                                                 \
                    r[2] = LOAD (s + 2 * cols * (SE));                                             \
                    r[3] = LOAD (s + 3 * cols * (SE));                                             \
                    r[4] = LOAD (s + 4 * cols * (SE));                                             \
                    r[5] = LOAD (s + 5 * cols * (SE));                                             \
                    r[6] = LOAD (s + 6 * cols * (SE));                                             \
                    r[7] = LOAD (s + 7 * cols * (SE));                                             \
                    transpose8 (r);                                                                \
                    STORE (d, r[0]);                                                               \
                    STORE (d + 64, r[1]);                                                          \
                    STORE (d + 2 * 64, r[2]);                                                      \
                    STORE (d + 3 * 64, r[3]);                                                      \
                    STORE (d + 4 * 64, r[4]);                                                      \
                    STORE (d + 5 * 64, r[5]);                                                      \
                    STORE (d + 6 * 64, r[6]);                                                      \
                    STORE (d + 7 * 64, r[7]);                                                      \
                  }                                                                                \
            for (gsize j = jc; j < j8; j++)                                                        \
              copy_line (dst + (j * rows + i0) * (DE), stage + (j - jc) * 64, stream);             \
            for (gsize j = j8; j < je; j++)                                                        \
              convert_column (dst, dst_dtype, src, src_dtype, rows, cols, j0, j, i0, i0 + panel);  \
          }                                                                                        \
        if (full < rows)                                                                           \
          for (gsize j = jc; j < je; j++)                                                          \
            convert_column (dst, dst_dtype, src, src_dtype, rows, cols, j0, j, full, rows);        \
      }                                                                                            \
  }

DEFINE_TRANSPOSE_KERNEL (transpose_32, 4, 4, LOAD_32, STORE_32)
DEFINE_TRANSPOSE_KERNEL (transpose_16, 2, 2, LOAD_U16, STORE_U16)
DEFINE_TRANSPOSE_KERNEL (transpose_f32_f16, 4, 2, LOAD_32, STORE_F16)
DEFINE_TRANSPOSE_KERNEL (transpose_f32_bf16, 4, 2, LOAD_32, STORE_BF16)
DEFINE_TRANSPOSE_KERNEL (transpose_bf16_f32, 2, 4, LOAD_BF16, STORE_32)
DEFINE_TRANSPOSE_KERNEL (transpose_bf16_f16, 2, 2, LOAD_BF16, STORE_F16)

typedef void (*TransposeKernel) (guint8 *, OxpDataType, const guint8 *, OxpDataType, gsize, gsize,
                                 gsize, gsize, gboolean);
#endif

/* With @streaming, the output goes to memory with streaming stores where it
 * is aligned (for a buffer another thread will read). */
static void
transpose_convert (gpointer dst, OxpDataType dst_dtype, gconstpointer src, OxpDataType src_dtype,
                   gsize rows, gsize cols, gsize j0, gsize k, gboolean streaming)
{
  gsize se = oxp_data_type_get_size (src_dtype);

#ifdef OXP_HAVE_F16C
  if (have_avx2_f16c ())
    {
      static const struct
      {
        OxpDataType src, dst; /* 0, 0: any type of that size to itself */
        gsize se;
        TransposeKernel kernel;
      } kernels[] = {
        { 0, 0, 4, transpose_32 },
        { 0, 0, 2, transpose_16 },
        { OXP_DATA_TYPE_FLOAT, OXP_DATA_TYPE_FLOAT16, 4, transpose_f32_f16 },
        { OXP_DATA_TYPE_FLOAT, OXP_DATA_TYPE_BFLOAT16, 4, transpose_f32_bf16 },
        { OXP_DATA_TYPE_BFLOAT16, OXP_DATA_TYPE_FLOAT, 2, transpose_bf16_f32 },
        { OXP_DATA_TYPE_BFLOAT16, OXP_DATA_TYPE_FLOAT16, 2, transpose_bf16_f16 },
      };
      gsize de = oxp_data_type_get_size (dst_dtype);

      /* A float16 source stays on the generic path: the F16C widening
       * quiets signalling NaNs, f16_to_f32() keeps them. */
      for (gsize i = 0; i < G_N_ELEMENTS (kernels); i++)
        {
          gboolean stream;

          if (kernels[i].src == 0 ? src_dtype != dst_dtype || se != kernels[i].se
                                  : src_dtype != kernels[i].src || dst_dtype != kernels[i].dst)
            continue;
          /* Streaming stores of whole lines need the output lines aligned. */
          stream = streaming && (guintptr)dst % 64 == 0 && rows * de % 64 == 0;
          kernels[i].kernel (dst, dst_dtype, src, src_dtype, rows, cols, j0, k, stream);
          if (stream)
            _mm_sfence ();
          return;
        }
    }
#endif
  if (src_dtype == dst_dtype)
    {
      _oxp_transpose_rows (dst, src, se, rows, cols, j0, k);
      return;
    }
  for (gsize jt = 0; jt < k; jt += OXP_TILE)
    for (gsize it = 0; it < rows; it += OXP_TILE)
      for (gsize j = jt; j < MIN (jt + OXP_TILE, k); j++)
        convert_column (dst, dst_dtype, src, src_dtype, rows, cols, j0, j, it,
                        MIN (it + OXP_TILE, rows));
}

void
_oxp_transpose_convert (gpointer dst, OxpDataType dst_dtype, gconstpointer src,
                        OxpDataType src_dtype, gsize rows, gsize cols, gsize j0, gsize k)
{
  transpose_convert (dst, dst_dtype, src, src_dtype, rows, cols, j0, k, FALSE);
}

/* --- The transposition of a whole tensor, on worker threads ------------------- */

/* One work item: source rows [i0, i0 + r) and columns [j0, j0 + k), which
 * become k runs of r elements of the output (one run when r is all rows). */
typedef struct
{
  OxpTransposer *owner;
  const OxpTransposeJob *job;
  gsize i0, r, j0, k;
  guint8 *buf;
  gsize capacity;
  gboolean ready;
} TransposeItem;

struct _OxpTransposer
{
  guint n_threads;
  GThreadPool *pool; /* made on the first job of more than one item */
  GMutex lock;
  GCond cond;
  gsize n_slots;
  TransposeItem *slots; /* with their buffers, kept from job to job */
};

OxpTransposer *
_oxp_transposer_new (guint n_threads)
{
  OxpTransposer *self = g_new0 (OxpTransposer, 1);

  self->n_threads = n_threads;
  self->n_slots = n_threads > 0 ? 2 * (gsize)n_threads : 1;
  self->slots = g_new0 (TransposeItem, self->n_slots);
  g_mutex_init (&self->lock);
  g_cond_init (&self->cond);
  return self;
}

void
_oxp_transposer_free (OxpTransposer *self)
{
  if (self == NULL)
    return;
  if (self->pool != NULL)
    g_thread_pool_free (self->pool, FALSE, TRUE);
  for (gsize i = 0; i < self->n_slots; i++)
    g_aligned_free (self->slots[i].buf);
  g_free (self->slots);
  g_mutex_clear (&self->lock);
  g_cond_clear (&self->cond);
  g_free (self);
}

/* A worker streams its output to memory: the writing thread reads it from
 * another core. */
static void
transpose_item (TransposeItem *item, gboolean worker)
{
  const OxpTransposeJob *job = item->job;
  gsize se = oxp_data_type_get_size (job->src_dtype);

  transpose_convert (item->buf, job->dst_dtype,
                     (const guint8 *)job->src + item->i0 * job->cols * se, job->src_dtype, item->r,
                     job->cols, item->j0, item->k, worker);
}

static void
transpose_worker (gpointer data, gpointer user_data)
{
  TransposeItem *item = data;
  OxpTransposer *self = item->owner;

  transpose_item (item, TRUE);
  g_mutex_lock (&self->lock);
  item->ready = TRUE;
  g_cond_broadcast (&self->cond);
  g_mutex_unlock (&self->lock);
}

gboolean
_oxp_transposer_write (OxpTransposer *self, const OxpTransposeJob *job,
                       OxpTransposeWriteFunc write_func, OxpTransposeBandFunc band_func,
                       gpointer user_data, GError **error)
{
  gsize se = oxp_data_type_get_size (job->src_dtype);
  gsize de = oxp_data_type_get_size (job->dst_dtype);
  gsize rows = job->rows, cols = job->cols;
  gsize n_bands, band_rows, n_blocks, block_cols, n_items, n_slots, item_size;
  gboolean threaded, ok = TRUE;
  gsize pushed = 0, written = 0;

  if (rows == 0 || cols == 0)
    return TRUE;

  /* Bands of rows hold at most band_size source bytes (the pages that are
   * in use at a time); their rows are balanced, and a run of one band's
   * output fits a block. */
  n_bands = MAX ((rows * cols * se + job->band_size - 1) / job->band_size,
                 (rows * de + job->block_size - 1) / job->block_size);
  n_bands = CLAMP (n_bands, 1, rows);
  band_rows = (rows + n_bands - 1) / n_bands;
  n_bands = (rows + band_rows - 1) / band_rows;
  /* Blocks of columns: one block of one band is one item, one buffer; at
   * least a source line (64 bytes) of each row, which one item uses up. */
  block_cols = CLAMP (MAX (job->block_size / (band_rows * de), 64 / se), 1, cols);
  n_blocks = (cols + block_cols - 1) / block_cols;
  block_cols = (cols + n_blocks - 1) / n_blocks;
  n_items = n_bands * n_blocks;
  item_size = band_rows * block_cols * de;

  /* A tensor of one block is transposed here, where it is written. */
  threaded = self->n_threads > 0 && n_items > 1;
  n_slots = threaded ? MIN (self->n_slots, n_items) : 1;
  if (threaded && self->pool == NULL)
    self->pool = g_thread_pool_new (transpose_worker, NULL, (gint)self->n_threads, FALSE, NULL);
  for (gsize i = 0; i < n_slots; i++)
    if (self->slots[i].capacity < item_size)
      {
        g_aligned_free (self->slots[i].buf);
        self->slots[i].buf = g_aligned_alloc (item_size, 1, 64);
        self->slots[i].capacity = item_size;
      }

  while (written < n_items)
    {
      TransposeItem *item;

      /* Keep every slot busy, but start a band only once the previous one
       * is written and forgotten: one band's pages in memory at a time. */
      while (pushed < n_items && pushed - written < n_slots)
        {
          gsize band = pushed / n_blocks, block = pushed % n_blocks;

          if (block == 0 && pushed > written)
            break;
          item = &self->slots[pushed % n_slots];
          item->owner = self;
          item->job = job;
          item->i0 = band * band_rows;
          item->r = MIN (band_rows, rows - item->i0);
          item->j0 = block * block_cols;
          item->k = MIN (block_cols, cols - item->j0);
          item->ready = FALSE;
          /* Read ahead a band before its first item is needed. */
          if (pushed == 0 && band_func != NULL)
            band_func (job->src, MIN (band_rows, rows) * cols * se, FALSE, user_data);
          if (block == n_blocks - 1 && band + 1 < n_bands && band_func != NULL)
            band_func ((const guint8 *)job->src + (band + 1) * band_rows * cols * se,
                       MIN (band_rows, rows - (band + 1) * band_rows) * cols * se, FALSE,
                       user_data);
          if (threaded)
            g_thread_pool_push (self->pool, item, NULL);
          pushed++;
          if (!threaded)
            break;
        }

      item = &self->slots[written % n_slots];
      if (!threaded)
        transpose_item (item, FALSE);
      else
        {
          g_mutex_lock (&self->lock);
          while (!item->ready)
            g_cond_wait (&self->cond, &self->lock);
          g_mutex_unlock (&self->lock);
        }

      if (item->r == rows)
        ok = write_func (item->buf, item->k * rows * de, (guint64)item->j0 * rows * de, user_data,
                         error);
      else
        for (gsize j = 0; ok && j < item->k; j++)
          ok = write_func (item->buf + j * item->r * de, item->r * de,
                           ((guint64)(item->j0 + j) * rows + item->i0) * de, user_data, error);
      if (!ok)
        break;
      if (item->j0 + item->k == cols && band_func != NULL)
        band_func ((const guint8 *)job->src + item->i0 * cols * se, item->r * cols * se, TRUE,
                   user_data);
      written++;
    }

  /* The items in flight use the buffers: let them finish. */
  if (threaded)
    for (gsize t = written; t < pushed; t++)
      {
        TransposeItem *item = &self->slots[t % n_slots];

        g_mutex_lock (&self->lock);
        while (!item->ready)
          g_cond_wait (&self->cond, &self->lock);
        g_mutex_unlock (&self->lock);
      }
  return ok;
}

/* ---- block quantization (MatMulNBits) --------------------------------- */

/* @x stored in @dtype, rounded up to the next representable value when
 * rounding to nearest went below it: a block's codes then never need to be
 * clamped, so no weight is off by more than half a step of its stored scale.
 * Returns the stored value. */
static float
store_scale (OxpDataType dtype, guint8 *dst, float x)
{
  float back;

  _oxp_convert_floats (dtype, dst, OXP_DATA_TYPE_FLOAT, &x, 1);
  if (dtype == OXP_DATA_TYPE_FLOAT)
    return x;
  _oxp_convert_floats (OXP_DATA_TYPE_FLOAT, &back, dtype, dst, 1);
  if (back < x)
    {
      guint16 bits;

      /* Positive and finite: the next 16-bit pattern is the next value up. */
      memcpy (&bits, dst, 2);
      bits++;
      memcpy (dst, &bits, 2);
      _oxp_convert_floats (OXP_DATA_TYPE_FLOAT, &back, dtype, dst, 1);
    }
  return back;
}

void
_oxp_quantize_rows (const OxpQuantizeJob *job, gsize r0, gsize nr, guint8 *dst, float *row)
{
  gsize bs = job->block_size;
  gsize k_blocks = (job->k + bs - 1) / bs;
  gsize src_elem = oxp_data_type_get_size (job->src_dtype);
  gsize scale_elem = oxp_data_type_get_size (job->scale_dtype);
  guint max_code = (1u << job->bits) - 1;
  gsize row_bytes = k_blocks * bs * job->bits / 8;
  gsize zp_row_bytes = (k_blocks * job->bits + 7) / 8;

  for (gsize r = r0; r < r0 + nr; r++)
    {
      const guint8 *src = job->src;

      if (job->in_out)
        for (gsize i = 0; i < job->k; i++)
          _oxp_convert_floats (OXP_DATA_TYPE_FLOAT, row + i, job->src_dtype,
                               src + (i * job->n + r) * src_elem, 1);
      else
        _oxp_convert_floats (OXP_DATA_TYPE_FLOAT, row, job->src_dtype, src + r * job->k * src_elem,
                             job->k);

      if (job->part == OXP_QUANT_ZERO_POINTS)
        memset (dst, 0, zp_row_bytes);
      for (gsize b = 0; b < k_blocks; b++)
        {
          gsize lo = b * bs, hi = MIN (lo + bs, job->k);
          float mn = 0.0f, mx = 0.0f, scale, inv;
          guint8 scale_bytes[4];
          guint zp = 0;

          for (gsize i = lo; i < hi; i++)
            {
              mn = MIN (mn, row[i]);
              mx = MAX (mx, row[i]);
            }
          if (job->symmetric)
            {
              scale = MAX (mx, -mn) / (float)((1u << (job->bits - 1)) - 1);
              zp = 1u << (job->bits - 1);
            }
          else
            scale = (mx - mn) / (float)max_code;
          scale = store_scale (job->scale_dtype, scale_bytes, scale);
          if (!job->symmetric)
            {
              /* The range holds zero, so -mn / scale is within [0, max_code]. */
              float z = scale > 0 ? rintf (-mn / scale) : 0.0f;
              zp = (guint)CLAMP (z, 0.0f, (float)max_code);
            }

          if (job->part == OXP_QUANT_BLOCKS && job->side_scales != NULL)
            {
              memcpy (job->side_scales + (r * k_blocks + b) * scale_elem, scale_bytes, scale_elem);
              if (job->side_zero_points != NULL)
                {
                  guint8 *z = job->side_zero_points + r * zp_row_bytes;

                  if (b == 0)
                    memset (z, 0, zp_row_bytes);
                  if (job->bits == 8)
                    z[b] = (guint8)zp;
                  else
                    z[b / 2] |= (guint8)(zp << ((b % 2) * 4));
                }
            }
          switch (job->part)
            {
            case OXP_QUANT_SCALES:
              memcpy (dst + b * scale_elem, scale_bytes, scale_elem);
              continue;
            case OXP_QUANT_ZERO_POINTS:
              if (job->bits == 8)
                dst[b] = (guint8)zp;
              else
                dst[b / 2] |= (guint8)(zp << ((b % 2) * 4));
              continue;
            default:
              break;
            }

          inv = scale > 0 ? 1.0f / scale : 0.0f;
          for (gsize i = lo; i < lo + bs; i++)
            {
              float q = i < hi ? rintf (row[i] * inv) + (float)zp : (float)zp;
              guint code = (guint)CLAMP (q, 0.0f, (float)max_code);

              if (job->bits == 8)
                dst[i] = (guint8)code;
              else if (i % 2 == 0)
                dst[i / 2] = (guint8)code;
              else
                dst[i / 2] |= (guint8)(code << 4);
            }
        }
      dst += job->part == OXP_QUANT_BLOCKS   ? row_bytes
             : job->part == OXP_QUANT_SCALES ? k_blocks * scale_elem
                                             : zp_row_bytes;
    }
}
