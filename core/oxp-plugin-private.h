/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* One accepted registration: what optimum's _SUPPORTED_MODEL_TYPE holds for
 * a model type. */
typedef struct
{
  char *model_type;
  GType config_type;        /* G_TYPE_INVALID until the plugin is loaded here */
  char *config_type_name;   /* what the scan saw, checked when it is loaded */
  GPtrArray *tasks;         /* canonical, registration order (element-type utf8) */
  GPtrArray *architectures; /* (element-type utf8) */
  OxpPlugin *plugin;        /* (unowned): the manager keeps its plugins alive */
} OxpModelEntry;

G_GNUC_INTERNAL void _oxp_model_entry_free (OxpModelEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OxpModelEntry, _oxp_model_entry_free)

/* The plugin name a module file stands for: "liboxport-bert-base.so" →
 * "bert_base"; NULL when nothing is left. (transfer full) */
G_GNUC_INTERNAL char *_oxp_plugin_name_from_filename (const char *path);

/* Opens @path, checks its descriptor, runs its init and commits the
 * registrations it made to @manager.  (transfer full) */
G_GNUC_INTERNAL OxpPlugin *_oxp_plugin_load (OxpTasksManager *manager, const char *path,
                                             GError **error);

/* A plugin known from a scan (in the helper process or the cache): its
 * facts only, nothing loaded.  (transfer full) */
G_GNUC_INTERNAL OxpPlugin *_oxp_plugin_new_scanned (const char *path, const char *name,
                                                    const char *description, const char *version,
                                                    const char *license, GPtrArray *type_names);
G_GNUC_INTERNAL void _oxp_plugin_add_model_type (OxpPlugin *plugin, const char *model_type);
/* GTypes the scan saw the module register. (element-type utf8) */
G_GNUC_INTERNAL GPtrArray *_oxp_plugin_get_type_names (OxpPlugin *plugin);
/* Loads a scanned plugin into this process (when one of its config types
 * is first needed) and binds the types its init registers to @manager's
 * entries; refuses a module whose GType names already exist here. */
G_GNUC_INTERNAL gboolean _oxp_plugin_make_resident (OxpPlugin *plugin, OxpTasksManager *manager,
                                                    GError **error);

/* Manager side, used while a plugin registers. */
G_GNUC_INTERNAL OxpModelEntry *_oxp_tasks_manager_lookup (OxpTasksManager *self,
                                                          const char *model_type);
G_GNUC_INTERNAL void _oxp_tasks_manager_add_entry (OxpTasksManager *self, OxpModelEntry *entry);
/* Records a rejection; @error's message already starts with "path: ". */
G_GNUC_INTERNAL void _oxp_tasks_manager_reject (OxpTasksManager *self, const GError *error);

G_END_DECLS
