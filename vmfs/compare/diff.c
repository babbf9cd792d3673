/* Field-level comparison of two sources (see diff.h).
 *
 * How it works: devices are paired first (device UUID, then offset, then a
 * direct look at the same offset of the other side). For each pair every
 * on-disk structure (LVM header, volume-table entries, SD table, PE entries,
 * extended regions, descriptor) is read as bytes from both sides, at the
 * position each side's own layout gives or, where a side has no decoded
 * device, at the same position relative to the device start as on the other
 * side; fields are compared through the library's field maps (lvm.c,
 * fsdesc.c), so every mapped field is compared and its offset is exact. A
 * field differs when its decoded value differs. The byte ranges of the
 * differing fields are remembered per side ("coverage"); then the metadata
 * ranges a backup would hold (backup_select.h) are compared byte by byte and
 * differing bytes outside the coverage become raw differences. Finally the
 * set of changed field names of each pair is interpreted. */
#include "vmfs/compare/diff.h"

#include "vmfs/backup/backup_select.h"
#include "vmfs/format/fsdesc.h"
#include "vmfs/format/ident.h"
#include "vmfs/core/le.h"
#include "vmfs/format/lvm.h"
#include "vmfs/core/text.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIB (1ull << 20)
#define HEX "0x%" PRIx64

/* Coverage intervals kept per side before they are coarsened (see
 * coverage_add); facts (distinct changed field names) kept per pair. */
#define COVERAGE_MAX 65536u
#define FACTS_MAX    4096u
#define CACHE_WINDOW (MIB + 64 * 1024)
#define CACHE_MAX_READ (64 * 1024)
#define RAW_CHUNK    MIB

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

/* One side of the comparison. */
typedef struct side {
	const vmfs_diff_input *in;
	vmfs_source *src;
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

static const char *const side_name[2] = { "A", "B" };

static void fail_memory(diff_ctx *c)
{
	if (c->fail == VMFS_OK)
		c->fail = vmfs_error_set(c->err, VMFS_ERR_NO_MEMORY, NULL, VMFS_NO_OFFSET, "out of memory");
}

static bool grow(void **items, size_t *capacity, size_t needed, size_t size, size_t limit)
{
	if (needed <= *capacity)
		return true;
	size_t cap = *capacity ? *capacity * 2 : 16;
	if (cap < needed)
		cap = needed;
	if (cap > limit)
		cap = limit;
	if (cap < needed)
		return false;
	void *p = realloc(*items, cap * size);
	if (!p)
		return false;
	*items = p;
	*capacity = cap;
	return true;
}

static int interval_cmp(const void *x, const void *y)
{
	const interval *a = x, *b = y;
	return a->start < b->start ? -1 : a->start > b->start;
}

/* Sorts and merges overlapping or touching intervals. */
static void intervals_normalise(interval_set *set)
{
	if (set->count < 2)
		return;
	qsort(set->items, set->count, sizeof(*set->items), interval_cmp);
	size_t w = 0;
	for (size_t r = 1; r < set->count; r++) {
		if (set->items[r].start <= set->items[w].end) {
			if (set->items[r].end > set->items[w].end)
				set->items[w].end = set->items[r].end;
		} else {
			set->items[++w] = set->items[r];
		}
	}
	set->count = w + 1;
}

/* Adds [offset, offset + len). The set stays bounded: when it is full it is
 * merged, and if that is not enough, neighbours closer than a growing gap are
 * joined; that can only widen what counts as explained, and only when tens of
 * thousands of separate fields differ. */
static void coverage_add(diff_ctx *c, interval_set *set, uint64_t offset, uint64_t len)
{
	if (len == 0 || offset == VMFS_NO_OFFSET)
		return;
	uint64_t end = offset + len < offset ? UINT64_MAX : offset + len;
	if (set->count == COVERAGE_MAX) {
		intervals_normalise(set);
		for (uint64_t gap = 512; set->count > COVERAGE_MAX / 2; gap *= 2) {
			size_t w = 0;
			for (size_t r = 1; r < set->count; r++) {
				if (set->items[r].start - set->items[w].end < gap)
					set->items[w].end = set->items[r].end;
				else
					set->items[++w] = set->items[r];
			}
			set->count = w + 1;
		}
	}
	if (!grow((void **)&set->items, &set->capacity, set->count + 1, sizeof(*set->items), COVERAGE_MAX)) {
		fail_memory(c);
		return;
	}
	set->items[set->count++] = (interval){ offset, end };
}

/* True when pos lies in the (normalised) set; *cursor advances monotonically
 * for increasing positions. */
static bool covered(const interval_set *set, uint64_t pos, size_t *cursor)
{
	while (*cursor < set->count && set->items[*cursor].end <= pos)
		(*cursor)++;
	return *cursor < set->count && set->items[*cursor].start <= pos;
}

static void fact_add(diff_ctx *c, fact_set *set, const char *name, uint32_t partition)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].partition == partition && strcmp(set->items[i].name, name) == 0)
			return;
	if (set->count >= FACTS_MAX)
		return; /* bounded: a name beyond this is only missing from "fields-changed" */
	if (!grow((void **)&set->items, &set->capacity, set->count + 1, sizeof(*set->items), FACTS_MAX)) {
		fail_memory(c);
		return;
	}
	set->items[set->count++] = (fact){ name, partition, false };
}

/* Whether an unclaimed fact with this name (any partition when partition is
 * VMFS_DIFF_NONE) exists; claims it when claim is set. A claimed fact is
 * explained already and triggers nothing else. */
static bool fact_take(fact_set *set, const char *name, uint32_t partition, bool claim)
{
	bool found = false;
	for (size_t i = 0; i < set->count; i++) {
		fact *f = &set->items[i];
		if (f->claimed || strcmp(f->name, name) != 0 || (partition != VMFS_DIFF_NONE && f->partition != partition))
			continue;
		found = true;
		if (claim)
			f->claimed = true;
	}
	return found;
}

static bool fact_has(fact_set *set, const char *name)
{
	return fact_take(set, name, VMFS_DIFF_NONE, false);
}

static bool fact_claim(fact_set *set, const char *name)
{
	return fact_take(set, name, VMFS_DIFF_NONE, true);
}

static void fact_claim_prefix(fact_set *set, const char *prefix)
{
	size_t n = strlen(prefix);
	for (size_t i = 0; i < set->count; i++)
		if (strncmp(set->items[i].name, prefix, n) == 0)
			set->items[i].claimed = true;
}

/* ------------------------------------------------------------------ */
/* Reading                                                              */

/* Reads len bytes at offset. Returns 1 when the range is not inside the
 * source (buf zero-filled), 0 on success, -1 on an I/O error (recorded). */
static int side_read(diff_ctx *c, side *s, uint64_t offset, void *buf, size_t len)
{
	if (offset == VMFS_NO_OFFSET || !vmfs_source_contains(s->src, offset, len)) {
		memset(buf, 0, len);
		return 1;
	}
	if (len <= CACHE_MAX_READ) {
		if (!(s->cache_len && offset >= s->cache_base && offset - s->cache_base + len <= s->cache_len)) {
			if (!s->cache && !(s->cache = malloc(CACHE_WINDOW))) {
				fail_memory(c);
				memset(buf, 0, len);
				return -1;
			}
			uint64_t base = offset & ~(uint64_t)(MIB - 1);
			uint64_t avail = vmfs_source_size(s->src) - base;
			size_t n = avail < CACHE_WINDOW ? (size_t)avail : CACHE_WINDOW;
			s->cache_len = 0;
			vmfs_status st = vmfs_source_read(s->src, base, s->cache, n, c->fail == VMFS_OK ? c->err : NULL);
			if (st != VMFS_OK) {
				if (c->fail == VMFS_OK)
					c->fail = st;
				memset(buf, 0, len);
				return -1;
			}
			s->cache_base = base;
			s->cache_len = n;
		}
		memcpy(buf, s->cache + (offset - s->cache_base), len);
		return 0;
	}
	vmfs_error local;
	vmfs_status st = vmfs_source_read(s->src, offset, buf, len, &local);
	if (st != VMFS_OK) {
		if (c->fail == VMFS_OK) {
			c->fail = st;
			if (c->err)
				*c->err = local;
		}
		memset(buf, 0, len);
		return -1;
	}
	return 0;
}

/* The position on `self` that corresponds to `pos` on the other side, for a
 * device starting at self_dev / other_dev. */
static uint64_t counterpart(uint64_t pos, uint64_t other_dev, uint64_t self_dev)
{
	if (pos == VMFS_NO_OFFSET || self_dev == VMFS_NO_OFFSET || other_dev == VMFS_NO_OFFSET || pos < other_dev)
		return VMFS_NO_OFFSET;
	uint64_t rel = pos - other_dev;
	return rel > UINT64_MAX - self_dev ? VMFS_NO_OFFSET : self_dev + rel;
}

/* ------------------------------------------------------------------ */
/* Rendering values                                                     */

static void format_time(uint64_t seconds, uint32_t micro, bool with_micro, char *out, size_t len)
{
	struct tm tm;
	time_t t = (time_t)seconds;
	/* 9999-12-31T23:59:59Z is the last date ISO 8601 writes with four digits. */
	if (seconds > 253402300799ull || !gmtime_r(&t, &tm)) {
		snprintf(out, len, "%" PRIu64 "%s (out of range)", with_micro ? seconds * UINT64_C(1000000) + micro : seconds,
			 with_micro ? " us" : " s");
		return;
	}
	char date[40];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	if (with_micro)
		snprintf(out, len, "%s.%06" PRIu32 "Z", date, micro);
	else
		snprintf(out, len, "%sZ", date);
}

static void format_hex_bytes(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t pos = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && pos + 3 <= len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%02x", p[i]);
}

/* How a field is shown beyond its kind. */
typedef enum render_hint {
	RENDER_KIND,              /* by the field's kind */
	RENDER_VOLUME_STATE,      /* "1 (normal)" */
	RENDER_DISK_ID_TYPE,      /* "2 (naa)" */
	RENDER_DISK_ID_ID,        /* hex of the len bytes in use (3.2) */
	RENDER_MAC,               /* 00:0c:29:... */
} render_hint;

typedef struct field_name {
	uint32_t offset;          /* the field's offset in its structure (unique per map) */
	const char *name;         /* the stable dotted name of the difference */
	vmfs_diff_scope scope;
	render_hint hint;
} field_name;

static void render_field(const vmfs_field *f, render_hint hint, const uint8_t *st, char *out, size_t len)
{
	const uint8_t *p = st + f->offset;
	switch (hint) {
	case RENDER_VOLUME_STATE: {
		uint64_t v = vmfs_field_uint(f, st);
		snprintf(out, len, "%" PRIu64 " (%s)", v, vmfs_volume_state_name((uint32_t)v));
		return;
	}
	case RENDER_DISK_ID_TYPE:
		snprintf(out, len, "%u (%s)", p[0], vmfs_disk_id_type_name(p[0]));
		return;
	case RENDER_DISK_ID_ID: {
		/* st is the header: diskID.len sits one byte after diskID.type. */
		size_t used = st[VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_LEN];
		format_hex_bytes(p, used < f->size ? used : f->size, out, len);
		return;
	}
	case RENDER_MAC:
		snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", p[0], p[1], p[2], p[3], p[4], p[5]);
		return;
	case RENDER_KIND:
		break;
	}
	switch (f->kind) {
	case VMFS_FIELD_UINT:
		snprintf(out, len, "%" PRIu64, vmfs_field_uint(f, st));
		break;
	case VMFS_FIELD_HEX:
		snprintf(out, len, HEX, vmfs_field_uint(f, st));
		break;
	case VMFS_FIELD_UUID: {
		vmfs_uuid u;
		char text[VMFS_UUID_TEXT_LEN + 1];
		vmfs_uuid_from_bytes(&u, p);
		snprintf(out, len, "%s", vmfs_uuid_format(&u, text));
		break;
	}
	case VMFS_FIELD_TEXT: {
		char text[VMFS_LVM_SD_ENTRY_SIZE + 1];
		size_t n = f->size < sizeof(text) - 1 ? f->size : sizeof(text) - 1;
		vmfs_text_copy(text, p, n);
		snprintf(out, len, "%s", text);
		break;
	}
	case VMFS_FIELD_BYTES:
		format_hex_bytes(p, f->size, out, len);
		break;
	case VMFS_FIELD_TIME_US: {
		uint64_t us = vmfs_le64(p);
		if (us == 0)
			snprintf(out, len, "0");
		else
			format_time(us / 1000000, (uint32_t)(us % 1000000), true, out, len);
		break;
	}
	case VMFS_FIELD_TIME_S: {
		uint32_t s = vmfs_le32(p);
		if (s == 0)
			snprintf(out, len, "0");
		else
			format_time(s, 0, false, out, len);
		break;
	}
	}
}

/* Names of the compared fields, keyed by the offsets of the field maps
 * (lvm.c, fsdesc.c); a map field missing here keeps its map name. */
