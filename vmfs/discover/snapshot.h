/* Would ESXi see this volume as a snapshot? The LUN identity stored in a VMFS
 * device's LVM header (the diskID block, format reference 3.2) compared with
 * what the LUN presents now (vmfs/source/lun.h), field by field, with the
 * re-point values that would make the header match (vmfs-resignature's
 * --lun, --disk-id, --vendor, --model, --revision) and what each finding
 * rests on.
 *
 * What is confirmed and what is inference (format reference 9.1, 9.2):
 * VMware documents that the ID of the LUN a volume was created on is kept in
 * its metadata and compared, and that a copy whose stored ID does not match
 * its LUN is an unresolved volume (snapshot) and is not mounted; it names a
 * LUN ID change, a SCSI device type change (e.g. SCSI-2 to SCSI-3) and
 * enabling SPC-2 compliance as triggers [DOC, SEED]. Which bytes are
 * compared is inference: that the id is the NAA designator + 6 model bytes
 * (3.2), that "SCSI device type" is the scsiLevel field, that SPC-2 turns a
 * path id into an NAA id [INF]. Each finding carries its basis.
 *
 * Pure: values in, values out; nothing read, nothing printed. */
#ifndef VMFS_SNAPSHOT_H
#define VMFS_SNAPSHOT_H

#include "vmfs/core/finding.h"
#include "vmfs/format/device.h"
#include "vmfs/format/ident.h"
#include "vmfs/source/lun.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_snap_verdict {
	VMFS_SNAP_MATCH,     /* the header describes the LUN as it presents itself */
	VMFS_SNAP_SNAPSHOT,  /* it does not: ESXi would list an unresolved (snapshot) volume */
	VMFS_SNAP_UNKNOWN,   /* what the LUN presents is not known (no VPD page 0x83) */
} vmfs_snap_verdict;

typedef enum vmfs_snap_basis {
	VMFS_SNAP_CONFIRMED, /* documented by VMware / seen on ESX (format reference 9.1) */
	VMFS_SNAP_INFERRED,  /* inference from the field set (9.1, 9.2, 9.3) */
	VMFS_SNAP_FACT,      /* a difference read from both sides that no source names as a trigger */
} vmfs_snap_basis;

/* The re-point that makes the header match (vmfs-resignature(1), "Re-point,
 * field by field"): the options to give, each only when set. */
typedef struct vmfs_snap_repoint {
	bool possible;
	char why_not[320];            /* !possible: why (e.g. only an EUI-64 designator) */
	char note[320];               /* possible but incomplete: what stays different */
	bool set_lun;
	uint32_t lun;
	char disk_id[VMFS_IDENT_MAX_TEXT]; /* naa.<hex>, or a vml name when the device type changes; "" none */
	char vendor[9], model[17], revision[5]; /* "" = leave */
	uint64_t offset;              /* the device's partition start in its source (--offset) */
} vmfs_snap_repoint;

typedef struct vmfs_snap_check {
	vmfs_snap_verdict verdict;
	char summary[1024];
	/* Both sides as names (format reference 8.1): what the header says and
	 * what ESXi would name the LUN now; "" when not derivable. */
	char stored_vml[VMFS_VML_MAX_TEXT];
	char stored_name[VMFS_IDENT_MAX_TEXT];   /* naa. or mpx. canonical from the diskID */
	char presented_vml[VMFS_VML_MAX_TEXT];
	char presented_name[VMFS_IDENT_MAX_TEXT]; /* naa./eui./t10. from VPD page 0x83 */
	bool has_presented_lun;
	uint64_t presented_lun;
	/* One finding per field that differs (offset: the absolute offset of
	 * the diskID field), warning when it makes the verdict, info when not;
	 * basis[i] says what findings.items[i] rests on. */
	vmfs_findings findings;
	vmfs_snap_basis basis[VMFS_MAX_FINDINGS];
	vmfs_snap_repoint repoint;
} vmfs_snap_check;

/* Compares dev's diskID (dev->has_lvm required, else VMFS_SNAP_UNKNOWN with a
 * summary saying so) with lun. */
void vmfs_snapshot_check(const vmfs_lun *lun, const vmfs_device *dev, vmfs_snap_check *out);

const char *vmfs_snap_verdict_name(vmfs_snap_verdict verdict);  /* "match", "snapshot", "unknown" */
const char *vmfs_snap_basis_name(vmfs_snap_basis basis);        /* "confirmed", "inference", "fact" */

#endif
