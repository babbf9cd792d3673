/* Resignature and re-point plans: see resign.h. Offsets are those of the
 * format reference (3.1 header, 3.2 diskID, 4.1 volume entry, 4.2 SD table,
 * 5.2 descriptor) through the constants of lvm.h and fsdesc.h. */
#include "vmfs/repair/resign.h"

#include "vmfs/format/ident.h"
#include "vmfs/core/le.h"
#include "vmfs/core/text.h"

#include <nettle/sha2.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *source_name(const vmfs_resign_member *m)
{
	return vmfs_source_path(m->src);
}

static bool same_lv(const vmfs_device *dev, const vmfs_uuid *lv, uint32_t snap)
{
	return dev->has_lvm && dev->primary && vmfs_uuid_equal(&dev->primary->entry.lv_uuid, lv) &&
	       dev->primary->entry.snap_id == snap;
}

/* Which LV the selector names: an LV UUID, a file-system UUID or a label. */
static bool selector_matches(const vmfs_device *dev, const char *selector, vmfs_uuid *lv, uint32_t *snap)
{
	vmfs_uuid wanted;
	bool is_uuid = vmfs_uuid_parse(&wanted, selector);
	if (dev->has_lvm && dev->primary && is_uuid && vmfs_uuid_equal(&dev->primary->entry.lv_uuid, &wanted)) {
		*lv = dev->primary->entry.lv_uuid;
		*snap = dev->primary->entry.snap_id;
		return true;
	}
	if (!dev->has_fs)
		return false;
	if ((is_uuid && vmfs_uuid_equal(&dev->fs.uuid, &wanted)) || strcmp(dev->fs.label, selector) == 0) {
		/* The descriptor's volInfo names its LV (5.2). */
		*lv = dev->fs.lv_uuid;
		*snap = dev->fs.lv_snap_id;
		return true;
	}
	return false;
}

