/* Reading one LVM device and checking it for what a recovery needs to know.
 * Every count and size read from disk is bounded before it drives a loop, an
 * allocation or a read (format reference 4.0 gives the maxima). */
#include "vmfs/format/device.h"

#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define HEX "0x%" PRIx64

/* Adds a + b into *sum unless it overflows. */
static bool add_u64(uint64_t a, uint64_t b, uint64_t *sum)
{
	return !__builtin_add_overflow(a, b, sum);
}

/* Reads a structure at an absolute offset; on truncation records a finding
 * naming what was being read and returns false. I/O errors go to *io_status. */
static bool read_struct(vmfs_source *src, vmfs_device *dev, uint64_t offset, void *buf, size_t len,
			const char *what, vmfs_status *io_status, vmfs_error *err)
{
	vmfs_error local;
	vmfs_error_clear(&local);
	vmfs_status st = vmfs_source_read(src, offset, buf, len, &local);
	if (st == VMFS_OK)
		return true;
	if (st == VMFS_ERR_TRUNCATED) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "truncated", offset,
				  "%s (%zu bytes at " HEX ") lies past the end of the source (size " HEX ")",
				  what, len, offset, vmfs_source_size(src));
		return false;
	}
	*io_status = st;
	if (err)
		*err = local;
	return false;
}

static vmfs_device *device_new(uint64_t offset, uint64_t partition_size)
{
	vmfs_device *dev = calloc(1, sizeof(*dev));
	if (!dev)
		return NULL;
	dev->offset = offset;
	dev->partition_size = partition_size;
	return dev;
}

void vmfs_device_free(vmfs_device *dev)
{
	if (!dev)
		return;
	free(dev->volumes);
	free(dev->extents);
	free(dev);
}

bool vmfs_device_has_errors(const vmfs_device *dev)
{
	return vmfs_findings_count(&dev->findings, VMFS_SEVERITY_ERROR) > 0;
}

/* Section 2.3 and 3.1: sizes and offsets that everything else relies on. */
static bool check_header(vmfs_source *src, vmfs_device *dev)
{
	const vmfs_lvm_header *h = &dev->lvm;
	const uint64_t hdr = dev->header_offset;
	bool usable = true;

	if (h->disk_block_size != 512 && h->disk_block_size != 4096) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "disk-block-size",
				  hdr + VMFS_LVM_OFF_DISK_BLOCK_SIZE,
				  "LVM diskBlockSize is %" PRIu32 ", expected 512 or 4096", h->disk_block_size);
	}
	if (h->total_bytes <= VMFS_LVM_HEADER_OFFSET) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "total-bytes-invalid",
				  hdr + VMFS_LVM_OFF_TOTAL_BYTES,
				  "LVM totalBytes %" PRIu64 " is smaller than the header offset itself", h->total_bytes);
		usable = false;
	} else if (h->disk_block_size && h->total_bytes % h->disk_block_size) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "total-bytes-unaligned",
				  hdr + VMFS_LVM_OFF_TOTAL_BYTES,
				  "LVM totalBytes %" PRIu64 " is not a multiple of the %" PRIu32 "-byte block size",
				  h->total_bytes, h->disk_block_size);
	}
	uint64_t available = vmfs_source_size(src) - dev->offset;
	if (h->total_bytes > available) {
		/* A copy that stopped early, not damaged metadata: both sizes, and
		 * what it means for a repair (format reference 2.3). */
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "truncated",
				  hdr + VMFS_LVM_OFF_TOTAL_BYTES,
				  "the image ends before the volume does: the LVM header says the device is %" PRIu64
				  " bytes from " HEX " (to " HEX "), but only %" PRIu64 " bytes exist from " HEX
				  " to the end of the source (" HEX " bytes): a copy that stopped early; a partition "
				  "table cannot be written to it",
				  h->total_bytes, dev->offset, dev->offset + h->total_bytes, available, dev->offset,
				  vmfs_source_size(src));
	}
	if (dev->partition_size && dev->partition_size < h->total_bytes) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "partition-smaller-than-lvm",
				  hdr + VMFS_LVM_OFF_TOTAL_BYTES,
				  "the partition at 0x%" PRIx64 " is %" PRIu64 " bytes, smaller than the LVM totalBytes %" PRIu64
				  " (%" PRIu64 " bytes of the volume lie outside it)",
				  dev->offset, dev->partition_size, h->total_bytes,
				  h->total_bytes - dev->partition_size);
	} else if (dev->partition_size && dev->partition_size > h->total_bytes) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "partition-larger-than-lvm",
				  hdr + VMFS_LVM_OFF_TOTAL_BYTES,
				  "the partition at 0x%" PRIx64 " is %" PRIu64 " bytes, larger than the LVM totalBytes %" PRIu64
				  " (grown partition, or a table from another volume)",
				  dev->offset, dev->partition_size, h->total_bytes);
	}
	if (h->data_offset < VMFS_LVM_HEADER_OFFSET + VMFS_LVM_HEADER_BLOCK ||
	    (h->total_bytes > VMFS_LVM_HEADER_OFFSET && h->data_offset >= h->total_bytes)) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "data-offset-invalid",
				  hdr + VMFS_LVM_OFF_DATA_OFFSET,
				  "LVM dataOffset " HEX " lies outside the device (header at 0x100000, %" PRIu64 " bytes)",
				  h->data_offset, h->total_bytes);
		usable = false;
	}
	if (!vmfs_uuid_is_zero(&h->locked_by)) {
		char text[VMFS_UUID_TEXT_LEN + 1];
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "lvm-locked", hdr + VMFS_LVM_OFF_LOCKED_BY,
				  "LVM lock held by host %s", vmfs_uuid_format(&h->locked_by, text));
	}
	return usable;
}

