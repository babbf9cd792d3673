/* Partition tables (MBR "dos" and GPT), read through libfdisk, read-only
 * (format reference section 2). */
#ifndef VMFS_PTABLE_H
#define VMFS_PTABLE_H

#include "vmfs/core/error.h"
#include "vmfs/core/finding.h"
#include "vmfs/format/gpt.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_MBR_TYPE_VMFS       0xFBu
#define VMFS_MBR_TYPE_VMKCORE    0xFCu
#define VMFS_GPT_TYPE_VMFS       "AA31E02A-400F-11DB-9590-000C2911D1B8"
#define VMFS_PTABLE_MAX_PARTS    256u   /* more entries than any table type allows */
#define VMFS_PTABLE_MAX_MESSAGES 8u

typedef struct vmfs_partition {
	size_t number;          /* 1-based, as sfdisk and ESXi number them */
	uint64_t start;         /* in sectors of the table's sector size */
	uint64_t size;          /* in sectors */
	char type[40];          /* "fb" (dos, hex code) or the GPT type GUID */
	char type_name[64];
	bool vmfs;              /* type 0xfb or the VMFS GUID */
	char uuid[40];          /* GPT partition GUID, "" for dos */
	char name[80];          /* GPT partition name, "" for dos */
	bool past_end;          /* the entry extends past the end of the source */
} vmfs_partition;

typedef struct vmfs_ptable {
	char label[8];          /* "dos", "gpt" or "none" */
	unsigned sector_size;
	char id[40];            /* dos disk signature "0x..." or GPT disk GUID */
	uint64_t first_lba, last_lba; /* usable range (GPT), sectors */
	vmfs_partition *parts;
	size_t count;
	/* What libfdisk reported while reading (e.g. a corrupt primary GPT). */
	char messages[VMFS_PTABLE_MAX_MESSAGES][256];
	size_t message_count;
	/* Health of each copy, checked on our own (not through libfdisk), in
	 * this table's sector size: sector 0, and both GPT copies whenever either
	 * has a signature or the label is "gpt" (has_gpt). */
	vmfs_mbr_health mbr;
	bool has_gpt;
	vmfs_gpt_health gpt;
} vmfs_ptable;

/* The sector size that a table on src is written in: the kernel's for a block
 * device; for an image, 4096 when a GPT header sits at byte 4096 and not at
 * byte 512, else 512. */
unsigned vmfs_ptable_detect_sector_size(vmfs_source *src);

/* Reads the table with the given sector size (0 = detect). A source without a
 * table gives label "none" and VMFS_OK; only I/O and memory errors fail. */
vmfs_status vmfs_ptable_read(vmfs_source *src, unsigned sector_size, vmfs_ptable *out,
			     vmfs_error *err);
void vmfs_ptable_free(vmfs_ptable *table);

/* Findings about the health of the table's copies: gpt-primary-damaged /
 * gpt-backup-damaged (one copy missing or damaged, the other intact, with the
 * repair), gpt-damaged (both unusable), gpt-copies-differ, mbr-damaged and
 * mbr-missing (a GPT disk without its protective MBR). */
void vmfs_ptable_health_findings(const vmfs_ptable *table, vmfs_findings *out);

/* True, with a message in why, when a GPT header of src that libfdisk would
 * accept (signature, size, CRC) announces an entry array above 1 MiB: libfdisk
 * would allocate and read all of it (up to 2^64 bytes). Such a disk is never
 * handed to libfdisk: vmfs_ptable_read reports label "none" with the message. */
bool vmfs_ptable_gpt_unsafe(vmfs_source *src, unsigned sector_size, char *why, size_t why_len);
/* The same, and also true when such a header's entry array is not a whole
 * number of sectors: libfdisk 2.38 then writes past its own buffer. Checked
 * before a table is rendered for writing. */
bool vmfs_ptable_gpt_unwritable(vmfs_source *src, unsigned sector_size, char *why, size_t why_len);

#endif