vmfs_status vmfs_resign_select(vmfs_source *const *sources, const vmfs_disk *const *disks, size_t source_count,
			       const char *selector, bool repoint, uint64_t partition_offset, vmfs_resign_plan *plan,
			       vmfs_error *err)
{
	memset(plan, 0, sizeof(*plan));
	const char *first_path = source_count ? vmfs_source_path(sources[0]) : "";
	vmfs_uuid lv = { { 0 } };
	uint32_t snap = 0;
	bool have_lv = false;
	size_t volumes = 0;
	/* Resolve the LV first. */
	for (size_t s = 0; s < source_count; s++) {
		for (size_t d = 0; d < disks[s]->num_devices; d++) {
			const vmfs_device *dev = disks[s]->devices[d];
			vmfs_uuid this_lv;
			uint32_t this_snap;
			if (selector) {
				if (!have_lv && selector_matches(dev, selector, &this_lv, &this_snap)) {
					lv = this_lv;
					snap = this_snap;
					have_lv = true;
				}
				continue;
			}
			if (!dev->has_lvm || !dev->primary)
				continue;
			if (!have_lv) {
				lv = dev->primary->entry.lv_uuid;
				snap = dev->primary->entry.snap_id;
				have_lv = true;
				volumes = 1;
			} else if (!same_lv(dev, &lv, snap)) {
				volumes++;
			}
		}
	}
	/* No usable volume: say why, with the first error the analysis found
	 * (a header that is there but damaged is not "no volume"). */
	for (size_t s = 0; !have_lv && !selector && s < source_count; s++) {
		for (size_t d = 0; d <= disks[s]->num_devices; d++) {
			const vmfs_findings *f = d < disks[s]->num_devices ? &disks[s]->devices[d]->findings : &disks[s]->findings;
			for (size_t i = 0; i < f->count; i++)
				if (f->items[i].severity == VMFS_SEVERITY_ERROR && f->items[i].offset != VMFS_NO_OFFSET)
					return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, vmfs_source_path(sources[s]), f->items[i].offset,
							      "no usable VMFS volume: %s", f->items[i].message);
		}
	}
	if (!have_lv)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, first_path, VMFS_NO_OFFSET,
				      selector ? "no VMFS volume with LV UUID, file-system UUID or label '%s'"
					       : "no VMFS volume (LVM device header) found%s",
				      selector ? selector : "");
	if (volumes > 1)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, first_path, VMFS_NO_OFFSET,
				      "%zu VMFS volumes found: choose one with --volume (LV UUID, file-system UUID or label)",
				      volumes);
	char lv_text[VMFS_UUID_TEXT_LEN + 1];
	vmfs_uuid_format(&lv, lv_text);
	for (size_t s = 0; s < source_count; s++) {
		for (size_t d = 0; d < disks[s]->num_devices; d++) {
			const vmfs_device *dev = disks[s]->devices[d];
			if (!same_lv(dev, &lv, snap))
				continue;
			if (repoint && (s != 0 || (partition_offset != UINT64_MAX && dev->offset != partition_offset)))
				continue;
			/* A device seen twice (a partition entry and a probe of the same
			 * start) is one member. */
			bool seen = false;
			for (size_t k = 0; k < plan->member_count; k++)
				seen |= plan->members[k].source_index == s && plan->members[k].dev->offset == dev->offset;
			if (seen)
				continue;
			if (plan->member_count == VMFS_RESIGN_MAX_MEMBERS)
				return vmfs_error_set(err, VMFS_ERR_FORMAT, vmfs_source_path(sources[s]), dev->header_offset,
						      "more than %u devices carry LV %s", VMFS_RESIGN_MAX_MEMBERS, lv_text);
			plan->members[plan->member_count++] =
				(vmfs_resign_member){ .src = sources[s], .dev = dev, .disk = disks[s], .source_index = s };
		}
	}
	if (plan->member_count == 0)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, first_path,
				      partition_offset == UINT64_MAX ? VMFS_NO_OFFSET : partition_offset,
				      "no LVM device of volume %s%s", lv_text,
				      partition_offset == UINT64_MAX ? " holds an LVM header" : " starts there");
	if (repoint) {
		if (plan->member_count > 1)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, first_path, VMFS_NO_OFFSET,
					      "%zu devices of volume %s in this source: choose one with --offset",
					      plan->member_count, lv_text);
		return VMFS_OK;
	}
	/* Section 9.1: a resignature needs every extent; 9.3 rule 1: they agree. */
	const vmfs_resign_member *m0 = &plan->members[0];
	const vmfs_volume_entry *e0 = &m0->dev->primary->entry;
	for (size_t i = 0; i < plan->member_count; i++) {
		const vmfs_resign_member *m = &plan->members[i];
		const vmfs_volume_entry *e = &m->dev->primary->entry;
		if (m->dev->lvm.num_volumes > 1)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m), m->dev->header_offset,
					      "the device holds %" PRIu32 " logical volumes: not supported", m->dev->lvm.num_volumes);
		if (e->logical_size != e0->logical_size || e->num_devs != e0->num_devs)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m), m->dev->primary->entry_offset,
					      "this member says the LV is %" PRIu64 " bytes on %" PRIu32 " devices, %s at 0x%" PRIx64
					      " says %" PRIu64 " on %" PRIu32 ": the members disagree",
					      e->logical_size, e->num_devs, source_name(m0), m0->dev->primary->entry_offset,
					      e0->logical_size, e0->num_devs);
		for (size_t k = 0; k < i; k++) {
			const vmfs_resign_member *o = &plan->members[k];
			if (vmfs_uuid_equal(&o->dev->lvm.device_uuid, &m->dev->lvm.device_uuid)) {
				char dev_text[VMFS_UUID_TEXT_LEN + 1];
				return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m), m->dev->header_offset,
						      "device UUID %s also at %s offset 0x%" PRIx64
						      ": a LUN and a copy of it? give the members of one volume only",
						      vmfs_uuid_format(&m->dev->lvm.device_uuid, dev_text), source_name(o),
						      o->dev->header_offset);
			}
		}
	}
	if (plan->member_count != e0->num_devs)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m0), m0->dev->primary->entry_offset + VMFS_VOL_OFF_NUM_DEVS,
				      "volume %s spans %" PRIu32 " devices and %zu %s given: %s", lv_text, e0->num_devs,
				      plan->member_count, plan->member_count == 1 ? "was" : "were",
				      plan->member_count < e0->num_devs
					      ? "every member must be present (give all their paths)"
					      : "more members than the volume counts");
	return VMFS_OK;
}

/* ---- values derived from the plan seed ---- */

/* A byte stream from SHA-256(seed, block counter): the same plan id gives the
 * same bytes, so a write reproduces its dry run exactly. */
typedef struct seed_stream {
	uint64_t seed;
	uint32_t block;
	uint8_t buf[SHA256_DIGEST_SIZE];
	size_t used;
} seed_stream;

static void stream_bytes(seed_stream *s, uint8_t *out, size_t len)
{
	while (len--) {
		if (s->used == 0 || s->used == sizeof(s->buf)) {
			uint8_t input[12];
			vmfs_put_le64(input, s->seed);
			vmfs_put_le32(input + 8, s->block++);
			struct sha256_ctx ctx;
			sha256_init(&ctx);
			sha256_update(&ctx, sizeof(input), input);
			sha256_digest(&ctx, sizeof(s->buf), s->buf);
			s->used = 0;
		}
		*out++ = s->buf[s->used++];
	}
}

static void new_uuid(seed_stream *s, uint32_t time, const uint8_t mac[6], vmfs_uuid *out)
{
	vmfs_put_le32(out->bytes, time);
	stream_bytes(s, out->bytes + 4, 6);
	memcpy(out->bytes + 10, mac, 6);
}

void vmfs_resign_plan_id_format(uint32_t time, uint64_t seed, char *out)
{
	snprintf(out, 26, "%08" PRIx32 "-%016" PRIx64, time, seed);
}

