/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <oxport/oxport.h>

#include <ltdl.h>
#include <stdint.h>
#include <string.h>

/*
 * ONNX Runtime is driven through its C API without its header: the library
 * is opened with libltdl, OrtGetApiBase() gives the table of function
 * pointers, and each slot used here is cast to the prototype it has (slot
 * numbers and prototypes from the project's ABI sheet).  ORT appends slots
 * and never reorders them, so a table requested at version N serves any
 * later runtime.
 */

#define ORT_LIBRARY_NAME "libonnxruntime.so.1"

/* Highest API version this file was written against, and the lowest whose
 * table holds every slot below (AddSessionConfigEntry arrived in 5). */
#define ORT_API_VERSION_MAX 30
#define ORT_API_VERSION_MIN 5

/* Opaque ORT handles. */
typedef struct _OxpOrtStatus OxpOrtStatus;
typedef struct _OxpOrtEnv OxpOrtEnv;
typedef struct _OxpOrtSession OxpOrtSession;
typedef struct _OxpOrtSessionOptions OxpOrtSessionOptions;
typedef struct _OxpOrtRunOptions OxpOrtRunOptions;
typedef struct _OxpOrtValue OxpOrtValue;
typedef struct _OxpOrtTypeInfo OxpOrtTypeInfo;
typedef struct _OxpOrtTensorInfo OxpOrtTensorInfo;
typedef struct _OxpOrtMemoryInfo OxpOrtMemoryInfo;
typedef struct _OxpOrtAllocator OxpOrtAllocator;

typedef void (*OxpOrtFn) (void);
typedef void (*OxpOrtLoggingFn) (void *param, int severity, const char *category, const char *logid,
                                 const char *code_location, const char *message);

typedef struct
{
  const OxpOrtFn *(*get_api) (uint32_t version);
  const char *(*get_version_string) (void);
} OxpOrtApiBase;

enum
{
  ORT_LOGGING_LEVEL_WARNING = 2,
  ORT_LOGGING_LEVEL_ERROR = 3,
  ORT_LOGGING_LEVEL_FATAL = 4,
};

enum
{
  ONNX_TYPE_TENSOR = 1,
};

enum
{
  ORT_EXECUTION_SEQUENTIAL = 0,
};

enum
{
  ORT_DEVICE_ALLOCATOR = 0,
  ORT_MEM_TYPE_DEFAULT = 0,
};

/* ORT's element-type enum equals ONNX's TensorProto.DataType for 1..23; for
 * 24..26 the two disagree (ORT: UINT2, INT2, FLOAT8E8M0). */
enum
{
  ORT_ELEMENT_UINT2 = 24,
  ORT_ELEMENT_INT2 = 25,
  ORT_ELEMENT_FLOAT8E8M0 = 26,
  ONNX_ELEMENT_FLOAT8E8M0 = 24,
  ONNX_ELEMENT_UINT2 = 25,
  ONNX_ELEMENT_INT2 = 26,
};

/* The slots used, each with its prototype. */
typedef struct
{
  int (*GetErrorCode) (const OxpOrtStatus *status);
  const char *(*GetErrorMessage) (const OxpOrtStatus *status);
  void (*ReleaseStatus) (OxpOrtStatus *status);

  OxpOrtStatus *(*CreateEnv) (int log_level, const char *logid, OxpOrtEnv **out);
  OxpOrtStatus *(*CreateEnvWithCustomLogger) (OxpOrtLoggingFn fn, void *param, int log_level,
                                              const char *logid, OxpOrtEnv **out);
  void (*ReleaseEnv) (OxpOrtEnv *env);
  OxpOrtStatus *(*DisableTelemetryEvents) (const OxpOrtEnv *env);

  OxpOrtStatus *(*CreateSessionOptions) (OxpOrtSessionOptions **out);
  OxpOrtStatus *(*SetSessionExecutionMode) (OxpOrtSessionOptions *so, int mode);
  OxpOrtStatus *(*SetSessionLogSeverityLevel) (OxpOrtSessionOptions *so, int level);
  OxpOrtStatus *(*SetIntraOpNumThreads) (OxpOrtSessionOptions *so, int n);
  OxpOrtStatus *(*SetInterOpNumThreads) (OxpOrtSessionOptions *so, int n);
  OxpOrtStatus *(*AddSessionConfigEntry) (OxpOrtSessionOptions *so, const char *key,
                                          const char *value);
  void (*ReleaseSessionOptions) (OxpOrtSessionOptions *so);

  OxpOrtStatus *(*CreateSession) (const OxpOrtEnv *env, const char *model_path,
                                  const OxpOrtSessionOptions *so, OxpOrtSession **out);
  OxpOrtStatus *(*Run) (OxpOrtSession *session, const OxpOrtRunOptions *run_options,
                        const char *const *input_names, const OxpOrtValue *const *inputs,
                        size_t n_inputs, const char *const *output_names, size_t n_outputs,
                        OxpOrtValue **outputs);
  OxpOrtStatus *(*SessionGetInputCount) (const OxpOrtSession *session, size_t *out);
  OxpOrtStatus *(*SessionGetOutputCount) (const OxpOrtSession *session, size_t *out);
  OxpOrtStatus *(*SessionGetInputTypeInfo) (const OxpOrtSession *session, size_t index,
                                            OxpOrtTypeInfo **out);
  OxpOrtStatus *(*SessionGetOutputTypeInfo) (const OxpOrtSession *session, size_t index,
                                             OxpOrtTypeInfo **out);
  OxpOrtStatus *(*SessionGetInputName) (const OxpOrtSession *session, size_t index,
                                        OxpOrtAllocator *allocator, char **out);
  OxpOrtStatus *(*SessionGetOutputName) (const OxpOrtSession *session, size_t index,
                                         OxpOrtAllocator *allocator, char **out);
  void (*ReleaseSession) (OxpOrtSession *session);

  OxpOrtStatus *(*CreateTensorWithDataAsOrtValue) (const OxpOrtMemoryInfo *info, void *data,
                                                   size_t data_bytes, const int64_t *shape,
                                                   size_t rank, int element_type,
                                                   OxpOrtValue **out);
  OxpOrtStatus *(*GetTensorMutableData) (OxpOrtValue *value, void **out);
  OxpOrtStatus *(*GetTensorTypeAndShape) (const OxpOrtValue *value, OxpOrtTensorInfo **out);
  OxpOrtStatus *(*GetValueType) (const OxpOrtValue *value, int *out);
  void (*ReleaseValue) (OxpOrtValue *value);

  OxpOrtStatus *(*CastTypeInfoToTensorInfo) (const OxpOrtTypeInfo *type_info,
                                             const OxpOrtTensorInfo **out);
  OxpOrtStatus *(*GetOnnxTypeFromTypeInfo) (const OxpOrtTypeInfo *type_info, int *out);
  OxpOrtStatus *(*GetTensorElementType) (const OxpOrtTensorInfo *info, int *out);
  OxpOrtStatus *(*GetDimensionsCount) (const OxpOrtTensorInfo *info, size_t *out);
  OxpOrtStatus *(*GetDimensions) (const OxpOrtTensorInfo *info, int64_t *dims, size_t n);
  OxpOrtStatus *(*GetSymbolicDimensions) (const OxpOrtTensorInfo *info, const char **names,
                                          size_t n);
  void (*ReleaseTypeInfo) (OxpOrtTypeInfo *type_info);
  void (*ReleaseTensorTypeAndShapeInfo) (OxpOrtTensorInfo *info);

  OxpOrtStatus *(*CreateCpuMemoryInfo) (int alloc_type, int mem_type, OxpOrtMemoryInfo **out);
  void (*ReleaseMemoryInfo) (OxpOrtMemoryInfo *info);
  OxpOrtStatus *(*AllocatorFree) (OxpOrtAllocator *allocator, void *p);
  OxpOrtStatus *(*GetAllocatorWithDefaultOptions) (OxpOrtAllocator **out);
} OxpOrtApi;