static vmfs_status read_volume_table(vmfs_source *src, vmfs_device *dev, vmfs_error *err)
{
	const vmfs_lvm_header *h = &dev->lvm;
	uint32_t count = h->num_volumes;
	vmfs_status io = VMFS_OK;
	if (count > dev->layout.max_volumes) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "count-exceeds-maximum",
				  dev->header_offset + VMFS_LVM_OFF_NUM_VOLUMES,
				  "numVolumes %" PRIu32 " exceeds the maximum of %" PRIu32 " for LVM%" PRIu32
				  "; reading %" PRIu32, count, dev->layout.max_volumes, h->major, dev->layout.max_volumes);
		count = dev->layout.max_volumes;
	}
	if (count == 0) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "no-volumes",
				  dev->header_offset + VMFS_LVM_OFF_NUM_VOLUMES, "numVolumes is 0: the device holds no volume");
		return VMFS_OK;
	}
	dev->volumes = calloc(count, sizeof(*dev->volumes));
	uint8_t *entry = malloc(VMFS_LVM_VOLUME_ENTRY_SIZE);
	if (!dev->volumes || !entry) {
		free(entry);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	}
	for (uint32_t i = 0; i < count; i++) {
		uint64_t at = dev->offset + dev->layout.volume_table + (uint64_t)i * VMFS_LVM_VOLUME_ENTRY_SIZE;
		if (!read_struct(src, dev, at, entry, VMFS_LVM_VOLUME_ENTRY_SIZE, "volume table entry", &io, err))
			break;
		if (vmfs_volume_entry_is_empty(entry))
			continue;
		vmfs_volume_slot *slot = &dev->volumes[dev->num_volumes++];
		slot->index = i;
		slot->entry_offset = at;
		vmfs_volume_entry_decode(entry, &slot->entry);
		const vmfs_volume_entry *v = &slot->entry;
		char uuid_text[VMFS_UUID_TEXT_LEN + 1];
		vmfs_uuid_format(&v->lv_uuid, uuid_text);
		if (!v->name_terminated)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "name-unterminated",
					  at + VMFS_VOL_OFF_NAME,
					  "volume %" PRIu32 " name fills all %u bytes without a terminating NUL",
					  i, VMFS_VOL_NAME_SIZE);
		else if (strcmp(v->name, uuid_text) != 0)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "volume-name-mismatch",
					  at + VMFS_VOL_OFF_NAME,
					  "volume %" PRIu32 " name \"%s\" differs from its LV UUID %s", i, v->name, uuid_text);
		if (v->state != VMFS_VOL_STATE_NORMAL)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "volume-state",
					  at + VMFS_VOL_OFF_STATE, "volume %" PRIu32 " state is %" PRIu32 " (%s), not normal",
					  i, v->state, vmfs_volume_state_name(v->state));
		if (v->num_devs > VMFS_LVM_SD_ENTRIES || v->num_devs == 0)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "count-exceeds-maximum",
					  at + VMFS_VOL_OFF_NUM_DEVS,
					  "volume %" PRIu32 " numDevs %" PRIu32 " is outside 1..%u", i, v->num_devs,
					  VMFS_LVM_SD_ENTRIES);
		if (v->first_pe > v->last_pe)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "pe-range-invalid",
					  at + VMFS_VOL_OFF_FIRST_PE,
					  "volume %" PRIu32 " firstPE %" PRIu64 " is after lastPE %" PRIu64,
					  i, v->first_pe, v->last_pe);
	}
	free(entry);
	if (dev->num_volumes)
		dev->primary = &dev->volumes[0];
	else if (io == VMFS_OK && !vmfs_findings_has(&dev->findings, "truncated"))
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "volume-table-empty",
				  dev->offset + dev->layout.volume_table,
				  "numVolumes is %" PRIu32 " but every volume table entry is zero", h->num_volumes);
	return io;
}

