/* What the modules of the comparison share (not installed; see diff.h for
 * the public interface).
 *
 * How a comparison runs (diff.c drives it):
 *   1. pair.c     pairs the devices of A with those of B: by LVM device UUID,
 *                 then members of one assembled spanned volume, then the same
 *                 offset, then a direct look at the same offset of the other
 *                 side (the discovery layer's disks and volumes, discover.h);
 *   2. table.c    compares the partition tables field by field;
 *      fields.c   compares, per pair, every on-disk structure (LVM header,
 *                 volume, SD and PE tables, extended regions, descriptor)
 *                 read as bytes from both sides at the position each side's
 *                 own layout gives or, where a side has no decoded device, at
 *                 the same place relative to the device start as on the other
 *                 side; fields through the library's field maps (lvm.c,
 *                 fsdesc.c), so every mapped field is compared and its offset
 *                 is exact;
 *   3. raw.c      compares byte by byte the metadata ranges a backup would
 *                 hold (backup_select.h); differing bytes no reported field
 *                 covers become raw differences;
 *   4. interpret.c reads the set of changed field names ("facts") of each
 *                 pair and of the table and says what they mean for ESXi.
 * The fields must all be compared before the raw bytes (the coverage they
 * leave decides what is unexplained), and both before the interpretations.
 *
 * Every function here records its first I/O or memory failure in the
 * context (diff_ctx.fail) rather than returning it, so that one failed read
 * stops the comparison without each caller checking. */
#ifndef VMFS_DIFF_INTERNAL_H
#define VMFS_DIFF_INTERNAL_H

#include "vmfs/compare/diff.h"
#include "vmfs/backup/backup_select.h"
#include "vmfs/discover/discover.h"
#include "vmfs/format/fsdesc.h"
#include "vmfs/format/lvm.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Shared by the modules of one library only: kept out of the shared
 * object's exported symbols. */
#define DIFF_INTERNAL __attribute__((visibility("hidden")))

#define MIB (1ull << 20)
#define HEX "0x%" PRIx64

/* ------------------------------------------------------------------ */
/* Small sets                                                          */

typedef struct interval {
	uint64_t start, end;      /* [start, end) */
} interval;

typedef struct interval_set {
	interval *items;
	size_t count, capacity;
} interval_set;

typedef struct fact {
	const char *name;         /* a static field name */
	uint32_t partition;
	bool claimed;             /* used by an interpretation */
} fact;

typedef struct fact_set {
	fact *items;
	size_t count, capacity;
} fact_set;

/* ------------------------------------------------------------------ */
/* The context                                                         */

/* One side of the comparison: what vmfs_discover returned for it. */
typedef struct side {
	const vmfs_discovery *discovery;
	size_t source;            /* the compared source of the discovery */
	const vmfs_disk *disk;    /* discovery->disks[source] */
	vmfs_source *src;         /* discovery->sources[source] */
	unsigned sector_size;
	interval_set coverage;    /* bytes explained by a reported field difference */
	interval_set held;        /* backup: the ranges it holds, sorted and merged */
	bool has_held;
	vmfs_backup_selection *table_spans; /* mbr / gpt areas of this side */
	uint8_t *cache;           /* read window for small structure reads */
	uint64_t cache_base;
	size_t cache_len;
} side;

/* What the comparison of one device pair (or of the table) found out, for
 * the interpretations. Index 0 = side A, 1 = side B. */
typedef struct pair_state {
	fact_set facts;
	bool header_checked;
	bool header_present[2], header_past_end[2];
	uint32_t header_magic[2];
	uint64_t header_pos[2];
	bool others_present[2];   /* a volume entry, SD name, PE entry or descriptor at the position */
	bool fs_checked;
	bool fs_present[2];
	uint32_t fs_magic[2];
	uint64_t fs_pos[2];
	bool hdr_ok[2];
	vmfs_lvm_header hdr[2];
	bool vol_ok[2];
	vmfs_volume_entry vol[2]; /* the first volume entry present on each side */
	char label[2][VMFS_FS_LABEL_SIZE + 1];
	bool label_ok[2];
	bool fs_ok[2];
	char fs_version[2][48];   /* "VMFS-5.81" */
	size_t extents_added, extents_removed;
	uint64_t raw_ranges, raw_bytes;
	char raw_areas[128];
	size_t listed_raw, listed_extents;
} pair_state;

typedef struct diff_ctx {
	side s[2];
	vmfs_diff *out;
	size_t max_listed;
	pair_state *pairs;        /* parallel to out->pairs */
	pair_state table;
	vmfs_error *err;
	vmfs_status fail;         /* first I/O or memory failure */
	bool moved_partition[VMFS_PTABLE_MAX_PARTS + 1]; /* table: entry N has another start */
} diff_ctx;

