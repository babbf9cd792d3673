/* Private to vmfs/fs/: the structures behind the opaque handles. Not
 * installed. */
#ifndef VMFS_FS_INTERNAL_H
#define VMFS_FS_INTERNAL_H

#include "vmfs/fs/file.h"
#include "vmfs/fs/fs.h"

#include <stdbool.h>
#include <stdint.h>

/* 2.3: resolution through resource files ends after two levels on real
 * volumes (VMFS6 SB -> .sbc.sf -> PB2 in .pb2.sf); anything deeper is a
 * cycle in the data. */
#define VMFS_FS_MAX_DEPTH 3

struct vmfs_fs {
	vmfs_fs_member members[VMFS_FS_MAX_MEMBERS];
	uint32_t volume_id[VMFS_FS_MAX_MEMBERS];
	bool bare[VMFS_FS_MAX_MEMBERS];       /* an LV image: no LVM header */
	uint64_t bare_base[VMFS_FS_MAX_MEMBERS];
	size_t count;
	const char *path;                     /* the descriptor member's source path */
	uint64_t desc_offset;                 /* its source offset */
	vmfs_fs_descriptor desc;
	vmfs_fs_geometry geo;
	uint64_t lv_size;
	vmfs_file *res[VMFS_RES_COUNT];
	vmfs_res_header hdr[VMFS_RES_COUNT];
	bool has_res[VMFS_RES_COUNT];         /* items can be read (resources of a size) */
	bool has_hdr[VMFS_RES_COUNT];         /* a checked header with resources (bitmap-only .fbb.sf too) */
	int opening;                          /* resource file being opened, or -1 */
	uint32_t sfb_per_cluster;             /* 2.2: R of the SFB (child) header */
};

struct vmfs_file {
	vmfs_fs *fs;
	uint32_t address;
	uint64_t fd_lv;
	vmfs_fd fd;
	char path[VMFS_PATH_MAX];
	uint8_t *raw;                         /* the FD bytes (geometry fd_size) */
	uint64_t pb_key[2];                   /* cached pointer blocks per level (raw address + 1) */
	uint8_t *pb[2];
};

/* Opens the FD read at LV offset lv (bootstrap) or, when lv is UINT64_MAX,
 * found through .fdc.sf. */
vmfs_status vmfs_fs_file_open_at(vmfs_fs *fs, uint32_t address, uint64_t lv, const char *path, vmfs_file **out,
				 vmfs_error *err);
/* Exact read of file bytes (error when past the end), at a resolution depth. */
vmfs_status vmfs_fs_file_read_exact(vmfs_file *file, uint64_t offset, void *buf, size_t len, int depth,
				    vmfs_error *err);
/* LV offset of item (cluster, resource) of a resource file, whose
 * resourceSize bytes are contiguous in the LV. */
vmfs_status vmfs_fs_item_lv(vmfs_fs *fs, vmfs_fs_resource which, uint64_t cluster, uint32_t resource, int depth,
			    uint64_t *lv, vmfs_error *err);
/* vmfs_file_segment at a resolution depth: fails past VMFS_FS_MAX_DEPTH. */
vmfs_status vmfs_fs_file_segment_depth(vmfs_file *file, uint64_t offset, uint64_t max_length, vmfs_segment *seg,
				       int depth, vmfs_error *err);
/* Sets err to "<prefix>: <err's own reason>" with a new path and offset
 * (the old reason is copied first; err may be NULL). */
vmfs_status vmfs_fs_wrap(vmfs_error *err, vmfs_status st, const char *path, uint64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Source offset of an LV offset, or VMFS_NO_OFFSET. */
uint64_t vmfs_fs_source_offset(const vmfs_fs *fs, uint64_t lv);

#endif
