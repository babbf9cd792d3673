/* Raw byte comparison: the metadata ranges a backup of each side would hold
 * (backup_select.h: MBR and GPT areas, LVM metadata, extended metadata,
 * the VH/SF system files) are compared byte by byte where both sides hold
 * real data (a backup reads as zeros outside its regions); differing bytes
 * that no reported field difference covers become raw differences, merged
 * when closer than VMFS_DIFF_RAW_MERGE_GAP. Whole disks are never read. */
#include "vmfs/compare/diff_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RAW_CHUNK    MIB

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
		diff_side_read(c, &c->s[x], (x == 0 ? job->oa : job->ob) + r->start, bytes[x], shown);
		diff_hex_bytes(bytes[x], shown, val[x], sizeof(val[x]));
		if (shown < len)
			snprintf(val[x] + strlen(val[x]), sizeof(val[x]) - strlen(val[x]), "... (%" PRIu64 " bytes)", len);
	}
	char field[VMFS_DIFF_FIELD_LEN];
	snprintf(field, sizeof(field), "raw.%s", job->area);
	diff_item it = diff_item_init(VMFS_DIFF_SCOPE_RAW, field, job->device, job->partition);
	it.kind = VMFS_FIELD_BYTES;
	it.offset_a = job->oa + r->start;
	it.offset_b = job->ob + r->start;
	it.size = len;
	it.a = val[0];
	it.b = val[1];
	it.area = job->area;
	it.differing_bytes = r->count;
	diff_record(c, ps, &it, &ps->listed_raw);
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
		diff_fail_memory(c);
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
			if (diff_side_read(c, A, job->oa + at, buf[0], n) != 0 || diff_side_read(c, B, job->ob + at, buf[1], n) != 0)
				break;
			c->out->raw_bytes_compared += n;
			if (memcmp(buf[0], buf[1], n) == 0)
				continue;
			for (size_t k = 0; k < n; k++) {
				if (buf[0][k] == buf[1][k])
					continue;
				uint64_t rel = at + k;
				if (diff_covered(&A->coverage, job->oa + rel, &cursor_a) || diff_covered(&B->coverage, job->ob + rel, &cursor_b))
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
vmfs_status diff_backup_spans(side *s, const vmfs_device *dev, vmfs_backup_selection *sel)
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
			uint64_t theirs = device ? diff_counterpart(mine, off[have], off[1 - have]) : mine;
			job.oa = have == 0 ? mine : theirs;
			job.ob = have == 1 ? mine : theirs;
			job.len = sp[have]->length;
		}
		raw_compare(c, &job);
	}
}

void diff_raw_table(diff_ctx *c)
{
	const vmfs_backup_selection *sel[2] = { c->s[0].table_spans, c->s[1].table_spans };
	const uint64_t off[2] = { 0, 0 };
	static const char *const kinds[] = { "mbr", "gpt-primary", "gpt-backup" };
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++)
		raw_kind(c, sel, kinds[k], false, off, &c->table, VMFS_DIFF_NONE, 0);
}

void diff_raw_pair(diff_ctx *c, uint32_t index)
{
	const vmfs_diff_pair *p = &c->out->pairs[index];
	vmfs_backup_selection *sel[2] = { NULL, NULL };
	const vmfs_device *dev[2] = { p->a, p->b };
	const uint64_t off[2] = { p->offset_a, p->offset_b };
	for (int x = 0; x < 2; x++) {
		if (!dev[x])
			continue;
		sel[x] = malloc(sizeof(*sel[x]));
		if (!sel[x] || diff_backup_spans(&c->s[x], dev[x], sel[x]) != VMFS_OK) {
			diff_fail_memory(c);
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
