/* Undo files (format in undo.h). Writing: validate the record, create the
 * file exclusively, write header, regions and trailer, fsync file and
 * directory, remove the file on any failure. Reading: every count is checked
 * against its limit and the file length against what the header announces
 * before anything is allocated from it; every byte is covered by a CRC. */
#include "vmfs/repair/undo.h"

#include "vmfs/core/container.h"
#include "vmfs/core/fileio.h"
#include "vmfs/core/le.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

_Static_assert(VMFS_UNDO_OFF_HEADER_CRC + 4 == VMFS_UNDO_HEADER_SIZE, "header CRC ends the header");
_Static_assert(VMFS_UNDO_OFF_TARGET_PATH + VMFS_UNDO_LEN_TARGET_PATH == VMFS_UNDO_OFF_CREATED, "layout");
_Static_assert(VMFS_UNDO_OFF_TOOL + VMFS_UNDO_LEN_TOOL == VMFS_UNDO_OFF_COUNT, "layout");
_Static_assert(VMFS_UNDO_OFF_DESCRIPTION + VMFS_UNDO_LEN_DESCRIPTION == VMFS_UNDO_OFF_RESERVED2, "layout");
_Static_assert(VMFS_UNDO_OFF_RESERVED1 + 4 == VMFS_UNDO_OFF_TOTAL, "layout");
_Static_assert(sizeof(((vmfs_undo *)0)->target_path) == VMFS_UNDO_LEN_TARGET_PATH + 1, "path field");
_Static_assert(sizeof(((vmfs_undo *)0)->tool) == VMFS_UNDO_LEN_TOOL + 1, "tool field");
_Static_assert(sizeof(((vmfs_undo *)0)->description) == VMFS_UNDO_LEN_DESCRIPTION + 1, "description field");
_Static_assert(sizeof(VMFS_UNDO_MAGIC) == 9 && sizeof(VMFS_UNDO_END_MAGIC) == 9, "8-byte magics");
/* The largest valid file, 512 + 20 * 4096 + 2 * 256 MiB + 12 bytes, fits a size_t of 32 bits. */
_Static_assert(VMFS_UNDO_MAX_TOTAL_BYTES * 2 + 0x100000 < UINT32_MAX, "limits fit");

#define CHUNK ((size_t)1 << 20) /* target reads in check and verify */

static unsigned long long ull(uint64_t v) { return (unsigned long long)v; }

static const vmfs_container_format undo_format = {
	.name = "undo file",
	.a_name = "an undo file",
	.version_name = "undo file format",
	.record_name = "undo record",
	.region_name = "undo region",
	.space = "target",
	.magic = VMFS_UNDO_MAGIC,
	.end_magic = VMFS_UNDO_END_MAGIC,
	.version = VMFS_UNDO_VERSION,
	.header_size = VMFS_UNDO_HEADER_SIZE,
	.max_regions = VMFS_UNDO_MAX_REGIONS,
	.max_region_bytes = VMFS_UNDO_MAX_REGION_BYTES,
	.max_total_bytes = VMFS_UNDO_MAX_TOTAL_BYTES,
};

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t len) { return vmfs_container_crc32(crc, p, len); }

/* Caller text for tool and description: fits the field, no control characters. */
static bool text_arg_ok(const char *s, size_t width)
{
	size_t n = strlen(s);
	return n <= width && vmfs_container_text_bad_at((const uint8_t *)s, n, VMFS_CONTAINER_TEXT_PLAIN) < 0;
}

static vmfs_status read_exact(int fd, const char *path, uint64_t offset, void *buf, size_t len,
			      vmfs_error *err)
{
	return vmfs_container_read(&undo_format, fd, path, offset, buf, len, err);
}

/* ---------------- the record in memory ---------------- */

/* Checks a record before it is saved or used on a target: identity fields,
 * limits, regions inside the target, no overlap, data present. */
