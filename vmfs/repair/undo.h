/* Undo files: the bytes a tool is about to overwrite on a disk, saved and made
 * durable before the first write, so that `--undo FILE` can put them back
 * byte for byte (style practice 7; the idea of e2fsprogs' undo_io: old data
 * with a checksum, the target's identity, a completion mark, and a replay that
 * checks everything before it touches the target).
 *
 * The sequence a writing tool follows:
 *
 *   vmfs_undo_init(&u, ...);  vmfs_undo_add(&u, offset, new_bytes, len, ...)...
 *   vmfs_undo_capture(fd, path, &u, ...)     reads the bytes now on the target
 *   vmfs_undo_save(undo_path, &u, ...)       O_EXCL, fsync file and directory
 *   vmfs_undo_write_new(fd, path, &u, ...)   writes, fsyncs, reads back
 *
 * and the undo:
 *
 *   vmfs_undo_load(undo_path, &u, ...)       validates every byte of the file
 *   vmfs_undo_check_target(fd, path, size, sector_size, &u, force, states, ...)
 *   vmfs_undo_apply(fd, path, &u, ...)       writes old bytes, fsyncs, reads back
 *
 * A crash at any point leaves either an untouched target (the undo file is
 * incomplete, has no trailer and is rejected, and nothing was written yet) or
 * a complete undo file: a region caught mid-write holds a mix of old and new
 * bytes, which vmfs_undo_check_target accepts (VMFS_UNDO_HOLDS_MIX) and
 * vmfs_undo_apply restores.
 *
 * ------------------------------------------------------------------------
 * File format, version 1. All integers little-endian, no padding, no
 * alignment: fields are written with vmfs_put_le* and read with vmfs_le*.
 *
 * Header (VMFS_UNDO_HEADER_SIZE = 512 bytes):
 *   0    8   magic "VMFSUNDO"
 *   8    4   format version, 1
 *   12   4   header size, 512
 *   16   8   target size in bytes (> 0)
 *   24   4   target logical sector size (power of two, 512..65536)
 *   28   4   target kind: 0 regular file, 1 block device
 *   32   256 target path, NUL padded (informational: never used to open)
 *   288  8   creation time, seconds since the Unix epoch
 *   296  32  tool name and version, text, NUL padded ("vmfs-restore 0.1.0")
 *   328  4   region count (1..4096)
 *   332  4   reserved, zero
 *   336  8   total region bytes: the sum of the region lengths (1..256 MiB)
 *   344  128 description, text, NUL padded ("vmfs-restore: GPT rebuild")
 *   472  36  reserved, zero
 *   508  4   header CRC32 (zlib crc32) over the 512 header bytes with this
 *            field zeroed
 * Text fields hold no control characters (bytes 0x01..0x1f, 0x7f); every byte
 * after the first NUL is NUL; a field may fill its whole width unterminated.
 *
 * Then `region count` regions, in the order the tool gave them:
 *   0    8   target offset of the region
 *   8    4   length L (1..64 MiB)
 *   12   4   CRC32 of the old bytes
 *   16   4   CRC32 of the new bytes
 *   20   L   old bytes: what the target held before the tool wrote
 *   20+L L   new bytes: what the tool wrote (checked before undoing, so that
 *            an undo never overwrites someone else's later changes unforced)
 * Regions do not overlap and lie inside [0, target size).
 *
 * Trailer (12 bytes), written last:
 *   0    8   magic "VMFSEND!"
 *   8    4   CRC32 over every byte of the file before the trailer
 *
 * The file is exactly 512 + 20 * count + 2 * total + 12 bytes; a shorter one
 * is incomplete (its writer did not finish) and is rejected, as is one with
 * bytes after the trailer. A reader rejects counts and lengths beyond the
 * limits before allocating anything from them.
 * ------------------------------------------------------------------------
 *
 * Return convention: every function returning vmfs_status returns VMFS_OK on
 * success and otherwise the status it also stores in *err (which may be NULL),
 * with err->path naming the undo file (errors in the file, err->offset a byte
 * offset in the undo file) or the target (err->offset a byte offset in the
 * target), and err->sys_errno the errno of a failed system call (0 if none). */
#ifndef VMFS_UNDO_H
#define VMFS_UNDO_H

#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_UNDO_MAGIC            "VMFSUNDO"
#define VMFS_UNDO_END_MAGIC        "VMFSEND!"
#define VMFS_UNDO_VERSION          1u
#define VMFS_UNDO_HEADER_SIZE      512u
#define VMFS_UNDO_REGION_HEAD_SIZE 20u
#define VMFS_UNDO_TRAILER_SIZE     12u

/* Limits: larger values are refused when saving and when loading. */
#define VMFS_UNDO_MAX_REGIONS      4096u
#define VMFS_UNDO_MAX_REGION_BYTES (64u << 20)
#define VMFS_UNDO_MAX_TOTAL_BYTES  (256ull << 20)
#define VMFS_UNDO_MIN_SECTOR_SIZE  512u
#define VMFS_UNDO_MAX_SECTOR_SIZE  65536u