bool vmfs_resign_plan_id_parse(const char *text, uint32_t *time, uint64_t *seed)
{
	if (strlen(text) != 25 || text[8] != '-')
		return false;
	uint64_t t = 0, s = 0;
	for (int i = 0; i < 25; i++) {
		if (i == 8)
			continue;
		int d = vmfs_hex_value(text[i]);
		if (d < 0)
			return false;
		if (i < 8)
			t = t << 4 | (uint64_t)d;
		else
			s = s << 4 | (uint64_t)d;
	}
	*time = (uint32_t)t;
	*seed = s;
	return true;
}

/* ---- text of values ---- */

static void time_text(uint64_t us, char *out, size_t len)
{
	time_t t = (time_t)(us / 1000000u);
	struct tm tm;
	if (!gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%S", &tm)) {
		snprintf(out, len, "%" PRIu64 " us", us);
		return;
	}
	size_t n = strlen(out);
	snprintf(out + n, len - n, ".%06uZ", (unsigned)(us % 1000000u));
}

static void hex_text(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && o + 3 <= len; i++)
		o += (size_t)snprintf(out + o, len - o, "%02x", p[i]);
}

/* On-disk text (NUL padded) as a quoted string, control bytes as '?'. */
static void quoted_text(const uint8_t *p, size_t n, char *out, size_t len)
{
	size_t o = 0;
	if (len < 3)
		return;
	out[o++] = '"';
	for (size_t i = 0; i < n && p[i] && o + 2 < len; i++)
		out[o++] = (p[i] < 0x20 || p[i] >= 0x7f) ? '?' : (char)p[i];
	out[o++] = '"';
	out[o] = '\0';
}

typedef enum value_kind { KIND_UUID, KIND_U8, KIND_U16, KIND_U32, KIND_U64, KIND_TIME_US, KIND_TEXT, KIND_HEX } value_kind;

static void value_text(value_kind kind, const uint8_t *p, uint32_t n, char *out, size_t len)
{
	vmfs_uuid u;
	switch (kind) {
	case KIND_UUID:
		vmfs_uuid_from_bytes(&u, p);
		vmfs_uuid_format(&u, out);
		break;
	case KIND_U8: snprintf(out, len, "%u", p[0]); break;
	case KIND_U16: snprintf(out, len, "%u", vmfs_le16(p)); break;
	case KIND_U32: snprintf(out, len, "%" PRIu32, vmfs_le32(p)); break;
	case KIND_U64: snprintf(out, len, "%" PRIu64, vmfs_le64(p)); break;
	case KIND_TIME_US: time_text(vmfs_le64(p), out, len); break;
	case KIND_TEXT: quoted_text(p, n, out, len); break;
	case KIND_HEX: hex_text(p, n, out, len); break;
	}
}

/* Appends one field change, reading the bytes in place as the old ones;
 * a field already holding the new bytes is not a change. */
static vmfs_status add_change(vmfs_resign_plan *plan, size_t member, const char *structure, const char *field,
			      uint64_t offset, const uint8_t *new_bytes, uint32_t length, value_kind kind,
			      vmfs_error *err)
{
	const vmfs_resign_member *m = &plan->members[member];
	if (length > VMFS_RESIGN_MAX_FIELD || plan->count >= VMFS_RESIGN_MAX_CHANGES)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, source_name(m), offset, "too many or too wide changes");
	vmfs_resign_change *c = &plan->changes[plan->count];
	memset(c, 0, sizeof(*c));
	vmfs_status st = vmfs_source_read(m->src, offset, c->old_bytes, length, err);
	if (st != VMFS_OK)
		return st;
	if (memcmp(c->old_bytes, new_bytes, length) == 0)
		return VMFS_OK;
	c->member = member;
	c->structure = structure;
	c->field = field;
	c->offset = offset;
	c->length = length;
	memcpy(c->new_bytes, new_bytes, length);
	value_text(kind, c->old_bytes, length, c->old_text, sizeof(c->old_text));
	value_text(kind, c->new_bytes, length, c->new_text, sizeof(c->new_text));
	plan->count++;
	return VMFS_OK;
}

static vmfs_status add_u64(vmfs_resign_plan *plan, size_t member, const char *structure, const char *field,
			   uint64_t offset, uint64_t value, value_kind kind, vmfs_error *err)
{
	uint8_t b[8];
	vmfs_put_le64(b, value);
	return add_change(plan, member, structure, field, offset, b, 8, kind, err);
}

static vmfs_status add_u32(vmfs_resign_plan *plan, size_t member, const char *structure, const char *field,
			   uint64_t offset, uint32_t value, vmfs_error *err)
{
	uint8_t b[4];
	vmfs_put_le32(b, value);
	return add_change(plan, member, structure, field, offset, b, 4, KIND_U32, err);
}