static vmfs_status read_sd_table(vmfs_source *src, vmfs_device *dev, vmfs_error *err)
{
	const size_t len = (size_t)VMFS_LVM_SD_ENTRIES * VMFS_LVM_SD_ENTRY_SIZE;
	uint64_t at = dev->offset + dev->layout.sd_table;
	vmfs_status io = VMFS_OK;
	uint8_t *table = malloc(len);
	if (!table)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	if (read_struct(src, dev, at, table, len, "device-name (SD) table", &io, err)) {
		for (uint32_t i = 0; i < VMFS_LVM_SD_ENTRIES; i++) {
			const uint8_t *e = table + (size_t)i * VMFS_LVM_SD_ENTRY_SIZE;
			if (e[0] == 0)
				continue;
			vmfs_device_name *name = &dev->names[dev->num_names++];
			name->index = i;
			name->entry_offset = at + (uint64_t)i * VMFS_LVM_SD_ENTRY_SIZE;
			vmfs_sd_entry_decode(e, &name->sd);
			if (!name->sd.terminated)
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "name-unterminated",
						  name->entry_offset,
						  "device name %" PRIu32 " fills all %u bytes without a terminating NUL",
						  i, VMFS_LVM_SD_ENTRY_SIZE);
		}
	}
	free(table);
	return io;
}

/* Makes room for one more extent. The list grows with what is really in use,
 * never with a count read from disk. */
static bool grow_extents(vmfs_device *dev)
{
	if (dev->num_extents < dev->extents_capacity)
		return true;
	size_t capacity = dev->extents_capacity ? dev->extents_capacity * 2 : 16;
	vmfs_extent *grown = realloc(dev->extents, capacity * sizeof(*grown));
	if (!grown)
		return false;
	dev->extents = grown;
	dev->extents_capacity = capacity;
	return true;
}

/* Reads the PE maps of one metadata region (the main one at map_base 0, or an
 * extended region), adding used entries until `wanted` are collected. */
