/* vmfs-restore: find VMFS volumes whose partition entry is gone and show the
 * partition table that would bring them back, byte for byte. Dry run: the
 * source is opened O_RDONLY and never written. */
#include "tools/common/cli.h"
#include "tools/common/live.h"
#include "tools/common/format.h"
#include "vmfs/repair/apply.h"
#include "vmfs/backup/backup.h"
#include "vmfs/discover/discover.h"
#include "vmfs/source/identity.h"
#include "vmfs/repair/plan.h"
#include "vmfs/format/ptable.h"
#include "vmfs/source/source.h"
#include "vmfs/source/sysfs.h"
#include "vmfs/repair/table_render.h"
#include "vmfs/repair/export.h"
#include "vmfs/repair/undo.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "vmfs-restore";

struct restore_control {
	bool json, quiet, deep, write;
	unsigned sector_size;
	const char *undo_file;      /* --undo-file: where to save the undo data */
	const char *undo;           /* --undo: restore PATH from this file */
	const char *from_backup;    /* --from-backup: restore regions from a vmfs-backup file */
	const char *only;           /* --only table|lvm|fs */
	const char *export_table;   /* --export-table: save the table's sectors instead of writing them */
	const char *apply_table;    /* --apply-table: write the sectors of an export to PATH */
	vmfs_plan_options plan;
};

/* What a --write did, for the JSON document and the errors[] list. */
struct outcome {
	bool written;
	char undo_path[4096];
	const char *export_path;    /* --export-table: the file saved, else NULL */
	json_object *errors;        /* errors[] items; NULL without --json */
};

static void outcome_error(struct outcome *out, const vmfs_error *err, const char *path)
{
	if (out->errors)
		json_object_array_add(out->errors, cli_error_item(err, path));
}

static void outcome_error_make(struct outcome *out, const char *path, uint64_t offset, const char *code,
			       const char *message)
{
	if (out->errors)
		json_object_array_add(out->errors, cli_error_item_make(path, offset, code, message));
}

/* The fields every --json document of this tool ends with. */
static void outcome_finish(json_object *doc, struct outcome *out, int status)
{
	json_object_object_add(doc, "written", json_object_new_boolean(out->written));
	json_object_object_add(doc, "undo_file", out->written ? json_object_new_string(out->undo_path) : NULL);
	json_object_object_add(doc, "export_file", out->export_path ? json_object_new_string(out->export_path) : NULL);
	cli_doc_finish(doc, out->errors, status);
	out->errors = NULL;
}

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] PATH\n"
	       "\n"
	       "Find VMFS volumes whose partition table entry was deleted or lost, and show the\n"
	       "table that brings them back: each volume found, the entry that would hold it,\n"
	       "and the exact bytes that would change. Nothing is written unless --write.\n"
	       "\n"
	       "Options:\n"
	       "  -d, --deep             look at every sector, not only the usual partition starts\n"
	       "  -t, --table gpt|mbr    table type for a disk without a usable table\n"
	       "  -w, --write            write the table: undo file first (fsynced), then write,\n"
	       "                         fsync, read back, re-read the table and probe the volumes;\n"
	       "                         any failure rolls back from the undo file\n"
	       "  -u, --undo-file FILE   where to save the undo data (default: ./vmfs-restore-NAME-TIME.undo)\n"
	       "      --undo FILE        put back the bytes saved in FILE (refused when PATH is not the\n"
	       "                         target it was made for, unless --force)\n"
	       "      --from-backup FILE put back the regions saved by vmfs-backup (dry run unless --write)\n"
	       "      --only table|lvm|fs  with --from-backup: only the partition-table areas, the LVM\n"
	       "                         metadata, or .vh.sf (file-system descriptor)\n"
	       "      --export-table FILE  save the sectors the table rebuild would write, with their\n"
	       "                         offsets and the bytes they replace, in FILE; PATH is only\n"
	       "                         read (evidence: E01, VMDK, a read-only disk)\n"
	       "      --apply-table FILE show, and with --write apply, the sectors of an export to\n"
	       "                         PATH, a working copy of the exported source (same size,\n"
	       "                         and the replaced bytes must be there unless --force)\n"
	       "  -f, --force            required with --replace; proposes (and with --write writes)\n"
	       "                         a volume whose metadata is damaged or not validated;\n"
	       "                         with --undo: restore even if PATH does not look like the\n"
	       "                         target of FILE; with --from-backup: even if PATH is not\n"
	       "                         the source of the backup (size, sector size, WWID, serial,\n"
	       "                         vendor, model, device UUID)\n"
	       "  -r, --replace N        the existing partition a volume's entry may replace\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -q, --quiet            diagnostics and exit status only\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "A partition given instead of its disk is refused: the table is on the whole disk.\n"
	       "\n"
	       "Exit status: 0 volumes found (and written with --write); 1 none found; 2 error\n"
	       "(nothing written, or rolled back); 3 bad usage. --json: one document, schema in\n"
	       "share/vmfs/vmfs-tools.schema.json.\n"
	       "See vmfs-restore(1).\n", prog);
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

/* Spanned volumes (format reference 4.4): the members of this entry's LV that
 * discovery found here (the others are on their own disks). */
static size_t members_present(const vmfs_discovery *d, const vmfs_device *dev)
{
	for (size_t i = 0; i < d->disks[0].num_devices; i++)
		if (d->disks[0].devices[i] == dev) {
			const vmfs_lv *lv = vmfs_discovery_volume_of(d, 0, i);
			return lv ? lv->present : 1;
		}
	return 1;
}

