/* Metadata backup files (format in backup.h). Writing: validate the record,
 * create the file exclusively, write each region's stored bytes, then the
 * table and the header, hash the file as written and append the trailer,
 * fsync file and directory, remove the file on any failure. Reading: the
 * header and every table entry are checked against the limits and the file
 * length before anything is allocated from them; every byte is covered by
 * the trailer's SHA-256, every region by its own CRC32 and SHA-256. */
#include "vmfs/backup/backup.h"

#include "vmfs/core/container.h"
#include "vmfs/core/fileio.h"
#include "vmfs/core/le.h"

#include <errno.h>
#include <fcntl.h>
#include <nettle/sha2.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

_Static_assert(VMFS_BACKUP_OFF_HEADER_SHA + 32 == VMFS_BACKUP_HEADER_SIZE, "header SHA ends the header");
_Static_assert(VMFS_BACKUP_OFF_SOURCE_PATH + VMFS_BACKUP_LEN_SOURCE_PATH == VMFS_BACKUP_OFF_HOST, "layout");
_Static_assert(VMFS_BACKUP_OFF_HOST + VMFS_BACKUP_LEN_HOST == VMFS_BACKUP_OFF_TOOL, "layout");
_Static_assert(VMFS_BACKUP_OFF_TOOL + VMFS_BACKUP_LEN_TOOL == VMFS_BACKUP_OFF_WWID, "layout");
_Static_assert(VMFS_BACKUP_OFF_WWID + VMFS_BACKUP_LEN_WWID == VMFS_BACKUP_OFF_SERIAL, "layout");
_Static_assert(VMFS_BACKUP_OFF_SERIAL + VMFS_BACKUP_LEN_SERIAL == VMFS_BACKUP_OFF_VENDOR, "layout");
_Static_assert(VMFS_BACKUP_OFF_VENDOR + VMFS_BACKUP_LEN_VENDOR == VMFS_BACKUP_OFF_MODEL, "layout");
_Static_assert(VMFS_BACKUP_OFF_MODEL + VMFS_BACKUP_LEN_MODEL == VMFS_BACKUP_OFF_MANIFEST, "layout");
_Static_assert(VMFS_BACKUP_OFF_MANIFEST + VMFS_BACKUP_LEN_MANIFEST == VMFS_BACKUP_OFF_RESERVED, "layout");
_Static_assert(VMFS_BACKUP_ENT_OFF_RESERVED2 + 16 == VMFS_BACKUP_ENTRY_SIZE, "entry layout");
_Static_assert(sizeof(VMFS_BACKUP_MAGIC) == 9 && sizeof(VMFS_BACKUP_END_MAGIC) == 9, "8-byte magics");
_Static_assert(SHA256_DIGEST_SIZE == 32, "SHA-256");

#define CHUNK ((size_t)1 << 20) /* hashing read-back */

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

static uint32_t crc_of(const uint8_t *p, uint64_t len) { return vmfs_container_crc32(0, p, len); }

static void sha_of(const uint8_t *p, uint64_t len, uint8_t out[32])
{
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	sha256_update(&ctx, (size_t)len, p);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
}

/* First 8 bytes of a digest in hex, for messages. */
static void sha_hex(const uint8_t *d, char out[17])
{
	for (int i = 0; i < 8; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static bool kind_ok(const char *kind)
{
	size_t n = strnlen(kind, VMFS_BACKUP_KIND_LEN + 1);
	if (n == 0 || n > VMFS_BACKUP_KIND_LEN)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)kind[i] < 0x21 || (unsigned char)kind[i] > 0x7e)
			return false;
	return true;
}

typedef struct text_field {
	uint32_t off, len;
	size_t member;     /* offsetof in vmfs_backup */
	const char *name;
	vmfs_container_text_rule rule;
} text_field;

#define PLAIN VMFS_CONTAINER_TEXT_PLAIN
#define UTF8 VMFS_CONTAINER_TEXT_UTF8
static const text_field texts[] = {
	{ VMFS_BACKUP_OFF_SOURCE_PATH, VMFS_BACKUP_LEN_SOURCE_PATH, offsetof(vmfs_backup, source_path), "source path", PLAIN },
	{ VMFS_BACKUP_OFF_HOST, VMFS_BACKUP_LEN_HOST, offsetof(vmfs_backup, host), "host", PLAIN },
	{ VMFS_BACKUP_OFF_TOOL, VMFS_BACKUP_LEN_TOOL, offsetof(vmfs_backup, tool), "tool", PLAIN },
	{ VMFS_BACKUP_OFF_WWID, VMFS_BACKUP_LEN_WWID, offsetof(vmfs_backup, wwid), "wwid", PLAIN },
	{ VMFS_BACKUP_OFF_SERIAL, VMFS_BACKUP_LEN_SERIAL, offsetof(vmfs_backup, serial), "serial", PLAIN },
	{ VMFS_BACKUP_OFF_VENDOR, VMFS_BACKUP_LEN_VENDOR, offsetof(vmfs_backup, vendor), "vendor", PLAIN },
	{ VMFS_BACKUP_OFF_MODEL, VMFS_BACKUP_LEN_MODEL, offsetof(vmfs_backup, model), "model", PLAIN },
	{ VMFS_BACKUP_OFF_MANIFEST, VMFS_BACKUP_LEN_MANIFEST, offsetof(vmfs_backup, manifest), "manifest", UTF8 },
};
#define TEXT_COUNT (sizeof(texts) / sizeof(texts[0]))
#undef PLAIN
#undef UTF8