static vmfs_status read_pe_maps(vmfs_source *src, vmfs_device *dev, uint64_t region, uint32_t maps,
				uint32_t map_base, uint64_t wanted, uint8_t *bitmap, uint8_t *table,
				vmfs_error *err)
{
	const vmfs_lvm_layout *l = &dev->layout;
	const size_t table_len = (size_t)VMFS_LVM_PES_PER_MAP * VMFS_LVM_PE_ENTRY_SIZE;
	vmfs_status io = VMFS_OK;
	for (uint32_t m = 0; m < maps && dev->num_extents < wanted; m++) {
		uint64_t bitmap_at = region + l->pe_maps_rel + (uint64_t)m * l->pe_map_stride;
		uint64_t table_at = bitmap_at + l->bitmap_size;
		/* Only the first 1024 bytes (8192 bits) describe entries of a 1 MiB table. */
		if (!read_struct(src, dev, bitmap_at, bitmap, VMFS_LVM_PES_PER_MAP / 8, "PE bitmap", &io, err))
			return io;
		bool any = false;
		for (size_t i = 0; i < VMFS_LVM_PES_PER_MAP / 8; i++)
			any |= bitmap[i] != 0;
		if (!any)
			continue;
		if (!read_struct(src, dev, table_at, table, table_len, "PE table", &io, err))
			return io;
		for (uint32_t slot = 0; slot < VMFS_LVM_PES_PER_MAP; slot++) {
			if (!(bitmap[slot / 8] & (1u << (slot % 8))))
				continue;
			const uint8_t *e = table + (size_t)slot * VMFS_LVM_PE_ENTRY_SIZE;
			uint64_t entry_at = table_at + (uint64_t)slot * VMFS_LVM_PE_ENTRY_SIZE;
			if (e[VMFS_PE_OFF_USED] != 1) {
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "pe-bitmap-mismatch", entry_at,
						  "PE map %" PRIu32 " slot %" PRIu32 " is marked in the bitmap but its entry is not in use",
						  map_base + m, slot);
				continue;
			}
			if (dev->num_extents >= wanted) {
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "pe-count-mismatch", entry_at,
						  "more PE entries in use than numPEs %" PRIu32 "; the rest are ignored",
						  dev->lvm.num_pes);
				return VMFS_OK;
			}
			if (!grow_extents(dev))
				return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), entry_at,
						      "out of memory for PE entries");
			vmfs_extent *x = &dev->extents[dev->num_extents++];
			x->map = map_base + m;
			x->slot = slot;
			x->entry_offset = entry_at;
			vmfs_pe_entry_decode(e, &x->pe);
			uint64_t end;
			if (!add_u64(x->pe.p_offset, x->pe.length, &end) || end > dev->lvm.total_bytes ||
			    x->pe.p_offset < dev->lvm.data_offset) {
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "pe-outside-device", entry_at,
						  "PE %" PRIu32 " (pOffset " HEX ", length " HEX ") does not lie between the data "
						  "offset " HEX " and the device end " HEX,
						  x->pe.pe_id, x->pe.p_offset, x->pe.length, dev->lvm.data_offset,
						  dev->lvm.total_bytes);
			} else if (x->pe.length == 0) {
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "pe-empty", entry_at,
						  "PE %" PRIu32 " has length 0", x->pe.pe_id);
			}
		}
	}
	return io;
}

