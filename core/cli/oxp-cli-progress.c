/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "oxp-cli.h"

/* The progress of `export` on a terminal: one line per file that is
 * rewritten in place while the weights are written (bytes of the total,
 * rate, time left) and while each file is validated, then left as a
 * summary of that step.  It goes to stderr, so stdout keeps only the
 * summary (or the JSON document). */

struct _OxpCliProgress
{
  gboolean enabled; /* the live lines */
  gboolean verbose; /* one plain line per step, as before */
  OxpExportStage stage;
  char *detail;
  gint64 step_start; /* µs, monotonic */
  gint64 last_draw;  /* µs */
  guint64 done, total;
  gboolean line_open; /* a line without its newline is on the terminal */
  OxpExportStage last_verbose_stage;
  char *last_verbose_detail;
};

gboolean
oxp_cli_progress_default (gboolean json)
{
  /* Nothing when stdout goes to a file or a pipe: a script reads it. */
  return !json && isatty (STDOUT_FILENO) && isatty (STDERR_FILENO);
}

OxpCliProgress *
oxp_cli_progress_new (gboolean enabled, gboolean verbose)
{
  OxpCliProgress *p = g_new0 (OxpCliProgress, 1);

  p->enabled = enabled;
  p->verbose = verbose;
  p->stage = (OxpExportStage)-1;
  p->last_verbose_stage = (OxpExportStage)-1;
  return p;
}

static char *
format_duration (double seconds)
{
  if (seconds < 60)
    return g_strdup_printf ("%.0f s", MAX (seconds, 0));
  if (seconds < 3600)
    return g_strdup_printf ("%d min %02d s", (int)seconds / 60, (int)seconds % 60);
  return g_strdup_printf ("%d h %02d min", (int)seconds / 3600, ((int)seconds % 3600) / 60);
}

/* Ends the current step's line with what it did. */
static void
close_step (OxpCliProgress *p)
{
  double elapsed;

  if (!p->line_open)
    return;
  elapsed = (g_get_monotonic_time () - p->step_start) / 1e6;
  if (p->stage == OXP_EXPORT_STAGE_WRITE && p->total > 0)
    {
      g_autofree char *size = g_format_size (p->total);
      g_autofree char *rate = g_format_size ((guint64)(p->total / MAX (elapsed, 1e-3)));

      fprintf (stderr, "\r\033[Kwrote %s: %s in %.1f s (%s/s)\n", p->detail, size, elapsed, rate);
    }
  else if (p->stage == OXP_EXPORT_STAGE_VALIDATE)
    fprintf (stderr, "\r\033[Kvalidated %s in %.1f s\n", p->detail, elapsed);
  else
    fprintf (stderr, "\r\033[K");
  fflush (stderr);
  p->line_open = FALSE;
}

static void
draw (OxpCliProgress *p, guint n_files_done, guint n_files)
{
  double elapsed = (g_get_monotonic_time () - p->step_start) / 1e6;

  if (p->stage == OXP_EXPORT_STAGE_WRITE && p->total > 0)
    {
      g_autofree char *done = g_format_size (p->done);
      g_autofree char *total = g_format_size (p->total);
      double rate = elapsed > 0.05 ? p->done / elapsed : 0;
      g_autofree char *rate_text = rate > 0 ? g_format_size ((guint64)rate) : g_strdup ("–");
      g_autofree char *left
          = rate > 0 ? format_duration ((p->total - p->done) / rate) : g_strdup ("–");

      fprintf (stderr, "\r\033[Kwriting %s: %s of %s (%u%%), %s/s, %s left", p->detail, done, total,
               (guint)(100.0 * p->done / p->total), rate_text, left);
    }
  else if (p->stage == OXP_EXPORT_STAGE_VALIDATE)
    fprintf (stderr, "\r\033[Kvalidating %s (file %u of %u) with ONNX Runtime…", p->detail,
             n_files_done + 1, n_files);
  else if (p->stage == OXP_EXPORT_STAGE_BUILD)
    fprintf (stderr, "\r\033[Kbuilding the graph of %s…", p->detail);
  else
    return;
  fflush (stderr);
  p->line_open = TRUE;
  p->last_draw = g_get_monotonic_time ();
}

static const char *
stage_name (OxpExportStage stage)
{
  switch (stage)
    {
    case OXP_EXPORT_STAGE_CHECKPOINT:
      return "opening checkpoint";
    case OXP_EXPORT_STAGE_CONFIG:
      return "task";
    case OXP_EXPORT_STAGE_BUILD:
      return "building graph";
    case OXP_EXPORT_STAGE_WRITE:
      return "writing";
    case OXP_EXPORT_STAGE_COPY:
      return "copying";
    case OXP_EXPORT_STAGE_VALIDATE:
      return "validating";
    default:
      return "?";
    }
}

static void
verbose_line (OxpCliProgress *p, OxpExportStage stage, const char *detail, guint64 total)
{
  /* Writing reports every chunk; print each step once. */
  if (stage == p->last_verbose_stage && g_strcmp0 (detail, p->last_verbose_detail) == 0)
    return;
  p->last_verbose_stage = stage;
  g_free (p->last_verbose_detail);
  p->last_verbose_detail = g_strdup (detail);
  if (stage == OXP_EXPORT_STAGE_WRITE && total > 0)
    {
      g_autofree char *size = g_format_size (total);
      fprintf (stderr, "oxport: %s %s (%s of weights)\n", stage_name (stage), detail, size);
    }
  else
    fprintf (stderr, "oxport: %s %s\n", stage_name (stage), detail != NULL ? detail : "");
}

void
oxp_cli_progress_update (OxpExportStage stage, const char *detail, guint64 done, guint64 total,
                         gpointer user_data)
{
  OxpCliProgress *p = user_data;
  gboolean new_step = stage != p->stage || g_strcmp0 (detail, p->detail) != 0;

  if (!p->enabled)
    {
      if (p->verbose)
        verbose_line (p, stage, detail, total);
      return;
    }
  if (new_step)
    {
      close_step (p);
      p->stage = stage;
      g_free (p->detail);
      p->detail = g_strdup (detail);
      p->step_start = g_get_monotonic_time ();
      p->last_draw = 0;
    }
  if (stage == OXP_EXPORT_STAGE_WRITE)
    {
      p->done = done;
      p->total = total;
    }
  /* Ten redraws a second at most: a terminal is slow, chunks are many. */
  if (new_step || done == total || g_get_monotonic_time () - p->last_draw > 100000)
    draw (p, (guint)done, (guint)total);
}

void
oxp_cli_progress_finish (OxpCliProgress *p)
{
  if (p != NULL && p->enabled)
    close_step (p);
}

void
oxp_cli_progress_free (OxpCliProgress *p)
{
  if (p == NULL)
    return;
  oxp_cli_progress_finish (p);
  g_free (p->detail);
  g_free (p->last_verbose_detail);
  g_free (p);
}