static const vmfs_container_format backup_format = {
	.name = "backup file",
	.a_name = "a backup file",
	.version_name = "backup format",
	.record_name = "backup record",
	.region_name = "backup region",
	.space = "source",
	.magic = VMFS_BACKUP_MAGIC,
	.end_magic = VMFS_BACKUP_END_MAGIC,
	.version = VMFS_BACKUP_VERSION,
	.header_size = VMFS_BACKUP_HEADER_SIZE,
	.max_regions = VMFS_BACKUP_MAX_REGIONS,
	.max_region_bytes = VMFS_BACKUP_MAX_REGION_BYTES,
	.max_total_bytes = VMFS_BACKUP_MAX_TOTAL_BYTES,
};

static char *text_member(vmfs_backup *b, size_t i) { return (char *)b + texts[i].member; }
static const char *text_cmember(const vmfs_backup *b, size_t i) { return (const char *)b + texts[i].member; }

static vmfs_status read_exact(int fd, const char *path, uint64_t offset, void *buf, size_t len,
			      vmfs_error *err)
{
	return vmfs_container_read(&backup_format, fd, path, offset, buf, len, err);
}

/* ---------------- the record in memory ---------------- */

/* Checks a record before it is saved: identity, text, limits, regions. */
static vmfs_status check_record(const vmfs_backup *b, vmfs_error *err)
{
	const char *path = b->source_path;
	if (b->source_size == 0 || b->source_size > INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "backup record: source size %llu is not in 1..2^63-1", ull(b->source_size));
	if (!vmfs_container_sector_size_ok(b->sector_size))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "backup record: sector size %u is not a power of two in 512..65536",
				      b->sector_size);
	if (b->source_kind > VMFS_BACKUP_SOURCE_BLOCK)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "backup record: unknown source kind %u", b->source_kind);
	for (size_t i = 0; i < TEXT_COUNT; i++) {
		const char *s = text_cmember(b, i);
		size_t n = strnlen(s, texts[i].len + 1);
		long bad = n > texts[i].len ? (long)n : vmfs_container_text_bad_at((const uint8_t *)s, n, texts[i].rule);
		if (bad >= 0)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
					      "backup record: %s field %s at byte %ld (%s)", texts[i].name,
					      n > texts[i].len ? "is too long" : "holds an invalid character", bad,
					      texts[i].rule == VMFS_CONTAINER_TEXT_UTF8 ? "UTF-8 without control characters other than \\n and \\t"
								: "no control characters");
	}
	for (size_t i = 0; i < b->count && b->regions; i++) {
		const vmfs_backup_region *r = &b->regions[i];
		if (!kind_ok(r->kind) || !r->data)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, r->offset,
					      "backup region %zu: kind is not 1..32 printable ASCII bytes, or no data", i);
	}
	vmfs_container_region *spans = NULL;
	if (b->count && b->count <= VMFS_BACKUP_MAX_REGIONS && b->regions) {
		if (!(spans = malloc(b->count * sizeof(*spans))))
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
		for (size_t i = 0; i < b->count; i++)
			spans[i] = (vmfs_container_region){ b->regions[i].offset, b->regions[i].length, VMFS_NO_OFFSET };
	}
	vmfs_status st = vmfs_container_check_regions(&backup_format, path, VMFS_ERR_INVALID_ARG, b->source_size,
						      spans, b->count, 0, 0, err);
	free(spans);
	return st;
}

