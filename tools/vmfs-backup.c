/* vmfs-backup: capture everything needed to bring VMFS volumes back (the
 * partition-table areas, LVM metadata, extended metadata, .vh.sf) with the
 * identity of the source, in one verified, compressed file per source.
 * Sources are opened O_RDONLY. */
#include "tools/common/cli.h"
#include "tools/common/format.h"
#include "vmfs/backup.h"
#include "vmfs/backup_select.h"
#include "vmfs/discover.h"
#include "vmfs/ident.h"
#include "vmfs/identity.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog = "vmfs-backup";

struct backup_control {
	bool json, quiet;
	const char *output;     /* -o FILE (one source) */
	const char *dir;        /* --dir DIR (one file per source) */
	const char *verify;     /* --verify FILE */
	unsigned sector_size;   /* --sector-size, 0 = detect */
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] PATH -o FILE\n"
	       "  %s [options] PATH... --dir DIR\n"
	       "  %s --verify FILE\n"
	       "\n"
	       "Save the partition-table areas (MBR, primary and backup GPT), and for every VMFS\n"
	       "volume found (in the table or, without an entry, by the scan) its LVM metadata,\n"
	       "extended metadata and .vh.sf, with the identity of the\n"
	       "source, in a compressed file with CRC32 and SHA-256 per region and for the file.\n"
	       "Sources are opened read-only.\n"
	       "\n"
	       "Options:\n"
	       "  -o, --output FILE      the backup file (never overwritten)\n"
	       "  -D, --dir DIR          one file per source in DIR, named from the source and the time\n"
	       "      --verify FILE      check a backup file's integrity\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096 (default: detect)\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -q, --quiet            diagnostics and exit status only\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 success; 2 error; 3 bad usage. See vmfs-backup(1).\n", prog, prog, prog);
}

/* A short JSON summary of the volumes, for the backup's manifest field. */
static void manifest(const vmfs_disk *disk, char *out, size_t len)
{
	json_object *doc = json_object_new_object();
	json_object *volumes = json_object_new_array();
	char uuid[VMFS_UUID_TEXT_LEN + 1], safe[300], vml[VMFS_VML_MAX_TEXT];
	for (size_t i = 0; i < disk->num_devices; i++) {
		const vmfs_device *dev = disk->devices[i];
		json_object *v = json_object_new_object();
		json_object_object_add(v, "offset", json_object_new_uint64(dev->offset));
		json_object_object_add(v, "state", json_object_new_string(vmfs_found_state_name(disk->found[i].state)));
		if (dev->has_lvm) {
			json_object_object_add(v, "device_uuid", json_object_new_string(vmfs_uuid_format(&dev->lvm.device_uuid, uuid)));
			if (vmfs_vml_from_disk_id(&dev->lvm.disk_id, vml, sizeof(vml), NULL) == VMFS_OK)
				json_object_object_add(v, "vml", json_object_new_string(vml));
		}
		if (dev->primary)
			json_object_object_add(v, "lv_uuid", json_object_new_string(vmfs_uuid_format(&dev->primary->entry.lv_uuid, uuid)));
		if (dev->has_fs) {
			json_object_object_add(v, "fs_uuid", json_object_new_string(vmfs_uuid_format(&dev->fs.uuid, uuid)));
			json_object_object_add(v, "label", json_object_new_string(fmt_safe_text(dev->fs.label, safe, sizeof(safe))));
		}
		json_object_array_add(volumes, v);
	}
	json_object_object_add(doc, "volumes", volumes);
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) < len)
		snprintf(out, len, "%s", text);
	else
		snprintf(out, len, "{\"volumes\":%zu,\"truncated\":true}", disk->num_devices);
	json_object_put(doc);
}