static json_object *entry_json(const vmfs_plan *plan, const vmfs_plan_entry *e, const vmfs_discovery *d)
{
	const vmfs_device *dev = e->device;
	char version[48], safe[600];
	json_object *o = json_object_new_object();
	put(o, "offset", json_object_new_uint64(dev->offset));
	put(o, "header_offset", json_object_new_uint64(dev->header_offset));
	json_object *lvm = json_object_new_object();
	put(lvm, "major", json_object_new_uint64(dev->lvm.major));
	put(lvm, "minor", json_object_new_uint64(dev->lvm.minor));
	cli_json_put_uuid(lvm, "device_uuid", &dev->lvm.device_uuid, false);
	if (dev->primary)
		cli_json_put_uuid(lvm, "lv_uuid", &dev->primary->entry.lv_uuid, false);
	else
		put(lvm, "lv_uuid", NULL);
	put(lvm, "total_bytes", json_object_new_uint64(dev->lvm.total_bytes));
	put(lvm, "generation", json_object_new_uint64(dev->lvm.generation));
	put(o, "lvm", lvm);
	if (dev->has_fs) {
		json_object *fs = json_object_new_object();
		put(fs, "version_string", json_object_new_string(vmfs_fs_version_string(&dev->fs, version, sizeof(version))));
		cli_json_put_uuid(fs, "uuid", &dev->fs.uuid, false);
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
	uint32_t devs = dev->primary ? dev->primary->entry.num_devs : 1;
	json_object *members = json_object_new_object();
	size_t present = members_present(d, dev);
	put(members, "num_devs", json_object_new_uint64(devs));
	put(members, "present", json_object_new_uint64(present));
	put(members, "missing", json_object_new_uint64(devs > present ? devs - present : 0));
	put(members, "first_pe", dev->primary ? json_object_new_uint64(dev->primary->entry.first_pe) : NULL);
	put(o, "members", members);
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

static void print_text(vmfs_source *src, const vmfs_discovery *d, const vmfs_plan *plan,
		       const vmfs_table_render *render, bool deep, bool write)
{
	char size[32], uuid[VMFS_UUID_TEXT_LEN + 1], version[48], safe[600];
	printf("Source: %s (%" PRIu64 " bytes = %s, %u-byte sectors)\n", fmt_safe_text(vmfs_source_path(src), safe, sizeof(safe)),
	       vmfs_source_size(src), fmt_size(vmfs_source_size(src), size, sizeof(size)), plan->sector_size);
	const vmfs_disk *disk = &d->disks[0];
	printf("Partition table now: %s, %zu partitions\n", disk->table.label, disk->table.count);
	printf("Scan (%s): %" PRIu64 " candidates, %" PRIu64 " bytes read of %" PRIu64 " bytes of data\n",
	       deep ? "deep, every sector" : "probe: first 64 MiB, 1 MiB boundaries, 64 MiB behind each volume",
	       disk->scan_candidates, disk->scan_bytes_read, disk->data_bytes);
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
		if (dev->primary && dev->primary->entry.num_devs > 1) {
			size_t present = members_present(d, dev);
			printf("\n    spanned volume: %" PRIu32 " devices, %zu found on this disk, %zu missing (restore each on its "
			       "own disk); this one holds PEs %" PRIu64 "..%" PRIu64, dev->primary->entry.num_devs, present,
			       dev->primary->entry.num_devs > present ? dev->primary->entry.num_devs - present : 0,
			       dev->primary->entry.first_pe, dev->primary->entry.last_pe);
		}
		printf("\n    partition: sectors %" PRIu64 "..%" PRIu64 " (%s), type %s\n", e->start, e->start + e->size - 1,
		       fmt_size(e->size * plan->sector_size, size, sizeof(size)),
		       strcmp(plan->label, "gpt") == 0 ? VMFS_GPT_TYPE_VMFS : "fb");
		printf("    -> %s", vmfs_plan_state_name(e->state));
		if (e->number && (vmfs_plan_state_writes(e->state) || e->state == VMFS_PLAN_PRESENT))
			printf(" as partition %zu", e->number);
		printf("%s%s\n", e->reason[0] ? ": " : "", fmt_safe_text(e->reason, safe, sizeof(safe)));
	}
	printf("\nTable: %s (%s)\n", plan->label, plan->why_label);
	if (plan->gpt_rebuild)
		printf("GPT repair: %s\n", fmt_safe_text(plan->why_rebuild, safe, sizeof(safe)));
	for (size_t i = 0; i < plan->drop_count && i < sizeof(plan->drops) / sizeof(plan->drops[0]); i++) {
		const struct vmfs_plan_drop *drop = &plan->drops[i];
		printf("Would disappear: partition %zu (%s, sectors %" PRIu64 "..%" PRIu64 ")%s\n", drop->number,
		       fmt_safe_text(drop->type_name, safe, sizeof(safe)), drop->start, drop->start + drop->size - 1,
		       drop->allowed ? ", as --force --replace asks" : ": refused");
	}
	if (plan->blocked) {
		if (plan->why_blocked[0])
			printf("Blocked: %s; nothing can be written.\n", plan->why_blocked);
		else
			printf("Blocked: a proposed entry conflicts with an existing partition (see above); nothing can be "
			       "written.\n");
		return;
	}
	if (plan->changes == 0) {
		printf("Nothing to change.\n");
		return;
	}
	printf("\nThe table after the rebuild (sfdisk format):\n%s", render->script ? render->script : "");
	printf(write ? "\nBytes to change (--write):\n" : "\nBytes that would change (dry run: nothing has been written):\n");
	for (size_t i = 0; i < render->count; i++)
		print_byte_diff(&render->changes[i]);
}

/* Deep-scan progress on stderr, only when it is a terminal. */
static void show_progress(void *context, uint64_t done, uint64_t total)
{
	(void)context;
	static int last = -1;
	int percent = total ? (int)(done * 100 / total) : 100;
	if (percent == last)
		return;
	last = percent;
	fprintf(stderr, "\r%s: deep scan %3d%% (%" PRIu64 " MiB of %" PRIu64 " MiB)%s", prog, percent, done >> 20, total >> 20,
		done >= total ? "\n" : "");
}

/* After the write: the table must hold every planned entry and each volume
 * must decode through its partition without an error finding. */
static vmfs_status verify_written(const char *path, const vmfs_plan *plan, vmfs_error *err)
{
	vmfs_source *src;
	vmfs_ptable table;
	vmfs_status st = vmfs_source_open(path, &src, err);
	if (st != VMFS_OK)
		return st;
	st = vmfs_ptable_read(src, plan->sector_size, &table, err);
	for (size_t i = 0; st == VMFS_OK && i < plan->count; i++) {
		const vmfs_plan_entry *e = &plan->entries[i];
		if (!vmfs_plan_state_writes(e->state))
			continue;
		const vmfs_partition *found = NULL;
		for (size_t k = 0; k < table.count; k++)
			if (table.parts[k].number == e->number)
				found = &table.parts[k];
		if (!found || found->start != e->start || found->size != e->size || !found->vmfs) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, e->start * plan->sector_size,
					    "after writing, partition %zu is not the VMFS entry at sectors %" PRIu64 "+%" PRIu64,
					    e->number, e->start, e->size);
			break;
		}
		vmfs_device *dev = NULL;
		st = vmfs_device_read(src, found->start * plan->sector_size, found->size * plan->sector_size, &dev, err);
		if (st == VMFS_OK && vmfs_device_has_errors(dev))
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, dev->header_offset,
					    "the volume in partition %zu reports errors after writing: %s", e->number,
					    dev->findings.items[0].message);
		vmfs_device_free(dev);
	}
	/* A rebuilt GPT copy: both copies must now be intact and agree. */
	if (st == VMFS_OK && plan->gpt_rebuild &&
	    (table.gpt.primary.state != VMFS_COPY_OK || table.gpt.backup.state != VMFS_COPY_OK || table.gpt.differ))
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, table.gpt.primary.header_lba * plan->sector_size,
				    "after writing, the GPT copies are not both intact (primary %s, backup %s%s)",
				    vmfs_copy_state_name(table.gpt.primary.state), vmfs_copy_state_name(table.gpt.backup.state),
				    table.gpt.differ ? ", and they differ" : "");
	vmfs_ptable_free(&table);
	vmfs_source_close(src);
	return st;
}

