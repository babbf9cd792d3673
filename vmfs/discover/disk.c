#include "vmfs/discover/disk.h"

#include "vmfs/core/le.h"
#include "vmfs/repair/plan.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEX "0x%" PRIx64

const char *vmfs_found_state_name(vmfs_found_state state)
{
	switch (state) {
	case VMFS_FOUND_PRESENT: return "present";
	case VMFS_FOUND_NOT_IN_TABLE: return "not-in-table";
	case VMFS_FOUND_STALE: return "stale";
	case VMFS_FOUND_OVERLAPPING: return "overlapping";
	case VMFS_FOUND_CONFLICTING: return "conflicting";
	case VMFS_FOUND_UNFIT: return "unfit";
	}
	return "unknown";
}

static void add_device(vmfs_disk *disk, vmfs_device *dev)
{
	if (disk->num_devices < VMFS_DISK_MAX_DEVICES)
		disk->devices[disk->num_devices++] = dev;
	else
		vmfs_device_free(dev);
}

/* True when some device already starts at `offset`. */
static bool have_device_at(const vmfs_disk *disk, uint64_t offset)
{
	for (size_t i = 0; i < disk->num_devices; i++)
		if (disk->devices[i]->offset == offset)
			return true;
	return false;
}

/* The partition entry containing absolute byte `offset`, or NULL. */
static const vmfs_partition *partition_containing(const vmfs_disk *disk, uint64_t offset)
{
	const vmfs_ptable *t = &disk->table;
	for (size_t i = 0; i < t->count; i++) {
		uint64_t start, size;
		if (__builtin_mul_overflow(t->parts[i].start, (uint64_t)t->sector_size, &start) ||
		    __builtin_mul_overflow(t->parts[i].size, (uint64_t)t->sector_size, &size))
			continue; /* starts or ends past 2^64 bytes: holds no offset */
		if (offset >= start && offset - start < size)
			return &t->parts[i];
	}
	return NULL;
}

static vmfs_status examine_partitions(vmfs_source *src, vmfs_disk *disk, vmfs_error *err)
{
	const vmfs_ptable *t = &disk->table;
	for (size_t i = 0; i < t->count; i++) {
		const vmfs_partition *p = &t->parts[i];
		uint64_t start, bytes;
		bool addressable = !__builtin_mul_overflow(p->start, (uint64_t)t->sector_size, &start) &&
				   !__builtin_mul_overflow(p->size, (uint64_t)t->sector_size, &bytes);
		if (p->past_end)
			vmfs_findings_add(&disk->findings, VMFS_SEVERITY_ERROR, "partition-past-end",
					  addressable ? start : VMFS_NO_OFFSET,
					  "partition %zu (sectors %" PRIu64 "..%" PRIu64 ") extends past the end of the source (%" PRIu64
					  " sectors of %u bytes)", p->number, p->start, p->start + p->size - 1,
					  vmfs_source_size(src) / t->sector_size, t->sector_size);
		if (!addressable || start >= vmfs_source_size(src))
			continue; /* nothing of it lies in the source: no device to read there */
		vmfs_device *dev = NULL;
		vmfs_error probe_err;
		vmfs_error_clear(&probe_err);
		/* A partition of another type is not the volume's container: its
		 * length is not checked against the volume's, the state (conflicting)
		 * says what is wrong. */
		vmfs_status st = vmfs_device_read(src, start, p->vmfs ? bytes : 0, &dev, &probe_err);
		if (st == VMFS_ERR_NOT_FOUND) {
			if (p->vmfs)
				vmfs_findings_add(&disk->findings, VMFS_SEVERITY_ERROR, "no-lvm-header",
						  probe_err.offset,
						  "partition %zu has the VMFS type but %s (headers destroyed, or the partition "
						  "start is not where the volume begins)", p->number, probe_err.reason);
			continue;
		}
		if (st != VMFS_OK) {
			if (err)
				*err = probe_err;
			return st;
		}
		dev->partition_number = p->number;
		dev->in_partition_table = true;
		if (!p->vmfs)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "partition-type", start,
					  "partition %zu holds a VMFS LVM header but its type is %s (%s), not VMFS",
					  p->number, p->type, p->type_name);
		add_device(disk, dev);
	}
	return VMFS_OK;
}

