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
	       "  -o, --offset BYTES     a VMFS partition starts BYTES into PATH (no table is read);\n"
	       "                         suffixes K M G T, 0x for hex\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096 (default: detect)\n"
	       "  -x, --hex              annotated hex dump of every header field\n"
	       "      --vml              decode the arguments as device identifiers (vml., vmhba,\n"
	       "                         naa., eui., t10., mpx.) instead of reading images\n"
	       "  -p, --max-pe N         PE entries shown per device in text (default 16)\n"
	       "  -q, --quiet            no report, only diagnostics and the exit status\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 VMFS found and consistent; 1 a partition table but no VMFS;\n"
	       "2 error (unreadable, nothing recognisable, or error findings); 3 bad usage.\n"
	       "See vmfs-inspect(1).\n", prog, prog);
}

static int inspect_ident(const struct inspect_control *ctl, const char *text, json_object *list)
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
			json_object *o = json_object_new_object();
			json_object *e = json_object_new_object();
			json_object *errors = json_object_new_array();
			json_object_object_add(e, "path", json_object_new_string(path));
			json_object_object_add(e, "offset", err.offset == VMFS_NO_OFFSET ? NULL : json_object_new_uint64(err.offset));
			json_object_object_add(e, "message", json_object_new_string(err.reason));
			json_object_array_add(errors, e);
			json_object_object_add(o, "source", NULL);
			json_object_object_add(o, "errors", errors);
			json_object_object_add(o, "exit_status", json_object_new_int(EXIT_ERROR));
			*json_out = o;
		}
		vmfs_source_close(src);
		return EXIT_ERROR;
	}

	int status = EXIT_OK;
	if (vmfs_disk_error_count(&disk) > 0 || !disk.recognised)
		status = EXIT_ERROR;
	else if (disk.num_devices == 0)
		status = EXIT_NOTHING;

	if (ctl->json) {
		json_object *o = report_json(src, &disk);
		json_object_object_add(o, "errors", json_object_new_array());
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
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct inspect_control ctl = { .report = { .max_pe = 16 } };
	uint64_t value;
	int c;
	while ((c = getopt_long(argc, argv, "jo:b:xp:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': ctl.json = true; break;
		case 'x': ctl.report.hex = true; break;
		case 'q': ctl.quiet = true; break;
		case OPT_VML: ctl.vml = true; break;
		case 'o':
			if (!parse_size(optarg, &value))
				return cli_usage_error(prog, "invalid offset", optarg);
			ctl.disk.has_offset = true;
			ctl.disk.offset = value;
			break;
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
	if (optind >= argc)
		return cli_usage_error(prog, "missing operand", ctl.vml ? "ID" : "PATH");

	int status = EXIT_OK;
	int count = argc - optind;
	if (ctl.vml) {
		json_object *list = ctl.json ? json_object_new_array() : NULL;
		for (int i = optind; i < argc; i++) {
			int s = inspect_ident(&ctl, argv[i], list);
			status = s > status ? s : status;
			if (!ctl.json && !ctl.quiet && i + 1 < argc)
				putchar('\n');
		}
		if (list) {
			json_object *doc = json_object_new_object();
			json_object_object_add(doc, "tool", json_object_new_string(prog));
			json_object_object_add(doc, "version", json_object_new_string(VMFS_VERSION));
			json_object_object_add(doc, "identifiers", list);
			cli_print_json(doc);
		}
	} else {
		json_object *reports = ctl.json ? json_object_new_array() : NULL;
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
			}
		}
		if (reports && count == 1) {
			json_object *only = json_object_get(json_object_array_get_idx(reports, 0));
			json_object_put(reports);
			cli_print_json(only);
		} else if (reports) {
			json_object *doc = json_object_new_object();
			json_object_object_add(doc, "tool", json_object_new_string(prog));
			json_object_object_add(doc, "version", json_object_new_string(VMFS_VERSION));
			json_object_object_add(doc, "reports", reports);
			cli_print_json(doc);
		}
	}
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
