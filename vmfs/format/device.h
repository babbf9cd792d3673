/* One VMFS LVM device (a partition or extent) as found in a source: its
 * header, volume table, device-name table, physical extents, extended
 * metadata regions and the file-system descriptor reached through the extent
 * map, plus the findings of the consistency checks (format reference 2.3, 3,
 * 4 and 5). A device can also be a bare LV image (.vh.sf copy): then only the
 * descriptor is present. */
#ifndef VMFS_DEVICE_H
#define VMFS_DEVICE_H

#include "vmfs/core/error.h"
#include "vmfs/core/finding.h"
#include "vmfs/format/fsdesc.h"
#include "vmfs/format/lvm.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_MAX_EXT_REGIONS 16u
/* Upper bound on the PE entries a device can describe: 8 maps of 8192 in the
 * main region and in each extended region (section 4.0, 4.5). */
#define VMFS_MAX_EXTENTS (VMFS_LVM_MAX_PE_MAPS * VMFS_LVM_PES_PER_MAP * (1u + VMFS_MAX_EXT_REGIONS))

typedef struct vmfs_extent {
	uint32_t map;            /* PE map number: main region 0..7, then regions */
	uint32_t slot;           /* entry index inside the map */
	uint64_t entry_offset;   /* absolute offset of the 128-byte entry */
	vmfs_pe_entry pe;
} vmfs_extent;

typedef struct vmfs_volume_slot {
	uint32_t index;          /* position in the volume table */
	uint64_t entry_offset;   /* absolute offset of the 512-byte entry */
	vmfs_volume_entry entry;
} vmfs_volume_slot;

typedef struct vmfs_device_name {
	uint32_t index;
	uint64_t entry_offset;
	vmfs_sd_entry sd;
} vmfs_device_name;

typedef struct vmfs_region {
	uint64_t offset;         /* absolute offset of the region header */
	vmfs_ext_region header;
} vmfs_region;

typedef struct vmfs_device {
	uint64_t offset;          /* absolute offset of the partition (device) start */
	uint64_t partition_size;  /* bytes, 0 when no partition entry describes it */
	size_t partition_number;  /* 0 when not from the partition table */
	bool in_partition_table;

	bool has_lvm;
	uint64_t header_offset;   /* absolute */
	vmfs_lvm_header lvm;
	bool has_layout;
	vmfs_lvm_layout layout;

	vmfs_volume_slot *volumes;
	size_t num_volumes;
	const vmfs_volume_slot *primary; /* first non-empty entry, or NULL */

	vmfs_device_name names[VMFS_LVM_SD_ENTRIES];
	size_t num_names;

	vmfs_extent *extents;     /* PE entries in use, in table order */
	size_t num_extents;
	size_t extents_capacity;
	vmfs_region regions[VMFS_MAX_EXT_REGIONS];
	size_t num_regions;

	bool has_fs;
	uint64_t fs_offset;       /* absolute offset of the descriptor (also set when absent) */
	bool fs_located;          /* fs_offset is meaningful */
	vmfs_fs_descriptor fs;

	vmfs_findings findings;
} vmfs_device;

/* Decodes the device whose partition starts at absolute offset `offset`.
 * partition_size is the partition entry's length in bytes (0 = unknown).
 * Returns VMFS_ERR_NOT_FOUND (err says what was there) when no LVM header
 * magic sits at offset + 1 MiB. Once the magic is found every problem becomes
 * a finding and VMFS_OK is returned; only I/O and memory errors still fail.
 * On VMFS_OK the caller owns *out and frees it with vmfs_device_free(). */
vmfs_status vmfs_device_read(vmfs_source *src, uint64_t offset, uint64_t partition_size,
			     vmfs_device **out, vmfs_error *err);

/* Decodes a bare file-system descriptor at absolute offset fs_offset (an LV
 * image or a copy of .vh.sf has it at 2 MiB). VMFS_ERR_NOT_FOUND when the magic
 * is not a descriptor magic. */
vmfs_status vmfs_device_read_lv_image(vmfs_source *src, uint64_t offset, vmfs_device **out,
				      vmfs_error *err);

void vmfs_device_free(vmfs_device *dev);

/* Maps LV offset lv_offset of volume volume_id to an absolute source offset
 * through this device's extents (section 4.3). VMFS_ERR_NOT_FOUND when no
 * extent of this device covers it. *contiguous receives the bytes available
 * from there to the end of the covering extent. */
vmfs_status vmfs_device_map_lv(const vmfs_device *dev, uint32_t volume_id, uint64_t lv_offset,
			       uint64_t *absolute, uint64_t *contiguous);

/* Severity-error findings present? */
bool vmfs_device_has_errors(const vmfs_device *dev);

#endif
