/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined(OXP_INSIDE) && !defined(OXP_COMPILATION)
#error "Only <oxport/oxport.h> can be included directly."
#endif

#include <json-glib/json-glib.h>
#include <oxport/oxp-types.h>
#include <oxport/oxp-plugin.h>

G_BEGIN_DECLS

#define OXP_PLUGIN_ERROR (oxp_plugin_error_quark ())
OXP_API GQuark oxp_plugin_error_quark (void);

/**
 * OxpPluginError:
 * @OXP_PLUGIN_ERROR_MODULE: the file could not be loaded as a shared object
 * @OXP_PLUGIN_ERROR_NO_DESCRIPTOR: the module lacks its descriptor symbol
 * @OXP_PLUGIN_ERROR_ABI: the descriptor's ABI version is not supported
 * @OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR: a descriptor field is missing
 * @OXP_PLUGIN_ERROR_INIT: the plugin's init failed
 * @OXP_PLUGIN_ERROR_BAD_TYPE: a registered type is not an OxpOnnxConfig
 * @OXP_PLUGIN_ERROR_DUPLICATE: a model type was already registered
 * @OXP_PLUGIN_ERROR_UNKNOWN_TASK: a task name is not known
 * @OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE: no plugin handles the model type
 * @OXP_PLUGIN_ERROR_UNSUPPORTED_TASK: the model type does not support the task
 * @OXP_PLUGIN_ERROR_CANNOT_INFER_TASK: the task cannot be inferred from config.json
 * @OXP_PLUGIN_ERROR_CRASHED: loading the module killed or ended the scanner
 *   process (a crash in init or in an ELF constructor, abort(), exit())
 * @OXP_PLUGIN_ERROR_TIMEOUT: loading the module did not finish in time
 * @OXP_PLUGIN_ERROR_TYPE_CONFLICT: the module registers a GType name that
 *   another plugin or the core already uses
 *
 * Errors in the %OXP_PLUGIN_ERROR domain.  UNKNOWN_MODEL_TYPE,
 * UNSUPPORTED_TASK and CANNOT_INFER_TASK answer a query the loaded plugins
 * cannot; every other code rejects a plugin while it is loaded (see
 * oxp_tasks_manager_get_rejection_errors()), and the other plugins load on.
 */
typedef enum {
  OXP_PLUGIN_ERROR_MODULE,
  OXP_PLUGIN_ERROR_NO_DESCRIPTOR,
  OXP_PLUGIN_ERROR_ABI,
  OXP_PLUGIN_ERROR_INVALID_DESCRIPTOR,
  OXP_PLUGIN_ERROR_INIT,
  OXP_PLUGIN_ERROR_BAD_TYPE,
  OXP_PLUGIN_ERROR_DUPLICATE,
  OXP_PLUGIN_ERROR_UNKNOWN_TASK,
  OXP_PLUGIN_ERROR_UNKNOWN_MODEL_TYPE,
  OXP_PLUGIN_ERROR_UNSUPPORTED_TASK,
  OXP_PLUGIN_ERROR_CANNOT_INFER_TASK,
  OXP_PLUGIN_ERROR_CRASHED,
  OXP_PLUGIN_ERROR_TIMEOUT,
  OXP_PLUGIN_ERROR_TYPE_CONFLICT,
} OxpPluginError;

#define OXP_TYPE_PLUGIN_ERROR (oxp_plugin_error_get_type ())
OXP_API GType oxp_plugin_error_get_type (void) G_GNUC_CONST;

#define OXP_TYPE_TASKS_MANAGER (oxp_tasks_manager_get_type ())
OXP_API
G_DECLARE_FINAL_TYPE (OxpTasksManager, oxp_tasks_manager, OXP, TASKS_MANAGER, GObject)

/* A registry that has loaded nothing yet. */
OXP_API OxpTasksManager *oxp_tasks_manager_new (void);

/* Scans @extra_dirs, OXPORT_PLUGIN_PATH, then the installed pluginsdir
 * (skipped with OXPORT_PLUGIN_PATH_ONLY or @no_default); each module is
 * first loaded in the oxport-plugin-scanner helper process (see
 * core/oxp-tasks-manager.c).  Files that fail are recorded, never fatal. */
