/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <string.h>

#include "oxp-cli.h"

/* `oxport [--version] [--help] COMMAND [OPTIONS] ARGS`: dispatches to one
 * command; each command parses its own options with GOptionContext. */

typedef struct
{
  const char *name;
  OxpCliCommandFunc func;
  const char *summary;
} Command;

static const Command commands[] = {
  { "plugins", oxp_cli_plugins,
    "List the loaded plugins, their model types and tasks, and rejected files" },
  { "tasks", oxp_cli_tasks, "List the tasks a model type (or a model folder) can be exported for" },
  { "inspect", oxp_cli_inspect,
    "Show what an export of a model folder would write: task, config, inputs and outputs" },
  { "export", oxp_cli_export, "Export a model folder to ONNX and validate it with ONNX Runtime" },
  { "validate", oxp_cli_validate, "Validate an exported model with ONNX Runtime" },
};

static void
print_usage (FILE *out)
{
  fprintf (out, "Usage:\n"
                "  oxport [--version] [--help] COMMAND [OPTION…] ARGS\n"
                "\n"
                "Export Hugging Face checkpoints (config.json + *.safetensors) to ONNX.\n"
                "\n"
                "Commands:\n");
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out,
           "  %-10s %s\n"
           "\n"
           "Options:\n"
           "  -h, --help     Show this help, or a command's with `oxport COMMAND --help`\n"
           "  --version      Show the version of oxport\n"
           "\n"
           "Examples:\n"
           "  oxport plugins\n"
           "  oxport tasks bert\n"
           "  oxport inspect ./my-bert\n"
           "  oxport export --model ./my-bert ./my-bert-onnx\n"
           "  oxport validate ./my-bert-onnx\n"
           "\n"
           "Exit status: 0 success, 1 user error (bad input, unknown model type or task,\n"
           "malformed checkpoint, validation failure), 2 internal error.\n",
           "help", "Show the help of a command");
}

static int
unknown_command (const char *name)
{
  const char *names[G_N_ELEMENTS (commands) + 1];
  const char *best;

  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    names[i] = commands[i].name;
  names[G_N_ELEMENTS (commands)] = "help";
  best = oxp_cli_suggest (name, names, G_N_ELEMENTS (names));
  oxp_cli_error ("Unknown command “%s” (run “oxport --help” for the list)", name);
  if (best != NULL)
    fprintf (stderr, "Did you mean “%s”?\n", best);
  return OXP_CLI_EXIT_USER;
}

static const Command *
find_command (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_strcmp0 (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

int
main (int argc, char **argv)
{
  const Command *command;
  const char *name;
  g_autofree char *prgname = NULL;

  setlocale (LC_ALL, "");
  /* ONNX Runtime 1.30 (loaded for validation) otherwise starts Microsoft's
   * telemetry: /tmp/mat-debug-PID.log, a session file, HTTPS uploads.  An
   * explicit ORT_DISABLE_TELEMETRY from the user wins. */
  g_setenv ("ORT_DISABLE_TELEMETRY", "1", FALSE);

  if (argc < 2)
    {
      print_usage (stderr);
      return OXP_CLI_EXIT_USER;
    }
  name = argv[1];
  if (strcmp (name, "--help") == 0 || strcmp (name, "-h") == 0 || strcmp (name, "-?") == 0)
    {
      print_usage (stdout);
      return OXP_CLI_EXIT_OK;
    }
  if (strcmp (name, "--version") == 0)
    {
      printf ("oxport %s\n", oxp_get_version ());
      return OXP_CLI_EXIT_OK;
    }
  if (strcmp (name, "help") == 0)
    {
      char *help_argv[3];

      if (argc < 3)
        {
          print_usage (stdout);
          return OXP_CLI_EXIT_OK;
        }
      command = find_command (argv[2]);
      if (command == NULL)
        return unknown_command (argv[2]);
      prgname = g_strdup_printf ("oxport %s", command->name);
      g_set_prgname (prgname);
      help_argv[0] = prgname;
      help_argv[1] = (char *)"--help";
      help_argv[2] = NULL;
      return command->func (2, help_argv);
    }
  if (name[0] == '-')
    {
      oxp_cli_error ("Unknown option “%s” before the command (run “oxport --help”)", name);
      return OXP_CLI_EXIT_USER;
    }
  command = find_command (name);
  if (command == NULL)
    return unknown_command (name);

  /* GOptionContext prints "Usage: PRGNAME …": make it "oxport COMMAND". */
  prgname = g_strdup_printf ("oxport %s", command->name);
  g_set_prgname (prgname);
  argv[1] = prgname;
  return command->func (argc - 1, argv + 1);
}