static int backup_one(const struct backup_control *ctl, const char *path, const char *output, json_object *reports)
{
	vmfs_source *src = NULL;
	vmfs_error err;
	vmfs_error_clear(&err);
	static vmfs_discovery d;
	bool have_disk = false;
	static vmfs_backup_selection sel;
	vmfs_backup b;
	memset(&b, 0, sizeof(b));
	uint8_t *buf = NULL;
	int status = EXIT_ERROR;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	/* A backup of a backup file would hold its compressed bytes as if they
	 * were disk sectors: refuse, the file is checked with --verify. */
	vmfs_status st = vmfs_backup_is_backup_file(path)
				 ? vmfs_error_set(&err, VMFS_ERR_UNSUPPORTED, path, 0,
						  "is a vmfs-backup file, not a disk (check it with --verify)")
				 : vmfs_source_open(path, &src, &err);
	/* The discovery every tool uses: the volumes in the table and those
	 * the scan finds without an entry are all saved. */
	vmfs_discover_options options = { .sector_size = ctl->sector_size };
	if (st == VMFS_OK && (st = vmfs_discover(&src, 1, &options, &d, &err)) == VMFS_OK)
		have_disk = true;
	const vmfs_disk *disk_p = have_disk ? &d.disks[0] : NULL;
	size_t outside = 0;
	for (size_t i = 0; have_disk && i < disk_p->num_devices; i++)
		outside += !disk_p->devices[i]->in_partition_table && disk_p->found[i].state != VMFS_FOUND_PRESENT;
	/* A damaged source is backed up as it is (saving it before a repair is
	 * the point), but the damage is said, one line per error. */
	if (have_disk && vmfs_disk_error_count(disk_p) > 0) {
		cli_print_error_findings(prog, path, &disk_p->findings);
		for (size_t i = 0; i < disk_p->num_devices; i++)
			cli_print_error_findings(prog, path, &disk_p->devices[i]->findings);
		fprintf(stderr, "%s: %s: %zu error(s) in its metadata: backed up as it is\n", prog, path,
			vmfs_disk_error_count(disk_p));
	}
	if (st == VMFS_OK)
		st = vmfs_backup_select(src, disk_p, &sel, &err);
	vmfs_identity id;
	static char summary[VMFS_BACKUP_LEN_MANIFEST];
	if (st == VMFS_OK)
		st = vmfs_identity_read(path, NULL, &id, &err);
	if (st == VMFS_OK) {
		manifest(disk_p, summary, sizeof(summary));
		vmfs_backup_source source = {
			.path = path, .size = vmfs_source_size(src), .sector_size = disk_p->table.sector_size,
			.kind = vmfs_source_kind_of(src) == VMFS_SOURCE_BLOCK ? VMFS_BACKUP_SOURCE_BLOCK : VMFS_BACKUP_SOURCE_FILE,
			.host = host, .tool = "vmfs-backup " VMFS_VERSION, .wwid = id.wwid, .serial = id.serial,
			.vendor = id.vendor, .model = id.model, .manifest = summary,
		};
		st = vmfs_backup_init(&b, &source, &err);
	}
	if (st == VMFS_OK) {
		buf = malloc(VMFS_SELECT_MAX_SPAN);
		if (!buf)
			st = vmfs_error_set(&err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	for (size_t i = 0; st == VMFS_OK && i < sel.count; i++) {
		const vmfs_backup_span *s = &sel.spans[i];
		st = vmfs_source_read(src, s->offset, buf, (size_t)s->length, &err);
		if (st == VMFS_OK)
			st = vmfs_backup_add(&b, s->kind, s->device, s->offset, buf, s->length, &err);
	}
	if (st == VMFS_OK)
		st = vmfs_backup_save(output, &b, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		fprintf(stderr, "%s: %s: no backup written\n", prog, path);
		goto out;
	}
	status = EXIT_OK;
	struct stat saved;
	uint64_t file_size = stat(output, &saved) == 0 ? (uint64_t)saved.st_size : 0;
	char sha[65];
	fmt_hex(b.file_sha256, 32, sha, sizeof(sha));
	if (reports) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "source", json_object_new_string(path));
		json_object_object_add(o, "backup", json_object_new_string(output));
		json_object_object_add(o, "regions", json_object_new_uint64(b.count));
		json_object_object_add(o, "bytes", json_object_new_uint64(sel.total));
		json_object_object_add(o, "file_size", json_object_new_uint64(file_size));
		json_object_object_add(o, "sha256", json_object_new_string(sha));
		json_object_object_add(o, "volumes", json_object_new_uint64(disk_p->num_devices));
		json_object_object_add(o, "volumes_not_in_table", json_object_new_uint64(outside));
		json_object *devs = json_object_new_array();
		for (size_t i = 0; i < disk_p->num_devices; i++) {
			json_object *v = json_object_new_object();
			json_object_object_add(v, "offset", json_object_new_uint64(disk_p->devices[i]->offset));
			json_object_object_add(v, "state", json_object_new_string(vmfs_found_state_name(disk_p->found[i].state)));
			json_object_object_add(v, "reason", json_object_new_string(disk_p->found[i].reason));
			json_object_array_add(devs, v);
		}
		json_object_object_add(o, "devices", devs);
		json_object_array_add(reports, o);
	} else if (!ctl->quiet) {
		char size[32];
		printf("%s -> %s: %zu regions, %" PRIu64 " bytes (%s) in a %" PRIu64 "-byte file, %zu VMFS volume(s), sha256 %s\n",
		       path, output, b.count, sel.total, fmt_size(sel.total, size, sizeof(size)), file_size, disk_p->num_devices, sha);
		for (size_t i = 0; i < disk_p->num_devices; i++)
			if (!disk_p->devices[i]->in_partition_table && disk_p->found[i].state != VMFS_FOUND_PRESENT)
				printf("  saved too: VMFS device at 0x%" PRIx64 " (sector %" PRIu64 "), not in the partition table (%s: %s)\n",
				       disk_p->devices[i]->offset, disk_p->devices[i]->offset / disk_p->table.sector_size,
				       vmfs_found_state_name(disk_p->found[i].state), disk_p->found[i].reason);
	}
out:
	free(buf);
	vmfs_backup_free(&b);
	if (have_disk)
		vmfs_discovery_free(&d);
	vmfs_source_close(src);
	return status;
}