static int device_cmp(const void *x, const void *y)
{
	const vmfs_device *a = *(vmfs_device *const *)x, *b = *(vmfs_device *const *)y;
	return a->offset < b->offset ? -1 : a->offset > b->offset;
}

/* Devices in the order of their starts, whether an entry or the scan gave them. */
static void sort_devices(vmfs_disk *disk)
{
	qsort(disk->devices, disk->num_devices, sizeof(disk->devices[0]), device_cmp);
}

/* Looks for a device starting at `offset` (--offset). */
static vmfs_status probe_at(vmfs_source *src, vmfs_disk *disk, uint64_t offset, vmfs_error *err)
{
	vmfs_device *dev = NULL;
	vmfs_error probe_err;
	vmfs_status st = vmfs_device_read(src, offset, 0, &dev, &probe_err);
	if (st == VMFS_ERR_NOT_FOUND)
		return VMFS_OK;
	if (st != VMFS_OK) {
		if (err)
			*err = probe_err;
		return st;
	}
	add_device(disk, dev);
	return VMFS_OK;
}

/* Partition starts ESX and ESXi use (format reference 1 and 2): the source
 * itself (a partition image), sector 128 (ESX 3.x MBR) and 1 MiB (sector 2048
 * of 512, sector 256 of 4096). A header there is decoded whenever its magic
 * is present, even with fields the scan finds implausible: the damage is then
 * reported as findings instead of the volume going unseen. */
static const uint64_t usual_starts[] = { 0, 128 * 512, 2048 * 512 };

static vmfs_status probe_usual_starts(vmfs_source *src, vmfs_disk *disk, vmfs_error *err)
{
	for (size_t i = 0; i < sizeof(usual_starts) / sizeof(usual_starts[0]); i++) {
		if (have_device_at(disk, usual_starts[i]))
			continue;
		vmfs_status st = probe_at(src, disk, usual_starts[i], err);
		if (st != VMFS_OK)
			return st;
	}
	return VMFS_OK;
}

/* The lost-volume scan (format reference 2.4): every device it finds that no
 * partition entry already gave is added. */
static vmfs_status scan_source(vmfs_source *src, const vmfs_disk_options *options, vmfs_disk *disk, vmfs_error *err)
{
	vmfs_scan_result *scan = calloc(1, sizeof(*scan));
	if (!scan)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	vmfs_scan_options so = { .deep = options->deep, .alignment = options->deep ? disk->table.sector_size : 0,
				 .progress = options->progress, .progress_context = options->progress_context };
	vmfs_status st = vmfs_scan(src, &so, scan, err);
	if (st == VMFS_OK) {
		disk->scanned = true;
		disk->deep = options->deep;
		disk->scan_candidates = scan->candidates;
		disk->scan_bytes_read = scan->bytes_read;
		disk->data_bytes = scan->data_bytes;
		disk->scan_dropped = scan->hits_dropped;
		for (size_t i = 0; i < scan->count; i++) {
			if (have_device_at(disk, scan->hits[i].device->offset))
				continue;
			add_device(disk, scan->hits[i].device);
			scan->hits[i].device = NULL; /* owned by the disk now */
		}
		vmfs_scan_result_free(scan);
	}
	free(scan);
	return st;
}

static vmfs_status probe_lv_image(vmfs_source *src, vmfs_disk *disk, uint64_t offset, vmfs_error *err)
{
	vmfs_device *dev = NULL;
	vmfs_error probe_err;
	vmfs_status st = vmfs_device_read_lv_image(src, offset, &dev, &probe_err);
	if (st == VMFS_ERR_NOT_FOUND)
		return VMFS_OK;
	if (st != VMFS_OK) {
		if (err)
			*err = probe_err;
		return st;
	}
	add_device(disk, dev);
	return VMFS_OK;
}