vmfs_status vmfs_backup_init(vmfs_backup *b, const vmfs_backup_source *src, vmfs_error *err)
{
	vmfs_error_clear(err);
	memset(b, 0, sizeof(*b));
	const char *path = src && src->path ? src->path : "";
	if (!src)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET, "no source identity given");
	if (src->size == 0 || src->size > INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "source size %llu is not in 1..2^63-1", ull(src->size));
	if (!vmfs_container_sector_size_ok(src->sector_size))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "sector size %u is not a power of two in 512..65536", src->sector_size);
	if (src->kind != VMFS_BACKUP_SOURCE_FILE && src->kind != VMFS_BACKUP_SOURCE_BLOCK)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET, "unknown source kind %d",
				      (int)src->kind);
	const char *given[TEXT_COUNT] = { NULL, src->host, src->tool, src->wwid,
					  src->serial, src->vendor, src->model, src->manifest };
	for (size_t i = 1; i < TEXT_COUNT; i++) {
		const char *s = given[i] ? given[i] : "";
		size_t n = strlen(s);
		long bad = n > texts[i].len ? (long)texts[i].len : vmfs_container_text_bad_at((const uint8_t *)s, n, texts[i].rule);
		if (bad >= 0) {
			vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				       "%s %s at byte %ld (%s, at most %u bytes)", texts[i].name,
				       n > texts[i].len ? "is too long" : "holds an invalid character", bad,
				       texts[i].rule == VMFS_CONTAINER_TEXT_UTF8 ? "UTF-8 without control characters other than \\n and \\t"
							 : "no control characters",
				       texts[i].len);
			memset(b, 0, sizeof(*b));
			return VMFS_ERR_INVALID_ARG;
		}
		memcpy(text_member(b, i), s, n + 1);
	}
	/* The path is informational: cut to its field, control characters masked. */
	size_t n = strnlen(path, VMFS_BACKUP_LEN_SOURCE_PATH);
	for (size_t i = 0; i < n; i++)
		b->source_path[i] = vmfs_container_is_control((unsigned char)path[i]) ? '?' : path[i];
	b->source_size = src->size;
	b->sector_size = src->sector_size;
	b->source_kind = (uint32_t)src->kind;
	time_t now = time(NULL);
	b->created = now < 0 ? 0 : (uint64_t)now;
	return VMFS_OK;
}

vmfs_status vmfs_backup_add(vmfs_backup *b, const char *kind, uint32_t device, uint64_t offset,
			    const void *data, uint64_t length, vmfs_error *err)
{
	vmfs_error_clear(err);
	const char *path = b->source_path;
	if (!kind || !kind_ok(kind))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
				      "backup region at 0x%llx: kind is not 1..32 printable ASCII bytes without spaces",
				      ull(offset));
	if (!data)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset, "backup region \"%s\" at 0x%llx: no data",
				      kind, ull(offset));
	vmfs_container_region span = { offset, length, VMFS_NO_OFFSET };
	vmfs_status st = vmfs_container_check_region(&backup_format, path, VMFS_ERR_INVALID_ARG, b->source_size,
						     b->count, &span, 0, 0, err);
	if (st != VMFS_OK)
		return st;
	if (b->count >= VMFS_BACKUP_MAX_REGIONS)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
				      "a backup holds at most %u regions", VMFS_BACKUP_MAX_REGIONS);
	uint64_t total = length;
	for (size_t i = 0; i < b->count; i++) {
		const vmfs_backup_region *r = &b->regions[i];
		total += r->length;
		if (offset < r->offset + r->length && r->offset < offset + length)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
					      "backup region \"%s\" [0x%llx, +%llu) overlaps region %zu \"%s\" [0x%llx, "
					      "+%llu)", kind, ull(offset), ull(length), i, r->kind, ull(r->offset),
					      ull(r->length));
	}
	if (total > VMFS_BACKUP_MAX_TOTAL_BYTES)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
				      "backup regions would hold %llu bytes, more than the maximum %llu (1 GiB)",
				      ull(total), ull(VMFS_BACKUP_MAX_TOTAL_BYTES));
	if (b->count >= b->capacity) {
		size_t cap = b->capacity ? b->capacity * 2 : 8;
		vmfs_backup_region *grown = realloc(b->regions, cap * sizeof(*grown));
		if (!grown)
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, offset, "out of memory");
		b->regions = grown;
		b->capacity = cap;
	}
	uint8_t *copy = malloc((size_t)length);
	if (!copy)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, offset, "out of memory (%llu bytes)",
				      ull(length));
	memcpy(copy, data, (size_t)length);
	vmfs_backup_region *r = &b->regions[b->count++];
	memset(r, 0, sizeof(*r));
	memcpy(r->kind, kind, strlen(kind) + 1);
	r->device = device;
	r->offset = offset;
	r->length = length;
	r->data = copy;
	r->crc32 = crc_of(copy, length);
	sha_of(copy, length, r->sha256);
	return VMFS_OK;
}

void vmfs_backup_free(vmfs_backup *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->count; i++)
		free(b->regions[i].data);
	free(b->regions);
	memset(b, 0, sizeof(*b));
}

const vmfs_backup_region *vmfs_backup_find(const vmfs_backup *b, uint64_t offset, uint64_t len)
{
	const vmfs_backup_region *containing = NULL;
	for (size_t i = 0; i < b->count; i++) {
		const vmfs_backup_region *r = &b->regions[i];
		if (r->offset == offset && r->length == len)
			return r;
		uint64_t need = len ? len : 1;
		if (!containing && offset >= r->offset && offset - r->offset < r->length &&
		    need <= r->length - (offset - r->offset))
			containing = r;
	}
	return containing;
}

/* ---------------- the file ---------------- */