static const field_name lvm_names[] = {
	{ VMFS_LVM_OFF_MAGIC, "lvm.magic", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_MAJOR, "lvm.major", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_MINOR, "lvm.minor", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_TYPE, "disk_id.type", VMFS_DIFF_SCOPE_DISK_ID, RENDER_DISK_ID_TYPE },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_LEN, "disk_id.len", VMFS_DIFF_SCOPE_DISK_ID, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_LUN, "disk_id.lun", VMFS_DIFF_SCOPE_DISK_ID, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_DEVICE_TYPE, "disk_id.device_type", VMFS_DIFF_SCOPE_DISK_ID, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_SCSI_LEVEL, "disk_id.scsi_level", VMFS_DIFF_SCOPE_DISK_ID, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_VENDOR, "disk_id.vendor", VMFS_DIFF_SCOPE_DISK_ID, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_MODEL, "disk_id.model", VMFS_DIFF_SCOPE_DISK_ID, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_REVISION, "disk_id.revision", VMFS_DIFF_SCOPE_DISK_ID, RENDER_KIND },
	{ VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_ID, "disk_id.id", VMFS_DIFF_SCOPE_DISK_ID, RENDER_DISK_ID_ID },
	{ VMFS_LVM_OFF_DISK_BLOCK_SIZE, "lvm.disk_block_size", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_TOTAL_BYTES, "lvm.total_bytes", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_NUM_VOLUMES, "lvm.num_volumes", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_NUM_PES, "lvm.num_pes", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_LAST_PE_INDEX, "lvm.last_pe_index", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_GENERATION, "lvm.generation", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_DATA_OFFSET, "lvm.data_offset", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_DEVICE_UUID, "lvm.device_uuid", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_INIT_TIME, "lvm.init_time", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_MOD_TIME, "lvm.mod_time", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_LOCKED_BY, "lvm.locked_by", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_LOCKED_WHEN, "lvm.locked_when", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_UNKNOWN_BA, "lvm.unknown_0xba", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_NUM_PE_MAPS, "lvm.num_pe_maps", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_EXT_METADATA, "lvm.ext_metadata_offset", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_MD_ALIGNMENT, "lvm.md_alignment", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_NUM_PES6, "lvm.num_pes6", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ VMFS_LVM_OFF_FLAGS, "lvm.flags", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
};