static vmfs_status check_record(const vmfs_undo *u, bool need_old, vmfs_error *err)
{
	const char *path = u->target_path;
	if (u->target_size == 0 || u->target_size > INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: target size %llu is not in 1..2^63-1", ull(u->target_size));
	if (!vmfs_container_sector_size_ok(u->sector_size))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: sector size %u is not a power of two in 512..65536", u->sector_size);
	if (u->target_kind > VMFS_UNDO_TARGET_BLOCK)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: unknown target kind %u", u->target_kind);
	if (!text_arg_ok(u->tool, VMFS_UNDO_LEN_TOOL) || !text_arg_ok(u->description, VMFS_UNDO_LEN_DESCRIPTION))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: tool name or description holds control characters");
	vmfs_container_region *spans = NULL;
	if (u->count && u->count <= VMFS_UNDO_MAX_REGIONS && u->regions) {
		for (size_t i = 0; i < u->count; i++) {
			const vmfs_undo_region *r = &u->regions[i];
			if (!r->new_data || (need_old && !r->old_data))
				return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, r->offset,
						      "undo region %zu has no %s bytes%s", i, r->new_data ? "old" : "new",
						      r->new_data ? " (vmfs_undo_capture was not called)" : "");
		}
		if (!(spans = malloc(u->count * sizeof(*spans))))
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
		for (size_t i = 0; i < u->count; i++)
			spans[i] = (vmfs_container_region){ u->regions[i].offset, u->regions[i].length, VMFS_NO_OFFSET };
	}
	vmfs_status st = vmfs_container_check_regions(&undo_format, path, VMFS_ERR_INVALID_ARG, u->target_size, spans,
						      u->count, 0, 0, err);
	free(spans);
	return st;
}

vmfs_status vmfs_undo_init(vmfs_undo *undo, const char *target_path, uint64_t target_size,
			   uint32_t sector_size, vmfs_undo_target_kind kind, const char *tool,
			   const char *description, vmfs_error *err)
{
	vmfs_error_clear(err);
	memset(undo, 0, sizeof(*undo));
	const char *path = target_path ? target_path : "";
	if (target_size == 0 || target_size > INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "target size %llu is not in 1..2^63-1", ull(target_size));
	if (!vmfs_container_sector_size_ok(sector_size))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "sector size %u is not a power of two in 512..65536", sector_size);
	if (kind != VMFS_UNDO_TARGET_FILE && kind != VMFS_UNDO_TARGET_BLOCK)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET, "unknown target kind %d",
				      (int)kind);
	if (!tool || !text_arg_ok(tool, VMFS_UNDO_LEN_TOOL))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "tool name missing, longer than %u bytes or holding control characters",
				      VMFS_UNDO_LEN_TOOL);
	if (!description || !text_arg_ok(description, VMFS_UNDO_LEN_DESCRIPTION))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "description missing, longer than %u bytes or holding control characters",
				      VMFS_UNDO_LEN_DESCRIPTION);
	size_t n = strnlen(path, VMFS_UNDO_LEN_TARGET_PATH);
	for (size_t i = 0; i < n; i++)
		undo->target_path[i] = vmfs_container_is_control((unsigned char)path[i]) ? '?' : path[i];
	undo->target_size = target_size;
	undo->sector_size = sector_size;
	undo->target_kind = (uint32_t)kind;
	time_t now = time(NULL);
	undo->created = now < 0 ? 0 : (uint64_t)now;
	snprintf(undo->tool, sizeof(undo->tool), "%s", tool);
	snprintf(undo->description, sizeof(undo->description), "%s", description);
	return VMFS_OK;
}

