/* Table exports: the exact sectors a partition-table rebuild would write,
 * for a source that must not be written (an evidence container, a disk held
 * read-only). `vmfs-restore --export-table FILE SOURCE` saves them with their
 * offsets and the bytes they replace; `vmfs-restore --apply-table FILE COPY`
 * shows them against a working copy and, with --write, applies them through
 * the one write path of the tools (vmfs/repair/apply.h: undo file first,
 * write, fsync, read back).
 *
 * Format: the undo-file format of undo.h, unchanged, so that one fully
 * validated reader serves both: the target size and sector size are the
 * source's; each region's "old" bytes are what the source holds there and
 * its "new" bytes the rebuilt table's; the description field begins with
 * VMFS_EXPORT_MARK (with its colon: the undo file of an applied export says
 * "applied table export"), which is what tells an export from an undo file (an undo
 * file puts the old bytes back; an export writes the new ones, so each
 * refuses the other: vmfs_apply_undo_file rejects exports).
 *
 * Return convention as in undo.h. */
#ifndef VMFS_EXPORT_H
#define VMFS_EXPORT_H

#include "vmfs/core/error.h"
#include "vmfs/repair/table_render.h"
#include "vmfs/repair/undo.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_EXPORT_MARK "table export:"

/* Saves the changes of a rendered table (render->changes: offset, length,
 * old bytes as read from the source, new bytes) for a source of source_size
 * bytes and sector_size-byte sectors, at path (created O_EXCL, 0600, fsynced
 * with its directory, as an undo file). tool names the writer ("vmfs-restore
 * 0.1.0"). VMFS_ERR_INVALID_ARG when there is nothing to save. */
vmfs_status vmfs_export_save(const char *path, const char *source_path, uint64_t source_size, uint32_t sector_size,
			     const vmfs_table_render *render, const char *tool, vmfs_error *err);

/* True when a loaded record is a table export. */
bool vmfs_undo_is_export(const vmfs_undo *undo);

/* Loads and validates a table export (vmfs_undo_load), and refuses an undo
 * file (VMFS_ERR_FORMAT: "is an undo file, not a table export"). */
vmfs_status vmfs_export_load(const char *path, vmfs_undo *out, vmfs_error *err);

#endif
