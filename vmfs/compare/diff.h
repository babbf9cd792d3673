/* Field-level comparison of two analysed sources (disks, images, backups):
 * which decoded fields of the partition table, the LVM device headers and
 * tables, and the file-system descriptors differ, where each lies on both
 * sides, which metadata bytes differ although no decoded field explains
 * them, and what the differences mean for an ESXi host (interpretations).
 *
 * The sequence a tool follows:
 *
 *   vmfs_discover(&src_a, 1, ..., &found_a, ...)  and the same for B (vmfs/discover/discover.h)
 *   vmfs_diff_compare(&input_a, &input_b, ...)     inputs: { &found_x, 0, held, num_held }
 *   ... diff.differences[], diff.interpretations[] ...
 *   vmfs_diff_free(&diff)
 *
 * Devices are paired by LVM device UUID (header 0x82), then as two members
 * of one spanned volume the discoveries assembled, then by partition start;
 * a device found on one side only is looked for at the same offset of the
 * other, so a destroyed header is reported as such. Every difference has
 * a stable dotted field name, the absolute offset of the field on each side
 * and both values as text (UUIDs in VMware form, times ISO 8601 UTC, sizes and
 * counts in decimal, offsets and flags in hex). Raw bytes are compared only
 * inside the metadata ranges a backup holds (backup_select.h), never whole
 * disks, and only where both sides hold real data (a backup reads as zeros
 * outside its regions).
 *
 * A silent library: nothing is printed. Return convention: VMFS_OK, or the
 * status also stored in *err (path = the source concerned, offset = where a
 * read failed). A damaged side is not an error: it is what the differences
 * describe. Memory is bounded: the lists are capped (VMFS_DIFF_MAX_*,
 * options.max_listed) and what is left out is counted in `truncated`. */
#ifndef VMFS_DIFF_H
#define VMFS_DIFF_H

#include "vmfs/backup/backup.h"
#include "vmfs/format/device.h"
#include "vmfs/discover/discover.h"
#include "vmfs/discover/disk.h"
#include "vmfs/core/error.h"
#include "vmfs/core/field.h"
#include "vmfs/core/finding.h"
#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_DIFF_NONE               UINT32_MAX  /* no device / no index */
#define VMFS_DIFF_FIELD_LEN          64u
#define VMFS_DIFF_VALUE_LEN          320u
#define VMFS_DIFF_MAX_DIFFERENCES    4096u       /* listed in total */
#define VMFS_DIFF_MAX_INTERPRETATIONS 1024u
#define VMFS_DIFF_MAX_PAIRS          (2u * VMFS_DISK_MAX_DEVICES)
#define VMFS_DIFF_DEFAULT_MAX_LISTED 32u         /* raw ranges and extent differences per device */
/* Differing bytes closer than this are reported as one raw range. */
#define VMFS_DIFF_RAW_MERGE_GAP      16u
/* Bytes of each side shown (in hex) as the value of a raw range. */
#define VMFS_DIFF_RAW_SHOWN          32u

typedef enum vmfs_diff_scope {
	VMFS_DIFF_SCOPE_TABLE,    /* partition table */
	VMFS_DIFF_SCOPE_LVM,      /* LVM device header, extended metadata regions */
	VMFS_DIFF_SCOPE_DISK_ID,  /* diskID block of the header and the names derived from it */
	VMFS_DIFF_SCOPE_VOLUME,   /* volume table entries */
	VMFS_DIFF_SCOPE_SD,       /* device-name (SD) table */
	VMFS_DIFF_SCOPE_EXTENT,   /* PE table entries */
	VMFS_DIFF_SCOPE_FS,       /* file-system descriptor */
	VMFS_DIFF_SCOPE_RAW,      /* bytes no decoded field explains */
} vmfs_diff_scope;

typedef enum vmfs_diff_change {
	VMFS_DIFF_CHANGED,        /* present on both sides with other values */
	VMFS_DIFF_ADDED,          /* present on B only */
	VMFS_DIFF_REMOVED,        /* present on A only */
} vmfs_diff_change;

typedef struct vmfs_difference {
	vmfs_diff_scope scope;
	vmfs_diff_change change;
	char field[VMFS_DIFF_FIELD_LEN];  /* stable dotted name, e.g. "disk_id.lun", "raw.lvm-metadata" */
	const char *format_name;  /* the field's name in the field map / format reference, or NULL */
	vmfs_field_kind kind;     /* how the values were rendered (TEXT values are decoded strings) */
	uint32_t device;          /* index into vmfs_diff.pairs, VMFS_DIFF_NONE for the table */
	uint32_t partition;       /* partition number concerned, 0 = none */
	uint32_t map;             /* extents: PE map number; else VMFS_DIFF_NONE */
	uint32_t index;           /* volume-table, SD or PE slot, extended region; else VMFS_DIFF_NONE */
	uint64_t offset_a, offset_b; /* absolute offsets in A and B, VMFS_NO_OFFSET when none */
	uint64_t size;            /* bytes the field occupies; raw: length of the range */
	bool has_a, has_b;        /* false: the value is absent on that side (added / removed) */
	char a[VMFS_DIFF_VALUE_LEN], b[VMFS_DIFF_VALUE_LEN];
	/* raw only */
	char area[33];            /* "mbr", "gpt-primary", "gpt-backup", "lvm-metadata", "lvm-ext-metadata", "vh-sf" */
	uint64_t differing_bytes; /* bytes of the range that differ */
} vmfs_difference;