vmfs_status vmfs_undo_add(vmfs_undo *undo, uint64_t offset, const void *new_data, uint32_t length,
			  vmfs_error *err)
{
	vmfs_error_clear(err);
	const char *path = undo->target_path;
	if (!new_data)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset, "undo region at 0x%llx: no data",
				      ull(offset));
	vmfs_container_region span = { offset, length, VMFS_NO_OFFSET };
	vmfs_status st = vmfs_container_check_region(&undo_format, path, VMFS_ERR_INVALID_ARG, undo->target_size,
						     undo->count, &span, 0, 0, err);
	if (st != VMFS_OK)
		return st;
	if (undo->count >= VMFS_UNDO_MAX_REGIONS)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
				      "an undo record holds at most %u regions", VMFS_UNDO_MAX_REGIONS);
	uint64_t total = length;
	for (size_t i = 0; i < undo->count; i++) {
		const vmfs_undo_region *r = &undo->regions[i];
		total += r->length;
		if (offset < r->offset + r->length && r->offset < offset + length)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
					      "undo region [0x%llx, +%u) overlaps region %zu [0x%llx, +%u)", ull(offset),
					      length, i, ull(r->offset), r->length);
	}
	if (total > VMFS_UNDO_MAX_TOTAL_BYTES)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
				      "undo regions would hold %llu bytes, more than the maximum %llu (256 MiB)",
				      ull(total), ull(VMFS_UNDO_MAX_TOTAL_BYTES));
	if (undo->count >= undo->capacity) {
		size_t cap = undo->capacity ? undo->capacity * 2 : 8;
		if (cap < undo->count + 1)
			cap = undo->count + 1;
		vmfs_undo_region *grown = realloc(undo->regions, cap * sizeof(*grown));
		if (!grown)
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, offset, "out of memory");
		undo->regions = grown;
		undo->capacity = cap;
	}
	uint8_t *copy = malloc(length);
	if (!copy)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, offset, "out of memory (%u bytes)", length);
	memcpy(copy, new_data, length);
	undo->regions[undo->count++] = (vmfs_undo_region){ offset, length, NULL, copy };
	return VMFS_OK;
}

void vmfs_undo_free(vmfs_undo *undo)
{
	if (!undo)
		return;
	for (size_t i = 0; i < undo->count; i++) {
		free(undo->regions[i].old_data);
		free(undo->regions[i].new_data);
	}
	free(undo->regions);
	memset(undo, 0, sizeof(*undo));
}

const char *vmfs_undo_state_name(vmfs_undo_state state)
{
	switch (state) {
	case VMFS_UNDO_HOLDS_NEW: return "new";
	case VMFS_UNDO_HOLDS_OLD: return "old";
	case VMFS_UNDO_HOLDS_MIX: return "mix";
	case VMFS_UNDO_HOLDS_OTHER: return "other";
	}
	return "unknown";
}

vmfs_status vmfs_undo_capture(int fd, const char *target_path, vmfs_undo *undo, vmfs_error *err)
{
	vmfs_error_clear(err);
	vmfs_status st = check_record(undo, false, err);
	if (st != VMFS_OK)
		return st;
	for (size_t i = 0; i < undo->count; i++) {
		vmfs_undo_region *r = &undo->regions[i];
		if (!r->old_data && !(r->old_data = malloc(r->length)))
			return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, target_path, r->offset,
					      "out of memory (%u bytes)", r->length);
		st = read_exact(fd, target_path, r->offset, r->old_data, r->length, err);
		if (st != VMFS_OK)
			return st;
	}
	return VMFS_OK;
}

/* ---------------- the file ---------------- */

static void build_header(const vmfs_undo *u, uint8_t *h)
{
	uint64_t total = 0;
	for (size_t i = 0; i < u->count; i++)
		total += u->regions[i].length;
	memset(h, 0, VMFS_UNDO_HEADER_SIZE);
	memcpy(h + VMFS_UNDO_OFF_MAGIC, VMFS_UNDO_MAGIC, 8);
	vmfs_put_le32(h + VMFS_UNDO_OFF_VERSION, VMFS_UNDO_VERSION);
	vmfs_put_le32(h + VMFS_UNDO_OFF_HEADER_SIZE, VMFS_UNDO_HEADER_SIZE);
	vmfs_put_le64(h + VMFS_UNDO_OFF_TARGET_SIZE, u->target_size);
	vmfs_put_le32(h + VMFS_UNDO_OFF_SECTOR_SIZE, u->sector_size);
	vmfs_put_le32(h + VMFS_UNDO_OFF_TARGET_KIND, u->target_kind);
	/* The path is informational: cut to the field, control characters masked. */
	vmfs_container_put_text(h + VMFS_UNDO_OFF_TARGET_PATH, VMFS_UNDO_LEN_TARGET_PATH, u->target_path,
				VMFS_CONTAINER_TEXT_PLAIN);
	vmfs_put_le64(h + VMFS_UNDO_OFF_CREATED, u->created);
	vmfs_container_put_text(h + VMFS_UNDO_OFF_TOOL, VMFS_UNDO_LEN_TOOL, u->tool, VMFS_CONTAINER_TEXT_PLAIN);
	vmfs_put_le32(h + VMFS_UNDO_OFF_COUNT, (uint32_t)u->count);
	vmfs_put_le64(h + VMFS_UNDO_OFF_TOTAL, total);
	vmfs_container_put_text(h + VMFS_UNDO_OFF_DESCRIPTION, VMFS_UNDO_LEN_DESCRIPTION, u->description,
				VMFS_CONTAINER_TEXT_PLAIN);
	vmfs_put_le32(h + VMFS_UNDO_OFF_HEADER_CRC, crc_update(0, h, VMFS_UNDO_HEADER_SIZE));
}