static void build_header(const vmfs_backup *b, uint8_t *h)
{
	memset(h, 0, VMFS_BACKUP_HEADER_SIZE);
	memcpy(h + VMFS_BACKUP_OFF_MAGIC, VMFS_BACKUP_MAGIC, 8);
	vmfs_put_le32(h + VMFS_BACKUP_OFF_VERSION, VMFS_BACKUP_VERSION);
	vmfs_put_le32(h + VMFS_BACKUP_OFF_HEADER_SIZE, VMFS_BACKUP_HEADER_SIZE);
	vmfs_put_le64(h + VMFS_BACKUP_OFF_CREATED, b->created);
	vmfs_put_le32(h + VMFS_BACKUP_OFF_COUNT, (uint32_t)b->count);
	vmfs_put_le64(h + VMFS_BACKUP_OFF_SOURCE_SIZE, b->source_size);
	vmfs_put_le32(h + VMFS_BACKUP_OFF_SECTOR_SIZE, b->sector_size);
	vmfs_put_le32(h + VMFS_BACKUP_OFF_SOURCE_KIND, b->source_kind);
	/* check_record validated every field: put_text copies it as it is. */
	for (size_t i = 0; i < TEXT_COUNT; i++)
		vmfs_container_put_text(h + texts[i].off, texts[i].len, text_cmember(b, i), texts[i].rule);
	sha_of(h, VMFS_BACKUP_HEADER_SIZE, h + VMFS_BACKUP_OFF_HEADER_SHA);
}

static void build_entry(const vmfs_backup_region *r, uint64_t file_offset, uint8_t *e)
{
	memset(e, 0, VMFS_BACKUP_ENTRY_SIZE);
	memcpy(e + VMFS_BACKUP_ENT_OFF_KIND, r->kind, strnlen(r->kind, VMFS_BACKUP_KIND_LEN));
	vmfs_put_le32(e + VMFS_BACKUP_ENT_OFF_DEVICE, r->device);
	vmfs_put_le32(e + VMFS_BACKUP_ENT_OFF_FLAGS, r->flags);
	vmfs_put_le64(e + VMFS_BACKUP_ENT_OFF_OFFSET, r->offset);
	vmfs_put_le64(e + VMFS_BACKUP_ENT_OFF_LENGTH, r->length);
	vmfs_put_le64(e + VMFS_BACKUP_ENT_OFF_STORED, r->stored_length);
	vmfs_put_le64(e + VMFS_BACKUP_ENT_OFF_FILE_OFFSET, file_offset);
	vmfs_put_le32(e + VMFS_BACKUP_ENT_OFF_CRC32, r->crc32);
	memcpy(e + VMFS_BACKUP_ENT_OFF_SHA256, r->sha256, 32);
}

/* Hashes bytes [0, end) of the file as written. */
static vmfs_status hash_file(int fd, const char *path, uint64_t end, uint8_t out[32], vmfs_error *err)
{
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	struct sha256_ctx ctx;
	sha256_init(&ctx);
	vmfs_status st = VMFS_OK;
	for (uint64_t pos = 0; pos < end && st == VMFS_OK;) {
		size_t n = end - pos < CHUNK ? (size_t)(end - pos) : CHUNK;
		st = read_exact(fd, path, pos, buf, n, err);
		sha256_update(&ctx, n, buf);
		pos += n;
	}
	free(buf);
	sha256_digest(&ctx, SHA256_DIGEST_SIZE, out);
	return st;
}

/* Writes the stored bytes of every region from data_start, then table and
 * header, then the trailer over the bytes read back. */
static vmfs_status write_file(int fd, const char *path, vmfs_backup *b, vmfs_error *err)
{
	uint64_t table_at = VMFS_BACKUP_HEADER_SIZE;
	uint64_t pos = table_at + (uint64_t)b->count * VMFS_BACKUP_ENTRY_SIZE;
	uint8_t *table = calloc(b->count, VMFS_BACKUP_ENTRY_SIZE);
	if (!table)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	vmfs_status st = VMFS_OK;
	for (size_t i = 0; i < b->count && st == VMFS_OK; i++) {
		vmfs_backup_region *r = &b->regions[i];
		r->crc32 = crc_of(r->data, r->length);
		sha_of(r->data, r->length, r->sha256);
		uLongf clen = compressBound((uLong)r->length);
		uint8_t *z = malloc(clen);
		if (!z) {
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, pos, "out of memory (%lu bytes)",
					    (unsigned long)clen);
			break;
		}
		int zr = compress2(z, &clen, r->data, (uLong)r->length, 9);
		bool packed = zr == Z_OK && clen < r->length;
		r->flags = packed ? VMFS_BACKUP_REGION_ZLIB : 0;
		r->stored_length = packed ? (uint64_t)clen : r->length;
		st = vmfs_write_exact(fd, path, pos, packed ? z : r->data, (size_t)r->stored_length, err);
		free(z);
		build_entry(r, pos, table + i * VMFS_BACKUP_ENTRY_SIZE);
		pos += r->stored_length;
	}
	if (st == VMFS_OK)
		st = vmfs_write_exact(fd, path, table_at, table, b->count * VMFS_BACKUP_ENTRY_SIZE, err);
	free(table);
	if (st != VMFS_OK)
		return st;
	uint8_t h[VMFS_BACKUP_HEADER_SIZE];
	build_header(b, h);
	if ((st = vmfs_write_exact(fd, path, 0, h, sizeof(h), err)) != VMFS_OK)
		return st;
	/* Hashing what was written, read back, makes the trailer vouch for the file. */
	if ((st = hash_file(fd, path, pos, b->file_sha256, err)) != VMFS_OK)
		return st;
	uint8_t trailer[VMFS_BACKUP_TRAILER_SIZE];
	memcpy(trailer, VMFS_BACKUP_END_MAGIC, 8);
	memcpy(trailer + 8, b->file_sha256, 32);
	return vmfs_write_exact(fd, path, pos, trailer, sizeof(trailer), err);
}