/* The checks every operation makes on every member before changing it. */
static vmfs_status check_member(const vmfs_resign_member *m, bool force, vmfs_error *err)
{
	const vmfs_device *dev = m->dev;
	static const char hint[] = " (--force to proceed anyway)";
	/* The partition table too: a volume reached through a damaged table
	 * (an entry past the end of the disk) is not written. */
	for (size_t i = 0; !force && m->disk && i < m->disk->findings.count; i++)
		if (m->disk->findings.items[i].severity == VMFS_SEVERITY_ERROR)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m), m->disk->findings.items[i].offset,
					      "the partition table is damaged: %s; repair it first%s",
					      m->disk->findings.items[i].message, hint);
	if (vmfs_device_has_errors(dev) && !force) {
		for (size_t i = 0; i < dev->findings.count; i++)
			if (dev->findings.items[i].severity == VMFS_SEVERITY_ERROR)
				return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m), dev->findings.items[i].offset,
						      "the volume's metadata is damaged: %s; repair it first%s",
						      dev->findings.items[i].message, hint);
	}
	if (!vmfs_uuid_is_zero(&dev->lvm.locked_by) && !force) {
		char owner[VMFS_UUID_TEXT_LEN + 1];
		return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m), dev->header_offset + VMFS_LVM_OFF_LOCKED_BY,
				      "host %s holds the LVM lock: is the volume in use by an ESXi host?%s",
				      vmfs_uuid_format(&dev->lvm.locked_by, owner), hint);
	}
	uint32_t state = dev->primary->entry.state;
	if (state != VMFS_VOL_STATE_NORMAL && !force)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m), dev->primary->entry_offset + VMFS_VOL_OFF_STATE,
				      "the volume state is %s (%" PRIu32 "), not normal%s%s", vmfs_volume_state_name(state), state,
				      state == VMFS_VOL_STATE_RESIG_PENDING ? ": an interrupted resignature?" : "", hint);
	return VMFS_OK;
}

/* Header generation + 1 and modification time now: both operations. */
static vmfs_status header_touch(vmfs_resign_plan *plan, size_t member, uint64_t now_us, vmfs_error *err)
{
	const vmfs_device *dev = plan->members[member].dev;
	vmfs_status st = add_u64(plan, member, "lvm header", "generation", dev->header_offset + VMFS_LVM_OFF_GENERATION,
				 dev->lvm.generation + 1, KIND_U64, err);
	if (st == VMFS_OK)
		st = add_u64(plan, member, "lvm header", "mod_time", dev->header_offset + VMFS_LVM_OFF_MOD_TIME, now_us,
			     KIND_TIME_US, err);
	return st;
}

static vmfs_status check_label(const char *label, const char *path, vmfs_error *err)
{
	size_t n = strlen(label);
	if (n == 0 || n >= VMFS_FS_LABEL_SIZE)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
				      "a label must be 1 to %u bytes", VMFS_FS_LABEL_SIZE - 1);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)label[i] < 0x20 || label[i] == 0x7f || label[i] == '/')
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, i,
					      "a label holds no control characters and no '/'");
	return VMFS_OK;
}