/* Fills @api from the slot table. */
static void
ort_api_bind (OxpOrtApi *api, const OxpOrtFn *slots)
{
#define BIND(member, slot) api->member = (__typeof__ (api->member))slots[slot]
  BIND (GetErrorCode, 1);
  BIND (GetErrorMessage, 2);
  BIND (CreateEnv, 3);
  BIND (CreateEnvWithCustomLogger, 4);
  BIND (DisableTelemetryEvents, 6);
  BIND (CreateSession, 7);
  BIND (Run, 9);
  BIND (CreateSessionOptions, 10);
  BIND (SetSessionExecutionMode, 13);
  BIND (SetSessionLogSeverityLevel, 22);
  BIND (SetIntraOpNumThreads, 24);
  BIND (SetInterOpNumThreads, 25);
  BIND (SessionGetInputCount, 30);
  BIND (SessionGetOutputCount, 31);
  BIND (SessionGetInputTypeInfo, 33);
  BIND (SessionGetOutputTypeInfo, 34);
  BIND (SessionGetInputName, 36);
  BIND (SessionGetOutputName, 37);
  BIND (CreateTensorWithDataAsOrtValue, 49);
  BIND (GetTensorMutableData, 51);
  BIND (CastTypeInfoToTensorInfo, 55);
  BIND (GetOnnxTypeFromTypeInfo, 56);
  BIND (GetTensorElementType, 60);
  BIND (GetDimensionsCount, 61);
  BIND (GetDimensions, 62);
  BIND (GetSymbolicDimensions, 63);
  BIND (GetTensorTypeAndShape, 65);
  BIND (GetValueType, 67);
  BIND (CreateCpuMemoryInfo, 69);
  BIND (AllocatorFree, 76);
  BIND (GetAllocatorWithDefaultOptions, 78);
  BIND (ReleaseEnv, 92);
  BIND (ReleaseStatus, 93);
  BIND (ReleaseMemoryInfo, 94);
  BIND (ReleaseSession, 95);
  BIND (ReleaseValue, 96);
  BIND (ReleaseTypeInfo, 98);
  BIND (ReleaseTensorTypeAndShapeInfo, 99);
  BIND (ReleaseSessionOptions, 100);
  BIND (AddSessionConfigEntry, 130);
#undef BIND
}

/**
 * oxp_runtime_error_quark:
 *
 * The error domain of loading ONNX Runtime and running models in it
 * (#OxpRuntimeError).
 *
 * Returns: the #GQuark of the domain, also %OXP_RUNTIME_ERROR
 */
/* clang-format off */
G_DEFINE_QUARK (oxp-runtime-error-quark, oxp_runtime_error)
G_DEFINE_ENUM_TYPE (OxpRuntimeError, oxp_runtime_error,
                    G_DEFINE_ENUM_VALUE (OXP_RUNTIME_ERROR_NOT_FOUND, "not-found"),
                    G_DEFINE_ENUM_VALUE (OXP_RUNTIME_ERROR_VERSION, "version"),
                    G_DEFINE_ENUM_VALUE (OXP_RUNTIME_ERROR_LOAD, "load"),
                    G_DEFINE_ENUM_VALUE (OXP_RUNTIME_ERROR_RUN, "run"),
                    G_DEFINE_ENUM_VALUE (OXP_RUNTIME_ERROR_INPUT, "input"))
/* clang-format on */

struct _OxpRuntime
{
  GObject parent_instance;

  char *library_path;
  char *version;
  gboolean verbose;
  lt_dlhandle handle; /* borrowed from loaded_libraries */
  OxpOrtApi api;
  OxpOrtEnv *env;
  OxpOrtMemoryInfo *cpu_memory;
  OxpOrtAllocator *allocator;
};

/**
 * OxpRuntime:
 *
 * ONNX Runtime, loaded at run time through its C API with dlopen(): oxport
 * has no build-time dependency on it and needs no ORT header.  The library
 * is found as oxp_runtime_new() says; the validator opens each exported file
 * in it as an #OxpRuntimeSession.
 */
