#include "tools/common/cli.h"

#include "tools/common/format.h"
#include "vmfs/apply.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

int cli_common_option(int c, const char *prog, void (*usage)(void))
{
	switch (c) {
	case 'h':
		usage();
		return cli_close_stdout(prog) ? EXIT_OK : EXIT_ERROR;
	case 'V':
		printf("%s %s\n", prog, VMFS_VERSION);
		return cli_close_stdout(prog) ? EXIT_OK : EXIT_ERROR;
	default:
		fprintf(stderr, "Try '%s --help' for more information.\n", prog);
		return EXIT_USAGE;
	}
}

int cli_usage_error(const char *prog, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s '%s'\nTry '%s --help' for more information.\n", prog, what, arg, prog);
	return EXIT_USAGE;
}

void cli_print_error(const char *prog, const vmfs_error *err)
{
	char line[2048], safe[2300];
	fprintf(stderr, "%s: %s\n", prog, fmt_safe_text(vmfs_error_format(err, line, sizeof(line)), safe, sizeof(safe)));
}

void cli_print_error_findings(const char *prog, const char *path, const vmfs_findings *findings)
{
	char safe_path[1100], safe[700];
	fmt_safe_text(path, safe_path, sizeof(safe_path));
	for (size_t i = 0; i < findings->count; i++) {
		const vmfs_finding *f = &findings->items[i];
		if (f->severity != VMFS_SEVERITY_ERROR)
			continue;
		if (f->offset == VMFS_NO_OFFSET)
			fprintf(stderr, "%s: %s: %s\n", prog, safe_path, fmt_safe_text(f->message, safe, sizeof(safe)));
		else
			fprintf(stderr, "%s: %s: offset 0x%" PRIx64 " (%" PRIu64 "): %s\n", prog, safe_path, f->offset,
				f->offset, fmt_safe_text(f->message, safe, sizeof(safe)));
	}
}

json_object *cli_error_json(const char *prog, const vmfs_error *err)
{
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "tool", json_object_new_string(prog));
	json_object_object_add(doc, "version", json_object_new_string(VMFS_VERSION));
	json_object *e = json_object_new_object();
	json_object_object_add(e, "path", json_object_new_string(err->path));
	json_object_object_add(e, "offset", err->offset == VMFS_NO_OFFSET ? NULL : json_object_new_uint64(err->offset));
	json_object_object_add(e, "status", json_object_new_string(vmfs_status_name(err->status)));
	json_object_object_add(e, "reason", json_object_new_string(err->reason));
	json_object_object_add(doc, "error", e);
	json_object_object_add(doc, "written", json_object_new_boolean(false));
	json_object_object_add(doc, "exit_status", json_object_new_int(EXIT_ERROR));
	return doc;
}

int cli_run_undo(const char *prog, const char *undo_file, const char *target, bool force, bool json, bool quiet)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_undo_report report;
	if (vmfs_apply_undo_file(undo_file, target, force, &report, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		fprintf(stderr, "%s: %s: not restored\n", prog, target);
		if (json)
			cli_print_json(cli_error_json(prog, &err));
		return EXIT_ERROR;
	}
	if (json) {
		json_object *doc = json_object_new_object();
		json_object_object_add(doc, "tool", json_object_new_string(prog));
		json_object_object_add(doc, "version", json_object_new_string(VMFS_VERSION));
		json_object_object_add(doc, "undo_file", json_object_new_string(undo_file));
		json_object_object_add(doc, "target", json_object_new_string(target));
		json_object_object_add(doc, "regions", json_object_new_uint64(report.regions));
		json_object_object_add(doc, "made_by", json_object_new_string(report.tool));
		json_object_object_add(doc, "exit_status", json_object_new_int(EXIT_OK));
		cli_print_json(doc);
	} else if (!quiet) {
		printf("Restored %zu area(s) of %s from %s (%s, %s), synced and verified.\n", report.regions, target,
		       undo_file, report.tool, report.description);
	}
	return EXIT_OK;
}

void cli_print_json(json_object *doc)
{
	fputs(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE), stdout);
	fputc('\n', stdout);
	json_object_put(doc);
}

bool cli_close_stdout(const char *prog)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		fprintf(stderr, "%s: error writing to standard output: %s\n", prog, strerror(errno));
		return false;
	}
	return true;
}

const char *cli_finding_message(const vmfs_findings *findings, const char *code)
{
	for (size_t i = 0; i < findings->count; i++)
		if (strcmp(findings->items[i].code, code) == 0)
			return findings->items[i].message;
	return NULL;
}
