/* vmfs-restore: find VMFS volumes whose partition entry is gone and show the
 * partition table that would bring them back, byte for byte. Dry run: the
 * source is opened O_RDONLY and never written. */
#include "tools/common/cli.h"
#include "tools/common/format.h"
#include "vmfs/plan.h"
#include "vmfs/ptable.h"
#include "vmfs/scan.h"
#include "vmfs/source.h"
#include "vmfs/table_render.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "vmfs-restore";

struct restore_control {
	bool json, quiet, deep, write;
	unsigned sector_size;
	vmfs_plan_options plan;
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] PATH\n"
	       "\n"
	       "Find VMFS volumes whose partition table entry was deleted or lost, and show the\n"
	       "table that brings them back: each volume found, the entry that would hold it,\n"
	       "and the exact bytes that would change. Nothing is written (dry run).\n"
	       "\n"
	       "Options:\n"
	       "  -d, --deep             look at every sector, not only the usual partition starts\n"
	       "  -t, --table gpt|mbr    table type for a disk without a usable table\n"
	       "  -f, --force            with --replace: allow replacing a conflicting partition\n"
	       "  -r, --replace N        the existing partition a volume's entry may replace\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -q, --quiet            diagnostics and exit status only\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 volumes found; 1 none found; 2 error; 3 bad usage.\n"
	       "See vmfs-restore(1).\n", prog);
}

static int usage_error(const char *what, const char *arg)
{
	fprintf(stderr, "%s: %s '%s'\nTry '%s --help' for more information.\n", prog, what, arg, prog);
	return EXIT_USAGE;
}

static void put(json_object *o, const char *key, json_object *value) { json_object_object_add(o, key, value); }

static json_object *hex_json(const uint8_t *data, size_t len)
{
	char *text = malloc(2 * len + 1);
	if (!text)
		return NULL;
	json_object *o = json_object_new_string(fmt_hex(data, len, text, 2 * len + 1));
	free(text);
	return o;
}

static json_object *entry_json(const vmfs_plan *plan, const vmfs_plan_entry *e, const vmfs_scan_hit *hit)
{
	const vmfs_device *dev = e->device;
	char uuid[VMFS_UUID_TEXT_LEN + 1], version[48], safe[600];
	json_object *o = json_object_new_object();
	put(o, "offset", json_object_new_uint64(dev->offset));
	put(o, "header_offset", json_object_new_uint64(hit->header_offset));
	json_object *lvm = json_object_new_object();
	put(lvm, "major", json_object_new_uint64(dev->lvm.major));
	put(lvm, "minor", json_object_new_uint64(dev->lvm.minor));
	put(lvm, "device_uuid", json_object_new_string(vmfs_uuid_format(&dev->lvm.device_uuid, uuid)));
	put(lvm, "lv_uuid", dev->primary ? json_object_new_string(vmfs_uuid_format(&dev->primary->entry.lv_uuid, uuid)) : NULL);
	put(lvm, "total_bytes", json_object_new_uint64(dev->lvm.total_bytes));
	put(lvm, "generation", json_object_new_uint64(dev->lvm.generation));
	put(o, "lvm", lvm);
	if (dev->has_fs) {
		json_object *fs = json_object_new_object();
		put(fs, "version_string", json_object_new_string(vmfs_fs_version_string(&dev->fs, version, sizeof(version))));
		put(fs, "uuid", json_object_new_string(vmfs_uuid_format(&dev->fs.uuid, uuid)));
		put(fs, "label", json_object_new_string(fmt_safe_text(dev->fs.label, safe, sizeof(safe))));
		put(o, "fs", fs);
	} else {
		put(o, "fs", NULL);
	}
	put(o, "state", json_object_new_string(vmfs_plan_state_name(e->state)));
	json_object *part = json_object_new_object();
	put(part, "number", e->number ? json_object_new_uint64(e->number) : NULL);
	put(part, "start", json_object_new_uint64(e->start));
	put(part, "size", json_object_new_uint64(e->size));
	put(part, "end", json_object_new_uint64(e->start + e->size - 1));
	put(part, "type", json_object_new_string(strcmp(plan->label, "gpt") == 0 ? VMFS_GPT_TYPE_VMFS : "fb"));
	put(o, "partition", part);
	put(o, "in_partition_table", json_object_new_boolean(e->state == VMFS_PLAN_PRESENT));
	put(o, "conflicts_with", e->other ? json_object_new_uint64(e->other) : NULL);
	put(o, "reason", json_object_new_string(fmt_safe_text(e->reason, safe, sizeof(safe))));
	return o;
}

