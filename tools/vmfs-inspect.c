/* vmfs-inspect: decode and report the partition table and every VMFS volume
 * of a disk, partition or image. Read-only: sources are opened O_RDONLY. */
#include "tools/common/cli.h"
#include "tools/common/format.h"
#include "tools/common/report.h"
#include "vmfs/backup.h"
#include "vmfs/disk.h"
#include "vmfs/ident.h"
#include "vmfs/source.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "vmfs-inspect";

struct inspect_control {
	bool json;
	bool quiet;
	bool vml;
	bool strict;
	report_options report;
	vmfs_disk_options disk;
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] PATH...\n"
	       "  %s --vml ID...\n"
	       "\n"
	       "Decode the partition table and every VMFS volume (LVM device header, volume,\n"
	       "device-name and PE tables, file-system descriptor) of a disk, partition or image.\n"
	       "Sources are opened read-only and never written.\n"
	       "\n"
	       "Options:\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -o, --offset OFFSET    a VMFS partition starts OFFSET into PATH (no table is read);\n"
	       "                         bytes, 0x for hex, K/KiB M/MiB G/GiB T/TiB (1024),\n"
	       "                         KB MB GB TB (1000), or sectors with s (2048s)\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096 (default: detect)\n"
	       "  -x, --hex              annotated hex dump of every header field\n"
	       "      --vml              decode the arguments as device identifiers (vml., vmhba,\n"
	       "                         naa., eui., t10., mpx.) instead of reading images\n"
	       "  -p, --max-pe N         PE entries shown per device in text (default 16)\n"
	       "  -q, --quiet            no report, only diagnostics and the exit status\n"
	       "  -s, --strict           exit 2 on warnings too (e.g. a volume missing from the table)\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 VMFS found and consistent; 1 a partition table but no VMFS;\n"
	       "2 error (unreadable, nothing recognisable, or error findings; with --strict\n"
	       "warnings too); 3 bad usage. --json: one document, schema in\n"
	       "share/vmfs/vmfs-tools.schema.json. See vmfs-inspect(1).\n", prog, prog);
}

static int inspect_ident(const struct inspect_control *ctl, const char *text, json_object *list, json_object *errors)
{
	vmfs_ident id;
	vmfs_error err;
	vmfs_error_clear(&err);
	if (vmfs_ident_parse(text, &id, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		if (list) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "input", json_object_new_string(text));
			json_object_object_add(o, "error", json_object_new_string(err.reason));
			json_object_array_add(list, o);
			json_object_array_add(errors, cli_error_item(&err, text));
		}
		return EXIT_ERROR;
	}
	if (list)
		json_object_array_add(list, report_json_ident(text, &id));
	else if (!ctl->quiet)
		report_text_ident(stdout, text, &id);
	return EXIT_OK;
}

/* Inspects one path; returns its exit status and, for --json, its report. */
static int inspect_path(const struct inspect_control *ctl, const char *path, json_object **json_out)
{
	vmfs_source *src = NULL;
	vmfs_error err;
	vmfs_error_clear(&err);
	*json_out = NULL;
	/* A vmfs-backup file reads like the source it was taken from. */
	vmfs_status st = vmfs_backup_is_backup_file(path) ? vmfs_backup_open_source(path, &src, &err)
							   : vmfs_source_open(path, &src, &err);
	if (st == VMFS_OK && ctl->disk.sector_size)
		vmfs_source_set_sector_size(src, ctl->disk.sector_size);
	vmfs_disk disk;
	if (st == VMFS_OK)
		st = vmfs_disk_analyse(src, &ctl->disk, &disk, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		if (ctl->json) {
			json_object *o = cli_doc_new(prog);
			json_object *errors = json_object_new_array();
			json_object_array_add(errors, cli_error_item(&err, path));
			json_object_object_add(o, "source", NULL);
			json_object_object_add(o, "errors", errors);
			json_object_object_add(o, "exit_status", json_object_new_int(EXIT_ERROR));
			*json_out = o;
		}
		vmfs_source_close(src);
		return EXIT_ERROR;
	}

	int status = EXIT_OK;
	size_t warnings = vmfs_findings_count(&disk.findings, VMFS_SEVERITY_WARNING);
	for (size_t i = 0; i < disk.num_devices; i++)
		warnings += vmfs_findings_count(&disk.devices[i]->findings, VMFS_SEVERITY_WARNING);
	if (vmfs_disk_error_count(&disk) > 0 || !disk.recognised)
		status = EXIT_ERROR;
	else if (disk.num_devices == 0)
		status = EXIT_NOTHING;
	else if (ctl->strict && warnings)
		status = EXIT_ERROR;

	if (ctl->json) {
		json_object *o = report_json(src, &disk);
		json_object *errors = json_object_new_array();
		cli_error_items_from_findings(errors, path, &disk.findings);
		for (size_t i = 0; i < disk.num_devices; i++)
			cli_error_items_from_findings(errors, path, &disk.devices[i]->findings);
		if (!disk.recognised && json_object_array_length(errors) == 0)
			json_object_array_add(errors, cli_error_item_make(path, VMFS_NO_OFFSET, "not-recognised",
									  "no partition table and no VMFS structure"));
		if (ctl->strict && warnings && status == EXIT_ERROR && json_object_array_length(errors) == 0) {
			char message[128];
			snprintf(message, sizeof(message), "--strict: %zu warning finding(s)", warnings);
			json_object_array_add(errors, cli_error_item_make(path, VMFS_NO_OFFSET, "strict-warnings", message));
		}
		json_object_object_add(o, "strict", json_object_new_boolean(ctl->strict));
		json_object_object_add(o, "errors", errors);
		json_object_object_add(o, "exit_status", json_object_new_int(status));
		*json_out = o;
	} else if (!ctl->quiet) {
		report_text(stdout, src, &disk, &ctl->report);
	}
	cli_print_error_findings(prog, path, &disk.findings);
	for (size_t i = 0; i < disk.num_devices; i++)
		cli_print_error_findings(prog, path, &disk.devices[i]->findings);
	if (status == EXIT_NOTHING)
		fprintf(stderr, "%s: %s: no VMFS volume found (partition table: %s, %zu partitions)\n", prog, path,
			disk.table.label, disk.table.count);
	if (ctl->strict && warnings && vmfs_disk_error_count(&disk) == 0 && disk.recognised && disk.num_devices)
		fprintf(stderr, "%s: %s: %zu warning(s) and --strict: not consistent\n", prog, path, warnings);
	vmfs_disk_free(&disk);
	vmfs_source_close(src);
	return status;
}

