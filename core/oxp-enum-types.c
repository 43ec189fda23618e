/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The GTypes of liboxport's public enums and flags (the error enums are
 * registered beside their quarks), so that bindings see the values with
 * their nicks and properties can be typed by them.  Each list must name
 * every value of its header's enum: tests/test-introspection.py compares.
 */

#include "config.h"

#include <oxport/oxport.h>

/**
 * oxp_data_type_get_type:
 *
 * The #GEnum type of #OxpDataType, whose values are nicknamed by their
 * lower-case suffix (OXP_DATA_TYPE_BFLOAT16 → "bfloat16").
 *
 * Returns: the #GType, also %OXP_TYPE_DATA_TYPE
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpDataType, oxp_data_type,
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_UNDEFINED, "undefined"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_FLOAT, "float"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_UINT8, "uint8"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_INT8, "int8"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_UINT16, "uint16"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_INT16, "int16"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_INT32, "int32"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_INT64, "int64"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_STRING, "string"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_BOOL, "bool"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_FLOAT16, "float16"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_DOUBLE, "double"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_UINT32, "uint32"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_UINT64, "uint64"),
                    G_DEFINE_ENUM_VALUE (OXP_DATA_TYPE_BFLOAT16, "bfloat16"))
/* clang-format on */

/**
 * oxp_external_data_get_type:
 *
 * The #GEnum type of #OxpExternalData, whose values are nicknamed by their
 * lower-case suffix (OXP_EXTERNAL_DATA_ALWAYS → "always").
 *
 * Returns: the #GType, also %OXP_TYPE_EXTERNAL_DATA
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpExternalData, oxp_external_data,
                    G_DEFINE_ENUM_VALUE (OXP_EXTERNAL_DATA_AUTO, "auto"),
                    G_DEFINE_ENUM_VALUE (OXP_EXTERNAL_DATA_NEVER, "never"),
                    G_DEFINE_ENUM_VALUE (OXP_EXTERNAL_DATA_ALWAYS, "always"))
/* clang-format on */

/**
 * oxp_export_stage_get_type:
 *
 * The #GEnum type of #OxpExportStage, whose values are nicknamed by their
 * lower-case suffix (OXP_EXPORT_STAGE_VALIDATE → "validate").
 *
 * Returns: the #GType, also %OXP_TYPE_EXPORT_STAGE
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpExportStage, oxp_export_stage,
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_STAGE_CHECKPOINT, "checkpoint"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_STAGE_CONFIG, "config"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_STAGE_BUILD, "build"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_STAGE_WRITE, "write"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_STAGE_COPY, "copy"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_STAGE_VALIDATE, "validate"))
/* clang-format on */

/**
 * oxp_export_validation_get_type:
 *
 * The #GEnum type of #OxpExportValidation, whose values are nicknamed by their
 * lower-case suffix (OXP_EXPORT_VALIDATION_FAILED → "failed").
 *
 * Returns: the #GType, also %OXP_TYPE_EXPORT_VALIDATION
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpExportValidation, oxp_export_validation,
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_VALIDATION_NOT_RUN, "not-run"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_VALIDATION_SKIPPED, "skipped"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_VALIDATION_PASSED, "passed"),
                    G_DEFINE_ENUM_VALUE (OXP_EXPORT_VALIDATION_FAILED, "failed"))
/* clang-format on */

/**
 * oxp_validation_check_kind_get_type:
 *
 * The #GEnum type of #OxpValidationCheckKind, whose values are nicknamed by their
 * lower-case suffix (OXP_VALIDATION_CHECK_CHAIN → "chain").
 *
 * Returns: the #GType, also %OXP_TYPE_VALIDATION_CHECK_KIND
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpValidationCheckKind, oxp_validation_check_kind,
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_CHECK_LOAD, "load"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_CHECK_INPUT, "input"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_CHECK_OUTPUT, "output"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_CHECK_RUN, "run"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_CHECK_REFERENCE, "reference"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_CHECK_CACHE, "cache"),
                    G_DEFINE_ENUM_VALUE (OXP_VALIDATION_CHECK_CHAIN, "chain"))
/* clang-format on */

/**
 * oxp_past_direction_get_type:
 *
 * The #GEnum type of #OxpPastDirection, whose values are nicknamed by their
 * lower-case suffix (OXP_PAST_DIRECTION_OUTPUTS → "outputs").
 *
 * Returns: the #GType, also %OXP_TYPE_PAST_DIRECTION
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpPastDirection, oxp_past_direction,
                    G_DEFINE_ENUM_VALUE (OXP_PAST_DIRECTION_INPUTS, "inputs"),
                    G_DEFINE_ENUM_VALUE (OXP_PAST_DIRECTION_OUTPUTS, "outputs"))
/* clang-format on */