static vmfs_status write_file(int fd, const char *path, const vmfs_undo *u, vmfs_error *err)
{
	uint8_t h[VMFS_UNDO_HEADER_SIZE];
	build_header(u, h);
	vmfs_status st = vmfs_write_exact(fd, path, 0, h, sizeof(h), err);
	uint32_t crc = crc_update(0, h, sizeof(h));
	uint64_t pos = sizeof(h);
	for (size_t i = 0; i < u->count && st == VMFS_OK; i++) {
		const vmfs_undo_region *r = &u->regions[i];
		uint8_t rec[VMFS_UNDO_REGION_HEAD_SIZE];
		vmfs_put_le64(rec + VMFS_UNDO_REG_OFF_OFFSET, r->offset);
		vmfs_put_le32(rec + VMFS_UNDO_REG_OFF_LENGTH, r->length);
		vmfs_put_le32(rec + VMFS_UNDO_REG_OFF_OLD_CRC, crc_update(0, r->old_data, r->length));
		vmfs_put_le32(rec + VMFS_UNDO_REG_OFF_NEW_CRC, crc_update(0, r->new_data, r->length));
		st = vmfs_write_exact(fd, path, pos, rec, sizeof(rec), err);
		if (st == VMFS_OK)
			st = vmfs_write_exact(fd, path, pos + sizeof(rec), r->old_data, r->length, err);
		if (st == VMFS_OK)
			st = vmfs_write_exact(fd, path, pos + sizeof(rec) + r->length, r->new_data, r->length, err);
		crc = crc_update(crc, rec, sizeof(rec));
		crc = crc_update(crc, r->old_data, r->length);
		crc = crc_update(crc, r->new_data, r->length);
		pos += sizeof(rec) + 2ull * r->length;
	}
	if (st != VMFS_OK)
		return st;
	uint8_t trailer[VMFS_UNDO_TRAILER_SIZE];
	memcpy(trailer, VMFS_UNDO_END_MAGIC, 8);
	vmfs_put_le32(trailer + 8, crc);
	return vmfs_write_exact(fd, path, pos, trailer, sizeof(trailer), err);
}

static vmfs_status write_record(int fd, const char *path, void *u, vmfs_error *err)
{
	return write_file(fd, path, u, err);
}

vmfs_status vmfs_undo_save(const char *path, const vmfs_undo *undo, vmfs_error *err)
{
	vmfs_error_clear(err);
	vmfs_status st = check_record(undo, true, err);
	if (st != VMFS_OK)
		return st;
	return vmfs_container_create(&undo_format, path, write_record, (void *)(uintptr_t)undo, err);
}

