/* Undo files (format in undo.h). Writing: validate the record, create the
 * file exclusively, write header, regions and trailer, fsync file and
 * directory, remove the file on any failure. Reading: every count is checked
 * against its limit and the file length against what the header announces
 * before anything is allocated from it; every byte is covered by a CRC. */
#include "vmfs/undo.h"

#include "vmfs/fileio.h"
#include "vmfs/le.h"

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

static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len > 0) {
		uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

static bool is_control(unsigned char c) { return (c > 0 && c < 0x20) || c == 0x7f; }

static bool sector_size_ok(uint32_t s)
{
	return s >= VMFS_UNDO_MIN_SECTOR_SIZE && s <= VMFS_UNDO_MAX_SECTOR_SIZE && (s & (s - 1)) == 0;
}

/* Caller text for tool and description: fits the field, no control characters. */
static bool text_arg_ok(const char *s, size_t width)
{
	size_t n = strlen(s);
	if (n > width)
		return false;
	for (size_t i = 0; i < n; i++)
		if (is_control((unsigned char)s[i]))
			return false;
	return true;
}

static void put_text(uint8_t *p, size_t width, const char *s)
{
	memset(p, 0, width);
	memcpy(p, s, strnlen(s, width));
}

/* Copies a NUL-padded text field into out (width + 1 bytes). Returns the index
 * of the first invalid byte (a control character, or a non-NUL byte after the
 * first NUL), or -1 when the field is valid. */
static long get_text(const uint8_t *p, size_t width, char *out)
{
	size_t n = strnlen((const char *)p, width);
	for (size_t i = 0; i < n; i++)
		if (is_control(p[i]))
			return (long)i;
	for (size_t i = n; i < width; i++)
		if (p[i] != 0)
			return (long)i;
	memcpy(out, p, n);
	out[n] = 0;
	return -1;
}

static void hex_bytes(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && used + 4 <= len; i++)
		used += (size_t)snprintf(out + used, len - used, i ? " %02x" : "%02x", p[i]);
}

static vmfs_status read_exact(int fd, const char *path, uint64_t offset, void *buf, size_t len,
			      vmfs_error *err)
{
	return vmfs_read_exact(fd, path, offset, buf, len, "unexpected end of data", err);
}

/* ---------------- the record in memory ---------------- */

/* Finds two overlapping regions (returns 1 and their indexes, *a before *b),
 * none (0), or -1 when out of memory. */
static int find_overlap(const vmfs_undo_region *regions, size_t count, size_t *a, size_t *b)
{
	if (count < 2)
		return 0;
	vmfs_span *s = malloc(count * sizeof(*s));
	if (!s)
		return -1;
	for (size_t i = 0; i < count; i++)
		s[i] = (vmfs_span){ regions[i].offset, regions[i].offset + regions[i].length, i };
	int found = vmfs_find_overlap(s, count, a, b);
	free(s);
	return found;
}

/* Checks a record before it is saved or used on a target: identity fields,
 * limits, regions inside the target, no overlap, data present. */