static vmfs_status write_record(int fd, const char *path, void *b, vmfs_error *err)
{
	return write_file(fd, path, b, err);
}

vmfs_status vmfs_backup_save(const char *path, vmfs_backup *b, vmfs_error *err)
{
	vmfs_error_clear(err);
	vmfs_status st = check_record(b, err);
	if (st != VMFS_OK)
		return st;
	return vmfs_container_create(&backup_format, path, write_record, b, err);
}

/* Validates the header h (SHA field intact on return); sets *count. */
static vmfs_status parse_header(const char *path, uint8_t *h, vmfs_backup *out, uint32_t *count, vmfs_error *err)
{
	uint8_t stored[32], computed[32];
	memcpy(stored, h + VMFS_BACKUP_OFF_HEADER_SHA, 32);
	memset(h + VMFS_BACKUP_OFF_HEADER_SHA, 0, 32);
	sha_of(h, VMFS_BACKUP_HEADER_SIZE, computed);
	memcpy(h + VMFS_BACKUP_OFF_HEADER_SHA, stored, 32);
	if (memcmp(stored, computed, 32) != 0) {
		char a[17], c[17];
		sha_hex(stored, a);
		sha_hex(computed, c);
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_BACKUP_OFF_HEADER_SHA,
				      "header SHA-256 mismatch: stored %s..., computed %s... (the header is damaged)", a, c);
	}
	uint32_t flags = vmfs_le32(h + VMFS_BACKUP_OFF_FLAGS);
	if (flags != 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_BACKUP_OFF_FLAGS,
				      "header flags are 0x%08x, expected 0", flags);
	out->source_size = vmfs_le64(h + VMFS_BACKUP_OFF_SOURCE_SIZE);
	if (out->source_size == 0 || out->source_size > INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_BACKUP_OFF_SOURCE_SIZE,
				      "source size %llu is not in 1..2^63-1", ull(out->source_size));
	out->sector_size = vmfs_le32(h + VMFS_BACKUP_OFF_SECTOR_SIZE);
	if (!vmfs_container_sector_size_ok(out->sector_size))
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_BACKUP_OFF_SECTOR_SIZE,
				      "source sector size %u is not a power of two in 512..65536", out->sector_size);
	out->source_kind = vmfs_le32(h + VMFS_BACKUP_OFF_SOURCE_KIND);
	if (out->source_kind > VMFS_BACKUP_SOURCE_BLOCK)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_BACKUP_OFF_SOURCE_KIND,
				      "source kind %u is neither 0 (file) nor 1 (block device)", out->source_kind);
	for (size_t i = 0; i < TEXT_COUNT; i++) {
		const uint8_t *p = h + texts[i].off;
		long bad = vmfs_container_get_text(p, texts[i].len, texts[i].rule, text_member(out, i));
		if (bad >= 0)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, texts[i].off + (uint64_t)bad,
					      "%s field: byte 0x%02x is %s or follows the terminating NUL", texts[i].name,
					      p[bad], texts[i].rule == VMFS_CONTAINER_TEXT_UTF8 ? "not valid UTF-8 text"
												: "a control character");
	}
	vmfs_status st = vmfs_container_check_zero(path, h, VMFS_BACKUP_OFF_RESERVED, VMFS_BACKUP_OFF_HEADER_SHA, 0,
						   "reserved header byte", err);
	if (st != VMFS_OK)
		return st;
	out->created = vmfs_le64(h + VMFS_BACKUP_OFF_CREATED);
	*count = vmfs_le32(h + VMFS_BACKUP_OFF_COUNT);
	return vmfs_container_check_count(&backup_format, path, *count, VMFS_BACKUP_OFF_COUNT, err);
}

/* Validates one table entry e (at file offset at) of region i, expected to
 * store its data at file offset want_at; fills r (data not yet read). */