static vmfs_status plan_new_identity(vmfs_resign_plan *plan, const vmfs_resign_options *o, uint64_t now_us,
				     seed_stream *random, vmfs_error *err)
{
	const vmfs_resign_member *m0 = &plan->members[0];
	plan->old_lv_uuid = m0->dev->primary->entry.lv_uuid;
	plan->old_snap_id = m0->dev->primary->entry.snap_id;
	/* The descriptor sits 2 MiB into the LV, on the member whose extent maps
	 * that offset (5.1); its volInfo must name this LV (9.3 rule 3). */
	size_t fs_member = SIZE_MAX;
	for (size_t i = 0; i < plan->member_count; i++)
		if (plan->members[i].dev->has_fs && plan->members[i].dev->fs_located && fs_member == SIZE_MAX)
			fs_member = i;
	if (fs_member == SIZE_MAX)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(m0),
				      m0->dev->fs_located ? m0->dev->fs_offset : VMFS_NO_OFFSET,
				      "no file-system descriptor found through the extent map: a new identity needs it "
				      "(restore it first, e.g. vmfs-restore --from-backup)");
	const vmfs_resign_member *fm = &plan->members[fs_member];
	const vmfs_fs_descriptor *fs = &fm->dev->fs;
	if (!vmfs_uuid_equal(&fs->lv_uuid, &plan->old_lv_uuid) || fs->lv_snap_id != plan->old_snap_id) {
		char a[VMFS_UUID_TEXT_LEN + 1], b[VMFS_UUID_TEXT_LEN + 1];
		return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(fm), fm->dev->fs_offset + VMFS_FS_OFF_VOLINFO_UUID,
				      "the descriptor's volInfo names LV %s/%" PRIu32 ", the volume entry %s/%" PRIu32
				      ": inconsistent, refusing", vmfs_uuid_format(&fs->lv_uuid, a), fs->lv_snap_id,
				      vmfs_uuid_format(&plan->old_lv_uuid, b), plan->old_snap_id);
	}
	/* Section 6: the checksum algorithm is unknown; a descriptor written
	 * with a stale checksum would probably be rejected by ESXi. */
	if (vmfs_fs_checksum_status_of(fs) != VMFS_FS_CHECKSUM_NONE)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, source_name(fm), fm->dev->fs_offset + VMFS_FS_OFF_CHECKSUM_TYPE,
				      "the descriptor carries a checksum (type %u) whose algorithm is not known "
				      "(format reference 6): refusing to change it (not overridable)", fs->checksum_type);
	plan->fs_member = fs_member;
	plan->old_fs_uuid = fs->uuid;
	snprintf(plan->old_label, sizeof(plan->old_label), "%s", fs->label);
	if (o->label) {
		vmfs_status st = check_label(o->label, source_name(fm), err);
		if (st != VMFS_OK)
			return st;
		snprintf(plan->new_label, sizeof(plan->new_label), "%s", o->label);
	} else {
		/* ESXi names a resignatured datastore snap-<8 hex digits>-<old label>
		 * (9.1); the label field holds at most 127 bytes and a NUL. */
		char label[VMFS_FS_LABEL_SIZE + 32];
		uint8_t tag[4];
		stream_bytes(random, tag, sizeof(tag));
		snprintf(label, sizeof(label), "snap-%08" PRIx32 "-%s", vmfs_le32(tag), plan->old_label);
		memcpy(plan->new_label, label, VMFS_FS_LABEL_SIZE - 1);
		plan->new_label[VMFS_FS_LABEL_SIZE - 1] = '\0';
	}
	uint32_t now_s = (uint32_t)(now_us / 1000000u);
	if (o->mac) {
		memcpy(plan->mac, o->mac, 6);
	} else {
		/* One MAC for every UUID of the run, as one host's; locally
		 * administered and unicast, so never taken for a real NIC's. */
		stream_bytes(random, plan->mac, 6);
		plan->mac[0] = (uint8_t)((plan->mac[0] | 0x02u) & ~0x01u);
	}
	new_uuid(random, now_s, plan->mac, &plan->new_lv_uuid);
	/* The file system is not recreated: its creationTime stays, and the new
	 * UUID's time group keeps matching it (9.3 rule 3). */
	new_uuid(random, fs->creation_time, plan->mac, &plan->new_fs_uuid);
	plan->new_snap_id = plan->old_snap_id == UINT32_MAX ? 1 : plan->old_snap_id + 1;
	char lv_text[VMFS_UUID_TEXT_LEN + 1];
	vmfs_uuid_format(&plan->new_lv_uuid, lv_text);
	vmfs_status st = VMFS_OK;
	for (size_t i = 0; st == VMFS_OK && i < plan->member_count; i++) {
		const vmfs_device *dev = plan->members[i].dev;
		new_uuid(random, now_s, plan->mac, &plan->new_device_uuid[i]);
		st = add_change(plan, i, "lvm header", "device_uuid", dev->header_offset + VMFS_LVM_OFF_DEVICE_UUID,
				plan->new_device_uuid[i].bytes, VMFS_UUID_LEN, KIND_UUID, err);
		if (st == VMFS_OK)
			st = header_touch(plan, i, now_us, err);
		uint64_t entry = dev->primary->entry_offset;
		/* The entry's name is the text form of its LV UUID (4.1). */
		uint8_t name[VMFS_VOL_NAME_SIZE] = { 0 };
		memcpy(name, lv_text, VMFS_UUID_TEXT_LEN);
		if (st == VMFS_OK)
			st = add_change(plan, i, "volume entry", "name", entry + VMFS_VOL_OFF_NAME, name, sizeof(name), KIND_TEXT,
					err);
		if (st == VMFS_OK)
			st = add_change(plan, i, "volume entry", "lv_uuid", entry + VMFS_VOL_OFF_LV_UUID,
					plan->new_lv_uuid.bytes, VMFS_UUID_LEN, KIND_UUID, err);
		if (st == VMFS_OK)
			st = add_u32(plan, i, "volume entry", "snap_id", entry + VMFS_VOL_OFF_SNAP_ID, plan->new_snap_id, err);
		if (st == VMFS_OK)
			st = add_u64(plan, i, "volume entry", "generation", entry + VMFS_VOL_OFF_GENERATION,
				     dev->primary->entry.generation + 1, KIND_U64, err);
		if (st == VMFS_OK)
			st = add_u64(plan, i, "volume entry", "mod_time", entry + VMFS_VOL_OFF_MOD_TIME, now_us, KIND_TIME_US,
				     err);
	}
	/* The descriptor's fields come last in the plan (9.3 rule 2). The plan is
	 * written in one pass and fsynced once, so the order on disk is not
	 * guaranteed; an interrupted write is recovered from the undo file, which
	 * is complete before the first byte changes. */
	uint64_t d = fm->dev->fs_offset;
	uint8_t label[VMFS_FS_LABEL_SIZE] = { 0 };
	memcpy(label, plan->new_label, strlen(plan->new_label));
	if (st == VMFS_OK)
		st = add_change(plan, fs_member, "fs descriptor", "uuid", d + VMFS_FS_OFF_UUID, plan->new_fs_uuid.bytes,
				VMFS_UUID_LEN, KIND_UUID, err);
	if (st == VMFS_OK)
		st = add_change(plan, fs_member, "fs descriptor", "label", d + VMFS_FS_OFF_LABEL, label, sizeof(label),
				KIND_TEXT, err);
	if (st == VMFS_OK)
		st = add_u32(plan, fs_member, "fs descriptor", "snap_id", d + VMFS_FS_OFF_SNAP_ID, plan->new_snap_id, err);
	if (st == VMFS_OK)
		st = add_change(plan, fs_member, "fs descriptor", "volinfo_uuid", d + VMFS_FS_OFF_VOLINFO_UUID,
				plan->new_lv_uuid.bytes, VMFS_UUID_LEN, KIND_UUID, err);
	if (st == VMFS_OK)
		st = add_u32(plan, fs_member, "fs descriptor", "volinfo_snap_id", d + VMFS_FS_OFF_VOLINFO_SNAP_ID,
			     plan->new_snap_id, err);
	return st;
}

