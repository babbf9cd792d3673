#include "vmfs/repair/plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MBR_MAX_SECTORS 0xFFFFFFFFull /* 32-bit LBA and length fields (2.1) */
#define TWO_TIB (2ull << 40)

const char *vmfs_plan_state_name(vmfs_plan_state state)
{
	switch (state) {
	case VMFS_PLAN_PRESENT: return "present";
	case VMFS_PLAN_ADD: return "add";
	case VMFS_PLAN_REPLACE: return "replace";
	case VMFS_PLAN_STALE: return "stale";
	case VMFS_PLAN_CONFLICT: return "conflict";
	case VMFS_PLAN_UNFIT: return "unfit";
	case VMFS_PLAN_RETYPE: return "retype";
	case VMFS_PLAN_RESIZE: return "resize";
	}
	return "unknown";
}

/* Partition length from the LVM header (2.3), provided every used PE lies
 * inside it; else the extent end, which the data needs at least. */
static uint64_t device_bytes(const vmfs_device *dev)
{
	uint64_t end = dev->lvm.total_bytes;
	for (size_t i = 0; i < dev->num_extents; i++) {
		uint64_t pe_end = dev->extents[i].pe.p_offset + dev->extents[i].pe.length;
		if (pe_end >= dev->extents[i].pe.p_offset && pe_end > end)
			end = pe_end;
	}
	return end;
}

static bool overlaps(uint64_t a_start, uint64_t a_size, uint64_t b_start, uint64_t b_size)
{
	return a_start < b_start + b_size && b_start < a_start + a_size;
}

bool vmfs_plan_state_writes(vmfs_plan_state state)
{
	return state == VMFS_PLAN_ADD || state == VMFS_PLAN_REPLACE || state == VMFS_PLAN_RETYPE ||
	       state == VMFS_PLAN_RESIZE;
}

/* Partition p grown to the volume's length overlaps no other entry (the
 * usable range was checked for the volume already). */
static bool resize_fits(const vmfs_ptable *current, const vmfs_partition *p, const vmfs_plan_entry *e)
{
	for (size_t k = 0; k < current->count; k++) {
		const vmfs_partition *q = &current->parts[k];
		if (q != p && overlaps(q->start, q->size, e->start, e->size))
			return false;
	}
	return true;
}

/* The newer of two overlapping devices: later modification, then later
 * creation, then higher generation (section 3.1 fields). */
static bool newer(const vmfs_device *a, const vmfs_device *b)
{
	if (a->lvm.mod_time_us != b->lvm.mod_time_us)
		return a->lvm.mod_time_us > b->lvm.mod_time_us;
	if (a->lvm.init_time_us != b->lvm.init_time_us)
		return a->lvm.init_time_us > b->lvm.init_time_us;
	return a->lvm.generation > b->lvm.generation;
}

static void choose_label(const vmfs_ptable *current, const vmfs_device *const *devices, size_t count,
			 const vmfs_plan_options *options, uint64_t disk_bytes, vmfs_plan *out)
{
	bool have = strcmp(current->label, "dos") == 0 || strcmp(current->label, "gpt") == 0;
	if (options->table) {
		snprintf(out->label, sizeof(out->label), "%s", strcmp(options->table, "mbr") == 0 ? "dos" : options->table);
		out->new_label = !have || strcmp(out->label, current->label) != 0;
		snprintf(out->why_label, sizeof(out->why_label), "table type %s requested", out->label);
		return;
	}
	if (have) {
		snprintf(out->label, sizeof(out->label), "%s", current->label);
		snprintf(out->why_label, sizeof(out->why_label), "the disk's %s table is kept; only missing entries are added",
			 current->label);
		return;
	}
	/* No table: what ESXi would have written (2.4 step 3). */
	bool vmfs3_only = count > 0;
	for (size_t i = 0; i < count; i++)
		vmfs3_only &= devices[i]->lvm.major == 3;
	out->new_label = true;
	if (vmfs3_only && disk_bytes <= TWO_TIB) {
		snprintf(out->label, sizeof(out->label), "dos");
		snprintf(out->why_label, sizeof(out->why_label), "no table: MBR, as ESX 3.x wrote for VMFS3");
	} else {
		snprintf(out->label, sizeof(out->label), "gpt");
		snprintf(out->why_label, sizeof(out->why_label), "no table: GPT, as ESXi writes for %s",
			 disk_bytes > TWO_TIB ? "disks over 2 TiB" : "VMFS5/6");
	}
}