/* Validates the header (read into h, CRC field intact on return). */
static vmfs_status parse_header(const char *path, uint8_t *h, uint64_t file_size, vmfs_undo *out,
				uint32_t *count, uint64_t *total, vmfs_error *err)
{
	uint32_t stored = vmfs_le32(h + VMFS_UNDO_OFF_HEADER_CRC);
	vmfs_put_le32(h + VMFS_UNDO_OFF_HEADER_CRC, 0);
	uint32_t computed = crc_update(0, h, VMFS_UNDO_HEADER_SIZE);
	vmfs_put_le32(h + VMFS_UNDO_OFF_HEADER_CRC, stored);
	if (stored != computed)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_HEADER_CRC,
				      "header CRC mismatch: stored 0x%08x, computed 0x%08x (the header is damaged)",
				      stored, computed);

	out->target_size = vmfs_le64(h + VMFS_UNDO_OFF_TARGET_SIZE);
	if (out->target_size == 0 || out->target_size > INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_TARGET_SIZE,
				      "target size %llu is not in 1..2^63-1", ull(out->target_size));
	out->sector_size = vmfs_le32(h + VMFS_UNDO_OFF_SECTOR_SIZE);
	if (!vmfs_container_sector_size_ok(out->sector_size))
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_SECTOR_SIZE,
				      "target sector size %u is not a power of two in 512..65536", out->sector_size);
	out->target_kind = vmfs_le32(h + VMFS_UNDO_OFF_TARGET_KIND);
	if (out->target_kind > VMFS_UNDO_TARGET_BLOCK)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_TARGET_KIND,
				      "target kind %u is neither 0 (file) nor 1 (block device)", out->target_kind);
	static const struct {
		uint32_t off, len;
		const char *name;
	} texts[] = {
		{ VMFS_UNDO_OFF_TARGET_PATH, VMFS_UNDO_LEN_TARGET_PATH, "target path" },
		{ VMFS_UNDO_OFF_TOOL, VMFS_UNDO_LEN_TOOL, "tool name" },
		{ VMFS_UNDO_OFF_DESCRIPTION, VMFS_UNDO_LEN_DESCRIPTION, "description" },
	};
	char *dest[] = { out->target_path, out->tool, out->description };
	for (size_t i = 0; i < 3; i++) {
		long bad = vmfs_container_get_text(h + texts[i].off, texts[i].len, VMFS_CONTAINER_TEXT_PLAIN, dest[i]);
		if (bad >= 0)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, texts[i].off + (uint64_t)bad,
					      "%s field: byte 0x%02x is a control character or follows the "
					      "terminating NUL", texts[i].name, h[texts[i].off + (size_t)bad]);
	}
	out->created = vmfs_le64(h + VMFS_UNDO_OFF_CREATED);
	vmfs_status st = vmfs_container_check_zero(path, h, VMFS_UNDO_OFF_RESERVED1, VMFS_UNDO_OFF_RESERVED1 + 4, 0,
						   "reserved header byte", err);
	if (st == VMFS_OK)
		st = vmfs_container_check_zero(path, h, VMFS_UNDO_OFF_RESERVED2, VMFS_UNDO_OFF_HEADER_CRC, 0,
					       "reserved header byte", err);
	*count = vmfs_le32(h + VMFS_UNDO_OFF_COUNT);
	if (st == VMFS_OK)
		st = vmfs_container_check_count(&undo_format, path, *count, VMFS_UNDO_OFF_COUNT, err);
	if (st != VMFS_OK)
		return st;
	*total = vmfs_le64(h + VMFS_UNDO_OFF_TOTAL);
	if (*total > VMFS_UNDO_MAX_TOTAL_BYTES)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_TOTAL,
				      "total region bytes %llu exceed the maximum %llu (256 MiB)", ull(*total),
				      ull(VMFS_UNDO_MAX_TOTAL_BYTES));
	if (*total < *count)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_TOTAL,
				      "total region bytes %llu are fewer than the %u regions (each holds at least one byte)",
				      ull(*total), *count);
	uint64_t expected = VMFS_UNDO_HEADER_SIZE + (uint64_t)*count * VMFS_UNDO_REGION_HEAD_SIZE + 2 * *total +
			    VMFS_UNDO_TRAILER_SIZE;
	char what[96];
	snprintf(what, sizeof(what), "the header's %u regions of %llu bytes in all, with the trailer,", *count,
		 ull(*total));
	return vmfs_container_check_length(&undo_format, path, file_size, expected, what, err);
}

