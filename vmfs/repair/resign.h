/* Resignature and re-pointing of a VMFS volume (format reference section 9),
 * as a plan: the exact fields, offsets, old and new bytes that would change.
 * A dry run prints the plan; --write hands its changes to vmfs/apply. The
 * module reads the sources (old bytes) but never writes.
 *
 * New identity (what ESXi's snapshot resignature does, 9.2): on every member
 * (extent) of the volume a new device UUID (header 0x82); one new LV UUID
 * with its text copy and an incremented snapID in every member's volume
 * entry (0x54, 0x14, 0x64); in the descriptor a new file-system UUID (0x09),
 * the label "snap-XXXXXXXX-<old label>" (0x1D), the volInfo LV UUID and
 * snapID (0xB1, 0xC1) and the descriptor snapID (0xAD) equal to the new LV
 * identity; generation + 1 and modification time now in every header and
 * entry. The new UUIDs are VMware-style (7.1): time, 48 bits derived from the
 * plan seed, and one MAC for all of them (as one host would make them); the
 * file-system UUID's time group is the descriptor's creationTime, which
 * stays, so the two agree as on every ESXi-made volume (9.3 rule 3). The descriptor's checksum algorithm is unknown (section 6): a
 * descriptor with any checksum field set is refused.
 *
 * Re-point (9.3 rule 5): the diskID block of one device's header (0x0C, 78
 * bytes) set to the identity the LUN presents now (LUN number, id type and
 * id bytes, optionally vendor/model/revision), device-name (SD) table
 * entries renamed from the old canonical name to the new one, generation + 1
 * and modification time now. UUIDs stay, so VMs need no re-registration.
 *
 * Return convention: VMFS_OK, or the status also stored in *err (may be
 * NULL): VMFS_ERR_FORMAT for a refusal (err->path and err->offset name the
 * source and the field at fault, the reason says why and whether --force
 * overrides it), VMFS_ERR_INVALID_ARG for bad options, VMFS_ERR_IO /
 * VMFS_ERR_TRUNCATED from reading, VMFS_ERR_NO_MEMORY. */
#ifndef VMFS_RESIGN_H
#define VMFS_RESIGN_H

#include "vmfs/format/device.h"
#include "vmfs/discover/disk.h"
#include "vmfs/core/error.h"
#include "vmfs/source/source.h"
#include "vmfs/format/vmware_uuid.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_RESIGN_MAX_MEMBERS  32u   /* extents of one volume (section 4.4) */
#define VMFS_RESIGN_MAX_FIELD    128u  /* the widest field changed: the label */
#define VMFS_RESIGN_MAX_CHANGES  (VMFS_RESIGN_MAX_MEMBERS * 16u + VMFS_LVM_SD_ENTRIES)
#define VMFS_RESIGN_TEXT         192u

typedef enum vmfs_resign_mode {
	VMFS_RESIGN_NEW_IDENTITY,
	VMFS_RESIGN_REPOINT,
} vmfs_resign_mode;

/* One device of a volume, found in one of the sources. */
typedef struct vmfs_resign_member {
	vmfs_source *src;          /* not owned */
	const vmfs_device *dev;    /* not owned */
	const vmfs_disk *disk;     /* the analysis dev comes from (not owned) */
	size_t source_index;       /* which of the caller's sources */
} vmfs_resign_member;

typedef struct vmfs_resign_options {
	vmfs_resign_mode mode;
	bool force;                /* accept a lock owner, a volume state other than normal, error findings */
	/* The plan id: the time written (Unix seconds: UUID time groups, modification
	 * times) and the seed every new random value is derived from. A dry run
	 * draws both (the seed from libuuid's random source) and reports them; the
	 * same id given back makes --write write exactly the values shown. */
	bool has_plan_id;
	uint32_t plan_time;
	uint64_t plan_seed;
	/* new identity */
	const char *label;         /* new label; NULL = "snap-XXXXXXXX-<old label>" */
	const uint8_t *mac;        /* MAC for the new UUIDs; NULL = one random, locally administered MAC */
	/* re-point */
	bool has_lun;
	uint16_t lun;
	const char *disk_id;       /* vml.*, naa.*, mpx.vmhbaA:C:T:L or vmhbaA:C:T:L; NULL keeps the id */
	const char *vendor, *model, *revision; /* INQUIRY strings; NULL keeps them */
} vmfs_resign_options;