/* A new label drops the current entries: never silently (issue 9). An entry
 * the new table re-creates at the same start and size is not dropped. */
static void plan_drops(const vmfs_ptable *current, const vmfs_plan_options *options, vmfs_plan *out)
{
	if (!out->new_label)
		return;
	size_t refused = 0, first_refused = 0;
	for (size_t k = 0; k < current->count; k++) {
		const vmfs_partition *p = &current->parts[k];
		bool recreated = false;
		for (size_t i = 0; i < out->count; i++) {
			const vmfs_plan_entry *e = &out->entries[i];
			recreated |= (e->state == VMFS_PLAN_ADD || e->state == VMFS_PLAN_REPLACE) && e->start == p->start &&
				     e->size == p->size;
		}
		if (recreated)
			continue;
		bool allowed = options->force && options->replace == p->number;
		if (out->drop_count < sizeof(out->drops) / sizeof(out->drops[0])) {
			struct vmfs_plan_drop *d = &out->drops[out->drop_count];
			d->number = p->number;
			d->start = p->start;
			d->size = p->size;
			d->allowed = allowed;
			snprintf(d->type_name, sizeof(d->type_name), "%s", p->type_name);
		}
		out->drop_count++;
		if (!allowed && refused++ == 0)
			first_refused = p->number;
	}
	if (!refused)
		return;
	out->blocked = true;
	snprintf(out->why_blocked, sizeof(out->why_blocked),
		 "a new %s table would drop %zu existing partition%s of the %s table (see the list); nothing is dropped "
		 "unless --force --replace N names it (partition %zu first)", out->label, refused, refused == 1 ? "" : "s",
		 current->label, first_refused);
}

/* One GPT copy lost, the other intact: rebuilding the lost one from the
 * intact one keeps the disk GUID, every entry, their GUIDs, names and
 * attributes (2.2). Only for a GPT the plan keeps. */
static void plan_gpt_rebuild(const vmfs_ptable *current, vmfs_plan *out)
{
	if (out->new_label || strcmp(out->label, "gpt") != 0 || !current->has_gpt)
		return;
	const vmfs_gpt_copy *p = &current->gpt.primary, *b = &current->gpt.backup;
	if ((p->state == VMFS_COPY_OK) == (b->state == VMFS_COPY_OK))
		return;
	const vmfs_gpt_copy *bad = p->state == VMFS_COPY_OK ? b : p, *good = bad == p ? b : p;
	out->gpt_rebuild = true;
	out->gpt_rebuild_primary = bad == p;
	out->mbr_rebuild = current->mbr.state == VMFS_COPY_MISSING;
	snprintf(out->why_rebuild, sizeof(out->why_rebuild),
		 "the %s GPT copy (LBA %" PRIu64 ") is %s: %s; it is rebuilt from the %s copy (LBA %" PRIu64
		 "), keeping disk GUID %s and all %" PRIu32 " entries%s", bad == p ? "primary" : "backup", bad->header_lba,
		 vmfs_copy_state_name(bad->state), bad->problem, bad == p ? "backup" : "primary", good->header_lba,
		 good->disk_guid, good->entry_count, out->mbr_rebuild ? "; the missing protective MBR is written too" : "");
	out->changes++;
}