G_DEFINE_FINAL_TYPE (OxpRuntime, oxp_runtime, G_TYPE_OBJECT)

struct _OxpRuntimeSession
{
  GObject parent_instance;

  OxpRuntime *runtime;
  char *model_path;
  OxpOrtSession *session;
  GPtrArray *inputs;  /* OxpTensorSpec */
  GPtrArray *outputs; /* OxpTensorSpec */
};

/**
 * OxpRuntimeSession:
 *
 * One model loaded in an #OxpRuntime (an OrtSession, run on the CPU):
 * its inputs and outputs as ONNX Runtime reports them, and runs with
 * #OxpTensor inputs.  Made by oxp_runtime_open_session().
 */
G_DEFINE_FINAL_TYPE (OxpRuntimeSession, oxp_runtime_session, G_TYPE_OBJECT)

/* Converts a non-NULL @status into @error (prefixed with the printf-style
 * context) and releases it; TRUE when @status is NULL. */
G_GNUC_PRINTF (5, 6)
static gboolean
ort_check (OxpRuntime *self, OxpOrtStatus *status, GError **error, gint code, const char *format,
           ...)
{
  g_autofree char *context = NULL;
  va_list args;

  if (status == NULL)
    return TRUE;

  va_start (args, format);
  context = g_strdup_vprintf (format, args);
  va_end (args);

  g_set_error (error, OXP_RUNTIME_ERROR, code, "%s: ONNX Runtime said: %s (ORT error code %d)",
               context, self->api.GetErrorMessage (status), self->api.GetErrorCode (status));
  self->api.ReleaseStatus (status);
  return FALSE;
}

static void
ort_log_drop (void *param, int severity, const char *category, const char *logid,
              const char *code_location, const char *message)
{
}

static void
oxp_runtime_finalize (GObject *object)
{
  OxpRuntime *self = OXP_RUNTIME (object);

  if (self->cpu_memory != NULL)
    self->api.ReleaseMemoryInfo (self->cpu_memory);
  if (self->env != NULL)
    self->api.ReleaseEnv (self->env);
  g_free (self->library_path);
  g_free (self->version);

  G_OBJECT_CLASS (oxp_runtime_parent_class)->finalize (object);
}

static void
oxp_runtime_class_init (OxpRuntimeClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_runtime_finalize;
}

static void
oxp_runtime_init (OxpRuntime *self)
{
}

#define ORT_HINT                                                                                   \
  "Set OXPORT_ONNXRUNTIME to the path of " ORT_LIBRARY_NAME " (for example "                       \
  "node_modules/onnxruntime-node/bin/napi-v6/linux/x64/" ORT_LIBRARY_NAME                          \
  " after `ONNXRUNTIME_NODE_INSTALL=skip npm install onnxruntime-node`)"

/* Libraries opened so far, by the name they were asked for.  They stay
 * loaded for the life of the process (resident): ORT keeps a helper thread
 * running inside the library after its last environment is released, so
 * unloading it would pull the code from under that thread. */
typedef struct
{
  char *name;
  lt_dlhandle handle;
} LoadedLibrary;

static GMutex loaded_libraries_lock;
static GPtrArray *loaded_libraries;

/* Opens @name (a path, or a file name to look up on the library search
 * path) once per process; NULL with @ltdl_error set when it cannot be. */
static lt_dlhandle
open_library_once (const char *name, char **ltdl_error)
{
  g_autoptr (GMutexLocker) locker = g_mutex_locker_new (&loaded_libraries_lock);
  lt_dladvise advise = NULL;
  lt_dlhandle handle = NULL;
  LoadedLibrary *loaded;

  if (loaded_libraries == NULL)
    {
      if (lt_dlinit () != 0)
        {
          *ltdl_error = g_strdup_printf ("libltdl failed to initialise: %s", lt_dlerror ());
          return NULL;
        }
      loaded_libraries = g_ptr_array_new ();
    }
  for (guint i = 0; i < loaded_libraries->len; i++)
    {
      loaded = g_ptr_array_index (loaded_libraries, i);
      if (g_str_equal (loaded->name, name))
        return loaded->handle;
    }

  /* RTLD_LOCAL: ORT's many C++ symbols must not leak into the process. */
  if (lt_dladvise_init (&advise) == 0 && lt_dladvise_local (&advise) == 0)
    handle = lt_dlopenadvise (name, advise);
  if (handle == NULL)
    {
      const char *message = lt_dlerror ();

      *ltdl_error = g_strdup (message != NULL ? message : "unknown error");
    }
  lt_dladvise_destroy (&advise);
  if (handle == NULL)
    return NULL;

  lt_dlmakeresident (handle);
  loaded = g_new0 (LoadedLibrary, 1);
  loaded->name = g_strdup (name);
  loaded->handle = handle;
  g_ptr_array_add (loaded_libraries, loaded);
  return handle;
}

static gboolean
runtime_open_library (OxpRuntime *self, const char *requested, GError **error)
{
  g_autofree char *path = NULL;
  g_autofree char *ltdl_error = NULL;

  if (requested != NULL && *requested != '\0')
    {
      if (g_file_test (requested, G_FILE_TEST_IS_DIR))
        path = g_build_filename (requested, ORT_LIBRARY_NAME, NULL);
      else
        path = g_strdup (requested);
    }

  self->handle = open_library_once (path != NULL ? path : ORT_LIBRARY_NAME, &ltdl_error);
  if (self->handle == NULL)
    {
      if (path != NULL)
        g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_NOT_FOUND,
                     "ONNX Runtime not found: cannot load %s: %s. " ORT_HINT ".", path, ltdl_error);
      else
        g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_NOT_FOUND,
                     "ONNX Runtime not found: %s is not on the library search path "
                     "and OXPORT_ONNXRUNTIME is not set (%s). " ORT_HINT ".",
                     ORT_LIBRARY_NAME, ltdl_error);
      return FALSE;
    }

  if (path == NULL)
    {
      const lt_dlinfo *info = lt_dlgetinfo (self->handle);

      path = g_strdup (info != NULL && info->filename != NULL ? info->filename : ORT_LIBRARY_NAME);
    }
  self->library_path = g_steal_pointer (&path);
  return TRUE;
}