static vmfs_status read_extents(vmfs_source *src, vmfs_device *dev, vmfs_error *err)
{
	const vmfs_lvm_header *h = &dev->lvm;
	uint32_t main_maps = h->num_pe_maps == 0 ? 1 : h->num_pe_maps; /* section 11.8 */
	if (main_maps > VMFS_LVM_MAX_PE_MAPS) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "count-exceeds-maximum",
				  dev->header_offset + VMFS_LVM_OFF_NUM_PE_MAPS,
				  "numPEMaps %" PRIu32 " exceeds the maximum of %u; reading %u",
				  h->num_pe_maps, VMFS_LVM_MAX_PE_MAPS, VMFS_LVM_MAX_PE_MAPS);
		main_maps = VMFS_LVM_MAX_PE_MAPS;
	}

	/* Walk the extended-region chain first: it bounds how many PEs can exist. */
	uint64_t capacity = (uint64_t)main_maps * VMFS_LVM_PES_PER_MAP;
	uint64_t next = h->ext_metadata_offset, previous = VMFS_LVM_HEADER_OFFSET;
	vmfs_status io = VMFS_OK;
	uint8_t region_buf[VMFS_EXT_REGION_DEFINED];
	while (next && io == VMFS_OK) {
		if (dev->num_regions >= VMFS_MAX_EXT_REGIONS) {
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "count-exceeds-maximum", dev->offset + next,
					  "more than %u extended metadata regions; the rest are ignored", VMFS_MAX_EXT_REGIONS);
			break;
		}
		if (next <= previous || next >= h->total_bytes || next % 512) {
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "ext-region-invalid", dev->offset + previous,
					  "extended metadata region offset " HEX " is not a sector after " HEX
					  " inside the device", next, previous);
			break;
		}
		uint64_t at = dev->offset + next;
		if (!read_struct(src, dev, at, region_buf, sizeof(region_buf), "extended metadata region", &io, err))
			break;
		vmfs_region *r = &dev->regions[dev->num_regions];
		vmfs_error local;
		if (vmfs_ext_region_decode(region_buf, sizeof(region_buf), &r->header, &local) != VMFS_OK) {
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "ext-region-invalid", at, "%s", local.reason);
			break;
		}
		r->offset = at;
		if (r->header.num_pe_maps > VMFS_LVM_MAX_PE_MAPS) {
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "count-exceeds-maximum", at + 4,
					  "extended region numPEMaps %" PRIu32 " exceeds the maximum of %u",
					  r->header.num_pe_maps, VMFS_LVM_MAX_PE_MAPS);
			r->header.num_pe_maps = VMFS_LVM_MAX_PE_MAPS;
		}
		capacity += (uint64_t)r->header.num_pe_maps * VMFS_LVM_PES_PER_MAP;
		dev->num_regions++;
		previous = next;
		next = r->header.next_offset;
	}
	if (io != VMFS_OK)
		return io;

	uint64_t wanted = h->num_pes;
	if (wanted > capacity) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "count-exceeds-maximum",
				  dev->header_offset + VMFS_LVM_OFF_NUM_PES,
				  "numPEs %" PRIu32 " exceeds the %" PRIu64 " entries its PE maps can hold",
				  h->num_pes, capacity);
		wanted = capacity;
	}
	if (h->num_pes && h->last_pe_index >= capacity)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "count-exceeds-maximum",
				  dev->header_offset + VMFS_LVM_OFF_LAST_PE_INDEX,
				  "lastPEIndex %" PRIu32 " exceeds the %" PRIu64 " entries its PE maps can hold",
				  h->last_pe_index, capacity);
	if (wanted == 0)
		return VMFS_OK;

	size_t table_len = (size_t)VMFS_LVM_PES_PER_MAP * VMFS_LVM_PE_ENTRY_SIZE;
	uint8_t *bitmap = malloc(VMFS_LVM_PES_PER_MAP / 8);
	uint8_t *table = malloc(table_len);
	if (!bitmap || !table) {
		free(bitmap);
		free(table);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	}
	io = read_pe_maps(src, dev, dev->header_offset, main_maps, 0, wanted, bitmap, table, err);
	uint32_t map_base = main_maps;
	for (size_t r = 0; io == VMFS_OK && r < dev->num_regions; r++) {
		io = read_pe_maps(src, dev, dev->regions[r].offset, dev->regions[r].header.num_pe_maps, map_base,
				  wanted, bitmap, table, err);
		map_base += dev->regions[r].header.num_pe_maps;
	}
	free(bitmap);
	free(table);
	if (io == VMFS_OK && dev->num_extents < wanted && !vmfs_findings_has(&dev->findings, "truncated"))
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "pe-count-mismatch",
				  dev->header_offset + VMFS_LVM_OFF_NUM_PES,
				  "numPEs is %" PRIu32 " but %zu PE entries are in use", h->num_pes, dev->num_extents);
	return io;
}

vmfs_status vmfs_device_map_lv(const vmfs_device *dev, uint32_t volume_id, uint64_t lv_offset,
			       uint64_t *absolute, uint64_t *contiguous)
{
	for (size_t i = 0; i < dev->num_extents; i++) {
		const vmfs_pe_entry *pe = &dev->extents[i].pe;
		uint64_t end, abs;
		if (pe->volume_id != volume_id || !add_u64(pe->l_offset, pe->length, &end))
			continue;
		if (lv_offset < pe->l_offset || lv_offset >= end)
			continue;
		if (!add_u64(dev->offset, pe->p_offset, &abs) || !add_u64(abs, lv_offset - pe->l_offset, &abs))
			continue;
		*absolute = abs;
		if (contiguous)
			*contiguous = end - lv_offset;
		return VMFS_OK;
	}
	return VMFS_ERR_NOT_FOUND;
}

/* Extents by lOffset, ties in table order (the order the selection used). */
static int extent_order(const void *a, const void *b)
{
	const vmfs_extent *x = *(const vmfs_extent *const *)a, *y = *(const vmfs_extent *const *)b;
	if (x->pe.l_offset != y->pe.l_offset)
		return x->pe.l_offset < y->pe.l_offset ? -1 : 1;
	return x < y ? -1 : x > y;
}

