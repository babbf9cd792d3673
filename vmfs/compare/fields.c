/* Field comparison of the on-disk structures of one device pair: LVM
 * header (section 3), names derived from its diskID block (8.1, 8.3), volume
 * table (4.1), device-name table (4.2), PE entries (4.3), extended metadata
 * regions (4.5) and file-system descriptor (5.1). Each structure is read as
 * bytes from both sides, at the position each side's own layout gives or,
 * where a side has no decoded device, at the same place relative to the
 * device start as on the other side; its fields are compared through the
 * library's field maps (lvm.c, fsdesc.c), so every mapped field is compared
 * and its offset is exact. A field differs when its rendered value differs.
 * What is found on each side (headers, descriptors, sizes) is kept in the
 * pair's state for the interpretations. */
#include "vmfs/compare/diff_internal.h"

#include "vmfs/format/ident.h"
#include "vmfs/core/le.h"
#include "vmfs/core/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
		diff_hex_bytes(p, used < f->size ? used : f->size, out, len);
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
		diff_hex_bytes(p, f->size, out, len);
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
		diff_record(c, ps, &it, listed);
	}
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
	return diff_counterpart(other, v->off[1 - x], v->off[x]);
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
		int r = diff_side_read(c, &c->s[x], ps->header_pos[x], buf[x], sizeof(buf[x]));
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
	diff_item base = diff_item_init(VMFS_DIFF_SCOPE_LVM, "lvm.header", v->device, v->partition);
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
			diff_item it = diff_item_init(VMFS_DIFF_SCOPE_DISK_ID, k == 0 ? "disk_id.vml" : "disk_id.canonical",
						 v->device, v->partition);
			it.offset_a = ps->header_pos[0] + VMFS_LVM_OFF_DISK_ID;
			it.offset_b = ps->header_pos[1] + VMFS_LVM_OFF_DISK_ID;
			it.size = 0; /* derived: the bytes are those of the fields above */
			it.a = va;
			it.b = vb;
			diff_record(c, ps, &it, NULL);
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
		diff_record(c, ps, &it, NULL);
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
			present[x] = diff_side_read(c, &c->s[x], pos[x], buf[x], sizeof(buf[x])) == 0 &&
				     !vmfs_volume_entry_is_empty(buf[x]) && (ps->header_present[x] || volume_plausible(buf[x]));
			ps->others_present[x] |= present[x];
			if (present[x] && !ps->vol_ok[x]) {
				vmfs_volume_entry_decode(buf[x], &ps->vol[x]);
				ps->vol_ok[x] = true;
			}
		}
		diff_item base = diff_item_init(VMFS_DIFF_SCOPE_VOLUME, "volume.entry", v->device, v->partition);
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
			diff_record(c, ps, &it, NULL);
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
		diff_fail_memory(c);
		goto out;
	}
	for (int x = 0; x < 2; x++) {
		pos[x] = v->off[x] == VMFS_NO_OFFSET ? VMFS_NO_OFFSET : v->off[x] + v->layout[x].sd_table;
		diff_side_read(c, &c->s[x], pos[x], buf[x], len);
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
		diff_item it = diff_item_init(VMFS_DIFF_SCOPE_SD, "sd.name", v->device, v->partition);
		it.index = i;
		it.change = !present[0] ? VMFS_DIFF_ADDED : !present[1] ? VMFS_DIFF_REMOVED : VMFS_DIFF_CHANGED;
		it.offset_a = diff_add_or_none(pos[0], (uint64_t)i * VMFS_LVM_SD_ENTRY_SIZE);
		it.offset_b = diff_add_or_none(pos[1], (uint64_t)i * VMFS_LVM_SD_ENTRY_SIZE);
		it.size = VMFS_LVM_SD_ENTRY_SIZE;
		it.a = present[0] ? name[0].name : NULL;
		it.b = present[1] ? name[1].name : NULL;
		diff_record(c, ps, &it, NULL);
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
		present[x] = diff_side_read(c, &c->s[x], entry_pos[x], buf[x], sizeof(buf[x])) == 0 &&
			     diff_side_read(c, &c->s[x], bitmap_pos[x], &bits, 1) == 0 && (bits & (1u << (key->slot % 8))) &&
			     buf[x][VMFS_PE_OFF_USED] == 1;
		ps->others_present[x] |= present[x];
	}
	diff_item base = diff_item_init(VMFS_DIFF_SCOPE_EXTENT, "extent", v->device, v->partition);
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
	diff_record(c, ps, &it, &ps->listed_extents);
	/* The bitmap bit that marks the slot is part of the same change. */
	diff_coverage_add(c, &c->s[0].coverage, bitmap_pos[0], 1);
	diff_coverage_add(c, &c->s[1].coverage, bitmap_pos[1], 1);
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
			present[x] = diff_side_read(c, &c->s[x], pos[x], buf[x], sizeof(buf[x])) == 0 &&
				     vmfs_le32(buf[x]) == VMFS_LVM_MAGIC;
		}
		diff_item base = diff_item_init(VMFS_DIFF_SCOPE_LVM, "lvm.ext_region", v->device, v->partition);
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
			diff_record(c, ps, &it, NULL);
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
		int r = diff_side_read(c, &c->s[x], ps->fs_pos[x], buf[x], sizeof(buf[x]));
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
	diff_item base = diff_item_init(VMFS_DIFF_SCOPE_FS, "fs.descriptor", v->device, v->partition);
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
		diff_record(c, ps, &it, NULL);
	}
}

void diff_compare_pair(diff_ctx *c, uint32_t index)
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
