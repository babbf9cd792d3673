/* Pairing: which device of A is compared with which device of B. The two
 * sides are what the discovery layer returned (discover.h): the devices of
 * each disk, and the spanned volumes assembled from them. */
#include "vmfs/compare/diff_internal.h"

#include <stdlib.h>
#include <string.h>

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
	if (occupied(s->disk, other_dev->offset)) {
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
bool diff_other_member(const vmfs_device *a, const vmfs_device *b)
{
	return a && b && a->has_lvm && b->has_lvm && a->primary && b->primary &&
	       vmfs_uuid_equal(&a->primary->entry.lv_uuid, &b->primary->entry.lv_uuid) &&
	       a->primary->entry.snap_id == b->primary->entry.snap_id && a->primary->entry.num_devs > 1 &&
	       !vmfs_uuid_equal(&a->lvm.device_uuid, &b->lvm.device_uuid);
}

/* Which devices of each side are taken while the pairs are built. */
typedef struct pairing {
	diff_ctx *c;
	const vmfs_disk *disk[2];
	size_t n[2];              /* devices of each side considered */
	bool used[2][VMFS_DISK_MAX_DEVICES];
} pairing;

static void add_pair(pairing *pg, size_t i, size_t j, const char *paired_by)
{
	const vmfs_device *a = pg->disk[0]->devices[i], *b = pg->disk[1]->devices[j];
	vmfs_diff *out = pg->c->out;
	pg->used[0][i] = pg->used[1][j] = true;
	out->pairs[out->num_pairs++] = (vmfs_diff_pair){ a, b, a->offset, b->offset, 0, 0, paired_by, false, false };
}

/* 1: the same LVM device UUID (header 0x82, section 7.2), preferring the
 * same offset: one device, wherever it moved. */
static void pair_by_device_uuid(pairing *pg)
{
	for (size_t i = 0; i < pg->n[0]; i++) {
		const vmfs_device *a = pg->disk[0]->devices[i];
		if (!a->has_lvm || vmfs_uuid_is_zero(&a->lvm.device_uuid))
			continue;
		size_t best = SIZE_MAX;
		for (size_t j = 0; j < pg->n[1]; j++) {
			const vmfs_device *b = pg->disk[1]->devices[j];
			if (pg->used[1][j] || !b->has_lvm || !vmfs_uuid_equal(&a->lvm.device_uuid, &b->lvm.device_uuid))
				continue;
			if (best == SIZE_MAX || b->offset == a->offset)
				best = j;
		}
		if (best != SIZE_MAX)
			add_pair(pg, i, best, "device-uuid");
	}
}

/* Device i of A and device j of B are two different members of one spanned
 * volume: the discovery of each side assembled them into volumes of the same
 * identity (LV UUID and snapID of the volume-table entry, section 4.4) that
 * spans several devices, and their device UUIDs differ. */
static bool assembled_other_members(const pairing *pg, size_t i, size_t j)
{
	const side *sa = &pg->c->s[0], *sb = &pg->c->s[1];
	const vmfs_lv *la = vmfs_discovery_volume_of(sa->discovery, sa->source, i);
	const vmfs_lv *lb = vmfs_discovery_volume_of(sb->discovery, sb->source, j);
	return la && lb && vmfs_uuid_equal(&la->lv_uuid, &lb->lv_uuid) && la->snap_id == lb->snap_id &&
	       la->num_devs > 1 &&
	       !vmfs_uuid_equal(&pg->disk[0]->devices[i]->lvm.device_uuid, &pg->disk[1]->devices[j]->lvm.device_uuid);
}

/* 2 and 3: devices at the same start. Members of one assembled spanned
 * volume first ("other-member": the same LV UUID on both sides is then not a
 * resignature), then any other device at the same start ("offset"). Only at
 * the same start: a member elsewhere stays one side's, as the diff of two
 * disks holding the volume's members at different places always reported. */
static void pair_by_offset(pairing *pg, bool members_only)
{
	for (size_t i = 0; i < pg->n[0]; i++) {
		if (pg->used[0][i])
			continue;
		for (size_t j = 0; j < pg->n[1]; j++) {
			if (pg->used[1][j] || pg->disk[1]->devices[j]->offset != pg->disk[0]->devices[i]->offset)
				continue;
			bool members = assembled_other_members(pg, i, j);
			if (members_only && !members)
				continue;
			add_pair(pg, i, j, members ? "other-member" : "offset");
			break;
		}
	}
}

/* 4: a device of one side only is looked for at the same offset of the
 * other, where the discovery may have missed it (a destroyed table, an
 * unusual start) or where it is damaged. */
static vmfs_status pair_one_side(pairing *pg)
{
	vmfs_diff *out = pg->c->out;
	for (int self = 0; self < 2; self++) {
		for (size_t i = 0; i < pg->n[self]; i++) {
			if (pg->used[self][i])
				continue;
			const vmfs_device *dev = pg->disk[self]->devices[i], *found = NULL;
			uint64_t other_offset;
			vmfs_status st = find_counterpart(pg->c, 1 - self, dev, &found, &other_offset);
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
	return VMFS_OK;
}

vmfs_status diff_build_pairs(diff_ctx *c)
{
	pairing pg;
	memset(&pg, 0, sizeof(pg));
	pg.c = c;
	for (int x = 0; x < 2; x++) {
		pg.disk[x] = c->s[x].disk;
		pg.n[x] = pg.disk[x]->num_devices < VMFS_DISK_MAX_DEVICES ? pg.disk[x]->num_devices : VMFS_DISK_MAX_DEVICES;
	}
	pair_by_device_uuid(&pg);
	pair_by_offset(&pg, true);
	pair_by_offset(&pg, false);
	vmfs_status st = pair_one_side(&pg);
	if (st != VMFS_OK)
		return st;
	vmfs_diff *out = c->out;
	qsort(out->pairs, out->num_pairs, sizeof(out->pairs[0]), pair_cmp);
	for (size_t i = 0; i < out->num_pairs; i++) {
		out->pairs[i].partition_a = partition_at(&pg.disk[0]->table, out->pairs[i].offset_a);
		out->pairs[i].partition_b = partition_at(&pg.disk[1]->table, out->pairs[i].offset_b);
	}
	return VMFS_OK;
}
