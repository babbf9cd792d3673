#include "vmfs/backup/backup_select.h"

#include <stdio.h>
#include <string.h>

#define MIB (1ull << 20)

/* Adds [offset, offset + length) clipped to the source and to the span limit,
 * unless it overlaps a range already selected. */
static void add_span(vmfs_source *src, vmfs_backup_selection *sel, const char *kind, uint32_t device,
		     uint64_t offset, uint64_t length)
{
	uint64_t size = vmfs_source_size(src);
	if (offset >= size || length == 0) {
		sel->skipped++;
		return;
	}
	if (length > size - offset)
		length = size - offset;
	if (length > VMFS_SELECT_MAX_SPAN)
		length = VMFS_SELECT_MAX_SPAN;
	for (size_t i = 0; i < sel->count; i++) {
		const vmfs_backup_span *s = &sel->spans[i];
		if (offset < s->offset + s->length && s->offset < offset + length) {
			sel->skipped++;
			return;
		}
	}
	if (sel->count >= VMFS_SELECT_MAX_SPANS) {
		sel->skipped++;
		return;
	}
	vmfs_backup_span *s = &sel->spans[sel->count++];
	snprintf(s->kind, sizeof(s->kind), "%s", kind);
	s->device = device;
	s->offset = offset;
	s->length = length;
	sel->total += length;
}

static void select_device(vmfs_source *src, const vmfs_device *dev, uint32_t index, vmfs_backup_selection *sel)
{
	if (!dev->has_lvm) {
		/* An LV image: the descriptor's .vh.sf neighbourhood. */
		add_span(src, sel, "vh-sf", index, dev->fs_offset - (dev->fs_offset >= 2 * MIB ? 2 * MIB : 0), 4 * MIB);
		return;
	}
	/* Header to data offset: header, volume, SD tables and the main PE maps.
	 * A damaged dataOffset falls back to the 17 MiB every image uses. */
	uint64_t end = dev->lvm.data_offset;
	if (end <= VMFS_LVM_HEADER_OFFSET || end - VMFS_LVM_HEADER_OFFSET > VMFS_SELECT_MAX_SPAN)
		end = 17 * MIB;
	add_span(src, sel, "lvm-metadata", index, dev->header_offset, end - VMFS_LVM_HEADER_OFFSET);
	for (size_t r = 0; r < dev->num_regions && dev->has_layout; r++) {
		uint64_t maps = dev->regions[r].header.num_pe_maps ? dev->regions[r].header.num_pe_maps : 1;
		add_span(src, sel, "lvm-ext-metadata", index, dev->regions[r].offset,
			 dev->layout.pe_maps_rel + maps * dev->layout.pe_map_stride);
	}
	/* .vh.sf = LV 0 .. 4 MiB (VMFS3/5) or 7 MiB (VMFS6), section 5.4. */
	if (dev->primary) {
		uint64_t lv_bytes = dev->lvm.major >= 6 ? 7 * MIB : 4 * MIB;
		uint64_t abs, contiguous;
		if (vmfs_device_map_lv(dev, dev->primary->entry.volume_id, 0, &abs, &contiguous) == VMFS_OK)
			add_span(src, sel, "vh-sf", index, abs, contiguous < lv_bytes ? contiguous : lv_bytes);
	}
}

vmfs_status vmfs_backup_select(vmfs_source *src, const vmfs_disk *disk, vmfs_backup_selection *out,
			       vmfs_error *err)
{
	(void)err;
	memset(out, 0, sizeof(*out));
	unsigned s = disk->table.sector_size ? disk->table.sector_size : 512;
	uint64_t sectors = vmfs_source_size(src) / s;
	uint64_t entries = 16384 / s;
	/* Table areas, whatever the table: a restore needs them exactly (10.1-3). */
	add_span(src, out, "mbr", VMFS_SELECT_NO_DEVICE, 0, s);
	if (sectors > 2 * (entries + 2)) {
		add_span(src, out, "gpt-primary", VMFS_SELECT_NO_DEVICE, s, (1 + entries) * s);
		add_span(src, out, "gpt-backup", VMFS_SELECT_NO_DEVICE, (sectors - 1 - entries) * s, (1 + entries) * s);
	}
	for (size_t i = 0; i < disk->num_devices; i++)
		select_device(src, disk->devices[i], (uint32_t)i, out);
	return VMFS_OK;
}