/* Parses "MAJOR.MINOR[.PATCH…]". */
static gboolean
parse_version (const char *version, guint64 *major, guint64 *minor)
{
  g_auto (GStrv) parts = NULL;

  if (version == NULL)
    return FALSE;
  parts = g_strsplit (version, ".", 3);
  return g_strv_length (parts) >= 2
         && g_ascii_string_to_unsigned (parts[0], 10, 0, G_MAXUINT32, major, NULL)
         && g_ascii_string_to_unsigned (parts[1], 10, 0, G_MAXUINT32, minor, NULL);
}

static gboolean
runtime_bind_api (OxpRuntime *self, GError **error)
{
  const OxpOrtApiBase *(*get_api_base) (void);
  const OxpOrtApiBase *base;
  const OxpOrtFn *slots;
  guint64 major = 0, minor = 0;
  guint32 requested;

  get_api_base = (const OxpOrtApiBase *(*)(void))lt_dlsym (self->handle, "OrtGetApiBase");
  if (get_api_base == NULL || (base = get_api_base ()) == NULL)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_NOT_FOUND,
                   "ONNX Runtime not found: %s does not export OrtGetApiBase, it is not "
                   "ONNX Runtime. " ORT_HINT ".",
                   self->library_path);
      return FALSE;
    }

  self->version = g_strdup (base->get_version_string ());
  if (!parse_version (self->version, &major, &minor))
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_VERSION,
                   "ONNX Runtime at %s reports an unreadable version \"%s\" "
                   "(expected MAJOR.MINOR.PATCH)",
                   self->library_path, self->version != NULL ? self->version : "(null)");
      return FALSE;
    }
  /* For ORT 1.x the minor number is the newest API version served; asking
   * for a newer one makes ORT complain on stderr, so never do. */
  if (major != 1 || minor < ORT_API_VERSION_MIN)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_VERSION,
                   "ONNX Runtime %s at %s is not supported: oxport needs ONNX Runtime 1.%d "
                   "or a later 1.x (C API version %d or newer)",
                   self->version, self->library_path, ORT_API_VERSION_MIN, ORT_API_VERSION_MIN);
      return FALSE;
    }
  requested = (guint32)MIN (minor, (guint64)ORT_API_VERSION_MAX);
  slots = base->get_api (requested);
  if (slots == NULL)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_VERSION,
                   "ONNX Runtime %s at %s refused C API version %u", self->version,
                   self->library_path, requested);
      return FALSE;
    }
  ort_api_bind (&self->api, slots);
  return TRUE;
}

static gboolean
runtime_create_env (OxpRuntime *self, GError **error)
{
  OxpOrtStatus *status;

  if (self->verbose)
    status = self->api.CreateEnv (ORT_LOGGING_LEVEL_WARNING, "oxport", &self->env);
  else
    status = self->api.CreateEnvWithCustomLogger (ort_log_drop, NULL, ORT_LOGGING_LEVEL_FATAL,
                                                  "oxport", &self->env);
  if (!ort_check (self, status, error, OXP_RUNTIME_ERROR_NOT_FOUND,
                  "ONNX Runtime %s at %s: cannot create its environment", self->version,
                  self->library_path))
    return FALSE;

  /* oxport validates local files; ORT's telemetry has no business with
   * them.  This stops the events; ORT's 1DS store itself is only kept off
   * by ORT_DISABLE_TELEMETRY=1 before the library loads, which the oxport
   * program sets (a library must not change its host's environment). */
  if (!ort_check (self, self->api.DisableTelemetryEvents (self->env), error,
                  OXP_RUNTIME_ERROR_NOT_FOUND, "ONNX Runtime %s at %s: cannot disable telemetry",
                  self->version, self->library_path))
    return FALSE;

  if (!ort_check (self,
                  self->api.CreateCpuMemoryInfo (ORT_DEVICE_ALLOCATOR, ORT_MEM_TYPE_DEFAULT,
                                                 &self->cpu_memory),
                  error, OXP_RUNTIME_ERROR_NOT_FOUND, "ONNX Runtime at %s: no CPU memory info",
                  self->library_path))
    return FALSE;

  return ort_check (self, self->api.GetAllocatorWithDefaultOptions (&self->allocator), error,
                    OXP_RUNTIME_ERROR_NOT_FOUND, "ONNX Runtime at %s: no default allocator",
                    self->library_path);
}

/**
 * oxp_runtime_new:
 * @library_path: (nullable): path of libonnxruntime.so.1 (or of its folder)
 * @verbose: let ONNX Runtime print its warnings and errors
 * @error: return location for a #GError
 *
 * Loads ONNX Runtime at run time.  Without @library_path the library is
 * taken from `$OXPORT_ONNXRUNTIME`, else from the library search path.
 *
 * Returns: (transfer full): the runtime, or %NULL with @error set in the
 *   #OXP_RUNTIME_ERROR domain.
 */
OxpRuntime *
oxp_runtime_new (const char *library_path, gboolean verbose, GError **error)
{
  g_autoptr (OxpRuntime) self = NULL;

  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (library_path == NULL || *library_path == '\0')
    library_path = g_getenv ("OXPORT_ONNXRUNTIME");

  self = g_object_new (OXP_TYPE_RUNTIME, NULL);
  self->verbose = verbose;

  if (!runtime_open_library (self, library_path, error) || !runtime_bind_api (self, error)
      || !runtime_create_env (self, error))
    return NULL;

  return g_steal_pointer (&self);
}

/**
 * oxp_runtime_get_version:
 * @self: a #OxpRuntime
 *
 * The version the loaded library reports (the API base's GetVersionString),
 * which the export result and `--json` output record.
 *
 * Returns: ONNX Runtime's version string, e.g. "1.30.0".
 */