/**
 * oxp_sentence_pooling_get_type:
 *
 * The #GEnum type of #OxpSentencePooling, whose values are nicknamed by their
 * lower-case suffix (OXP_SENTENCE_POOLING_MAX → "max").
 *
 * Returns: the #GType, also %OXP_TYPE_SENTENCE_POOLING
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpSentencePooling, oxp_sentence_pooling,
                    G_DEFINE_ENUM_VALUE (OXP_SENTENCE_POOLING_NONE, "none"),
                    G_DEFINE_ENUM_VALUE (OXP_SENTENCE_POOLING_MEAN, "mean"),
                    G_DEFINE_ENUM_VALUE (OXP_SENTENCE_POOLING_CLS, "cls"),
                    G_DEFINE_ENUM_VALUE (OXP_SENTENCE_POOLING_MAX, "max"))
/* clang-format on */

/**
 * oxp_rope_type_get_type:
 *
 * The #GEnum type of #OxpRopeType, whose values are nicknamed by their
 * lower-case suffix (OXP_ROPE_LONGROPE → "longrope").
 *
 * Returns: the #GType, also %OXP_TYPE_ROPE_TYPE
 */
/* clang-format off */
G_DEFINE_ENUM_TYPE (OxpRopeType, oxp_rope_type,
                    G_DEFINE_ENUM_VALUE (OXP_ROPE_DEFAULT, "default"),
                    G_DEFINE_ENUM_VALUE (OXP_ROPE_LINEAR, "linear"),
                    G_DEFINE_ENUM_VALUE (OXP_ROPE_DYNAMIC, "dynamic"),
                    G_DEFINE_ENUM_VALUE (OXP_ROPE_LLAMA3, "llama3"),
                    G_DEFINE_ENUM_VALUE (OXP_ROPE_LONGROPE, "longrope"))
/* clang-format on */

/**
 * oxp_linear_flags_get_type:
 *
 * The #GFlags type of #OxpLinearFlags, whose values are nicknamed by their
 * lower-case suffix (OXP_LINEAR_SHARED_WEIGHT → "shared-weight").
 *
 * Returns: the #GType, also %OXP_TYPE_LINEAR_FLAGS
 */
/* clang-format off */
G_DEFINE_FLAGS_TYPE (OxpLinearFlags, oxp_linear_flags,
                     G_DEFINE_ENUM_VALUE (OXP_LINEAR_DEFAULT, "default"),
                     G_DEFINE_ENUM_VALUE (OXP_LINEAR_NO_BIAS, "no-bias"),
                     G_DEFINE_ENUM_VALUE (OXP_LINEAR_OPTIONAL_BIAS, "optional-bias"),
                     G_DEFINE_ENUM_VALUE (OXP_LINEAR_WEIGHT_IN_OUT, "weight-in-out"),
                     G_DEFINE_ENUM_VALUE (OXP_LINEAR_SHARED_WEIGHT, "shared-weight"))
/* clang-format on */

/**
 * oxp_weight_flags_get_type:
 *
 * The #GFlags type of #OxpWeightFlags, whose values are nicknamed by their
 * lower-case suffix (OXP_WEIGHT_KEEP_DTYPE → "keep-dtype").
 *
 * Returns: the #GType, also %OXP_TYPE_WEIGHT_FLAGS
 */
/* clang-format off */
G_DEFINE_FLAGS_TYPE (OxpWeightFlags, oxp_weight_flags,
                     G_DEFINE_ENUM_VALUE (OXP_WEIGHT_NONE, "none"),
                     G_DEFINE_ENUM_VALUE (OXP_WEIGHT_TRANSPOSE, "transpose"),
                     G_DEFINE_ENUM_VALUE (OXP_WEIGHT_KEEP_DTYPE, "keep-dtype"))
/* clang-format on */

/**
 * oxp_quantize_exclude_get_type:
 *
 * The #GFlags type of #OxpQuantizeExclude, whose values are nicknamed by their
 * lower-case suffix (OXP_QUANTIZE_EXCLUDE_LAST → "last").
 *
 * Returns: the #GType, also %OXP_TYPE_QUANTIZE_EXCLUDE
 */
/* clang-format off */
G_DEFINE_FLAGS_TYPE (OxpQuantizeExclude, oxp_quantize_exclude,
                     G_DEFINE_ENUM_VALUE (OXP_QUANTIZE_EXCLUDE_NONE, "none"),
                     G_DEFINE_ENUM_VALUE (OXP_QUANTIZE_EXCLUDE_LM_HEAD, "lm-head"),
                     G_DEFINE_ENUM_VALUE (OXP_QUANTIZE_EXCLUDE_FIRST, "first"),
                     G_DEFINE_ENUM_VALUE (OXP_QUANTIZE_EXCLUDE_LAST, "last"))
/* clang-format on */