/* A partition image cut from a disk may run on to the end of that disk and
 * end with its backup GPT (format reference 2.2 and 11.3, the dissect
 * images). The backup header's own LBA then tells where offset 0 was on the
 * original disk: MyLBA + 1 - (image size / sector size). */
static void check_trailing_gpt(vmfs_source *src, vmfs_disk *disk, vmfs_device *dev)
{
	const unsigned sector = disk->table.sector_size;
	uint64_t size = vmfs_source_size(src);
	vmfs_gpt_copy hdr;
	if (!dev->has_lvm || dev->offset != 0 || size <= dev->lvm.total_bytes || size % sector)
		return;
	/* A header of a wrong size is no header; a wrong CRC is said. */
	bool crc_ok = vmfs_gpt_header_at(src, sector, size / sector - 1, &hdr);
	if (hdr.state == VMFS_COPY_MISSING || hdr.header_size < 92 || hdr.header_size > sector)
		return;
	uint64_t my_lba = hdr.my_lba, image_sectors = size / sector;
	if (my_lba + 1 < image_sectors) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "trailing-backup-gpt", size - sector,
				  "the last sector holds a backup GPT header (MyLBA %" PRIu64 ", CRC %s) that cannot belong to "
				  "a disk this small", my_lba, crc_ok ? "ok" : "wrong");
		return;
	}
	uint64_t first_lba = my_lba + 1 - image_sectors;
	vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "trailing-backup-gpt", size - sector,
			  "the image runs on past the partition end (%" PRIu64 " bytes) to a backup GPT header (MyLBA %" PRIu64
			  ", first usable %" PRIu64 ", last usable %" PRIu64 ", CRC %s): it is a disk of %" PRIu64
			  " sectors from LBA %" PRIu64 " on, so the partition started at LBA %" PRIu64,
			  dev->lvm.total_bytes, my_lba, hdr.first_usable, hdr.last_usable, crc_ok ? "ok" : "wrong",
			  my_lba + 1, first_lba, first_lba);
}

static void describe_nothing(vmfs_source *src, vmfs_disk *disk)
{
	uint8_t lvm[4] = { 0 }, fs[4] = { 0 };
	bool have_lvm = vmfs_source_read(src, VMFS_LVM_HEADER_OFFSET, lvm, 4, NULL) == VMFS_OK;
	bool have_fs = vmfs_source_read(src, VMFS_FS_DESC_LV_OFFSET, fs, 4, NULL) == VMFS_OK;
	char lvm_text[64], fs_text[64];
	if (have_lvm)
		snprintf(lvm_text, sizeof(lvm_text), "magic 0x%08" PRIx32, vmfs_le32(lvm));
	else
		snprintf(lvm_text, sizeof(lvm_text), "past the end");
	if (have_fs)
		snprintf(fs_text, sizeof(fs_text), "magic 0x%08" PRIx32, vmfs_le32(fs));
	else
		snprintf(fs_text, sizeof(fs_text), "past the end");
	vmfs_findings_add(&disk->findings, VMFS_SEVERITY_ERROR, "nothing-found",
			  have_lvm ? VMFS_LVM_HEADER_OFFSET : 0,
			  "no partition table and no VMFS structure: no LVM header (0x%08x) at 0x100000 (%s), 0x110000 "
			  "or 0x200000; no file-system descriptor (0x%08x) at 0x200000 (%s)",
			  VMFS_LVM_MAGIC, lvm_text, VMFS_FS_MAGIC, fs_text);
}