/* Lines of 16 bytes where old and new differ, as "offset  old | new". */
static void print_byte_diff(const vmfs_byte_change *c)
{
	size_t shown = 0, differing = 0;
	for (uint32_t i = 0; i < c->length; i++)
		differing += c->old_data[i] != c->new_data[i];
	printf("  %s at 0x%" PRIx64 ", %u bytes: %zu bytes change\n", c->area, c->offset, c->length, differing);
	for (uint32_t line = 0; line < c->length; line += 16) {
		if (memcmp(c->old_data + line, c->new_data + line, 16) == 0)
			continue;
		if (shown++ == 24) {
			printf("    ... (--json lists every byte)\n");
			break;
		}
		char old_hex[64], new_hex[64];
		for (int i = 0; i < 16; i++) {
			snprintf(old_hex + 3 * i, 4, "%02x ", c->old_data[line + i]);
			snprintf(new_hex + 3 * i, 4, "%02x ", c->new_data[line + i]);
		}
		printf("    0x%010" PRIx64 "  old %s\n                  new %s\n", c->offset + line, old_hex, new_hex);
	}
}

static void print_text(vmfs_source *src, const vmfs_ptable *table, const vmfs_scan_result *scan, const vmfs_plan *plan,
		       const vmfs_table_render *render, bool deep)
{
	char size[32], uuid[VMFS_UUID_TEXT_LEN + 1], version[48], safe[600];
	printf("Source: %s (%" PRIu64 " bytes = %s, %u-byte sectors)\n", fmt_safe_text(vmfs_source_path(src), safe, sizeof(safe)),
	       vmfs_source_size(src), fmt_size(vmfs_source_size(src), size, sizeof(size)), plan->sector_size);
	printf("Partition table now: %s, %zu partitions\n", table->label, table->count);
	printf("Scan (%s): %" PRIu64 " candidate offsets, %" PRIu64 " bytes read of %" PRIu64 " bytes of data\n",
	       deep ? "deep, every sector" : "probe, usual starts", scan->candidates, scan->bytes_read, scan->data_bytes);
	printf("\nVolumes found: %zu\n", plan->count);
	for (size_t i = 0; i < plan->count; i++) {
		const vmfs_plan_entry *e = &plan->entries[i];
		const vmfs_device *dev = e->device;
		printf("  at 0x%" PRIx64 " (sector %" PRIu64 "): LVM %" PRIu32 ".%" PRIu32, dev->offset, e->start,
		       dev->lvm.major, dev->lvm.minor);
		if (dev->has_fs)
			printf(", %s \"%s\", FS UUID %s", vmfs_fs_version_string(&dev->fs, version, sizeof(version)),
			       fmt_safe_text(dev->fs.label, safe, sizeof(safe)), vmfs_uuid_format(&dev->fs.uuid, uuid));
		else
			printf(", no file-system descriptor found");
		printf("\n    device UUID %s", vmfs_uuid_format(&dev->lvm.device_uuid, uuid));
		if (dev->primary)
			printf(", LV UUID %s", vmfs_uuid_format(&dev->primary->entry.lv_uuid, uuid));
		printf("\n    partition: sectors %" PRIu64 "..%" PRIu64 " (%s), type %s\n", e->start, e->start + e->size - 1,
		       fmt_size(e->size * plan->sector_size, size, sizeof(size)),
		       strcmp(plan->label, "gpt") == 0 ? VMFS_GPT_TYPE_VMFS : "fb");
		printf("    -> %s", vmfs_plan_state_name(e->state));
		if (e->number && (e->state == VMFS_PLAN_ADD || e->state == VMFS_PLAN_REPLACE || e->state == VMFS_PLAN_PRESENT))
			printf(" as partition %zu", e->number);
		printf("%s%s\n", e->reason[0] ? ": " : "", fmt_safe_text(e->reason, safe, sizeof(safe)));
	}
	printf("\nTable: %s (%s)\n", plan->label, plan->why_label);
	if (plan->blocked) {
		printf("Blocked: a proposed entry conflicts with an existing partition (see above); nothing can be written.\n");
		return;
	}
	if (plan->changes == 0) {
		printf("Nothing to change.\n");
		return;
	}
	printf("\nThe table after the rebuild (sfdisk format):\n%s", render->script ? render->script : "");
	printf("\nBytes that would change (dry run: nothing has been written):\n");
	for (size_t i = 0; i < render->count; i++)
		print_byte_diff(&render->changes[i]);
}

