/* Executing a change on a disk, the one way every writing tool does it
 * (style practices 7 and 8): the target opened exclusively, the bytes about
 * to be overwritten saved in an undo file and made durable before the first
 * byte changes, the new bytes written, fsynced and read back, and everything
 * put back from the undo record when anything fails afterwards.
 *
 * One vmfs_apply is one target (a file or block device). A change that spans
 * several targets (the members of a spanned volume) prepares every target
 * first, so that all undo files exist before any target is written:
 *
 *   vmfs_apply_open(&a[i], path, expected_size, tool, description)   each target
 *   vmfs_apply_add(&a[i], offset, old, new, len)                     each change
 *   vmfs_apply_prepare(&a[i], undo_path)                             each target
 *   vmfs_apply_write(&a[i])                                          each target
 *   ... the tool re-reads and verifies what it wrote ...
 *   on failure: vmfs_apply_rollback(&a[i]) for every target written
 *   vmfs_apply_close(&a[i])
 *
 * vmfs_apply_undo_file() is the `--undo FILE PATH` of every tool.
 *
 * Return convention: VMFS_OK, or the status also stored in *err (may be NULL)
 * with err->path naming the target (or the undo file for errors in it) and
 * err->offset the target offset concerned. Nothing is printed. */
#ifndef VMFS_APPLY_H
#define VMFS_APPLY_H

#include "vmfs/core/error.h"
#include "vmfs/repair/undo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_apply_stage {
	VMFS_APPLY_OPEN,       /* target open, changes being added */
	VMFS_APPLY_PREPARED,   /* undo file saved and fsynced; target untouched */
	VMFS_APPLY_WRITTEN,    /* new bytes written, fsynced, read back */
	VMFS_APPLY_ROLLED_BACK,
} vmfs_apply_stage;

typedef struct vmfs_apply {
	char path[1024];
	int fd;                  /* -1 when closed */
	bool block;              /* a block device (opened O_EXCL) */
	uint64_t size;           /* bytes, as the kernel reports it now */
	uint32_t sector_size;    /* logical sector size (512 for files unless set) */
	vmfs_undo undo;          /* old bytes captured by prepare, new bytes from add */
	uint8_t **expected_old;  /* per change: the bytes the plan was made from, or NULL */
	char undo_path[4096];
	vmfs_apply_stage stage;
} vmfs_apply;

/* Opens path for writing: O_EXCL on a block device (the kernel refuses while
 * it or one of its partitions is in use or mounted: "in use"), an exclusive
 * non-blocking flock on a regular file. Anything else is
 * VMFS_ERR_UNSUPPORTED. When expected_size is not 0 and the target's size
 * differs, VMFS_ERR_FORMAT ("refusing to write"). sector_size 0 = the
 * kernel's for a block device, 512 for a file. tool and description go into
 * the undo file (at most 32 and 128 bytes, no control characters). On
 * failure nothing stays open.
 * Unless force, refuses (VMFS_ERR_UNSUPPORTED, the holder named in the
 * reason) a regular file attached to a loop device, mounted, or without write
 * permission (mode bits, even for root), and a block device mounted or whose
 * partitions are mounted or held (vmfs/source/holders.h). */
vmfs_status vmfs_apply_open(vmfs_apply *a, const char *path, uint64_t expected_size, uint32_t sector_size, bool force,
			    const char *tool, const char *description, vmfs_error *err);

/* One change: length bytes at offset become new_data. expected_old (may be
 * NULL) is what the tool saw there when it planned the change; prepare then
 * refuses if the target holds anything else. Both are copied. Changes must
 * not overlap (VMFS_ERR_INVALID_ARG) and lie inside the target. */
vmfs_status vmfs_apply_add(vmfs_apply *a, uint64_t offset, const void *expected_old, const void *new_data,
			   uint32_t length, vmfs_error *err);

/* Reads the bytes in place, checks them against the expected ones
 * (VMFS_ERR_FORMAT, "changed since it was read", offset of the change), and
 * saves the undo file at undo_path (O_EXCL, 0600, fsync of the file and its
 * directory). The target is not written. */
vmfs_status vmfs_apply_prepare(vmfs_apply *a, const char *undo_path, vmfs_error *err);

/* Writes every change, fsyncs, drops the cache and reads back. On failure
 * the target may hold part of the change: call vmfs_apply_rollback. */
vmfs_status vmfs_apply_write(vmfs_apply *a, vmfs_error *err);

/* Puts the saved old bytes back (fsync, read back). Allowed once prepared;
 * a no-op before. */
vmfs_status vmfs_apply_rollback(vmfs_apply *a, vmfs_error *err);

/* Asks the kernel to re-read the partition table of a block device (no-op on
 * a file). Returns false with errno kept when the kernel refuses (the table
 * is then read at the next rescan). */
bool vmfs_apply_reread_table(vmfs_apply *a);

/* Releases the undo record and closes the target; VMFS_ERR_IO when close
 * fails (a write error reported late). Safe on a closed or zeroed record. */
vmfs_status vmfs_apply_close(vmfs_apply *a, vmfs_error *err);

typedef struct vmfs_undo_report {
	char tool[33];
	char description[129];
	size_t regions;
	size_t already_old;      /* regions that held the old bytes already */
	size_t mixed;            /* regions caught half written (a crash) */
} vmfs_undo_report;

/* `--undo FILE PATH`: loads and validates the undo file, opens the target
 * (as vmfs_apply_open), checks that it is the target the file was made for
 * (size, sector size, and every region holding the new bytes, the old ones or
 * a mix of both) and that it is not in use (as vmfs_apply_open) unless
 * force, puts the old bytes back, fsyncs, reads back
 * and asks the kernel to re-read a block device's table. */
vmfs_status vmfs_apply_undo_file(const char *undo_path, const char *target_path, bool force,
				 vmfs_undo_report *report, vmfs_error *err);

#endif
