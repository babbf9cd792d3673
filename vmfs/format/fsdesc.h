/* The FS3 file-system descriptor at LV offset 2 MiB, which is also offset
 * 0x200000 of the .vh.sf system file (format reference section 5). */
#ifndef VMFS_FSDESC_H
#define VMFS_FSDESC_H

#include "vmfs/core/error.h"
#include "vmfs/core/field.h"
#include "vmfs/format/vmware_uuid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_FS_DESC_LV_OFFSET  0x200000u /* LV offset, section 5.1 */
#define VMFS_FS_DESC_DEFINED    0x16Fu    /* bytes with defined fields, section 5.2 */
#define VMFS_FS_DESC_READ_SIZE  0x200u    /* one sector is read and dumped */

/* Section 5.1 magics. 0x2FABF160/161 are known only as constants. */
#define VMFS_FS_MAGIC           0x2FABF15Eu
#define VMFS_FS_MAGIC_L         0x2FABF15Fu
#define VMFS_FS_MAGIC_6         0x2FABF160u
#define VMFS_FS_MAGIC_6L        0x2FABF161u

#define VMFS_FS_LABEL_SIZE      128u

enum vmfs_fs_desc_offset {
	VMFS_FS_OFF_MAGIC = 0x000,
	VMFS_FS_OFF_MAJOR = 0x004,
	VMFS_FS_OFF_MINOR = 0x008,
	VMFS_FS_OFF_UUID = 0x009,
	VMFS_FS_OFF_CONFIG = 0x019,
	VMFS_FS_OFF_LABEL = 0x01D,
	VMFS_FS_OFF_DISK_BLOCK_SIZE = 0x09D,
	VMFS_FS_OFF_FILE_BLOCK_SIZE = 0x0A1,
	VMFS_FS_OFF_CREATION_TIME = 0x0A9,
	VMFS_FS_OFF_SNAP_ID = 0x0AD,
	VMFS_FS_OFF_VOLINFO_UUID = 0x0B1,
	VMFS_FS_OFF_VOLINFO_SNAP_ID = 0x0C1,
	VMFS_FS_OFF_VOLINFO_PAD = 0x0C5,
	VMFS_FS_OFF_FDC_GROUP_OFFSET = 0x0D1,
	VMFS_FS_OFF_FDC_CLUSTERS_PER_GROUP = 0x0D5,
	VMFS_FS_OFF_SUB_BLOCK_SIZE = 0x0D9,
	VMFS_FS_OFF_MAX_JOURNAL_SLOTS = 0x0DD,
	VMFS_FS_OFF_PB2_VOL_ADDR = 0x0E1,
	VMFS_FS_OFF_PB2_FD_ADDR = 0x0E9,
	VMFS_FS_OFF_HOST_UUID = 0x0ED,
	VMFS_FS_OFF_GBL_GENERATION = 0x0FD,
	VMFS_FS_OFF_SDD_VOL_ADDR = 0x105,
	VMFS_FS_OFF_SDD_FD_ADDR = 0x10D,
	VMFS_FS_OFF_CHECKSUM_TYPE = 0x111,
	VMFS_FS_OFF_UNMAP_PRIORITY = 0x112,
	VMFS_FS_OFF_CHECKSUM_GEN = 0x118,
	VMFS_FS_OFF_CHECKSUM_VALUE = 0x120,
	VMFS_FS_OFF_CHECKSUM_VALUE_GEN = 0x128,
	VMFS_FS_OFF_PHYS_DISK_BLOCK_SIZE = 0x130,
	VMFS_FS_OFF_MD_ALIGNMENT = 0x134,
	VMFS_FS_OFF_SFB_TO_LFB_SHIFT = 0x138,
	VMFS_FS_OFF_PTR_BLOCK_SHIFT = 0x13E,
	VMFS_FS_OFF_SFB_ADDR_BITS = 0x140,
	VMFS_FS_OFF_TBZ_GRANULARITY = 0x144,
	VMFS_FS_OFF_JOURNAL_BLOCK_SIZE = 0x148,
	VMFS_FS_OFF_LEASE_INTERVAL_MS = 0x14C,
	VMFS_FS_OFF_RECLAIM_WINDOW_MS = 0x150,
	VMFS_FS_OFF_LOCAL_STAMP_US = 0x154,
	VMFS_FS_OFF_LOCAL_MOUNT_OWNER_MAC = 0x15C,
	VMFS_FS_OFF_UNMAP_METHOD = 0x162,
	VMFS_FS_OFF_UNMAP_BANDWIDTH = 0x163,
	VMFS_FS_OFF_UNMAP_BANDWIDTH_MIN = 0x167,
	VMFS_FS_OFF_UNMAP_BANDWIDTH_MAX = 0x16B,
};