/* Header field offsets. */
#define VMFS_UNDO_OFF_MAGIC        0u
#define VMFS_UNDO_OFF_VERSION      8u
#define VMFS_UNDO_OFF_HEADER_SIZE  12u
#define VMFS_UNDO_OFF_TARGET_SIZE  16u
#define VMFS_UNDO_OFF_SECTOR_SIZE  24u
#define VMFS_UNDO_OFF_TARGET_KIND  28u
#define VMFS_UNDO_OFF_TARGET_PATH  32u
#define VMFS_UNDO_LEN_TARGET_PATH  256u
#define VMFS_UNDO_OFF_CREATED      288u
#define VMFS_UNDO_OFF_TOOL         296u
#define VMFS_UNDO_LEN_TOOL         32u
#define VMFS_UNDO_OFF_COUNT        328u
#define VMFS_UNDO_OFF_RESERVED1    332u
#define VMFS_UNDO_OFF_TOTAL        336u
#define VMFS_UNDO_OFF_DESCRIPTION  344u
#define VMFS_UNDO_LEN_DESCRIPTION  128u
#define VMFS_UNDO_OFF_RESERVED2    472u
#define VMFS_UNDO_OFF_HEADER_CRC   508u

/* Region record field offsets (relative to the start of the record). */
#define VMFS_UNDO_REG_OFF_OFFSET   0u
#define VMFS_UNDO_REG_OFF_LENGTH   8u
#define VMFS_UNDO_REG_OFF_OLD_CRC  12u
#define VMFS_UNDO_REG_OFF_NEW_CRC  16u

typedef enum vmfs_undo_target_kind {
	VMFS_UNDO_TARGET_FILE = 0,
	VMFS_UNDO_TARGET_BLOCK = 1,
} vmfs_undo_target_kind;

/* What a region of the target holds now (vmfs_undo_check_target). */
typedef enum vmfs_undo_state {
	VMFS_UNDO_HOLDS_NEW,   /* the bytes the tool wrote: the normal case before an undo */
	VMFS_UNDO_HOLDS_OLD,   /* already the old bytes: nothing to do (undone, or never written) */
	VMFS_UNDO_HOLDS_MIX,   /* every byte is the old or the new one: a write cut short */
	VMFS_UNDO_HOLDS_OTHER, /* some byte is neither: changed by someone else, or another target */
} vmfs_undo_state;

typedef struct vmfs_undo_region {
	uint64_t offset;       /* in the target */
	uint32_t length;
	uint8_t *old_data;     /* length bytes, malloc'd, owned by the vmfs_undo */
	uint8_t *new_data;     /* length bytes, malloc'd, owned by the vmfs_undo */
} vmfs_undo_region;

/* An undo record in memory: built by a tool (init, add, capture) or parsed
 * from a file (load). Release with vmfs_undo_free. Every buffer in it is
 * malloc'd and owned by it. */
typedef struct vmfs_undo {
	uint64_t target_size;
	uint32_t sector_size;
	uint32_t target_kind;        /* vmfs_undo_target_kind */
	char target_path[257];
	uint64_t created;            /* seconds since the epoch */
	char tool[33];
	char description[129];
	vmfs_undo_region *regions;
	size_t count;
	size_t capacity;             /* allocated entries of regions (internal) */
} vmfs_undo;

/* Starts an empty record for a target: copies the identity, sets created to
 * now. target_path longer than 256 bytes is cut (it is informational) and
 * its control characters become '?'; tool and description must fit (32 and
 * 128 bytes) and hold no control characters. VMFS_ERR_INVALID_ARG on a zero
 * size, a sector size that is not a power of two in 512..65536, an unknown
 * kind or unfit text. undo must not hold regions (it is overwritten). */
vmfs_status vmfs_undo_init(vmfs_undo *undo, const char *target_path, uint64_t target_size,
			   uint32_t sector_size, vmfs_undo_target_kind kind, const char *tool,
			   const char *description, vmfs_error *err);

/* Appends a region and copies its new bytes (old_data stays NULL until
 * vmfs_undo_capture). VMFS_ERR_INVALID_ARG (nothing added) when the length is
 * 0 or above 64 MiB, the region does not lie inside the target, overlaps one
 * already added, or would pass the region count or total limits;
 * VMFS_ERR_NO_MEMORY. */
vmfs_status vmfs_undo_add(vmfs_undo *undo, uint64_t offset, const void *new_data, uint32_t length,
			  vmfs_error *err);

/* Reads the bytes the target holds now at every region into old_data
 * (allocating it when NULL). The regions are validated first (limits,
 * overlaps, inside undo->target_size). target_path names the target in
 * errors. VMFS_ERR_TRUNCATED when the target ends inside a region,
 * VMFS_ERR_IO on a failed read, VMFS_ERR_INVALID_ARG on invalid regions. */