static vmfs_status parse_entry(const char *path, const uint8_t *e, uint64_t at, uint32_t i, uint64_t want_at,
			       const vmfs_backup *b, vmfs_backup_region *r, vmfs_error *err)
{
	const uint8_t *k = e + VMFS_BACKUP_ENT_OFF_KIND;
	size_t n = strnlen((const char *)k, VMFS_BACKUP_KIND_LEN);
	long bad = n == 0 ? 0 : -1;
	for (size_t j = 0; bad < 0 && j < VMFS_BACKUP_KIND_LEN; j++)
		if (j < n ? (k[j] < 0x21 || k[j] > 0x7e) : k[j] != 0)
			bad = (long)j;
	if (bad >= 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + (uint64_t)bad,
				      "region %u: kind byte %ld is 0x%02x, expected 1..32 printable ASCII bytes then NULs",
				      i, bad, k[bad]);
	memcpy(r->kind, k, n);
	r->kind[n] = 0;
	r->device = vmfs_le32(e + VMFS_BACKUP_ENT_OFF_DEVICE);
	r->flags = vmfs_le32(e + VMFS_BACKUP_ENT_OFF_FLAGS);
	r->offset = vmfs_le64(e + VMFS_BACKUP_ENT_OFF_OFFSET);
	r->length = vmfs_le64(e + VMFS_BACKUP_ENT_OFF_LENGTH);
	r->stored_length = vmfs_le64(e + VMFS_BACKUP_ENT_OFF_STORED);
	uint64_t file_offset = vmfs_le64(e + VMFS_BACKUP_ENT_OFF_FILE_OFFSET);
	r->crc32 = vmfs_le32(e + VMFS_BACKUP_ENT_OFF_CRC32);
	memcpy(r->sha256, e + VMFS_BACKUP_ENT_OFF_SHA256, 32);
	if (r->flags & ~VMFS_BACKUP_REGION_ZLIB)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + VMFS_BACKUP_ENT_OFF_FLAGS,
				      "region %u: flags 0x%08x, only bit 0 (zlib) is defined", i, r->flags);
	char what[48];
	snprintf(what, sizeof(what), "region %u: reserved byte", i);
	vmfs_status st = vmfs_container_check_zero(path, e, VMFS_BACKUP_ENT_OFF_RESERVED1, VMFS_BACKUP_ENT_OFF_SHA256,
						   at, what, err);
	if (st == VMFS_OK)
		st = vmfs_container_check_zero(path, e, VMFS_BACKUP_ENT_OFF_RESERVED2, VMFS_BACKUP_ENTRY_SIZE, at, what,
					       err);
	vmfs_container_region span = { r->offset, r->length, at };
	if (st == VMFS_OK)
		st = vmfs_container_check_region(&backup_format, path, VMFS_ERR_FORMAT, b->source_size, i, &span,
						 VMFS_BACKUP_ENT_OFF_OFFSET, VMFS_BACKUP_ENT_OFF_LENGTH, err);
	if (st != VMFS_OK)
		return st;
	uint64_t max_stored = r->flags & VMFS_BACKUP_REGION_ZLIB ? compressBound((uLong)r->length) : r->length;
	uint64_t min_stored = r->flags & VMFS_BACKUP_REGION_ZLIB ? 1 : r->length;
	if (r->stored_length < min_stored || r->stored_length > max_stored)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + VMFS_BACKUP_ENT_OFF_STORED,
				      "region %u: stored length %llu, expected %s %llu for %llu %s bytes", i,
				      ull(r->stored_length), min_stored == max_stored ? "exactly" : "at most",
				      ull(max_stored), ull(r->length),
				      r->flags & VMFS_BACKUP_REGION_ZLIB ? "compressed" : "raw");
	if (file_offset != want_at)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + VMFS_BACKUP_ENT_OFF_FILE_OFFSET,
				      "region %u: data at file offset 0x%llx, expected 0x%llx (right after the %s)", i,
				      ull(file_offset), ull(want_at), i ? "previous region's data" : "region table");
	return VMFS_OK;
}

/* Inflates a zlib stream of exactly out_len bytes. */
static vmfs_status inflate_exact(const char *path, uint64_t at, uint32_t i, const uint8_t *in, uint64_t in_len,
				 uint8_t *out, uint64_t out_len, vmfs_error *err)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (inflateInit(&zs) != Z_OK)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, at, "zlib inflateInit failed");
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)in_len;
	zs.next_out = out;
	zs.avail_out = (uInt)out_len;
	int zr = inflate(&zs, Z_FINISH);
	uint64_t got = zs.total_out, used = zs.total_in;
	const char *msg = zs.msg;
	char why[128];
	snprintf(why, sizeof(why), "%s", msg ? msg : "");
	inflateEnd(&zs);
	if (zr == Z_STREAM_END && got == out_len && used == in_len)
		return VMFS_OK;
	if (zr == Z_STREAM_END && used != in_len)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + used,
				      "region %u: the zlib stream ends after %llu of its %llu stored bytes", i,
				      ull(used), ull(in_len));
	if (zr == Z_STREAM_END)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at,
				      "region %u: inflates to %llu bytes, expected %llu", i, ull(got), ull(out_len));
	if (zr == Z_BUF_ERROR && got == out_len)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at,
				      "region %u: inflates to more than the expected %llu bytes", i, ull(out_len));
	if (zr == Z_BUF_ERROR)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + in_len,
				      "region %u: the zlib stream is cut short after %llu of the expected %llu bytes", i,
				      ull(got), ull(out_len));
	return vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + used,
			      "region %u: damaged zlib stream (%s%s%d) after %llu stored bytes", i, why,
			      why[0] ? ", zlib code " : "zlib code ", zr, ull(used));
}