int main(int argc, char **argv)
{
	enum { OPT_VML = 1000 };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "offset", required_argument, NULL, 'o' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "hex", no_argument, NULL, 'x' },
		{ "vml", no_argument, NULL, OPT_VML },
		{ "max-pe", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "strict", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct inspect_control ctl = { .report = { .max_pe = 16 } };
	uint64_t value;
	const char *offset = NULL;
	int c;
	cli_init(argc, argv, "jxqshV");
	while ((c = getopt_long(argc, argv, "jo:b:xp:qshV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': ctl.json = true; break;
		case 'x': ctl.report.hex = true; break;
		case 'q': ctl.quiet = true; break;
		case 's': ctl.strict = true; break;
		case OPT_VML: ctl.vml = true; break;
		case 'o': offset = optarg; break;
		case 'b':
			if (!parse_sector_size(optarg, &ctl.disk.sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			break;
		case 'p':
			if (!parse_size(optarg, &value))
				return cli_usage_error(prog, "invalid PE count", optarg);
			ctl.report.max_pe = (size_t)value;
			break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	/* After the loop: "2048s" counts sectors of --sector-size, wherever it is. */
	if (offset && !parse_offset(offset, ctl.disk.sector_size, &ctl.disk.offset))
		return cli_usage_error(prog, "invalid offset", offset);
	ctl.disk.has_offset = offset != NULL;
	if (optind >= argc)
		return cli_usage_error(prog, "missing operand", ctl.vml ? "ID" : "PATH");

	int status = EXIT_OK;
	int count = argc - optind;
	if (ctl.vml) {
		json_object *list = ctl.json ? json_object_new_array() : NULL;
		json_object *errors = json_object_new_array();
		for (int i = optind; i < argc; i++) {
			int s = inspect_ident(&ctl, argv[i], list, errors);
			status = s > status ? s : status;
			if (!ctl.json && !ctl.quiet && i + 1 < argc)
				putchar('\n');
		}
		if (list) {
			json_object *doc = cli_doc_new(prog);
			json_object_object_add(doc, "identifiers", list);
			cli_doc_finish(doc, errors, status);
		} else {
			json_object_put(errors);
		}
	} else {
		json_object *reports = ctl.json ? json_object_new_array() : NULL;
		json_object *all_errors = json_object_new_array();
		for (int i = optind; i < argc; i++) {
			json_object *report = NULL;
			if (!ctl.json && !ctl.quiet && i > optind)
				putchar('\n');
			int s = inspect_path(&ctl, argv[i], &report);
			status = s > status ? s : status;
			if (report) {
				json_object_object_add(report, "tool", json_object_new_string(prog));
				json_object_object_add(report, "version", json_object_new_string(VMFS_VERSION));
				json_object_array_add(reports, report);
				/* The errors of every report, for the document of several. */
				json_object *errs = json_object_object_get(report, "errors");
				for (size_t k = 0; k < json_object_array_length(errs); k++)
					json_object_array_add(all_errors, json_object_get(json_object_array_get_idx(errs, k)));
			}
		}
		if (reports && count == 1) {
			json_object *only = json_object_get(json_object_array_get_idx(reports, 0));
			json_object_put(reports);
			json_object_put(all_errors);
			cli_print_json(only);
		} else if (reports) {
			json_object *doc = cli_doc_new(prog);
			json_object_object_add(doc, "reports", reports);
			cli_doc_finish(doc, all_errors, status);
		} else {
			json_object_put(all_errors);
		}
	}
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