static vmfs_status check_record(const vmfs_undo *u, bool need_old, vmfs_error *err)
{
	const char *path = u->target_path;
	if (u->target_size == 0 || u->target_size > INT64_MAX)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: target size %llu is not in 1..2^63-1", ull(u->target_size));
	if (!sector_size_ok(u->sector_size))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: sector size %u is not a power of two in 512..65536", u->sector_size);
	if (u->target_kind > VMFS_UNDO_TARGET_BLOCK)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: unknown target kind %u", u->target_kind);
	if (!text_arg_ok(u->tool, VMFS_UNDO_LEN_TOOL) || !text_arg_ok(u->description, VMFS_UNDO_LEN_DESCRIPTION))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record: tool name or description holds control characters");
	if (u->count == 0 || !u->regions)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET, "undo record holds no regions");
	if (u->count > VMFS_UNDO_MAX_REGIONS)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo record holds %zu regions, more than the maximum %u", u->count,
				      VMFS_UNDO_MAX_REGIONS);
	uint64_t total = 0;
	for (size_t i = 0; i < u->count; i++) {
		const vmfs_undo_region *r = &u->regions[i];
		if (r->length == 0 || r->length > VMFS_UNDO_MAX_REGION_BYTES)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, r->offset,
					      "undo region %zu: length %u is not in 1..%u", i, r->length,
					      VMFS_UNDO_MAX_REGION_BYTES);
		if (r->offset > u->target_size || r->length > u->target_size - r->offset)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, r->offset,
					      "undo region %zu [0x%llx, +%u) passes the end of the target (%llu bytes)", i,
					      ull(r->offset), r->length, ull(u->target_size));
		if (!r->new_data || (need_old && !r->old_data))
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, r->offset,
					      "undo region %zu has no %s bytes%s", i, r->new_data ? "old" : "new",
					      r->new_data ? " (vmfs_undo_capture was not called)" : "");
		total += r->length;
	}
	if (total > VMFS_UNDO_MAX_TOTAL_BYTES)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "undo regions hold %llu bytes, more than the maximum %llu (256 MiB)", ull(total),
				      ull(VMFS_UNDO_MAX_TOTAL_BYTES));
	size_t a, b;
	int overlap = find_overlap(u->regions, u->count, &a, &b);
	if (overlap < 0)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	if (overlap)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, u->regions[b].offset,
				      "undo region %zu [0x%llx, +%u) overlaps region %zu [0x%llx, +%u)", b,
				      ull(u->regions[b].offset), u->regions[b].length, a, ull(u->regions[a].offset),
				      u->regions[a].length);
	return VMFS_OK;
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
	if (!sector_size_ok(sector_size))
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
		undo->target_path[i] = is_control((unsigned char)path[i]) ? '?' : path[i];
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
	if (!new_data || length == 0 || length > VMFS_UNDO_MAX_REGION_BYTES)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
				      "undo region at 0x%llx: length %u is not in 1..%u (or no data)", ull(offset),
				      length, VMFS_UNDO_MAX_REGION_BYTES);
	if (offset > undo->target_size || length > undo->target_size - offset)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, offset,
				      "undo region [0x%llx, +%u) passes the end of the target (%llu bytes)", ull(offset),
				      length, ull(undo->target_size));
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
	uint8_t *p = h + VMFS_UNDO_OFF_TARGET_PATH;
	size_t n = strnlen(u->target_path, VMFS_UNDO_LEN_TARGET_PATH);
	for (size_t i = 0; i < n; i++)
		p[i] = is_control((unsigned char)u->target_path[i]) ? '?' : (uint8_t)u->target_path[i];
	vmfs_put_le64(h + VMFS_UNDO_OFF_CREATED, u->created);
	put_text(h + VMFS_UNDO_OFF_TOOL, VMFS_UNDO_LEN_TOOL, u->tool);
	vmfs_put_le32(h + VMFS_UNDO_OFF_COUNT, (uint32_t)u->count);
	vmfs_put_le64(h + VMFS_UNDO_OFF_TOTAL, total);
	put_text(h + VMFS_UNDO_OFF_DESCRIPTION, VMFS_UNDO_LEN_DESCRIPTION, u->description);
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

vmfs_status vmfs_undo_save(const char *path, const vmfs_undo *undo, vmfs_error *err)
{
	vmfs_error_clear(err);
	vmfs_status st = check_record(undo, true, err);
	if (st != VMFS_OK)
		return st;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		int e = errno;
		return vmfs_errno_fail(err, e, path, VMFS_NO_OFFSET, "%s",
				e == EEXIST ? "refusing to overwrite an existing file with an undo file"
					    : "cannot create the undo file");
	}
	st = write_file(fd, path, undo, err);
	if (st == VMFS_OK)
		st = vmfs_sync_fd(fd, path, err);
	if (close(fd) != 0 && st == VMFS_OK)
		st = vmfs_errno_fail(err, errno, path, VMFS_NO_OFFSET, "close failed");
	if (st == VMFS_OK)
		st = vmfs_sync_parent(path, err);
	if (st != VMFS_OK)
		unlink(path); /* ours: created exclusively above */
	return st;
}