/* Nothing found by the probe: say what the deep scan would cost here. */
static void suggest_deep(vmfs_source *src, vmfs_disk *disk)
{
	if (!disk->scanned || disk->deep)
		return;
	uint64_t bytes = disk->data_bytes;
	double seconds = (double)bytes / (double)VMFS_DISK_DEEP_ASSUMED_BPS;
	char size[32];
	if (bytes >= (1ull << 30))
		snprintf(size, sizeof(size), "%.1f GiB", (double)bytes / (double)(1ull << 30));
	else
		snprintf(size, sizeof(size), "%.1f MiB", (double)bytes / (double)(1ull << 20));
	vmfs_findings_add(&disk->findings, VMFS_SEVERITY_INFO, "deep-scan-possible", VMFS_NO_OFFSET,
			  "the probe scan looked at every sector of the first 64 MiB and at every 1 MiB boundary of "
			  "%s and found no VMFS volume; --deep looks at every sector: it reads %s of data (%" PRIu64
			  " bytes), about %.0f s at %llu MB/s", vmfs_source_path(src), size, bytes, seconds < 1 ? 1 : seconds,
			  VMFS_DISK_DEEP_ASSUMED_BPS / 1000000ull);
}

/* An image without a table (format reference 3.1): the LVM header's
 * diskBlockSize tells the sector size the volume was made on; a disagreement
 * with the sector size in use is a finding. */
static void settle_sector_size(vmfs_source *src, const vmfs_disk_options *options, vmfs_disk *disk)
{
	if (!options->sector_size && vmfs_source_kind_of(src) != VMFS_SOURCE_BLOCK &&
	    strcmp(disk->table.label, "none") == 0 && disk->table.sector_size == 512) {
		for (size_t i = 0; i < disk->num_devices; i++) {
			const vmfs_device *dev = disk->devices[i];
			if (dev->has_lvm && dev->lvm.disk_block_size == 4096 && dev->offset % 4096 == 0) {
				disk->table.sector_size = 4096;
				disk->sector_size_from_header = true;
				vmfs_source_set_sector_size(src, 4096);
				vmfs_findings_add(&disk->findings, VMFS_SEVERITY_INFO, "sector-size-from-header",
						  dev->header_offset + VMFS_LVM_OFF_DISK_BLOCK_SIZE,
						  "no partition table: 4096-byte sectors, as the LVM header at 0x%" PRIx64
						  " says (diskBlockSize 4096); --sector-size overrides", dev->header_offset);
				break;
			}
		}
	}
	for (size_t i = 0; i < disk->num_devices; i++) {
		vmfs_device *dev = disk->devices[i];
		if (!dev->has_lvm || dev->lvm.disk_block_size == disk->table.sector_size ||
		    (dev->lvm.disk_block_size != 512 && dev->lvm.disk_block_size != 4096))
			continue;
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "sector-size-mismatch",
				  dev->header_offset + VMFS_LVM_OFF_DISK_BLOCK_SIZE,
				  "the LVM header says diskBlockSize %" PRIu32 ", the source is read with %u-byte sectors%s",
				  dev->lvm.disk_block_size, disk->table.sector_size,
				  options->sector_size ? " (--sector-size)" : "; --sector-size sets it");
	}
}

/* The state of every device against the table, computed by the restore
 * plan with its default options (keep the table, add what is missing): the
 * same states and reasons vmfs-restore prints. */
