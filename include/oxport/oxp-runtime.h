/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <oxport/oxp-types.h>
#include <oxport/oxp-tensor.h>
#include <oxport/oxp-tensor-spec.h>

G_BEGIN_DECLS

#define OXP_RUNTIME_ERROR (oxp_runtime_error_quark ())
OXP_API GQuark oxp_runtime_error_quark (void);

/**
 * OxpRuntimeError:
 * @OXP_RUNTIME_ERROR_NOT_FOUND: libonnxruntime.so.1 could not be found or loaded
 * @OXP_RUNTIME_ERROR_VERSION: the library lacks a needed API version
 * @OXP_RUNTIME_ERROR_LOAD: a model could not be loaded (corrupt, unsupported op, …)
 * @OXP_RUNTIME_ERROR_RUN: running a model failed
 * @OXP_RUNTIME_ERROR_INPUT: an input tensor does not fit the model
 *
 * Errors in the %OXP_RUNTIME_ERROR domain, from loading ONNX Runtime or from
 * its C API; messages carry ONNX Runtime's own text.
 */
typedef enum {
  OXP_RUNTIME_ERROR_NOT_FOUND,
  OXP_RUNTIME_ERROR_VERSION,
  OXP_RUNTIME_ERROR_LOAD,
  OXP_RUNTIME_ERROR_RUN,
  OXP_RUNTIME_ERROR_INPUT,
} OxpRuntimeError;

#define OXP_TYPE_RUNTIME_ERROR (oxp_runtime_error_get_type ())
OXP_API GType oxp_runtime_error_get_type (void) G_GNUC_CONST;

/* OxpRuntime: ONNX Runtime loaded at run time (no build-time dependency).
 * OxpRuntimeSession: one loaded model. */
typedef struct _OxpRuntimeSession OxpRuntimeSession;

#define OXP_TYPE_RUNTIME (oxp_runtime_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpRuntime, oxp_runtime, OXP, RUNTIME, GObject)

#define OXP_TYPE_RUNTIME_SESSION (oxp_runtime_session_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpRuntimeSession, oxp_runtime_session, OXP, RUNTIME_SESSION, GObject)

/* Loads @library_path, or when NULL: $OXPORT_ONNXRUNTIME, then
 * libonnxruntime.so.1 on the library search path (a directory names the
 * libonnxruntime.so.1 inside it).  ORT's own logging is dropped unless
 * @verbose, which lets ORT print its warnings and errors to stderr; ORT's
 * environment is process-wide, so the first runtime created decides.
 * Fails with OXP_RUNTIME_ERROR_NOT_FOUND (the message says how to point
 * oxport at the library) or OXP_RUNTIME_ERROR_VERSION (older than 1.5). */
OXP_API OxpRuntime *oxp_runtime_new (const char *library_path,
                                     gboolean    verbose,
                                     GError    **error);
OXP_API const char *oxp_runtime_get_version      (OxpRuntime *self);
OXP_API const char *oxp_runtime_get_library_path (OxpRuntime *self);

OXP_API OxpRuntimeSession *oxp_runtime_open_session (OxpRuntime  *self,
                                                     const char  *model_path,
                                                     GError     **error);

/* The file the session was opened from. */
OXP_API const char *oxp_runtime_session_get_model_path (OxpRuntimeSession *self);

/* The model's inputs and outputs as ORT reports them (symbolic dims keep
 * their names).  (transfer none) (element-type OxpTensorSpec) */
OXP_API GPtrArray *oxp_runtime_session_get_inputs  (OxpRuntimeSession *self);
OXP_API GPtrArray *oxp_runtime_session_get_outputs (OxpRuntimeSession *self);

/* Runs with @inputs (element-type OxpTensor, matched by name) and returns
 * every output in model order. (transfer full) (element-type OxpTensor) */
OXP_API GPtrArray *oxp_runtime_session_run (OxpRuntimeSession *self,
                                            GPtrArray         *inputs,
                                            GError           **error);

G_END_DECLS
