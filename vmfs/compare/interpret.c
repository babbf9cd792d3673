/* Interpretations: what the changed fields of each pair and of the table
 * mean for an ESXi host. Each family of interpretation reads the facts (the
 * distinct changed field names) and claims those it explains, so that a
 * field explained once is not reported again; what no family explains is
 * listed as "fields-changed". The families run in a fixed order, because an
 * earlier one (a destroyed header, a resignature) explains fields a later
 * one would otherwise read as something else. */
#include "vmfs/compare/diff_internal.h"

#include "vmfs/format/ident.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void interpret(diff_ctx *c, const char *code, vmfs_severity severity, uint32_t device, uint32_t partition,
		      const char *action, const char *fmt, ...) __attribute__((format(printf, 7, 8)));
static void interpret(diff_ctx *c, const char *code, vmfs_severity severity, uint32_t device, uint32_t partition,
		      const char *action, const char *fmt, ...)
{
	vmfs_diff *out = c->out;
	if (out->num_interpretations >= VMFS_DIFF_MAX_INTERPRETATIONS)
		return;
	if (!diff_grow((void **)&out->interpretations, &out->interpretations_capacity, out->num_interpretations + 1,
		  sizeof(*out->interpretations), VMFS_DIFF_MAX_INTERPRETATIONS)) {
		diff_fail_memory(c);
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

/* "restore from backup: vmfs-restore --from-backup FILE PATH": FILE is the
 * intact side when that is a backup file. */
static void restore_action(diff_ctx *c, int intact, int damaged, const char *only, char *out, size_t len)
{
	bool backup = vmfs_source_kind_of(c->s[intact].src) == VMFS_SOURCE_BACKUP;
	snprintf(out, len, "restore from backup: vmfs-restore --from-backup %s%s %s%s (dry run first, then --write)",
		 backup ? vmfs_source_path(c->s[intact].src) : "FILE", only, vmfs_source_path(c->s[damaged].src),
		 backup ? "" : "; FILE: a vmfs-backup of the intact side");
}

/* One pair as the interpretation families read it. */
typedef struct pair_reading {
	diff_ctx *c;
	uint32_t index;           /* the pair */
	const vmfs_diff_pair *p;
	pair_state *ps;
	fact_set *f;              /* its changed field names */
	uint32_t part;            /* its partition, 0 = none */
	char who[96];             /* "device 0 (partition 1, at 0x100000)" */
	int fired;                /* interpretations given so far */
	bool device_gone;         /* a VMFS device on one side only: its other fields mean nothing */
} pair_reading;

/* Two members of one spanned volume: what differs is what makes them
 * different members, explained once. */
static void interpret_other_member(pair_reading *r)
{
	const vmfs_diff_pair *p = r->p;
	if (!diff_other_member(p->a, p->b))
		return;
	char lv[VMFS_UUID_TEXT_LEN + 1], ua[VMFS_UUID_TEXT_LEN + 1], ub[VMFS_UUID_TEXT_LEN + 1];
	interpret(r->c, "spanned-other-member", VMFS_SEVERITY_INFO, r->index, r->part,
		  "compare each member with its own copy, or give all the members to vmfs-inspect to see the "
		  "assembled volume",
		  "%s: A and B hold different members of the spanned volume %s (%" PRIu32 " devices): device %s "
		  "(PEs %" PRIu64 "..%" PRIu64 ") on A, device %s (PEs %" PRIu64 "..%" PRIu64 ") on B; the same LV "
		  "UUID with different device UUIDs is not a resignature",
		  r->who, vmfs_uuid_format(&p->a->primary->entry.lv_uuid, lv), p->a->primary->entry.num_devs,
		  vmfs_uuid_format(&p->a->lvm.device_uuid, ua), p->a->primary->entry.first_pe,
		  p->a->primary->entry.last_pe, vmfs_uuid_format(&p->b->lvm.device_uuid, ub),
		  p->b->primary->entry.first_pe, p->b->primary->entry.last_pe);
	static const char *const prefixes[] = { "lvm.", "disk_id.", "volume.", "sd.", "extent", "fs.", "raw" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		diff_fact_claim_prefix(r->f, prefixes[i]);
	r->fired++;
}

/* The LVM header on one side only (section 3): destroyed while the metadata
 * behind it is still there, or a device that exists on one side only. */
static void interpret_header_one_side(pair_reading *r)
{
	pair_state *ps = r->ps;
	if (!ps->header_checked || ps->header_present[0] == ps->header_present[1])
		return;
	int gone = ps->header_present[0] ? 1 : 0, have = 1 - gone;
	if (ps->header_pos[gone] != VMFS_NO_OFFSET && !ps->header_past_end[gone] && ps->others_present[gone]) {
		char action[400];
		restore_action(r->c, have, gone, "", action, sizeof(action));
		interpret(r->c, "lvm-header-destroyed", VMFS_SEVERITY_ERROR, r->index, r->part, action,
			  "%s: the LVM device header at " HEX " is destroyed on %s (magic 0x%08" PRIx32 " instead of 0x%08x), "
			  "while the volume metadata behind it is still there; ESXi cannot see the volume",
			  r->who, ps->header_pos[gone], diff_side_name[gone], ps->header_magic[gone], VMFS_LVM_MAGIC);
	} else {
		r->device_gone = true;
		const char *why = ps->header_pos[gone] == VMFS_NO_OFFSET ? "another device starts at that place"
				  : ps->header_past_end[gone] ? "the source ends before its header"
				  : "no VMFS structure is left at that place";
		interpret(r->c, gone == 1 ? "device-removed" : "device-added",
			  gone == 1 ? VMFS_SEVERITY_WARNING : VMFS_SEVERITY_INFO, r->index, r->part, NULL,
			  "%s: a VMFS device (LVM header at " HEX ") exists on %s only: %s on %s", r->who,
			  ps->header_pos[have], diff_side_name[have], why, diff_side_name[gone]);
	}
	diff_fact_claim(r->f, "lvm.header");
	static const char *const prefixes[] = { "lvm.", "disk_id.", "volume.", "sd.", "extent" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		diff_fact_claim_prefix(r->f, prefixes[i]);
	if (r->device_gone)
		diff_fact_claim_prefix(r->f, "fs.");
	r->fired++;
}

/* The descriptor on one side only (section 5.1) of a device on both. */
static void interpret_descriptor_destroyed(pair_reading *r)
{
	pair_state *ps = r->ps;
	if (!ps->fs_checked || ps->fs_present[0] == ps->fs_present[1] || r->device_gone)
		return;
	int gone = ps->fs_present[0] ? 1 : 0;
	char action[400], state[96];
	restore_action(r->c, 1 - gone, gone, " --only fs", action, sizeof(action));
	if (ps->fs_pos[gone] != VMFS_NO_OFFSET &&
	    !vmfs_source_contains(r->c->s[gone].src, ps->fs_pos[gone], VMFS_FS_DESC_READ_SIZE))
		snprintf(state, sizeof(state), "missing on %s: the source ends before it (a truncated copy?)",
			 diff_side_name[gone]);
	else
		snprintf(state, sizeof(state), "destroyed on %s (magic 0x%08" PRIx32 ")", diff_side_name[gone],
			 ps->fs_magic[gone]);
	interpret(r->c, "fs-descriptor-destroyed", VMFS_SEVERITY_ERROR, r->index, r->part, action,
		  "%s: the file-system descriptor at " HEX " is %s; ESXi cannot mount the file system", r->who,
		  ps->fs_pos[gone], state);
	diff_fact_claim_prefix(r->f, "fs.");
	r->fired++;
}

/* "LUN 0 -> 5, ...; vml.A -> vml.B": the diskID fields that differ (3.2). */
static void disk_id_changes(const pair_state *ps, const char *vml_a, const char *vml_b, char *what, size_t len)
{
	const vmfs_disk_id *ia = &ps->hdr[0].disk_id, *ib = &ps->hdr[1].disk_id;
	size_t n = 0;
	what[0] = 0;
	if (ia->lun != ib->lun)
		n += (size_t)snprintf(what + n, len - n, "LUN %u -> %u", ia->lun, ib->lun);
	if (ia->type != ib->type && n < len)
		n += (size_t)snprintf(what + n, len - n, "%sid type %u -> %u", n ? ", " : "", ia->type, ib->type);
	if (ia->device_type != ib->device_type && n < len)
		n += (size_t)snprintf(what + n, len - n, "%sdevice type %u -> %u", n ? ", " : "", ia->device_type,
				      ib->device_type);
	if (ia->scsi_level != ib->scsi_level && n < len)
		n += (size_t)snprintf(what + n, len - n, "%sSCSI level %u -> %u", n ? ", " : "", ia->scsi_level,
				      ib->scsi_level);
	if (n < len)
		snprintf(what + n, len - n, "%s%s -> %s", n ? "; " : "", vml_a, vml_b);
}

/* The diskID block (3.2): the fields ESXi's snapshot detection compares
 * (9.1) make the volume a snapshot; vendor, model and revision do not. */
static void interpret_disk_id(pair_reading *r)
{
	static const char *const core[] = { "disk_id.type", "disk_id.len", "disk_id.lun", "disk_id.device_type",
					     "disk_id.scsi_level", "disk_id.id" };
	pair_state *ps = r->ps;
	bool core_changed = false;
	for (size_t i = 0; i < sizeof(core) / sizeof(core[0]); i++)
		core_changed |= diff_fact_has(r->f, core[i]);
	if (core_changed) {
		char vml[2][VMFS_VML_MAX_TEXT], action[400], what[400];
		for (int x = 0; x < 2; x++)
			if (vmfs_vml_from_disk_id(&ps->hdr[x].disk_id, vml[x], sizeof(vml[x]), NULL) != VMFS_OK)
				snprintf(vml[x], sizeof(vml[x]), "(no vml: len %u)", ps->hdr[x].disk_id.len);
		disk_id_changes(ps, vml[0], vml[1], what, sizeof(what));
		snprintf(action, sizeof(action),
			 "re-point the header with vmfs-resignature --lun N --disk-id ID to the identity the LUN presents "
			 "now (A recorded --lun %u --disk-id %s), or resignature it", ps->hdr[0].disk_id.lun, vml[0]);
		interpret(r->c, "disk-id-changed", VMFS_SEVERITY_WARNING, r->index, r->part, action,
			  "%s: the LUN identity in the LVM header differs (%s): ESXi will detect this volume as a snapshot "
			  "(unresolved volume) and will not mount it automatically", r->who, what);
		diff_fact_claim_prefix(r->f, "disk_id.");
		diff_fact_claim(r->f, "sd.name");
		r->fired++;
	} else if (diff_fact_has(r->f, "disk_id.vendor") || diff_fact_has(r->f, "disk_id.model") ||
		   diff_fact_has(r->f, "disk_id.revision")) {
		interpret(r->c, "inquiry-changed", VMFS_SEVERITY_INFO, r->index, r->part, NULL,
			  "%s: the INQUIRY vendor, model or revision recorded in the LVM header differs; they are not among "
			  "the fields ESXi's snapshot detection is known to compare (format reference 9.1)", r->who);
		diff_fact_claim_prefix(r->f, "disk_id.");
		r->fired++;
	}
}

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* New identity UUIDs (7.2, 9.2): a resignatured volume. */
static void interpret_resignatured(pair_reading *r)
{
	pair_state *ps = r->ps;
	bool dev_uuid = diff_fact_has(r->f, "lvm.device_uuid"), lv_uuid = diff_fact_has(r->f, "volume.lv_uuid");
	bool fs_uuid = diff_fact_has(r->f, "fs.uuid");
	if (!dev_uuid && !lv_uuid && !fs_uuid)
		return;
	bool snap = ps->label_ok[1] && starts_with(ps->label[1], "snap-") &&
		    !(ps->label_ok[0] && starts_with(ps->label[0], "snap-"));
	interpret(r->c, "resignatured", VMFS_SEVERITY_WARNING, r->index, r->part,
		  "re-register the virtual machines from the datastore's new UUID; if the change was not intended, "
		  "vmfs-restore --from-backup FILE puts the old identity back",
		  "%s: new identity on B (%s%s%s%s%s)%s: the volume was resignatured: ESXi sees a different datastore; "
		  "VMs must be re-registered", r->who, dev_uuid ? "device UUID" : "",
		  dev_uuid && (lv_uuid || fs_uuid) ? ", " : "", lv_uuid ? "LV UUID" : "", lv_uuid && fs_uuid ? ", " : "",
		  fs_uuid ? "file-system UUID" : "",
		  snap ? ", and the label carries the snap- prefix ESXi gives resignatured copies" : "");
	static const char *const identity[] = { "lvm.device_uuid", "lvm.init_time", "volume.lv_uuid", "volume.name",
						"volume.snap_id", "volume.state", "volume.creation_time", "fs.uuid",
						"fs.volinfo_uuid", "fs.volinfo_snap_id", "fs.snap_id",
						"fs.creation_time", "fs.host_uuid" };
	for (size_t i = 0; i < sizeof(identity) / sizeof(identity[0]); i++)
		diff_fact_claim(r->f, identity[i]);
	r->fired++;
}

static void interpret_label(pair_reading *r)
{
	if (!diff_fact_claim(r->f, "fs.label"))
		return;
	interpret(r->c, "label-changed", VMFS_SEVERITY_INFO, r->index, r->part, NULL,
		  "%s: the file-system label changed: \"%s\" -> \"%s\"", r->who, r->ps->label[0], r->ps->label[1]);
	r->fired++;
}

/* Format versions (3.3): an upgraded volume, or another one. */
static void interpret_version(pair_reading *r)
{
	pair_state *ps = r->ps;
	bool lvm_version = diff_fact_has(r->f, "lvm.major") || diff_fact_has(r->f, "lvm.minor");
	bool fs_version = diff_fact_has(r->f, "fs.major") || diff_fact_has(r->f, "fs.minor");
	if (!lvm_version && !fs_version)
		return;
	char text[200] = "";
	size_t n = 0;
	if (lvm_version && ps->hdr_ok[0] && ps->hdr_ok[1])
		n += (size_t)snprintf(text, sizeof(text), "LVM %" PRIu32 ".%" PRIu32 " -> %" PRIu32 ".%" PRIu32,
				      ps->hdr[0].major, ps->hdr[0].minor, ps->hdr[1].major, ps->hdr[1].minor);
	if (fs_version && ps->fs_ok[0] && ps->fs_ok[1] && n < sizeof(text))
		snprintf(text + n, sizeof(text) - n, "%s%s -> %s", n ? ", " : "", ps->fs_version[0], ps->fs_version[1]);
	interpret(r->c, "version-changed", VMFS_SEVERITY_INFO, r->index, r->part, NULL,
		  "%s: the format version differs (%s): an upgraded volume, or not the same volume", r->who, text);
	diff_fact_claim(r->f, "lvm.major");
	diff_fact_claim(r->f, "lvm.minor");
	diff_fact_claim(r->f, "fs.major");
	diff_fact_claim(r->f, "fs.minor");
	r->fired++;
}

/* Size: totalBytes, PEs, logical size, extents (3.1, 4.1, 4.3). Counts the
 * measures that grew and shrank and describes them in `sizes`. */
static void size_changes(const pair_state *ps, int *grew, int *shrank, char *sizes, size_t len)
{
	bool both_headers = !ps->header_checked || ps->header_present[0] == ps->header_present[1];
	size_t used = 0;
	sizes[0] = 0;
	if (ps->hdr_ok[0] && ps->hdr_ok[1] && ps->header_present[0] && ps->header_present[1]) {
		uint64_t a = ps->hdr[0].total_bytes, b = ps->hdr[1].total_bytes;
		*grew += b > a;
		*shrank += b < a;
		if (a != b)
			used += (size_t)snprintf(sizes + used, len - used, "total bytes %" PRIu64 " -> %" PRIu64, a, b);
		if (ps->hdr[0].num_pes != ps->hdr[1].num_pes && used < len) {
			*grew += ps->hdr[1].num_pes > ps->hdr[0].num_pes;
			*shrank += ps->hdr[1].num_pes < ps->hdr[0].num_pes;
			used += (size_t)snprintf(sizes + used, len - used, "%sPEs %" PRIu32 " -> %" PRIu32, used ? ", " : "",
						 ps->hdr[0].num_pes, ps->hdr[1].num_pes);
		}
	}
	if (both_headers && ps->vol_ok[0] && ps->vol_ok[1] && ps->vol[0].logical_size != ps->vol[1].logical_size &&
	    used < len) {
		*grew += ps->vol[1].logical_size > ps->vol[0].logical_size;
		*shrank += ps->vol[1].logical_size < ps->vol[0].logical_size;
		used += (size_t)snprintf(sizes + used, len - used, "%slogical size %" PRIu64 " -> %" PRIu64,
					 used ? ", " : "", ps->vol[0].logical_size, ps->vol[1].logical_size);
	}
	if ((ps->extents_added || ps->extents_removed) && used < len && both_headers) {
		*grew += ps->extents_added > ps->extents_removed;
		*shrank += ps->extents_removed > ps->extents_added;
		snprintf(sizes + used, len - used, "%s%zu extents added, %zu removed", used ? ", " : "",
			 ps->extents_added, ps->extents_removed);
	}
}

/* A volume grown on B (what ESXi does when an extent is grown or added), or
 * shrunk (what ESXi never does: rather an incomplete copy). */
static void interpret_size(pair_reading *r)
{
	int grew = 0, shrank = 0;
	char sizes[400];
	size_changes(r->ps, &grew, &shrank, sizes, sizeof(sizes));
	if (!grew && !shrank)
		return;
	if (grew >= shrank)
		interpret(r->c, "volume-grown", VMFS_SEVERITY_INFO, r->index, r->part, NULL,
			  "%s: the volume is larger on B (%s)", r->who, sizes);
	else
		interpret(r->c, "volume-shrunk", VMFS_SEVERITY_WARNING, r->index, r->part,
			  "VMFS volumes are never shrunk by ESXi: check that B is a complete copy of the same LUN",
			  "%s: the volume is smaller on B (%s)", r->who, sizes);
	static const char *const size_fields[] = { "lvm.total_bytes", "lvm.num_pes", "lvm.last_pe_index",
						   "lvm.num_pes6", "lvm.num_pe_maps", "lvm.ext_metadata_offset",
						   "volume.logical_size", "volume.num_pes", "volume.last_pe",
						   "volume.consumed_pes" };
	for (size_t i = 0; i < sizeof(size_fields) / sizeof(size_fields[0]); i++)
		diff_fact_claim(r->f, size_fields[i]);
	diff_fact_claim_prefix(r->f, "lvm.ext_region");
	diff_fact_claim_prefix(r->f, "extent");
	r->fired++;
}

/* The device on both sides, its partition entry (section 2) on one only:
 * ESXi finds VMFS through the table. Explains the table's entry fact. */
static void interpret_partition_missing(pair_reading *r)
{
	const vmfs_diff_pair *p = r->p;
	pair_state *ps = r->ps;
	bool in_table[2] = { p->partition_a != 0, p->partition_b != 0 };
	bool present[2] = { p->a != NULL || (ps->header_checked && ps->header_present[0]),
			    p->b != NULL || (ps->header_checked && ps->header_present[1]) };
	if (in_table[0] == in_table[1] || !present[0] || !present[1])
		return;
	int missing = in_table[0] ? 1 : 0, has = 1 - missing;
	uint32_t number = in_table[0] ? p->partition_a : p->partition_b;
	uint64_t at = missing == 0 ? p->offset_a : p->offset_b;
	char action[400];
	snprintf(action, sizeof(action), "restore it with vmfs-restore %s (dry run first, then --write)",
		 vmfs_source_path(r->c->s[missing].src));
	interpret(r->c, "partition-missing", VMFS_SEVERITY_ERROR, r->index, number, action,
		  "%s: the VMFS partition entry is missing on %s: partition %" PRIu32 " on %s describes the device, "
		  "but on %s no entry starts at " HEX " although the LVM header is there; ESXi does not see the volume",
		  r->who, diff_side_name[missing], number, diff_side_name[has], diff_side_name[missing], at);
	diff_fact_take(&r->c->table.facts, "table.partition", number, true);
	r->fired++;
}

/* The same device at another start, unless the table comparison already
 * said that its partition moved. */
static void interpret_device_moved(pair_reading *r)
{
	const vmfs_diff_pair *p = r->p;
	if (!p->a || !p->b || p->offset_a == p->offset_b ||
	    (r->part && r->part <= VMFS_PTABLE_MAX_PARTS && r->c->moved_partition[r->part]))
		return;
	interpret(r->c, "partition-moved", VMFS_SEVERITY_WARNING, r->index, r->part, NULL,
		  "%s: the device starts at " HEX " on A and at " HEX " on B", r->who, p->offset_a, p->offset_b);
	r->fired++;
}

/* Fields that change on every metadata update of a mounted volume. */
static const char *const volatile_fields[] = {
	"lvm.generation", "lvm.mod_time", "lvm.locked_by", "lvm.locked_when", "volume.generation", "volume.mod_time",
	"fs.local_stamp", "fs.gbl_generation",
};
#define NUM_VOLATILE (sizeof(volatile_fields) / sizeof(volatile_fields[0]))

static bool is_volatile(const char *name)
{
	for (size_t k = 0; k < NUM_VOLATILE; k++)
		if (strcmp(name, volatile_fields[k]) == 0)
			return true;
	return false;
}

/* Only counters and times differ, nothing else was interpreted: what every
 * metadata update changes; an older generation on B says B is the earlier
 * copy. The volatile fields are explained either way. */
static void interpret_generation(pair_reading *r)
{
	fact_set *f = r->f;
	pair_state *ps = r->ps;
	char changed[300] = "";
	size_t changed_len = 0;
	for (size_t k = 0; k < NUM_VOLATILE; k++) {
		bool unclaimed = false;
		for (size_t i = 0; i < f->count; i++)
			unclaimed |= !f->items[i].claimed && strcmp(f->items[i].name, volatile_fields[k]) == 0;
		if (unclaimed && changed_len < sizeof(changed))
			changed_len += (size_t)snprintf(changed + changed_len, sizeof(changed) - changed_len, "%s%s",
							changed_len ? ", " : "", volatile_fields[k]);
	}
	bool only_volatile = true;
	for (size_t i = 0; i < f->count; i++)
		only_volatile &= f->items[i].claimed || is_volatile(f->items[i].name);
	if (changed[0] && r->fired == 0 && only_volatile) {
		uint64_t ga = ps->hdr[0].generation, gb = ps->hdr[1].generation;
		if (ps->hdr_ok[0] && ps->hdr_ok[1] && gb < ga)
			interpret(r->c, "generation-regressed", VMFS_SEVERITY_WARNING, r->index, r->part, NULL,
				  "%s: only generation counters and modification times differ (%s), and B holds the older "
				  "LVM generation (%" PRIu64 " -> %" PRIu64 "): B is an earlier copy of the metadata",
				  r->who, changed, ga, gb);
		else
			interpret(r->c, "generation-advanced", VMFS_SEVERITY_INFO, r->index, r->part, NULL,
				  "%s: only generation counters and modification times differ (%s): metadata updated since "
				  "the backup; normal on a mounted volume", r->who, changed);
		r->fired++;
	}
	for (size_t k = 0; k < NUM_VOLATILE; k++)
		diff_fact_claim(f, volatile_fields[k]);
}

/* What no family explained: the field names, and the raw bytes. */
static void interpret_leftovers(pair_reading *r)
{
	pair_state *ps = r->ps;
	char names[500];
	if (list_unclaimed(r->f, names, sizeof(names)))
		interpret(r->c, "fields-changed", VMFS_SEVERITY_WARNING, r->index, r->part, NULL,
			  "%s: fields without a known interpretation differ: %s", r->who, names);
	if (ps->raw_ranges)
		interpret(r->c, "unexplained-bytes", VMFS_SEVERITY_WARNING, r->index, r->part, NULL,
			  "%s: %" PRIu64 " byte%s in %" PRIu64 " range%s (%s) differ%s where no decoded field explains them",
			  r->who, ps->raw_bytes, ps->raw_bytes == 1 ? "" : "s", ps->raw_ranges, ps->raw_ranges == 1 ? "" : "s",
			  ps->raw_areas, ps->raw_bytes == 1 ? "s" : "");
}

/* The families in their order (see the top of this file). */
static void interpret_pair(diff_ctx *c, uint32_t index)
{
	pair_reading r;
	memset(&r, 0, sizeof(r));
	r.c = c;
	r.index = index;
	r.p = &c->out->pairs[index];
	r.ps = &c->pairs[index];
	r.f = &r.ps->facts;
	r.part = r.p->partition_a ? r.p->partition_a : r.p->partition_b;
	device_words(r.p, index, r.who, sizeof(r.who));
	interpret_other_member(&r);
	interpret_header_one_side(&r);
	interpret_descriptor_destroyed(&r);
	interpret_disk_id(&r);
	interpret_resignatured(&r);
	interpret_label(&r);
	interpret_version(&r);
	interpret_size(&r);
	interpret_partition_missing(&r);
	interpret_device_moved(&r);
	interpret_generation(&r);
	interpret_leftovers(&r);
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
	const vmfs_ptable *t[2] = { &c->s[0].disk->table, &c->s[1].disk->table };
	if (diff_fact_claim(f, "table.type")) {
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
		diff_fact_claim(f, "table.id");
		diff_fact_claim(f, "table.first_lba");
		diff_fact_claim(f, "table.last_lba");
		diff_fact_claim(f, "table.sector_size");
	}
	for (uint32_t n = 1; n <= VMFS_PTABLE_MAX_PARTS; n++) {
		const vmfs_partition *pa = diff_find_partition(t[0], n), *pb = diff_find_partition(t[1], n);
		if (!pa || !pb)
			continue;
		if (diff_fact_take(f, "table.partition.start", n, true))
			interpret(c, "partition-moved", VMFS_SEVERITY_WARNING, pair_of_partition(c->out, n), n,
				  "check with vmfs-inspect that the entry starts where the volume's LVM header is (1 MiB "
				  "before it); vmfs-restore proposes the right entry",
				  "partition %" PRIu32 " starts at sector %" PRIu64 " on A and at sector %" PRIu64 " on B", n,
				  pa->start, pb->start);
		if (diff_fact_take(f, "table.partition.size", n, true))
			interpret(c, "partition-resized", VMFS_SEVERITY_INFO, pair_of_partition(c->out, n), n, NULL,
				  "partition %" PRIu32 " is %" PRIu64 " sectors on A and %" PRIu64 " sectors on B", n, pa->size,
				  pb->size);
	}
}

static void interpret_table_last(diff_ctx *c)
{
	fact_set *f = &c->table.facts;
	const vmfs_ptable *t[2] = { &c->s[0].disk->table, &c->s[1].disk->table };
	/* Entries on one side only that no device interpretation explained. */
	for (size_t i = 0; i < f->count; i++) {
		fact *e = &f->items[i];
		if (e->claimed || strcmp(e->name, "table.partition") != 0)
			continue;
		e->claimed = true;
		const vmfs_partition *pa = diff_find_partition(t[0], e->partition), *pb = diff_find_partition(t[1], e->partition);
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

void diff_interpret(diff_ctx *c)
{
	interpret_table_first(c);
	for (uint32_t i = 0; i < c->out->num_pairs; i++)
		interpret_pair(c, i);
	interpret_table_last(c);
}