/* One difference as found, before it is recorded (diff_record). */
typedef struct diff_item {
	vmfs_diff_scope scope;
	vmfs_diff_change change;
	const char *field;
	const char *format_name;
	vmfs_field_kind kind;
	uint32_t device, partition, map, index;
	uint64_t offset_a, offset_b, size;
	const char *a, *b;        /* NULL: absent on that side */
	const char *area;
	uint64_t differing_bytes;
	const char *fact;         /* the name remembered for interpretations (static), NULL = field */
} diff_item;

DIFF_INTERNAL extern const char *const diff_side_name[2]; /* "A", "B" */

/* ------------------------------------------------------------------ */
/* diff.c: the context, sets, reading, recording                       */

DIFF_INTERNAL void diff_fail_memory(diff_ctx *c);
/* Grows *items to hold `needed` entries of `size` bytes, never beyond
 * `limit`; false when that is not possible. */
DIFF_INTERNAL bool diff_grow(void **items, size_t *capacity, size_t needed, size_t size, size_t limit);
/* Sorts and merges overlapping or touching intervals. */
DIFF_INTERNAL void diff_intervals_normalise(interval_set *set);
DIFF_INTERNAL void diff_coverage_add(diff_ctx *c, interval_set *set, uint64_t offset, uint64_t len);
DIFF_INTERNAL bool diff_covered(const interval_set *set, uint64_t pos, size_t *cursor);
DIFF_INTERNAL void diff_fact_add(diff_ctx *c, fact_set *set, const char *name, uint32_t partition);
DIFF_INTERNAL bool diff_fact_take(fact_set *set, const char *name, uint32_t partition, bool claim);
DIFF_INTERNAL bool diff_fact_has(fact_set *set, const char *name);
DIFF_INTERNAL bool diff_fact_claim(fact_set *set, const char *name);
DIFF_INTERNAL void diff_fact_claim_prefix(fact_set *set, const char *prefix);
/* Reads len bytes at offset. Returns 1 when the range is not inside the
 * source (buf zero-filled), 0 on success, -1 on an I/O error (recorded). */
DIFF_INTERNAL int diff_side_read(diff_ctx *c, side *s, uint64_t offset, void *buf, size_t len);
/* The position on `self` that corresponds to `pos` on the other side, for a
 * device starting at self_dev / other_dev. */
DIFF_INTERNAL uint64_t diff_counterpart(uint64_t pos, uint64_t other_dev, uint64_t self_dev);
DIFF_INTERNAL uint64_t diff_add_or_none(uint64_t base, uint64_t delta);
/* Lowercase hex of p[0..n), as much as fits in out. */
DIFF_INTERNAL void diff_hex_bytes(const uint8_t *p, size_t n, char *out, size_t len);
DIFF_INTERNAL diff_item diff_item_init(vmfs_diff_scope scope, const char *field, uint32_t device, uint32_t partition);
/* Records one difference: its bytes become explained on both sides, its name
 * becomes a fact of ps, and it is listed unless a limit says otherwise
 * (`listed`: the per-device counter of a limited kind, or NULL). */
DIFF_INTERNAL void diff_record(diff_ctx *c, pair_state *ps, const diff_item *it, size_t *listed);
DIFF_INTERNAL const vmfs_partition *diff_find_partition(const vmfs_ptable *t, size_t number);

/* ------------------------------------------------------------------ */
/* pair.c: pairing                                                      */

/* Fills c->out->pairs (sorted by device offset) and their partitions.
 * Fails only on a failed read of a counterpart (err set). */
DIFF_INTERNAL vmfs_status diff_build_pairs(diff_ctx *c);
/* Two different members of one spanned volume (section 4.4), judged from the
 * devices' own volume-table entries. */
DIFF_INTERNAL bool diff_other_member(const vmfs_device *a, const vmfs_device *b);

/* ------------------------------------------------------------------ */
/* table.c, fields.c: field comparison                                  */

DIFF_INTERNAL void diff_compare_table(diff_ctx *c);
/* When the tables differ, their areas count as explained as a whole. */
DIFF_INTERNAL void diff_cover_table_areas(diff_ctx *c);
DIFF_INTERNAL void diff_compare_pair(diff_ctx *c, uint32_t index);

/* ------------------------------------------------------------------ */
/* raw.c: raw byte comparison                                           */

/* The backup spans of one device of a side, or the table spans (dev NULL). */
DIFF_INTERNAL vmfs_status diff_backup_spans(side *s, const vmfs_device *dev, vmfs_backup_selection *sel);
DIFF_INTERNAL void diff_raw_table(diff_ctx *c);
DIFF_INTERNAL void diff_raw_pair(diff_ctx *c, uint32_t index);

/* ------------------------------------------------------------------ */
/* interpret.c: interpretations                                         */

/* Interprets the facts of the table and of every pair, in that order: the
 * table first (moves, resizes), the pairs, then the table entries no pair
 * explained. */
DIFF_INTERNAL void diff_interpret(diff_ctx *c);

#endif