static vmfs_status parse_file(int fd, const char *path, uint64_t file_size, vmfs_undo *out, vmfs_error *err)
{
	uint8_t h[VMFS_UNDO_HEADER_SIZE] = { 0 };
	size_t have = file_size < sizeof(h) ? (size_t)file_size : sizeof(h);
	vmfs_status st = read_exact(fd, path, 0, h, have, err);
	if (st != VMFS_OK)
		return st;
	if ((st = vmfs_container_check_preamble(&undo_format, path, h, have, file_size, err)) != VMFS_OK)
		return st;
	uint32_t count = 0;
	uint64_t total = 0;
	st = parse_header(path, h, file_size, out, &count, &total, err);
	if (st != VMFS_OK)
		return st;

	/* count <= 4096 and the file holds every byte announced: allocations are bounded. */
	out->regions = calloc(count, sizeof(*out->regions));
	vmfs_container_region *spans = calloc(count, sizeof(*spans));
	if (!out->regions || !spans) {
		free(spans);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	out->capacity = count;
	uint32_t crc = crc_update(0, h, sizeof(h));
	uint64_t pos = sizeof(h), sum = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t rec[VMFS_UNDO_REGION_HEAD_SIZE];
		if ((st = read_exact(fd, path, pos, rec, sizeof(rec), err)) != VMFS_OK)
			goto out;
		uint64_t offset = vmfs_le64(rec + VMFS_UNDO_REG_OFF_OFFSET);
		uint32_t length = vmfs_le32(rec + VMFS_UNDO_REG_OFF_LENGTH);
		uint32_t old_crc = vmfs_le32(rec + VMFS_UNDO_REG_OFF_OLD_CRC);
		uint32_t new_crc = vmfs_le32(rec + VMFS_UNDO_REG_OFF_NEW_CRC);
		vmfs_container_region span = { offset, length, pos };
		if ((st = vmfs_container_check_region(&undo_format, path, VMFS_ERR_FORMAT, out->target_size, i, &span,
						      VMFS_UNDO_REG_OFF_OFFSET, VMFS_UNDO_REG_OFF_LENGTH, err)) != VMFS_OK)
			goto out;
		if (length > total - sum) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos + VMFS_UNDO_REG_OFF_LENGTH,
					    "region %u: length %u brings the regions past the header's total of %llu "
					    "bytes", i, length, ull(total));
			goto out;
		}
		spans[i] = span;
		vmfs_undo_region *r = &out->regions[out->count++];
		r->offset = offset;
		r->length = length;
		r->old_data = malloc(length);
		r->new_data = malloc(length);
		if (!r->old_data || !r->new_data) {
			st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, pos, "out of memory (2 x %u bytes)", length);
			goto out;
		}
		uint64_t old_at = pos + sizeof(rec), new_at = old_at + length;
		if ((st = read_exact(fd, path, old_at, r->old_data, length, err)) != VMFS_OK ||
		    (st = read_exact(fd, path, new_at, r->new_data, length, err)) != VMFS_OK)
			goto out;
		uint32_t c = crc_update(0, r->old_data, length);
		if (c != old_crc) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, old_at,
					    "region %u (target 0x%llx, %u bytes): CRC of the old bytes is 0x%08x, the "
					    "record says 0x%08x (the saved data is damaged)", i, ull(offset), length, c,
					    old_crc);
			goto out;
		}
		c = crc_update(0, r->new_data, length);
		if (c != new_crc) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, new_at,
					    "region %u (target 0x%llx, %u bytes): CRC of the new bytes is 0x%08x, the "
					    "record says 0x%08x (the saved data is damaged)", i, ull(offset), length, c,
					    new_crc);
			goto out;
		}
		crc = crc_update(crc, rec, sizeof(rec));
		crc = crc_update(crc, r->old_data, length);
		crc = crc_update(crc, r->new_data, length);
		pos = new_at + length;
		sum += length;
	}
	if (sum != total) {
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos,
				    "the regions hold %llu bytes, the header says %llu", ull(sum), ull(total));
		goto out;
	}
	uint8_t trailer[VMFS_UNDO_TRAILER_SIZE];
	if ((st = read_exact(fd, path, pos, trailer, sizeof(trailer), err)) != VMFS_OK)
		goto out;
	if ((st = vmfs_container_check_end_magic(&undo_format, path, trailer, pos, err)) != VMFS_OK)
		goto out;
	uint32_t stored = vmfs_le32(trailer + 8);
	if (stored != crc) {
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos + 8,
				    "file CRC mismatch: the trailer says 0x%08x, bytes 0..0x%llx give 0x%08x (the file "
				    "is damaged)", stored, ull(pos - 1), crc);
		goto out;
	}
	st = vmfs_container_check_overlap(&undo_format, path, VMFS_ERR_FORMAT, spans, out->count, err);
out:
	free(spans);
	return st;
}

static vmfs_status parse_record(int fd, const char *path, uint64_t file_size, void *out, vmfs_error *err)
{
	return parse_file(fd, path, file_size, out, err);
}

vmfs_status vmfs_undo_load(const char *path, vmfs_undo *out, vmfs_error *err)
{
	vmfs_error_clear(err);
	memset(out, 0, sizeof(*out));
	vmfs_status st = vmfs_container_open(&undo_format, path, parse_record, out, err);
	if (st != VMFS_OK)
		vmfs_undo_free(out);
	return st;
}

