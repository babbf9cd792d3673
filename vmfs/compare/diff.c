/* The comparison of two sources (see diff.h): its entry points, the context
 * the modules share (diff_internal.h), reading through a small cache, the
 * sets of explained bytes and changed field names, and the recording of
 * differences within the limits. The jobs themselves are in pair.c (which
 * device of A goes with which of B), table.c and fields.c (field by field),
 * raw.c (bytes no field explains) and interpret.c (what it means for ESXi). */
#include "vmfs/compare/diff_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Coverage intervals kept per side before they are coarsened (see
 * diff_coverage_add); facts (distinct changed field names) kept per pair. */
#define COVERAGE_MAX 65536u
#define FACTS_MAX    4096u
/* Small structure reads go through a window of 1 MiB plus the largest
 * structure read (the SD table, 8 KiB, within 64 KiB), so that the reads of
 * one device's metadata mostly hit the same window. */
#define CACHE_WINDOW (MIB + 64 * 1024)
#define CACHE_MAX_READ (64 * 1024)

const char *const diff_side_name[2] = { "A", "B" };

/* ------------------------------------------------------------------ */
/* Memory and small sets                                                */

void diff_fail_memory(diff_ctx *c)
{
	if (c->fail == VMFS_OK)
		c->fail = vmfs_error_set(c->err, VMFS_ERR_NO_MEMORY, NULL, VMFS_NO_OFFSET, "out of memory");
}

