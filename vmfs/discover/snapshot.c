/* See snapshot.h. The stored side is the diskID block (format reference 3.2),
 * the presented side what sysfs shows (vmfs/source/lun.h); the rules are
 * those of format reference 9.1 and 9.3 rule 5. */
#include "vmfs/discover/snapshot.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define MODEL_BYTES 6u /* a type-2 id ends with the first 6 bytes of the INQUIRY model (3.2) */

const char *vmfs_snap_verdict_name(vmfs_snap_verdict verdict)
{
	switch (verdict) {
	case VMFS_SNAP_MATCH: return "match";
	case VMFS_SNAP_SNAPSHOT: return "snapshot";
	case VMFS_SNAP_UNKNOWN: return "unknown";
	}
	return "unknown";
}

const char *vmfs_snap_basis_name(vmfs_snap_basis basis)
{
	switch (basis) {
	case VMFS_SNAP_CONFIRMED: return "confirmed";
	case VMFS_SNAP_INFERRED: return "inference";
	case VMFS_SNAP_FACT: return "fact";
	}
	return "inference";
}

/* Adds a finding with its basis (the two arrays stay in step). */
__attribute__((format(printf, 6, 7)))
static void note(vmfs_snap_check *out, vmfs_severity severity, vmfs_snap_basis basis, const char *code, uint64_t offset,
		 const char *fmt, ...)
{
	size_t at = out->findings.count;
	va_list ap;
	va_start(ap, fmt);
	char message[sizeof(out->findings.items[0].message)];
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	vmfs_findings_add(&out->findings, severity, code, offset, "%s", message);
	if (at < VMFS_MAX_FINDINGS && out->findings.count > at)
		out->basis[at] = basis;
}