/* Section 4.3: the LV is the concatenation of its extents sorted by lOffset.
 * A sorted list of pointers: up to VMFS_MAX_EXTENTS entries, so no quadratic
 * selection, and no sentinel value that an extent ending at 2^64 - 1 could
 * reach. */
static vmfs_status check_extent_map(vmfs_source *src, vmfs_device *dev, vmfs_error *err)
{
	const vmfs_volume_slot *vol = dev->primary;
	if (!vol || !dev->num_extents)
		return VMFS_OK;
	const vmfs_extent **order = malloc(dev->num_extents * sizeof(*order));
	if (!order)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	size_t n = 0;
	for (size_t i = 0; i < dev->num_extents; i++)
		if (dev->extents[i].pe.volume_id == vol->entry.volume_id)
			order[n++] = &dev->extents[i];
	qsort(order, n, sizeof(*order), extent_order);
	uint64_t expected = 0, total = 0;
	bool started = false;
	for (size_t i = 0; i < n; i++) {
		const vmfs_extent *x = order[i];
		if (started && x->pe.l_offset < expected)
			continue; /* overlaps the extent before it: not counted twice */
		if (started && x->pe.l_offset != expected) {
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "extent-map-hole", x->entry_offset,
					  "LV bytes " HEX ".." HEX " of volume %" PRIu32 " are not mapped on this device",
					  expected, x->pe.l_offset, vol->entry.volume_id);
		}
		total += x->pe.length;
		started = true;
		if (!add_u64(x->pe.l_offset, x->pe.length, &expected) || x->pe.length == 0)
			break;
	}
	free(order);
	if (vol->entry.num_devs == 1 && total != vol->entry.logical_size)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "logical-size-mismatch",
				  vol->entry_offset + VMFS_VOL_OFF_LOGICAL_SIZE,
				  "volume logicalSize %" PRIu64 " differs from the %" PRIu64 " bytes its extents map",
				  vol->entry.logical_size, total);
	return VMFS_OK;
}

static void check_descriptor(vmfs_device *dev)
{
	const vmfs_fs_descriptor *fs = &dev->fs;
	uint64_t at = dev->fs_offset;
	if (!fs->label_terminated)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "label-unterminated", at + VMFS_FS_OFF_LABEL,
				  "file-system label fills all %u bytes without a terminating NUL", VMFS_FS_LABEL_SIZE);
	if (fs->disk_block_size != 512 && fs->disk_block_size != 4096)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "disk-block-size", at + VMFS_FS_OFF_DISK_BLOCK_SIZE,
				  "descriptor diskBlockSize is %" PRIu32 ", expected 512 or 4096", fs->disk_block_size);
	if (fs->file_block_size == 0 || (fs->file_block_size & (fs->file_block_size - 1)))
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "block-size-invalid", at + VMFS_FS_OFF_FILE_BLOCK_SIZE,
				  "file block size %" PRIu64 " is not a power of two", fs->file_block_size);
	if (vmfs_fs_generation(fs) == 0)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "fs-version-unknown", at + VMFS_FS_OFF_MAJOR,
				  "descriptor major version %" PRIu32 " is none of 4 (VMFS3), 14 (VMFS5), 24 (VMFS6)", fs->major);
	if (vmfs_fs_checksum_status_of(fs) == VMFS_FS_CHECKSUM_UNVERIFIABLE)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "fs-checksum-unverifiable",
				  at + VMFS_FS_OFF_CHECKSUM_TYPE,
				  "descriptor carries a checksum (type %u), whose algorithm is not known (format reference 6): "
				  "it cannot be verified, and the descriptor must not be modified", fs->checksum_type);
	if (!dev->has_lvm || !dev->primary)
		return;
	const vmfs_volume_entry *v = &dev->primary->entry;
	if (!vmfs_uuid_equal(&fs->lv_uuid, &v->lv_uuid) || fs->lv_snap_id != v->snap_id) {
		char want[VMFS_UUID_TEXT_LEN + 1], got[VMFS_UUID_TEXT_LEN + 1];
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "descriptor-volume-mismatch",
				  at + VMFS_FS_OFF_VOLINFO_UUID,
				  "descriptor belongs to LVM volume %s snap %" PRIu32 ", but the volume table holds %s snap %" PRIu32,
				  vmfs_uuid_format(&fs->lv_uuid, got), fs->lv_snap_id,
				  vmfs_uuid_format(&v->lv_uuid, want), v->snap_id);
	}
	unsigned generation = vmfs_fs_generation(fs);
	if (generation && dev->lvm.major != 4 && generation != dev->lvm.major)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "version-mismatch", at + VMFS_FS_OFF_MAJOR,
				  "VMFS%u descriptor on an LVM%" PRIu32 " device", generation, dev->lvm.major);
	bool lvm_l = dev->lvm.flags & VMFS_LVM_FLAG_VMFS_L;
	bool fs_l = fs->magic == VMFS_FS_MAGIC_L || fs->magic == VMFS_FS_MAGIC_6L;
	if (lvm_l != fs_l)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "vmfs-l-mismatch", at + VMFS_FS_OFF_MAGIC,
				  "LVM header flags say %s but the descriptor magic says %s",
				  lvm_l ? "VMFS-L" : "VMFS", fs_l ? "VMFS-L" : "VMFS");
}

