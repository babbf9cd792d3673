/* Metadata backups: copies of the disk regions a VMFS repair may need to put
 * back (partition-table sectors, LVM metadata, the file-system descriptor;
 * format reference section 10) together with the identity of the source, in
 * one self-describing, checksummed file, so that a later tool can restore
 * them exactly and know which device they came from.
 *
 * The sequence a backup tool follows:
 *
 *   vmfs_backup_init(&b, &source, ...)                 identity of the source
 *   vmfs_backup_add(&b, "mbr", NONE, 0, bytes, 512, ...) one per region (copied)
 *   vmfs_backup_save(path, &b, ...)                    O_EXCL, fsync file and directory
 *
 * and a restore tool:
 *
 *   vmfs_backup_load(path, &b, ...)     validates every byte of the file
 *   vmfs_backup_find(&b, offset, len)   the saved bytes of a range
 *
 * ------------------------------------------------------------------------
 * File format, version 1. All integers little-endian, no padding, no
 * alignment: fields are written with vmfs_put_le* and read with vmfs_le*.
 *
 * Header (VMFS_BACKUP_HEADER_SIZE = 4096 bytes):
 *   0     8    magic "VMFSBKUP"
 *   8     4    format version, 1
 *   12    4    header size, 4096
 *   16    8    creation time, seconds since the Unix epoch
 *   24    4    region count (1..4096)
 *   28    4    flags, 0
 *   32    8    source size in bytes (1..2^63-1)
 *   40    4    source logical sector size (power of two, 512..65536)
 *   44    4    source kind: 0 regular file, 1 block device
 *   48    1024 source path        \
 *   1072  256  host name           |
 *   1328  64   tool and version    |  text, NUL padded: no control characters
 *   1392  256  WWID (naa./eui./t10.)  (0x01..0x1f, 0x7f), every byte after the
 *   1648  128  serial number       |  first NUL is NUL, a field may fill its
 *   1776  64   vendor (INQUIRY)    |  whole width unterminated
 *   1840  64   model (INQUIRY)    /
 *   1904  1024 manifest: free-form text written by the tool (e.g. JSON), NUL
 *              padded, valid UTF-8 (no overlong forms, no surrogates, nothing
 *              above U+10FFFF) without control characters other than \n and
 *              \t (C0, DEL and the C1 range U+0080..U+009F are refused)
 *   2928  1136 reserved, zero
 *   4064  32   SHA-256 of the 4096 header bytes with this field zeroed
 *
 * Region table, right after the header: `region count` entries of
 * VMFS_BACKUP_ENTRY_SIZE = 128 bytes, in the order the tool added them:
 *   0     32   kind, NUL padded, 1..32 printable ASCII bytes (0x21..0x7e):
 *              "mbr", "gpt-primary", "gpt-backup", "lvm-metadata",
 *              "lvm-ext-metadata", "fs-descriptor", ...
 *   32    4    device index (extent number), 0xFFFFFFFF = none
 *   36    4    flags: bit 0 = stored zlib-compressed; other bits zero
 *   40    8    source offset of the region
 *   48    8    length L of the region (1..64 MiB)
 *   56    8    stored length S: = L when raw; 1..compressBound(L) when
 *              compressed
 *   64    8    file offset of the stored bytes
 *   72    4    CRC32 (zlib crc32) of the L uncompressed bytes
 *   76    4    reserved, zero
 *   80    32   SHA-256 of the L uncompressed bytes
 *   112   16   reserved, zero
 *
 * Region data, right after the table, contiguous and in table order (the
 * first at 4096 + 128 * count, each next one where the previous ends): the
 * stored bytes of each region, a zlib stream (compress2, level 9) when that
 * is shorter than L, else the L raw bytes.
 *
 * Trailer (VMFS_BACKUP_TRAILER_SIZE = 40 bytes), written last:
 *   0     8    magic "VMFSBEND"
 *   8     32   SHA-256 of every byte of the file before the trailer
 *
 * The file is exactly 4096 + 128 * count + (sum of S) + 40 bytes. A shorter
 * one is incomplete (its writer did not finish) and rejected, as is one with
 * bytes after the trailer. Regions lie inside [0, source size) and do not
 * overlap; the sum of their lengths is at most 1 GiB. A reader checks every
 * count, length and offset against these limits before it allocates
 * anything from them, and checks that each stream inflates to exactly L
 * bytes with the recorded CRC32 and SHA-256.
 * ------------------------------------------------------------------------
 *
 * Return convention: every function returning vmfs_status returns VMFS_OK on
 * success and otherwise the status it also stores in *err (which may be
 * NULL): err->path names the backup file and err->offset the byte offset in
 * it for errors in a file; for a record in memory err->path is the source
 * path and err->offset the source offset of the region concerned (or
 * VMFS_NO_OFFSET); err->sys_errno is the errno of a failed system call. */
#ifndef VMFS_BACKUP_H
#define VMFS_BACKUP_H

