/* The file descriptor (inode) and the on-disk lock record that starts every
 * FD and every resource-cluster metadata record (format reference
 * vmfs-fs-layer.md sections 4 and 7.2). Pure decoders over the FD bytes. */
#ifndef VMFS_FS_FD_H
#define VMFS_FS_FD_H

#include "vmfs/fs/geometry.h"
#include "vmfs/format/vmware_uuid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_LOCK_MAGIC_FD 0x10C00001u /* 7.2; resource clusters use 0x10C00001 + type (3.4) */
#define VMFS_LOCK_RECORD_SIZE 0x44u    /* decoded bytes: up to numHolders */
#define VMFS_ROOT_FD_ADDR 0x00000004u  /* 3.1 */

/* 7.2 lock record offsets. */
enum vmfs_lock_offset {
	VMFS_LOCK_OFF_MAGIC = 0x00,
	VMFS_LOCK_OFF_ADDR = 0x04,
	VMFS_LOCK_OFF_HB_ADDR = 0x0C,
	VMFS_LOCK_OFF_HB_GEN = 0x14,
	VMFS_LOCK_OFF_TOKEN = 0x1C,
	VMFS_LOCK_OFF_MODE = 0x24,
	VMFS_LOCK_OFF_OWNER = 0x28,
	VMFS_LOCK_OFF_MTIME = 0x38,
	VMFS_LOCK_OFF_NUM_HOLDERS = 0x40,
};

typedef struct vmfs_lock_record {
	uint32_t magic;
	uint64_t addr;        /* LV offset of the record itself */
	uint64_t hb_addr;     /* heartbeat slot of the last locker */
	uint64_t hb_gen;
	uint64_t token;
	uint32_t mode;        /* 0 none; ESXi: 1 exclusive, 2 read-only, 3 multi-writer (PRACTICE) */
	vmfs_uuid owner;      /* zero when unlocked */
	uint64_t mtime;
	uint32_t num_holders;
} vmfs_lock_record;

/* buf holds at least VMFS_LOCK_RECORD_SIZE bytes. */
void vmfs_lock_record_decode(const uint8_t *buf, vmfs_lock_record *out);
/* 7.2: held when mode != 0 or the owner is set. */
bool vmfs_lock_record_held(const vmfs_lock_record *lock);

/* 4.2: file-metadata offsets, relative to the metadata start. */
enum vmfs_fd_offset {
	VMFS_FD_OFF_DESC_ADDR = 0x00,
	VMFS_FD_OFF_GENERATION = 0x04,
	VMFS_FD_OFF_LINK_COUNT = 0x08,
	VMFS_FD_OFF_TYPE = 0x0C,
	VMFS_FD_OFF_FLAGS = 0x10,
	VMFS_FD_OFF_LENGTH = 0x14,
	VMFS_FD_OFF_BLOCK_SIZE = 0x1C,
	VMFS_FD_OFF_NUM_BLOCKS = 0x24,
	VMFS_FD_OFF_MTIME = 0x2C,
	VMFS_FD_OFF_CTIME = 0x30,
	VMFS_FD_OFF_ATIME = 0x34,
	VMFS_FD_OFF_UID = 0x38,
	VMFS_FD_OFF_GID = 0x3C,
	VMFS_FD_OFF_MODE = 0x40,
	VMFS_FD_OFF_ZLA = 0x44,
	VMFS_FD_OFF_TBZ_LO = 0x48,
	VMFS_FD_OFF_COW_LO = 0x4C,
	VMFS_FD_OFF_TBZ_HI = 0x54,
	VMFS_FD_OFF_COW_HI = 0x58,
	VMFS_FD_OFF_NUM_PBS = 0x5C,
	VMFS_FD_OFF_SIGNATURE = 0x64,
	VMFS_FD_OFF_AFFINITY_FD = 0x68,
	VMFS_FD_OFF_TBZ_GRAN_SHIFT = 0x6C,
	VMFS_FD_OFF_PARENT_FD = 0x70,
	VMFS_FD_OFF_BLOCK_OFFSET_SHIFT = 0x89,
	VMFS_FD_OFF_NUM_LFB = 0x8C,
};

/* 4.2: FD types. */
enum vmfs_fd_type {
	VMFS_FD_VOLUME = 1,
	VMFS_FD_DIR = 2,
	VMFS_FD_FILE = 3,
	VMFS_FD_SYMLINK = 4,
	VMFS_FD_SYSFILE = 5,
	VMFS_FD_RDM = 6,
};

/* 4.3: zero-level address types. */
enum vmfs_zla {
	VMFS_ZLA_FB = 1,
	VMFS_ZLA_SB = 2,
	VMFS_ZLA_PB = 3,
	VMFS_ZLA_PB2 = 5,
	VMFS_ZLA_DOUBLE = 0x10D0,
	VMFS_ZLA_RESIDENT = 0x10D1,
};

typedef struct vmfs_fd {
	vmfs_lock_record lock;
	uint32_t desc_addr;
	uint32_t generation;
	uint32_t link_count;
	uint32_t type;
	uint32_t flags;
	uint64_t length;
	uint64_t block_size;
	uint64_t num_blocks;
	uint32_t mtime, ctime, atime;
	uint32_t uid, gid;
	uint32_t mode;          /* as stored: S_IFMT bits usually absent (see vmfs_fd_st_mode) */
	uint32_t zla;
	uint64_t num_tbz_blocks;
	uint64_t num_cow_blocks;
	uint32_t num_pointer_blocks;
	uint32_t signature;     /* VMFS6 0x66646D64 */
	uint32_t affinity_fd;
	uint32_t tbz_granularity_shift;
	uint32_t parent_fd;
	uint8_t block_offset_shift;
	uint32_t num_lfb;
} vmfs_fd;

/* buf holds g->fd_size bytes. */
void vmfs_fd_decode(const uint8_t *buf, const vmfs_fs_geometry *g, vmfs_fd *out);
/* The POSIX mode with S_IFMT derived from the type where absent (4.2). */
uint32_t vmfs_fd_st_mode(const vmfs_fd *fd);
/* True when the FD is a directory: type 2, or a system file with S_IFDIR (4.4). */
bool vmfs_fd_is_dir(const vmfs_fd *fd);
/* "volume", "dir", "file", "symlink", "sysfile", "rdm" or "unknown". */
const char *vmfs_fd_type_name(uint32_t type);
/* "FB", "SB", "PB", "PB2", "double", "resident" or NULL. */
const char *vmfs_zla_name(uint32_t zla);

#endif