vmfs_status vmfs_undo_capture(int fd, const char *target_path, vmfs_undo *undo, vmfs_error *err);

/* Creates path with O_CREAT|O_EXCL (mode 0600: it holds disk contents; an
 * existing file is never touched), writes header, regions and trailer, fsyncs
 * the file and its directory. On any failure after creating the file it
 * removes it. VMFS_ERR_INVALID_ARG when the record is incomplete or invalid
 * (no regions, a region without old or new data, limits, overlaps, regions
 * outside the target); VMFS_ERR_IO (sys_errno EEXIST for an existing path). */
vmfs_status vmfs_undo_save(const char *path, const vmfs_undo *undo, vmfs_error *err);

/* Reads and fully validates an undo file: magics, version, header size,
 * header CRC, reserved bytes, text fields, limits, file length (a short file
 * is "incomplete", VMFS_ERR_TRUNCATED), each region's bounds and CRCs, the
 * sum of lengths, the trailer and its CRC, overlaps (VMFS_ERR_FORMAT, with
 * the offset in the undo file). On failure *out is left empty (nothing to
 * free, though vmfs_undo_free is harmless). VMFS_ERR_UNSUPPORTED for a
 * directory or other non-regular file, VMFS_ERR_IO, VMFS_ERR_NO_MEMORY. */
vmfs_status vmfs_undo_load(const char *path, vmfs_undo *out, vmfs_error *err);

/* What a region of a target holds, compared piece by piece as the caller
 * reads the target (vmfs_undo_check_target reads a file descriptor;
 * vmfs-restore --apply-table reads any source): init, add each piece of
 * `now` bytes found at region offset `done`, then state. */
typedef struct vmfs_undo_holding {
	bool all_old, all_new;
	uint64_t first_not_old;       /* target offset, UINT64_MAX if none */
	uint64_t first_other;         /* first byte neither old nor new, UINT64_MAX if none */
	uint8_t not_old_byte, other_byte; /* the target's bytes there */
} vmfs_undo_holding;
void vmfs_undo_holding_init(vmfs_undo_holding *h);
void vmfs_undo_holding_add(vmfs_undo_holding *h, const vmfs_undo_region *r, size_t done, const uint8_t *now,
			   size_t n);
vmfs_undo_state vmfs_undo_holding_state(const vmfs_undo_holding *h);

/* Frees every buffer and empties the record. NULL is accepted. */
void vmfs_undo_free(vmfs_undo *undo);

/* Checks that the target open on fd (its real size in bytes and logical
 * sector size given by the caller) is the one the record was made for.
 * Without force: VMFS_ERR_FORMAT when the size or the sector size differ from
 * the recorded ones, or when a region holds bytes that are neither the old
 * nor the new ones (err->offset = that region's target offset; the reason
 * also gives the first such byte). With force these mismatches are accepted.
 * Always (even forced) VMFS_ERR_TRUNCATED when a region lies beyond the end
 * of the target: it could not be restored. states (may be NULL) receives one
 * vmfs_undo_state per region, filled for every region that was read. Regions
 * holding the old bytes already, or a mix, are accepted. The recorded kind
 * and path are not compared (informational: a dd copy of the device is a
 * valid target). VMFS_ERR_IO on a failed read, VMFS_ERR_INVALID_ARG on an
 * invalid record. */
vmfs_status vmfs_undo_check_target(int fd, const char *target_path, uint64_t size, uint32_t sector_size,
				   const vmfs_undo *undo, bool force, vmfs_undo_state *states,
				   vmfs_error *err);

/* The undo: writes every region's old bytes back with pwrite (short writes
 * and EINTR handled), fsyncs fd, then reads every region back (after asking
 * the kernel to drop its cached copy) and compares. Call
 * vmfs_undo_check_target first. VMFS_ERR_IO on a failed write, fsync or read
 * and when the bytes read back differ (err->offset = the target offset);
 * VMFS_ERR_TRUNCATED when the target ends while reading back. Idempotent: a
 * second apply writes the same bytes. */
vmfs_status vmfs_undo_apply(int fd, const char *target_path, const vmfs_undo *undo, vmfs_error *err);

/* The forward operation: first checks that every region still holds exactly
 * its old bytes (VMFS_ERR_FORMAT with the target offset of the first changed
 * byte otherwise: the saved old bytes would be stale), then writes every
 * region's new bytes, fsyncs and reads back like vmfs_undo_apply. Tools call
 * it only after vmfs_undo_save succeeded. */
vmfs_status vmfs_undo_write_new(int fd, const char *target_path, const vmfs_undo *undo, vmfs_error *err);

/* "new", "old", "mix", "other". */
const char *vmfs_undo_state_name(vmfs_undo_state state);

#endif
