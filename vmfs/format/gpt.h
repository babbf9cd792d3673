/* The two GPT copies and the MBR, each checked on its own (format reference
 * 2.1, 2.2). libfdisk reads and writes the table but hides which GPT copy it
 * used and why it rejected the other; a recovery must say which copy is
 * intact, so the headers are decoded here with the LE accessors and zlib's
 * crc32. Also: the bytes that rebuild one damaged GPT copy from the intact
 * one (a byte copy, only the header's location fields and CRC recomputed). */
#ifndef VMFS_GPT_H
#define VMFS_GPT_H

#include "vmfs/core/error.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_copy_state {
	VMFS_COPY_OK,
	VMFS_COPY_MISSING,   /* zeros, or no signature where the structure belongs */
	VMFS_COPY_DAMAGED,   /* the signature is there, something else is wrong (problem, problem_offset) */
} vmfs_copy_state;

typedef struct vmfs_gpt_copy {
	vmfs_copy_state state;
	uint64_t header_lba;          /* where this copy's header belongs (1, or the last LBA) */
	/* Header fields (2.2), decoded when the signature is present. */
	uint32_t revision, header_size, header_crc;
	uint64_t my_lba, alternate_lba, first_usable, last_usable, entries_lba;
	uint32_t entry_count, entry_size, entries_crc;
	char disk_guid[37];
	uint64_t problem_offset;      /* byte offset in the source of what is wrong */
	char problem[256];
} vmfs_gpt_copy;

typedef struct vmfs_mbr_health {
	vmfs_copy_state state;        /* OK = 0x55AA signature and sane entries */
	bool protective;              /* an entry of type 0xEE (GPT protective MBR) */
	uint64_t problem_offset;
	char problem[192];
} vmfs_mbr_health;

typedef struct vmfs_gpt_health {
	vmfs_gpt_copy primary, backup;
	bool differ;                  /* both copies OK but they describe different tables */
	char differ_reason[256];
} vmfs_gpt_health;

const char *vmfs_copy_state_name(vmfs_copy_state state);

/* The GPT header at lba on its own (format reference 2.2): MISSING without
 * the signature (or unreadable), DAMAGED when its size is outside 92..sector
 * or its CRC32 is wrong (problem says which), else OK with every header field
 * decoded; nothing about where it lies or its entry array is checked. True
 * when OK. The one decoder of a GPT header: every other reader uses it. */
bool vmfs_gpt_header_at(vmfs_source *src, unsigned sector_size, uint64_t lba, vmfs_gpt_copy *out);

/* Checks both GPT copies of src in sectors of sector_size (512 or 4096).
 * Reads only; never fails (an unreadable area is "missing"). */
void vmfs_gpt_check(vmfs_source *src, unsigned sector_size, vmfs_gpt_health *out);
/* Checks sector 0: signature, entries inside the disk, protective entry. */
void vmfs_mbr_check(vmfs_source *src, unsigned sector_size, vmfs_mbr_health *out);

/* One GPT copy rebuilt from the other: the header sector and the entry array,
 * each to be written at its offset. */
typedef struct vmfs_gpt_copy_bytes {
	bool to_primary;              /* the primary is rebuilt from the backup */
	uint64_t header_offset;
	uint8_t *header;              /* one sector (malloc'd) */
	uint64_t entries_offset;
	uint8_t *entries;             /* entry_count x entry_size bytes, whole sectors (malloc'd) */
	uint32_t entries_length;
} vmfs_gpt_copy_bytes;

/* When exactly one copy is OK and the other missing or damaged, builds the
 * damaged copy from the intact one at its standard place (primary: header at
 * LBA 1, entries from LBA 2; backup: header at the last LBA, entries right
 * before it). VMFS_ERR_INVALID_ARG when there is no such pair;
 * VMFS_ERR_FORMAT when the rebuilt copy would overlap the usable range. */
vmfs_status vmfs_gpt_rebuild_copy(vmfs_source *src, unsigned sector_size, const vmfs_gpt_health *health,
				  vmfs_gpt_copy_bytes *out, vmfs_error *err);
void vmfs_gpt_copy_bytes_free(vmfs_gpt_copy_bytes *bytes);

/* The protective MBR libfdisk writes for a GPT disk of disk_sectors (one
 * 0xEE entry from LBA 1 over the disk, at most 2^32 - 1 sectors); sector
 * must hold 512 bytes and is zeroed first. */
void vmfs_gpt_protective_mbr(uint64_t disk_sectors, uint8_t *sector);

#endif