const char *
oxp_runtime_get_version (OxpRuntime *self)
{
  g_return_val_if_fail (OXP_IS_RUNTIME (self), NULL);
  return self->version;
}

/**
 * oxp_runtime_get_library_path:
 * @self: a #OxpRuntime
 *
 * The libonnxruntime.so.1 that was loaded, after resolving
 * `OXPORT_ONNXRUNTIME` and the search path: what to check when validation
 * runs against an unexpected runtime.
 *
 * Returns: the file ONNX Runtime was loaded from.
 */
const char *
oxp_runtime_get_library_path (OxpRuntime *self)
{
  g_return_val_if_fail (OXP_IS_RUNTIME (self), NULL);
  return self->library_path;
}

/* ORT element type → ONNX TensorProto.DataType (the OxpDataType numbering). */
static int
element_type_from_ort (int ort_type)
{
  switch (ort_type)
    {
    case ORT_ELEMENT_UINT2:
      return ONNX_ELEMENT_UINT2;
    case ORT_ELEMENT_INT2:
      return ONNX_ELEMENT_INT2;
    case ORT_ELEMENT_FLOAT8E8M0:
      return ONNX_ELEMENT_FLOAT8E8M0;
    default:
      return ort_type;
    }
}

static int
element_type_to_ort (int onnx_type)
{
  switch (onnx_type)
    {
    case ONNX_ELEMENT_UINT2:
      return ORT_ELEMENT_UINT2;
    case ONNX_ELEMENT_INT2:
      return ORT_ELEMENT_INT2;
    case ONNX_ELEMENT_FLOAT8E8M0:
      return ORT_ELEMENT_FLOAT8E8M0;
    default:
      return onnx_type;
    }
}

static const char *
data_type_name (OxpDataType dtype)
{
  const char *name = oxp_data_type_to_string (dtype);

  return name != NULL ? name : "unknown";
}

/* A tensor spec from ORT's description of one model input or output. */
static OxpTensorSpec *
spec_from_type_info (OxpRuntime *rt, const char *model_path, const char *kind, const char *name,
                     const OxpOrtTypeInfo *type_info, GError **error)
{
  const OxpOrtTensorInfo *info = NULL;
  g_autofree int64_t *dims = NULL;
  g_autofree const char **params = NULL;
  OxpTensorSpec *spec;
  int onnx_type = 0, element_type = 0;
  size_t rank = 0;

  if (!ort_check (rt, rt->api.GetOnnxTypeFromTypeInfo (type_info, &onnx_type), error,
                  OXP_RUNTIME_ERROR_LOAD, "%s: %s %s has no type", model_path, kind, name))
    return NULL;
  if (onnx_type != ONNX_TYPE_TENSOR)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_LOAD,
                   "%s: %s %s is not a tensor (ONNX type %d); only tensors are supported",
                   model_path, kind, name, onnx_type);
      return NULL;
    }
  if (!ort_check (rt, rt->api.CastTypeInfoToTensorInfo (type_info, &info), error,
                  OXP_RUNTIME_ERROR_LOAD, "%s: %s %s has no tensor type", model_path, kind, name)
      || !ort_check (rt, rt->api.GetTensorElementType (info, &element_type), error,
                     OXP_RUNTIME_ERROR_LOAD, "%s: %s %s has no element type", model_path, kind,
                     name)
      || !ort_check (rt, rt->api.GetDimensionsCount (info, &rank), error, OXP_RUNTIME_ERROR_LOAD,
                     "%s: %s %s has no rank", model_path, kind, name))
    return NULL;

  dims = g_new0 (int64_t, MAX (rank, 1));
  params = g_new0 (const char *, MAX (rank, 1));
  if (!ort_check (rt, rt->api.GetDimensions (info, dims, rank), error, OXP_RUNTIME_ERROR_LOAD,
                  "%s: %s %s has no dimensions", model_path, kind, name)
      || !ort_check (rt, rt->api.GetSymbolicDimensions (info, params, rank), error,
                     OXP_RUNTIME_ERROR_LOAD, "%s: %s %s has no dimension names", model_path, kind,
                     name))
    return NULL;

  spec = oxp_tensor_spec_new_rank (name, (OxpDataType)element_type_from_ort (element_type),
                                   (guint)rank);
  for (size_t i = 0; i < rank; i++)
    {
      if (dims[i] >= 0)
        oxp_tensor_spec_set_dim_value (spec, (guint)i, dims[i]);
      else if (params[i] != NULL && params[i][0] != '\0')
        oxp_tensor_spec_set_dim_param (spec, (guint)i, params[i]);
    }
  return spec;
}

/* Reads the names and types of the session's inputs (@outputs FALSE) or
 * outputs. */
static GPtrArray *
session_read_specs (OxpRuntimeSession *self, gboolean outputs, GError **error)
{
  OxpRuntime *rt = self->runtime;
  const char *kind = outputs ? "output" : "input";
  g_autoptr (GPtrArray) specs
      = g_ptr_array_new_with_free_func ((GDestroyNotify)oxp_tensor_spec_unref);
  size_t count = 0;

  if (!ort_check (rt,
                  outputs ? rt->api.SessionGetOutputCount (self->session, &count)
                          : rt->api.SessionGetInputCount (self->session, &count),
                  error, OXP_RUNTIME_ERROR_LOAD, "%s: cannot count the model's %ss",
                  self->model_path, kind))
    return NULL;

  for (size_t i = 0; i < count; i++)
    {
      OxpOrtTypeInfo *type_info = NULL;
      char *ort_name = NULL;
      g_autofree char *name = NULL;
      OxpTensorSpec *spec;

      if (!ort_check (
              rt,
              outputs ? rt->api.SessionGetOutputName (self->session, i, rt->allocator, &ort_name)
                      : rt->api.SessionGetInputName (self->session, i, rt->allocator, &ort_name),
              error, OXP_RUNTIME_ERROR_LOAD, "%s: cannot read the name of %s %zu", self->model_path,
              kind, i))
        return NULL;
      name = g_strdup (ort_name);
      /* The name was allocated by ORT's allocator; freeing it cannot fail
       * in a way that matters here. */
      {
        OxpOrtStatus *status = rt->api.AllocatorFree (rt->allocator, ort_name);

        if (status != NULL)
          rt->api.ReleaseStatus (status);
      }

      if (!ort_check (rt,
                      outputs ? rt->api.SessionGetOutputTypeInfo (self->session, i, &type_info)
                              : rt->api.SessionGetInputTypeInfo (self->session, i, &type_info),
                      error, OXP_RUNTIME_ERROR_LOAD, "%s: cannot read the type of %s %s",
                      self->model_path, kind, name))
        return NULL;
      spec = spec_from_type_info (rt, self->model_path, kind, name, type_info, error);
      rt->api.ReleaseTypeInfo (type_info);
      if (spec == NULL)
        return NULL;
      g_ptr_array_add (specs, spec);
    }
  return g_steal_pointer (&specs);
}

