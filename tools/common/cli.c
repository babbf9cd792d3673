#include "tools/common/cli.h"

#include "tools/common/format.h"
#include "vmfs/repair/apply.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

static bool json_requested;

void cli_init(int argc, char **argv, const char *no_arg_flags)
{
	json_requested = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--json") == 0) {
			json_requested = true;
		} else if (a[0] == '-' && a[1] != '-' && a[1] && strchr(a, 'j')) {
			/* -j alone or in a cluster of flags without arguments (-jq). */
			bool flags = true;
			for (const char *p = a + 1; *p; p++)
				flags = flags && strchr(no_arg_flags, *p) != NULL;
			json_requested = json_requested || flags;
		}
	}
}

/* A usage error's document: no path, no offset, code "usage", exit 3. */
static void usage_json(const char *prog, const char *message)
{
	if (!json_requested)
		return;
	json_object *doc = cli_doc_new(prog);
	json_object *errors = json_object_new_array();
	json_object_array_add(errors, cli_error_item_make(NULL, VMFS_NO_OFFSET, "usage", message));
	cli_doc_finish(doc, errors, EXIT_USAGE);
	fflush(stdout);
}

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
		usage_json(prog, "invalid option or missing option argument (see --help)");
		return EXIT_USAGE;
	}
}

int cli_usage_error(const char *prog, const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s '%s'\nTry '%s --help' for more information.\n", prog, what, arg, prog);
	char message[1200], safe[1100];
	snprintf(message, sizeof(message), "%s '%s'", what, fmt_safe_text(arg, safe, sizeof(safe)));
	usage_json(prog, message);
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

json_object *cli_doc_new(const char *prog)
{
	json_object *doc = json_object_new_object();
	json_object_object_add(doc, "tool", json_object_new_string(prog));
	json_object_object_add(doc, "version", json_object_new_string(VMFS_VERSION));
	return doc;
}

void cli_doc_finish(json_object *doc, json_object *errors, int exit_status)
{
	json_object_object_add(doc, "errors", errors ? errors : json_object_new_array());
	json_object_object_add(doc, "exit_status", json_object_new_int(exit_status));
	cli_print_json(doc);
}

static json_object *safe_string(const char *text)
{
	char safe[2300];
	return json_object_new_string(fmt_safe_text(text, safe, sizeof(safe)));
}

json_object *cli_error_item_make(const char *path, uint64_t offset, const char *code, const char *message)
{
	json_object *e = json_object_new_object();
	json_object_object_add(e, "path", path ? safe_string(path) : NULL);
	json_object_object_add(e, "offset", offset == VMFS_NO_OFFSET ? NULL : json_object_new_uint64(offset));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", safe_string(message));
	return e;
}

json_object *cli_error_item(const vmfs_error *err, const char *path_if_none)
{
	return cli_error_item_make(err->path[0] ? err->path : path_if_none, err->offset, vmfs_status_name(err->status),
				   err->reason);
}

void cli_error_items_from_findings(json_object *errors, const char *path, const vmfs_findings *findings)
{
	for (size_t i = 0; i < findings->count; i++)
		if (findings->items[i].severity == VMFS_SEVERITY_ERROR)
			json_object_array_add(errors, cli_error_item_make(path, findings->items[i].offset,
									  findings->items[i].code,
									  findings->items[i].message));
}

json_object *cli_error_json(const char *prog, const vmfs_error *err)
{
	json_object *doc = cli_doc_new(prog);
	json_object *errors = json_object_new_array();
	json_object_array_add(errors, cli_error_item(err, NULL));
	json_object_object_add(doc, "errors", errors);
	json_object_object_add(doc, "written", json_object_new_boolean(false));
	json_object_object_add(doc, "exit_status", json_object_new_int(EXIT_ERROR));
	return doc;
}

void cli_json_put_uuid(json_object *o, const char *key, const vmfs_uuid *uuid, bool null_if_zero)
{
	char name[96], text[VMFS_UUID_TEXT_LEN + 1], when[48], mac[24];
	bool none = null_if_zero && vmfs_uuid_is_zero(uuid);
	uint8_t mac_bytes[6];
	vmfs_uuid_mac(uuid, mac_bytes);
	uint64_t seconds = vmfs_uuid_time(uuid);
	json_object_object_add(o, key, none ? NULL : json_object_new_string(vmfs_uuid_format(uuid, text)));
	snprintf(name, sizeof(name), "%s_time", key);
	fmt_time_s(seconds, when, sizeof(when));
	json_object_object_add(o, name, none || !when[0] || when[0] == '(' ? NULL : json_object_new_string(when));
	snprintf(name, sizeof(name), "%s_time_unix", key);
	json_object_object_add(o, name, none ? NULL : json_object_new_uint64(seconds));
	snprintf(name, sizeof(name), "%s_mac", key);
	json_object_object_add(o, name, none ? NULL : json_object_new_string(fmt_mac(mac_bytes, mac, sizeof(mac))));
}

char *cli_command_line(char *out, size_t len, const char *const *words)
{
	size_t pos = 0;
	if (len)
		out[0] = 0;
	for (size_t i = 0; words[i] && pos < len; i++) {
		char quoted[4400];
		fmt_shell_quote(words[i], quoted, sizeof(quoted));
		pos += (size_t)snprintf(out + pos, len - pos, "%s%s", i ? " " : "", quoted);
	}
	return out;
}

int cli_run_undo(const char *prog, const char *undo_file, const char *target, bool force, bool json, bool quiet)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_undo_report report;
	if (vmfs_apply_undo_file(undo_file, target, force, &report, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		fprintf(stderr, "%s: %s: not restored\n", prog, target);
		if (json) {
			json_object *doc = cli_error_json(prog, &err);
			json_object_object_add(doc, "operation", json_object_new_string("undo"));
			json_object_object_add(doc, "undo_file", json_object_new_string(undo_file));
			json_object_object_add(doc, "target", json_object_new_string(target));
			cli_print_json(doc);
		}
		return EXIT_ERROR;
	}
	if (json) {
		json_object *doc = cli_doc_new(prog);
		json_object_object_add(doc, "operation", json_object_new_string("undo"));
		json_object_object_add(doc, "undo_file", json_object_new_string(undo_file));
		json_object_object_add(doc, "target", json_object_new_string(target));
		json_object_object_add(doc, "regions", json_object_new_uint64(report.regions));
		json_object_object_add(doc, "made_by", json_object_new_string(report.tool));
		json_object_object_add(doc, "description", json_object_new_string(report.description));
		json_object_object_add(doc, "regions_already_old", json_object_new_uint64(report.already_old));
		json_object_object_add(doc, "regions_half_written", json_object_new_uint64(report.mixed));
		json_object_object_add(doc, "written", json_object_new_boolean(true));
		cli_doc_finish(doc, NULL, EXIT_OK);
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