#include "vmfs/core/error.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_BACKUP_MAGIC          "VMFSBKUP"
#define VMFS_BACKUP_END_MAGIC      "VMFSBEND"
#define VMFS_BACKUP_VERSION        1u
#define VMFS_BACKUP_HEADER_SIZE    4096u
#define VMFS_BACKUP_ENTRY_SIZE     128u
#define VMFS_BACKUP_TRAILER_SIZE   40u

/* Limits: larger values are refused when adding, saving and loading. */
#define VMFS_BACKUP_MAX_REGIONS      4096u
#define VMFS_BACKUP_MAX_REGION_BYTES (64ull << 20)
#define VMFS_BACKUP_MAX_TOTAL_BYTES  (1ull << 30)
#define VMFS_BACKUP_MIN_SECTOR_SIZE  512u
#define VMFS_BACKUP_MAX_SECTOR_SIZE  65536u

#define VMFS_BACKUP_NO_DEVICE        0xFFFFFFFFu
#define VMFS_BACKUP_REGION_ZLIB      0x1u  /* entry flag: stored compressed */
#define VMFS_BACKUP_KIND_LEN         32u

/* Header field offsets. */
#define VMFS_BACKUP_OFF_MAGIC        0u
#define VMFS_BACKUP_OFF_VERSION      8u
#define VMFS_BACKUP_OFF_HEADER_SIZE  12u
#define VMFS_BACKUP_OFF_CREATED      16u
#define VMFS_BACKUP_OFF_COUNT        24u
#define VMFS_BACKUP_OFF_FLAGS        28u
#define VMFS_BACKUP_OFF_SOURCE_SIZE  32u
#define VMFS_BACKUP_OFF_SECTOR_SIZE  40u
#define VMFS_BACKUP_OFF_SOURCE_KIND  44u
#define VMFS_BACKUP_OFF_SOURCE_PATH  48u
#define VMFS_BACKUP_LEN_SOURCE_PATH  1024u
#define VMFS_BACKUP_OFF_HOST         1072u
#define VMFS_BACKUP_LEN_HOST         256u
#define VMFS_BACKUP_OFF_TOOL         1328u
#define VMFS_BACKUP_LEN_TOOL         64u
#define VMFS_BACKUP_OFF_WWID         1392u
#define VMFS_BACKUP_LEN_WWID         256u
#define VMFS_BACKUP_OFF_SERIAL       1648u
#define VMFS_BACKUP_LEN_SERIAL       128u
#define VMFS_BACKUP_OFF_VENDOR       1776u
#define VMFS_BACKUP_LEN_VENDOR       64u
#define VMFS_BACKUP_OFF_MODEL        1840u
#define VMFS_BACKUP_LEN_MODEL        64u
#define VMFS_BACKUP_OFF_MANIFEST     1904u
#define VMFS_BACKUP_LEN_MANIFEST     1024u
#define VMFS_BACKUP_OFF_RESERVED     2928u
#define VMFS_BACKUP_OFF_HEADER_SHA   4064u

/* Region entry field offsets (relative to the start of the entry). */
#define VMFS_BACKUP_ENT_OFF_KIND        0u
#define VMFS_BACKUP_ENT_OFF_DEVICE      32u
#define VMFS_BACKUP_ENT_OFF_FLAGS       36u
#define VMFS_BACKUP_ENT_OFF_OFFSET      40u
#define VMFS_BACKUP_ENT_OFF_LENGTH      48u
#define VMFS_BACKUP_ENT_OFF_STORED      56u
#define VMFS_BACKUP_ENT_OFF_FILE_OFFSET 64u
#define VMFS_BACKUP_ENT_OFF_CRC32       72u
#define VMFS_BACKUP_ENT_OFF_RESERVED1   76u
#define VMFS_BACKUP_ENT_OFF_SHA256      80u
#define VMFS_BACKUP_ENT_OFF_RESERVED2   112u

typedef enum vmfs_backup_source_kind {
	VMFS_BACKUP_SOURCE_FILE = 0,
	VMFS_BACKUP_SOURCE_BLOCK = 1,
} vmfs_backup_source_kind;

typedef struct vmfs_backup_region {
	char kind[VMFS_BACKUP_KIND_LEN + 1];
	uint32_t device;             /* extent index, VMFS_BACKUP_NO_DEVICE if none */
	uint64_t offset;             /* in the source */
	uint64_t length;
	uint8_t *data;               /* length bytes, malloc'd, owned by the vmfs_backup */
	uint32_t crc32;              /* of data (set by add, save and load) */
	uint8_t sha256[32];          /* of data (set by add, save and load) */
	uint64_t stored_length;      /* bytes in the file (set by save and load) */
	uint32_t flags;              /* VMFS_BACKUP_REGION_ZLIB (set by save and load) */
} vmfs_backup_region;

/* A backup in memory: built by a tool (init, add) or parsed from a file
 * (load). Release with vmfs_backup_free. */
