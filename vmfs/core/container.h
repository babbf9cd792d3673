/* The framing shared by this project's own file formats, backup files
 * (backup.h) and undo files (undo.h): each is a header that starts with an
 * 8-byte magic, a version (offset 8) and the header size (offset 12) and
 * holds NUL-padded text fields and reserved zero bytes, then a list of
 * regions of a source or target (offset, length) bounded by a count, a
 * per-region and a total limit, then a trailer with an end magic and a
 * checksum of the whole file; the file is exactly as long as the header
 * announces. A file is created exclusively and made durable (file and
 * directory fsync), or removed on any failure; it is read as a regular file
 * with exact reads.
 *
 * This module knows nothing of a format's fields: a vmfs_container_format
 * names the format, its magics and its limits, and every check here produces
 * the error (status, path, offset, reason) in that format's words, so that
 * both formats refuse the same damage the same way. Checksums stay with the
 * formats (CRC32 for undo files, SHA-256 for backups).
 *
 * Return convention: as in backup.h and undo.h (VMFS_OK, or the status also
 * stored in *err, which may be NULL). */
#ifndef VMFS_CONTAINER_H
#define VMFS_CONTAINER_H

#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every container header starts with these three fields. */
#define VMFS_CONTAINER_OFF_MAGIC       0u
#define VMFS_CONTAINER_OFF_VERSION     8u
#define VMFS_CONTAINER_OFF_HEADER_SIZE 12u
#define VMFS_CONTAINER_MAGIC_LEN       8u

/* Sector sizes a container may record for its source or target. */
#define VMFS_CONTAINER_MIN_SECTOR_SIZE 512u
#define VMFS_CONTAINER_MAX_SECTOR_SIZE 65536u

typedef struct vmfs_container_format {
	const char *name;          /* "backup file": "cannot create the backup file" */
	const char *a_name;        /* "a backup file": "not a backup file" */
	const char *version_name;  /* "backup format": "unsupported backup format version 2" */
	const char *record_name;   /* "backup record": checks of a record in memory */
	const char *region_name;   /* "backup region": record errors, "backup region 3 ..." */
	const char *space;         /* "source": what region offsets refer to */
	const char *magic;         /* 8 bytes */
	const char *end_magic;     /* 8 bytes, first in the trailer */
	uint32_t version;
	uint32_t header_size;
	uint32_t max_regions;
	uint64_t max_region_bytes;
	uint64_t max_total_bytes;
} vmfs_container_format;

/* ---------------- text fields ---------------- */

typedef enum vmfs_container_text_rule {
	VMFS_CONTAINER_TEXT_PLAIN, /* no control characters (0x01..0x1f, 0x7f) */
	VMFS_CONTAINER_TEXT_UTF8,  /* valid UTF-8 (no overlong forms, no surrogates, nothing above
				    * U+10FFFF), no C0, DEL or C1 control other than \n and \t */
} vmfs_container_text_rule;

bool vmfs_container_is_control(unsigned char c);
/* A power of two in 512..65536. */
bool vmfs_container_sector_size_ok(uint32_t sector_size);
/* Index of the first byte of s[0..n) the rule refuses, or -1. */
long vmfs_container_text_bad_at(const uint8_t *s, size_t n, vmfs_container_text_rule rule);
/* Writes s into a field of width bytes: cut to the field, NUL padded; under
 * the plain rule control characters are masked as '?' (informational text
 * such as a path is kept, not refused); UTF-8 text is copied as it is (its
 * writer has validated it). */
void vmfs_container_put_text(uint8_t *field, size_t width, const char *s, vmfs_container_text_rule rule);
/* Copies a NUL-padded field into out (width + 1 bytes, NUL terminated).
 * Returns the index of the first invalid byte (refused by the rule, or a
 * non-NUL byte after the first NUL; out is then unspecified), or -1. */
long vmfs_container_get_text(const uint8_t *field, size_t width, vmfs_container_text_rule rule, char *out);

/* ---------------- the header ---------------- */

/* The first have bytes of a file (have may be short): VMFS_ERR_FORMAT at
 * offset 0 when they do not start with the magic ("not a backup file: magic
 * bytes 00 11 ..."); VMFS_ERR_TRUNCATED when the file is shorter than the
 * header; otherwise the version and the header size (VMFS_ERR_FORMAT at the
 * field). */
vmfs_status vmfs_container_check_preamble(const vmfs_container_format *fmt, const char *path, const uint8_t *h,
					  size_t have, uint64_t file_size, vmfs_error *err);
/* Bytes [from, to) of a header (or of a record at file offset base) must be
 * zero: VMFS_ERR_FORMAT naming the first that is not. what: "reserved header
 * byte", "region 3: reserved byte". */
