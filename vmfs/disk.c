#include "vmfs/disk.h"

#include "vmfs/le.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

#define HEX "0x%" PRIx64

/* Partition starts ESX and ESXi use (format reference 1 and 2): sector 128
 * (ESX 3.x MBR) and 1 MiB (sector 2048 of 512, sector 256 of 4096). */
static const uint64_t usual_starts[] = { 128 * 512, 2048 * 512 };

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
		vmfs_status st = vmfs_device_read(src, start, bytes, &dev, &probe_err);
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

/* Looks for a device starting at `offset` that the partition table does not
 * describe. */
static vmfs_status probe_at(vmfs_source *src, vmfs_disk *disk, uint64_t offset, vmfs_error *err)
{
	if (have_device_at(disk, offset))
		return VMFS_OK;
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
	const vmfs_partition *inside = partition_containing(disk, offset + VMFS_LVM_HEADER_OFFSET);
	if (offset == 0 && disk->table.count == 0) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "partition-image", dev->header_offset,
				  "the source starts at a VMFS partition (LVM header at 1 MiB): a partition or volume image");
	} else if (inside) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "stale-header", dev->header_offset,
				  "LVM header at " HEX " lies inside partition %zu, which does not start at " HEX
				  ": a stale header of an earlier volume, or a wrong partition start",
				  dev->header_offset, inside->number, offset);
	} else {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "not-in-partition-table", dev->header_offset,
				  "VMFS device at " HEX " (sector %" PRIu64 ") has no partition table entry: "
				  "the entry was deleted or the table lost; vmfs-restore can rebuild it",
				  offset, offset / disk->table.sector_size);
	}
	add_device(disk, dev);
	return VMFS_OK;
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

/* Spanned volumes (section 4.4): which members of each LV are present here. */
static void check_members(vmfs_disk *disk)
{
	for (size_t i = 0; i < disk->num_devices; i++) {
		vmfs_device *dev = disk->devices[i];
		if (!dev->primary || dev->primary->entry.num_devs <= 1 ||
		    dev->primary->entry.num_devs > VMFS_LVM_SD_ENTRIES)
			continue;
		const vmfs_volume_entry *v = &dev->primary->entry;
		uint32_t present = 0;
		for (size_t j = 0; j < disk->num_devices; j++) {
			const vmfs_device *other = disk->devices[j];
			if (other->primary && vmfs_uuid_equal(&other->primary->entry.lv_uuid, &v->lv_uuid) &&
			    other->primary->entry.snap_id == v->snap_id)
				present++;
		}
		if (present < v->num_devs) {
			char uuid[VMFS_UUID_TEXT_LEN + 1];
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "spanned-volume-incomplete",
					  dev->primary->entry_offset + VMFS_VOL_OFF_NUM_DEVS,
					  "volume %s spans %" PRIu32 " devices; %" PRIu32 " of them are in this source, the "
					  "others must be read from their own disks",
					  vmfs_uuid_format(&v->lv_uuid, uuid), v->num_devs, present);
		}
	}
}

/* A partition image cut from a disk may run on to the end of that disk and
 * end with its backup GPT (format reference 2.2 and 11.3, the dissect
 * images). The backup header's own LBA then tells where offset 0 was on the
 * original disk: MyLBA + 1 - (image size / sector size). */
static void check_trailing_gpt(vmfs_source *src, vmfs_disk *disk, vmfs_device *dev)
{
	const unsigned sector = disk->table.sector_size;
	uint64_t size = vmfs_source_size(src);
	uint8_t hdr[512];
	if (!dev->has_lvm || dev->offset != 0 || size <= dev->lvm.total_bytes || size % sector ||
	    vmfs_source_read(src, size - sector, hdr, sizeof(hdr), NULL) != VMFS_OK || memcmp(hdr, "EFI PART", 8) != 0)
		return;
	uint32_t header_size = vmfs_le32(hdr + 0x0C);
	uint32_t stored_crc = vmfs_le32(hdr + 0x10);
	if (header_size < 92 || header_size > sizeof(hdr))
		return;
	memset(hdr + 0x10, 0, 4);
	bool crc_ok = crc32(0, hdr, header_size) == stored_crc;
	uint64_t my_lba = vmfs_le64(hdr + 0x18), image_sectors = size / sector;
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
			  dev->lvm.total_bytes, my_lba, vmfs_le64(hdr + 0x28), vmfs_le64(hdr + 0x30), crc_ok ? "ok" : "wrong",
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
			st = probe_at(src, out, 0, err);
		for (size_t i = 0; st == VMFS_OK && i < sizeof(usual_starts) / sizeof(usual_starts[0]); i++)
			st = probe_at(src, out, usual_starts[i], err);
		if (st == VMFS_OK && out->num_devices == 0 && out->table.count == 0)
			st = probe_lv_image(src, out, 0, err);
		vmfs_ptable_health_findings(&out->table, &out->findings);
		for (size_t i = 0; i < out->table.message_count; i++)
			vmfs_findings_add(&out->findings, VMFS_SEVERITY_WARNING, "partition-table-message",
					  VMFS_NO_OFFSET, "libfdisk: %s", out->table.messages[i]);
		if (st == VMFS_OK && out->num_devices == 0 && strcmp(out->table.label, "none") == 0)
			describe_nothing(src, out);
	}
	if (st != VMFS_OK) {
		vmfs_disk_free(out);
		return st;
	}
	check_members(out);
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