bool diff_grow(void **items, size_t *capacity, size_t needed, size_t size, size_t limit)
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
void diff_intervals_normalise(interval_set *set)
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
void diff_coverage_add(diff_ctx *c, interval_set *set, uint64_t offset, uint64_t len)
{
	if (len == 0 || offset == VMFS_NO_OFFSET)
		return;
	uint64_t end = offset + len < offset ? UINT64_MAX : offset + len;
	if (set->count == COVERAGE_MAX) {
		diff_intervals_normalise(set);
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
	if (!diff_grow((void **)&set->items, &set->capacity, set->count + 1, sizeof(*set->items), COVERAGE_MAX)) {
		diff_fail_memory(c);
		return;
	}
	set->items[set->count++] = (interval){ offset, end };
}

/* True when pos lies in the (normalised) set; *cursor advances monotonically
 * for increasing positions. */
bool diff_covered(const interval_set *set, uint64_t pos, size_t *cursor)
{
	while (*cursor < set->count && set->items[*cursor].end <= pos)
		(*cursor)++;
	return *cursor < set->count && set->items[*cursor].start <= pos;
}

void diff_fact_add(diff_ctx *c, fact_set *set, const char *name, uint32_t partition)
{
	for (size_t i = 0; i < set->count; i++)
		if (set->items[i].partition == partition && strcmp(set->items[i].name, name) == 0)
			return;
	if (set->count >= FACTS_MAX)
		return; /* bounded: a name beyond this is only missing from "fields-changed" */
	if (!diff_grow((void **)&set->items, &set->capacity, set->count + 1, sizeof(*set->items), FACTS_MAX)) {
		diff_fail_memory(c);
		return;
	}
	set->items[set->count++] = (fact){ name, partition, false };
}

/* Whether an unclaimed fact with this name (any partition when partition is
 * VMFS_DIFF_NONE) exists; claims it when claim is set. A claimed fact is
 * explained already and triggers nothing else. */
bool diff_fact_take(fact_set *set, const char *name, uint32_t partition, bool claim)
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

bool diff_fact_has(fact_set *set, const char *name)
{
	return diff_fact_take(set, name, VMFS_DIFF_NONE, false);
}

bool diff_fact_claim(fact_set *set, const char *name)
{
	return diff_fact_take(set, name, VMFS_DIFF_NONE, true);
}

void diff_fact_claim_prefix(fact_set *set, const char *prefix)
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
int diff_side_read(diff_ctx *c, side *s, uint64_t offset, void *buf, size_t len)
{
	if (offset == VMFS_NO_OFFSET || !vmfs_source_contains(s->src, offset, len)) {
		memset(buf, 0, len);
		return 1;
	}
	if (len <= CACHE_MAX_READ) {
		if (!(s->cache_len && offset >= s->cache_base && offset - s->cache_base + len <= s->cache_len)) {
			if (!s->cache && !(s->cache = malloc(CACHE_WINDOW))) {
				diff_fail_memory(c);
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
uint64_t diff_counterpart(uint64_t pos, uint64_t other_dev, uint64_t self_dev)
{
	if (pos == VMFS_NO_OFFSET || self_dev == VMFS_NO_OFFSET || other_dev == VMFS_NO_OFFSET || pos < other_dev)
		return VMFS_NO_OFFSET;
	uint64_t rel = pos - other_dev;
	return rel > UINT64_MAX - self_dev ? VMFS_NO_OFFSET : self_dev + rel;
}

/* ------------------------------------------------------------------ */
/* Recording differences                                                */

void diff_hex_bytes(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t pos = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && pos + 3 <= len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%02x", p[i]);
}

diff_item diff_item_init(vmfs_diff_scope scope, const char *field, uint32_t device, uint32_t partition)
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
void diff_record(diff_ctx *c, pair_state *ps, const diff_item *it, size_t *listed)
{
	vmfs_diff *out = c->out;
	if (it->scope != VMFS_DIFF_SCOPE_RAW) {
		diff_coverage_add(c, &c->s[0].coverage, it->offset_a, it->size);
		diff_coverage_add(c, &c->s[1].coverage, it->offset_b, it->size);
		diff_fact_add(c, &ps->facts, it->fact ? it->fact : it->field, it->partition);
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
	if (!diff_grow((void **)&out->differences, &out->capacity, out->count + 1, sizeof(*out->differences),
		  VMFS_DIFF_MAX_DIFFERENCES)) {
		diff_fail_memory(c);
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

uint64_t diff_add_or_none(uint64_t base, uint64_t delta)
{
	return base == VMFS_NO_OFFSET ? VMFS_NO_OFFSET : base + delta;
}

const vmfs_partition *diff_find_partition(const vmfs_ptable *t, size_t number)
{
	for (size_t i = 0; i < t->count; i++)
		if (t->parts[i].number == number)
			return &t->parts[i];
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Entry points                                                         */

/* A side is one source of what vmfs_discover returned. */
static bool input_valid(const vmfs_diff_input *in)
{
	return in && in->discovery && in->discovery->disks && in->source < in->discovery->count &&
	       in->discovery->sources[in->source];
}

static vmfs_status side_init(diff_ctx *c, side *s, const vmfs_diff_input *in)
{
	memset(s, 0, sizeof(*s));
	s->discovery = in->discovery;
	s->source = in->source;
	s->disk = &in->discovery->disks[in->source];
	s->src = in->discovery->sources[in->source];
	s->sector_size = s->disk->table.sector_size ? s->disk->table.sector_size : 512;
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
		diff_intervals_normalise(&s->held);
	}
	if (!(s->table_spans = malloc(sizeof(*s->table_spans))) || diff_backup_spans(s, NULL, s->table_spans) != VMFS_OK)
		goto nomem;
	return VMFS_OK;
nomem:
	diff_fail_memory(c);
	return VMFS_ERR_NO_MEMORY;
}

static void side_free(side *s)
{
	free(s->coverage.items);
	free(s->held.items);
	free(s->table_spans);
	free(s->cache);
}

vmfs_status vmfs_diff_compare(const vmfs_diff_input *a, const vmfs_diff_input *b,
			      const vmfs_diff_options *options, vmfs_diff *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (!input_valid(a) || !input_valid(b))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, NULL, VMFS_NO_OFFSET, "diff needs two discovered sources");
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
		st = diff_build_pairs(c);
	if (st == VMFS_OK && out->num_pairs && !(c->pairs = calloc(out->num_pairs, sizeof(*c->pairs)))) {
		diff_fail_memory(c);
		st = VMFS_ERR_NO_MEMORY;
	}
	if (st == VMFS_OK) {
		/* Fields first: their byte ranges must be known before raw bytes are judged. */
		diff_compare_table(c);
		diff_cover_table_areas(c);
		for (uint32_t i = 0; i < out->num_pairs && c->fail == VMFS_OK; i++)
			diff_compare_pair(c, i);
		for (int x = 0; x < 2; x++)
			diff_intervals_normalise(&c->s[x].coverage);
		if (c->fail == VMFS_OK)
			diff_raw_table(c);
		for (uint32_t i = 0; i < out->num_pairs && c->fail == VMFS_OK; i++)
			diff_raw_pair(c, i);
		if (c->fail == VMFS_OK)
			diff_interpret(c);
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