/* INQUIRY text: printable ASCII, space padded to the field width (3.2). */
static vmfs_status put_inquiry(uint8_t *field, size_t width, const char *text, const char *what, const char *path,
			       vmfs_error *err)
{
	size_t n = strlen(text);
	if (n > width)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET, "the %s is at most %zu characters",
				      what, width);
	for (size_t i = 0; i < n; i++)
		if (text[i] < 0x20 || text[i] > 0x7e)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, path, VMFS_NO_OFFSET,
					      "the %s holds printable ASCII only", what);
	memset(field, ' ', width);
	memcpy(field, text, n);
	return VMFS_OK;
}

/* A type-0 id: the path as ESXi stores it, vmhbaA:T:L, or with C/T/L letters
 * when the channel is not 0 (3.2, 8.3). */
static vmfs_status encode_path(const vmfs_ident *id, uint32_t lun, const char *name, uint8_t *bytes, size_t *len,
			       vmfs_error *err)
{
	char text[VMFS_DISK_ID_ID_MAX + 1];
	int n = id->has_channel && id->channel != 0
			? snprintf(text, sizeof(text), "vmhba%" PRIu32 ":C%" PRIu32 ":T%" PRIu32 ":L%" PRIu32, id->adapter,
				   id->channel, id->target, lun)
			: snprintf(text, sizeof(text), "vmhba%" PRIu32 ":%" PRIu32 ":%" PRIu32, id->adapter, id->target, lun);
	if (n < 0 || (size_t)n >= sizeof(text))
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, name, VMFS_NO_OFFSET, "path too long for a diskID");
	memcpy(bytes, text, (size_t)n);
	*len = (size_t)n;
	return VMFS_OK;
}