static void
oxp_runtime_session_finalize (GObject *object)
{
  OxpRuntimeSession *self = OXP_RUNTIME_SESSION (object);

  if (self->session != NULL)
    self->runtime->api.ReleaseSession (self->session);
  g_clear_pointer (&self->inputs, g_ptr_array_unref);
  g_clear_pointer (&self->outputs, g_ptr_array_unref);
  g_clear_object (&self->runtime);
  g_free (self->model_path);

  G_OBJECT_CLASS (oxp_runtime_session_parent_class)->finalize (object);
}

static void
oxp_runtime_session_class_init (OxpRuntimeSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = oxp_runtime_session_finalize;
}

static void
oxp_runtime_session_init (OxpRuntimeSession *self)
{
}

/* Threads inside one operator: explicit, because ORT's default (its count
 * of physical cores) varies from machine to machine. */
#define ORT_INTRA_OP_THREADS 2

static OxpOrtSessionOptions *
create_session_options (OxpRuntime *rt, const char *model_path, GError **error)
{
  OxpOrtSessionOptions *so = NULL;
  int threads = CLAMP ((int)g_get_num_processors (), 1, ORT_INTRA_OP_THREADS);

  if (!ort_check (rt, rt->api.CreateSessionOptions (&so), error, OXP_RUNTIME_ERROR_LOAD,
                  "%s: cannot create session options", model_path))
    return NULL;

  if (!ort_check (rt, rt->api.SetIntraOpNumThreads (so, threads), error, OXP_RUNTIME_ERROR_LOAD,
                  "%s: cannot set the number of threads", model_path)
      || !ort_check (rt, rt->api.SetInterOpNumThreads (so, 1), error, OXP_RUNTIME_ERROR_LOAD,
                     "%s: cannot set the number of inter-op threads", model_path)
      || !ort_check (rt, rt->api.SetSessionExecutionMode (so, ORT_EXECUTION_SEQUENTIAL), error,
                     OXP_RUNTIME_ERROR_LOAD, "%s: cannot set the execution mode", model_path)
      /* Idle workers would otherwise spin on a CPU after every run. */
      || !ort_check (rt, rt->api.AddSessionConfigEntry (so, "session.intra_op.allow_spinning", "0"),
                     error, OXP_RUNTIME_ERROR_LOAD, "%s: cannot turn thread spinning off",
                     model_path)
      || !ort_check (rt,
                     rt->api.SetSessionLogSeverityLevel (so, rt->verbose ? ORT_LOGGING_LEVEL_WARNING
                                                                         : ORT_LOGGING_LEVEL_FATAL),
                     error, OXP_RUNTIME_ERROR_LOAD, "%s: cannot set the session's log level",
                     model_path))
    {
      rt->api.ReleaseSessionOptions (so);
      return NULL;
    }
  return so;
}

/**
 * oxp_runtime_open_session:
 * @self: a #OxpRuntime
 * @model_path: an ONNX file (external data next to it is found by ORT)
 * @error: return location for a #GError
 *
 * Loads a model on the CPU.
 *
 * Returns: (transfer full): the session, or %NULL with
 *   %OXP_RUNTIME_ERROR_LOAD naming @model_path and what ORT said.
 */
OxpRuntimeSession *
oxp_runtime_open_session (OxpRuntime *self, const char *model_path, GError **error)
{
  g_autoptr (OxpRuntimeSession) session = NULL;
  OxpOrtSessionOptions *so;
  OxpOrtStatus *status;

  g_return_val_if_fail (OXP_IS_RUNTIME (self), NULL);
  g_return_val_if_fail (model_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!g_file_test (model_path, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_LOAD, "%s: no such model file",
                   model_path);
      return NULL;
    }

  so = create_session_options (self, model_path, error);
  if (so == NULL)
    return NULL;

  session = g_object_new (OXP_TYPE_RUNTIME_SESSION, NULL);
  session->runtime = g_object_ref (self);
  session->model_path = g_strdup (model_path);

  status = self->api.CreateSession (self->env, model_path, so, &session->session);
  self->api.ReleaseSessionOptions (so);
  if (!ort_check (self, status, error, OXP_RUNTIME_ERROR_LOAD,
                  "%s: ONNX Runtime cannot load the model", model_path))
    return NULL;

  session->inputs = session_read_specs (session, FALSE, error);
  if (session->inputs == NULL)
    return NULL;
  session->outputs = session_read_specs (session, TRUE, error);
  if (session->outputs == NULL)
    return NULL;

  return g_steal_pointer (&session);
}

/**
 * oxp_runtime_session_get_model_path:
 * @self: a #OxpRuntimeSession
 *
 * The .onnx file the session was opened from.
 *
 * Returns: the file the session was opened from.
 */
const char *
oxp_runtime_session_get_model_path (OxpRuntimeSession *self)
{
  g_return_val_if_fail (OXP_IS_RUNTIME_SESSION (self), NULL);
  return self->model_path;
}

/**
 * oxp_runtime_session_get_inputs:
 * @self: a #OxpRuntimeSession
 *
 * The inputs ONNX Runtime reports for the loaded model, which the validator
 * compares with the config's specs.
 *
 * Returns: (transfer none) (element-type OxpTensorSpec): the model's inputs
 *   in order, as ORT reports them (symbolic dims keep their names).
 */
