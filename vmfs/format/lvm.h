/* The VMFS LVM device header and its tables (format reference sections 3 and 4).
 * Pure decoders: bytes in, structs out. Offsets are partition offsets unless a
 * name says otherwise. Validation against the source (sizes, counts, maxima)
 * happens in the device model (device.h), which reports findings. */
#ifndef VMFS_LVM_H
#define VMFS_LVM_H

#include "vmfs/core/error.h"
#include "vmfs/core/field.h"
#include "vmfs/core/text.h"
#include "vmfs/format/vmware_uuid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_LVM_MAGIC            0xC001D00Du
#define VMFS_LVM_HEADER_OFFSET    0x100000u /* partition offset, section 3 */
#define VMFS_LVM_HEADER_DEFINED   0xD6u     /* bytes with defined fields, section 3 */
#define VMFS_LVM_HEADER_BLOCK     512u      /* header block on LVM3/4/5; LVM6 uses mdAlignment */

/* Section 3.1: device header field offsets. */
enum vmfs_lvm_header_offset {
	VMFS_LVM_OFF_MAGIC = 0x00,
	VMFS_LVM_OFF_MAJOR = 0x04,
	VMFS_LVM_OFF_MINOR = 0x08,
	VMFS_LVM_OFF_DISK_ID = 0x0C,
	VMFS_LVM_OFF_DISK_BLOCK_SIZE = 0x5A,
	VMFS_LVM_OFF_TOTAL_BYTES = 0x5E,
	VMFS_LVM_OFF_NUM_VOLUMES = 0x66,
	VMFS_LVM_OFF_NUM_PES = 0x6A,
	VMFS_LVM_OFF_LAST_PE_INDEX = 0x6E,
	VMFS_LVM_OFF_GENERATION = 0x72,
	VMFS_LVM_OFF_DATA_OFFSET = 0x7A,
	VMFS_LVM_OFF_DEVICE_UUID = 0x82,
	VMFS_LVM_OFF_INIT_TIME = 0x92,
	VMFS_LVM_OFF_MOD_TIME = 0x9A,
	VMFS_LVM_OFF_LOCKED_BY = 0xA2,
	VMFS_LVM_OFF_LOCKED_WHEN = 0xB2,
	VMFS_LVM_OFF_UNKNOWN_BA = 0xBA,
	VMFS_LVM_OFF_NUM_PE_MAPS = 0xBE,
	VMFS_LVM_OFF_EXT_METADATA = 0xC2,
	VMFS_LVM_OFF_MD_ALIGNMENT = 0xCA,
	VMFS_LVM_OFF_NUM_PES6 = 0xCE,
	VMFS_LVM_OFF_FLAGS = 0xD2,
};

/* Section 3.2: SCSI disk identity block, offsets inside the 78-byte block. */
#define VMFS_DISK_ID_SIZE   78u
#define VMFS_DISK_ID_ID_MAX 44u
enum vmfs_disk_id_offset {
	VMFS_DISKID_OFF_TYPE = 0x00,
	VMFS_DISKID_OFF_LEN = 0x01,
	VMFS_DISKID_OFF_LUN = 0x02,
	VMFS_DISKID_OFF_DEVICE_TYPE = 0x04,
	VMFS_DISKID_OFF_SCSI_LEVEL = 0x05,
	VMFS_DISKID_OFF_VENDOR = 0x06,
	VMFS_DISKID_OFF_MODEL = 0x0E,
	VMFS_DISKID_OFF_REVISION = 0x1E,
	VMFS_DISKID_OFF_ID = 0x22,
};

/* diskID.type, the kind of id (section 3.2, numbering of the vml "uuid type"). */
enum vmfs_disk_id_type {
	VMFS_DISK_ID_PATH = 0,   /* mpx / vmhba path string */
	VMFS_DISK_ID_SERIAL = 1,
	VMFS_DISK_ID_NAA = 2,    /* VPD page 0x83 designator + 6 model bytes */
	VMFS_DISK_ID_SYMM = 3,
};

