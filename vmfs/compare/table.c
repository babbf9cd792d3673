/* Field comparison of the two partition tables (format reference 2.1 MBR,
 * 2.2 GPT): the table type, disk identifier, usable LBAs, and every entry
 * matched by number (start, size, type, GUID, name) with the absolute offset
 * of each field on both sides; an entry on one side only is one difference.
 * Libfdisk decodes each table; the offsets are those of the on-disk entry. */
#include "vmfs/compare/diff_internal.h"

#include "vmfs/core/le.h"

#include <stdio.h>
#include <string.h>

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
	if (diff_side_read(c, s, ss, hdr, sizeof(hdr)) != 0 || memcmp(hdr, "EFI PART", 8) != 0) {
		if (size < ss || diff_side_read(c, s, size - ss, hdr, sizeof(hdr)) != 0 || memcmp(hdr, "EFI PART", 8) != 0)
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
static void describe_partition(const vmfs_partition *p, char *out, size_t len)
{
	snprintf(out, len, "start %" PRIu64 ", %" PRIu64 " sectors, type %s (%s)", p->start, p->size, p->type,
		 p->type_name);
}


static void compare_partition_entries(diff_ctx *c, const vmfs_partition *pa, const vmfs_partition *pb)
{
	const vmfs_ptable *ta = &c->s[0].disk->table, *tb = &c->s[1].disk->table;
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
		diff_item it = diff_item_init(VMFS_DIFF_SCOPE_TABLE, fields[i].field, VMFS_DIFF_NONE, part);
		it.kind = fields[i].kind;
		it.index = part;
		uint64_t size_a = gpt_a ? fields[i].size_gpt : fields[i].size_dos;
		uint64_t size_b = gpt_b ? fields[i].size_gpt : fields[i].size_dos;
		it.offset_a = size_a && esz_a ? diff_add_or_none(ea, gpt_a ? fields[i].off_gpt : fields[i].off_dos) : VMFS_NO_OFFSET;
		it.offset_b = size_b && esz_b ? diff_add_or_none(eb, gpt_b ? fields[i].off_gpt : fields[i].off_dos) : VMFS_NO_OFFSET;
		it.size = size_a > size_b ? size_a : size_b;
		it.a = va;
		it.b = vb;
		diff_record(c, &c->table, &it, NULL);
		if (i == 0 && number <= VMFS_PTABLE_MAX_PARTS)
			c->moved_partition[number] = true;
	}
}

void diff_compare_table(diff_ctx *c)
{
	const vmfs_ptable *t[2] = { &c->s[0].disk->table, &c->s[1].disk->table };
	char va[VMFS_DIFF_VALUE_LEN], vb[VMFS_DIFF_VALUE_LEN];
	if (strcmp(t[0]->label, t[1]->label) != 0) {
		diff_item it = diff_item_init(VMFS_DIFF_SCOPE_TABLE, "table.type", VMFS_DIFF_NONE, 0);
		it.offset_a = label_offset(t[0]);
		it.offset_b = label_offset(t[1]);
		it.a = t[0]->label;
		it.b = t[1]->label;
		diff_record(c, &c->table, &it, NULL);
	} else if (strcmp(t[0]->label, "none") != 0) {
		bool gpt = strcmp(t[0]->label, "gpt") == 0;
		if (t[0]->sector_size != t[1]->sector_size) {
			diff_item it = diff_item_init(VMFS_DIFF_SCOPE_TABLE, "table.sector_size", VMFS_DIFF_NONE, 0);
			it.kind = VMFS_FIELD_UINT;
			snprintf(va, sizeof(va), "%u", t[0]->sector_size);
			snprintf(vb, sizeof(vb), "%u", t[1]->sector_size);
			it.a = va;
			it.b = vb;
			diff_record(c, &c->table, &it, NULL);
		}
		if (strcmp(t[0]->id, t[1]->id) != 0) {
			/* Disk identifier: MBR 0x1B8 (2.1); GPT header DiskGUID at 0x38 (2.2). */
			diff_item it = diff_item_init(VMFS_DIFF_SCOPE_TABLE, "table.id", VMFS_DIFF_NONE, 0);
			it.offset_a = gpt ? t[0]->sector_size + 0x38u : 0x1B8;
			it.offset_b = gpt ? t[1]->sector_size + 0x38u : 0x1B8;
			it.size = gpt ? 16 : 4;
			it.a = t[0]->id;
			it.b = t[1]->id;
			diff_record(c, &c->table, &it, NULL);
		}
		const char *lba_field[2] = { "table.first_lba", "table.last_lba" };
		uint64_t lba_a[2] = { t[0]->first_lba, t[0]->last_lba }, lba_b[2] = { t[1]->first_lba, t[1]->last_lba };
		for (int i = 0; gpt && i < 2; i++) {
			if (lba_a[i] == lba_b[i])
				continue;
			/* GPT header FirstUsableLBA 0x28, LastUsableLBA 0x30 (2.2). */
			diff_item it = diff_item_init(VMFS_DIFF_SCOPE_TABLE, lba_field[i], VMFS_DIFF_NONE, 0);
			it.kind = VMFS_FIELD_UINT;
			it.offset_a = t[0]->sector_size + 0x28u + 8u * (unsigned)i;
			it.offset_b = t[1]->sector_size + 0x28u + 8u * (unsigned)i;
			it.size = 8;
			snprintf(va, sizeof(va), "%" PRIu64, lba_a[i]);
			snprintf(vb, sizeof(vb), "%" PRIu64, lba_b[i]);
			it.a = va;
			it.b = vb;
			diff_record(c, &c->table, &it, NULL);
		}
	}
	for (int side_index = 0; side_index < 2; side_index++) {
		const vmfs_ptable *self = t[side_index], *other = t[1 - side_index];
		for (size_t i = 0; i < self->count; i++) {
			const vmfs_partition *p = &self->parts[i];
			const vmfs_partition *q = diff_find_partition(other, p->number);
			if (q) {
				if (side_index == 0)
					compare_partition_entries(c, p, q);
				continue;
			}
			uint64_t esz;
			uint64_t at = table_entry_offset(c, &c->s[side_index], self, p->number, &esz);
			diff_item it = diff_item_init(VMFS_DIFF_SCOPE_TABLE, "table.partition", VMFS_DIFF_NONE, (uint32_t)p->number);
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
			diff_record(c, &c->table, &it, NULL);
		}
	}
}

/* Table spans count as explained as a whole when the table (decoded by
 * libfdisk as one unit, with CRCs over header and entries) differs. */
void diff_cover_table_areas(diff_ctx *c)
{
	if (!c->table.facts.count)
		return;
	for (int x = 0; x < 2; x++)
		for (size_t i = 0; i < c->s[x].table_spans->count; i++)
			diff_coverage_add(c, &c->s[x].coverage, c->s[x].table_spans->spans[i].offset,
				     c->s[x].table_spans->spans[i].length);
}

