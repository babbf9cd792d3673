/* GPT header and MBR health (format reference 2.1, 2.2). Header fields, all
 * little-endian: 0x00 "EFI PART", 0x08 revision, 0x0C header size, 0x10 header
 * CRC32 (computed with this field zero), 0x18 MyLBA, 0x20 AlternateLBA, 0x28
 * FirstUsableLBA, 0x30 LastUsableLBA, 0x38 disk GUID, 0x48 PartitionEntryLBA,
 * 0x50 number of entries, 0x54 entry size, 0x58 entry-array CRC32. */
#include "vmfs/format/gpt.h"

#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define GPT_HDR_MIN 92u
/* Same bound as ptable.c: ESXi writes 128 entries of 128 bytes (16 KiB). */
#define GPT_MAX_ARRAY_BYTES (1u << 20)
#define MBR_SIGNATURE_OFFSET 0x1FEu
#define MBR_ENTRIES_OFFSET 0x1BEu

const char *vmfs_copy_state_name(vmfs_copy_state state)
{
	switch (state) {
	case VMFS_COPY_OK: return "ok";
	case VMFS_COPY_MISSING: return "missing";
	case VMFS_COPY_DAMAGED: return "damaged";
	}
	return "unknown";
}

/* GUIDs are stored with the first three groups little-endian (2.2). */
static void guid_text(const uint8_t *p, char out[37])
{
	snprintf(out, 37, "%08" PRIX32 "-%04X-%04X-%02X%02X-%02X%02X%02X%02X%02X%02X", vmfs_le32(p), vmfs_le16(p + 4),
		 vmfs_le16(p + 6), p[8], p[9], p[10], p[11], p[12], p[13], p[14], p[15]);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static uint32_t header_crc(const uint8_t *hdr, uint32_t size)
{
	uint8_t copy[4096];
	memcpy(copy, hdr, size);
	memset(copy + 0x10, 0, 4);
	return (uint32_t)crc32(0, copy, size);
}

static bool damaged(vmfs_gpt_copy *c, uint64_t offset, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Marks the copy damaged; false, so that a check can `return damaged(...)`. */
static bool damaged(vmfs_gpt_copy *c, uint64_t offset, const char *fmt, ...)
{
	c->state = VMFS_COPY_DAMAGED;
	c->problem_offset = offset;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->problem, sizeof(c->problem), fmt, ap);
	va_end(ap);
	return false;
}

bool vmfs_gpt_header_at(vmfs_source *src, unsigned ss, uint64_t lba, vmfs_gpt_copy *c)
{
	memset(c, 0, sizeof(*c));
	c->header_lba = lba;
	uint8_t hdr[4096];
	if (ss > sizeof(hdr) || lba > UINT64_MAX / ss || vmfs_source_read(src, lba * ss, hdr, ss, NULL) != VMFS_OK) {
		c->state = VMFS_COPY_MISSING;
		c->problem_offset = lba <= UINT64_MAX / ss ? lba * ss : VMFS_NO_OFFSET;
		snprintf(c->problem, sizeof(c->problem), "the header sector at LBA %" PRIu64 " cannot be read", lba);
		return false;
	}
	const uint64_t at = lba * ss;
	if (memcmp(hdr, "EFI PART", 8) != 0) {
		c->state = VMFS_COPY_MISSING;
		c->problem_offset = at;
		snprintf(c->problem, sizeof(c->problem), "no \"EFI PART\" signature at 0x%" PRIx64 "%s", at,
			 all_zero(hdr, ss) ? " (the sector is all zeros)" : "");
		return false;
	}
	c->revision = vmfs_le32(hdr + 0x08);
	c->header_size = vmfs_le32(hdr + 0x0C);
	c->header_crc = vmfs_le32(hdr + 0x10);
	c->my_lba = vmfs_le64(hdr + 0x18);
	c->alternate_lba = vmfs_le64(hdr + 0x20);
	c->first_usable = vmfs_le64(hdr + 0x28);
	c->last_usable = vmfs_le64(hdr + 0x30);
	guid_text(hdr + 0x38, c->disk_guid);
	c->entries_lba = vmfs_le64(hdr + 0x48);
	c->entry_count = vmfs_le32(hdr + 0x50);
	c->entry_size = vmfs_le32(hdr + 0x54);
	c->entries_crc = vmfs_le32(hdr + 0x58);
	c->state = VMFS_COPY_OK;

	if (c->header_size < GPT_HDR_MIN || c->header_size > ss)
		return damaged(c, at + 0x0C, "header size %" PRIu32 " at 0x%" PRIx64 " is outside %u..%u", c->header_size,
			       at + 0x0C, GPT_HDR_MIN, ss);
	uint32_t crc = header_crc(hdr, c->header_size);
	if (crc != c->header_crc)
		return damaged(c, at + 0x10, "header CRC32 at 0x%" PRIx64 " is 0x%08" PRIx32 ", the header's bytes give 0x%08"
			       PRIx32, at + 0x10, c->header_crc, crc);
	return true;
}

/* One copy: the header at lba (1 or the last), with the LBAs it must name.
 * True when it is intact. */
static bool check_copy(vmfs_source *src, unsigned ss, uint64_t sectors, bool primary, vmfs_gpt_copy *c)
{
	if (!vmfs_gpt_header_at(src, ss, primary ? 1 : sectors - 1, c))
		return false;
	const uint64_t at = c->header_lba * ss;
	uint32_t crc;
	if (c->my_lba != c->header_lba)
		return damaged(c, at + 0x18, "MyLBA at 0x%" PRIx64 " is %" PRIu64 ", not %" PRIu64 " where the header is",
			       at + 0x18, c->my_lba, c->header_lba);
	uint64_t other = primary ? sectors - 1 : 1;
	if (c->alternate_lba != other)
		return damaged(c, at + 0x20, "AlternateLBA at 0x%" PRIx64 " is %" PRIu64 ", not %" PRIu64 " (%s)", at + 0x20,
			       c->alternate_lba, other,
			       primary ? "the last LBA of this disk: it was resized, or the image is cut short"
				       : "the primary header's LBA");
	if (c->first_usable > c->last_usable || c->last_usable >= sectors - 1 || c->first_usable < 2)
		return damaged(c, at + 0x28, "usable range %" PRIu64 "..%" PRIu64 " at 0x%" PRIx64
			       " does not fit a disk of %" PRIu64 " sectors", c->first_usable, c->last_usable, at + 0x28, sectors);
	uint64_t bytes = (uint64_t)c->entry_count * c->entry_size;
	if (c->entry_size < 128 || c->entry_size % 8 || c->entry_count == 0 || bytes > GPT_MAX_ARRAY_BYTES)
		return damaged(c, at + 0x50, "entry array of %" PRIu32 " entries of %" PRIu32 " bytes at 0x%" PRIx64
			       " is not a valid GPT array (entry size 128 or more, a multiple of 8, at most %u bytes)",
			       c->entry_count, c->entry_size, at + 0x50, GPT_MAX_ARRAY_BYTES);
	uint64_t array_sectors = (bytes + ss - 1) / ss;
	/* The array lies between the header and the usable range. */
	bool placed = primary ? c->entries_lba >= 2 && c->entries_lba + array_sectors <= c->first_usable
			      : c->entries_lba > c->last_usable && c->entries_lba + array_sectors <= c->header_lba;
	if (!placed)
		return damaged(c, at + 0x48, "PartitionEntryLBA at 0x%" PRIx64 " is %" PRIu64 ": the %" PRIu64
			       "-sector array would not lie %s the usable range %" PRIu64 "..%" PRIu64, at + 0x48,
			       c->entries_lba, array_sectors, primary ? "between the header and" : "between", c->first_usable,
			       c->last_usable);
	uint8_t *array = malloc(bytes);
	if (!array)
		return damaged(c, c->entries_lba * ss, "out of memory reading the entry array");
	if (vmfs_source_read(src, c->entries_lba * ss, array, bytes, NULL) != VMFS_OK) {
		damaged(c, c->entries_lba * ss, "the entry array at 0x%" PRIx64 " cannot be read", c->entries_lba * ss);
	} else {
		crc = (uint32_t)crc32(0, array, (uInt)bytes);
		if (crc != c->entries_crc)
			damaged(c, c->entries_lba * ss, "entry array CRC32 (header 0x%" PRIx64 ") is 0x%08" PRIx32
				", the %" PRIu64 " bytes at 0x%" PRIx64 " give 0x%08" PRIx32, at + 0x58, c->entries_crc,
				bytes, c->entries_lba * ss, crc);
	}
	free(array);
	return c->state == VMFS_COPY_OK;
}

void vmfs_gpt_check(vmfs_source *src, unsigned sector_size, vmfs_gpt_health *out)
{
	memset(out, 0, sizeof(*out));
	uint64_t sectors = vmfs_source_size(src) / sector_size;
	if (sector_size > 4096 || sectors < 4) {
		out->primary.state = out->backup.state = VMFS_COPY_MISSING;
		snprintf(out->primary.problem, sizeof(out->primary.problem), "the source is too small for a GPT");
		snprintf(out->backup.problem, sizeof(out->backup.problem), "the source is too small for a GPT");
		return;
	}
	check_copy(src, sector_size, sectors, true, &out->primary);
	check_copy(src, sector_size, sectors, false, &out->backup);
	const vmfs_gpt_copy *p = &out->primary, *b = &out->backup;
	if (p->state != VMFS_COPY_OK || b->state != VMFS_COPY_OK)
		return;
	/* Both intact: they must describe one table. */
	const char *what = NULL;
	if (strcmp(p->disk_guid, b->disk_guid) != 0)
		what = "disk GUIDs";
	else if (p->first_usable != b->first_usable || p->last_usable != b->last_usable)
		what = "usable ranges";
	else if (p->entry_count != b->entry_count || p->entry_size != b->entry_size || p->entries_crc != b->entries_crc)
		what = "partition entries";
	if (what) {
		out->differ = true;
		snprintf(out->differ_reason, sizeof(out->differ_reason),
			 "the primary (LBA 1) and backup (LBA %" PRIu64 ") GPT headers are both valid but their %s differ",
			 b->header_lba, what);
	}
}

void vmfs_mbr_check(vmfs_source *src, unsigned sector_size, vmfs_mbr_health *out)
{
	memset(out, 0, sizeof(*out));
	uint8_t s[512];
	uint64_t sectors = vmfs_source_size(src) / (sector_size ? sector_size : 512);
	if (vmfs_source_read(src, 0, s, sizeof(s), NULL) != VMFS_OK) {
		out->state = VMFS_COPY_MISSING;
		snprintf(out->problem, sizeof(out->problem), "sector 0 cannot be read");
		return;
	}
	if (s[MBR_SIGNATURE_OFFSET] != 0x55 || s[MBR_SIGNATURE_OFFSET + 1] != 0xAA) {
		bool entries = !all_zero(s + MBR_ENTRIES_OFFSET, 64);
		out->state = entries ? VMFS_COPY_DAMAGED : VMFS_COPY_MISSING;
		out->problem_offset = MBR_SIGNATURE_OFFSET;
		snprintf(out->problem, sizeof(out->problem), "no 0x55AA signature at 0x1fe (%02x %02x)%s",
			 s[MBR_SIGNATURE_OFFSET], s[MBR_SIGNATURE_OFFSET + 1],
			 entries ? " although partition entries are present" : all_zero(s, 512) ? ": sector 0 is all zeros" : "");
		return;
	}
	out->state = VMFS_COPY_OK;
	for (unsigned i = 0; i < 4; i++) {
		const uint8_t *e = s + MBR_ENTRIES_OFFSET + 16 * i;
		uint8_t type = e[4];
		uint64_t start = vmfs_le32(e + 8), size = vmfs_le32(e + 12);
		if (type == 0)
			continue;
		if (type == 0xEE) {
			out->protective = true;
			continue; /* its size saturates at 2^32 - 1 on large disks */
		}
		if (size == 0 || start == 0 || start + size > sectors) {
			out->state = VMFS_COPY_DAMAGED;
			out->problem_offset = MBR_ENTRIES_OFFSET + 16 * i;
			snprintf(out->problem, sizeof(out->problem), "entry %u at 0x%x (type 0x%02x, sectors %" PRIu64
				 "+%" PRIu64 ") %s", i + 1, MBR_ENTRIES_OFFSET + 16 * i, type, start, size,
				 size == 0 || start == 0 ? "is empty or starts at sector 0" : "extends past the end of the disk");
			return;
		}
	}
}

void vmfs_gpt_protective_mbr(uint64_t disk_sectors, uint8_t *sector)
{
	memset(sector, 0, 512);
	uint8_t *e = sector + MBR_ENTRIES_OFFSET;
	/* util-linux gpt_mknew_pmbr: CHS start 0/0/2, type 0xEE, CHS end saturated,
	 * LBA 1, size min(disk - 1, 2^32 - 1). */
	e[2] = 0x02;
	e[4] = 0xEE;
	e[5] = e[6] = e[7] = 0xFF;
	vmfs_put_le32(e + 8, 1);
	vmfs_put_le32(e + 12, (uint32_t)(disk_sectors - 1 > 0xFFFFFFFFull ? 0xFFFFFFFFull : disk_sectors - 1));
	sector[MBR_SIGNATURE_OFFSET] = 0x55;
	sector[MBR_SIGNATURE_OFFSET + 1] = 0xAA;
}

vmfs_status vmfs_gpt_rebuild_copy(vmfs_source *src, unsigned ss, const vmfs_gpt_health *health,
				  vmfs_gpt_copy_bytes *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	const char *path = vmfs_source_path(src);
	const vmfs_gpt_copy *p = &health->primary, *b = &health->backup;
	bool to_primary;
	if (p->state != VMFS_COPY_OK && b->state == VMFS_COPY_OK)
		to_primary = true;
	else if (p->state == VMFS_COPY_OK && b->state != VMFS_COPY_OK)
		to_primary = false;
	else
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "no GPT copy to rebuild: one copy must be intact and the other not");
	const vmfs_gpt_copy *good = to_primary ? b : p;
	const uint64_t sectors = vmfs_source_size(src) / ss;
	const uint32_t bytes = good->entry_count * good->entry_size; /* <= 1 MiB, checked */
	const uint64_t array_sectors = (bytes + ss - 1) / ss;
	out->to_primary = to_primary;
	uint64_t header_lba = to_primary ? 1 : sectors - 1;
	uint64_t entries_lba = to_primary ? 2 : sectors - 1 - array_sectors;
	/* The rebuilt copy must stay outside the usable range the table declares. */
	if (to_primary ? entries_lba + array_sectors > good->first_usable : entries_lba <= good->last_usable)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, entries_lba * ss,
				      "the %s GPT copy cannot be rebuilt at its standard place: its %" PRIu64 "-sector entry "
				      "array at LBA %" PRIu64 " would overlap the usable range %" PRIu64 "..%" PRIu64,
				      to_primary ? "primary" : "backup", array_sectors, entries_lba, good->first_usable,
				      good->last_usable);
	out->header_offset = header_lba * ss;
	out->entries_offset = entries_lba * ss;
	out->entries_length = (uint32_t)(array_sectors * ss);
	out->header = malloc(ss);
	out->entries = calloc(1, out->entries_length);
	vmfs_status st = VMFS_OK;
	if (!out->header || !out->entries)
		st = vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	/* Byte copy: the header sector (with whatever follows the header in it)
	 * and the array with the rest of its last sector, as the intact copy has them. */
	if (st == VMFS_OK)
		st = vmfs_source_read(src, good->header_lba * ss, out->header, ss, err);
	if (st == VMFS_OK)
		st = vmfs_source_read(src, good->entries_lba * ss, out->entries, out->entries_length, err);
	if (st != VMFS_OK) {
		vmfs_gpt_copy_bytes_free(out);
		return st;
	}
	vmfs_put_le64(out->header + 0x18, header_lba);
	vmfs_put_le64(out->header + 0x20, to_primary ? sectors - 1 : 1);
	vmfs_put_le64(out->header + 0x48, entries_lba);
	vmfs_put_le32(out->header + 0x10, 0);
	vmfs_put_le32(out->header + 0x10, (uint32_t)crc32(0, out->header, good->header_size));
	return VMFS_OK;
}

void vmfs_gpt_copy_bytes_free(vmfs_gpt_copy_bytes *bytes)
{
	free(bytes->header);
	free(bytes->entries);
	bytes->header = bytes->entries = NULL;
}