static int run(const struct restore_control *ctl, const char *path)
{
	vmfs_source *src = NULL;
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_ptable table = { 0 };
	static vmfs_scan_result scan;
	static vmfs_plan plan;
	vmfs_table_render render = { 0 };
	int status = EXIT_ERROR;
	vmfs_status st = vmfs_source_open(path, &src, &err);
	if (st == VMFS_OK)
		st = vmfs_ptable_read(src, ctl->sector_size, &table, &err);
	if (st == VMFS_OK) {
		vmfs_source_set_sector_size(src, table.sector_size);
		vmfs_scan_options options = { .deep = ctl->deep };
		st = vmfs_scan(src, &options, &scan, &err);
	}
	if (st == VMFS_OK)
		st = vmfs_plan_make(src, &table, &scan, &ctl->plan, &plan, &err);
	if (st == VMFS_OK && !plan.blocked && plan.changes)
		st = vmfs_table_render_plan(src, &plan, &render, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		goto out;
	}
	status = scan.count ? EXIT_OK : EXIT_NOTHING;
	if (ctl->json) {
		json_object *doc = json_object_new_object();
		json_object *source = json_object_new_object();
		put(source, "path", json_object_new_string(path));
		put(source, "size", json_object_new_uint64(vmfs_source_size(src)));
		put(source, "sector_size", json_object_new_uint64(plan.sector_size));
		put(doc, "tool", json_object_new_string(prog));
		put(doc, "version", json_object_new_string(VMFS_VERSION));
		put(doc, "source", source);
		json_object *current = json_object_new_object();
		put(current, "type", json_object_new_string(table.label));
		put(current, "partitions", json_object_new_uint64(table.count));
		put(doc, "partition_table", current);
		json_object *scan_json = json_object_new_object();
		put(scan_json, "mode", json_object_new_string(ctl->deep ? "deep" : "probe"));
		put(scan_json, "candidates", json_object_new_uint64(scan.candidates));
		put(scan_json, "bytes_read", json_object_new_uint64(scan.bytes_read));
		put(scan_json, "data_bytes", json_object_new_uint64(scan.data_bytes));
		put(doc, "scan", scan_json);
		json_object *volumes = json_object_new_array();
		for (size_t i = 0; i < plan.count; i++)
			json_object_array_add(volumes, entry_json(&plan, &plan.entries[i], &scan.hits[i]));
		put(doc, "volumes", volumes);
		json_object *plan_json = json_object_new_object();
		put(plan_json, "table", json_object_new_string(plan.label));
		put(plan_json, "new_table", json_object_new_boolean(plan.new_label));
		put(plan_json, "why", json_object_new_string(plan.why_label));
		put(plan_json, "changes", json_object_new_uint64(plan.changes));
		put(plan_json, "blocked", json_object_new_boolean(plan.blocked));
		put(plan_json, "script", render.script ? json_object_new_string(render.script) : NULL);
		put(doc, "plan", plan_json);
		json_object *changes = json_object_new_array();
		for (size_t i = 0; i < render.count; i++) {
			json_object *c = json_object_new_object();
			put(c, "area", json_object_new_string(render.changes[i].area));
			put(c, "offset", json_object_new_uint64(render.changes[i].offset));
			put(c, "length", json_object_new_uint64(render.changes[i].length));
			put(c, "old_hex", hex_json(render.changes[i].old_data, render.changes[i].length));
			put(c, "new_hex", hex_json(render.changes[i].new_data, render.changes[i].length));
			json_object_array_add(changes, c);
		}
		put(doc, "changes", changes);
		put(doc, "written", json_object_new_boolean(false));
		put(doc, "exit_status", json_object_new_int(status));
		cli_print_json(doc);
	} else if (!ctl->quiet) {
		print_text(src, &table, &scan, &plan, &render, ctl->deep);
	}
	if (status == EXIT_NOTHING)
		fprintf(stderr, "%s: %s: no VMFS volume found (%s scan)\n", prog, path, ctl->deep ? "deep" : "probe");
out:
	vmfs_table_render_free(&render);
	vmfs_scan_result_free(&scan);
	vmfs_ptable_free(&table);
	vmfs_source_close(src);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "table", required_argument, NULL, 't' },
		{ "write", no_argument, NULL, 'w' },
		{ "force", no_argument, NULL, 'f' },
		{ "replace", required_argument, NULL, 'r' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct restore_control ctl = { 0 };
	uint64_t value;
	int c;
	while ((c = getopt_long(argc, argv, "dt:wfr:b:jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': ctl.deep = true; break;
		case 'w': ctl.write = true; break;
		case 'f': ctl.plan.force = true; break;
		case 'j': ctl.json = true; break;
		case 'q': ctl.quiet = true; break;
		case 't':
			if (strcmp(optarg, "gpt") && strcmp(optarg, "mbr") && strcmp(optarg, "dos"))
				return usage_error("invalid table type (gpt or mbr)", optarg);
			ctl.plan.table = optarg;
			break;
		case 'r':
			if (!parse_size(optarg, &value) || value == 0 || value > VMFS_PTABLE_MAX_PARTS)
				return usage_error("invalid partition number", optarg);
			ctl.plan.replace = (size_t)value;
			break;
		case 'b':
			if (!parse_size(optarg, &value) || (value != 512 && value != 4096))
				return usage_error("invalid sector size (512 or 4096)", optarg);
			ctl.sector_size = (unsigned)value;
			break;
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
	if (optind + 1 != argc)
		return usage_error(optind >= argc ? "missing operand" : "one PATH only, extra operand",
				   optind >= argc ? "PATH" : argv[optind + 1]);
	if (ctl.plan.replace && !ctl.plan.force)
		return usage_error("--replace needs --force; partition", argv[optind]);
	if (ctl.write) {
		/* The write path (undo file, fsync, verify, roll back) is not in this build. */
		fprintf(stderr, "%s: --write is not available yet in this version: nothing was written; "
			"run without --write to see the table that would be written\n", prog);
		return EXIT_USAGE;
	}
	int status = run(&ctl, argv[optind]);
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
