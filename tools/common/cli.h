/* What every tool's main() shares: exit codes, diagnostics on stderr, and a
 * checked close of stdout. */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#include "vmfs/error.h"
#include "vmfs/finding.h"

#include <json-c/json.h>
#include <stdio.h>

enum tool_exit {
	EXIT_OK = 0,
	EXIT_NOTHING = 1,   /* differences found (diff) / nothing found (scan) */
	EXIT_ERROR = 2,     /* bad input, I/O error, error findings */
	EXIT_USAGE = 3,     /* bad command line */
};

/* The options every tool shares, for the default case of its option switch:
 * 'h' prints usage() to stdout and returns 0 (2 when stdout fails), 'V' the
 * version; anything else is a mistake getopt already reported: the --help
 * hint on stderr and EXIT_USAGE. */
int cli_common_option(int c, const char *prog, void (*usage)(void));
/* A command-line mistake: "PROG: WHAT 'ARG'" and the --help hint on stderr;
 * returns EXIT_USAGE. */
int cli_usage_error(const char *prog, const char *what, const char *arg);
/* "PROG: PATH: offset 0x1234 (4660): REASON" on stderr. */
void cli_print_error(const char *prog, const vmfs_error *err);
/* One stderr line per error-severity finding, naming path and offset. */
void cli_print_error_findings(const char *prog, const char *path, const vmfs_findings *findings);
/* The message of the first finding with this code (any severity), or NULL. */
const char *cli_finding_message(const vmfs_findings *findings, const char *code);
/* The JSON document of a run that failed before it had a report: tool,
 * version, error {path, offset, status, reason}, written: false,
 * exit_status 2. */
json_object *cli_error_json(const char *prog, const vmfs_error *err);
/* `--undo FILE PATH` of every writing tool: vmfs_apply_undo_file, then one
 * line (or with json one document) on stdout, or the error on stderr (and
 * its JSON document). Returns the exit status. */
int cli_run_undo(const char *prog, const char *undo_file, const char *target, bool force, bool json, bool quiet);
/* Prints the document to stdout (pretty, no slash escaping) and frees it. */
void cli_print_json(json_object *doc);
/* Flushes and closes stdout; returns false (after a message) on failure, so a
 * full disk or a closed pipe is not reported as success. */
bool cli_close_stdout(const char *prog);

#endif