static vmfs_status classify(vmfs_source *src, const vmfs_disk_options *options, vmfs_disk *disk, vmfs_error *err)
{
	const vmfs_device *lvm_devices[VMFS_DISK_MAX_DEVICES];
	size_t index[VMFS_DISK_MAX_DEVICES], n = 0;
	for (size_t i = 0; i < disk->num_devices; i++) {
		vmfs_found *f = &disk->found[i];
		const vmfs_device *dev = disk->devices[i];
		memset(f, 0, sizeof(*f));
		f->state = VMFS_FOUND_PRESENT;
		if (options->has_offset)
			snprintf(f->reason, sizeof(f->reason), "the device at the offset given (--offset)");
		else if (!dev->has_lvm)
			snprintf(f->reason, sizeof(f->reason), "a logical volume image: file-system descriptor at 0x%" PRIx64,
				 dev->fs_offset);
		else if (dev->offset == 0 && disk->table.count == 0)
			snprintf(f->reason, sizeof(f->reason), "the source starts at the VMFS partition: a partition image");
		else if (n < VMFS_SCAN_MAX_HITS) {
			index[n] = i;
			lvm_devices[n++] = dev;
		}
	}
	if (n == 0)
		return VMFS_OK;
	vmfs_plan *plan = calloc(1, sizeof(*plan));
	if (!plan)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	vmfs_status st = vmfs_plan_make_devices(src, &disk->table, lvm_devices, n, NULL, plan, err);
	for (size_t k = 0; st == VMFS_OK && k < plan->count; k++) {
		const vmfs_plan_entry *e = &plan->entries[k];
		vmfs_found *f = &disk->found[index[k]];
		vmfs_device *dev = disk->devices[index[k]];
		snprintf(f->reason, sizeof(f->reason), "%s", e->reason);
		f->number = e->number;
		f->other = e->other;
		switch (e->state) {
		case VMFS_PLAN_PRESENT: f->state = VMFS_FOUND_PRESENT; break;
		case VMFS_PLAN_ADD:
		case VMFS_PLAN_REPLACE:
			f->state = VMFS_FOUND_NOT_IN_TABLE;
			if (!f->reason[0])
				snprintf(f->reason, sizeof(f->reason), "no partition entry; a rebuild adds it as partition %zu "
					 "(sectors %" PRIu64 "..%" PRIu64 ")", e->number, e->start, e->start + e->size - 1);
			break;
		case VMFS_PLAN_STALE: f->state = VMFS_FOUND_STALE; break;
		case VMFS_PLAN_UNFIT: f->state = VMFS_FOUND_UNFIT; break;
		/* An entry at the volume's start and size with another type is a
		 * partition of another type over it; a VMFS entry too short is a
		 * VMFS entry of another length. The reason says "type only" or
		 * gives both sizes. */
		case VMFS_PLAN_RETYPE: f->state = VMFS_FOUND_CONFLICTING; break;
		case VMFS_PLAN_RESIZE: f->state = VMFS_FOUND_OVERLAPPING; break;
		case VMFS_PLAN_CONFLICT: {
			bool vmfs_entry = false;
			for (size_t p = 0; p < disk->table.count; p++)
				if (disk->table.parts[p].number == e->other)
					vmfs_entry = disk->table.parts[p].vmfs;
			f->state = vmfs_entry ? VMFS_FOUND_OVERLAPPING : VMFS_FOUND_CONFLICTING;
			break;
		}
		}
		if (dev->in_partition_table)
			continue;
		/* Devices the table does not give: say so, with the state. */
		const vmfs_partition *inside = partition_containing(disk, dev->header_offset);
		if (inside)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "stale-header", dev->header_offset,
					  "LVM header at " HEX " lies inside partition %zu, which does not start at " HEX
					  ": a stale header of an earlier volume, or a wrong partition start (%s: %s)",
					  dev->header_offset, inside->number, dev->offset, vmfs_found_state_name(f->state),
					  f->reason);
		else
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "not-in-partition-table", dev->header_offset,
					  "VMFS device at " HEX " (sector %" PRIu64 ") has no partition table entry (%s: %s)%s",
					  dev->offset, dev->offset / disk->table.sector_size, vmfs_found_state_name(f->state),
					  f->reason, f->state == VMFS_FOUND_NOT_IN_TABLE ?
					  "; the entry was deleted or the table lost: vmfs-restore can rebuild it" : "");
	}
	free(plan);
	return st;
}