vmfs_status vmfs_container_check_zero(const char *path, const uint8_t *p, uint32_t from, uint32_t to,
				      uint64_t base, const char *what, vmfs_error *err);
/* The region count read at file offset `at`: 1..max_regions. */
vmfs_status vmfs_container_check_count(const vmfs_container_format *fmt, const char *path, uint64_t count,
				       uint64_t at, vmfs_error *err);

/* ---------------- the file length and the trailer ---------------- */

/* VMFS_ERR_TRUNCATED "incomplete <name>: <size> bytes, but <what> takes
 * <expected> bytes (the tool that wrote it did not finish)", err->offset the
 * file size. */
vmfs_status vmfs_container_incomplete(const vmfs_container_format *fmt, const char *path, uint64_t file_size,
				      uint64_t expected, const char *what, vmfs_error *err);
/* The file must be exactly expected bytes: shorter is incomplete (as above),
 * longer is VMFS_ERR_FORMAT at expected ("unexpected bytes after the
 * trailer"). */
vmfs_status vmfs_container_check_length(const vmfs_container_format *fmt, const char *path, uint64_t file_size,
					uint64_t expected, const char *what, vmfs_error *err);
/* The trailer read at file offset at must start with the end magic. */
vmfs_status vmfs_container_check_end_magic(const vmfs_container_format *fmt, const char *path,
					   const uint8_t *trailer, uint64_t at, vmfs_error *err);

/* ---------------- regions ---------------- */

typedef struct vmfs_container_region {
	uint64_t offset;   /* in the source or target */
	uint64_t length;
	uint64_t at;       /* where the region is described in the file, VMFS_NO_OFFSET for a record in memory */
} vmfs_container_region;

/* One region against the limits and the space (space_size bytes): its length
 * is 1..max_region_bytes, it lies inside [0, space_size). index names it in
 * the message; the error's offset is r->at + len_field or + off_field for a
 * region read from a file, the region's offset otherwise; status is the
 * status to return (VMFS_ERR_FORMAT for a file, VMFS_ERR_INVALID_ARG for a
 * record). */
vmfs_status vmfs_container_check_region(const vmfs_container_format *fmt, const char *path, vmfs_status status,
					uint64_t space_size, size_t index, const vmfs_container_region *r,
					uint32_t off_field, uint32_t len_field, vmfs_error *err);
/* A whole set: 1..max_regions regions (a count above the limit is refused
 * before regions is looked at; NULL regions hold none), each as above, their lengths at most
 * max_total_bytes together, no two overlapping (the later one is named, with
 * "overlaps region N"). VMFS_ERR_NO_MEMORY when the overlap search cannot
 * allocate. */
vmfs_status vmfs_container_check_regions(const vmfs_container_format *fmt, const char *path, vmfs_status status,
					 uint64_t space_size, const vmfs_container_region *regions, size_t count,
					 uint32_t off_field, uint32_t len_field, vmfs_error *err);
/* Only the overlap part of vmfs_container_check_regions. */
vmfs_status vmfs_container_check_overlap(const vmfs_container_format *fmt, const char *path, vmfs_status status,
					 const vmfs_container_region *regions, size_t count, vmfs_error *err);

/* ---------------- creating and reading ---------------- */

typedef vmfs_status (*vmfs_container_writer)(int fd, const char *path, void *context, vmfs_error *err);
typedef vmfs_status (*vmfs_container_parser)(int fd, const char *path, uint64_t file_size, void *context,
					     vmfs_error *err);

/* Creates path with O_CREAT|O_EXCL, mode 0600 (an existing file is never
 * touched: VMFS_ERR_IO, sys_errno EEXIST), opened read-write so that the
 * writer may read back what it wrote; runs the writer, fsyncs the file,
 * closes it, fsyncs its directory; removes the file on any failure. */
vmfs_status vmfs_container_create(const vmfs_container_format *fmt, const char *path, vmfs_container_writer write,
				  void *context, vmfs_error *err);
/* Opens path read-only as a regular file (VMFS_ERR_UNSUPPORTED otherwise) and
 * runs the parser on it with its length. */
vmfs_status vmfs_container_open(const vmfs_container_format *fmt, const char *path, vmfs_container_parser parse,
				void *context, vmfs_error *err);
/* Reads exactly len bytes at offset; a premature end is VMFS_ERR_TRUNCATED
 * ("incomplete <name>: it ends at 0x..."). */
vmfs_status vmfs_container_read(const vmfs_container_format *fmt, int fd, const char *path, uint64_t offset,
				void *buf, size_t len, vmfs_error *err);
/* True when the file at path starts with the format's magic. */
bool vmfs_container_has_magic(const vmfs_container_format *fmt, const char *path);

/* zlib CRC32 of any length (crc 0 to start). */
uint32_t vmfs_container_crc32(uint32_t crc, const void *p, uint64_t len);

#endif