/* The diskID block the LUN presents now, from the old block and the options. */
static vmfs_status repoint_disk_id(const uint8_t *old_block, const vmfs_resign_options *o, const char *path,
				   uint8_t *block, vmfs_error *err)
{
	memcpy(block, old_block, VMFS_DISK_ID_SIZE);
	vmfs_status st = VMFS_OK;
	if (o->vendor)
		st = put_inquiry(block + VMFS_DISKID_OFF_VENDOR, 8, o->vendor, "vendor", path, err);
	if (st == VMFS_OK && o->model)
		st = put_inquiry(block + VMFS_DISKID_OFF_MODEL, 16, o->model, "model", path, err);
	if (st == VMFS_OK && o->revision)
		st = put_inquiry(block + VMFS_DISKID_OFF_REVISION, 4, o->revision, "revision", path, err);
	if (st != VMFS_OK)
		return st;
	if (o->disk_id) {
		vmfs_ident id;
		st = vmfs_ident_parse(o->disk_id, &id, err);
		if (st != VMFS_OK)
			return st;
		uint8_t bytes[VMFS_DISK_ID_ID_MAX] = { 0 };
		size_t len = 0;
		switch (id.kind) {
		case VMFS_IDENT_VML:
			/* The vml name is the diskID block in hex (8.1): take it whole. */
			if (id.payload_len > VMFS_DISK_ID_ID_MAX)
				return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, o->disk_id, VMFS_NO_OFFSET,
						      "the vml id is %zu bytes, a diskID holds %u", id.payload_len,
						      VMFS_DISK_ID_ID_MAX);
			if (o->has_lun && o->lun != id.lun)
				return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, o->disk_id, VMFS_NO_OFFSET,
						      "the vml name says LUN %u, --lun says %u", id.lun, o->lun);
			memcpy(bytes, id.payload, id.payload_len);
			len = id.payload_len;
			block[VMFS_DISKID_OFF_TYPE] = id.id_type;
			block[VMFS_DISKID_OFF_DEVICE_TYPE] = id.device_type;
			vmfs_put_le16(block + VMFS_DISKID_OFF_LUN, id.lun);
			break;
		case VMFS_IDENT_NAA: {
			/* Type 2: the designator, then the first six model bytes (8.1). */
			if (id.designator_len + 6 > VMFS_DISK_ID_ID_MAX)
				return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, o->disk_id, VMFS_NO_OFFSET, "designator too long");
			static const uint8_t no_model[6] = { 0 };
			if (memcmp(block + VMFS_DISKID_OFF_MODEL, no_model, sizeof(no_model)) == 0)
				return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, o->disk_id, VMFS_NO_OFFSET,
						      "an NAA id ends with the first six bytes of the model, and the header holds "
						      "no model: give --model (the LUN's INQUIRY product id) or the vml name");
			memcpy(bytes, id.designator, id.designator_len);
			memcpy(bytes + id.designator_len, block + VMFS_DISKID_OFF_MODEL, 6);
			len = id.designator_len + 6;
			block[VMFS_DISKID_OFF_TYPE] = VMFS_DISK_ID_NAA;
			break;
		}
		case VMFS_IDENT_MPX:
		case VMFS_IDENT_VMHBA: {
			if (o->has_lun && o->lun != id.path_lun)
				return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, o->disk_id, VMFS_NO_OFFSET,
						      "the path says LUN %" PRIu32 ", --lun says %u", id.path_lun, o->lun);
			st = encode_path(&id, id.path_lun, o->disk_id, bytes, &len, err);
			if (st != VMFS_OK)
				return st;
			block[VMFS_DISKID_OFF_TYPE] = VMFS_DISK_ID_PATH;
			vmfs_put_le16(block + VMFS_DISKID_OFF_LUN, (uint16_t)id.path_lun);
			break;
		}
		default:
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, o->disk_id, VMFS_NO_OFFSET,
					      "a %s name does not say how ESXi stores the id: give the vml name of the LUN "
					      "(ls -l /vmfs/devices/disks on the host)", vmfs_ident_kind_name(id.kind));
		}
		memcpy(block + VMFS_DISKID_OFF_ID, bytes, sizeof(bytes));
		block[VMFS_DISKID_OFF_LEN] = (uint8_t)len;
	}
	if (o->has_lun)
		vmfs_put_le16(block + VMFS_DISKID_OFF_LUN, o->lun);
	if (o->has_lun && !o->disk_id) {
		/* A path id names the LUN too (vmhbaA:T:L): keep the two in step. */
		vmfs_disk_id now;
		vmfs_disk_id_decode(block, &now);
		vmfs_ident path_id;
		char text[VMFS_DISK_ID_ID_MAX + 1];
		size_t n = now.len < VMFS_DISK_ID_ID_MAX ? now.len : VMFS_DISK_ID_ID_MAX;
		memcpy(text, now.id, n);
		text[n] = '\0';
		if (now.type == VMFS_DISK_ID_PATH && vmfs_ident_parse(text, &path_id, NULL) == VMFS_OK &&
		    path_id.kind == VMFS_IDENT_VMHBA) {
			uint8_t bytes[VMFS_DISK_ID_ID_MAX] = { 0 };
			size_t len = 0;
			st = encode_path(&path_id, o->lun, text, bytes, &len, err);
			if (st != VMFS_OK)
				return st;
			memcpy(block + VMFS_DISKID_OFF_ID, bytes, sizeof(bytes));
			block[VMFS_DISKID_OFF_LEN] = (uint8_t)len;
		}
	}
	/* An NAA id ends with the first six model bytes (8.1): a new model moves them. */
	uint8_t len = block[VMFS_DISKID_OFF_LEN];
	if (o->model && block[VMFS_DISKID_OFF_TYPE] == VMFS_DISK_ID_NAA && len >= 14 && len <= VMFS_DISK_ID_ID_MAX)
		memcpy(block + VMFS_DISKID_OFF_ID + len - 6, block + VMFS_DISKID_OFF_MODEL, 6);
	return VMFS_OK;
}