/* Validates the header (read into h, CRC field intact on return). */
static vmfs_status parse_header(const char *path, uint8_t *h, uint64_t file_size, vmfs_undo *out,
				uint32_t *count, uint64_t *total, vmfs_error *err)
{
	uint32_t version = vmfs_le32(h + VMFS_UNDO_OFF_VERSION);
	if (version != VMFS_UNDO_VERSION)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_VERSION,
				      "unsupported undo file format version %u (this library reads version %u)", version,
				      VMFS_UNDO_VERSION);
	uint32_t hsize = vmfs_le32(h + VMFS_UNDO_OFF_HEADER_SIZE);
	if (hsize != VMFS_UNDO_HEADER_SIZE)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_HEADER_SIZE,
				      "header size is %u, version 1 has %u", hsize, VMFS_UNDO_HEADER_SIZE);
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
	if (!sector_size_ok(out->sector_size))
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
		long bad = get_text(h + texts[i].off, texts[i].len, dest[i]);
		if (bad >= 0)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, texts[i].off + (uint64_t)bad,
					      "%s field: byte 0x%02x is a control character or follows the "
					      "terminating NUL", texts[i].name, h[texts[i].off + (size_t)bad]);
	}
	out->created = vmfs_le64(h + VMFS_UNDO_OFF_CREATED);
	for (uint32_t i = VMFS_UNDO_OFF_RESERVED1; i < VMFS_UNDO_OFF_RESERVED1 + 4; i++)
		if (h[i])
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, i, "reserved header byte is 0x%02x, not 0", h[i]);
	for (uint32_t i = VMFS_UNDO_OFF_RESERVED2; i < VMFS_UNDO_OFF_HEADER_CRC; i++)
		if (h[i])
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, i, "reserved header byte is 0x%02x, not 0", h[i]);

	*count = vmfs_le32(h + VMFS_UNDO_OFF_COUNT);
	if (*count == 0)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_COUNT, "the undo file holds no regions");
	if (*count > VMFS_UNDO_MAX_REGIONS)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_UNDO_OFF_COUNT,
				      "region count %u exceeds the maximum %u", *count, VMFS_UNDO_MAX_REGIONS);
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
	if (file_size < expected)
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, file_size,
				      "incomplete undo file: %llu bytes, but its header announces %u regions of %llu "
				      "bytes in all, which take %llu bytes with the trailer (the tool that wrote it did "
				      "not finish)", ull(file_size), *count, ull(*total), ull(expected));
	if (file_size > expected)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, expected,
				      "%llu unexpected bytes after the trailer (the file should be %llu bytes)",
				      ull(file_size - expected), ull(expected));
	return VMFS_OK;
}

static vmfs_status parse_file(int fd, const char *path, uint64_t file_size, vmfs_undo *out, vmfs_error *err)
{
	uint8_t h[VMFS_UNDO_HEADER_SIZE] = { 0 };
	char hex[32];
	size_t have = file_size < sizeof(h) ? (size_t)file_size : sizeof(h);
	vmfs_status st = read_exact(fd, path, 0, h, have, err);
	if (st != VMFS_OK)
		return st;
	if (have >= 8 && memcmp(h, VMFS_UNDO_MAGIC, 8) != 0) {
		hex_bytes(h, 8, hex, sizeof(hex));
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, 0,
				      "not an undo file: magic bytes %s, expected \"" VMFS_UNDO_MAGIC "\"", hex);
	}
	if (have < sizeof(h))
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, path, file_size,
				      "incomplete undo file: %llu bytes, shorter than its %u-byte header (the tool "
				      "that wrote it did not finish)", ull(file_size), VMFS_UNDO_HEADER_SIZE);
	uint32_t count = 0;
	uint64_t total = 0;
	st = parse_header(path, h, file_size, out, &count, &total, err);
	if (st != VMFS_OK)
		return st;

	/* count <= 4096 and the file holds every byte announced: allocations are bounded. */
	out->regions = calloc(count, sizeof(*out->regions));
	uint64_t *record_at = calloc(count, sizeof(*record_at));
	if (!out->regions || !record_at) {
		free(record_at);
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	out->capacity = count;
	uint32_t crc = crc_update(0, h, sizeof(h));
	uint64_t pos = sizeof(h), sum = 0;
	for (uint32_t i = 0; i < count; i++) {
		uint8_t rec[VMFS_UNDO_REGION_HEAD_SIZE];
		record_at[i] = pos;
		if ((st = read_exact(fd, path, pos, rec, sizeof(rec), err)) != VMFS_OK)
			goto out;
		uint64_t offset = vmfs_le64(rec + VMFS_UNDO_REG_OFF_OFFSET);
		uint32_t length = vmfs_le32(rec + VMFS_UNDO_REG_OFF_LENGTH);
		uint32_t old_crc = vmfs_le32(rec + VMFS_UNDO_REG_OFF_OLD_CRC);
		uint32_t new_crc = vmfs_le32(rec + VMFS_UNDO_REG_OFF_NEW_CRC);
		if (length == 0 || length > VMFS_UNDO_MAX_REGION_BYTES) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos + VMFS_UNDO_REG_OFF_LENGTH,
					    "region %u: length %u is not in 1..%u (the maximum is 64 MiB)", i, length,
					    VMFS_UNDO_MAX_REGION_BYTES);
			goto out;
		}
		if (length > total - sum) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos + VMFS_UNDO_REG_OFF_LENGTH,
					    "region %u: length %u brings the regions past the header's total of %llu "
					    "bytes", i, length, ull(total));
			goto out;
		}
		if (offset > out->target_size || length > out->target_size - offset) {
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos + VMFS_UNDO_REG_OFF_OFFSET,
					    "region %u [0x%llx, +%u) passes the end of the target (%llu bytes)", i,
					    ull(offset), length, ull(out->target_size));
			goto out;
		}
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
	if (memcmp(trailer, VMFS_UNDO_END_MAGIC, 8) != 0) {
		hex_bytes(trailer, 8, hex, sizeof(hex));
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos,
				    "no trailer: magic bytes %s, expected \"" VMFS_UNDO_END_MAGIC "\" (the file is "
				    "incomplete or damaged)", hex);
		goto out;
	}
	uint32_t stored = vmfs_le32(trailer + 8);
	if (stored != crc) {
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, pos + 8,
				    "file CRC mismatch: the trailer says 0x%08x, bytes 0..0x%llx give 0x%08x (the file "
				    "is damaged)", stored, ull(pos - 1), crc);
		goto out;
	}
	size_t a, b;
	int overlap = find_overlap(out->regions, out->count, &a, &b);
	if (overlap < 0)
		st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	else if (overlap)
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, record_at[b],
				    "region %zu [0x%llx, +%u) overlaps region %zu [0x%llx, +%u)", b,
				    ull(out->regions[b].offset), out->regions[b].length, a,
				    ull(out->regions[a].offset), out->regions[a].length);