typedef struct vmfs_disk_id {
	uint8_t type;
	uint8_t len;          /* bytes of id in use, as stored (may exceed 44 on a damaged disk) */
	uint16_t lun;
	uint8_t device_type;
	uint8_t scsi_level;
	char vendor[9];       /* INQUIRY strings up to the first NUL, trailing spaces removed */
	char model[17];
	char revision[5];
	uint8_t id[VMFS_DISK_ID_ID_MAX];
} vmfs_disk_id;

/* Bit 0 of the header flags: VMFS-L (section 3.1, dissect only). */
#define VMFS_LVM_FLAG_VMFS_L 0x1u

typedef struct vmfs_lvm_header {
	uint32_t magic;
	uint32_t major;
	uint32_t minor;
	vmfs_disk_id disk_id;
	uint32_t disk_block_size;
	uint64_t total_bytes;
	uint32_t num_volumes;
	uint32_t num_pes;
	uint32_t last_pe_index;
	uint64_t generation;
	uint64_t data_offset;
	vmfs_uuid device_uuid;
	uint64_t init_time_us;
	uint64_t mod_time_us;
	vmfs_uuid locked_by;
	uint64_t locked_when_us;
	uint32_t unknown_ba;
	uint32_t num_pe_maps;   /* as stored; 0 means 1 (section 11.8) */
	uint64_t ext_metadata_offset;
	uint32_t md_alignment;
	uint32_t num_pes6;
	uint32_t flags;
} vmfs_lvm_header;

/* Decodes the header from buf (at least VMFS_LVM_HEADER_DEFINED bytes).
 * Returns VMFS_ERR_NOT_FOUND when the magic is wrong, VMFS_ERR_TRUNCATED when
 * len is too short; no other validation. err->offset is relative to buf. */
vmfs_status vmfs_lvm_header_decode(const uint8_t *buf, size_t len, vmfs_lvm_header *out,
				   vmfs_error *err);
void vmfs_disk_id_decode(const uint8_t *block, vmfs_disk_id *out);

/* Where the tables sit for a given header (section 4.0). */
typedef struct vmfs_lvm_layout {
	uint32_t header_block;      /* D: 512, or mdAlignment on LVM6 */
	uint32_t max_volumes;       /* V: 512, or 1 on LVM6 */
	uint64_t volume_table;      /* partition offset */
	uint64_t sd_table;          /* partition offset */
	uint32_t bitmap_size;       /* B */
	uint64_t pe_maps;           /* partition offset of PE bitmap #0 */
	uint64_t pe_map_stride;     /* bitmap #i = pe_maps + i * stride */
	uint64_t pe_maps_rel;       /* pe_maps relative to the header / a region start */
} vmfs_lvm_layout;

#define VMFS_LVM_MAX_PE_MAPS       8u     /* per metadata region, section 4.0 */
#define VMFS_LVM_PES_PER_MAP       8192u
#define VMFS_LVM_VOLUME_ENTRY_SIZE 512u
#define VMFS_LVM_SD_ENTRY_SIZE     256u
#define VMFS_LVM_SD_ENTRIES        32u
#define VMFS_LVM_PE_ENTRY_SIZE     128u
#define VMFS_LVM_PE_ENTRY_DEFINED  0x25u
#define VMFS_LVM_MAX_MD_ALIGNMENT  0x100000u /* sanity bound for LVM6 mdAlignment [INF] */

/* Fails with VMFS_ERR_FORMAT for an unknown major version or, on LVM6, an
 * mdAlignment that is not a power of two between 512 and 1 MiB. */
vmfs_status vmfs_lvm_layout_compute(const vmfs_lvm_header *hdr, vmfs_lvm_layout *out,
				    vmfs_error *err);