GPtrArray *
oxp_runtime_session_get_inputs (OxpRuntimeSession *self)
{
  g_return_val_if_fail (OXP_IS_RUNTIME_SESSION (self), NULL);
  return self->inputs;
}

/**
 * oxp_runtime_session_get_outputs:
 * @self: a #OxpRuntimeSession
 *
 * The outputs ONNX Runtime reports for the loaded model, as
 * oxp_runtime_session_get_inputs() does for the inputs.
 *
 * Returns: (transfer none) (element-type OxpTensorSpec): the model's
 *   outputs in order.
 */
GPtrArray *
oxp_runtime_session_get_outputs (OxpRuntimeSession *self)
{
  g_return_val_if_fail (OXP_IS_RUNTIME_SESSION (self), NULL);
  return self->outputs;
}

static OxpTensor *
find_tensor (GPtrArray *tensors, const char *name)
{
  for (guint i = 0; i < tensors->len; i++)
    {
      OxpTensor *tensor = g_ptr_array_index (tensors, i);

      if (g_strcmp0 (oxp_tensor_get_name (tensor), name) == 0)
        return tensor;
    }
  return NULL;
}

static gboolean
find_spec (GPtrArray *specs, const char *name)
{
  for (guint i = 0; i < specs->len; i++)
    if (g_strcmp0 (oxp_tensor_spec_get_name (g_ptr_array_index (specs, i)), name) == 0)
      return TRUE;
  return FALSE;
}

static char *
shape_to_string (const gint64 *shape, guint rank)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < rank; i++)
    g_string_append_printf (s, "%s%" G_GINT64_FORMAT, i > 0 ? "," : "", shape[i]);
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* Checks @tensor against the model's @spec for input @name. */
static gboolean
check_input (OxpRuntimeSession *self, const OxpTensorSpec *spec, const OxpTensor *tensor,
             GError **error)
{
  const char *name = oxp_tensor_spec_get_name (spec);
  OxpDataType want = oxp_tensor_spec_get_dtype (spec);
  OxpDataType have = oxp_tensor_get_dtype (tensor);
  guint rank = oxp_tensor_spec_get_rank (spec);
  const gint64 *shape = oxp_tensor_get_shape (tensor);

  if (want != have)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_INPUT,
                   "%s: input %s is %s, the model expects %s", self->model_path, name,
                   data_type_name (have), data_type_name (want));
      return FALSE;
    }
  if (oxp_data_type_get_size (have) == 0)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_INPUT,
                   "%s: input %s has element type %s, which oxport cannot pass to ONNX Runtime",
                   self->model_path, name, data_type_name (have));
      return FALSE;
    }
  if (oxp_tensor_get_rank (tensor) != rank)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_INPUT,
                   "%s: input %s has rank %u, the model expects rank %u", self->model_path, name,
                   oxp_tensor_get_rank (tensor), rank);
      return FALSE;
    }
  for (guint axis = 0; axis < rank; axis++)
    {
      gint64 fixed = oxp_tensor_spec_get_dim_value (spec, axis);

      if (fixed >= 0 && shape[axis] != fixed)
        {
          g_autofree char *have_shape = shape_to_string (shape, rank);
          g_autofree char *want_dims = oxp_tensor_spec_dims_to_string (spec);

          g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_INPUT,
                       "%s: input %s has shape %s, the model expects [%s] "
                       "(axis %u must be %" G_GINT64_FORMAT ")",
                       self->model_path, name, have_shape, want_dims, axis, fixed);
          return FALSE;
        }
    }
  return TRUE;
}

/* Copies an output value into a new OxpTensor. */
static OxpTensor *
tensor_from_value (OxpRuntimeSession *self, const char *name, OxpOrtValue *value, GError **error)
{
  OxpRuntime *rt = self->runtime;
  OxpOrtTensorInfo *info = NULL;
  g_autofree gint64 *shape = NULL;
  g_autoptr (GBytes) bytes = NULL;
  OxpTensor *tensor;
  void *data = NULL;
  int value_type = 0, element_type = 0;
  OxpDataType dtype;
  size_t rank = 0;
  gsize n_elements = 1, element_size;

  if (!ort_check (rt, rt->api.GetValueType (value, &value_type), error, OXP_RUNTIME_ERROR_RUN,
                  "%s: output %s has no type", self->model_path, name))
    return NULL;
  if (value_type != ONNX_TYPE_TENSOR)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_RUN,
                   "%s: output %s is not a tensor (ONNX type %d)", self->model_path, name,
                   value_type);
      return NULL;
    }
  if (!ort_check (rt, rt->api.GetTensorTypeAndShape (value, &info), error, OXP_RUNTIME_ERROR_RUN,
                  "%s: output %s has no shape", self->model_path, name))
    return NULL;

  if (!ort_check (rt, rt->api.GetTensorElementType (info, &element_type), error,
                  OXP_RUNTIME_ERROR_RUN, "%s: output %s has no element type", self->model_path,
                  name)
      || !ort_check (rt, rt->api.GetDimensionsCount (info, &rank), error, OXP_RUNTIME_ERROR_RUN,
                     "%s: output %s has no rank", self->model_path, name))
    {
      rt->api.ReleaseTensorTypeAndShapeInfo (info);
      return NULL;
    }
  shape = g_new0 (gint64, MAX (rank, 1));
  G_STATIC_ASSERT (sizeof (gint64) == sizeof (int64_t));
  if (!ort_check (rt, rt->api.GetDimensions (info, (int64_t *)shape, rank), error,
                  OXP_RUNTIME_ERROR_RUN, "%s: output %s has no dimensions", self->model_path, name))
    {
      rt->api.ReleaseTensorTypeAndShapeInfo (info);
      return NULL;
    }
  rt->api.ReleaseTensorTypeAndShapeInfo (info);

  dtype = (OxpDataType)element_type_from_ort (element_type);
  element_size = oxp_data_type_get_size (dtype);
  if (element_size == 0)
    {
      g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_RUN,
                   "%s: output %s has element type %s (%d), which oxport cannot read",
                   self->model_path, name, data_type_name (dtype), (int)dtype);
      return NULL;
    }
  for (size_t i = 0; i < rank; i++)
    {
      if (shape[i] < 0 || (shape[i] > 0 && n_elements > G_MAXSIZE / element_size / (gsize)shape[i]))
        {
          g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_RUN,
                       "%s: output %s has an invalid shape", self->model_path, name);
          return NULL;
        }
      n_elements *= (gsize)shape[i];
    }

  if (n_elements > 0
      && !ort_check (rt, rt->api.GetTensorMutableData (value, &data), error, OXP_RUNTIME_ERROR_RUN,
                     "%s: output %s has no data", self->model_path, name))
    return NULL;

  bytes = g_bytes_new (n_elements > 0 ? data : NULL, n_elements * element_size);
  tensor = oxp_tensor_new_from_bytes (name, dtype, shape, (guint)rank, bytes);
  if (tensor == NULL)
    g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_RUN,
                 "%s: output %s could not be copied", self->model_path, name);
  return tensor;
}