static const field_name volume_names[] = {
	{ VMFS_VOL_OFF_LOGICAL_SIZE, "volume.logical_size", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_GENERATION, "volume.generation", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_STATE, "volume.state", VMFS_DIFF_SCOPE_VOLUME, RENDER_VOLUME_STATE },
	{ VMFS_VOL_OFF_NAME, "volume.name", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_LV_UUID, "volume.lv_uuid", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_SNAP_ID, "volume.snap_id", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_CREATION_TIME, "volume.creation_time", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_VOLUME_ID, "volume.volume_id", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_NUM_PES, "volume.num_pes", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_FIRST_PE, "volume.first_pe", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_LAST_PE, "volume.last_pe", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_MOD_TIME, "volume.mod_time", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_NUM_DEVS, "volume.num_devs", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
	{ VMFS_VOL_OFF_CONSUMED_PES, "volume.consumed_pes", VMFS_DIFF_SCOPE_VOLUME, RENDER_KIND },
};

static const field_name pe_names[] = {
	{ VMFS_PE_OFF_USED, "extent.used", VMFS_DIFF_SCOPE_EXTENT, RENDER_KIND },
	{ VMFS_PE_OFF_PE_ID, "extent.pe_id", VMFS_DIFF_SCOPE_EXTENT, RENDER_KIND },
	{ VMFS_PE_OFF_VOLUME_ID, "extent.volume_id", VMFS_DIFF_SCOPE_EXTENT, RENDER_KIND },
	{ VMFS_PE_OFF_P_OFFSET, "extent.p_offset", VMFS_DIFF_SCOPE_EXTENT, RENDER_KIND },
	{ VMFS_PE_OFF_L_OFFSET, "extent.l_offset", VMFS_DIFF_SCOPE_EXTENT, RENDER_KIND },
	{ VMFS_PE_OFF_LENGTH, "extent.length", VMFS_DIFF_SCOPE_EXTENT, RENDER_KIND },
	{ VMFS_PE_OFF_VERSION, "extent.version", VMFS_DIFF_SCOPE_EXTENT, RENDER_KIND },
};

static const field_name fs_names[] = {
	{ VMFS_FS_OFF_MAGIC, "fs.magic", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_MAJOR, "fs.major", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_MINOR, "fs.minor", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_UUID, "fs.uuid", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_CONFIG, "fs.config", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_LABEL, "fs.label", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_DISK_BLOCK_SIZE, "fs.disk_block_size", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_FILE_BLOCK_SIZE, "fs.block_size", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_CREATION_TIME, "fs.creation_time", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_SNAP_ID, "fs.snap_id", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_VOLINFO_UUID, "fs.volinfo_uuid", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_VOLINFO_SNAP_ID, "fs.volinfo_snap_id", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_VOLINFO_PAD, "fs.volinfo_pad", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_FDC_GROUP_OFFSET, "fs.fdc_cluster_group_offset", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_FDC_CLUSTERS_PER_GROUP, "fs.fdc_clusters_per_group", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_SUB_BLOCK_SIZE, "fs.sub_block_size", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_MAX_JOURNAL_SLOTS, "fs.max_journal_slots", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_PB2_VOL_ADDR, "fs.pb2_vol_addr", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_PB2_FD_ADDR, "fs.pb2_fd_addr", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_HOST_UUID, "fs.host_uuid", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_GBL_GENERATION, "fs.gbl_generation", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_SDD_VOL_ADDR, "fs.sdd_vol_addr", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_SDD_FD_ADDR, "fs.sdd_fd_addr", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_CHECKSUM_TYPE, "fs.checksum_type", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_UNMAP_PRIORITY, "fs.unmap_priority", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_CHECKSUM_GEN, "fs.checksum_gen", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_CHECKSUM_VALUE, "fs.checksum_value", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_CHECKSUM_VALUE_GEN, "fs.checksum_value_gen", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_PHYS_DISK_BLOCK_SIZE, "fs.phys_disk_block_size", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_MD_ALIGNMENT, "fs.md_alignment", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_SFB_TO_LFB_SHIFT, "fs.sfb_to_lfb_shift", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_PTR_BLOCK_SHIFT, "fs.ptr_block_shift", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_SFB_ADDR_BITS, "fs.sfb_addr_bits", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_TBZ_GRANULARITY, "fs.tbz_granularity", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_JOURNAL_BLOCK_SIZE, "fs.journal_block_size", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_LEASE_INTERVAL_MS, "fs.lease_interval_ms", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_RECLAIM_WINDOW_MS, "fs.reclaim_window_ms", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_LOCAL_STAMP_US, "fs.local_stamp", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_LOCAL_MOUNT_OWNER_MAC, "fs.local_mount_owner_mac", VMFS_DIFF_SCOPE_FS, RENDER_MAC },
	{ VMFS_FS_OFF_UNMAP_METHOD, "fs.unmap_method", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_UNMAP_BANDWIDTH, "fs.unmap_bandwidth", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_UNMAP_BANDWIDTH_MIN, "fs.unmap_bandwidth_min", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
	{ VMFS_FS_OFF_UNMAP_BANDWIDTH_MAX, "fs.unmap_bandwidth_max", VMFS_DIFF_SCOPE_FS, RENDER_KIND },
};

/* Section 4.5: the extended metadata region header has no field map in
 * lvm.c; this one is local to the comparison. */
static const vmfs_field ext_region_fields[] = {
	{ 0x00, 4, "magic", VMFS_FIELD_HEX },
	{ 0x04, 4, "numPEMaps", VMFS_FIELD_UINT },
	{ 0x08, 8, "dataOffset", VMFS_FIELD_HEX },
	{ 0x10, 8, "nextOffset", VMFS_FIELD_HEX },
};
static const vmfs_field_map ext_region_map = {
	"extended metadata region", "4.5", VMFS_EXT_REGION_DEFINED, ext_region_fields,
	sizeof(ext_region_fields) / sizeof(ext_region_fields[0]),
};
static const field_name ext_region_names[] = {
	{ 0x00, "lvm.ext_region.magic", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ 0x04, "lvm.ext_region.num_pe_maps", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ 0x08, "lvm.ext_region.data_offset", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
	{ 0x10, "lvm.ext_region.next_offset", VMFS_DIFF_SCOPE_LVM, RENDER_KIND },
};

typedef struct structure_desc {
	const vmfs_field_map *map;
	const field_name *names;
	size_t count;
	vmfs_diff_scope scope;    /* for map fields without a name entry */
	const char *prefix;       /* idem */
} structure_desc;

#define DESC(map, names, scope, prefix) { &(map), (names), sizeof(names) / sizeof((names)[0]), (scope), (prefix) }
static const structure_desc lvm_desc = DESC(vmfs_lvm_header_map, lvm_names, VMFS_DIFF_SCOPE_LVM, "lvm");
static const structure_desc volume_desc = DESC(vmfs_volume_entry_map, volume_names, VMFS_DIFF_SCOPE_VOLUME, "volume");
static const structure_desc pe_desc = DESC(vmfs_pe_entry_map, pe_names, VMFS_DIFF_SCOPE_EXTENT, "extent");
static const structure_desc fs_desc = DESC(vmfs_fs_descriptor_map, fs_names, VMFS_DIFF_SCOPE_FS, "fs");
static const structure_desc ext_region_desc = DESC(ext_region_map, ext_region_names, VMFS_DIFF_SCOPE_LVM, "lvm.ext_region");

/* ------------------------------------------------------------------ */
/* Recording differences                                                */

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

static diff_item item_init(vmfs_diff_scope scope, const char *field, uint32_t device, uint32_t partition)
{
	diff_item it;
	memset(&it, 0, sizeof(it));
	it.scope = scope;
	it.change = VMFS_DIFF_CHANGED;
	it.field = field;
	it.kind = VMFS_FIELD_TEXT;
	it.device = device;
	it.partition = partition;
	it.map = VMFS_DIFF_NONE;
	it.index = VMFS_DIFF_NONE;
	it.offset_a = it.offset_b = VMFS_NO_OFFSET;
	return it;
}

/* Records one difference: its bytes become explained on both sides, its name
 * becomes a fact of ps, and it is listed unless a limit says otherwise
 * (`listed`: the per-device counter of a limited kind, or NULL). */
static void record(diff_ctx *c, pair_state *ps, const diff_item *it, size_t *listed)
{
	vmfs_diff *out = c->out;
	if (it->scope != VMFS_DIFF_SCOPE_RAW) {
		coverage_add(c, &c->s[0].coverage, it->offset_a, it->size);
		coverage_add(c, &c->s[1].coverage, it->offset_b, it->size);
		fact_add(c, &ps->facts, it->fact ? it->fact : it->field, it->partition);
	}
	if (listed) {
		if (*listed >= c->max_listed) {
			out->truncated++;
			return;
		}
		(*listed)++;
	}
	if (out->count >= VMFS_DIFF_MAX_DIFFERENCES) {
		out->truncated++;
		return;
	}
	if (!grow((void **)&out->differences, &out->capacity, out->count + 1, sizeof(*out->differences),
		  VMFS_DIFF_MAX_DIFFERENCES)) {
		fail_memory(c);
		return;
	}
	vmfs_difference *d = &out->differences[out->count++];
	memset(d, 0, sizeof(*d));
	d->scope = it->scope;
	d->change = it->change;
	snprintf(d->field, sizeof(d->field), "%s", it->field);
	d->format_name = it->format_name;
	d->kind = it->kind;
	d->device = it->device;
	d->partition = it->partition;
	d->map = it->map;
	d->index = it->index;
	d->offset_a = it->offset_a;
	d->offset_b = it->offset_b;
	d->size = it->size;
	d->has_a = it->a != NULL;
	d->has_b = it->b != NULL;
	snprintf(d->a, sizeof(d->a), "%s", it->a ? it->a : "");
	snprintf(d->b, sizeof(d->b), "%s", it->b ? it->b : "");
	snprintf(d->area, sizeof(d->area), "%s", it->area ? it->area : "");
	d->differing_bytes = it->differing_bytes;
}

static const field_name *name_of(const structure_desc *desc, const vmfs_field *f)
{
	for (size_t i = 0; i < desc->count; i++)
		if (desc->names[i].offset == f->offset)
			return &desc->names[i];
	return NULL;
}

/* Compares every field of a structure present on both sides. buf_a and
 * buf_b hold the structure; pos_a / pos_b are its absolute offsets. */
static void compare_fields(diff_ctx *c, pair_state *ps, const structure_desc *desc, const uint8_t *buf_a,
			   const uint8_t *buf_b, uint64_t pos_a, uint64_t pos_b, diff_item base, size_t *listed)
{
	char va[VMFS_DIFF_VALUE_LEN], vb[VMFS_DIFF_VALUE_LEN];
	for (size_t i = 0; i < desc->map->count; i++) {
		const vmfs_field *f = &desc->map->fields[i];
		const field_name *n = name_of(desc, f);
		render_hint hint = n ? n->hint : RENDER_KIND;
		render_field(f, hint, buf_a, va, sizeof(va));
		render_field(f, hint, buf_b, vb, sizeof(vb));
		if (strcmp(va, vb) == 0)
			continue;
		diff_item it = base;
		it.scope = n ? n->scope : desc->scope;
		it.field = n ? n->name : f->name;
		it.format_name = f->name;
		it.kind = f->kind;
		it.offset_a = pos_a + f->offset;
		it.offset_b = pos_b + f->offset;
		it.size = f->size;
		it.a = va;
		it.b = vb;
		record(c, ps, &it, listed);
	}
}

/* ------------------------------------------------------------------ */
/* Partition table                                                      */

/* Absolute offset of partition entry `number` (1-based), VMFS_NO_OFFSET if
 * unknown; *entry_size receives its size. Section 2.1 (MBR entries at 0x1BE)
 * and 2.2 (GPT entries at the header's PartitionEntryLBA). */
static uint64_t table_entry_offset(diff_ctx *c, side *s, const vmfs_ptable *t, size_t number, uint64_t *entry_size)
{
	*entry_size = 0;
	if (strcmp(t->label, "dos") == 0) {
		if (number < 1 || number > 4)
			return VMFS_NO_OFFSET;
		*entry_size = 16;
		return 0x1BE + (number - 1) * 16;
	}
	if (strcmp(t->label, "gpt") != 0 || number < 1)
		return VMFS_NO_OFFSET;
	uint8_t hdr[92];
	uint64_t ss = t->sector_size ? t->sector_size : 512;
	uint64_t size = vmfs_source_size(s->src);
	if (side_read(c, s, ss, hdr, sizeof(hdr)) != 0 || memcmp(hdr, "EFI PART", 8) != 0) {
		if (size < ss || side_read(c, s, size - ss, hdr, sizeof(hdr)) != 0 || memcmp(hdr, "EFI PART", 8) != 0)
			return VMFS_NO_OFFSET;
	}
	uint64_t lba = vmfs_le64(hdr + 0x48);
	uint32_t esz = vmfs_le32(hdr + 0x54);
	if (esz < 128 || esz > 4096 || esz % 8 || lba > UINT64_MAX / ss)
		return VMFS_NO_OFFSET;
	uint64_t at = lba * ss, rel = (uint64_t)(number - 1) * esz;
	if (rel > UINT64_MAX - at || !vmfs_source_contains(s->src, at + rel, esz))
		return VMFS_NO_OFFSET;
	*entry_size = esz;
	return at + rel;
}

static uint64_t label_offset(const vmfs_ptable *t)
{
	if (strcmp(t->label, "dos") == 0)
		return 0;
	if (strcmp(t->label, "gpt") == 0)
		return t->sector_size;
	return VMFS_NO_OFFSET;
}

static uint64_t add_or_none(uint64_t base, uint64_t delta)
{
	return base == VMFS_NO_OFFSET ? VMFS_NO_OFFSET : base + delta;
}

static void describe_partition(const vmfs_partition *p, char *out, size_t len)
{
	snprintf(out, len, "start %" PRIu64 ", %" PRIu64 " sectors, type %s (%s)", p->start, p->size, p->type,
		 p->type_name);
}

static const vmfs_partition *find_partition(const vmfs_ptable *t, size_t number)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->parts[i].number == number)
			return &t->parts[i];
	return NULL;
}

static void compare_partition_entries(diff_ctx *c, const vmfs_partition *pa, const vmfs_partition *pb)
{
	const vmfs_ptable *ta = &c->s[0].in->disk->table, *tb = &c->s[1].in->disk->table;
	bool gpt_a = strcmp(ta->label, "gpt") == 0, gpt_b = strcmp(tb->label, "gpt") == 0;
	uint64_t esz_a, esz_b;
	size_t number = pa->number;
	uint64_t ea = table_entry_offset(c, &c->s[0], ta, number, &esz_a);
	uint64_t eb = table_entry_offset(c, &c->s[1], tb, number, &esz_b);
	uint32_t part = (uint32_t)number;
	char va[VMFS_DIFF_VALUE_LEN], vb[VMFS_DIFF_VALUE_LEN];
	/* GPT entry: type 0x00, GUID 0x10, first LBA 0x20, last LBA 0x28, name
	 * 0x38; MBR entry: type 0x04, start 0x08, sectors 0x0C (sections 2.1, 2.2). */
	struct {
		const char *field;
		uint64_t off_gpt, size_gpt, off_dos, size_dos;
		vmfs_field_kind kind;
	} fields[] = {
		{ "table.partition.start", 0x20, 8, 0x08, 4, VMFS_FIELD_UINT },
		{ "table.partition.size", 0x28, 8, 0x0C, 4, VMFS_FIELD_UINT },
		{ "table.partition.type", 0x00, 16, 0x04, 1, VMFS_FIELD_TEXT },
		{ "table.partition.uuid", 0x10, 16, 0, 0, VMFS_FIELD_TEXT },
		{ "table.partition.name", 0x38, 72, 0, 0, VMFS_FIELD_TEXT },
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		switch (i) {
		case 0:
			snprintf(va, sizeof(va), "%" PRIu64, pa->start);
			snprintf(vb, sizeof(vb), "%" PRIu64, pb->start);
			break;
		case 1:
			snprintf(va, sizeof(va), "%" PRIu64, pa->size);
			snprintf(vb, sizeof(vb), "%" PRIu64, pb->size);
			break;
		case 2:
			snprintf(va, sizeof(va), "%s (%s)", pa->type, pa->type_name);
			snprintf(vb, sizeof(vb), "%s (%s)", pb->type, pb->type_name);
			break;
		case 3:
			snprintf(va, sizeof(va), "%s", pa->uuid);
			snprintf(vb, sizeof(vb), "%s", pb->uuid);
			break;
		default:
			snprintf(va, sizeof(va), "%s", pa->name);
			snprintf(vb, sizeof(vb), "%s", pb->name);
			break;
		}
		if (strcmp(va, vb) == 0)
			continue;
		diff_item it = item_init(VMFS_DIFF_SCOPE_TABLE, fields[i].field, VMFS_DIFF_NONE, part);
		it.kind = fields[i].kind;
		it.index = part;
		uint64_t size_a = gpt_a ? fields[i].size_gpt : fields[i].size_dos;
		uint64_t size_b = gpt_b ? fields[i].size_gpt : fields[i].size_dos;
		it.offset_a = size_a && esz_a ? add_or_none(ea, gpt_a ? fields[i].off_gpt : fields[i].off_dos) : VMFS_NO_OFFSET;
		it.offset_b = size_b && esz_b ? add_or_none(eb, gpt_b ? fields[i].off_gpt : fields[i].off_dos) : VMFS_NO_OFFSET;
		it.size = size_a > size_b ? size_a : size_b;
		it.a = va;
		it.b = vb;
		record(c, &c->table, &it, NULL);
		if (i == 0 && number <= VMFS_PTABLE_MAX_PARTS)
			c->moved_partition[number] = true;
	}
}

static void compare_table(diff_ctx *c)
{
	const vmfs_ptable *t[2] = { &c->s[0].in->disk->table, &c->s[1].in->disk->table };
	char va[VMFS_DIFF_VALUE_LEN], vb[VMFS_DIFF_VALUE_LEN];
	if (strcmp(t[0]->label, t[1]->label) != 0) {
		diff_item it = item_init(VMFS_DIFF_SCOPE_TABLE, "table.type", VMFS_DIFF_NONE, 0);
		it.offset_a = label_offset(t[0]);
		it.offset_b = label_offset(t[1]);
		it.a = t[0]->label;
		it.b = t[1]->label;
		record(c, &c->table, &it, NULL);
	} else if (strcmp(t[0]->label, "none") != 0) {
		bool gpt = strcmp(t[0]->label, "gpt") == 0;
		if (t[0]->sector_size != t[1]->sector_size) {
			diff_item it = item_init(VMFS_DIFF_SCOPE_TABLE, "table.sector_size", VMFS_DIFF_NONE, 0);
			it.kind = VMFS_FIELD_UINT;
			snprintf(va, sizeof(va), "%u", t[0]->sector_size);
			snprintf(vb, sizeof(vb), "%u", t[1]->sector_size);
			it.a = va;
			it.b = vb;
			record(c, &c->table, &it, NULL);
		}
		if (strcmp(t[0]->id, t[1]->id) != 0) {
			/* Disk identifier: MBR 0x1B8 (2.1); GPT header DiskGUID at 0x38 (2.2). */
			diff_item it = item_init(VMFS_DIFF_SCOPE_TABLE, "table.id", VMFS_DIFF_NONE, 0);
			it.offset_a = gpt ? t[0]->sector_size + 0x38u : 0x1B8;
			it.offset_b = gpt ? t[1]->sector_size + 0x38u : 0x1B8;
			it.size = gpt ? 16 : 4;
			it.a = t[0]->id;
			it.b = t[1]->id;
			record(c, &c->table, &it, NULL);
		}
		const char *lba_field[2] = { "table.first_lba", "table.last_lba" };
		uint64_t lba_a[2] = { t[0]->first_lba, t[0]->last_lba }, lba_b[2] = { t[1]->first_lba, t[1]->last_lba };
		for (int i = 0; gpt && i < 2; i++) {
			if (lba_a[i] == lba_b[i])
				continue;
			/* GPT header FirstUsableLBA 0x28, LastUsableLBA 0x30 (2.2). */
			diff_item it = item_init(VMFS_DIFF_SCOPE_TABLE, lba_field[i], VMFS_DIFF_NONE, 0);
			it.kind = VMFS_FIELD_UINT;
			it.offset_a = t[0]->sector_size + 0x28u + 8u * (unsigned)i;
			it.offset_b = t[1]->sector_size + 0x28u + 8u * (unsigned)i;
			it.size = 8;
			snprintf(va, sizeof(va), "%" PRIu64, lba_a[i]);
			snprintf(vb, sizeof(vb), "%" PRIu64, lba_b[i]);
			it.a = va;
			it.b = vb;
			record(c, &c->table, &it, NULL);
		}
	}
	for (int side_index = 0; side_index < 2; side_index++) {
		const vmfs_ptable *self = t[side_index], *other = t[1 - side_index];
		for (size_t i = 0; i < self->count; i++) {
			const vmfs_partition *p = &self->parts[i];
			const vmfs_partition *q = find_partition(other, p->number);
			if (q) {
				if (side_index == 0)
					compare_partition_entries(c, p, q);
				continue;
			}
			uint64_t esz;
			uint64_t at = table_entry_offset(c, &c->s[side_index], self, p->number, &esz);
			diff_item it = item_init(VMFS_DIFF_SCOPE_TABLE, "table.partition", VMFS_DIFF_NONE, (uint32_t)p->number);
			it.change = side_index == 0 ? VMFS_DIFF_REMOVED : VMFS_DIFF_ADDED;
			it.index = (uint32_t)p->number;
			describe_partition(p, va, sizeof(va));
			if (side_index == 0) {
				it.offset_a = at;
				it.a = va;
			} else {
				it.offset_b = at;
				it.b = va;
			}
			it.size = esz;
			record(c, &c->table, &it, NULL);
		}
	}
}

/* ------------------------------------------------------------------ */
/* Device pairs                                                         */

static uint32_t partition_at(const vmfs_ptable *t, uint64_t offset)
{
	if (offset == VMFS_NO_OFFSET)
		return 0;
	for (size_t i = 0; i < t->count; i++)
		if (t->parts[i].start * (uint64_t)t->sector_size == offset)
			return (uint32_t)t->parts[i].number;
	return 0;
}

static uint64_t pair_key(const vmfs_diff_pair *p)
{
	return p->offset_a != VMFS_NO_OFFSET ? p->offset_a : p->offset_b;
}

static int pair_cmp(const void *x, const void *y)
{
	uint64_t a = pair_key(x), b = pair_key(y);
	return a < b ? -1 : a > b;
}

/* True when some device of disk starts at offset. */
static bool occupied(const vmfs_disk *disk, uint64_t offset)
{
	for (size_t i = 0; i < disk->num_devices; i++)
		if (disk->devices[i]->offset == offset)
			return true;
	return false;
}

/* Looks on `self` for the counterpart of a device found only on the other
 * side: a device at the same offset that the analysis did not list (no
 * partition entry at an unusual start) is decoded here. */
static vmfs_status find_counterpart(diff_ctx *c, int self, const vmfs_device *other_dev, const vmfs_device **found,
				   uint64_t *offset)
{
	side *s = &c->s[self];
	*found = NULL;
	*offset = other_dev->offset;
	if (occupied(s->in->disk, other_dev->offset)) {
		/* That position belongs to another device of this side, paired elsewhere. */
		*offset = VMFS_NO_OFFSET;
		return VMFS_OK;
	}
	vmfs_device *dev = NULL;
	vmfs_error local;
	vmfs_status st = other_dev->has_lvm ? vmfs_device_read(s->src, other_dev->offset, 0, &dev, &local)
					    : vmfs_device_read_lv_image(s->src, other_dev->offset, &dev, &local);
	if (st == VMFS_ERR_NOT_FOUND)
		return VMFS_OK;
	if (st != VMFS_OK) {
		if (c->err)
			*c->err = local;
		return st;
	}
	*found = dev;
	return VMFS_OK;
}

/* Two different members of one spanned volume (section 4.4): the same LV
 * UUID and snapID in their volume tables, a volume of several devices, and
 * different device UUIDs. Not one device changed: not a resignature. */
static bool other_member(const vmfs_device *a, const vmfs_device *b)
{
	return a && b && a->has_lvm && b->has_lvm && a->primary && b->primary &&
	       vmfs_uuid_equal(&a->primary->entry.lv_uuid, &b->primary->entry.lv_uuid) &&
	       a->primary->entry.snap_id == b->primary->entry.snap_id && a->primary->entry.num_devs > 1 &&
	       !vmfs_uuid_equal(&a->lvm.device_uuid, &b->lvm.device_uuid);
}

static vmfs_status build_pairs(diff_ctx *c)
{
	const vmfs_disk *da = c->s[0].in->disk, *db = c->s[1].in->disk;
	vmfs_diff *out = c->out;
	bool used_a[VMFS_DISK_MAX_DEVICES] = { false }, used_b[VMFS_DISK_MAX_DEVICES] = { false };
	size_t na = da->num_devices < VMFS_DISK_MAX_DEVICES ? da->num_devices : VMFS_DISK_MAX_DEVICES;
	size_t nb = db->num_devices < VMFS_DISK_MAX_DEVICES ? db->num_devices : VMFS_DISK_MAX_DEVICES;

	/* 1: the same LVM device UUID (header 0x82, section 7.2), preferring the same offset. */
	for (size_t i = 0; i < na; i++) {
		const vmfs_device *a = da->devices[i];
		if (!a->has_lvm || vmfs_uuid_is_zero(&a->lvm.device_uuid))
			continue;
		size_t best = SIZE_MAX;
		for (size_t j = 0; j < nb; j++) {
			const vmfs_device *b = db->devices[j];
			if (used_b[j] || !b->has_lvm || !vmfs_uuid_equal(&a->lvm.device_uuid, &b->lvm.device_uuid))
				continue;
			if (best == SIZE_MAX || b->offset == a->offset)
				best = j;
		}
		if (best == SIZE_MAX)
			continue;
		used_a[i] = used_b[best] = true;
		out->pairs[out->num_pairs++] = (vmfs_diff_pair){ a, db->devices[best], a->offset, db->devices[best]->offset,
								 0, 0, "device-uuid", false, false };
	}
	/* 2: the same partition start. */
	for (size_t i = 0; i < na; i++) {
		if (used_a[i])
			continue;
		for (size_t j = 0; j < nb; j++) {
			if (used_b[j] || db->devices[j]->offset != da->devices[i]->offset)
				continue;
			used_a[i] = used_b[j] = true;
			out->pairs[out->num_pairs++] = (vmfs_diff_pair){ da->devices[i], db->devices[j], da->devices[i]->offset,
									 db->devices[j]->offset, 0, 0,
									 other_member(da->devices[i], db->devices[j]) ? "other-member"
									 : "offset", false, false };
			break;
		}
	}
	/* 3: one side only: look at the same offset of the other side. */
	for (int self = 0; self < 2; self++) {
		const vmfs_disk *disk = self == 0 ? da : db;
		size_t n = self == 0 ? na : nb;
		bool *used = self == 0 ? used_a : used_b;
		for (size_t i = 0; i < n; i++) {
			if (used[i])
				continue;
			const vmfs_device *dev = disk->devices[i], *found = NULL;
			uint64_t other_offset;
			vmfs_status st = find_counterpart(c, 1 - self, dev, &found, &other_offset);
			if (st != VMFS_OK)
				return st;
			vmfs_diff_pair p = { 0 };
			p.paired_by = found ? "offset" : self == 0 ? "a-only" : "b-only";
			if (self == 0) {
				p.a = dev, p.offset_a = dev->offset, p.b = found, p.offset_b = other_offset, p.owns_b = found != NULL;
			} else {
				p.b = dev, p.offset_b = dev->offset, p.a = found, p.offset_a = other_offset, p.owns_a = found != NULL;
			}
			out->pairs[out->num_pairs++] = p;
		}
	}
	qsort(out->pairs, out->num_pairs, sizeof(out->pairs[0]), pair_cmp);
	for (size_t i = 0; i < out->num_pairs; i++) {
		out->pairs[i].partition_a = partition_at(&da->table, out->pairs[i].offset_a);
		out->pairs[i].partition_b = partition_at(&db->table, out->pairs[i].offset_b);
	}
	return VMFS_OK;
}

/* ------------------------------------------------------------------ */
/* Comparing one device pair                                            */

typedef struct pair_view {
	const vmfs_device *dev[2];
	uint64_t off[2];
	uint32_t device, partition;
	bool has_layout[2];
	vmfs_lvm_layout layout[2];
} pair_view;

/* The position of a structure on side x: its own (if own != NONE), else the
 * other side's translated to x's device start. */
static uint64_t position(const pair_view *v, int x, uint64_t own, uint64_t other)
{
	if (own != VMFS_NO_OFFSET)
		return own;
	return counterpart(other, v->off[1 - x], v->off[x]);
}

static void compare_header(diff_ctx *c, pair_state *ps, pair_view *v)
{
	uint8_t buf[2][VMFS_LVM_HEADER_DEFINED];
	bool lvm_side = (v->dev[0] && v->dev[0]->has_lvm) || (v->dev[1] && v->dev[1]->has_lvm);
	if (!lvm_side)
		return;
	ps->header_checked = true;
	for (int x = 0; x < 2; x++) {
		const vmfs_device *d = v->dev[x];
		ps->header_pos[x] = d && d->has_lvm ? d->header_offset
					      : v->off[x] == VMFS_NO_OFFSET ? VMFS_NO_OFFSET : v->off[x] + VMFS_LVM_HEADER_OFFSET;
		int r = side_read(c, &c->s[x], ps->header_pos[x], buf[x], sizeof(buf[x]));
		ps->header_past_end[x] = r == 1 && ps->header_pos[x] != VMFS_NO_OFFSET;
		ps->header_magic[x] = vmfs_le32(buf[x]);
		ps->header_present[x] = r == 0 && ps->header_magic[x] == VMFS_LVM_MAGIC;
		if (ps->header_present[x]) {
			ps->hdr_ok[x] = vmfs_lvm_header_decode(buf[x], sizeof(buf[x]), &ps->hdr[x], NULL) == VMFS_OK;
			if (d && d->has_layout) {
				v->layout[x] = d->layout;
				v->has_layout[x] = true;
			} else if (ps->hdr_ok[x]) {
				v->has_layout[x] = vmfs_lvm_layout_compute(&ps->hdr[x], &v->layout[x], NULL) == VMFS_OK;
			}
		}
	}
	/* A side without a layout of its own is read with the other's (its header is gone). */
	for (int x = 0; x < 2; x++) {
		if (!v->has_layout[x] && v->has_layout[1 - x]) {
			v->layout[x] = v->layout[1 - x];
			v->has_layout[x] = true;
		}
	}
	diff_item base = item_init(VMFS_DIFF_SCOPE_LVM, "lvm.header", v->device, v->partition);
	if (ps->header_present[0] && ps->header_present[1]) {
		compare_fields(c, ps, &lvm_desc, buf[0], buf[1], ps->header_pos[0], ps->header_pos[1], base, NULL);
		/* Names derived from the diskID block (section 8.1, 8.3). */
		char va[VMFS_IDENT_MAX_TEXT], vb[VMFS_IDENT_MAX_TEXT];
		for (int k = 0; k < 2; k++) {
			char *val[2] = { va, vb };
			for (int x = 0; x < 2; x++) {
				const vmfs_disk_id *id = &ps->hdr[x].disk_id;
				vmfs_status st = k == 0 ? vmfs_vml_from_disk_id(id, val[x], VMFS_IDENT_MAX_TEXT, NULL)
							: vmfs_canonical_from_disk_id(id, val[x], VMFS_IDENT_MAX_TEXT, NULL);
				if (st == VMFS_ERR_FORMAT)
					snprintf(val[x], VMFS_IDENT_MAX_TEXT, "(none: diskID len %u exceeds %u)", id->len,
						 VMFS_DISK_ID_ID_MAX);
				else if (st != VMFS_OK)
					snprintf(val[x], VMFS_IDENT_MAX_TEXT, "(none)");
			}
			if (strcmp(va, vb) == 0)
				continue;
			diff_item it = item_init(VMFS_DIFF_SCOPE_DISK_ID, k == 0 ? "disk_id.vml" : "disk_id.canonical",
						 v->device, v->partition);
			it.offset_a = ps->header_pos[0] + VMFS_LVM_OFF_DISK_ID;
			it.offset_b = ps->header_pos[1] + VMFS_LVM_OFF_DISK_ID;
			it.size = 0; /* derived: the bytes are those of the fields above */
			it.a = va;
			it.b = vb;
			record(c, ps, &it, NULL);
		}
	} else if (ps->header_present[0] || ps->header_present[1]) {
		int have = ps->header_present[0] ? 0 : 1, gone = 1 - have;
		char present[64], absent[96];
		snprintf(present, sizeof(present), "present (magic 0x%08x)", VMFS_LVM_MAGIC);
		if (ps->header_pos[gone] == VMFS_NO_OFFSET)
			snprintf(absent, sizeof(absent), "absent (another device starts there)");
		else if (ps->header_past_end[gone])
			snprintf(absent, sizeof(absent), "absent (past the end of the source)");
		else
			snprintf(absent, sizeof(absent), "destroyed (magic 0x%08" PRIx32 ")", ps->header_magic[gone]);
		diff_item it = base;
		it.change = have == 0 ? VMFS_DIFF_REMOVED : VMFS_DIFF_ADDED;
		it.offset_a = ps->header_pos[0];
		it.offset_b = ps->header_pos[1];
		/* The whole header block: past its defined bytes it is zero (section 3). */
		it.size = v->has_layout[have] ? v->layout[have].header_block : VMFS_LVM_HEADER_BLOCK;
		it.a = have == 0 ? present : absent;
		it.b = have == 1 ? present : absent;
		record(c, ps, &it, NULL);
	}
}

static void describe_volume(const uint8_t *entry, char *out, size_t len)
{
	vmfs_volume_entry v;
	char uuid[VMFS_UUID_TEXT_LEN + 1];
	vmfs_volume_entry_decode(entry, &v);
	snprintf(out, len, "LV %s snap %" PRIu32 ", %" PRIu64 " bytes, state %s", vmfs_uuid_format(&v.lv_uuid, uuid),
		 v.snap_id, v.logical_size, vmfs_volume_state_name(v.state));
}

/* Where a side has no LVM header of its own, bytes at the other side's
 * positions count as a structure only when they look like one (4.1, 4.2),
 * so that data or noise is not compared field by field. */
static bool volume_plausible(const uint8_t *entry)
{
	vmfs_volume_entry v;
	vmfs_volume_entry_decode(entry, &v);
	return v.name_terminated && v.state <= VMFS_VOL_STATE_SENTINEL && v.num_devs >= 1 &&
	       v.num_devs <= VMFS_LVM_SD_ENTRIES;
}

static bool sd_name_plausible(const uint8_t *entry)
{
	size_t n = 0;
	while (n < VMFS_LVM_SD_ENTRY_SIZE && entry[n] >= 0x21 && entry[n] <= 0x7e)
		n++;
	return n > 0 && n < VMFS_LVM_SD_ENTRY_SIZE && entry[n] == 0;
}

static void compare_volumes(diff_ctx *c, pair_state *ps, const pair_view *v)
{
	if (!v->has_layout[0])
		return;
	/* Indices worth reading: the entries either analysis decoded (at most
	 * 512, section 4.0). */
	bool wanted[512] = { false };
	for (int x = 0; x < 2; x++) {
		const vmfs_device *d = v->dev[x];
		for (size_t i = 0; d && i < d->num_volumes; i++)
			if (d->volumes[i].index < 512)
				wanted[d->volumes[i].index] = true;
	}
	uint8_t buf[2][VMFS_LVM_VOLUME_ENTRY_SIZE];
	for (uint32_t i = 0; i < 512; i++) {
		if (!wanted[i])
			continue;
		uint64_t pos[2];
		bool present[2];
		for (int x = 0; x < 2; x++) {
			uint64_t rel = v->layout[x].volume_table + (uint64_t)i * VMFS_LVM_VOLUME_ENTRY_SIZE;
			pos[x] = v->off[x] == VMFS_NO_OFFSET ? VMFS_NO_OFFSET : v->off[x] + rel;
			present[x] = side_read(c, &c->s[x], pos[x], buf[x], sizeof(buf[x])) == 0 &&
				     !vmfs_volume_entry_is_empty(buf[x]) && (ps->header_present[x] || volume_plausible(buf[x]));
			ps->others_present[x] |= present[x];
			if (present[x] && !ps->vol_ok[x]) {
				vmfs_volume_entry_decode(buf[x], &ps->vol[x]);
				ps->vol_ok[x] = true;
			}
		}
		diff_item base = item_init(VMFS_DIFF_SCOPE_VOLUME, "volume.entry", v->device, v->partition);
		base.index = i;
		if (present[0] && present[1]) {
			compare_fields(c, ps, &volume_desc, buf[0], buf[1], pos[0], pos[1], base, NULL);
		} else if (present[0] || present[1]) {
			char text[VMFS_DIFF_VALUE_LEN];
			int have = present[0] ? 0 : 1;
			describe_volume(buf[have], text, sizeof(text));
			diff_item it = base;
			it.change = have == 0 ? VMFS_DIFF_REMOVED : VMFS_DIFF_ADDED;
			it.offset_a = pos[0];
			it.offset_b = pos[1];
			it.size = VMFS_LVM_VOLUME_ENTRY_SIZE;
			it.a = have == 0 ? text : NULL;
			it.b = have == 1 ? text : NULL;
			record(c, ps, &it, NULL);
		}
	}
}

static void compare_sd_table(diff_ctx *c, pair_state *ps, const pair_view *v)
{
	if (!v->has_layout[0])
		return;
	const size_t len = (size_t)VMFS_LVM_SD_ENTRIES * VMFS_LVM_SD_ENTRY_SIZE;
	uint8_t *buf[2] = { malloc(len), malloc(len) };
	uint64_t pos[2];
	if (!buf[0] || !buf[1]) {
		fail_memory(c);
		goto out;
	}
	for (int x = 0; x < 2; x++) {
		pos[x] = v->off[x] == VMFS_NO_OFFSET ? VMFS_NO_OFFSET : v->off[x] + v->layout[x].sd_table;
		side_read(c, &c->s[x], pos[x], buf[x], len);
	}
	/* Section 4.2: 32 NUL-terminated names of 256 bytes; an empty one starts with NUL. */
	for (uint32_t i = 0; i < VMFS_LVM_SD_ENTRIES; i++) {
		const uint8_t *e[2] = { buf[0] + (size_t)i * VMFS_LVM_SD_ENTRY_SIZE, buf[1] + (size_t)i * VMFS_LVM_SD_ENTRY_SIZE };
		vmfs_sd_entry name[2];
		bool present[2];
		for (int x = 0; x < 2; x++) {
			present[x] = e[x][0] != 0 && (ps->header_present[x] || sd_name_plausible(e[x]));
			vmfs_sd_entry_decode(e[x], &name[x]);
			if (!present[x])
				name[x].name[0] = 0;
			ps->others_present[x] |= present[x];
		}
		if (strcmp(name[0].name, name[1].name) == 0 && present[0] == present[1])
			continue;
		diff_item it = item_init(VMFS_DIFF_SCOPE_SD, "sd.name", v->device, v->partition);
		it.index = i;
		it.change = !present[0] ? VMFS_DIFF_ADDED : !present[1] ? VMFS_DIFF_REMOVED : VMFS_DIFF_CHANGED;
		it.offset_a = add_or_none(pos[0], (uint64_t)i * VMFS_LVM_SD_ENTRY_SIZE);
		it.offset_b = add_or_none(pos[1], (uint64_t)i * VMFS_LVM_SD_ENTRY_SIZE);
		it.size = VMFS_LVM_SD_ENTRY_SIZE;
		it.a = present[0] ? name[0].name : NULL;
		it.b = present[1] ? name[1].name : NULL;
		record(c, ps, &it, NULL);
	}
out:
	free(buf[0]);
	free(buf[1]);
}

static int extent_key_cmp(const vmfs_extent *x, const vmfs_extent *y)
{
	if (x->map != y->map)
		return x->map < y->map ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

static void describe_extent(const uint8_t *entry, char *out, size_t len)
{
	vmfs_pe_entry pe;
	vmfs_pe_entry_decode(entry, &pe);
	snprintf(out, len, "PE %" PRIu32 " of volume %" PRIu32 ": LV " HEX " at " HEX ", length " HEX, pe.pe_id,
		 pe.volume_id, pe.l_offset, pe.p_offset, pe.length);
}

/* One PE slot (section 4.3): present when its bitmap bit is set and the
 * entry says used = 1. */
static void compare_extent(diff_ctx *c, pair_state *ps, const pair_view *v, const vmfs_extent *own[2])
{
	uint64_t entry_pos[2], bitmap_pos[2];
	uint8_t buf[2][VMFS_LVM_PE_ENTRY_SIZE];
	bool present[2];
	const vmfs_extent *key = own[0] ? own[0] : own[1];
	for (int x = 0; x < 2; x++) {
		uint64_t other = own[1 - x] ? own[1 - x]->entry_offset : VMFS_NO_OFFSET;
		entry_pos[x] = position(v, x, own[x] ? own[x]->entry_offset : VMFS_NO_OFFSET, other);
		/* The bitmap of a map precedes its table by the bitmap size B (4.0):
		 * bitmap = entry - slot * 128 - B. */
		uint64_t back = (uint64_t)key->slot * VMFS_LVM_PE_ENTRY_SIZE + v->layout[x].bitmap_size;
		bitmap_pos[x] = entry_pos[x] == VMFS_NO_OFFSET || entry_pos[x] < back
					? VMFS_NO_OFFSET : entry_pos[x] - back + key->slot / 8;
		uint8_t bits = 0;
		present[x] = side_read(c, &c->s[x], entry_pos[x], buf[x], sizeof(buf[x])) == 0 &&
			     side_read(c, &c->s[x], bitmap_pos[x], &bits, 1) == 0 && (bits & (1u << (key->slot % 8))) &&
			     buf[x][VMFS_PE_OFF_USED] == 1;
		ps->others_present[x] |= present[x];
	}
	diff_item base = item_init(VMFS_DIFF_SCOPE_EXTENT, "extent", v->device, v->partition);
	base.map = key->map;
	base.index = key->slot;
	if (present[0] && present[1]) {
		compare_fields(c, ps, &pe_desc, buf[0], buf[1], entry_pos[0], entry_pos[1], base, &ps->listed_extents);
		return;
	}
	if (!present[0] && !present[1])
		return;
	int have = present[0] ? 0 : 1;
	char text[VMFS_DIFF_VALUE_LEN];
	describe_extent(buf[have], text, sizeof(text));
	diff_item it = base;
	it.change = have == 0 ? VMFS_DIFF_REMOVED : VMFS_DIFF_ADDED;
	it.offset_a = entry_pos[0];
	it.offset_b = entry_pos[1];
	it.size = VMFS_LVM_PE_ENTRY_SIZE;
	it.a = have == 0 ? text : NULL;
	it.b = have == 1 ? text : NULL;
	if (have == 0)
		ps->extents_removed++;
	else
		ps->extents_added++;
	record(c, ps, &it, &ps->listed_extents);
	/* The bitmap bit that marks the slot is part of the same change. */
	coverage_add(c, &c->s[0].coverage, bitmap_pos[0], 1);
	coverage_add(c, &c->s[1].coverage, bitmap_pos[1], 1);
}

static void compare_extents(diff_ctx *c, pair_state *ps, const pair_view *v)
{
	if (!v->has_layout[0])
		return;
	static const vmfs_extent none_list[1];
	const vmfs_extent *list[2];
	size_t n[2], i[2] = { 0, 0 };
	for (int x = 0; x < 2; x++) {
		const vmfs_device *d = v->dev[x];
		list[x] = d && d->has_lvm ? d->extents : none_list;
		n[x] = d && d->has_lvm ? d->num_extents : 0;
	}
	/* Both lists are in table order (map, slot): merge them. */
	while ((i[0] < n[0] || i[1] < n[1]) && c->fail == VMFS_OK) {
		const vmfs_extent *own[2] = { NULL, NULL };
		int cmp = i[0] >= n[0] ? 1 : i[1] >= n[1] ? -1 : extent_key_cmp(&list[0][i[0]], &list[1][i[1]]);
		if (cmp <= 0)
			own[0] = &list[0][i[0]++];
		if (cmp >= 0)
			own[1] = &list[1][i[1]++];
		compare_extent(c, ps, v, own);
	}
}

static void compare_regions(diff_ctx *c, pair_state *ps, const pair_view *v)
{
	size_t n[2] = { 0, 0 };
	for (int x = 0; x < 2; x++)
		n[x] = v->dev[x] && v->dev[x]->has_lvm ? v->dev[x]->num_regions : 0;
	size_t count = n[0] > n[1] ? n[0] : n[1];
	for (size_t r = 0; r < count; r++) {
		uint64_t pos[2];
		uint8_t buf[2][VMFS_EXT_REGION_DEFINED];
		bool present[2];
		for (int x = 0; x < 2; x++) {
			uint64_t own = r < n[x] ? v->dev[x]->regions[r].offset : VMFS_NO_OFFSET;
			uint64_t other = r < n[1 - x] ? v->dev[1 - x]->regions[r].offset : VMFS_NO_OFFSET;
			pos[x] = position(v, x, own, other);
			present[x] = side_read(c, &c->s[x], pos[x], buf[x], sizeof(buf[x])) == 0 &&
				     vmfs_le32(buf[x]) == VMFS_LVM_MAGIC;
		}
		diff_item base = item_init(VMFS_DIFF_SCOPE_LVM, "lvm.ext_region", v->device, v->partition);
		base.index = (uint32_t)r;
		if (present[0] && present[1]) {
			compare_fields(c, ps, &ext_region_desc, buf[0], buf[1], pos[0], pos[1], base, NULL);
		} else if (present[0] || present[1]) {
			int have = present[0] ? 0 : 1;
			char text[VMFS_DIFF_VALUE_LEN];
			snprintf(text, sizeof(text), "%" PRIu32 " PE maps, data offset " HEX ", next " HEX,
				 vmfs_le32(buf[have] + 4), vmfs_le64(buf[have] + 8), vmfs_le64(buf[have] + 16));
			diff_item it = base;
			it.change = have == 0 ? VMFS_DIFF_REMOVED : VMFS_DIFF_ADDED;
			it.offset_a = pos[0];
			it.offset_b = pos[1];
			it.size = VMFS_EXT_REGION_DEFINED;
			it.a = have == 0 ? text : NULL;
			it.b = have == 1 ? text : NULL;
			record(c, ps, &it, NULL);
		}
	}
}

static void compare_descriptor(diff_ctx *c, pair_state *ps, const pair_view *v)
{
	uint64_t own[2];
	for (int x = 0; x < 2; x++)
		own[x] = v->dev[x] && v->dev[x]->fs_located ? v->dev[x]->fs_offset : VMFS_NO_OFFSET;
	if (own[0] == VMFS_NO_OFFSET && own[1] == VMFS_NO_OFFSET)
		return;
	ps->fs_checked = true;
	uint8_t buf[2][VMFS_FS_DESC_READ_SIZE];
	for (int x = 0; x < 2; x++) {
		ps->fs_pos[x] = position(v, x, own[x], own[1 - x]);
		int r = side_read(c, &c->s[x], ps->fs_pos[x], buf[x], sizeof(buf[x]));
		ps->fs_magic[x] = vmfs_le32(buf[x]);
		ps->fs_present[x] = r == 0 && vmfs_fs_magic_known(ps->fs_magic[x]);
		ps->others_present[x] |= ps->fs_present[x];
		if (ps->fs_present[x]) {
			vmfs_fs_descriptor fs;
			if (vmfs_fs_descriptor_decode(buf[x], sizeof(buf[x]), &fs, NULL) == VMFS_OK) {
				snprintf(ps->label[x], sizeof(ps->label[x]), "%s", fs.label);
				ps->label_ok[x] = true;
				vmfs_fs_version_string(&fs, ps->fs_version[x], sizeof(ps->fs_version[x]));
				ps->fs_ok[x] = true;
			}
		}
	}
	diff_item base = item_init(VMFS_DIFF_SCOPE_FS, "fs.descriptor", v->device, v->partition);
	if (ps->fs_present[0] && ps->fs_present[1]) {
		compare_fields(c, ps, &fs_desc, buf[0], buf[1], ps->fs_pos[0], ps->fs_pos[1], base, NULL);
	} else if (ps->fs_present[0] || ps->fs_present[1]) {
		int have = ps->fs_present[0] ? 0 : 1, gone = 1 - have;
		char present[64], absent[96];
		snprintf(present, sizeof(present), "present (magic 0x%08" PRIx32 ")", ps->fs_magic[have]);
		if (ps->fs_pos[gone] == VMFS_NO_OFFSET)
			snprintf(absent, sizeof(absent), "absent (no position on this side)");
		else if (!vmfs_source_contains(c->s[gone].src, ps->fs_pos[gone], VMFS_FS_DESC_READ_SIZE))
			snprintf(absent, sizeof(absent), "absent (past the end of the source)");
		else
			snprintf(absent, sizeof(absent), "destroyed (magic 0x%08" PRIx32 ")", ps->fs_magic[gone]);
		diff_item it = base;
		it.change = have == 0 ? VMFS_DIFF_REMOVED : VMFS_DIFF_ADDED;
		it.offset_a = ps->fs_pos[0];
		it.offset_b = ps->fs_pos[1];
		it.size = VMFS_FS_DESC_READ_SIZE; /* the descriptor sector (5.1) */
		it.a = have == 0 ? present : absent;
		it.b = have == 1 ? present : absent;
		record(c, ps, &it, NULL);
	}
}

static void compare_pair(diff_ctx *c, uint32_t index)
{
	const vmfs_diff_pair *p = &c->out->pairs[index];
	pair_state *ps = &c->pairs[index];
	pair_view v;
	memset(&v, 0, sizeof(v));
	v.dev[0] = p->a;
	v.dev[1] = p->b;
	v.off[0] = p->offset_a;
	v.off[1] = p->offset_b;
	v.device = index;
	v.partition = p->partition_a ? p->partition_a : p->partition_b;
	compare_header(c, ps, &v);
	compare_volumes(c, ps, &v);
	compare_sd_table(c, ps, &v);
	compare_extents(c, ps, &v);
	compare_regions(c, ps, &v);
	compare_descriptor(c, ps, &v);
}

/* ------------------------------------------------------------------ */
/* Raw bytes                                                            */

typedef struct raw_range {
	bool open;
	uint64_t start, end, count; /* relative to the job */
} raw_range;

typedef struct raw_job {
	const char *area;
	uint64_t oa, ob, len;
	pair_state *ps;
	uint32_t device, partition;
} raw_job;

static void raw_emit(diff_ctx *c, const raw_job *job, raw_range *r)
{
	if (!r->open)
		return;
	r->open = false;
	pair_state *ps = job->ps;
	ps->raw_ranges++;
	ps->raw_bytes += r->count;
	if (!strstr(ps->raw_areas, job->area)) {
		size_t used = strlen(ps->raw_areas);
		snprintf(ps->raw_areas + used, sizeof(ps->raw_areas) - used, "%s%s", used ? ", " : "", job->area);
	}
	uint64_t len = r->end - r->start;
	uint8_t bytes[2][VMFS_DIFF_RAW_SHOWN];
	size_t shown = len < VMFS_DIFF_RAW_SHOWN ? (size_t)len : VMFS_DIFF_RAW_SHOWN;
	char val[2][VMFS_DIFF_VALUE_LEN];
	for (int x = 0; x < 2; x++) {
		side_read(c, &c->s[x], (x == 0 ? job->oa : job->ob) + r->start, bytes[x], shown);
		format_hex_bytes(bytes[x], shown, val[x], sizeof(val[x]));
		if (shown < len)
			snprintf(val[x] + strlen(val[x]), sizeof(val[x]) - strlen(val[x]), "... (%" PRIu64 " bytes)", len);
	}
	char field[VMFS_DIFF_FIELD_LEN];
	snprintf(field, sizeof(field), "raw.%s", job->area);
	diff_item it = item_init(VMFS_DIFF_SCOPE_RAW, field, job->device, job->partition);
	it.kind = VMFS_FIELD_BYTES;
	it.offset_a = job->oa + r->start;
	it.offset_b = job->ob + r->start;
	it.size = len;
	it.a = val[0];
	it.b = val[1];
	it.area = job->area;
	it.differing_bytes = r->count;
	record(c, ps, &it, &ps->listed_raw);
}

/* Intersects the sorted relative pieces with a side's held ranges (absolute,
 * sorted, merged), seen from `base`. */
static size_t intersect_held(const interval *pieces, size_t np, const interval_set *held, uint64_t base, interval *out)
{
	size_t n = 0;
	for (size_t i = 0; i < np; i++) {
		for (size_t j = 0; j < held->count; j++) {
			const interval *h = &held->items[j];
			if (h->end <= base)
				continue;
			uint64_t hs = h->start > base ? h->start - base : 0, he = h->end - base;
			uint64_t s = pieces[i].start > hs ? pieces[i].start : hs;
			uint64_t e = pieces[i].end < he ? pieces[i].end : he;
			if (s < e)
				out[n++] = (interval){ s, e };
		}
	}
	return n;
}

static void raw_compare(diff_ctx *c, const raw_job *job)
{
	side *A = &c->s[0], *B = &c->s[1];
	uint64_t size_a = vmfs_source_size(A->src), size_b = vmfs_source_size(B->src);
	if (job->oa == VMFS_NO_OFFSET || job->ob == VMFS_NO_OFFSET || job->oa >= size_a || job->ob >= size_b)
		return;
	uint64_t len = job->len;
	if (len > size_a - job->oa)
		len = size_a - job->oa;
	if (len > size_b - job->ob)
		len = size_b - job->ob;
	if (len == 0)
		return;
	/* Only where both sides hold real bytes (a backup reads as zeros elsewhere). */
	/* Intersecting sorted, disjoint lists gives at most the sum of their lengths. */
	size_t cap = 1 + A->held.count + B->held.count;
	interval *pieces = malloc(cap * sizeof(*pieces)), *tmp = malloc(cap * sizeof(*tmp));
	uint8_t *buf[2] = { malloc(RAW_CHUNK), malloc(RAW_CHUNK) };
	if (!pieces || !tmp || !buf[0] || !buf[1]) {
		fail_memory(c);
		goto out;
	}
	size_t np = 1;
	pieces[0] = (interval){ 0, len };
	if (A->has_held) {
		np = intersect_held(pieces, np, &A->held, job->oa, tmp);
		memcpy(pieces, tmp, np * sizeof(*pieces));
	}
	if (B->has_held) {
		np = intersect_held(pieces, np, &B->held, job->ob, tmp);
		memcpy(pieces, tmp, np * sizeof(*pieces));
	}
	size_t cursor_a = 0, cursor_b = 0;
	for (size_t pi = 0; pi < np && c->fail == VMFS_OK; pi++) {
		raw_range r = { false, 0, 0, 0 };
		for (uint64_t at = pieces[pi].start; at < pieces[pi].end && c->fail == VMFS_OK; at += RAW_CHUNK) {
			size_t n = pieces[pi].end - at < RAW_CHUNK ? (size_t)(pieces[pi].end - at) : RAW_CHUNK;
			if (side_read(c, A, job->oa + at, buf[0], n) != 0 || side_read(c, B, job->ob + at, buf[1], n) != 0)
				break;
			c->out->raw_bytes_compared += n;
			if (memcmp(buf[0], buf[1], n) == 0)
				continue;
			for (size_t k = 0; k < n; k++) {
				if (buf[0][k] == buf[1][k])
					continue;
				uint64_t rel = at + k;
				if (covered(&A->coverage, job->oa + rel, &cursor_a) || covered(&B->coverage, job->ob + rel, &cursor_b))
					continue;
				if (r.open && rel - r.end < VMFS_DIFF_RAW_MERGE_GAP) {
					r.end = rel + 1;
					r.count++;
					continue;
				}
				raw_emit(c, job, &r);
				r = (raw_range){ true, rel, rel + 1, 1 };
			}
		}
		raw_emit(c, job, &r);
	}
out:
	free(pieces);
	free(tmp);
	free(buf[0]);
	free(buf[1]);
}

/* The backup spans of one device of a side, or the table spans (dev NULL). */
static vmfs_status spans_of(side *s, const vmfs_device *dev, vmfs_backup_selection *sel)
{
	vmfs_disk *one = calloc(1, sizeof(*one));
	if (!one)
		return VMFS_ERR_NO_MEMORY;
	one->table.sector_size = s->sector_size;
	if (dev) {
		/* The selection only reads the device; the pseudo-disk never frees it. */
		one->devices[0] = (vmfs_device *)(uintptr_t)dev;
		one->num_devices = 1;
	}
	vmfs_status st = vmfs_backup_select(s->src, one, sel, NULL);
	free(one);
	return st;
}

static const vmfs_backup_span *nth_span(const vmfs_backup_selection *sel, const char *kind, size_t nth, bool device)
{
	for (size_t i = 0; i < sel->count; i++) {
		const vmfs_backup_span *s = &sel->spans[i];
		if ((s->device != VMFS_SELECT_NO_DEVICE) != device || strcmp(s->kind, kind) != 0)
			continue;
		if (nth-- == 0)
			return s;
	}
	return NULL;
}

/* Pairs the spans of one kind from both sides into jobs (the n-th span of a
 * kind on A with the n-th on B; a span of one side alone is compared with
 * the same place relative to the device start on the other). */
static void raw_kind(diff_ctx *c, const vmfs_backup_selection *sel[2], const char *kind, bool device,
		     const uint64_t off[2], pair_state *ps, uint32_t index, uint32_t partition)
{
	for (size_t nth = 0; c->fail == VMFS_OK; nth++) {
		const vmfs_backup_span *sp[2] = { sel[0] ? nth_span(sel[0], kind, nth, device) : NULL,
						   sel[1] ? nth_span(sel[1], kind, nth, device) : NULL };
		if (!sp[0] && !sp[1])
			break;
		raw_job job = { kind, 0, 0, 0, ps, index, partition };
		if (sp[0] && sp[1]) {
			job.oa = sp[0]->offset;
			job.ob = sp[1]->offset;
			job.len = sp[0]->length > sp[1]->length ? sp[0]->length : sp[1]->length;
		} else {
			int have = sp[0] ? 0 : 1;
			uint64_t mine = sp[have]->offset;
			uint64_t theirs = device ? counterpart(mine, off[have], off[1 - have]) : mine;
			job.oa = have == 0 ? mine : theirs;
			job.ob = have == 1 ? mine : theirs;
			job.len = sp[have]->length;
		}
		raw_compare(c, &job);
	}
}

static void raw_table(diff_ctx *c)
{
	const vmfs_backup_selection *sel[2] = { c->s[0].table_spans, c->s[1].table_spans };
	const uint64_t off[2] = { 0, 0 };
	static const char *const kinds[] = { "mbr", "gpt-primary", "gpt-backup" };
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		raw_kind(c, sel, kinds[k], false, off, &c->table, VMFS_DIFF_NONE, 0);
}

static void raw_pair(diff_ctx *c, uint32_t index)
{
	const vmfs_diff_pair *p = &c->out->pairs[index];
	vmfs_backup_selection *sel[2] = { NULL, NULL };
	const vmfs_device *dev[2] = { p->a, p->b };
	const uint64_t off[2] = { p->offset_a, p->offset_b };
	for (int x = 0; x < 2; x++) {
		if (!dev[x])
			continue;
		sel[x] = malloc(sizeof(*sel[x]));
		if (!sel[x] || spans_of(&c->s[x], dev[x], sel[x]) != VMFS_OK) {
			fail_memory(c);
			goto out;
		}
	}
	static const char *const kinds[] = { "lvm-metadata", "lvm-ext-metadata", "vh-sf" };
	const vmfs_backup_selection *csel[2] = { sel[0], sel[1] };
	uint32_t partition = p->partition_a ? p->partition_a : p->partition_b;
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		raw_kind(c, csel, kinds[k], true, off, &c->pairs[index], index, partition);
out:
	free(sel[0]);
	free(sel[1]);
}

/* ------------------------------------------------------------------ */
/* Interpretations                                                      */

static void interpret(diff_ctx *c, const char *code, vmfs_severity severity, uint32_t device, uint32_t partition,
		      const char *action, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void interpret(diff_ctx *c, const char *code, vmfs_severity severity, uint32_t device, uint32_t partition,
		      const char *action, const char *fmt, ...)
{
	vmfs_diff *out = c->out;
	if (out->num_interpretations >= VMFS_DIFF_MAX_INTERPRETATIONS)
		return;
	if (!grow((void **)&out->interpretations, &out->interpretations_capacity, out->num_interpretations + 1,
		  sizeof(*out->interpretations), VMFS_DIFF_MAX_INTERPRETATIONS)) {
		fail_memory(c);
		return;
	}
	vmfs_diff_interpretation *in = &out->interpretations[out->num_interpretations++];
	memset(in, 0, sizeof(*in));
	in->code = code;
	in->severity = severity;
	in->device = device;
	in->partition = partition;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(in->message, sizeof(in->message), fmt, ap);
	va_end(ap);
	snprintf(in->action, sizeof(in->action), "%s", action ? action : "");
}

/* "device 0 (partition 1, at 0x100000)" */
static void device_words(const vmfs_diff_pair *p, uint32_t index, char *out, size_t len)
{
	uint32_t part = p->partition_a ? p->partition_a : p->partition_b;
	uint64_t at = p->offset_a != VMFS_NO_OFFSET ? p->offset_a : p->offset_b;
	if (part)
		snprintf(out, len, "device %" PRIu32 " (partition %" PRIu32 ", at " HEX ")", index, part, at);
	else
		snprintf(out, len, "device %" PRIu32 " (at " HEX ")", index, at);
}

/* Lists the names of the unclaimed facts once each as "a, b, c" (at most
 * LISTED_NAMES distinct names, then "...") and claims them. */
#define LISTED_NAMES 64u
static bool list_unclaimed(fact_set *set, char *out, size_t len)
{
	const char *listed[LISTED_NAMES];
	size_t count = 0, used = 0;
	bool any = false, more = false;
	out[0] = 0;
	for (size_t i = 0; i < set->count; i++) {
		fact *f = &set->items[i];
		if (f->claimed)
			continue;
		f->claimed = true;
		any = true;
		/* The same name can occur for several partitions: list it once. */
		bool seen = false;
		for (size_t k = 0; k < count && !seen; k++)
			seen = strcmp(listed[k], f->name) == 0;
		if (seen)
			continue;
		if (count == LISTED_NAMES) {
			more = true;
			continue;
		}
		listed[count++] = f->name;
		if (used < len)
			used += (size_t)snprintf(out + used, len - used, "%s%s", count > 1 ? ", " : "", f->name);
	}
	if (more && used < len)
		snprintf(out + used, len - used, ", ...");
	return any;
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* "restore from backup: vmfs-restore --from-backup FILE PATH": FILE is the
 * intact side when that is a backup file. */
static void restore_action(diff_ctx *c, int intact, int damaged, const char *only, char *out, size_t len)
{
	bool backup = vmfs_source_kind_of(c->s[intact].src) == VMFS_SOURCE_BACKUP;
	snprintf(out, len, "restore from backup: vmfs-restore --from-backup %s%s %s%s (dry run first, then --write)",
		 backup ? vmfs_source_path(c->s[intact].src) : "FILE", only, vmfs_source_path(c->s[damaged].src),
		 backup ? "" : "; FILE: a vmfs-backup of the intact side");
}

/* Fields that change on every metadata update of a mounted volume. */
static const char *const volatile_fields[] = {
	"lvm.generation", "lvm.mod_time", "lvm.locked_by", "lvm.locked_when", "volume.generation", "volume.mod_time",
	"fs.local_stamp", "fs.gbl_generation",
};

static void interpret_pair(diff_ctx *c, uint32_t index)
{
	const vmfs_diff_pair *p = &c->out->pairs[index];
	pair_state *ps = &c->pairs[index];
	fact_set *f = &ps->facts;
	uint32_t part = p->partition_a ? p->partition_a : p->partition_b;
	char who[96];
	device_words(p, index, who, sizeof(who));
	int fired = 0;
	bool device_gone = false;

	/* Two members of one spanned volume: what differs is what makes them
	 * different members, explained once. */
	if (other_member(p->a, p->b)) {
		char lv[VMFS_UUID_TEXT_LEN + 1], ua[VMFS_UUID_TEXT_LEN + 1], ub[VMFS_UUID_TEXT_LEN + 1];
		interpret(c, "spanned-other-member", VMFS_SEVERITY_INFO, index, part,
			  "compare each member with its own copy, or give all the members to vmfs-inspect to see the "
			  "assembled volume",
			  "%s: A and B hold different members of the spanned volume %s (%" PRIu32 " devices): device %s "
			  "(PEs %" PRIu64 "..%" PRIu64 ") on A, device %s (PEs %" PRIu64 "..%" PRIu64 ") on B; the same LV "
			  "UUID with different device UUIDs is not a resignature",
			  who, vmfs_uuid_format(&p->a->primary->entry.lv_uuid, lv), p->a->primary->entry.num_devs,
			  vmfs_uuid_format(&p->a->lvm.device_uuid, ua), p->a->primary->entry.first_pe,
			  p->a->primary->entry.last_pe, vmfs_uuid_format(&p->b->lvm.device_uuid, ub),
			  p->b->primary->entry.first_pe, p->b->primary->entry.last_pe);
		static const char *const prefixes[] = { "lvm.", "disk_id.", "volume.", "sd.", "extent", "fs.", "raw" };
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
			fact_claim_prefix(f, prefixes[i]);
		fired++;
	}

	/* The LVM header on one side only (section 3). */
	if (ps->header_checked && ps->header_present[0] != ps->header_present[1]) {
		int gone = ps->header_present[0] ? 1 : 0, have = 1 - gone;
		if (ps->header_pos[gone] != VMFS_NO_OFFSET && !ps->header_past_end[gone] && ps->others_present[gone]) {
			char action[400];
			restore_action(c, have, gone, "", action, sizeof(action));
			interpret(c, "lvm-header-destroyed", VMFS_SEVERITY_ERROR, index, part, action,
				  "%s: the LVM device header at " HEX " is destroyed on %s (magic 0x%08" PRIx32 " instead of 0x%08x), "
				  "while the volume metadata behind it is still there; ESXi cannot see the volume",
				  who, ps->header_pos[gone], side_name[gone], ps->header_magic[gone], VMFS_LVM_MAGIC);
		} else {
			device_gone = true;
			const char *why = ps->header_pos[gone] == VMFS_NO_OFFSET ? "another device starts at that place"
					  : ps->header_past_end[gone] ? "the source ends before its header"
					  : "no VMFS structure is left at that place";
			interpret(c, gone == 1 ? "device-removed" : "device-added",
				  gone == 1 ? VMFS_SEVERITY_WARNING : VMFS_SEVERITY_INFO, index, part, NULL,
				  "%s: a VMFS device (LVM header at " HEX ") exists on %s only: %s on %s", who,
				  ps->header_pos[have], side_name[have], why, side_name[gone]);
		}
		fact_claim(f, "lvm.header");
		fact_claim_prefix(f, "lvm.");
		fact_claim_prefix(f, "disk_id.");
		fact_claim_prefix(f, "volume.");
		fact_claim_prefix(f, "sd.");
		fact_claim_prefix(f, "extent");
		if (device_gone)
			fact_claim_prefix(f, "fs.");
		fired++;
	}
	/* The descriptor on one side only (section 5.1). */
	if (ps->fs_checked && ps->fs_present[0] != ps->fs_present[1] && !device_gone) {
		int gone = ps->fs_present[0] ? 1 : 0;
		char action[400], state[96];
		restore_action(c, 1 - gone, gone, " --only fs", action, sizeof(action));
		if (ps->fs_pos[gone] != VMFS_NO_OFFSET &&
		    !vmfs_source_contains(c->s[gone].src, ps->fs_pos[gone], VMFS_FS_DESC_READ_SIZE))
			snprintf(state, sizeof(state), "missing on %s: the source ends before it (a truncated copy?)",
				 side_name[gone]);
		else
			snprintf(state, sizeof(state), "destroyed on %s (magic 0x%08" PRIx32 ")", side_name[gone],
				 ps->fs_magic[gone]);
		interpret(c, "fs-descriptor-destroyed", VMFS_SEVERITY_ERROR, index, part, action,
			  "%s: the file-system descriptor at " HEX " is %s; ESXi cannot mount the file system", who,
			  ps->fs_pos[gone], state);
		fact_claim_prefix(f, "fs.");
		fired++;
	}
	/* diskID (3.2): the fields ESXi's snapshot detection compares (9.1). */
	static const char *const core[] = { "disk_id.type", "disk_id.len", "disk_id.lun", "disk_id.device_type",
					     "disk_id.scsi_level", "disk_id.id" };
	bool core_changed = false;
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		core_changed |= fact_has(f, core[i]);
	if (core_changed) {
		const vmfs_disk_id *ia = &ps->hdr[0].disk_id, *ib = &ps->hdr[1].disk_id;
		char vml[2][VMFS_VML_MAX_TEXT], action[400], what[400] = "";
		size_t n = 0;
		for (int x = 0; x < 2; x++)
			if (vmfs_vml_from_disk_id(&ps->hdr[x].disk_id, vml[x], sizeof(vml[x]), NULL) != VMFS_OK)
				snprintf(vml[x], sizeof(vml[x]), "(no vml: len %u)", ps->hdr[x].disk_id.len);
		if (ia->lun != ib->lun)
			n += (size_t)snprintf(what + n, sizeof(what) - n, "LUN %u -> %u", ia->lun, ib->lun);
		if (ia->type != ib->type && n < sizeof(what))
			n += (size_t)snprintf(what + n, sizeof(what) - n, "%sid type %u -> %u", n ? ", " : "", ia->type, ib->type);
		if (ia->device_type != ib->device_type && n < sizeof(what))
			n += (size_t)snprintf(what + n, sizeof(what) - n, "%sdevice type %u -> %u", n ? ", " : "",
					      ia->device_type, ib->device_type);
		if (ia->scsi_level != ib->scsi_level && n < sizeof(what))
			n += (size_t)snprintf(what + n, sizeof(what) - n, "%sSCSI level %u -> %u", n ? ", " : "",
					      ia->scsi_level, ib->scsi_level);
		if (n < sizeof(what))
			snprintf(what + n, sizeof(what) - n, "%s%s -> %s", n ? "; " : "", vml[0], vml[1]);
		snprintf(action, sizeof(action),
			 "re-point the header with vmfs-resignature --lun N --disk-id ID to the identity the LUN presents "
			 "now (A recorded --lun %u --disk-id %s), or resignature it", ia->lun, vml[0]);
		interpret(c, "disk-id-changed", VMFS_SEVERITY_WARNING, index, part, action,
			  "%s: the LUN identity in the LVM header differs (%s): ESXi will detect this volume as a snapshot "
			  "(unresolved volume) and will not mount it automatically", who, what);
		fact_claim_prefix(f, "disk_id.");
		fact_claim(f, "sd.name");
		fired++;
	} else if (fact_has(f, "disk_id.vendor") || fact_has(f, "disk_id.model") || fact_has(f, "disk_id.revision")) {
		interpret(c, "inquiry-changed", VMFS_SEVERITY_INFO, index, part, NULL,
			  "%s: the INQUIRY vendor, model or revision recorded in the LVM header differs; they are not among "
			  "the fields ESXi's snapshot detection is known to compare (format reference 9.1)", who);
		fact_claim_prefix(f, "disk_id.");
		fired++;
	}
	/* Identity UUIDs (7.2, 9.2). */
	bool dev_uuid = fact_has(f, "lvm.device_uuid"), lv_uuid = fact_has(f, "volume.lv_uuid"), fs_uuid = fact_has(f, "fs.uuid");
	if (dev_uuid || lv_uuid || fs_uuid) {
		bool snap = ps->label_ok[1] && starts_with(ps->label[1], "snap-") && !(ps->label_ok[0] && starts_with(ps->label[0], "snap-"));
		interpret(c, "resignatured", VMFS_SEVERITY_WARNING, index, part,
			  "re-register the virtual machines from the datastore's new UUID; if the change was not intended, "
			  "vmfs-restore --from-backup FILE puts the old identity back",
			  "%s: new identity on B (%s%s%s%s%s)%s: the volume was resignatured: ESXi sees a different datastore; "
			  "VMs must be re-registered", who, dev_uuid ? "device UUID" : "",
			  dev_uuid && (lv_uuid || fs_uuid) ? ", " : "", lv_uuid ? "LV UUID" : "", lv_uuid && fs_uuid ? ", " : "",
			  fs_uuid ? "file-system UUID" : "",
			  snap ? ", and the label carries the snap- prefix ESXi gives resignatured copies" : "");
		static const char *const identity[] = { "lvm.device_uuid", "lvm.init_time", "volume.lv_uuid", "volume.name",
							"volume.snap_id", "volume.state", "volume.creation_time", "fs.uuid",
							"fs.volinfo_uuid", "fs.volinfo_snap_id", "fs.snap_id",
							"fs.creation_time", "fs.host_uuid" };
		for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
			fact_claim(f, identity[i]);
		fired++;
	}
	if (fact_claim(f, "fs.label")) {
		interpret(c, "label-changed", VMFS_SEVERITY_INFO, index, part, NULL,
			  "%s: the file-system label changed: \"%s\" -> \"%s\"", who, ps->label[0], ps->label[1]);
		fired++;
	}
	/* Format versions (3.3): an upgraded volume, or another one. */
	bool lvm_version = fact_has(f, "lvm.major") || fact_has(f, "lvm.minor");
	bool fs_version = fact_has(f, "fs.major") || fact_has(f, "fs.minor");
	if (lvm_version || fs_version) {
		char text[200] = "";
		size_t n = 0;
		if (lvm_version && ps->hdr_ok[0] && ps->hdr_ok[1])
			n += (size_t)snprintf(text, sizeof(text), "LVM %" PRIu32 ".%" PRIu32 " -> %" PRIu32 ".%" PRIu32,
					      ps->hdr[0].major, ps->hdr[0].minor, ps->hdr[1].major, ps->hdr[1].minor);
		if (fs_version && ps->fs_ok[0] && ps->fs_ok[1] && n < sizeof(text))
			snprintf(text + n, sizeof(text) - n, "%s%s -> %s", n ? ", " : "", ps->fs_version[0], ps->fs_version[1]);
		interpret(c, "version-changed", VMFS_SEVERITY_INFO, index, part, NULL,
			  "%s: the format version differs (%s): an upgraded volume, or not the same volume", who, text);
		fact_claim(f, "lvm.major");
		fact_claim(f, "lvm.minor");
		fact_claim(f, "fs.major");
		fact_claim(f, "fs.minor");
		fired++;
	}
	/* Size: totalBytes, PEs, logical size, extents (3.1, 4.1, 4.3). */
	int grew = 0, shrank = 0;
	bool both_headers = !ps->header_checked || ps->header_present[0] == ps->header_present[1];
	char sizes[400] = "";
	size_t used = 0;
	if (ps->hdr_ok[0] && ps->hdr_ok[1] && ps->header_present[0] && ps->header_present[1]) {
		uint64_t a = ps->hdr[0].total_bytes, b = ps->hdr[1].total_bytes;
		grew += b > a;
		shrank += b < a;
		if (a != b)
			used += (size_t)snprintf(sizes + used, sizeof(sizes) - used, "total bytes %" PRIu64 " -> %" PRIu64, a, b);
		if (ps->hdr[0].num_pes != ps->hdr[1].num_pes && used < sizeof(sizes)) {
			grew += ps->hdr[1].num_pes > ps->hdr[0].num_pes;
			shrank += ps->hdr[1].num_pes < ps->hdr[0].num_pes;
			used += (size_t)snprintf(sizes + used, sizeof(sizes) - used, "%sPEs %" PRIu32 " -> %" PRIu32,
						 used ? ", " : "", ps->hdr[0].num_pes, ps->hdr[1].num_pes);
		}
	}
	if (both_headers && ps->vol_ok[0] && ps->vol_ok[1] && ps->vol[0].logical_size != ps->vol[1].logical_size &&
	    used < sizeof(sizes)) {
		grew += ps->vol[1].logical_size > ps->vol[0].logical_size;
		shrank += ps->vol[1].logical_size < ps->vol[0].logical_size;
		used += (size_t)snprintf(sizes + used, sizeof(sizes) - used, "%slogical size %" PRIu64 " -> %" PRIu64,
					 used ? ", " : "", ps->vol[0].logical_size, ps->vol[1].logical_size);
	}
	if ((ps->extents_added || ps->extents_removed) && used < sizeof(sizes) && both_headers) {
		grew += ps->extents_added > ps->extents_removed;
		shrank += ps->extents_removed > ps->extents_added;
		used += (size_t)snprintf(sizes + used, sizeof(sizes) - used, "%s%zu extents added, %zu removed",
					 used ? ", " : "", ps->extents_added, ps->extents_removed);
	}
	if (grew || shrank) {
		if (grew >= shrank)
			interpret(c, "volume-grown", VMFS_SEVERITY_INFO, index, part, NULL,
				  "%s: the volume is larger on B (%s)", who, sizes);
		else
			interpret(c, "volume-shrunk", VMFS_SEVERITY_WARNING, index, part,
				  "VMFS volumes are never shrunk by ESXi: check that B is a complete copy of the same LUN",
				  "%s: the volume is smaller on B (%s)", who, sizes);
		static const char *const size_fields[] = { "lvm.total_bytes", "lvm.num_pes", "lvm.last_pe_index",
							   "lvm.num_pes6", "lvm.num_pe_maps", "lvm.ext_metadata_offset",
							   "volume.logical_size", "volume.num_pes", "volume.last_pe",
							   "volume.consumed_pes" };
		for (size_t i = 0; i < sizeof(size_fields) / sizeof(size_fields[0]); i++)
			fact_claim(f, size_fields[i]);
		fact_claim_prefix(f, "lvm.ext_region");
		fact_claim_prefix(f, "extent");
		fired++;
	}
	/* Partition entry of the device (section 2). */
	bool in_table[2] = { p->partition_a != 0, p->partition_b != 0 };
	bool present[2] = { p->a != NULL || (ps->header_checked && ps->header_present[0]),
			    p->b != NULL || (ps->header_checked && ps->header_present[1]) };
	if (in_table[0] != in_table[1] && present[0] && present[1]) {
		int missing = in_table[0] ? 1 : 0, has = 1 - missing;
		uint32_t number = in_table[0] ? p->partition_a : p->partition_b;
		uint64_t at = missing == 0 ? p->offset_a : p->offset_b;
		char action[400];
		snprintf(action, sizeof(action), "restore it with vmfs-restore %s (dry run first, then --write)",
			 vmfs_source_path(c->s[missing].src));
		interpret(c, "partition-missing", VMFS_SEVERITY_ERROR, index, number, action,
			  "%s: the VMFS partition entry is missing on %s: partition %" PRIu32 " on %s describes the device, "
			  "but on %s no entry starts at " HEX " although the LVM header is there; ESXi does not see the volume",
			  who, side_name[missing], number, side_name[has], side_name[missing], at);
		fact_take(&c->table.facts, "table.partition", number, true);
		fired++;
	}
	if (p->a && p->b && p->offset_a != p->offset_b &&
	    !(part && part <= VMFS_PTABLE_MAX_PARTS && c->moved_partition[part])) {
		interpret(c, "partition-moved", VMFS_SEVERITY_WARNING, index, part, NULL,
			  "%s: the device starts at " HEX " on A and at " HEX " on B", who, p->offset_a, p->offset_b);
		fired++;
	}
	/* Only counters and times: what every metadata update changes. */
	char changed[300] = "";
	size_t changed_len = 0;
	for (size_t k = 0; k < sizeof(volatile_fields) / sizeof(volatile_fields[0]); k++) {
		bool unclaimed = false;
		for (size_t i = 0; i < f->count; i++)
			unclaimed |= !f->items[i].claimed && strcmp(f->items[i].name, volatile_fields[k]) == 0;
		if (unclaimed && changed_len < sizeof(changed))
			changed_len += (size_t)snprintf(changed + changed_len, sizeof(changed) - changed_len, "%s%s",
							changed_len ? ", " : "", volatile_fields[k]);
	}
	bool only_volatile = true;
	for (size_t i = 0; i < f->count; i++) {
		bool is_volatile = false;
		for (size_t k = 0; k < sizeof(volatile_fields) / sizeof(volatile_fields[0]); k++)
			is_volatile |= strcmp(f->items[i].name, volatile_fields[k]) == 0;
		only_volatile &= f->items[i].claimed || is_volatile;
	}
	if (changed[0] && fired == 0 && only_volatile) {
		uint64_t ga = ps->hdr[0].generation, gb = ps->hdr[1].generation;
		bool both = ps->hdr_ok[0] && ps->hdr_ok[1];
		if (both && gb < ga)
			interpret(c, "generation-regressed", VMFS_SEVERITY_WARNING, index, part, NULL,
				  "%s: only generation counters and modification times differ (%s), and B holds the older "
				  "LVM generation (%" PRIu64 " -> %" PRIu64 "): B is an earlier copy of the metadata",
				  who, changed, ga, gb);
		else
			interpret(c, "generation-advanced", VMFS_SEVERITY_INFO, index, part, NULL,
				  "%s: only generation counters and modification times differ (%s): metadata updated since "
				  "the backup; normal on a mounted volume", who, changed);
		fired++;
	}
	for (size_t k = 0; k < sizeof(volatile_fields) / sizeof(volatile_fields[0]); k++)
		fact_claim(f, volatile_fields[k]);
	char names[500];
	if (list_unclaimed(f, names, sizeof(names)))
		interpret(c, "fields-changed", VMFS_SEVERITY_WARNING, index, part, NULL,
			  "%s: fields without a known interpretation differ: %s", who, names);
	if (ps->raw_ranges)
		interpret(c, "unexplained-bytes", VMFS_SEVERITY_WARNING, index, part, NULL,
			  "%s: %" PRIu64 " byte%s in %" PRIu64 " range%s (%s) differ%s where no decoded field explains them",
			  who, ps->raw_bytes, ps->raw_bytes == 1 ? "" : "s", ps->raw_ranges, ps->raw_ranges == 1 ? "" : "s",
			  ps->raw_areas, ps->raw_bytes == 1 ? "s" : "");
}

/* The pair whose device sits in partition `number`, or VMFS_DIFF_NONE. */
static uint32_t pair_of_partition(const vmfs_diff *out, uint32_t number)
{
	for (size_t i = 0; i < out->num_pairs; i++)
		if (out->pairs[i].partition_a == number || out->pairs[i].partition_b == number)
			return (uint32_t)i;
	return VMFS_DIFF_NONE;
}

static void interpret_table_first(diff_ctx *c)
{
	fact_set *f = &c->table.facts;
	const vmfs_ptable *t[2] = { &c->s[0].in->disk->table, &c->s[1].in->disk->table };
	if (fact_claim(f, "table.type")) {
		if (strcmp(t[1]->label, "none") == 0)
			interpret(c, "table-type-changed", VMFS_SEVERITY_WARNING, VMFS_DIFF_NONE, 0,
				  "if the table was lost, vmfs-restore rebuilds the entries of the VMFS volumes it finds",
				  "the %s partition table of A is gone on B (no partition table found)", t[0]->label);
		else if (strcmp(t[0]->label, "none") == 0)
			interpret(c, "table-type-changed", VMFS_SEVERITY_WARNING, VMFS_DIFF_NONE, 0, NULL,
				  "A has no partition table, B has a %s table", t[1]->label);
		else
			interpret(c, "table-type-changed", VMFS_SEVERITY_WARNING, VMFS_DIFF_NONE, 0, NULL,
				  "the partition table type changed from %s to %s", t[0]->label, t[1]->label);
		fact_claim(f, "table.id");
		fact_claim(f, "table.first_lba");
		fact_claim(f, "table.last_lba");
		fact_claim(f, "table.sector_size");
	}
	for (uint32_t n = 1; n <= VMFS_PTABLE_MAX_PARTS; n++) {
		const vmfs_partition *pa = find_partition(t[0], n), *pb = find_partition(t[1], n);
		if (!pa || !pb)
			continue;
		if (fact_take(f, "table.partition.start", n, true))
			interpret(c, "partition-moved", VMFS_SEVERITY_WARNING, pair_of_partition(c->out, n), n,
				  "check with vmfs-inspect that the entry starts where the volume's LVM header is (1 MiB "
				  "before it); vmfs-restore proposes the right entry",
				  "partition %" PRIu32 " starts at sector %" PRIu64 " on A and at sector %" PRIu64 " on B", n,
				  pa->start, pb->start);
		if (fact_take(f, "table.partition.size", n, true))
			interpret(c, "partition-resized", VMFS_SEVERITY_INFO, pair_of_partition(c->out, n), n, NULL,
				  "partition %" PRIu32 " is %" PRIu64 " sectors on A and %" PRIu64 " sectors on B", n, pa->size,
				  pb->size);
	}
}

static void interpret_table_last(diff_ctx *c)
{
	fact_set *f = &c->table.facts;
	const vmfs_ptable *t[2] = { &c->s[0].in->disk->table, &c->s[1].in->disk->table };
	/* Entries on one side only that no device interpretation explained. */
	for (size_t i = 0; i < f->count; i++) {
		fact *e = &f->items[i];
		if (e->claimed || strcmp(e->name, "table.partition") != 0)
			continue;
		e->claimed = true;
		const vmfs_partition *pa = find_partition(t[0], e->partition), *pb = find_partition(t[1], e->partition);
		const vmfs_partition *p = pa ? pa : pb;
		if (!p)
			continue;
		interpret(c, pa ? "partition-removed" : "partition-added", pa ? VMFS_SEVERITY_WARNING : VMFS_SEVERITY_INFO,
			  pair_of_partition(c->out, e->partition), e->partition, NULL,
			  "partition %" PRIu32 " (sector %" PRIu64 ", %" PRIu64 " sectors, %s%s) exists on %s only", e->partition,
			  p->start, p->size, p->type_name, p->vmfs ? ", VMFS" : "", pa ? "A" : "B");
	}
	char names[500];
	if (list_unclaimed(f, names, sizeof(names)))
		interpret(c, "fields-changed", VMFS_SEVERITY_WARNING, VMFS_DIFF_NONE, 0, NULL,
			  "partition table: fields without a known interpretation differ: %s", names);
	if (c->table.raw_ranges)
		interpret(c, "unexplained-bytes", VMFS_SEVERITY_WARNING, VMFS_DIFF_NONE, 0, NULL,
			  "partition-table areas: %" PRIu64 " byte%s in %" PRIu64 " range%s (%s) differ%s where no decoded "
			  "field explains them", c->table.raw_bytes, c->table.raw_bytes == 1 ? "" : "s", c->table.raw_ranges,
			  c->table.raw_ranges == 1 ? "" : "s", c->table.raw_areas, c->table.raw_bytes == 1 ? "s" : "");
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */

static vmfs_status side_init(diff_ctx *c, side *s, const vmfs_diff_input *in)
{
	memset(s, 0, sizeof(*s));
	s->in = in;
	s->src = in->src;
	s->sector_size = in->disk->table.sector_size ? in->disk->table.sector_size : 512;
	if (in->held) {
		s->has_held = true;
		size_t n = in->num_held;
		if (n && !(s->held.items = malloc(n * sizeof(*s->held.items))))
			goto nomem;
		for (size_t i = 0; i < n; i++) {
			uint64_t end = in->held[i].offset + in->held[i].length;
			s->held.items[s->held.count++] = (interval){ in->held[i].offset, end < in->held[i].offset ? UINT64_MAX : end };
		}
		s->held.capacity = n;
		intervals_normalise(&s->held);
	}
	if (!(s->table_spans = malloc(sizeof(*s->table_spans))) || spans_of(s, NULL, s->table_spans) != VMFS_OK)
		goto nomem;
	return VMFS_OK;
nomem:
	fail_memory(c);
	return VMFS_ERR_NO_MEMORY;
}

static void side_free(side *s)
{
	free(s->coverage.items);
	free(s->held.items);
	free(s->table_spans);
	free(s->cache);
}

/* Table spans count as explained as a whole when the table (decoded by
 * libfdisk as one unit, with CRCs over header and entries) differs. */
static void cover_table_areas(diff_ctx *c)
{
	if (!c->table.facts.count)
		return;
	for (int x = 0; x < 2; x++)
		for (size_t i = 0; i < c->s[x].table_spans->count; i++)
			coverage_add(c, &c->s[x].coverage, c->s[x].table_spans->spans[i].offset,
				     c->s[x].table_spans->spans[i].length);
}

vmfs_status vmfs_diff_compare(const vmfs_diff_input *a, const vmfs_diff_input *b,
			      const vmfs_diff_options *options, vmfs_diff *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!a || !b || !a->src || !b->src || !a->disk || !b->disk)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, NULL, VMFS_NO_OFFSET, "diff needs two analysed sources");
	diff_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, NULL, VMFS_NO_OFFSET, "out of memory");
	c->out = out;
	c->err = err;
	c->max_listed = options && options->max_listed ? options->max_listed : VMFS_DIFF_DEFAULT_MAX_LISTED;
	vmfs_status st = side_init(c, &c->s[0], a);
	if (st == VMFS_OK)
		st = side_init(c, &c->s[1], b);
	if (st == VMFS_OK)
		st = build_pairs(c);
	if (st == VMFS_OK && out->num_pairs && !(c->pairs = calloc(out->num_pairs, sizeof(*c->pairs)))) {
		fail_memory(c);
		st = VMFS_ERR_NO_MEMORY;
	}
	if (st == VMFS_OK) {
		/* Fields first: their byte ranges must be known before raw bytes are judged. */
		compare_table(c);
		cover_table_areas(c);
		for (uint32_t i = 0; i < out->num_pairs && c->fail == VMFS_OK; i++)
			compare_pair(c, i);
		for (int x = 0; x < 2; x++)
			intervals_normalise(&c->s[x].coverage);
		if (c->fail == VMFS_OK)
			raw_table(c);
		for (uint32_t i = 0; i < out->num_pairs && c->fail == VMFS_OK; i++)
			raw_pair(c, i);
		if (c->fail == VMFS_OK) {
			interpret_table_first(c);
			for (uint32_t i = 0; i < out->num_pairs; i++)
				interpret_pair(c, i);
			interpret_table_last(c);
		}
		st = c->fail;
	}
	for (size_t i = 0; c->pairs && i < out->num_pairs; i++)
		free(c->pairs[i].facts.items);
	free(c->pairs);
	free(c->table.facts.items);
	side_free(&c->s[0]);
	side_free(&c->s[1]);
	free(c);
	if (st != VMFS_OK)
		vmfs_diff_free(out);
	return st;
}

void vmfs_diff_free(vmfs_diff *diff)
{
	if (!diff)
		return;
	for (size_t i = 0; i < diff->num_pairs; i++) {
		if (diff->pairs[i].owns_a)
			vmfs_device_free((vmfs_device *)(uintptr_t)diff->pairs[i].a);
		if (diff->pairs[i].owns_b)
			vmfs_device_free((vmfs_device *)(uintptr_t)diff->pairs[i].b);
	}
	free(diff->differences);
	free(diff->interpretations);
	memset(diff, 0, sizeof(*diff));
}

bool vmfs_diff_identical(const vmfs_diff *diff)
{
	return diff->count == 0 && diff->truncated == 0;
}

const char *vmfs_diff_scope_name(vmfs_diff_scope scope)
{
	switch (scope) {
	case VMFS_DIFF_SCOPE_TABLE: return "table";
	case VMFS_DIFF_SCOPE_LVM: return "lvm";
	case VMFS_DIFF_SCOPE_DISK_ID: return "disk_id";
	case VMFS_DIFF_SCOPE_VOLUME: return "volume";
	case VMFS_DIFF_SCOPE_SD: return "sd";
	case VMFS_DIFF_SCOPE_EXTENT: return "extent";
	case VMFS_DIFF_SCOPE_FS: return "fs";
	case VMFS_DIFF_SCOPE_RAW: return "raw";
	}
	return "unknown";
}

const char *vmfs_diff_change_name(vmfs_diff_change change)
{
	switch (change) {
	case VMFS_DIFF_CHANGED: return "changed";
	case VMFS_DIFF_ADDED: return "added";
	case VMFS_DIFF_REMOVED: return "removed";
	}
	return "unknown";
}

vmfs_status vmfs_diff_held_from_backup(const vmfs_backup *b, vmfs_diff_range **out, size_t *count, vmfs_error *err)
{
	*out = NULL;
	*count = 0;
	size_t n = b->count < VMFS_BACKUP_MAX_REGIONS ? b->count : VMFS_BACKUP_MAX_REGIONS;
	vmfs_diff_range *r = malloc((n ? n : 1) * sizeof(*r));
	if (!r)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, b->source_path, VMFS_NO_OFFSET, "out of memory");
	for (size_t i = 0; i < n; i++)
		r[i] = (vmfs_diff_range){ b->regions[i].offset, b->regions[i].length };
	*out = r;
	*count = n;
	return VMFS_OK;
}