/* What to check after a partition-table rebuild was written. */
typedef struct plan_verify {
	const vmfs_plan *plan;
} plan_verify;

/* Undo file (fsynced) before the first byte changes; write, fsync, read
 * back; verify (when given); roll back on any failure. The changes are in
 * a->undo already; a is closed on return. */
static int apply_changes(const struct restore_control *ctl, vmfs_apply *a, const plan_verify *verify, size_t areas,
			 uint64_t bytes, struct outcome *outcome)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	char *undo_path = outcome->undo_path;
	size_t undo_len = sizeof(outcome->undo_path);
	if (ctl->undo_file)
		snprintf(undo_path, undo_len, "%s", ctl->undo_file);
	else
		fmt_stamped_name("vmfs-restore-", a->path, ".undo", undo_path, undo_len);
	int status = EXIT_ERROR;
	vmfs_status st = vmfs_apply_prepare(a, undo_path, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		outcome_error(outcome, &err, a->path);
		fprintf(stderr, "%s: %s: nothing was written\n", prog, a->path);
		goto out;
	}
	if (!ctl->quiet && !ctl->json)
		printf("\nUndo file saved (fsynced): %s\n", undo_path);
	st = vmfs_apply_write(a, &err);
	if (st == VMFS_OK && verify)
		st = verify_written(a->path, verify->plan, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		outcome_error(outcome, &err, a->path);
		vmfs_error rollback;
		if (vmfs_apply_rollback(a, &rollback) == VMFS_OK) {
			fprintf(stderr, "%s: %s: rolled back from %s: the target holds its previous bytes again\n", prog,
				a->path, undo_path);
		} else {
			char command[9000];
			const char *words[] = { prog, "--undo", undo_path, a->path, NULL };
			cli_print_error(prog, &rollback);
			outcome_error(outcome, &rollback, a->path);
			fprintf(stderr, "%s: %s: ROLLBACK FAILED: run: %s\n", prog, a->path,
				cli_command_line(command, sizeof(command), words));
		}
		goto out;
	}
	if (!vmfs_apply_reread_table(a))
		fprintf(stderr, "%s: %s: the kernel did not re-read the table (%s); it will at the next rescan\n", prog,
			a->path, strerror(errno));
	if (!ctl->quiet && !ctl->json) {
		char command[9000];
		const char *words[] = { prog, "--undo", undo_path, a->path, NULL };
		printf("Written, synced and verified: %zu area(s), %" PRIu64 " bytes at the offsets above%s.\n"
		       "To undo: %s\n", areas, bytes, verify ? "; volumes probed through their new partitions" : "",
		       cli_command_line(command, sizeof(command), words));
	}
	status = EXIT_OK;
	outcome->written = true;
out:
	if (vmfs_apply_close(a, &err) != VMFS_OK && status == EXIT_OK) {
		cli_print_error(prog, &err);
		outcome_error(outcome, &err, a->path);
		status = EXIT_ERROR;
	}
	return status;
}

/* --write of a partition-table rebuild. */
static int write_plan(const struct restore_control *ctl, const char *path, uint64_t scanned_size, const vmfs_plan *plan,
		      const vmfs_table_render *render, struct outcome *outcome)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_apply a;
	vmfs_status st = vmfs_apply_open(&a, path, scanned_size, plan->sector_size, ctl->plan.force, "vmfs-restore " VMFS_VERSION,
					 "partition table rebuild", &err);
	/* The bytes in place must still be the ones the plan was made from. */
	for (size_t i = 0; st == VMFS_OK && i < render->count; i++)
		st = vmfs_apply_add(&a, render->changes[i].offset, render->changes[i].old_data, render->changes[i].new_data,
				    render->changes[i].length, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		outcome_error(outcome, &err, path);
		fprintf(stderr, "%s: %s: nothing was written\n", prog, path);
		vmfs_apply_close(&a, NULL);
		return EXIT_ERROR;
	}
	uint64_t bytes = 0;
	for (size_t i = 0; i < render->count; i++)
		bytes += render->changes[i].length;
	plan_verify verify = { plan };
	return apply_changes(ctl, &a, &verify, render->count, bytes, outcome);
}

/* --export-table: the rendered table's sectors saved for a working copy;
 * the source is only read. */
static int export_plan(const struct restore_control *ctl, const char *path, uint64_t source_size,
		       const vmfs_plan *plan, const vmfs_table_render *render, struct outcome *outcome)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	if (vmfs_export_save(ctl->export_table, path, source_size, plan->sector_size, render,
			     "vmfs-restore " VMFS_VERSION, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		outcome_error(outcome, &err, ctl->export_table);
		fprintf(stderr, "%s: %s: nothing exported\n", prog, ctl->export_table);
		return EXIT_ERROR;
	}
	outcome->export_path = ctl->export_table;
	if (!ctl->quiet && !ctl->json) {
		uint64_t bytes = 0;
		for (size_t i = 0; i < render->count; i++)
			bytes += render->changes[i].length;
		char command[9000];
		const char *words[] = { prog, "--apply-table", ctl->export_table, "COPY", NULL };
		printf("\nTable export saved (fsynced): %s: %zu area(s), %" PRIu64 " bytes at the offsets above; %s "
		       "was only read.\nTo apply it to a raw working copy of this source (same size): %s (dry run), "
		       "then the same with --write.\n",
		       ctl->export_table, render->count, bytes, path, cli_command_line(command, sizeof(command), words));
	}
	return EXIT_OK;
}

/* Where a sector of a table lies, for the listing of an export. */
static const char *area_name(uint64_t offset, uint64_t size, uint32_t sector_size)
{
	if (offset == 0)
		return "MBR";
	if (offset < 64ull * sector_size + 2 * sector_size && offset < size / 2)
		return "primary GPT";
	return "backup GPT";
}

static const char *region_state_name(vmfs_undo_state state)
{
	switch (state) {
	case VMFS_UNDO_HOLDS_OLD: return "ready";
	case VMFS_UNDO_HOLDS_NEW: return "applied";
	case VMFS_UNDO_HOLDS_MIX: return "half-applied";
	default: return "other";
	}
}