/* Reads and decodes a descriptor at dev->fs_offset. */
static vmfs_status read_descriptor(vmfs_source *src, vmfs_device *dev, vmfs_severity missing, vmfs_error *err)
{
	uint8_t buf[VMFS_FS_DESC_READ_SIZE];
	vmfs_status io = VMFS_OK;
	if (!read_struct(src, dev, dev->fs_offset, buf, sizeof(buf), "file-system descriptor", &io, err))
		return io;
	vmfs_error local;
	if (vmfs_fs_descriptor_decode(buf, sizeof(buf), &dev->fs, &local) != VMFS_OK) {
		vmfs_findings_add(&dev->findings, missing, "descriptor-missing", dev->fs_offset,
				  "no file-system descriptor at LV offset 0x200000 (magic 0x%08" PRIx32 ", expected 0x%08x)",
				  vmfs_le32(buf), VMFS_FS_MAGIC);
		return VMFS_OK;
	}
	dev->has_fs = true;
	check_descriptor(dev);
	return VMFS_OK;
}

static vmfs_status locate_descriptor(vmfs_source *src, vmfs_device *dev, vmfs_error *err)
{
	const vmfs_volume_slot *vol = dev->primary;
	if (!vol)
		return VMFS_OK;
	uint64_t abs;
	if (vmfs_device_map_lv(dev, vol->entry.volume_id, VMFS_FS_DESC_LV_OFFSET, &abs, NULL) != VMFS_OK) {
		if (vol->entry.first_pe != 0 || vol->entry.num_devs > 1)
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "descriptor-on-other-extent",
					  vol->entry_offset + VMFS_VOL_OFF_FIRST_PE,
					  "this device holds PEs %" PRIu64 "..%" PRIu64 " of a %" PRIu32
					  "-device volume; the descriptor (LV 0x200000) is on the device holding PE 0",
					  vol->entry.first_pe, vol->entry.last_pe, vol->entry.num_devs);
		else if (!vmfs_findings_has(&dev->findings, "truncated"))
			vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "descriptor-unmapped",
					  dev->header_offset + VMFS_LVM_OFF_NUM_PES,
					  "no physical extent maps LV offset 0x200000, where the descriptor lives");
		return VMFS_OK;
	}
	dev->fs_offset = abs;
	dev->fs_located = true;
	return read_descriptor(src, dev, VMFS_SEVERITY_ERROR, err);
}

static void check_spanning(vmfs_device *dev)
{
	const vmfs_volume_slot *vol = dev->primary;
	if (vol && vol->entry.num_devs > 1 && vol->entry.num_devs <= VMFS_LVM_SD_ENTRIES)
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "spanned-volume",
				  vol->entry_offset + VMFS_VOL_OFF_NUM_DEVS,
				  "volume spans %" PRIu32 " devices; this one holds PEs %" PRIu64 "..%" PRIu64,
				  vol->entry.num_devs, vol->entry.first_pe, vol->entry.last_pe);
}

