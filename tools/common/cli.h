/* What every tool's main() shares: exit codes, diagnostics on stderr, and a
 * checked close of stdout. */
#ifndef TOOLS_CLI_H
#define TOOLS_CLI_H

#include "vmfs/core/error.h"
#include "vmfs/core/finding.h"
#include "vmfs/format/vmware_uuid.h"

#include <json-c/json.h>
#include <stdio.h>

enum tool_exit {
	EXIT_OK = 0,
	EXIT_NOTHING = 1,   /* differences found (diff) / nothing found (scan) */
	EXIT_ERROR = 2,     /* bad input, I/O error, error findings */
	EXIT_USAGE = 3,     /* bad command line */
};

/* Called first in main(): notes whether the command line asks for --json
 * (or -j, alone or among the short flags in no_arg_flags), so that even a
 * usage error answers with its JSON document. */
void cli_init(int argc, char **argv, const char *no_arg_flags);

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
/* The JSON envelope every tool's document shares (schema/vmfs-tools.schema.json):
 * cli_doc_new starts it with tool and version; cli_doc_finish adds errors[]
 * (an empty list when errors is NULL) and exit_status, prints and frees it. */
json_object *cli_doc_new(const char *prog);
void cli_doc_finish(json_object *doc, json_object *errors, int exit_status);
/* One errors[] item: path, offset (null when none), code (the status as
 * kebab-case: io, truncated, format, not-found, invalid-argument, no-memory,
 * unsupported), message. path_if_none when err names no path. */
json_object *cli_error_item(const vmfs_error *err, const char *path_if_none);
/* An errors[] item from parts; offset VMFS_NO_OFFSET for null. */
json_object *cli_error_item_make(const char *path, uint64_t offset, const char *code, const char *message);
/* Appends an item for every error-severity finding (code: the finding's). */
void cli_error_items_from_findings(json_object *errors, const char *path, const vmfs_findings *findings);
/* The JSON document of a run that failed before it had a report: the
 * envelope with one error, written: false (when writing says the tool may
 * write), exit_status 2. */
json_object *cli_error_json(const char *prog, const vmfs_error *err);
/* A UUID and what it encodes, as sibling keys of o: KEY (text), KEY_time
 * (ISO 8601 UTC), KEY_time_unix (seconds) and KEY_mac; all null for a zero
 * UUID when null_if_zero, else the text and its decoded parts. */
void cli_json_put_uuid(json_object *o, const char *key, const vmfs_uuid *uuid, bool null_if_zero);
/* One command line for the user to paste, every word shell-quoted:
 * words is NULL-terminated. Returns out. */
char *cli_command_line(char *out, size_t len, const char *const *words);
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