OXP_API gboolean oxp_tasks_manager_load_plugins (OxpTasksManager    *self,
                                                 const char * const *extra_dirs,
                                                 gboolean            no_default,
                                                 GError            **error);
/* Loads one module file.  Returns FALSE with @error (also recorded as a
 * rejection) when the file is rejected; loading a path twice is a no-op. */
OXP_API gboolean oxp_tasks_manager_load_plugin_file (OxpTasksManager *self,
                                                     const char      *path,
                                                     GError         **error);

/* Loaded plugins, in load order. (transfer none) (element-type OxpPlugin) */
OXP_API GPtrArray *oxp_tasks_manager_get_plugins (OxpTasksManager *self);
/* Rejected files and registrations: (element-type utf8) "path: reason". (transfer none) */
OXP_API GPtrArray *oxp_tasks_manager_get_rejections (OxpTasksManager *self);
/* The same rejections as errors in the OXP_PLUGIN_ERROR domain, index for
 * index, so callers can tell the reasons apart. (transfer none) (element-type GError) */
OXP_API GPtrArray *oxp_tasks_manager_get_rejection_errors (OxpTasksManager *self);

/* Registered model types, sorted. (transfer container) (element-type utf8) */
OXP_API GPtrArray *oxp_tasks_manager_list_model_types (OxpTasksManager *self);
/* Canonical tasks a model type supports, "-with-past" forms included, in
 * registration order. (transfer container) (element-type utf8) */
OXP_API GPtrArray *oxp_tasks_manager_get_supported_tasks (OxpTasksManager *self,
                                                          const char      *model_type,
                                                          GError         **error);
/* The plugin that registered @model_type. (transfer none) */
OXP_API OxpPlugin *oxp_tasks_manager_get_plugin_for_model_type (OxpTasksManager *self,
                                                                const char      *model_type);
/* Hugging Face class names registered for @model_type.
 * (transfer container) (element-type utf8) */
OXP_API GPtrArray *oxp_tasks_manager_get_architectures (OxpTasksManager *self,
                                                        const char      *model_type,
                                                        GError         **error);
/* The config type registered for @model_type, or G_TYPE_INVALID (also when
 * its plugin, loaded into this process now if it was not yet, fails to
 * load). */
OXP_API GType oxp_tasks_manager_get_config_type (OxpTasksManager *self,
                                                 const char      *model_type);
/* A new config for (model type, task), loading the plugin that registered
 * the model type into this process first; folds synonyms and "-with-past"
 * ("-with-past" sets the config's "use-past" property).  @model_type may be
 * NULL to take config.json's "model_type". (transfer full) */
OXP_API OxpOnnxConfig *oxp_tasks_manager_create_config (OxpTasksManager *self,
                                                        const char      *model_type,
                                                        const char      *task,
                                                        JsonObject      *config,
                                                        GError         **error);

/* Task names (no registry needed). */
/* Canonical name for @task (synonyms, old names; keeps "-with-past"), or NULL if unknown. */
OXP_API const char *oxp_tasks_manager_canonical_task (const char *task);
/* Whether @task (canonical, maybe "-with-past") is a task name oxport knows;
 * FALSE for synonyms, which oxp_tasks_manager_canonical_task() folds. */
OXP_API gboolean    oxp_tasks_manager_is_known_task  (const char *task);
/* The canonical task names (without "-with-past"), sorted. (transfer none) */
OXP_API const char * const *oxp_tasks_manager_list_known_tasks (void);
/* The synonyms of @task (any spelling), sorted; NULL-terminated, (transfer full). */
OXP_API char **oxp_tasks_manager_dup_task_synonyms (const char *task);
/* Infers the task from config.json's "architectures" (and model type):
 * BertForSequenceClassification → text-classification, *ForCausalLM →
 * text-generation-with-past; "-with-past" when the model type registered it),
 * checked against the tasks and architectures the model type registered.
 * Fails with OXP_PLUGIN_ERROR_CANNOT_INFER_TASK.  (transfer full) */
OXP_API char *oxp_tasks_manager_infer_task (OxpTasksManager *self,
                                            JsonObject      *config,
                                            GError         **error);

G_END_DECLS