/* --apply-table FILE PATH: each region of the export against what PATH
 * holds (the replaced bytes: ready; the table already: applied; neither:
 * another disk or changed since, refused unless --force); with --write the
 * regions not yet applied go through the write path (undo file first). */
static int run_apply_table(const struct restore_control *ctl, const char *path)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_undo export = { 0 };
	vmfs_source *src = NULL;
	vmfs_undo_state *states = NULL;
	uint8_t *now = NULL;
	struct outcome outcome = { .errors = ctl->json ? json_object_new_array() : NULL };
	int status = EXIT_ERROR;
	size_t pending = 0, other = 0;
	json_object *doc = NULL, *changes = ctl->json ? json_object_new_array() : NULL;
	vmfs_status st = vmfs_export_load(ctl->apply_table, &export, &err);
	if (st == VMFS_OK)
		st = vmfs_source_open(path, &src, &err);
	if (st == VMFS_OK && vmfs_source_size(src) != export.target_size && !ctl->plan.force)
		st = vmfs_error_set(&err, VMFS_ERR_FORMAT, path, vmfs_source_size(src),
				    "is %" PRIu64 " bytes, the exported source %" PRIu64 " bytes (\"%s\"): not a copy of it; "
				    "refusing (--force to override)", vmfs_source_size(src), export.target_size,
				    export.target_path);
	if (st == VMFS_OK && (!(states = calloc(export.count ? export.count : 1, sizeof(*states))) ||
			      !(now = malloc(65536))))
		st = vmfs_error_set(&err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	for (size_t i = 0; st == VMFS_OK && i < export.count; i++) {
		const vmfs_undo_region *r = &export.regions[i];
		/* The comparison --undo makes (undo.h); an export's area never
		 * holds the same bytes before and after, so "old" and "new"
		 * cannot both hold. */
		vmfs_undo_holding h;
		vmfs_undo_holding_init(&h);
		for (uint32_t done = 0; st == VMFS_OK && done < r->length;) {
			uint32_t n = r->length - done < 65536 ? r->length - done : 65536;
			if (r->offset + done + n > vmfs_source_size(src)) {
				st = vmfs_error_set(&err, VMFS_ERR_TRUNCATED, path, r->offset + done,
						    "ends before the export's area at this offset");
				break;
			}
			st = vmfs_source_read(src, r->offset + done, now, n, &err);
			if (st == VMFS_OK)
				vmfs_undo_holding_add(&h, r, done, now, n);
			done += n;
		}
		states[i] = vmfs_undo_holding_state(&h);
		pending += states[i] != VMFS_UNDO_HOLDS_NEW;
		other += states[i] == VMFS_UNDO_HOLDS_OTHER;
	}
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		outcome_error(&outcome, &err, err.path[0] ? err.path : path);
		fprintf(stderr, "%s: %s: nothing written\n", prog, path);
		goto out;
	}
	status = EXIT_OK;
	if (!ctl->quiet && !ctl->json) {
		char when[32], safe[600];
		printf("Table export: %s (%s, %s, %s)\n", ctl->apply_table, export.tool,
		       fmt_time_s(export.created, when, sizeof(when)), export.description);
		printf("Exported source: %s (%" PRIu64 " bytes, %" PRIu32 "-byte sectors)\n",
		       fmt_safe_text(export.target_path, safe, sizeof(safe)), export.target_size, export.sector_size);
		printf("Target: %s (%" PRIu64 " bytes)\n\n", fmt_safe_text(path, safe, sizeof(safe)), vmfs_source_size(src));
	}
	for (size_t i = 0; i < export.count; i++) {
		const vmfs_undo_region *r = &export.regions[i];
		const char *area = area_name(r->offset, export.target_size, export.sector_size);
		if (changes) {
			json_object *c = json_object_new_object();
			put(c, "area", json_object_new_string(area));
			put(c, "offset", json_object_new_uint64(r->offset));
			put(c, "length", json_object_new_uint64(r->length));
			put(c, "state", json_object_new_string(region_state_name(states[i])));
			put(c, "old_hex", hex_json(r->old_data, r->length));
			put(c, "new_hex", hex_json(r->new_data, r->length));
			json_object_array_add(changes, c);
		} else if (!ctl->quiet) {
			vmfs_byte_change c = { area, r->offset, r->length, r->old_data, r->new_data };
			print_byte_diff(&c);
			printf("    target holds: %s\n", states[i] == VMFS_UNDO_HOLDS_OLD ? "the replaced bytes (ready)"
					       : states[i] == VMFS_UNDO_HOLDS_NEW ? "the table already (applied)"
					       : states[i] == VMFS_UNDO_HOLDS_MIX ? "part of the table (a write cut short)"
										   : "other bytes: not the exported source");
		}
	}
	if (other && !ctl->plan.force) {
		char why[200];
		snprintf(why, sizeof(why), "%zu area(s) hold bytes that are neither the exported source's nor the table's: "
			 "not a copy of that source, or changed since; refusing (--force to override)", other);
		fprintf(stderr, "%s: %s: %s\n", prog, path, why);
		outcome_error_make(&outcome, path, VMFS_NO_OFFSET, "apply-refused-other-bytes", why);
		status = EXIT_ERROR;
	} else if (pending == 0) {
		if (!ctl->quiet && !ctl->json)
			printf("\nNothing to write: %s holds the table already.\n", path);
	} else if (!ctl->write) {
		if (!ctl->quiet && !ctl->json)
			printf("\nDry run: nothing has been written; --write applies the %zu area(s) not yet applied (undo "
			       "file first).\n", pending);
	} else {
		vmfs_source_close(src); /* the target is reopened for writing */
		src = NULL;
		vmfs_apply a;
		st = vmfs_apply_open(&a, path, ctl->plan.force ? 0 : export.target_size, export.sector_size,
				     ctl->plan.force, "vmfs-restore " VMFS_VERSION, "applied table export", &err);
		uint64_t bytes = 0;
		for (size_t i = 0; st == VMFS_OK && i < export.count; i++) {
			const vmfs_undo_region *r = &export.regions[i];
			if (states[i] == VMFS_UNDO_HOLDS_NEW)
				continue;
			/* The bytes seen above must still be there when the undo
			 * file is made (a forced region: whatever is there). */
			st = vmfs_apply_add(&a, r->offset,
					    states[i] == VMFS_UNDO_HOLDS_OLD ? r->old_data : NULL, r->new_data, r->length, &err);
			bytes += r->length;
		}
		if (st != VMFS_OK) {
			cli_print_error(prog, &err);
			outcome_error(&outcome, &err, path);
			fprintf(stderr, "%s: %s: nothing written\n", prog, path);
			vmfs_apply_close(&a, NULL);
			status = EXIT_ERROR;
		} else {
			status = apply_changes(ctl, &a, NULL, pending, bytes, &outcome);
		}
	}