/* ---------------- the target ---------------- */

void vmfs_undo_holding_init(vmfs_undo_holding *h)
{
	*h = (vmfs_undo_holding){ true, true, UINT64_MAX, UINT64_MAX, 0, 0 };
}

void vmfs_undo_holding_add(vmfs_undo_holding *h, const vmfs_undo_region *r, size_t done, const uint8_t *now, size_t n)
{
	const uint8_t *o = r->old_data + done, *w = r->new_data + done;
	bool is_old = memcmp(now, o, n) == 0, is_new = memcmp(now, w, n) == 0;
	h->all_old = h->all_old && is_old;
	h->all_new = h->all_new && is_new;
	for (size_t k = 0; !is_old && k < n; k++) {
		if (now[k] == o[k])
			continue;
		if (h->first_not_old == UINT64_MAX) {
			h->first_not_old = r->offset + done + k;
			h->not_old_byte = now[k];
		}
		if (now[k] != w[k] && h->first_other == UINT64_MAX) {
			h->first_other = r->offset + done + k;
			h->other_byte = now[k];
		}
		if (h->first_other != UINT64_MAX)
			break;
	}
}

vmfs_undo_state vmfs_undo_holding_state(const vmfs_undo_holding *h)
{
	if (h->all_old)
		return VMFS_UNDO_HOLDS_OLD;
	if (h->all_new)
		return VMFS_UNDO_HOLDS_NEW;
	return h->first_other == UINT64_MAX ? VMFS_UNDO_HOLDS_MIX : VMFS_UNDO_HOLDS_OTHER;
}

/* Reads a region of the target and compares it with the old and new bytes. */
static vmfs_status examine(int fd, const char *path, const vmfs_undo_region *r, uint8_t *buf, vmfs_undo_holding *h,
			   vmfs_error *err)
{
	vmfs_undo_holding_init(h);
	for (size_t done = 0; done < r->length;) {
		size_t n = r->length - done < CHUNK ? r->length - done : CHUNK;
		vmfs_status st = read_exact(fd, path, r->offset + done, buf, n, err);
		if (st != VMFS_OK)
			return st;
		vmfs_undo_holding_add(h, r, done, buf, n);
		done += n;
	}
	return VMFS_OK;
}

vmfs_status vmfs_undo_check_target(int fd, const char *target_path, uint64_t size, uint32_t sector_size,
				   const vmfs_undo *undo, bool force, vmfs_undo_state *states,
				   vmfs_error *err)
{
	vmfs_error_clear(err);
	vmfs_status st = check_record(undo, true, err);
	if (st != VMFS_OK)
		return st;
	if (size != undo->target_size && !force)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, target_path, VMFS_NO_OFFSET,
				      "the target is %llu bytes, the undo file was made for a target of %llu bytes "
				      "(%s): not the same device", ull(size), ull(undo->target_size),
				      undo->target_path[0] ? undo->target_path : "no path recorded");
	if (sector_size != undo->sector_size && !force)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, target_path, VMFS_NO_OFFSET,
				      "the target has %u-byte sectors, the undo file was made for a target with "
				      "%u-byte sectors (%s): not the same device", sector_size, undo->sector_size,
				      undo->target_path[0] ? undo->target_path : "no path recorded");
	for (size_t i = 0; i < undo->count; i++) {
		const vmfs_undo_region *r = &undo->regions[i];
		if (r->offset > size || r->length > size - r->offset)
			return vmfs_error_set(err, VMFS_ERR_TRUNCATED, target_path, r->offset,
					      "region %zu [0x%llx, +%u) lies beyond the end of the target (%llu bytes): "
					      "it cannot be restored", i, ull(r->offset), r->length, ull(size));
	}
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, target_path, VMFS_NO_OFFSET, "out of memory");
	size_t bad = SIZE_MAX;
	vmfs_undo_holding bad_h = { 0 };
	for (size_t i = 0; i < undo->count; i++) {
		vmfs_undo_holding h;
		st = examine(fd, target_path, &undo->regions[i], buf, &h, err);
		if (st != VMFS_OK)
			break;
		vmfs_undo_state s = vmfs_undo_holding_state(&h);
		if (states)
			states[i] = s;
		if (s == VMFS_UNDO_HOLDS_OTHER && bad == SIZE_MAX) {
			bad = i;
			bad_h = h;
		}
	}
	free(buf);
	if (st != VMFS_OK || bad == SIZE_MAX || force)
		return st;
	const vmfs_undo_region *r = &undo->regions[bad];
	size_t k = (size_t)(bad_h.first_other - r->offset);
	return vmfs_error_set(err, VMFS_ERR_FORMAT, target_path, r->offset,
			      "region %zu at 0x%llx (%u bytes) holds neither the bytes written nor the old ones: "
			      "the byte at 0x%llx is 0x%02x, the tool wrote 0x%02x over 0x%02x (changed since, or "
			      "not the same device)", bad, ull(r->offset), r->length, ull(bad_h.first_other),
			      bad_h.other_byte, r->new_data[k], r->old_data[k]);
}