vmfs_status vmfs_disk_analyse(vmfs_source *src, const vmfs_disk_options *options, vmfs_disk *out,
			      vmfs_error *err)
{
	static const vmfs_disk_options defaults = { 0 };
	if (!options)
		options = &defaults;
	memset(out, 0, sizeof(*out));
	snprintf(out->table.label, sizeof(out->table.label), "none");
	unsigned sector_size = options->sector_size;
	if (!sector_size)
		sector_size = vmfs_ptable_detect_sector_size(src);
	out->table.sector_size = sector_size;
	vmfs_source_set_sector_size(src, sector_size);

	vmfs_status st;
	if (options->has_offset) {
		if (options->offset >= vmfs_source_size(src)) {
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, vmfs_source_path(src), options->offset,
					      "offset lies beyond the end of the source (%" PRIu64 " bytes)",
					      vmfs_source_size(src));
		}
		st = probe_at(src, out, options->offset, err);
		if (st == VMFS_OK && out->num_devices == 0)
			st = probe_lv_image(src, out, options->offset, err);
		if (st == VMFS_OK && out->num_devices == 0) {
			vmfs_error why;
			vmfs_device *none = NULL;
			vmfs_device_read(src, options->offset, 0, &none, &why);
			vmfs_device_free(none);
			vmfs_findings_add(&out->findings, VMFS_SEVERITY_ERROR, "nothing-found", why.offset,
					  "no VMFS structure at offset " HEX ": %s, and no file-system descriptor at +2 MiB",
					  options->offset, why.reason);
		}
	} else {
		st = vmfs_ptable_read(src, sector_size, &out->table, err);
		if (st == VMFS_OK)
			st = examine_partitions(src, out, err);
		if (st == VMFS_OK)
			st = scan_source(src, options, out, err);
		if (st == VMFS_OK)
			st = probe_usual_starts(src, out, err);
		if (st == VMFS_OK && out->num_devices == 0 && out->table.count == 0)
			st = probe_lv_image(src, out, 0, err);
		vmfs_ptable_health_findings(&out->table, &out->findings);
		for (size_t i = 0; i < out->table.message_count; i++)
			vmfs_findings_add(&out->findings, VMFS_SEVERITY_WARNING, "partition-table-message",
					  VMFS_NO_OFFSET, "libfdisk: %s", out->table.messages[i]);
		if (st == VMFS_OK && out->num_devices == 0 && strcmp(out->table.label, "none") == 0)
			describe_nothing(src, out);
		if (st == VMFS_OK && out->num_devices == 0)
			suggest_deep(src, out);
		if (st == VMFS_OK)
			settle_sector_size(src, options, out);
	}
	if (st == VMFS_OK) {
		sort_devices(out);
		st = classify(src, options, out, err);
	}
	if (st != VMFS_OK) {
		vmfs_disk_free(out);
		return st;
	}
	for (size_t i = 0; !options->has_offset && i < out->num_devices; i++)
		if (out->devices[i]->has_lvm && out->devices[i]->offset == 0 && out->table.count == 0)
			vmfs_findings_add(&out->devices[i]->findings, VMFS_SEVERITY_INFO, "partition-image",
					  out->devices[i]->header_offset, "the source starts at a VMFS partition (LVM header at "
					  "1 MiB): a partition or volume image");
	if (!options->has_offset && out->table.count == 0)
		for (size_t i = 0; i < out->num_devices; i++)
			check_trailing_gpt(src, out, out->devices[i]);
	out->recognised = out->num_devices > 0 || strcmp(out->table.label, "none") != 0;
	return VMFS_OK;
}

void vmfs_disk_free(vmfs_disk *disk)
{
	for (size_t i = 0; i < disk->num_devices; i++)
		vmfs_device_free(disk->devices[i]);
	disk->num_devices = 0;
	vmfs_ptable_free(&disk->table);
}

size_t vmfs_disk_error_count(const vmfs_disk *disk)
{
	size_t n = vmfs_findings_count(&disk->findings, VMFS_SEVERITY_ERROR);
	for (size_t i = 0; i < disk->num_devices; i++)
		n += vmfs_findings_count(&disk->devices[i]->findings, VMFS_SEVERITY_ERROR);
	return n;
}
