/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <glib-object.h>
#include <oxport/oxp-macros.h>

G_BEGIN_DECLS

/**
 * OxpDataType:
 * @OXP_DATA_TYPE_UNDEFINED: no type (an unknown name, an unset spec)
 * @OXP_DATA_TYPE_FLOAT: 32-bit IEEE float ("float32")
 * @OXP_DATA_TYPE_UINT8: unsigned 8-bit integer
 * @OXP_DATA_TYPE_INT8: signed 8-bit integer
 * @OXP_DATA_TYPE_UINT16: unsigned 16-bit integer
 * @OXP_DATA_TYPE_INT16: signed 16-bit integer
 * @OXP_DATA_TYPE_INT32: signed 32-bit integer
 * @OXP_DATA_TYPE_INT64: signed 64-bit integer (token ids, masks, shapes)
 * @OXP_DATA_TYPE_STRING: string tensor (no fixed element size; oxport
 *   writes none)
 * @OXP_DATA_TYPE_BOOL: one byte, 0 or 1
 * @OXP_DATA_TYPE_FLOAT16: IEEE half precision ("float16", `--dtype fp16`)
 * @OXP_DATA_TYPE_DOUBLE: 64-bit IEEE float ("float64")
 * @OXP_DATA_TYPE_UINT32: unsigned 32-bit integer
 * @OXP_DATA_TYPE_UINT64: unsigned 64-bit integer
 * @OXP_DATA_TYPE_BFLOAT16: brain float, the top 16 bits of a float32
 *   ("bfloat16", `--dtype bf16`)
 *
 * Tensor element types.  The values are those of ONNX's
 * `TensorProto.DataType`, which ONNX Runtime's C API shares for 1..23.
 */
typedef enum {
  OXP_DATA_TYPE_UNDEFINED = 0,
  OXP_DATA_TYPE_FLOAT = 1,
  OXP_DATA_TYPE_UINT8 = 2,
  OXP_DATA_TYPE_INT8 = 3,
  OXP_DATA_TYPE_UINT16 = 4,
  OXP_DATA_TYPE_INT16 = 5,
  OXP_DATA_TYPE_INT32 = 6,
  OXP_DATA_TYPE_INT64 = 7,
  OXP_DATA_TYPE_STRING = 8,
  OXP_DATA_TYPE_BOOL = 9,
  OXP_DATA_TYPE_FLOAT16 = 10,
  OXP_DATA_TYPE_DOUBLE = 11,
  OXP_DATA_TYPE_UINT32 = 12,
  OXP_DATA_TYPE_UINT64 = 13,
  OXP_DATA_TYPE_BFLOAT16 = 16,
} OxpDataType;

#define OXP_TYPE_DATA_TYPE (oxp_data_type_get_type ())
OXP_API GType oxp_data_type_get_type (void) G_GNUC_CONST;

/* Size in bytes of one element; 0 for UNDEFINED and STRING. */
OXP_API gsize        oxp_data_type_get_size    (OxpDataType dtype);
/* Short lower-case name: "float32", "float16", "bfloat16", "int64", "bool", … */
OXP_API const char  *oxp_data_type_to_string   (OxpDataType dtype);
/* Inverse of oxp_data_type_to_string(); also accepts "float"/"fp32"/"fp16"/"bf16".
 * Returns OXP_DATA_TYPE_UNDEFINED for an unknown name. */
OXP_API OxpDataType  oxp_data_type_from_string (const char *name);

/* Forward declarations so that headers can name each other's types. */
typedef struct _OxpCheckpoint         OxpCheckpoint;
typedef struct _OxpGraph              OxpGraph;
typedef struct _OxpNode               OxpNode;
typedef struct _OxpOnnxConfig         OxpOnnxConfig;
typedef struct _OxpNormalizedConfig   OxpNormalizedConfig;
typedef struct _OxpTensorSpec         OxpTensorSpec;
typedef struct _OxpTensor             OxpTensor;
typedef struct _OxpPlugin             OxpPlugin;
typedef struct _OxpTasksManager       OxpTasksManager;
typedef struct _OxpRuntime            OxpRuntime;

G_END_DECLS
