/* The backups of one source in a folder: how vmfs-backup --dir names them,
 * finds them again (--keep, --if-changed) and tells whether the metadata
 * changed since the newest one.
 *
 * A file name is BASE-KEY-STAMP.vmfsbak:
 *   BASE   the base name of the source's canonical absolute path;
 *   KEY    who the source is: "wwid-" + its WWID when the kernel reports one,
 *          else "serial-" + its serial number, else "path-" + the first 12
 *          hex digits of the SHA-256 of the canonical absolute path, so that
 *          /a/disk.img and /b/disk.img in one folder never share a name;
 *   STAMP  the UTC time of the backup to the microsecond,
 *          YYYYMMDDTHHMMSS.uuuuuuZ (fixed width: name order is time order).
 * BASE and KEY keep the bytes [A-Za-z0-9._-] and turn any other into '_'
 * (sysfs WWIDs may hold spaces, t10 ones any printable byte), and are cut
 * to 64 and 96 bytes, so a name always fits NAME_MAX.
 *
 * A name alone never proves whose a file is (sanitising and cutting can make
 * two sources' names equal, and anybody can create a file): a file belongs
 * to a source only when its name has the source's BASE-KEY- prefix and a
 * well-formed stamp, it loads and verifies as a backup (vmfs_backup_load),
 * and the key computed from its header (WWID, serial, source path recorded
 * there) is the source's key. vmfs-backup records the canonical absolute
 * path in the header, so that this holds.
 *
 * Return convention as in vmfs/backup/backup.h: VMFS_OK, or the status also stored
 * in *err (may be NULL). Nothing is printed. */
#ifndef VMFS_BACKUP_SET_H
#define VMFS_BACKUP_SET_H

#include "vmfs/backup/backup.h"
#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#define VMFS_BACKUP_SET_SUFFIX    ".vmfsbak"
#define VMFS_BACKUP_SET_STAMP_LEN 23u   /* YYYYMMDDTHHMMSS.uuuuuuZ */
#define VMFS_BACKUP_SET_BASE_MAX  64u
#define VMFS_BACKUP_SET_KEY_MAX   96u
/* BASE-KEY-: room for both and two dashes. */
#define VMFS_BACKUP_SET_PREFIX_MAX (VMFS_BACKUP_SET_BASE_MAX + VMFS_BACKUP_SET_KEY_MAX + 3u)
#define VMFS_BACKUP_SET_NAME_MAX   (VMFS_BACKUP_SET_PREFIX_MAX + VMFS_BACKUP_SET_STAMP_LEN + 8u)

/* The KEY of a source (see above) into out (at least
 * VMFS_BACKUP_SET_KEY_MAX + 1 bytes). wwid and serial may be NULL or "". */
void vmfs_backup_set_key(const char *wwid, const char *serial, const char *canonical_path, char *out);

/* "BASE-KEY-" of a source into out (VMFS_BACKUP_SET_PREFIX_MAX + 1 bytes). */
void vmfs_backup_set_prefix(const char *canonical_path, const char *wwid, const char *serial, char *out);

/* prefix + the stamp of `when` + ".vmfsbak" into out
 * (VMFS_BACKUP_SET_NAME_MAX + 1 bytes). */
void vmfs_backup_set_name(const char *prefix, const struct timespec *when, char *out);

/* True when name is prefix + a well-formed stamp + ".vmfsbak". */
bool vmfs_backup_set_name_matches(const char *name, const char *prefix);

/* A file whose name matches but that is not counted as the source's backup:
 * it does not verify, or its header names another source. Such files are
 * never removed. */
typedef struct vmfs_backup_set_other {
	char name[VMFS_BACKUP_SET_NAME_MAX + 1];
	char reason[256];
} vmfs_backup_set_other;

typedef struct vmfs_backup_set {
	char (*names)[VMFS_BACKUP_SET_NAME_MAX + 1]; /* the source's backups, oldest first */
	size_t count;
	vmfs_backup_set_other *others;                /* in name order */
	size_t num_others;
} vmfs_backup_set;

/* Lists the backups of the source whose prefix and key are given in dir:
 * every entry whose name matches prefix, is a regular file, verifies, and
 * whose header gives the same key. VMFS_ERR_IO when dir cannot be read
 * (err->path = dir), VMFS_ERR_NO_MEMORY. *out is always initialised. */
vmfs_status vmfs_backup_set_list(const char *dir, const char *prefix, const char *key, vmfs_backup_set *out,
				 vmfs_error *err);
void vmfs_backup_set_free(vmfs_backup_set *set);

/* Does backup b hold the same metadata as a: the same source size, sector
 * size, WWID, serial, vendor and model, and the same regions (kind, extent,
 * offset, length and SHA-256, in the same order)? Times, host, tool and
 * manifest are not compared (the manifest is derived from the regions). */
bool vmfs_backup_same_metadata(const vmfs_backup *a, const vmfs_backup *b);

#endif