static int verify(const struct backup_control *ctl, const char *path)
{
	vmfs_backup b;
	vmfs_error err;
	vmfs_error_clear(&err);
	if (vmfs_backup_load(path, &b, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		return EXIT_ERROR;
	}
	char sha[65];
	fmt_hex(b.file_sha256, 32, sha, sizeof(sha));
	if (ctl->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "tool", json_object_new_string(prog));
		json_object_object_add(o, "backup", json_object_new_string(path));
		json_object_object_add(o, "ok", json_object_new_boolean(true));
		json_object_object_add(o, "source", json_object_new_string(b.source_path));
		json_object_object_add(o, "source_size", json_object_new_uint64(b.source_size));
		json_object_object_add(o, "regions", json_object_new_uint64(b.count));
		json_object_object_add(o, "sha256", json_object_new_string(sha));
		cli_print_json(o);
	} else if (!ctl->quiet) {
		printf("%s: OK: %zu regions of %s (%" PRIu64 " bytes), made by %s on %s, sha256 %s\n", path, b.count,
		       b.source_path, b.source_size, b.tool, b.host, sha);
	}
	vmfs_backup_free(&b);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { OPT_VERIFY = 1000 };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "dir", required_argument, NULL, 'D' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "verify", required_argument, NULL, OPT_VERIFY },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_control ctl = { 0 };
	int c;
	while ((c = getopt_long(argc, argv, "o:D:b:jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!parse_sector_size(optarg, &ctl.sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			break;
		case 'o': ctl.output = optarg; break;
		case 'D': ctl.dir = optarg; break;
		case OPT_VERIFY: ctl.verify = optarg; break;
		case 'j': ctl.json = true; break;
		case 'q': ctl.quiet = true; break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	int status = EXIT_OK;
	if (ctl.verify) {
		if (optind != argc || ctl.output || ctl.dir)
			return cli_usage_error(prog, "--verify takes only the backup file; extra operand", optind < argc ? argv[optind] : "-o/--dir");
		status = verify(&ctl, ctl.verify);
	} else {
		if (optind >= argc)
			return cli_usage_error(prog, "missing operand", "PATH");
		if (!ctl.output == !ctl.dir)
			return cli_usage_error(prog, "give exactly one of -o FILE and --dir DIR", ctl.output ? ctl.output : "(none)");
		if (ctl.output && argc - optind != 1)
			return cli_usage_error(prog, "-o takes one PATH; use --dir for several, extra operand", argv[optind + 1]);
		json_object *reports = ctl.json ? json_object_new_array() : NULL;
		for (int i = optind; i < argc; i++) {
			char name[4096];
			char prefix[4096];
			snprintf(prefix, sizeof(prefix), "%s/", ctl.dir ? ctl.dir : "");
			if (ctl.dir)
				fmt_stamped_name(prefix, argv[i], ".vmfsbak", name, sizeof(name));
			else
				snprintf(name, sizeof(name), "%s", ctl.output);
			int s = backup_one(&ctl, argv[i], name, reports);
			status = s > status ? s : status;
		}
		if (reports) {
			json_object *doc = json_object_new_object();
			json_object_object_add(doc, "tool", json_object_new_string(prog));
			json_object_object_add(doc, "version", json_object_new_string(VMFS_VERSION));
			json_object_object_add(doc, "backups", reports);
			json_object_object_add(doc, "exit_status", json_object_new_int(status));
			cli_print_json(doc);
		}
	}
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