out:
	if (ctl->json) {
		doc = cli_doc_new(prog);
		put(doc, "operation", json_object_new_string("apply-table"));
		put(doc, "export_file", json_object_new_string(ctl->apply_table));
		json_object *source = NULL;
		if (export.count) {
			source = json_object_new_object();
			put(source, "path", json_object_new_string(export.target_path));
			put(source, "size", json_object_new_uint64(export.target_size));
			put(source, "sector_size", json_object_new_uint64(export.sector_size));
			put(source, "made_by", json_object_new_string(export.tool));
			put(source, "created_unix", json_object_new_uint64(export.created));
		}
		put(doc, "exported_source", source);
		put(doc, "target", json_object_new_string(path));
		put(doc, "changes", changes);
		changes = NULL;
		json_object_object_add(doc, "written", json_object_new_boolean(outcome.written));
		json_object_object_add(doc, "undo_file", outcome.written ? json_object_new_string(outcome.undo_path) : NULL);
		cli_doc_finish(doc, outcome.errors, status);
		outcome.errors = NULL;
	}
	json_object_put(changes);
	json_object_put(outcome.errors);
	free(now);
	free(states);
	vmfs_source_close(src);
	vmfs_undo_free(&export);
	return status;
}

/* Images have no WWID: two LUN images of one size pass the identity check.
 * Their LVM headers tell them apart: a device UUID in the backup and another
 * one at the same offset of the target mean another volume. A header that is
 * gone from the target is what a restore puts back. */
static vmfs_status check_same_devices(const char *backup_path, vmfs_source *target, vmfs_error *err)
{
	vmfs_source *saved = NULL;
	static vmfs_discovery saved_d, target_d;
	vmfs_status st = vmfs_backup_open_source(backup_path, &saved, err);
	if (st != VMFS_OK)
		return st;
	st = vmfs_discover(&saved, 1, NULL, &saved_d, err);
	if (st == VMFS_OK && (st = vmfs_discover(&target, 1, NULL, &target_d, err)) != VMFS_OK)
		vmfs_discovery_free(&saved_d);
	if (st != VMFS_OK) {
		vmfs_source_close(saved);
		return st;
	}
	const vmfs_disk before = saved_d.disks[0], now = target_d.disks[0];
	for (size_t i = 0; st == VMFS_OK && i < before.num_devices; i++) {
		const vmfs_device *b = before.devices[i];
		for (size_t k = 0; b->has_lvm && st == VMFS_OK && k < now.num_devices; k++) {
			const vmfs_device *t = now.devices[k];
			if (!t->has_lvm || t->header_offset != b->header_offset ||
			    vmfs_uuid_equal(&t->lvm.device_uuid, &b->lvm.device_uuid))
				continue;
			char a[VMFS_UUID_TEXT_LEN + 1], c[VMFS_UUID_TEXT_LEN + 1];
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, vmfs_source_path(target), t->header_offset + VMFS_LVM_OFF_DEVICE_UUID,
					    "holds VMFS device %s there, the backup device %s: another volume? refusing "
					    "(--force to override)", vmfs_uuid_format(&t->lvm.device_uuid, a),
					    vmfs_uuid_format(&b->lvm.device_uuid, c));
		}
	}
	vmfs_discovery_free(&target_d);
	vmfs_discovery_free(&saved_d);
	vmfs_source_close(saved);
	return st;
}

/* A backup file is not a disk: restoring "into" it or scanning it would
 * treat its compressed regions as raw sectors. */
static vmfs_status refuse_backup_file(const char *path, vmfs_error *err)
{
	if (!vmfs_backup_is_backup_file(path))
		return VMFS_OK;
	return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, 0,
			      "is a vmfs-backup file, not a disk: give it with --from-backup FILE and the device or image "
			      "to restore");
}

static bool region_selected(const char *only, const char *kind)
{
	if (!only)
		return true;
	if (strcmp(only, "table") == 0)
		return strcmp(kind, "mbr") == 0 || strncmp(kind, "gpt-", 4) == 0;
	if (strcmp(only, "lvm") == 0)
		return strncmp(kind, "lvm-", 4) == 0;
	return strcmp(kind, "vh-sf") == 0; /* "fs" */
}

/* --from-backup: the regions of a backup whose bytes differ from PATH, shown
 * region by region; with --write put back through the undo file. */