static vmfs_status incomplete(vmfs_error *err, const char *path, uint64_t file_size, uint64_t expected,
			      const char *what)
{
	return vmfs_container_incomplete(&backup_format, path, file_size, expected, what, err);
}

static vmfs_status parse_file(int fd, const char *path, uint64_t file_size, vmfs_backup *out, vmfs_error *err)
{
	uint8_t h[VMFS_BACKUP_HEADER_SIZE] = { 0 };
	size_t have = file_size < sizeof(h) ? (size_t)file_size : sizeof(h);
	vmfs_status st = read_exact(fd, path, 0, h, have, err);
	if (st != VMFS_OK)
		return st;
	if ((st = vmfs_container_check_preamble(&backup_format, path, h, have, file_size, err)) != VMFS_OK)
		return st;
	uint32_t count = 0;
	if ((st = parse_header(path, h, out, &count, err)) != VMFS_OK)
		return st;
	uint64_t table_at = VMFS_BACKUP_HEADER_SIZE;
	uint64_t data_at = table_at + (uint64_t)count * VMFS_BACKUP_ENTRY_SIZE;
	if (file_size < data_at + VMFS_BACKUP_TRAILER_SIZE)
		return incomplete(err, path, file_size, data_at + VMFS_BACKUP_TRAILER_SIZE,
				  "the header's region table with the trailer");

	/* count <= 4096 and the file holds the table: bounded allocations. */
	size_t table_len = (size_t)count * VMFS_BACKUP_ENTRY_SIZE;
	uint8_t *table = malloc(table_len);
	out->regions = calloc(count, sizeof(*out->regions));
	uint8_t *stored = NULL;
	vmfs_container_region *spans = NULL;
	if (!table || !out->regions) {
		st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
		goto out;
	}
	out->capacity = count;
	if ((st = read_exact(fd, path, table_at, table, table_len, err)) != VMFS_OK)
		goto out;
	uint64_t pos = data_at, total = 0, max_stored = 0;
	for (uint32_t i = 0; i < count; i++) {
		vmfs_backup_region *r = &out->regions[i];
		uint64_t at = table_at + (uint64_t)i * VMFS_BACKUP_ENTRY_SIZE;
		if ((st = parse_entry(path, table + (size_t)i * VMFS_BACKUP_ENTRY_SIZE, at, i, pos, out, r, err)) !=
		    VMFS_OK)
			goto out;
		total += r->length;
		if (total > VMFS_BACKUP_MAX_TOTAL_BYTES) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, at + VMFS_BACKUP_ENT_OFF_LENGTH,
					    "region %u brings the regions to %llu bytes, more than the maximum %llu (1 GiB)",
					    i, ull(total), ull(VMFS_BACKUP_MAX_TOTAL_BYTES));
			goto out;
		}
		pos += r->stored_length;
		if (r->stored_length > max_stored)
			max_stored = r->stored_length;
	}
	uint64_t expected = pos + VMFS_BACKUP_TRAILER_SIZE;
	if (file_size < expected) {
		/* A file that ends with a trailer was finished: its table is wrong. */
		uint8_t end[8];
		if ((st = read_exact(fd, path, file_size - VMFS_BACKUP_TRAILER_SIZE, end, sizeof(end), err)) != VMFS_OK)
			goto out;
		if (memcmp(end, VMFS_BACKUP_END_MAGIC, 8) == 0)
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, table_at,
					    "the region table announces %llu bytes of data, the file holds %llu before its "
					    "trailer (the table is damaged)", ull(pos - data_at),
					    ull(file_size - VMFS_BACKUP_TRAILER_SIZE - data_at));
		else
			st = incomplete(err, path, file_size, expected,
					"the data its region table announces, with the trailer,");
		goto out;
	}
	uint8_t trailer[VMFS_BACKUP_TRAILER_SIZE];
	if ((st = vmfs_container_check_length(&backup_format, path, file_size, expected, "the file", err)) !=
		    VMFS_OK ||
	    (st = read_exact(fd, path, pos, trailer, sizeof(trailer), err)) != VMFS_OK ||
	    (st = vmfs_container_check_end_magic(&backup_format, path, trailer, pos, err)) != VMFS_OK)
		goto out;
	if (!(spans = malloc(count * sizeof(*spans)))) {
		st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < count; i++)
		spans[i] = (vmfs_container_region){ out->regions[i].offset, out->regions[i].length,
						    table_at + (uint64_t)i * VMFS_BACKUP_ENTRY_SIZE };
	if ((st = vmfs_container_check_overlap(&backup_format, path, VMFS_ERR_FORMAT, spans, count, err)) != VMFS_OK)
		goto out;

	/* Every size is now bounded by the limits and by the file itself. */
	struct sha256_ctx file_ctx;
	sha256_init(&file_ctx);
	sha256_update(&file_ctx, sizeof(h), h);
	sha256_update(&file_ctx, table_len, table);
	stored = malloc(max_stored);
	if (!stored) {
		st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory (%llu bytes)",
				    ull(max_stored));
		goto out;
	}
	pos = data_at;
	for (uint32_t i = 0; i < count; i++) {
		vmfs_backup_region *r = &out->regions[i];
		if (!(r->data = malloc((size_t)r->length))) {
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, pos, "out of memory (%llu bytes)",
					    ull(r->length));
			goto out;
		}
		out->count = i + 1;
		bool packed = r->flags & VMFS_BACKUP_REGION_ZLIB;
		uint8_t *into = packed ? stored : r->data;
		if ((st = read_exact(fd, path, pos, into, (size_t)r->stored_length, err)) != VMFS_OK)
			goto out;
		sha256_update(&file_ctx, (size_t)r->stored_length, into);
		if (packed &&
		    (st = inflate_exact(path, pos, i, stored, r->stored_length, r->data, r->length, err)) != VMFS_OK)
			goto out;
		uint32_t crc = crc_of(r->data, r->length);
		if (crc != r->crc32) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos,
					    "region %u \"%s\" (source 0x%llx, %llu bytes): CRC32 of the data is 0x%08x, the "
					    "table says 0x%08x (the saved data is damaged)", i, r->kind, ull(r->offset),
					    ull(r->length), crc, r->crc32);
			goto out;
		}
		uint8_t digest[32];
		sha_of(r->data, r->length, digest);
		if (memcmp(digest, r->sha256, 32) != 0) {
			char x[17], y[17];
			sha_hex(digest, x);
			sha_hex(r->sha256, y);
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos,
					    "region %u \"%s\" (source 0x%llx, %llu bytes): SHA-256 of the data is %s..., the "
					    "table says %s... (the saved data is damaged)", i, r->kind, ull(r->offset),
					    ull(r->length), x, y);
			goto out;
		}
		pos += r->stored_length;
	}
	sha256_digest(&file_ctx, SHA256_DIGEST_SIZE, out->file_sha256);
	if (memcmp(out->file_sha256, trailer + 8, 32) != 0) {
		char x[17], y[17];
		sha_hex(trailer + 8, x);
		sha_hex(out->file_sha256, y);
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos + 8,
				    "file SHA-256 mismatch: the trailer says %s..., bytes 0..0x%llx give %s... (the "
				    "file is damaged)", x, ull(pos - 1), y);
		goto out;
	}