typedef struct vmfs_backup {
	uint64_t created;            /* seconds since the epoch */
	uint64_t source_size;
	uint32_t sector_size;
	uint32_t source_kind;        /* vmfs_backup_source_kind */
	char source_path[VMFS_BACKUP_LEN_SOURCE_PATH + 1];
	char host[VMFS_BACKUP_LEN_HOST + 1];
	char tool[VMFS_BACKUP_LEN_TOOL + 1];
	char wwid[VMFS_BACKUP_LEN_WWID + 1];
	char serial[VMFS_BACKUP_LEN_SERIAL + 1];
	char vendor[VMFS_BACKUP_LEN_VENDOR + 1];
	char model[VMFS_BACKUP_LEN_MODEL + 1];
	char manifest[VMFS_BACKUP_LEN_MANIFEST + 1];
	vmfs_backup_region *regions;
	size_t count;
	size_t capacity;             /* allocated entries of regions (internal) */
	uint8_t file_sha256[32];     /* the trailer's SHA-256: filled by save and load */
} vmfs_backup;

/* The identity given to vmfs_backup_init. Text pointers may be NULL (empty). */
typedef struct vmfs_backup_source {
	const char *path;            /* cut to 1024 bytes, control characters become '?' */
	uint64_t size;               /* bytes, 1..2^63-1 */
	uint32_t sector_size;        /* power of two, 512..65536 */
	vmfs_backup_source_kind kind;
	const char *host, *tool, *wwid, *serial, *vendor, *model; /* must fit, no control characters */
	const char *manifest;        /* must fit (1024 bytes), UTF-8, controls only \n and \t */
} vmfs_backup_source;

/* Starts an empty backup of a source: copies the identity, sets created to
 * now. VMFS_ERR_INVALID_ARG (b left empty) on a zero or huge size, a sector
 * size that is not a power of two in 512..65536, an unknown kind, or text
 * that does not fit its field or breaks its rules. b must not hold regions
 * (it is overwritten). */
vmfs_status vmfs_backup_init(vmfs_backup *b, const vmfs_backup_source *source, vmfs_error *err);

/* Appends a region, copying its bytes and computing their CRC32 and SHA-256.
 * VMFS_ERR_INVALID_ARG (nothing added) when the kind is not 1..32 printable
 * ASCII bytes without spaces, the length is 0 or above 64 MiB, the region
 * does not lie inside the source, overlaps one already added, or would pass
 * the region count (4096) or total (1 GiB) limits; VMFS_ERR_NO_MEMORY. */
vmfs_status vmfs_backup_add(vmfs_backup *b, const char *kind, uint32_t device, uint64_t offset,
			    const void *data, uint64_t length, vmfs_error *err);

/* Validates the whole record (identity, text fields, limits, overlaps; the
 * CRC32 and SHA-256 of each region are recomputed from its data), then
 * creates path with O_CREAT|O_EXCL (mode 0600: it holds disk contents; an
 * existing file is never touched), writes header, table, data and trailer,
 * fsyncs the file and its directory. Fills b->file_sha256 and each region's
 * stored_length and flags. On any failure after creating the file it
 * removes it. VMFS_ERR_INVALID_ARG for an invalid record (nothing created);
 * VMFS_ERR_IO (sys_errno EEXIST for an existing path); VMFS_ERR_NO_MEMORY. */
vmfs_status vmfs_backup_save(const char *path, vmfs_backup *b, vmfs_error *err);

/* Reads and fully validates a backup file: magics, version, header size,
 * header SHA-256, flags and reserved bytes, text fields, limits, the file
 * length (a short file is "incomplete", VMFS_ERR_TRUNCATED, err->offset =
 * its length), each entry's kind, flags, lengths, file offset and source
 * range, each stream's inflated length, CRC32 and SHA-256, overlaps, the
 * trailer and its SHA-256 (VMFS_ERR_FORMAT, err->offset = the offset in the
 * file of the field or data at fault). On failure *out is left empty
 * (vmfs_backup_free is harmless). VMFS_ERR_UNSUPPORTED for a directory or
 * other non-regular file, VMFS_ERR_IO, VMFS_ERR_NO_MEMORY. */
vmfs_status vmfs_backup_load(const char *path, vmfs_backup *out, vmfs_error *err);

/* Frees every buffer and empties the record. NULL is accepted. */
void vmfs_backup_free(vmfs_backup *b);

/* True when the file at path starts with the backup magic. */
bool vmfs_backup_is_backup_file(const char *path);
/* Loads and verifies a backup and lays its regions out at their offsets in a
 * sparse in-memory source of the original size (kind VMFS_SOURCE_BACKUP,
 * named after the backup file), so that it reads like the source did where
 * the backup holds data and as zeros elsewhere. */
vmfs_status vmfs_backup_open_source(const char *path, vmfs_source **out, vmfs_error *err);

/* The region whose source range equals [offset, offset + len), or else the
 * one that contains it (len 0: the one containing the byte at offset); NULL
 * if none. */
const vmfs_backup_region *vmfs_backup_find(const vmfs_backup *b, uint64_t offset, uint64_t len);

#endif