static int run_from_backup(const struct restore_control *ctl, const char *path)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_backup b;
	struct outcome outcome = { .errors = ctl->json ? json_object_new_array() : NULL };
	if (vmfs_backup_load(ctl->from_backup, &b, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		if (ctl->json) {
			json_object *doc = cli_doc_new(prog);
			json_object_object_add(doc, "operation", json_object_new_string("from-backup"));
			json_object_object_add(doc, "backup", json_object_new_string(ctl->from_backup));
			json_object_object_add(doc, "target", json_object_new_string(path));
			outcome_error(&outcome, &err, ctl->from_backup);
			outcome_finish(doc, &outcome, EXIT_ERROR);
		}
		return EXIT_ERROR;
	}
	int status = EXIT_ERROR;
	vmfs_source *src = NULL;
	bool *changed = calloc(b.count ? b.count : 1, sizeof(*changed));
	uint8_t *now = malloc(VMFS_BACKUP_MAX_REGION_BYTES);
	size_t changes = 0;
	vmfs_status st = changed && now ? refuse_backup_file(path, &err)
					: vmfs_error_set(&err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	if (st == VMFS_OK)
		st = vmfs_source_open(path, &src, &err);
	/* The target must be the source the backup was taken from: its size and
	 * sector size, and its SCSI identity where both sides know it. */
	vmfs_identity identity;
	if (st == VMFS_OK && !ctl->plan.force && (st = vmfs_identity_read(path, NULL, &identity, &err)) == VMFS_OK) {
		/* A container's identity is the disk it holds, not its file. */
		if (vmfs_source_kind_is_container(vmfs_source_kind_of(src)))
			identity.size = vmfs_source_size(src);
		if ((st = vmfs_identity_check_backup(&b, &identity, &err)) != VMFS_OK) {
			size_t n = strlen(err.reason);
			snprintf(err.reason + n, sizeof(err.reason) - n, ": refusing (--force to override)");
		}
	}
	/* And by content: where the target still holds a readable LVM header
	 * where the backup has one, both must name the same device. */
	if (st == VMFS_OK && !ctl->plan.force)
		st = check_same_devices(ctl->from_backup, src, &err);
	json_object *regions = ctl->json ? json_object_new_array() : NULL;
	if (st == VMFS_OK && !ctl->quiet && !ctl->json)
		printf("Backup %s: %zu regions of %s (%" PRIu64 " bytes), made by %s\n", ctl->from_backup, b.count,
		       b.source_path, b.source_size, b.tool);
	for (size_t i = 0; st == VMFS_OK && i < b.count; i++) {
		const vmfs_backup_region *r = &b.regions[i];
		if (!region_selected(ctl->only, r->kind))
			continue;
		st = vmfs_source_read(src, r->offset, now, (size_t)r->length, &err);
		if (st != VMFS_OK)
			break;
		size_t differ = 0;
		for (uint64_t k = 0; k < r->length; k++)
			differ += now[k] != r->data[k];
		changed[i] = differ > 0;
		changes += changed[i];
		if (regions) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "kind", json_object_new_string(r->kind));
			json_object_object_add(o, "offset", json_object_new_uint64(r->offset));
			json_object_object_add(o, "length", json_object_new_uint64(r->length));
			json_object_object_add(o, "bytes_differing", json_object_new_uint64(differ));
			json_object_array_add(regions, o);
		} else if (!ctl->quiet) {
			printf("  %-16s at 0x%010" PRIx64 ", %10" PRIu64 " bytes: %s", r->kind, r->offset, r->length,
			       differ ? "" : "unchanged\n");
			if (differ)
				printf("%zu bytes would be put back\n", differ);
		}
	}
	vmfs_source_close(src);
	src = NULL;
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		outcome_error(&outcome, &err, path);
		if (ctl->json) {
			json_object *doc = cli_doc_new(prog);
			json_object_object_add(doc, "operation", json_object_new_string("from-backup"));
			json_object_object_add(doc, "backup", json_object_new_string(ctl->from_backup));
			json_object_object_add(doc, "target", json_object_new_string(path));
			json_object_object_add(doc, "regions", regions);
			regions = NULL;
			outcome_finish(doc, &outcome, EXIT_ERROR);
		}
		json_object_put(regions);
		goto out;
	}
	status = EXIT_OK;
	uint64_t bytes = 0;
	for (size_t i = 0; i < b.count; i++)
		bytes += changed[i] ? b.regions[i].length : 0;
	if (ctl->write && changes) {
		vmfs_apply a;
		/* --force: the size was found to differ in the dry run and accepted. */
		st = vmfs_apply_open(&a, path, ctl->plan.force ? 0 : b.source_size, b.sector_size, ctl->plan.force,
				     "vmfs-restore " VMFS_VERSION, "restore from backup", &err);
		for (size_t i = 0; st == VMFS_OK && i < b.count; i++)
			if (changed[i])
				st = vmfs_apply_add(&a, b.regions[i].offset, NULL, b.regions[i].data,
						    (uint32_t)b.regions[i].length, &err);
		if (st != VMFS_OK) {
			cli_print_error(prog, &err);
			outcome_error(&outcome, &err, path);
			fprintf(stderr, "%s: %s: nothing was written\n", prog, path);
			vmfs_apply_close(&a, NULL);
			status = EXIT_ERROR;
		} else {
			status = apply_changes(ctl, &a, NULL, changes, bytes, &outcome);
		}
	} else if (!ctl->quiet && !ctl->json) {
		printf(changes ? "%zu region(s) differ (dry run: nothing has been written; --write puts them back).\n"
			       : "Nothing differs from the backup.\n", changes);
	}
	if (regions) {
		json_object *doc = cli_doc_new(prog);
		json_object_object_add(doc, "operation", json_object_new_string("from-backup"));
		json_object_object_add(doc, "backup", json_object_new_string(ctl->from_backup));
		json_object_object_add(doc, "target", json_object_new_string(path));
		json_object_object_add(doc, "regions", regions);
		json_object_object_add(doc, "changes", json_object_new_uint64(changes));
		json_object_object_add(doc, "bytes", json_object_new_uint64(bytes));
		outcome_finish(doc, &outcome, status);
	}
out:
	json_object_put(outcome.errors);
	free(now);
	free(changed);
	vmfs_backup_free(&b);
	return status;
}

/* True when every error finding of the volumes found says the image ends
 * before the volume does (a copy that stopped early), not damage. */
static bool cut_short(const vmfs_plan *plan, uint64_t source_size)
{
	bool any = false;
	for (size_t i = 0; i < plan->count; i++) {
		const vmfs_device *dev = plan->entries[i].device;
		if (!vmfs_device_has_errors(dev))
			continue;
		if (dev->lvm.total_bytes <= source_size - dev->offset)
			return false;
		for (size_t k = 0; k < dev->findings.count; k++)
			if (dev->findings.items[k].severity == VMFS_SEVERITY_ERROR &&
			    strcmp(dev->findings.items[k].code, "truncated") != 0)
				return false;
		any = true;
	}
	return any;
}

/* True when the entry's only errors are what the plan repairs: a VMFS
 * entry too short for its volume, which the plan grows (the discovery layer
 * decodes the device through that entry and so reports it). */
static bool repaired_by_plan(const vmfs_plan_entry *e)
{
	if (e->state != VMFS_PLAN_RESIZE)
		return false;
	const vmfs_findings *f = &e->device->findings;
	for (size_t k = 0; k < f->count; k++)
		if (f->items[k].severity == VMFS_SEVERITY_ERROR && strcmp(f->items[k].code, "partition-smaller-than-lvm") != 0)
			return false;
	return true;
}

