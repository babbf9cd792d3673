/* Which local block device an ESXi device name refers to (format reference
 * 8): vml.*, naa.*, eui.*, t10.* with an optional ":N" partition, parsed by
 * vmfs/format/ident.h. The designator a name carries is looked for
 *   - in DEVROOT/disk/by-id, the links udev makes from the same VPD page:
 *     wwn-0x<naa hex>, scsi-3<naa hex>, scsi-2<eui hex>, nvme-eui.<eui hex>;
 *   - and on every disk of SYSFS/block: its VPD page 0x83 logical-unit
 *     designator of the same type and bytes (vmfs/source/lun.h), else its
 *     wwid attribute ("naa.<hex>", "eui.<hex>", "t10.<text>").
 * Several paths to one LUN (multipathing) are all listed. mpx.* and vmhba
 * names are an ESXi host's adapter paths, whose numbers mean nothing on
 * this host: they are not resolved. Reads only; nothing printed. */
#ifndef VMFS_RESOLVE_H
#define VMFS_RESOLVE_H

#include "vmfs/core/error.h"
#include "vmfs/format/ident.h"
#include "vmfs/source/lun.h"

#include <stdbool.h>
#include <stddef.h>

#define VMFS_RESOLVE_MAX 16u
#define VMFS_RESOLVE_HOW_MAX 640u

typedef struct vmfs_resolved {
	char disk[VMFS_LUN_NAME_MAX];       /* the whole disk, "sdb" */
	char node[VMFS_LUN_PATH_MAX];       /* what to open: the disk's node, or partition N's */
	char how[VMFS_RESOLVE_HOW_MAX];                      /* "VPD page 0x83 NAA designator", "by-id link wwn-0x...", "wwid" */
	bool has_hctl;
	uint64_t lun;                       /* the LUN number the disk is presented as */
} vmfs_resolved;

typedef struct vmfs_resolution {
	char designator_name[VMFS_IDENT_MAX_TEXT]; /* what was looked for: naa./eui./t10. name */
	bool has_partition;
	unsigned partition;
	size_t count;                        /* devices found (paths to the LUN) */
	size_t dropped;
	vmfs_resolved items[VMFS_RESOLVE_MAX];
	char problem[320];                   /* count 0: why ("no disk presents naa.6001..."), else "" */
} vmfs_resolution;

/* Resolves a parsed name. VMFS_OK with count 0 and problem set when nothing
 * matches (or partition N is not on the disk that does); VMFS_ERR_UNSUPPORTED
 * for a name that names no designator (mpx, vmhba, a vml of path or serial
 * type: err says why). */
vmfs_status vmfs_resolve_ident(const char *sysfs_root, const char *dev_root, const vmfs_ident *id,
			       vmfs_resolution *out, vmfs_error *err);

/* Is text an ESXi device name (it parses as vml., naa., eui. or t10.)? */
bool vmfs_resolve_is_name(const char *text);

#endif