static vmfs_status plan_repoint(vmfs_resign_plan *plan, const vmfs_resign_options *o, uint64_t now_us, vmfs_error *err)
{
	const vmfs_resign_member *m = &plan->members[0];
	const vmfs_device *dev = m->dev;
	uint64_t base = dev->header_offset + VMFS_LVM_OFF_DISK_ID;
	uint8_t old_block[VMFS_DISK_ID_SIZE], block[VMFS_DISK_ID_SIZE];
	vmfs_status st = vmfs_source_read(m->src, base, old_block, sizeof(old_block), err);
	if (st == VMFS_OK)
		st = repoint_disk_id(old_block, o, source_name(m), block, err);
	if (st != VMFS_OK)
		return st;
	static const struct {
		const char *field;
		uint32_t offset, length;
		value_kind kind;
	} parts[] = {
		{ "disk_id.type", VMFS_DISKID_OFF_TYPE, 1, KIND_U8 },
		{ "disk_id.len", VMFS_DISKID_OFF_LEN, 1, KIND_U8 },
		{ "disk_id.lun", VMFS_DISKID_OFF_LUN, 2, KIND_U16 },
		{ "disk_id.device_type", VMFS_DISKID_OFF_DEVICE_TYPE, 1, KIND_U8 },
		{ "disk_id.scsi_level", VMFS_DISKID_OFF_SCSI_LEVEL, 1, KIND_U8 },
		{ "disk_id.vendor", VMFS_DISKID_OFF_VENDOR, 8, KIND_TEXT },
		{ "disk_id.model", VMFS_DISKID_OFF_MODEL, 16, KIND_TEXT },
		{ "disk_id.revision", VMFS_DISKID_OFF_REVISION, 4, KIND_TEXT },
		{ "disk_id.id", VMFS_DISKID_OFF_ID, VMFS_DISK_ID_ID_MAX, KIND_HEX },
	};
	for (size_t i = 0; st == VMFS_OK && i < sizeof(parts) / sizeof(parts[0]); i++)
		st = add_change(plan, 0, "lvm header", parts[i].field, base + parts[i].offset, block + parts[i].offset,
				parts[i].length, parts[i].kind, err);
	if (st != VMFS_OK || plan->count == 0)
		return st;
	/* Device names in the SD table follow the canonical name (9.2). */
	vmfs_disk_id old_id, new_id;
	vmfs_disk_id_decode(old_block, &old_id);
	vmfs_disk_id_decode(block, &new_id);
	char old_name[VMFS_IDENT_MAX_TEXT], new_name[VMFS_IDENT_MAX_TEXT];
	if (vmfs_canonical_from_disk_id(&old_id, old_name, sizeof(old_name), NULL) == VMFS_OK &&
	    vmfs_canonical_from_disk_id(&new_id, new_name, sizeof(new_name), NULL) == VMFS_OK &&
	    strcmp(old_name, new_name) != 0) {
		size_t old_len = strlen(old_name);
		for (size_t i = 0; st == VMFS_OK && i < dev->num_names; i++) {
			const char *name = dev->names[i].sd.name;
			if (strncmp(name, old_name, old_len) != 0 || (name[old_len] != '\0' && name[old_len] != ':'))
				continue;
			uint8_t entry[VMFS_LVM_SD_ENTRY_SIZE] = { 0 };
			int n = snprintf((char *)entry, sizeof(entry), "%s%s", new_name, name + old_len);
			if (n < 0 || (size_t)n >= VMFS_RESIGN_MAX_FIELD)
				return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, source_name(m), dev->names[i].entry_offset,
						      "the new device name is longer than %u bytes", VMFS_RESIGN_MAX_FIELD - 1);
			/* Bytes 128..255 of an entry are beyond any name ESXi writes and stay as they are. */
			st = add_change(plan, 0, "device name", "sd.name", dev->names[i].entry_offset, entry,
					VMFS_RESIGN_MAX_FIELD, KIND_TEXT, err);
		}
	}
	if (st == VMFS_OK)
		st = header_touch(plan, 0, now_us, err);
	return st;
}

vmfs_status vmfs_resign_plan_make(vmfs_resign_plan *plan, const vmfs_resign_options *options, vmfs_error *err)
{
	free(plan->changes);
	plan->changes = calloc(VMFS_RESIGN_MAX_CHANGES, sizeof(*plan->changes));
	plan->count = 0;
	plan->mode = options->mode;
	if (!plan->changes)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, "", VMFS_NO_OFFSET, "out of memory");
	if (plan->member_count == 0)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, "", VMFS_NO_OFFSET, "no member selected");
	for (size_t i = 0; i < plan->member_count; i++) {
		vmfs_status st = check_member(&plan->members[i], options->force, err);
		if (st != VMFS_OK)
			return st;
	}
	if (options->has_plan_id) {
		plan->plan_time = options->plan_time;
		plan->plan_seed = options->plan_seed;
	} else {
		plan->plan_time = (uint32_t)time(NULL);
		plan->plan_seed = (uint64_t)vmfs_random32() << 32 | vmfs_random32();
	}
	seed_stream random = { .seed = plan->plan_seed };
	uint64_t now_us = (uint64_t)plan->plan_time * 1000000u;
	return options->mode == VMFS_RESIGN_NEW_IDENTITY ? plan_new_identity(plan, options, now_us, &random, err)
							  : plan_repoint(plan, options, now_us, err);
}

void vmfs_resign_plan_free(vmfs_resign_plan *plan)
{
	free(plan->changes);
	plan->changes = NULL;
	plan->count = 0;
}