typedef struct vmfs_diff_interpretation {
	const char *code;         /* stable, e.g. "disk-id-changed" */
	vmfs_severity severity;
	uint32_t device;          /* index into vmfs_diff.pairs, VMFS_DIFF_NONE for the whole source */
	uint32_t partition;       /* 0 = none */
	char message[640];
	char action[400];         /* suggested action, "" when none */
} vmfs_diff_interpretation;

/* How one device of A was matched with one of B. */
typedef struct vmfs_diff_pair {
	const vmfs_device *a, *b; /* NULL: no VMFS device decodes on that side */
	uint64_t offset_a, offset_b; /* device (partition) start compared on each side */
	uint32_t partition_a, partition_b; /* partition-table entry starting there, 0 = none */
	const char *paired_by;    /* "device-uuid", "offset", "other-member" (two members of one spanned
				   * volume at the same offset), "a-only", "b-only" */
	bool owns_a, owns_b;      /* read by the diff itself (freed by vmfs_diff_free) */
} vmfs_diff_pair;

typedef struct vmfs_diff {
	vmfs_difference *differences;
	size_t count;
	size_t capacity;          /* internal */
	size_t truncated;         /* differences found but not listed (limits) */
	vmfs_diff_interpretation *interpretations;
	size_t num_interpretations;
	size_t interpretations_capacity; /* internal */
	vmfs_diff_pair pairs[VMFS_DIFF_MAX_PAIRS];
	size_t num_pairs;
	uint64_t raw_bytes_compared;
} vmfs_diff;

/* A byte range of a source. */
typedef struct vmfs_diff_range {
	uint64_t offset, length;
} vmfs_diff_range;

/* One side: one source of what vmfs_discover returned (its disk, and the
 * spanned volumes the discovery assembled, by which members of one volume
 * are told apart from a resignatured copy), and for a backup the ranges it
 * holds (raw bytes elsewhere read as zeros and are not compared). */
typedef struct vmfs_diff_input {
	const vmfs_discovery *discovery;
	size_t source;            /* the source compared: discovery->sources[source], usually 0 */
	const vmfs_diff_range *held; /* NULL: every byte of the source is real */
	size_t num_held;
} vmfs_diff_input;

typedef struct vmfs_diff_options {
	size_t max_listed;        /* raw ranges and extent differences listed per device and for
				   * the table; 0 = VMFS_DIFF_DEFAULT_MAX_LISTED, SIZE_MAX = no limit
				   * (the total stays bounded by VMFS_DIFF_MAX_DIFFERENCES) */
} vmfs_diff_options;

/* Compares A with B. On VMFS_OK *out holds the differences (possibly none)
 * and the interpretations; release it with vmfs_diff_free (also after a
 * failure). Fails only on a failed read of either source (VMFS_ERR_IO, or
 * VMFS_ERR_TRUNCATED when a source shrank; err names its path and the
 * offset), VMFS_ERR_NO_MEMORY, and VMFS_ERR_INVALID_ARG for a missing
 * discovery or a source index it does not have; *out is then empty. options
 * may be NULL. The sources are only read. The pairs point into the disks of
 * a->discovery and b->discovery, which must outlive *out. */
vmfs_status vmfs_diff_compare(const vmfs_diff_input *a, const vmfs_diff_input *b,
			      const vmfs_diff_options *options, vmfs_diff *out, vmfs_error *err);
void vmfs_diff_free(vmfs_diff *diff);

/* True when nothing differs (no difference listed or left out). */
bool vmfs_diff_identical(const vmfs_diff *diff);

/* "table", "lvm", "disk_id", "volume", "sd", "extent", "fs", "raw". */
const char *vmfs_diff_scope_name(vmfs_diff_scope scope);
/* "changed", "added", "removed". */
const char *vmfs_diff_change_name(vmfs_diff_change change);

/* The ranges a loaded backup holds, for vmfs_diff_input.held: a malloc'd
 * array of b->count entries (at most VMFS_BACKUP_MAX_REGIONS) the caller
 * frees. VMFS_ERR_NO_MEMORY. */
vmfs_status vmfs_diff_held_from_backup(const vmfs_backup *b, vmfs_diff_range **out, size_t *count,
				       vmfs_error *err);

#endif
