/* The sizes and offsets a reader needs, derived from the FS3 descriptor and
 * validated against the sanity limits of the format reference
 * (vmfs-fs-layer.md sections 1.3, 4.1, 4.3, 7.1 and 8.2) before any of them is
 * used as a divisor, shift or allocation size. */
#ifndef VMFS_FS_GEOMETRY_H
#define VMFS_FS_GEOMETRY_H

#include "vmfs/core/error.h"
#include "vmfs/format/fsdesc.h"

#include <stdbool.h>
#include <stdint.h>

#define VMFS_FS_MAX_FILE_LENGTH (64ull << 40) /* 6.6: refuse files over 64 TiB */

typedef struct vmfs_fs_geometry {
	bool v6;                 /* majorVersion >= 24 (0.1) */
	bool dense_sbpc;         /* config bit 0x4: SB resource bits 4..5 (2.1) */
	uint64_t fbs;            /* file block size (1.3) */
	uint64_t lfbs;           /* VMFS6 large file block size, = fbs before VMFS6 */
	uint32_t sbs;            /* sub-block size */
	uint32_t mda;            /* VMFS6 metadata alignment, 0 before VMFS6 */
	uint32_t fd_size;        /* 0x800 / 2 x MDA (4.1) */
	uint32_t lock_size;      /* lock record part of an FD: 512 / MDA (4.1) */
	uint32_t meta_off;       /* file metadata inside an FD: 0x200 / MDA */
	uint32_t resident_off;   /* resident data: 0x400 / MDA + 0x200 (6.1) */
	uint32_t resident_max;   /* 0x400 / MDA - 0x200 */
	uint32_t ptr_off;        /* pointer array (4.1) */
	uint32_t ptr_count;      /* 256 / 320 (MDA/16 when MDA > 4 KiB) */
	uint32_t ptr_width;      /* 4 / 8 */
	uint32_t ptrs_per_pb;    /* P: 1024 / max(8192, MDA/8) (4.3) */
	uint32_t cluster_meta;   /* H: cluster-metadata record size, 0x400 / 2 x MDA (3.3) */
	uint64_t fdc_lv;         /* LV offset of .fdc.sf (3.2) */
	uint64_t hb_lv;          /* heartbeat region (7.1) */
	uint32_t hb_slot_size;
	uint32_t hb_slots;
} vmfs_fs_geometry;

/* Derives and checks the geometry. On failure err names path and the source
 * offset desc_offset + the offending field's offset. */
vmfs_status vmfs_fs_geometry_init(const vmfs_fs_descriptor *desc, const char *path, uint64_t desc_offset,
				  vmfs_fs_geometry *out, vmfs_error *err);

#endif