out:
	free(spans);
	free(stored);
	free(table);
	return st;
}

static vmfs_status parse_record(int fd, const char *path, uint64_t file_size, void *out, vmfs_error *err)
{
	return parse_file(fd, path, file_size, out, err);
}

vmfs_status vmfs_backup_load(const char *path, vmfs_backup *out, vmfs_error *err)
{
	vmfs_error_clear(err);
	memset(out, 0, sizeof(*out));
	vmfs_status st = vmfs_container_open(&backup_format, path, parse_record, out, err);
	if (st != VMFS_OK)
		vmfs_backup_free(out);
	return st;
}

bool vmfs_backup_is_backup_file(const char *path)
{
	return vmfs_container_has_magic(&backup_format, path);
}

vmfs_status vmfs_backup_open_source(const char *path, vmfs_source **out, vmfs_error *err)
{
	vmfs_backup b;
	*out = NULL;
	vmfs_status st = vmfs_backup_load(path, &b, err);
	if (st != VMFS_OK)
		return st;
	vmfs_source *src = NULL;
	st = vmfs_source_new_sparse(path, b.source_size, VMFS_SOURCE_BACKUP, &src, err);
	for (size_t i = 0; st == VMFS_OK && i < b.count; i++)
		st = vmfs_source_fill(src, b.regions[i].offset, b.regions[i].data, (size_t)b.regions[i].length, err);
	if (st == VMFS_OK)
		vmfs_source_set_sector_size(src, b.sector_size);
	vmfs_backup_free(&b);
	if (st != VMFS_OK) {
		vmfs_source_close(src);
		return st;
	}
	*out = src;
	return VMFS_OK;
}