/**
 * oxp_runtime_session_run:
 * @self: a #OxpRuntimeSession
 * @inputs: (element-type OxpTensor): one tensor per model input, matched by
 *   name (order does not matter)
 * @error: return location for a #GError
 *
 * Runs the model.  The inputs are handed to ORT without copying.
 *
 * Returns: (transfer full) (element-type OxpTensor): every output in model
 *   order, or %NULL with %OXP_RUNTIME_ERROR_INPUT (an input missing,
 *   unknown or of the wrong type or shape) or %OXP_RUNTIME_ERROR_RUN.
 */
GPtrArray *
oxp_runtime_session_run (OxpRuntimeSession *self, GPtrArray *inputs, GError **error)
{
  OxpRuntime *rt;
  static guint8 empty_buffer[8];
  g_autoptr (GPtrArray) outputs = NULL;
  g_autofree const char **input_names = NULL;
  g_autofree const char **output_names = NULL;
  g_autofree OxpOrtValue **input_values = NULL;
  g_autofree OxpOrtValue **output_values = NULL;
  guint n_inputs, n_outputs;
  gboolean ok = TRUE;
  OxpOrtStatus *status;

  g_return_val_if_fail (OXP_IS_RUNTIME_SESSION (self), NULL);
  g_return_val_if_fail (inputs != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  rt = self->runtime;
  n_inputs = self->inputs->len;
  n_outputs = self->outputs->len;

  for (guint i = 0; i < inputs->len; i++)
    {
      const char *name = oxp_tensor_get_name (g_ptr_array_index (inputs, i));

      if (!find_spec (self->inputs, name))
        {
          g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_INPUT,
                       "%s: the model has no input named %s", self->model_path,
                       name != NULL ? name : "(null)");
          return NULL;
        }
    }

  input_names = g_new0 (const char *, MAX (n_inputs, 1));
  input_values = g_new0 (OxpOrtValue *, MAX (n_inputs, 1));
  for (guint i = 0; i < n_inputs && ok; i++)
    {
      const OxpTensorSpec *spec = g_ptr_array_index (self->inputs, i);
      const char *name = oxp_tensor_spec_get_name (spec);
      OxpTensor *tensor = find_tensor (inputs, name);
      gconstpointer data;
      gsize size;

      if (tensor == NULL)
        {
          g_set_error (error, OXP_RUNTIME_ERROR, OXP_RUNTIME_ERROR_INPUT,
                       "%s: no tensor given for the model's input %s", self->model_path, name);
          ok = FALSE;
          break;
        }
      if (!check_input (self, spec, tensor, error))
        {
          ok = FALSE;
          break;
        }
      input_names[i] = name;
      data = oxp_tensor_get_data (tensor);
      size = oxp_tensor_get_size (tensor);
      /* ORT only reads input buffers; it wants a pointer even for no data. */
      ok = ort_check (rt,
                      rt->api.CreateTensorWithDataAsOrtValue (
                          rt->cpu_memory, size > 0 ? (void *)data : empty_buffer, size,
                          (const int64_t *)oxp_tensor_get_shape (tensor),
                          oxp_tensor_get_rank (tensor),
                          element_type_to_ort (oxp_tensor_get_dtype (tensor)), &input_values[i]),
                      error, OXP_RUNTIME_ERROR_INPUT, "%s: input %s cannot be handed to ORT",
                      self->model_path, name);
    }

  if (ok)
    {
      output_names = g_new0 (const char *, MAX (n_outputs, 1));
      output_values = g_new0 (OxpOrtValue *, MAX (n_outputs, 1));
      for (guint i = 0; i < n_outputs; i++)
        output_names[i] = oxp_tensor_spec_get_name (g_ptr_array_index (self->outputs, i));

      status
          = rt->api.Run (self->session, NULL, input_names, (const OxpOrtValue *const *)input_values,
                         n_inputs, output_names, n_outputs, output_values);
      ok = ort_check (rt, status, error, OXP_RUNTIME_ERROR_RUN, "%s: running the model failed",
                      self->model_path);
    }

  if (ok)
    {
      outputs = g_ptr_array_new_full (n_outputs, (GDestroyNotify)oxp_tensor_unref);
      for (guint i = 0; i < n_outputs && ok; i++)
        {
          OxpTensor *tensor = tensor_from_value (self, output_names[i], output_values[i], error);

          if (tensor == NULL)
            ok = FALSE;
          else
            g_ptr_array_add (outputs, tensor);
        }
    }

  for (guint i = 0; i < n_inputs; i++)
    rt->api.ReleaseValue (input_values[i]);
  if (output_values != NULL)
    for (guint i = 0; i < n_outputs; i++)
      rt->api.ReleaseValue (output_values[i]);

  return ok ? g_steal_pointer (&outputs) : NULL;
}
