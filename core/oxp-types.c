/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <math.h>
#include <string.h>

#include <oxport/oxport.h>

#include "oxp-types-private.h"

typedef struct
{
  OxpDataType dtype;
  gsize size;
  const char *name;
} OxpDataTypeInfo;

static const OxpDataTypeInfo data_types[] = {
  { OXP_DATA_TYPE_FLOAT, 4, "float32" },  { OXP_DATA_TYPE_UINT8, 1, "uint8" },
  { OXP_DATA_TYPE_INT8, 1, "int8" },      { OXP_DATA_TYPE_UINT16, 2, "uint16" },
  { OXP_DATA_TYPE_INT16, 2, "int16" },    { OXP_DATA_TYPE_INT32, 4, "int32" },
  { OXP_DATA_TYPE_INT64, 8, "int64" },    { OXP_DATA_TYPE_STRING, 0, "string" },
  { OXP_DATA_TYPE_BOOL, 1, "bool" },      { OXP_DATA_TYPE_FLOAT16, 2, "float16" },
  { OXP_DATA_TYPE_DOUBLE, 8, "float64" }, { OXP_DATA_TYPE_UINT32, 4, "uint32" },
  { OXP_DATA_TYPE_UINT64, 8, "uint64" },  { OXP_DATA_TYPE_BFLOAT16, 2, "bfloat16" },
};

/* Other spellings oxp_data_type_from_string() accepts (safetensors' and the CLI's). */
static const struct
{
  const char *alias;
  OxpDataType dtype;
} data_type_aliases[] = {
  { "float", OXP_DATA_TYPE_FLOAT },   { "fp32", OXP_DATA_TYPE_FLOAT },
  { "f32", OXP_DATA_TYPE_FLOAT },     { "fp16", OXP_DATA_TYPE_FLOAT16 },
  { "f16", OXP_DATA_TYPE_FLOAT16 },   { "half", OXP_DATA_TYPE_FLOAT16 },
  { "bf16", OXP_DATA_TYPE_BFLOAT16 }, { "double", OXP_DATA_TYPE_DOUBLE },
  { "f64", OXP_DATA_TYPE_DOUBLE },    { "fp64", OXP_DATA_TYPE_DOUBLE },
  { "i64", OXP_DATA_TYPE_INT64 },     { "i32", OXP_DATA_TYPE_INT32 },
  { "i16", OXP_DATA_TYPE_INT16 },     { "i8", OXP_DATA_TYPE_INT8 },
  { "u8", OXP_DATA_TYPE_UINT8 },      { "u16", OXP_DATA_TYPE_UINT16 },
  { "u32", OXP_DATA_TYPE_UINT32 },    { "u64", OXP_DATA_TYPE_UINT64 },
};

static const OxpDataTypeInfo *
lookup_info (OxpDataType dtype)
{
  for (gsize i = 0; i < G_N_ELEMENTS (data_types); i++)
    if (data_types[i].dtype == dtype)
      return &data_types[i];
  return NULL;
}

/**
 * oxp_data_type_get_size:
 * @dtype: an element type
 *
 * The byte size of one element of @dtype, as stored in safetensors files,
 * ONNX initializers and #OxpTensor data.
 *
 * Returns: the size in bytes of one element, 0 for UNDEFINED, STRING and
 *   values that are not an #OxpDataType
 */
gsize
oxp_data_type_get_size (OxpDataType dtype)
{
  const OxpDataTypeInfo *info = lookup_info (dtype);
  return info ? info->size : 0;
}

/**
 * oxp_data_type_to_string:
 * @dtype: an element type
 *
 * The name oxport shows for @dtype in messages, `inspect` and JSON output.
 *
 * Returns: a short lower-case name ("float32", "int64", …); "undefined" for
 *   anything else
 */
const char *
oxp_data_type_to_string (OxpDataType dtype)
{
  const OxpDataTypeInfo *info = lookup_info (dtype);
  return info ? info->name : "undefined";
}

/**
 * oxp_data_type_from_string:
 * @name: a name as oxp_data_type_to_string() returns, or a common alias
 *   ("float", "fp32", "fp16", "bf16", …); case-insensitive
 *
 * Parses an element type name, as `--dtype` and reference files spell it.
 *
 * Returns: the type, or %OXP_DATA_TYPE_UNDEFINED for an unknown name
 */
OxpDataType
oxp_data_type_from_string (const char *name)
{
  if (name == NULL)
    return OXP_DATA_TYPE_UNDEFINED;
  for (gsize i = 0; i < G_N_ELEMENTS (data_types); i++)
    if (g_ascii_strcasecmp (data_types[i].name, name) == 0)
      return data_types[i].dtype;
  for (gsize i = 0; i < G_N_ELEMENTS (data_type_aliases); i++)
    if (g_ascii_strcasecmp (data_type_aliases[i].alias, name) == 0)
      return data_type_aliases[i].dtype;
  return OXP_DATA_TYPE_UNDEFINED;
}

static guint32
float_bits (float value)
{
  guint32 bits;
  memcpy (&bits, &value, sizeof bits);
  return bits;
}

static float
bits_float (guint32 bits)
{
  float value;
  memcpy (&value, &bits, sizeof value);
  return value;
}

guint16
_oxp_float_to_half (float value)
{
  guint32 x = float_bits (value);
  guint32 sign = (x >> 16) & 0x8000u;
  guint32 abs = x & 0x7fffffffu;

  if (abs >= 0x7f800000u) /* inf or nan */
    return (guint16)(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) /* rounds to >= 65520: overflow */
    return (guint16)(sign | 0x7c00u);
  if (abs < 0x38800000u)
    {
      /* Result is subnormal or zero: let the FPU round the scaled value. */
      float f = bits_float (abs) * 16777216.0f; /* 2^24: units of the smallest subnormal */
      guint32 m = (guint32)lrintf (f);
      return (guint16)(sign | m);
    }
  {
    guint32 mant_odd = (abs >> 13) & 1u;
    abs += 0xc8000fffu + mant_odd; /* rebias exponent (-112 << 23) and round to nearest even */
    return (guint16)(sign | (abs >> 13));
  }
}

float
_oxp_half_to_float (guint16 value)
{
  guint32 sign = ((guint32)value & 0x8000u) << 16;
  guint32 exp = (value >> 10) & 0x1fu;
  guint32 mant = value & 0x3ffu;

  if (exp == 0)
    {
      float f = ldexpf ((float)mant, -24);
      return sign ? -f : f;
    }
  if (exp == 31)
    return bits_float (sign | 0x7f800000u | (mant << 13));
  return bits_float (sign | ((exp + 112) << 23) | (mant << 13));
}

guint16
_oxp_float_to_bfloat16 (float value)
{
  guint32 x = float_bits (value);
  if ((x & 0x7fffffffu) > 0x7f800000u)
    return (guint16)((x >> 16) | 0x40u); /* quiet nan */
  x += 0x7fffu + ((x >> 16) & 1u);
  return (guint16)(x >> 16);
}

float
_oxp_bfloat16_to_float (guint16 value)
{
  return bits_float ((guint32)value << 16);
}
