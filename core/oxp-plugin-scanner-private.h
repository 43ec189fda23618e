/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <oxport/oxport.h>

G_BEGIN_DECLS

/* What scanning one module file found, in a form that crosses the pipe
 * from the scanner process and lives in the registry cache: the
 * descriptor, every accepted registration (by GType *name*: the type
 * itself only exists in the process that ran init) and the refusals. */
typedef struct
{
  char *model_type;
  char *config_type_name;
  GPtrArray *tasks;         /* canonical (element-type utf8) */
  GPtrArray *architectures; /* (element-type utf8) */
} OxpScanModel;

typedef struct
{
  char *path;
  guint64 size;
  gint64 mtime_ns;
  /* -1 when the plugin loaded; else an OxpPluginError code and the
   * "path: reason" message. */
  int error_code;
  char *error_message;
  char *name;
  char *description;
  char *version;
  char *license;
  GPtrArray *models;     /* (element-type OxpScanModel) */
  GPtrArray *type_names; /* GTypes the module registered (element-type utf8) */
  GPtrArray *notes;      /* refused registrations (element-type GError) */
  /* Reply only: the scanner's type system is damaged, start a new one. */
  gboolean restart;
} OxpScanResult;

G_GNUC_INTERNAL OxpScanResult *_oxp_scan_result_new (const char *path);
G_GNUC_INTERNAL void _oxp_scan_result_free (OxpScanResult *result);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (OxpScanResult, _oxp_scan_result_free)
G_GNUC_INTERNAL void _oxp_scan_result_set_error (OxpScanResult *result, const GError *error);

/* Stat @path without opening anything but a regular file: a FIFO or a
 * device named like a module must never block or be read. */
G_GNUC_INTERNAL gboolean _oxp_plugin_file_check (const char *path, guint64 *size, gint64 *mtime_ns,
                                                 GError **error);

/* Loads @path into this process with a fresh registry and describes what
 * happened (the scanner's job; also the in-process debugging path).
 * (transfer full) */
G_GNUC_INTERNAL OxpScanResult *_oxp_plugin_scan_here (const char *path);

/* The parent side of the scanner process. */
typedef struct _OxpPluginLoader OxpPluginLoader;
G_GNUC_INTERNAL OxpPluginLoader *_oxp_plugin_loader_new (void);
G_GNUC_INTERNAL void _oxp_plugin_loader_free (OxpPluginLoader *loader);
/* Scans @path in the helper; a crash, an exit or a timeout is a result
 * too.  NULL (with @error) only when no scanner process can be run. */
G_GNUC_INTERNAL OxpScanResult *_oxp_plugin_loader_scan (OxpPluginLoader *loader, const char *path,
                                                        guint64 size, gint64 mtime_ns,
                                                        GError **error);
/* Ends the helper (it is started again on the next scan). */
G_GNUC_INTERNAL void _oxp_plugin_loader_stop (OxpPluginLoader *loader);

/* The registry cache ($XDG_CACHE_HOME/oxport-1.0/registry.cache). */
typedef struct _OxpRegistryCache OxpRegistryCache;
/* NULL when OXPORT_REGISTRY_CACHE=0. */
G_GNUC_INTERNAL OxpRegistryCache *_oxp_registry_cache_open (void);
G_GNUC_INTERNAL void _oxp_registry_cache_free (OxpRegistryCache *cache);
/* (transfer none) (nullable): the result for an unchanged file */
G_GNUC_INTERNAL const OxpScanResult *_oxp_registry_cache_lookup (OxpRegistryCache *cache,
                                                                 const char *path, guint64 size,
                                                                 gint64 mtime_ns);
G_GNUC_INTERNAL void _oxp_registry_cache_take (OxpRegistryCache *cache, OxpScanResult *result);
/* Writes the cache atomically when it changed; best effort. */
G_GNUC_INTERNAL void _oxp_registry_cache_save (OxpRegistryCache *cache);

/* The scanner program's main loop (libexec/oxport-plugin-scanner). */
OXP_API int oxp_plugin_scanner_run (void);

G_END_DECLS