static int run(const struct restore_control *ctl, const char *path)
{
	vmfs_source *src = NULL;
	vmfs_error err;
	vmfs_error_clear(&err);
	static vmfs_discovery d;
	bool discovered = false;
	static vmfs_plan plan;
	vmfs_table_render render = { 0 };
	int status = EXIT_ERROR;
	size_t found = 0;
	struct outcome outcome = { .errors = ctl->json ? json_object_new_array() : NULL };
	json_object *doc = NULL;
	vmfs_status st = refuse_backup_file(path, &err);
	if (st == VMFS_OK && (st = vmfs_sysfs_require_whole_disk(VMFS_SYSFS_ROOT, path, &err)) != VMFS_OK)
		outcome_error_make(&outcome, path, VMFS_NO_OFFSET, "not-whole-disk", err.reason);
	if (st == VMFS_OK)
		st = vmfs_source_open(path, &src, &err);
	if (st == VMFS_OK) {
		/* One discovery for every tool: the table, the devices in it and
		 * those the scan finds, with their states (vmfs/discover/discover.h). */
		vmfs_discover_options options = { .sector_size = ctl->sector_size, .deep = ctl->deep };
		if (ctl->deep && !ctl->quiet && isatty(STDERR_FILENO))
			options.progress = show_progress;
		st = vmfs_discover(&src, 1, &options, &d, &err);
		discovered = st == VMFS_OK;
	}
	if (st == VMFS_OK) {
		const vmfs_device *devices[VMFS_DISK_MAX_DEVICES];
		for (size_t i = 0; i < d.disks[0].num_devices; i++)
			if (d.disks[0].devices[i]->has_lvm)
				devices[found++] = d.disks[0].devices[i];
		st = vmfs_plan_make_devices(src, &d.disks[0].table, devices, found, &ctl->plan, &plan, &err);
	}
	if (st == VMFS_OK && !plan.blocked && plan.changes)
		st = vmfs_table_render_plan(src, &plan, &render, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		if (outcome.errors && json_object_array_length(outcome.errors) == 0)
			outcome_error(&outcome, &err, path);
		if (ctl->json) {
			doc = cli_doc_new(prog);
			put(doc, "operation", json_object_new_string("rebuild-table"));
			put(doc, "source", NULL);
		}
		goto out;
	}
	status = found ? EXIT_OK : EXIT_NOTHING;
	/* A volume found with damaged metadata: one line per error, exit 2
	 * (the proposal is still shown: it is what the headers support). */
	for (size_t i = 0; i < plan.count; i++) {
		if (!vmfs_device_has_errors(plan.entries[i].device) || repaired_by_plan(&plan.entries[i]))
			continue;
		cli_print_error_findings(prog, path, &plan.entries[i].device->findings);
		if (outcome.errors)
			cli_error_items_from_findings(outcome.errors, path, &plan.entries[i].device->findings);
		status = EXIT_ERROR;
	}
	if (ctl->json) {
		doc = cli_doc_new(prog);
		json_object *source = json_object_new_object();
		put(source, "path", json_object_new_string(path));
		put(source, "size", json_object_new_uint64(vmfs_source_size(src)));
		put(source, "sector_size", json_object_new_uint64(plan.sector_size));
		put(doc, "operation", json_object_new_string("rebuild-table"));
		put(doc, "source", source);
		json_object *current = json_object_new_object();
		put(current, "type", json_object_new_string(d.disks[0].table.label));
		put(current, "partitions", json_object_new_uint64(d.disks[0].table.count));
		put(doc, "partition_table", current);
		json_object *scan_json = json_object_new_object();
		put(scan_json, "mode", json_object_new_string(ctl->deep ? "deep" : "probe"));
		put(scan_json, "candidates", json_object_new_uint64(d.disks[0].scan_candidates));
		put(scan_json, "bytes_read", json_object_new_uint64(d.disks[0].scan_bytes_read));
		put(scan_json, "data_bytes", json_object_new_uint64(d.disks[0].data_bytes));
		const char *hint = cli_finding_message(&d.disks[0].findings, "deep-scan-possible");
		put(scan_json, "note", hint ? json_object_new_string(hint) : NULL);
		put(doc, "scan", scan_json);
		json_object *volumes = json_object_new_array();
		for (size_t i = 0; i < plan.count; i++)
			json_object_array_add(volumes, entry_json(&plan, &plan.entries[i], &d));
		put(doc, "volumes", volumes);
		json_object *plan_json = json_object_new_object();
		put(plan_json, "table", json_object_new_string(plan.label));
		put(plan_json, "new_table", json_object_new_boolean(plan.new_label));
		put(plan_json, "why", json_object_new_string(plan.why_label));
		put(plan_json, "changes", json_object_new_uint64(plan.changes));
		put(plan_json, "blocked", json_object_new_boolean(plan.blocked));
		put(plan_json, "script", render.script ? json_object_new_string(render.script) : NULL);
		json_object *rebuild = NULL;
		if (plan.gpt_rebuild) {
			rebuild = json_object_new_object();
			put(rebuild, "copy", json_object_new_string(plan.gpt_rebuild_primary ? "primary" : "backup"));
			put(rebuild, "from", json_object_new_string(plan.gpt_rebuild_primary ? "backup" : "primary"));
			put(rebuild, "protective_mbr", json_object_new_boolean(plan.mbr_rebuild));
			put(rebuild, "why", json_object_new_string(plan.why_rebuild));
		}
		put(plan_json, "gpt_rebuild", rebuild);
		json_object *drops = json_object_new_array();
		for (size_t i = 0; i < plan.drop_count && i < sizeof(plan.drops) / sizeof(plan.drops[0]); i++) {
			json_object *drop = json_object_new_object();
			put(drop, "number", json_object_new_uint64(plan.drops[i].number));
			put(drop, "start", json_object_new_uint64(plan.drops[i].start));
			put(drop, "size", json_object_new_uint64(plan.drops[i].size));
			put(drop, "type_name", json_object_new_string(plan.drops[i].type_name));
			put(drop, "allowed", json_object_new_boolean(plan.drops[i].allowed));
			json_object_array_add(drops, drop);
		}
		put(plan_json, "drops", drops);
		put(plan_json, "why_blocked", plan.why_blocked[0] ? json_object_new_string(plan.why_blocked) : NULL);
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
		/* written, undo_file, errors and exit_status after the write, below. */
	} else if (!ctl->quiet) {
		print_text(src, &d, &plan, &render, ctl->deep, ctl->write);
	}
	if (status == EXIT_NOTHING) {
		fprintf(stderr, "%s: %s: no VMFS volume found (%s scan)\n", prog, path, ctl->deep ? "deep" : "probe");
		const char *hint = cli_finding_message(&d.disks[0].findings, "deep-scan-possible");
		if (hint)
			fprintf(stderr, "%s: %s: %s\n", prog, path, hint);
	}
	/* --write and --export-table act on the same plan, under the same
	 * refusals: what would not be written is not exported either. */
	const bool acting = ctl->write || ctl->export_table;
	const char *nothing = ctl->write ? "nothing written" : "nothing exported";
	if (acting && status == EXIT_ERROR && !ctl->plan.force) {
		if (cut_short(&plan, vmfs_source_size(src))) {
			fprintf(stderr, "%s: %s: the image (%" PRIu64 " bytes) ends before a volume does: a copy that stopped "
				"early; a partition table cannot be written to it: %s\n", prog, path,
				vmfs_source_size(src), nothing);
			outcome_error_make(&outcome, path, vmfs_source_size(src), "write-refused-truncated",
					   "the image ends before a volume does: a partition table cannot be written to it");
		} else {
			char why[160];
			snprintf(why, sizeof(why), "the volume's metadata is damaged: %s (restore it from a backup first, "
				 "or --force)", nothing);
			fprintf(stderr, "%s: %s: %s\n", prog, path, why);
			outcome_error_make(&outcome, path, VMFS_NO_OFFSET, "write-refused-damaged", why);
		}
	} else if (acting && status != EXIT_NOTHING) {
		if (plan.blocked) {
			if (plan.why_blocked[0])
				fprintf(stderr, "%s: %s: %s: %s\n", prog, path, plan.why_blocked, nothing);
			for (size_t i = 0; i < plan.count; i++)
				if (plan.entries[i].state == VMFS_PLAN_CONFLICT) {
					fprintf(stderr, "%s: %s: offset 0x%" PRIx64 " (%" PRIu64 "): %s: %s\n", prog,
						path, plan.entries[i].device->offset, plan.entries[i].device->offset,
						plan.entries[i].reason, nothing);
					outcome_error_make(&outcome, path, plan.entries[i].device->offset, "write-blocked-conflict",
							   plan.entries[i].reason);
				}
			status = EXIT_ERROR;
		} else if (plan.changes && ctl->export_table) {
			status = export_plan(ctl, path, vmfs_source_size(src), &plan, &render, &outcome);
		} else if (plan.changes) {
			uint64_t scanned_size = vmfs_source_size(src);
			vmfs_source_close(src); /* the target is reopened for writing */
			src = NULL;
			status = write_plan(ctl, path, scanned_size, &plan, &render, &outcome);
		} else {
			/* Nothing to write: fine when every volume has its entry; not
			 * when a volume was left out (unfit): say why, exit 2. */
			bool left_out = false;
			for (size_t i = 0; i < plan.count; i++) {
				if (plan.entries[i].state == VMFS_PLAN_PRESENT)
					continue;
				left_out = true;
				fprintf(stderr, "%s: %s: offset 0x%" PRIx64 " (%" PRIu64 "): %s: %s\n", prog, path,
					plan.entries[i].device->offset, plan.entries[i].device->offset, plan.entries[i].reason,
					nothing);
				outcome_error_make(&outcome, path, plan.entries[i].device->offset, "write-refused-unfit",
						   plan.entries[i].reason);
			}
			if (left_out)
				status = EXIT_ERROR;
			else if (!ctl->quiet && !ctl->json)
				printf(ctl->write ? "Nothing to write.\n" : "Nothing to export: the table needs no change.\n");
		}
	}
out:
	if (doc)
		outcome_finish(doc, &outcome, status);
	json_object_put(outcome.errors);
	vmfs_table_render_free(&render);
	if (discovered)
		vmfs_discovery_free(&d);
	vmfs_source_close(src);
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "deep", no_argument, NULL, 'd' },
		{ "table", required_argument, NULL, 't' },
		{ "write", no_argument, NULL, 'w' },
		{ "undo-file", required_argument, NULL, 'u' },
		{ "undo", required_argument, NULL, 'U' },
		{ "from-backup", required_argument, NULL, 'B' },
		{ "only", required_argument, NULL, 'O' },
		{ "export-table", required_argument, NULL, 'E' },
		{ "apply-table", required_argument, NULL, 'A' },
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
	cli_init(argc, argv, "dwfjqhV");
	while ((c = getopt_long(argc, argv, "dt:wu:fr:b:jqhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd': ctl.deep = true; break;
		case 'w': ctl.write = true; break;
		case 'f': ctl.plan.force = true; break;
		case 'j': ctl.json = true; break;
		case 'q': ctl.quiet = true; break;
		case 'u': ctl.undo_file = optarg; break;
		case 'U': ctl.undo = optarg; break;
		case 'B': ctl.from_backup = optarg; break;
		case 'E': ctl.export_table = optarg; break;
		case 'A': ctl.apply_table = optarg; break;
		case 'O':
			if (strcmp(optarg, "table") && strcmp(optarg, "lvm") && strcmp(optarg, "fs"))
				return cli_usage_error(prog, "invalid --only (table, lvm or fs)", optarg);
			ctl.only = optarg;
			break;
		case 't':
			if (strcmp(optarg, "gpt") && strcmp(optarg, "mbr") && strcmp(optarg, "dos"))
				return cli_usage_error(prog, "invalid table type (gpt or mbr)", optarg);
			ctl.plan.table = optarg;
			break;
		case 'r':
			if (!parse_size(optarg, &value) || value == 0 || value > VMFS_PTABLE_MAX_PARTS)
				return cli_usage_error(prog, "invalid partition number", optarg);
			ctl.plan.replace = (size_t)value;
			break;
		case 'b':
			if (!parse_sector_size(optarg, &ctl.sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error(prog, optind >= argc ? "missing operand" : "one PATH only, extra operand",
				   optind >= argc ? "PATH" : argv[optind + 1]);
	if (ctl.plan.replace && !ctl.plan.force)
		return cli_usage_error(prog, "--replace needs --force; partition", argv[optind]);
	if (ctl.undo && ctl.write)
		return cli_usage_error(prog, "--undo and --write exclude each other; undo file", ctl.undo);
	if (ctl.only && !ctl.from_backup)
		return cli_usage_error(prog, "--only needs --from-backup; value", ctl.only);
	if (ctl.from_backup && ctl.undo)
		return cli_usage_error(prog, "--from-backup and --undo exclude each other; backup", ctl.from_backup);
	if (ctl.export_table && (ctl.write || ctl.undo || ctl.from_backup || ctl.apply_table))
		return cli_usage_error(prog, "--export-table only reads PATH: it excludes --write, --undo, --from-backup "
				   "and --apply-table; export file", ctl.export_table);
	if (ctl.apply_table && (ctl.undo || ctl.from_backup || ctl.plan.table || ctl.deep || ctl.plan.replace))
		return cli_usage_error(prog, "--apply-table writes the exported sectors as they are: it excludes --undo, "
				   "--from-backup, --table, --deep and --replace; export file", ctl.apply_table);
	live_resolve_operands(prog, argv, optind, optind + 1); /* an ESXi device name */
	int status = ctl.undo ? cli_run_undo(prog, ctl.undo, argv[optind], ctl.plan.force, ctl.json, ctl.quiet)
		     : ctl.apply_table ? run_apply_table(&ctl, argv[optind])
		     : ctl.from_backup ? run_from_backup(&ctl, argv[optind]) : run(&ctl, argv[optind]);
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
