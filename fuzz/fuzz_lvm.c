/* libFuzzer harness: the LVM device header and its tables (format reference
 * 3 and 4) through the device model.
 *
 * The input is a chunk-form partition image (fuzz/common.h) whose offset 0 is
 * the partition start: vmfs_device_read then decodes the header at 1 MiB, the
 * layout, the volume table, the SD table, the PE bitmaps and tables, the
 * extended metadata chain and the descriptor through the extent map, and
 * every extent is looked up with vmfs_device_map_lv. Control bit 0 passes the
 * disk size as the partition size (else "unknown", 0); bit 1 also reads the
 * device at sector 128 (the ESX 3.x start).
 *
 * The pure decoders also run on the raw input bytes: the header decoder on
 * exactly the input (so a read past its end is caught), the others on a
 * zero-padded copy of the size they take. */
#include "fuzz/common.h"

#include "vmfs/format/device.h"
#include "vmfs/format/lvm.h"
#include "vmfs/discover/scan.h"

#include <stdlib.h>
#include <string.h>

static void decode_raw(const uint8_t *data, size_t size)
{
	vmfs_lvm_header hdr;
	vmfs_error err;
	if (vmfs_lvm_header_decode(data, size, &hdr, &err) == VMFS_OK) {
		vmfs_lvm_layout layout;
		(void)vmfs_lvm_layout_compute(&hdr, &layout, &err);
	}
	(void)vmfs_scan_header_plausible(data, size);

	uint8_t *buf = fuzz_padded_copy(data, size, VMFS_LVM_VOLUME_ENTRY_SIZE);
	if (!buf)
		return;
	vmfs_volume_entry vol;
	vmfs_volume_entry_decode(buf, &vol);
	(void)vmfs_volume_entry_is_empty(buf);
	(void)vmfs_volume_state_name(vol.state);
	vmfs_sd_entry sd;
	vmfs_sd_entry_decode(buf, &sd);
	vmfs_pe_entry pe;
	vmfs_pe_entry_decode(buf, &pe);
	vmfs_disk_id id;
	vmfs_disk_id_decode(buf, &id);
	free(buf);

	vmfs_ext_region region;
	(void)vmfs_ext_region_decode(data, size, &region, &err);
}

static void read_device(vmfs_source *src, uint64_t offset, uint64_t partition_size)
{
	vmfs_device *dev = NULL;
	vmfs_error err;
	if (vmfs_device_read(src, offset, partition_size, &dev, &err) != VMFS_OK)
		return;
	(void)vmfs_device_has_errors(dev);
	for (size_t i = 0; i < dev->num_extents; i++) {
		const vmfs_pe_entry *pe = &dev->extents[i].pe;
		uint64_t abs, contiguous;
		(void)vmfs_device_map_lv(dev, pe->volume_id, pe->l_offset, &abs, &contiguous);
		(void)vmfs_device_map_lv(dev, pe->volume_id, pe->l_offset + pe->length, &abs, NULL);
	}
	for (size_t i = 0; i < dev->num_volumes; i++) {
		uint64_t abs;
		(void)vmfs_device_map_lv(dev, dev->volumes[i].entry.volume_id, VMFS_FS_DESC_LV_OFFSET, &abs, NULL);
	}
	vmfs_device_free(dev);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_raw(data, size);

	uint16_t control = 0;
	vmfs_source *src = fuzz_disk_open(data, size, &control);
	if (!src)
		return 0;
	uint64_t disk = vmfs_source_size(src);
	read_device(src, 0, control & 1 ? disk : 0);
	if (control & 2)
		read_device(src, 128 * 512, 0);
	vmfs_source_close(src);
	return 0;
}