/* Section 5.3: config bits with known names. Bits 0-1 are the access mode. */
#define VMFS_FS_CONFIG_MODE_MASK    0x3u
#define VMFS_FS_CONFIG_DENSE_SBPC   0x4u
#define VMFS_FS_CONFIG_MAINTENANCE  0x8u
#define VMFS_FS_CONFIG_LOCAL        0x100u
#define VMFS_FS_CONFIG_SHARED       0x400u
#define VMFS_FS_CONFIG_OSDATA       0x800u
#define VMFS_FS_CONFIG_VSAN         0x1000u

/* Section 6: the checksum algorithm is unknown, so a checksum can only be
 * reported as absent or present, never verified. */
typedef enum vmfs_fs_checksum_status {
	VMFS_FS_CHECKSUM_NONE,          /* type 0 and all checksum words 0 */
	VMFS_FS_CHECKSUM_UNVERIFIABLE,  /* something set: algorithm not known */
} vmfs_fs_checksum_status;

typedef struct vmfs_fs_descriptor {
	uint32_t magic;
	uint32_t major;
	uint8_t minor;
	vmfs_uuid uuid;
	uint32_t config;
	char label[VMFS_FS_LABEL_SIZE + 1];
	bool label_terminated;
	uint32_t disk_block_size;
	uint64_t file_block_size;
	uint32_t creation_time;
	uint32_t snap_id;
	vmfs_uuid lv_uuid;          /* volInfo: the LVM volume this file system lives on */
	uint32_t lv_snap_id;
	bool volinfo_pad_zero;
	uint32_t fdc_cluster_group_offset;
	uint32_t fdc_clusters_per_group;
	uint32_t sub_block_size;
	uint32_t max_journal_slots;
	uint64_t pb2_vol_addr;
	uint32_t pb2_fd_addr;
	vmfs_uuid host_uuid;
	uint64_t gbl_generation;
	uint64_t sdd_vol_addr;
	uint32_t sdd_fd_addr;
	uint8_t checksum_type;
	uint16_t unmap_priority;
	uint64_t checksum_gen;
	uint64_t checksum_value;
	uint64_t checksum_value_gen;
	uint32_t phys_disk_block_size;
	uint32_t md_alignment;
	uint16_t sfb_to_lfb_shift;
	uint16_t ptr_block_shift;
	uint16_t sfb_addr_bits;
	uint32_t tbz_granularity;
	uint32_t journal_block_size;
	uint32_t lease_interval_ms;
	uint32_t reclaim_window_ms;
	uint64_t local_stamp_us;
	uint8_t local_mount_owner_mac[6];
	uint8_t unmap_method;
	uint32_t unmap_bandwidth;
	uint32_t unmap_bandwidth_min;
	uint32_t unmap_bandwidth_max;
} vmfs_fs_descriptor;

/* True for the magics that can start a descriptor (5.1). */
bool vmfs_fs_magic_known(uint32_t magic);
/* "VMFS", "VMFS-L", "VMFS6 (constant)", ... or NULL. */
const char *vmfs_fs_magic_name(uint32_t magic);

/* Decodes buf (at least VMFS_FS_DESC_DEFINED bytes). VMFS_ERR_NOT_FOUND for an
 * unknown magic, VMFS_ERR_TRUNCATED when len is short. err->offset is relative
 * to buf. */
vmfs_status vmfs_fs_descriptor_decode(const uint8_t *buf, size_t len, vmfs_fs_descriptor *out,
				      vmfs_error *err);

/* "VMFS-3.31", "VMFS-5.81", "VMFS-6.82" (generation from the major version:
 * 4 -> 3, 14 -> 5, 24 -> 6, as in section 3.3); "VMFS-?.N" when unknown. */
char *vmfs_fs_version_string(const vmfs_fs_descriptor *fs, char *out, size_t len);
/* File-system generation (3, 5, 6) or 0 when the major version is unknown. */
unsigned vmfs_fs_generation(const vmfs_fs_descriptor *fs);
/* Access-mode name of config bits 0-1 (5.3): "private", "shared", "public". */
const char *vmfs_fs_mode_name(uint32_t config);
vmfs_fs_checksum_status vmfs_fs_checksum_status_of(const vmfs_fs_descriptor *fs);

extern const vmfs_field_map vmfs_fs_descriptor_map;

#endif
