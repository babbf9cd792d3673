/* The identity of a source: what a tool records before it saves metadata
 * (vmfs-backup) and checks again before it puts bytes back (vmfs-restore
 * --from-backup, vmfs-resignature), so that a backup taken from one LUN is
 * not written onto another one by mistake.
 *
 * For a regular file (an image) the identity is its size; for a block device
 * also its logical sector size and the SCSI identity the kernel exports in
 * sysfs for the whole disk (a partition's parent): WWID (the VPD page 0x83
 * designator as naa., eui. or t10. text), serial (VPD page 0x80), vendor and
 * model (INQUIRY). A device that exports none of them (loop, most virtual
 * disks) just has empty fields.
 *
 * Text read from sysfs is untrusted: trailing whitespace is removed (the
 * kernel pads INQUIRY fields with spaces and ends every attribute with a
 * newline), bytes that are not printable ASCII or part of a valid UTF-8
 * sequence become "\xNN", and the result is cut, never in the middle of an
 * escape or a sequence, to the width of the matching backup field
 * (vmfs/backup/backup.h), so that an identity always fits a backup and compares
 * equal to what a backup of the same device recorded.
 *
 * Return convention: every function returning vmfs_status returns VMFS_OK on
 * success and otherwise the status it also stores in *err (which may be
 * NULL), with err->path naming the source (the path given to
 * vmfs_identity_read, now->path for vmfs_identity_check_backup),
 * err->offset = VMFS_NO_OFFSET, and err->sys_errno the errno of a failed
 * system call. Nothing is printed. */
#ifndef VMFS_IDENTITY_H
#define VMFS_IDENTITY_H

#include "vmfs/backup/backup.h"
#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct vmfs_identity {
	char path[VMFS_BACKUP_LEN_SOURCE_PATH + 1]; /* as given, cut to 1024 bytes */
	uint64_t size;              /* bytes: BLKGETSIZE64, or st_size of a file */
	uint32_t sector_size;       /* logical: BLKSSZGET, or 512 for a file */
	bool block;                 /* a block device (else a regular file) */
	char wwid[VMFS_BACKUP_LEN_WWID + 1];     /* "" when unknown, as are the next three */
	char serial[VMFS_BACKUP_LEN_SERIAL + 1];
	char vendor[VMFS_BACKUP_LEN_VENDOR + 1];
	char model[VMFS_BACKUP_LEN_MODEL + 1];
} vmfs_identity;

/* Reads the identity of path, opened O_RDONLY (never written). For a block
 * device the SCSI attributes come from SYSFS/dev/block/MAJ:MIN/device/, or
 * from the parent disk's device/ when MAJ:MIN is a partition, with SYSFS =
 * sysfs_root, NULL meaning "/sys" (tests pass a fake tree). A missing or
 * unreadable sysfs attribute leaves its field empty and is not an error; a
 * logical sector size the kernel does not report is taken as 512.
 * VMFS_ERR_IO when path cannot be opened or examined (sys_errno kept),
 * VMFS_ERR_UNSUPPORTED for a directory or anything that is neither a regular
 * file nor a block device (refused before it is opened), VMFS_ERR_INVALID_ARG
 * for a NULL path. *out is always initialised (empty on failure). */
vmfs_status vmfs_identity_read(const char *path, const char *sysfs_root, vmfs_identity *out, vmfs_error *err);

/* Fills the four text fields of out (wwid, serial, vendor, model; cleared
 * first) from the sysfs directory of a block device, such as
 * "/sys/dev/block/8:17": when that directory has a "partition" attribute the
 * parent directory (the whole disk) is used. The attributes are the files
 * device/wwid, device/serial, device/vendor and device/model below it. Only
 * regular files are read, at most 4096 bytes each (a sysfs attribute is one
 * page), up to the first NUL. The other fields of out are left alone. This is
 * the sysfs half of vmfs_identity_read, public so that it can be tested on a
 * fake tree. */
void vmfs_identity_read_sysfs(const char *device_sysfs_dir, vmfs_identity *out);

/* Is `now` plausibly the source `backup` was taken from? VMFS_OK when
 *   - the sizes are equal;
 *   - the logical sector sizes are equal, when now is a block device (an
 *     image file has no sector size of its own: its 512 is a convention,
 *     and the backup of a 4096-byte-sector image records the sector size of
 *     its partition table);
 *   - and for each of WWID, serial, vendor and model that both sides know
 *     (non-empty), the two values are equal byte for byte. A side that does
 *     not know a field (an image copy, a loop device, a device without VPD
 *     pages) cannot contradict it.
 * Otherwise VMFS_ERR_FORMAT for the first field that differs, in that order,
 * with a reason naming the field and both values, e.g. "is 1073741824 bytes,
 * the backup's source (/dev/sdb) was 536870912 bytes", "WWID naa.6000...
 * differs from the backup's naa.6001... (another LUN?)" or "serial \"A1\"
 * differs from the backup's \"B2\" (another disk?)" (free text is quoted). The source kinds
 * (file or block device) are not compared: restoring onto a dd copy of the
 * backed-up device is legitimate. */
vmfs_status vmfs_identity_check_backup(const vmfs_backup *backup, const vmfs_identity *now, vmfs_error *err);

#endif