static void hexs(const uint8_t *b, size_t n, char *out, size_t len)
{
	size_t pos = 0;
	out[0] = 0;
	for (size_t i = 0; i < n && pos + 3 <= len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%02x", b[i]);
}

void vmfs_snapshot_check(const vmfs_lun *lun, const vmfs_device *dev, vmfs_snap_check *out)
{
	memset(out, 0, sizeof(*out));
	out->repoint.offset = dev->offset;
	if (!dev->has_lvm) {
		out->verdict = VMFS_SNAP_UNKNOWN;
		snprintf(out->summary, sizeof(out->summary), "no LVM header: no stored LUN identity to compare");
		return;
	}
	const vmfs_disk_id *stored = &dev->lvm.disk_id;
	uint64_t base = dev->header_offset + VMFS_LVM_OFF_DISK_ID;
	vmfs_vml_from_disk_id(stored, out->stored_vml, sizeof(out->stored_vml), NULL);
	vmfs_canonical_from_disk_id(stored, out->stored_name, sizeof(out->stored_name), NULL);
	out->has_presented_lun = lun->has_hctl;
	out->presented_lun = lun->lun;

	if (!lun->scsi || !lun->has_vpd83) {
		out->verdict = VMFS_SNAP_UNKNOWN;
		if (!lun->scsi)
			snprintf(out->summary, sizeof(out->summary),
				 "%s is not a SCSI device (no device/ in sysfs): the identity it presents is unknown, "
				 "no snapshot verdict", lun->name);
		else
			snprintf(out->summary, sizeof(out->summary),
				 "%s has no VPD page 0x83%s%s: the identity the LUN presents is unknown, no snapshot verdict",
				 lun->name, lun->vpd83_problem[0] ? " that decodes: " : "", lun->vpd83_problem);
		return;
	}

	/* What ESXi would store for the LUN now: an NAA designator + 6 model
	 * bytes (type 2) when the device has one (3.2, 8.1). */
	const vmfs_designator *naa = vmfs_vpd83_find(&lun->vpd83, VMFS_DESIG_NAA);
	const vmfs_designator *eui = vmfs_vpd83_find(&lun->vpd83, VMFS_DESIG_EUI64);
	const vmfs_designator *t10 = vmfs_vpd83_find(&lun->vpd83, VMFS_DESIG_T10);
	const vmfs_designator *best = naa ? naa : eui ? eui : t10;
	if (best)
		vmfs_designator_name(best, out->presented_name, sizeof(out->presented_name));
	uint8_t device_type = lun->has_type ? lun->device_type : lun->vpd83.device_type;
	bool model_ok = lun->has_inquiry && lun->inquiry_printable && lun->model_padded[0];
	uint8_t now_id[VMFS_DISK_ID_ID_MAX];
	size_t now_len = 0;
	if (naa && model_ok && naa->len + MODEL_BYTES <= sizeof(now_id)) {
		memcpy(now_id, naa->bytes, naa->len);
		memcpy(now_id + naa->len, lun->model_padded, MODEL_BYTES);
		now_len = naa->len + MODEL_BYTES;
		if (lun->has_hctl && lun->lun <= 0xffff) {
			vmfs_disk_id now = { .type = VMFS_DISK_ID_NAA, .len = (uint8_t)now_len, .lun = (uint16_t)lun->lun,
					     .device_type = device_type };
			memcpy(now.id, now_id, now_len);
			vmfs_vml_from_disk_id(&now, out->presented_vml, sizeof(out->presented_vml), NULL);
		}
	}

	size_t warnings_before = 0;
	bool lun_differs = false, id_differs = false, type_differs = false, level_differs = false;
	/* LUN number: VMware's first-named trigger (9.1). */
	if (lun->has_hctl && lun->lun != stored->lun) {
		lun_differs = true;
		note(out, VMFS_SEVERITY_WARNING, VMFS_SNAP_CONFIRMED, "lun-number-changed", base + VMFS_DISKID_OFF_LUN,
		     "the header records LUN %u (diskID lun), the device is presented as LUN %" PRIu64
		     " (%u:%u:%u:%" PRIu64 "): ESXi treats a volume whose LUN ID changed as a snapshot",
		     stored->lun, lun->lun, lun->host, lun->channel, lun->target, lun->lun);
	}
	/* The identifier. */
	char a[100], b[100];
	if (stored->type == VMFS_DISK_ID_NAA) {
		size_t slen = stored->len <= VMFS_DISK_ID_ID_MAX ? stored->len : VMFS_DISK_ID_ID_MAX;
		if (naa && now_len) {
			bool designator_same = slen == now_len && memcmp(stored->id, naa->bytes, naa->len) == 0;
			if (!designator_same) {
				id_differs = true;
				hexs(stored->id, slen >= MODEL_BYTES ? slen - MODEL_BYTES : slen, a, sizeof(a));
				hexs(naa->bytes, naa->len, b, sizeof(b));
				note(out, VMFS_SEVERITY_WARNING, VMFS_SNAP_CONFIRMED, "lun-id-changed", base + VMFS_DISKID_OFF_ID,
				     "the header records the LUN id naa.%s, the device presents naa.%s: ESXi compares the "
				     "stored LUN id with the LUN's and treats a mismatch as a snapshot", a, b);
			} else if (memcmp(stored->id, now_id, now_len) != 0) {
				id_differs = true;
				note(out, VMFS_SEVERITY_WARNING, VMFS_SNAP_INFERRED, "lun-id-changed",
				     base + VMFS_DISKID_OFF_ID + naa->len,
				     "same NAA designator, but the 6 model bytes after it (\"%.6s\" now) differ from the "
				     "header's: the LUN's id as ESXi forms it changed with the model string", lun->model_padded);
			}
		} else if (!naa) {
			id_differs = true;
			note(out, VMFS_SEVERITY_WARNING, VMFS_SNAP_INFERRED, "lun-id-type-changed", base + VMFS_DISKID_OFF_TYPE,
			     "the header records an NAA id, the device presents no NAA designator%s%s: the LUN's id "
			     "type changed", out->presented_name[0] ? " (only " : "", out->presented_name[0] ? out->presented_name : "");
			if (out->presented_name[0])
				strncat(out->findings.items[out->findings.count - 1].message, ")",
					sizeof(out->findings.items[0].message) - strlen(out->findings.items[out->findings.count - 1].message) - 1);
		}
	} else if (naa) {
		id_differs = true;
		vmfs_designator_name(naa, b, sizeof(b));
		note(out, VMFS_SEVERITY_WARNING, VMFS_SNAP_INFERRED, "lun-id-type-changed", base + VMFS_DISKID_OFF_TYPE,
		     "the header records a %s id (type %u), the device now presents an NAA designator (%s): VMware "
		     "names enabling SPC-2 compliance as a snapshot trigger, and ESXi would identify the LUN by it",
		     vmfs_disk_id_type_name(stored->type), stored->type, b);
	}
	if (lun->has_type && lun->device_type != stored->device_type) {
		type_differs = true;
		note(out, VMFS_SEVERITY_WARNING, VMFS_SNAP_INFERRED, "device-type-changed", base + VMFS_DISKID_OFF_DEVICE_TYPE,
		     "the header records SCSI peripheral device type %u, the device presents type %u",
		     stored->device_type, lun->device_type);
	}
	/* A path-id header written by ESXi keeps scsiLevel 0 (3.2 [IMG]):
	 * only a recorded level is compared. */
	if (stored->scsi_level && lun->has_scsi_level && lun->scsi_level != stored->scsi_level) {
		level_differs = true;
		note(out, VMFS_SEVERITY_WARNING, VMFS_SNAP_INFERRED, "scsi-level-changed", base + VMFS_DISKID_OFF_SCSI_LEVEL,
		     "the header records SCSI level %u, the device presents level %u: VMware names a SCSI device type "
		     "change (SCSI-2 to SCSI-3) as a snapshot trigger", stored->scsi_level, lun->scsi_level);
	}
	warnings_before = vmfs_findings_count(&out->findings, VMFS_SEVERITY_WARNING);
	/* INQUIRY strings recorded but different: a fact, not a named trigger. */
	struct { const char *what; const char *stored, *now; uint64_t off; } inq[] = {
		{ "vendor", stored->vendor, lun->vendor, VMFS_DISKID_OFF_VENDOR },
		{ "model", stored->model, lun->model, VMFS_DISKID_OFF_MODEL },
		{ "revision", stored->revision, lun->revision, VMFS_DISKID_OFF_REVISION },
	};
	bool inquiry_differs = false;
	for (size_t i = 0; i < 3; i++) {
		if (!inq[i].stored[0] || !lun->has_inquiry || strcmp(inq[i].stored, inq[i].now) == 0)
			continue;
		inquiry_differs = true;
		note(out, VMFS_SEVERITY_INFO, VMFS_SNAP_FACT, "inquiry-changed", base + inq[i].off,
		     "the header records INQUIRY %s \"%s\", the device presents \"%s\"", inq[i].what, inq[i].stored,
		     lun->inquiry_printable ? inq[i].now : "(not printable)");
	}

	if (warnings_before == 0) {
		out->verdict = VMFS_SNAP_MATCH;
		snprintf(out->summary, sizeof(out->summary),
			 "the LVM header describes the LUN as it presents itself (%s, LUN %" PRIu64 "): no snapshot",
			 out->presented_name[0] ? out->presented_name : "no NAA designator", lun->lun);
		return;
	}
	out->verdict = VMFS_SNAP_SNAPSHOT;
	snprintf(out->summary, sizeof(out->summary),
		 "ESXi would see this volume as a snapshot (unresolved volume, not mounted): the LUN identity in its "
		 "LVM header differs from the one the LUN presents");

	/* The re-point (9.3 rule 5; vmfs-resignature(1)). */
	vmfs_snap_repoint *r = &out->repoint;
	if (!lun_differs && !id_differs && !type_differs && level_differs) {
		snprintf(r->why_not, sizeof(r->why_not),
			 "only the SCSI level differs, and no option of vmfs-resignature sets it (header 0x11)");
		return;
	}
	if (lun->has_hctl && lun->lun > 0xffff) {
		snprintf(r->why_not, sizeof(r->why_not), "LUN %" PRIu64 " does not fit the header's 16-bit LUN field", lun->lun);
		return;
	}
	if (!lun->inquiry_printable) {
		snprintf(r->why_not, sizeof(r->why_not), "the device's INQUIRY strings are not printable ASCII");
		return;
	}
	if (naa && !now_len) {
		snprintf(r->why_not, sizeof(r->why_not),
			 "the device reports no INQUIRY model, whose first 6 bytes an NAA id ends with");
		return;
	}
	if (!naa && (stored->type == VMFS_DISK_ID_NAA || id_differs)) {
		snprintf(r->why_not, sizeof(r->why_not),
			 "the device presents no NAA designator%s; vmfs-resignature writes NAA and path ids only, and how "
			 "ESXi stores an EUI-64 or T10 id is not known (format reference 3.2)",
			 best ? ", only another kind" : "");
		return;
	}
	r->possible = true;
	if (lun->has_hctl) {
		r->set_lun = true;
		r->lun = (uint32_t)lun->lun;
	}
	if (naa) {
		char name[VMFS_IDENT_MAX_TEXT];
		vmfs_designator_name(naa, name, sizeof(name));
		/* Only a vml name sets the device type (vmfs-resignature(1)). */
		snprintf(r->disk_id, sizeof(r->disk_id), "%s", type_differs && out->presented_vml[0] ? out->presented_vml : name);
	}
	if (naa || inquiry_differs) {
		snprintf(r->vendor, sizeof(r->vendor), "%s", lun->vendor);
		snprintf(r->model, sizeof(r->model), "%s", lun->model);
		snprintf(r->revision, sizeof(r->revision), "%s", lun->revision);
	}
	if (type_differs && !naa)
		snprintf(r->note, sizeof(r->note),
			 "the device type (header 0x10) is only set from a vml name, and none follows for this LUN: it "
			 "stays %u", stored->device_type);
	else if (level_differs)
		snprintf(r->note, sizeof(r->note),
			 "the SCSI level (header 0x11) stays %u: no option of vmfs-resignature sets it", stored->scsi_level);
}