vmfs_status vmfs_plan_make(const vmfs_source *src, const vmfs_ptable *current, const vmfs_scan_result *scan,
			   const vmfs_plan_options *options, vmfs_plan *out, vmfs_error *err)
{
	const vmfs_device *devices[VMFS_SCAN_MAX_HITS];
	size_t count = 0;
	for (size_t i = 0; i < scan->count && i < VMFS_SCAN_MAX_HITS; i++)
		devices[count++] = scan->hits[i].device;
	return vmfs_plan_make_devices(src, current, devices, count, options, out, err);
}

vmfs_status vmfs_plan_make_devices(const vmfs_source *src, const vmfs_ptable *current,
				   const vmfs_device *const *devices, size_t count, const vmfs_plan_options *options,
				   vmfs_plan *out, vmfs_error *err)
{
	static const vmfs_plan_options defaults = { 0 };
	if (!options)
		options = &defaults;
	memset(out, 0, sizeof(*out));
	if (options->table && strcmp(options->table, "gpt") && strcmp(options->table, "dos") && strcmp(options->table, "mbr"))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, vmfs_source_path(src), VMFS_NO_OFFSET,
				      "table type \"%s\" is none of gpt, mbr, dos", options->table);
	if (options->replace && !options->force)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, vmfs_source_path(src), VMFS_NO_OFFSET,
				      "--replace needs --force");
	out->sector_size = current->sector_size ? current->sector_size : 512;
	out->disk_sectors = vmfs_source_size(src) / out->sector_size;
	if (count > VMFS_SCAN_MAX_HITS)
		count = VMFS_SCAN_MAX_HITS;
	choose_label(current, devices, count, options, vmfs_source_size(src), out);
	const bool keep_entries = !out->new_label;
	const bool gpt = strcmp(out->label, "gpt") == 0;
	/* Usable range: GPT keeps its first/last usable LBAs (34 .. n-34 for a new
	 * 512-byte-sector table); MBR needs sector 0 only. */
	uint64_t entry_sectors = 16384 / out->sector_size;
	uint64_t first_usable = gpt ? 2 + entry_sectors : 1;
	uint64_t last_usable = gpt ? out->disk_sectors - 2 - entry_sectors : out->disk_sectors - 1;
	if (gpt && keep_entries && current->last_lba) {
		first_usable = current->first_lba;
		last_usable = current->last_lba;
	}

	size_t next_number = 1;
	if (keep_entries)
		for (size_t i = 0; i < current->count; i++)
			if (current->parts[i].number >= next_number)
				next_number = current->parts[i].number + 1;

	for (size_t i = 0; i < count && out->count < VMFS_SCAN_MAX_HITS; i++) {
		const vmfs_device *dev = devices[i];
		vmfs_plan_entry *e = &out->entries[out->count++];
		e->device = dev;
		e->start = dev->offset / out->sector_size;
		uint64_t bytes = device_bytes(dev);
		e->size = (bytes + out->sector_size - 1) / out->sector_size;
		if (e->size == 0) {
			/* A damaged header (totalBytes 0, no extents) gives no length. */
			e->state = VMFS_PLAN_UNFIT;
			snprintf(e->reason, sizeof(e->reason), "the LVM header at 0x%" PRIx64 " gives no length (totalBytes 0)",
				 dev->header_offset);
			continue;
		}
		if (dev->offset % out->sector_size) {
			e->state = VMFS_PLAN_UNFIT;
			snprintf(e->reason, sizeof(e->reason), "partition start 0x%" PRIx64 " is not on a %u-byte sector",
				 dev->offset, out->sector_size);
			continue;
		}
		if (bytes != dev->lvm.total_bytes)
			snprintf(e->reason, sizeof(e->reason), "PE table reaches past totalBytes: length from the extents");
		/* Stale: overlaps a newer volume found by the scan. */
		for (size_t j = 0; j < count; j++) {
			const vmfs_device *other = devices[j];
			if (other == dev || !overlaps(dev->offset, bytes, other->offset, device_bytes(other)) || !newer(other, dev))
				continue;
			e->state = VMFS_PLAN_STALE;
			snprintf(e->reason, sizeof(e->reason),
				 "overlaps the newer volume at 0x%" PRIx64 " (modified later): an older header left inside it",
				 other->offset);
			break;
		}
		if (e->state == VMFS_PLAN_STALE)
			continue;
		/* Section 2.4 step 1: the descriptor must be reached through the extent
		 * map and belong to this LVM volume, unless it lives on another member
		 * of a spanned volume. */
		const char *invalid = NULL;
		if (vmfs_findings_has(&dev->findings, "descriptor-volume-mismatch"))
			invalid = "its file-system descriptor belongs to another LVM volume";
		else if (!dev->has_fs && !vmfs_findings_has(&dev->findings, "descriptor-on-other-extent"))
			invalid = "no file-system descriptor is reached through its extent map";
		if (invalid && !options->force) {
			e->state = VMFS_PLAN_UNFIT;
			snprintf(e->reason, sizeof(e->reason), "%s (headers damaged, or not a volume); --force proposes it anyway",
				 invalid);
			continue;
		}
		if (invalid)
			snprintf(e->reason, sizeof(e->reason), "proposed because of --force although %s", invalid);
		if (e->start + e->size > out->disk_sectors) {
			/* The image stopped before the volume's end: no table can
			 * describe the volume on it (issue 9: not "damaged"). */
			e->state = VMFS_PLAN_UNFIT;
			snprintf(e->reason, sizeof(e->reason),
				 "the image ends before the volume does: it is %" PRIu64 " bytes (%" PRIu64 " sectors), the "
				 "volume needs sectors %" PRIu64 "..%" PRIu64 " (%" PRIu64 " bytes from 0x%" PRIx64
				 "): a copy that stopped early; a partition table cannot be written to it (complete the "
				 "copy, or restore on the whole disk)", vmfs_source_size(src), out->disk_sectors, e->start,
				 e->start + e->size - 1, bytes, dev->offset);
			continue;
		}
		if (e->start < first_usable || e->start + e->size - 1 > last_usable || (!gpt && (e->start > MBR_MAX_SECTORS ||
		    e->size > MBR_MAX_SECTORS))) {
			e->state = VMFS_PLAN_UNFIT;
			snprintf(e->reason, sizeof(e->reason),
				 "sectors %" PRIu64 "..%" PRIu64 " do not fit the %s usable range %" PRIu64 "..%" PRIu64 "%s",
				 e->start, e->start + e->size - 1, gpt ? "gpt" : "dos", first_usable, last_usable,
				 gpt ? "" : " (or the 32-bit MBR fields)");
			continue;
		}
		/* Against the entries the table keeps. */
		e->state = VMFS_PLAN_ADD;
		for (size_t k = 0; keep_entries && k < current->count; k++) {
			const vmfs_partition *p = &current->parts[k];
			/* A kept entry past the end of the disk makes the table
			 * unwritable (libfdisk refuses it): the table is damaged. */
			if (p->past_end && !(options->force && options->replace == p->number)) {
				e->state = VMFS_PLAN_CONFLICT;
				e->other = p->number;
				snprintf(e->reason, sizeof(e->reason),
					 "partition %zu (sectors %" PRIu64 "..%" PRIu64 ", at 0x%" PRIx64 ") extends past the end "
					 "of the disk: the table is damaged; --force --replace %zu replaces that entry", p->number,
					 p->start, p->start + p->size - 1, p->start * out->sector_size, p->number);
				out->blocked = true;
				break;
			}
			if (p->start == e->start && p->size == e->size) {
				e->number = p->number;
				if (p->vmfs) {
					e->state = VMFS_PLAN_PRESENT;
					snprintf(e->reason, sizeof(e->reason), "partition %zu already holds this volume", p->number);
				} else {
					/* Right place, wrong type: only the type changes; the
					 * entry keeps its GUID and name (2.2). */
					e->state = VMFS_PLAN_RETYPE;
					e->other = p->number;
					snprintf(e->reason, sizeof(e->reason),
						 "partition %zu has the volume's start and size (sectors %" PRIu64 "..%" PRIu64
						 ") but type %s (%s): type only: set to VMFS, its GUID and name kept", p->number,
						 p->start, p->start + p->size - 1, p->type, p->type_name);
				}
				break;
			}
			if (!overlaps(p->start, p->size, e->start, e->size))
				continue;
			if (options->force && options->replace == p->number) {
				e->state = VMFS_PLAN_REPLACE;
				e->number = p->number;
				e->other = p->number;
				snprintf(e->reason, sizeof(e->reason), "replaces partition %zu (%s, sectors %" PRIu64 "..%" PRIu64
					 ") as --force --replace %zu asks", p->number, p->type_name, p->start,
					 p->start + p->size - 1, p->number);
				continue;
			}
			if (p->start == e->start && p->vmfs && p->size > e->size) {
				/* Longer than the volume needs: it holds the volume; a
				 * partition grown before its volume was. Left as it is. */
				e->state = VMFS_PLAN_PRESENT;
				e->number = p->number;
				snprintf(e->reason, sizeof(e->reason),
					 "partition %zu starts at the volume's start (sector %" PRIu64 ") and is %" PRIu64
					 " sectors long, more than the %" PRIu64 " the volume needs (LVM totalBytes %" PRIu64
					 "): it holds the volume and is left as it is", p->number, p->start, p->size, e->size,
					 dev->lvm.total_bytes);
				break;
			}
			if (p->start == e->start && p->vmfs && resize_fits(current, p, e)) {
				/* Too short: the volume's end lies outside every partition.
				 * Growing the entry into free space moves no data and keeps
				 * its type, GUID and name. */
				e->state = VMFS_PLAN_RESIZE;
				e->number = p->number;
				e->other = p->number;
				snprintf(e->reason, sizeof(e->reason),
					 "partition %zu starts at the volume's start (sector %" PRIu64 ") but is %" PRIu64
					 " sectors long; the volume needs %" PRIu64 " (LVM totalBytes %" PRIu64 "): size only: "
					 "grown into free space to %" PRIu64 " sectors, its type, GUID and name kept", p->number,
					 p->start, p->size, e->size, dev->lvm.total_bytes, e->size);
				break;
			}
			e->state = VMFS_PLAN_CONFLICT;
			e->other = p->number;
			if (p->start == e->start)
				snprintf(e->reason, sizeof(e->reason),
					 "partition %zu (%s) starts at the volume's start (sector %" PRIu64 ") but is %" PRIu64
					 " sectors long where the volume needs %" PRIu64 "%s; use --force --replace %zu to "
					 "replace that entry", p->number, p->type_name, p->start, p->size, e->size,
					 !p->vmfs ? ", and its type is not VMFS" : ": another partition holds the sectors it would need",
					 p->number);
			else
				snprintf(e->reason, sizeof(e->reason),
					 "partition %zu (%s, sectors %" PRIu64 "..%" PRIu64 ") starts at sector %" PRIu64
					 ", the volume at sector %" PRIu64 " (LVM header at 0x%" PRIx64 "): %s; use --force "
					 "--replace %zu only if that entry is expendable", p->number, p->type_name, p->start,
					 p->start + p->size - 1, p->start, e->start, dev->header_offset,
					 p->vmfs ? "a VMFS entry with the wrong start"
						 : "another partition over the VMFS area (created later, or a wrong start)",
					 p->number);
			out->blocked = true;
			break;
		}
		if (e->state == VMFS_PLAN_ADD)
			e->number = next_number++;
		if (vmfs_plan_state_writes(e->state))
			out->changes++;
	}
	plan_drops(current, options, out);
	plan_gpt_rebuild(current, out);
	return VMFS_OK;
}