/* Writes one side of every region, fsyncs, drops the cached copy, reads back. */
static vmfs_status write_side(int fd, const char *path, const vmfs_undo *undo, bool old_side, vmfs_error *err)
{
	vmfs_status st = VMFS_OK;
	for (size_t i = 0; i < undo->count && st == VMFS_OK; i++) {
		const vmfs_undo_region *r = &undo->regions[i];
		st = vmfs_write_exact(fd, path, r->offset, old_side ? r->old_data : r->new_data, r->length, err);
	}
	if (st == VMFS_OK)
		st = vmfs_sync_fd(fd, path, err);
	if (st != VMFS_OK)
		return st;
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	for (size_t i = 0; i < undo->count && st == VMFS_OK; i++) {
		const vmfs_undo_region *r = &undo->regions[i];
		const uint8_t *want = old_side ? r->old_data : r->new_data;
		/* After the fsync the cached pages are clean: drop them so that the
		 * read comes from the device (advisory; a failure changes nothing). */
		(void)posix_fadvise(fd, (off_t)r->offset, (off_t)r->length, POSIX_FADV_DONTNEED);
		for (size_t done = 0; done < r->length && st == VMFS_OK;) {
			size_t n = r->length - done < CHUNK ? r->length - done : CHUNK;
			st = read_exact(fd, path, r->offset + done, buf, n, err);
			if (st == VMFS_OK && memcmp(buf, want + done, n) != 0) {
				size_t k = 0;
				while (buf[k] == want[done + k])
					k++;
				st = vmfs_error_set(err, VMFS_ERR_IO, path, r->offset + done + k,
						    "read back after writing region %zu: the byte at 0x%llx is 0x%02x, "
						    "0x%02x was written", i, ull(r->offset + done + k), buf[k],
						    want[done + k]);
			}
			done += n;
		}
	}
	free(buf);
	return st;
}

vmfs_status vmfs_undo_apply(int fd, const char *target_path, const vmfs_undo *undo, vmfs_error *err)
{
	vmfs_error_clear(err);
	vmfs_status st = check_record(undo, true, err);
	if (st != VMFS_OK)
		return st;
	return write_side(fd, target_path, undo, true, err);
}

vmfs_status vmfs_undo_write_new(int fd, const char *target_path, const vmfs_undo *undo, vmfs_error *err)
{
	vmfs_error_clear(err);
	vmfs_status st = check_record(undo, true, err);
	if (st != VMFS_OK)
		return st;
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, target_path, VMFS_NO_OFFSET, "out of memory");
	for (size_t i = 0; i < undo->count && st == VMFS_OK; i++) {
		const vmfs_undo_region *r = &undo->regions[i];
		vmfs_undo_holding h;
		st = examine(fd, target_path, r, buf, &h, err);
		if (st == VMFS_OK && !h.all_old) {
			size_t k = (size_t)(h.first_not_old - r->offset);
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, target_path, h.first_not_old,
					    "region %zu at 0x%llx changed since its old bytes were captured: the byte "
					    "at 0x%llx is 0x%02x, 0x%02x was saved; nothing written", i, ull(r->offset),
					    ull(h.first_not_old), h.not_old_byte, r->old_data[k]);
		}
	}
	free(buf);
	if (st != VMFS_OK)
		return st;
	return write_side(fd, target_path, undo, false, err);
}