out:
	free(record_at);
	return st;
}

vmfs_status vmfs_undo_load(const char *path, vmfs_undo *out, vmfs_error *err)
{
	vmfs_error_clear(err);
	memset(out, 0, sizeof(*out));
	int fd;
	uint64_t size;
	vmfs_status st = vmfs_open_regular(path, "undo file", &fd, &size, err);
	if (st != VMFS_OK)
		return st;
	st = parse_file(fd, path, size, out, err);
	close(fd);
	if (st != VMFS_OK)
		vmfs_undo_free(out);
	return st;
}

/* ---------------- the target ---------------- */

typedef struct holding {
	bool all_old, all_new;
	uint64_t first_not_old;  /* target offset, UINT64_MAX if none */
	uint64_t first_other;    /* first byte neither old nor new, UINT64_MAX if none */
	uint8_t not_old_byte, other_byte; /* the target's bytes there */
} holding;

/* Reads a region of the target and compares it with the old and new bytes. */
static vmfs_status examine(int fd, const char *path, const vmfs_undo_region *r, uint8_t *buf, holding *h,
			   vmfs_error *err)
{
	*h = (holding){ true, true, UINT64_MAX, UINT64_MAX, 0, 0 };
	for (size_t done = 0; done < r->length;) {
		size_t n = r->length - done < CHUNK ? r->length - done : CHUNK;
		vmfs_status st = read_exact(fd, path, r->offset + done, buf, n, err);
		if (st != VMFS_OK)
			return st;
		const uint8_t *o = r->old_data + done, *w = r->new_data + done;
		bool is_old = memcmp(buf, o, n) == 0, is_new = memcmp(buf, w, n) == 0;
		h->all_old = h->all_old && is_old;
		h->all_new = h->all_new && is_new;
		for (size_t k = 0; !is_old && k < n; k++) {
			if (buf[k] == o[k])
				continue;
			if (h->first_not_old == UINT64_MAX) {
				h->first_not_old = r->offset + done + k;
				h->not_old_byte = buf[k];
			}
			if (buf[k] != w[k] && h->first_other == UINT64_MAX) {
				h->first_other = r->offset + done + k;
				h->other_byte = buf[k];
			}
			if (h->first_other != UINT64_MAX)
				break;
		}
		done += n;
	}
	return VMFS_OK;
}

static vmfs_undo_state state_of(const holding *h)
{
	if (h->all_old)
		return VMFS_UNDO_HOLDS_OLD;
	if (h->all_new)
		return VMFS_UNDO_HOLDS_NEW;
	return h->first_other == UINT64_MAX ? VMFS_UNDO_HOLDS_MIX : VMFS_UNDO_HOLDS_OTHER;
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
	holding bad_h = { 0 };
	for (size_t i = 0; i < undo->count; i++) {
		holding h;
		st = examine(fd, target_path, &undo->regions[i], buf, &h, err);
		if (st != VMFS_OK)
			break;
		vmfs_undo_state s = state_of(&h);
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
		holding h;
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