vmfs_status vmfs_device_read(vmfs_source *src, uint64_t offset, uint64_t partition_size,
			     vmfs_device **out, vmfs_error *err)
{
	*out = NULL;
	uint64_t header_at;
	if (!add_u64(offset, VMFS_LVM_HEADER_OFFSET, &header_at) || !vmfs_source_contains(src, header_at, 4))
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, vmfs_source_path(src), header_at,
				      "no LVM device header: the source ends before offset " HEX, header_at);
	uint8_t buf[VMFS_LVM_HEADER_DEFINED] = { 0 };
	uint64_t avail = vmfs_source_size(src) - header_at;
	size_t len = avail < sizeof(buf) ? (size_t)avail : sizeof(buf);
	vmfs_status st = vmfs_source_read(src, header_at, buf, len, err);
	if (st != VMFS_OK)
		return st;
	if (vmfs_le32(buf) != VMFS_LVM_MAGIC)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, vmfs_source_path(src), header_at,
				      "no LVM device header: magic 0x%08" PRIx32 ", expected 0x%08x",
				      vmfs_le32(buf), VMFS_LVM_MAGIC);

	vmfs_device *dev = device_new(offset, partition_size);
	if (!dev)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	dev->has_lvm = true;
	dev->header_offset = header_at;
	/* A header cut short by the end of the source is decoded zero-padded so the
	 * fields that exist can still be shown; the finding says so. */
	vmfs_lvm_header_decode(buf, sizeof(buf), &dev->lvm, NULL);
	if (len < sizeof(buf))
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR, "truncated", header_at + len,
				  "LVM device header cut short: %zu of %u bytes present", len, VMFS_LVM_HEADER_DEFINED);

	vmfs_error layout_err;
	st = VMFS_OK;
	bool usable = check_header(src, dev) && len == sizeof(buf);
	if (vmfs_lvm_layout_compute(&dev->lvm, &dev->layout, &layout_err) != VMFS_OK) {
		vmfs_findings_add(&dev->findings, VMFS_SEVERITY_ERROR,
				  layout_err.offset == VMFS_LVM_OFF_MAJOR ? "lvm-version-unknown" : "md-alignment-invalid",
				  header_at + layout_err.offset, "%s", layout_err.reason);
		usable = false;
	} else {
		dev->has_layout = true;
	}
	if (usable) {
		st = read_volume_table(src, dev, err);
		if (st == VMFS_OK)
			st = read_sd_table(src, dev, err);
		if (st == VMFS_OK)
			st = read_extents(src, dev, err);
		if (st == VMFS_OK)
			st = check_extent_map(src, dev, err);
		if (st == VMFS_OK) {
			check_spanning(dev);
			st = locate_descriptor(src, dev, err);
		}
	}
	if (st != VMFS_OK) {
		vmfs_device_free(dev);
		return st;
	}
	*out = dev;
	return VMFS_OK;
}

vmfs_status vmfs_device_read_lv_image(vmfs_source *src, uint64_t offset, vmfs_device **out,
				      vmfs_error *err)
{
	*out = NULL;
	uint64_t at;
	uint8_t magic[4];
	if (!add_u64(offset, VMFS_FS_DESC_LV_OFFSET, &at) || !vmfs_source_contains(src, at, sizeof(magic)))
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, vmfs_source_path(src), at,
				      "no file-system descriptor: the source ends before offset " HEX, at);
	vmfs_status st = vmfs_source_read(src, at, magic, sizeof(magic), err);
	if (st != VMFS_OK)
		return st;
	if (!vmfs_fs_magic_known(vmfs_le32(magic)))
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, vmfs_source_path(src), at,
				      "no file-system descriptor: magic 0x%08" PRIx32 ", expected 0x%08x",
				      vmfs_le32(magic), VMFS_FS_MAGIC);
	vmfs_device *dev = device_new(offset, 0);
	if (!dev)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(src), VMFS_NO_OFFSET, "out of memory");
	dev->fs_offset = at;
	dev->fs_located = true;
	st = read_descriptor(src, dev, VMFS_SEVERITY_ERROR, err);
	if (st != VMFS_OK) {
		vmfs_device_free(dev);
		return st;
	}
	vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "lv-image", at,
			  "the source is a logical-volume image or a copy of .vh.sf: descriptor at 2 MiB, no LVM header");
	*out = dev;
	return VMFS_OK;
}
