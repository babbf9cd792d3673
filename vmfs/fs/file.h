/* Files of an open file system: open by FD address or by path, decoded FD
 * (vmfs/fs/fd.h), data reads for every ZLA of the format reference
 * vmfs-fs-layer.md section 6 (resident, FB/SFB, SB, PB, PB2, double
 * indirect, VMFS6 LFB), and a segment query that tells data from holes so
 * that an extractor can write sparse files.
 *
 * Every address, index and size is checked (8.2): an address outside the
 * volume, a pointer block of the wrong type, an index past an array, a file
 * length past 64 TiB or the ZLA's capacity is an error naming the path, the
 * FD address and the source offset. Holes and to-be-zeroed blocks read as
 * zeros and are reported as holes; a TBZ block is never read from disk.
 * Memory per open file: its FD pointers and at most two cached pointer blocks. */
#ifndef VMFS_FS_FILE_H
#define VMFS_FS_FILE_H

#include "vmfs/core/error.h"
#include "vmfs/fs/fd.h"
#include "vmfs/fs/fs.h"
#include "vmfs/source/source.h"

#include <stddef.h>
#include <stdint.h>

#define VMFS_PATH_MAX 1024u

typedef struct vmfs_file vmfs_file;

/* Opens the FD at address fd_address (type 4). path is what errors name
 * (may be NULL). Checks the FD (8.2: lock magic, descAddr, lock addr, type,
 * block size, length against 64 TiB and the ZLA's capacity). */
vmfs_status vmfs_file_open(vmfs_fs *fs, uint32_t fd_address, const char *path, vmfs_file **out,
			   vmfs_error *err);
void vmfs_file_close(vmfs_file *file);

const vmfs_fd *vmfs_file_fd(const vmfs_file *file);
uint32_t vmfs_file_address(const vmfs_file *file);
/* LV offset of the FD. */
uint64_t vmfs_file_fd_lv(const vmfs_file *file);
const char *vmfs_file_path(const vmfs_file *file);

/* Reads up to len bytes at offset; *got < len only at the end of the file. */
vmfs_status vmfs_file_read(vmfs_file *file, uint64_t offset, void *buf, size_t len, size_t *got,
			   vmfs_error *err);

typedef enum vmfs_segment_kind {
	VMFS_SEGMENT_DATA,   /* bytes at source / offset */
	VMFS_SEGMENT_HOLE,   /* no block allocated: zeros */
	VMFS_SEGMENT_TBZ,    /* block allocated but to be zeroed: zeros, never read */
} vmfs_segment_kind;

typedef struct vmfs_segment {
	uint64_t start, length;    /* file bytes [start, start + length) */
	vmfs_segment_kind kind;
	uint64_t lv;               /* DATA: LV offset of the first byte */
	vmfs_source *source;       /* DATA: where the bytes are */
	uint64_t source_offset;
} vmfs_segment;

/* The segment holding file byte offset (< length): contiguous data in one
 * extent of one source, or a run of holes / TBZ blocks, at most max_length
 * bytes (0 = no limit beyond the file). Resident data is DATA inside the FD. */
vmfs_status vmfs_file_segment(vmfs_file *file, uint64_t offset, uint64_t max_length, vmfs_segment *seg,
			      vmfs_error *err);

#endif