typedef struct vmfs_resign_change {
	size_t member;             /* index into the plan's members */
	const char *structure;     /* "lvm header", "volume entry", "device name", "fs descriptor" */
	const char *field;         /* stable name, e.g. "device_uuid", "lv_uuid", "label" */
	uint64_t offset;           /* absolute offset in the member's source */
	uint32_t length;
	uint8_t old_bytes[VMFS_RESIGN_MAX_FIELD];
	uint8_t new_bytes[VMFS_RESIGN_MAX_FIELD];
	char old_text[VMFS_RESIGN_TEXT];
	char new_text[VMFS_RESIGN_TEXT];
} vmfs_resign_change;

typedef struct vmfs_resign_plan {
	vmfs_resign_mode mode;
	uint32_t plan_time;        /* the plan id actually used (see the options) */
	uint64_t plan_seed;
	uint8_t mac[6];            /* MAC group of the new UUIDs */
	vmfs_resign_member members[VMFS_RESIGN_MAX_MEMBERS];
	size_t member_count;
	size_t fs_member;          /* the member holding the descriptor (new identity) */
	vmfs_uuid old_lv_uuid, new_lv_uuid;
	uint32_t old_snap_id, new_snap_id;
	vmfs_uuid old_fs_uuid, new_fs_uuid;
	vmfs_uuid new_device_uuid[VMFS_RESIGN_MAX_MEMBERS];
	char old_label[VMFS_FS_LABEL_SIZE + 1];
	char new_label[VMFS_FS_LABEL_SIZE + 1];
	vmfs_resign_change *changes;   /* malloc'd */
	size_t count;
} vmfs_resign_plan;

/* Finds the volume to work on among the devices of the analysed disks
 * (several sources: the members of a spanned volume may sit on different
 * LUNs). selector NULL: the disks must hold exactly one volume; else it is
 * an LV UUID, a file-system UUID or a label. Collects every device whose
 * volume entry carries that LV (uuid + snapID) and checks, unless noted, that
 * all members are present (the entry's numDevs), that no device UUID appears
 * twice (a copy of a LUN beside the original), that members agree on the LV
 * size, and that each device holds one LV. For re-pointing (repoint = true)
 * only the device at `partition_offset` (UINT64_MAX = the only device of the
 * volume in disks[0]) is taken and spanning is not required: re-pointing is
 * per LUN. */
vmfs_status vmfs_resign_select(vmfs_source *const *sources, const vmfs_disk *const *disks, size_t source_count,
			       const char *selector, bool repoint, uint64_t partition_offset, vmfs_resign_plan *plan,
			       vmfs_error *err);

/* "TTTTTTTT-SSSSSSSSSSSSSSSS": plan time and seed in hex. out holds 26 bytes. */
void vmfs_resign_plan_id_format(uint32_t time, uint64_t seed, char *out);
/* Parses the form above; false on anything else. */
bool vmfs_resign_plan_id_parse(const char *text, uint32_t *time, uint64_t *seed);

/* Computes the changes for the selected members (see the top of this file),
 * reading the bytes in place as the old bytes. Refuses (VMFS_ERR_FORMAT)
 * a descriptor with a checksum set (never overridable), no reachable
 * descriptor or one whose volInfo names another LV (new identity), a device
 * with error findings, a header lock owner or a volume state other than
 * normal (these three unless force). */
vmfs_status vmfs_resign_plan_make(vmfs_resign_plan *plan, const vmfs_resign_options *options, vmfs_error *err);

void vmfs_resign_plan_free(vmfs_resign_plan *plan);

#endif