/* Section 4.1: volume table entry. */
enum vmfs_volume_entry_offset {
	VMFS_VOL_OFF_LOGICAL_SIZE = 0x00,
	VMFS_VOL_OFF_GENERATION = 0x08,
	VMFS_VOL_OFF_STATE = 0x10,
	VMFS_VOL_OFF_NAME = 0x14,
	VMFS_VOL_OFF_LV_UUID = 0x54,
	VMFS_VOL_OFF_SNAP_ID = 0x64,
	VMFS_VOL_OFF_CREATION_TIME = 0x68,
	VMFS_VOL_OFF_VOLUME_ID = 0x70,
	VMFS_VOL_OFF_NUM_PES = 0x74,
	VMFS_VOL_OFF_FIRST_PE = 0x78,
	VMFS_VOL_OFF_LAST_PE = 0x80,
	VMFS_VOL_OFF_MOD_TIME = 0x88,
	VMFS_VOL_OFF_NUM_DEVS = 0x90,
	VMFS_VOL_OFF_CONSUMED_PES = 0x110,
};
#define VMFS_VOL_NAME_SIZE 64u

enum vmfs_volume_state {
	VMFS_VOL_STATE_INVALID = 0,
	VMFS_VOL_STATE_NORMAL = 1,
	VMFS_VOL_STATE_RESIG_PENDING = 2,
	VMFS_VOL_STATE_RESIG_DONE = 3,
	VMFS_VOL_STATE_SENTINEL = 4,
};
const char *vmfs_volume_state_name(uint32_t state);

typedef struct vmfs_volume_entry {
	uint64_t logical_size;
	uint64_t generation;
	uint32_t state;
	char name[VMFS_VOL_NAME_SIZE + 1];
	bool name_terminated;   /* a NUL within the 64 bytes */
	vmfs_uuid lv_uuid;
	uint32_t snap_id;
	uint64_t creation_time_us;
	uint32_t volume_id;
	uint32_t num_pes;
	uint64_t first_pe;
	uint64_t last_pe;
	uint64_t mod_time_us;
	uint32_t num_devs;
	uint32_t consumed_pes;
} vmfs_volume_entry;

/* buf holds VMFS_LVM_VOLUME_ENTRY_SIZE bytes. */
void vmfs_volume_entry_decode(const uint8_t *buf, vmfs_volume_entry *out);
bool vmfs_volume_entry_is_empty(const uint8_t *buf);

/* Section 4.2: one SD (device-name) entry. */
typedef struct vmfs_sd_entry {
	char name[VMFS_LVM_SD_ENTRY_SIZE + 1];
	bool terminated;
} vmfs_sd_entry;
void vmfs_sd_entry_decode(const uint8_t *buf, vmfs_sd_entry *out);

/* Section 4.3: PE table entry. */
enum vmfs_pe_entry_offset {
	VMFS_PE_OFF_USED = 0x00,
	VMFS_PE_OFF_PE_ID = 0x01,
	VMFS_PE_OFF_VOLUME_ID = 0x05,
	VMFS_PE_OFF_P_OFFSET = 0x09,
	VMFS_PE_OFF_L_OFFSET = 0x11,
	VMFS_PE_OFF_LENGTH = 0x19,
	VMFS_PE_OFF_VERSION = 0x21,
};

typedef struct vmfs_pe_entry {
	uint8_t used;
	uint32_t pe_id;
	uint32_t volume_id;
	uint64_t p_offset;      /* partition offset of the PE's first byte */
	uint64_t l_offset;      /* LV offset of the PE's first byte */
	uint64_t length;
	uint32_t version;
} vmfs_pe_entry;
void vmfs_pe_entry_decode(const uint8_t *buf, vmfs_pe_entry *out);

/* Section 4.5: extended metadata region header. */
#define VMFS_EXT_REGION_DEFINED 0x18u
typedef struct vmfs_ext_region {
	uint32_t magic;
	uint32_t num_pe_maps;
	uint64_t data_offset;
	uint64_t next_offset;
} vmfs_ext_region;
vmfs_status vmfs_ext_region_decode(const uint8_t *buf, size_t len, vmfs_ext_region *out,
				   vmfs_error *err);

/* Field maps for annotated dumps. */
extern const vmfs_field_map vmfs_lvm_header_map;
extern const vmfs_field_map vmfs_volume_entry_map;
extern const vmfs_field_map vmfs_pe_entry_map;

#endif
