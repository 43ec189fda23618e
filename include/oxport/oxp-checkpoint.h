/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <oxport/oxp-types.h>
#include <oxport/oxp-tensor.h>

G_BEGIN_DECLS

#define OXP_CHECKPOINT_ERROR (oxp_checkpoint_error_quark ())
OXP_API GQuark oxp_checkpoint_error_quark (void);

/**
 * OxpCheckpointError:
 * @OXP_CHECKPOINT_ERROR_NOT_FOUND: the folder or a file it needs does not exist
 * @OXP_CHECKPOINT_ERROR_IO: a file could not be opened, read or mapped
 * @OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT: weights only in a format oxport cannot read (pytorch_model.bin)
 * @OXP_CHECKPOINT_ERROR_HEADER: a safetensors header is truncated, too large, not JSON or not an object
 * @OXP_CHECKPOINT_ERROR_DTYPE: a tensor has an unknown dtype
 * @OXP_CHECKPOINT_ERROR_SHAPE: a tensor's shape × dtype size disagrees with its byte range, or a shape is malformed
 * @OXP_CHECKPOINT_ERROR_OFFSETS: offsets out of range, overlapping or leaving holes
 * @OXP_CHECKPOINT_ERROR_DUPLICATE: the same tensor name in two shards
 * @OXP_CHECKPOINT_ERROR_INDEX: the shard index is malformed or points at a missing shard or tensor
 * @OXP_CHECKPOINT_ERROR_CONFIG: config.json is missing or malformed
 * @OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE: config.json has no "model_type"
 * @OXP_CHECKPOINT_ERROR_MISSING_TENSOR: a tensor the exporter needs is absent
 * @OXP_CHECKPOINT_ERROR_TENSOR_SHAPE: a tensor has a shape or dtype the exporter does not expect
 *
 * Errors in the %OXP_CHECKPOINT_ERROR domain: a model folder that cannot be
 * read, weights that fail the strict safetensors checks, or a tensor a plugin
 * needs that is missing or has another shape.  Messages name the file and
 * the tensor or key at fault.
 */
typedef enum {
  OXP_CHECKPOINT_ERROR_NOT_FOUND,
  OXP_CHECKPOINT_ERROR_IO,
  OXP_CHECKPOINT_ERROR_UNSUPPORTED_FORMAT,
  OXP_CHECKPOINT_ERROR_HEADER,
  OXP_CHECKPOINT_ERROR_DTYPE,
  OXP_CHECKPOINT_ERROR_SHAPE,
  OXP_CHECKPOINT_ERROR_OFFSETS,
  OXP_CHECKPOINT_ERROR_DUPLICATE,
  OXP_CHECKPOINT_ERROR_INDEX,
  OXP_CHECKPOINT_ERROR_CONFIG,
  OXP_CHECKPOINT_ERROR_NO_MODEL_TYPE,
  OXP_CHECKPOINT_ERROR_MISSING_TENSOR,
  OXP_CHECKPOINT_ERROR_TENSOR_SHAPE,
} OxpCheckpointError;

#define OXP_TYPE_CHECKPOINT_ERROR (oxp_checkpoint_error_get_type ())
OXP_API GType oxp_checkpoint_error_get_type (void) G_GNUC_CONST;

/* A tensor of a checkpoint: a borrowed view into the memory map, valid as
 * long as the OxpCheckpoint lives. */
typedef struct _OxpCheckpointTensor OxpCheckpointTensor;

#define OXP_TYPE_CHECKPOINT (oxp_checkpoint_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpCheckpoint, oxp_checkpoint, OXP, CHECKPOINT, GObject)

/* Opening.  open() reads config.json and the weights of a model folder;
 * open_safetensors() maps one .safetensors file alone (no config: used for
 * reference vectors). */
OXP_API OxpCheckpoint *oxp_checkpoint_open             (const char *dir,
                                                        GError    **error);
OXP_API OxpCheckpoint *oxp_checkpoint_open_safetensors (const char *path,
                                                        GError    **error);

/* Config.  get_config() is NULL for open_safetensors(). (transfer none) */
OXP_API const char *oxp_checkpoint_get_path       (OxpCheckpoint *self);
OXP_API JsonObject *oxp_checkpoint_get_config     (OxpCheckpoint *self);
OXP_API const char *oxp_checkpoint_get_model_type (OxpCheckpoint *self);

/* Tensors.  lookup() returns NULL when absent; get_tensor() sets
 * OXP_CHECKPOINT_ERROR_MISSING_TENSOR naming the tensor and the folder;
 * expect_tensor() also checks the shape (-1 matches any size) and sets
 * OXP_CHECKPOINT_ERROR_TENSOR_SHAPE naming expected and found shapes. */
OXP_API guint                      oxp_checkpoint_get_n_tensors (OxpCheckpoint *self);
/* In file order (shard by shard). */
OXP_API const OxpCheckpointTensor *oxp_checkpoint_get_nth       (OxpCheckpoint *self,
                                                                 guint          i);
OXP_API const OxpCheckpointTensor *oxp_checkpoint_lookup        (OxpCheckpoint *self,
                                                                 const char    *name);
OXP_API const OxpCheckpointTensor *oxp_checkpoint_get_tensor    (OxpCheckpoint *self,
                                                                 const char    *name,
                                                                 GError       **error);
OXP_API const OxpCheckpointTensor *oxp_checkpoint_expect_tensor (OxpCheckpoint *self,
                                                                 const char    *name,
                                                                 const gint64  *shape,
                                                                 guint          rank,
                                                                 GError       **error);
/* expect_tensor() for a weight that must be floating point (F32, F16,
 * BF16, F64): an integer or boolean tensor there sets
 * OXP_CHECKPOINT_ERROR_TENSOR_SHAPE naming the tensor, its file and dtype. */
OXP_API const OxpCheckpointTensor *oxp_checkpoint_expect_float_tensor (OxpCheckpoint *self,
                                                                       const char    *name,
                                                                       const gint64  *shape,
                                                                       guint          rank,
                                                                       GError       **error);
/* Sum of the element counts of all tensors. */
OXP_API guint64 oxp_checkpoint_get_n_parameters (OxpCheckpoint *self);

/* Tensor views. */
OXP_API const char   *oxp_checkpoint_tensor_get_name   (const OxpCheckpointTensor *t);
OXP_API OxpDataType   oxp_checkpoint_tensor_get_dtype  (const OxpCheckpointTensor *t);
OXP_API guint         oxp_checkpoint_tensor_get_rank   (const OxpCheckpointTensor *t);
OXP_API const gint64 *oxp_checkpoint_tensor_get_shape  (const OxpCheckpointTensor *t);
OXP_API gsize         oxp_checkpoint_tensor_get_n_elements (const OxpCheckpointTensor *t);
/* The bytes in the memory map (little-endian, row-major; safetensors does not
 * promise alignment, so read elements with memcpy()) and their size. */
OXP_API gconstpointer oxp_checkpoint_tensor_get_data   (const OxpCheckpointTensor *t);
OXP_API gsize         oxp_checkpoint_tensor_get_size   (const OxpCheckpointTensor *t);
/* The file the tensor lives in. */
OXP_API const char   *oxp_checkpoint_tensor_get_file   (const OxpCheckpointTensor *t);
/* A copy as an OxpTensor (for small tensors: reference vectors, tests). */
OXP_API OxpTensor    *oxp_checkpoint_tensor_to_tensor  (const OxpCheckpointTensor *t);

G_END_DECLS
