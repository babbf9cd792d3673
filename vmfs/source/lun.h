/* What a LUN presents to this host, read from sysfs as the kernel exports it
 * (Documentation/ABI/testing/sysfs-block, -bus-scsi): the SCSI address
 * H:C:T:L (the name of the disk's device/ link) with its LUN number, the
 * INQUIRY vendor, model and revision, the peripheral device type and SCSI
 * level, the WWID, and the designators of VPD page 0x83 (device/vpd_pg83,
 * the page as the device returned it, binary). This is the "now" side of
 * the snapshot check (vmfs/discover/snapshot.h); the stored side is the LVM
 * diskID block (format reference 3.2).
 *
 * Every function takes the sysfs root (VMFS_SYSFS_ROOT, "/sys") and the
 * device-node root (VMFS_DEV_ROOT, "/dev") so that tests, and an examiner
 * looking at another host's tree, can point them elsewhere: a node below the
 * device root may then be a regular image file standing for the disk.
 *
 * Reads only, never blocks on a planted FIFO (O_NONBLOCK, regular files
 * only), and trusts nothing read: every attribute is bounded to one page,
 * every VPD descriptor length is checked against the page. Nothing is
 * printed. */
#ifndef VMFS_LUN_H
#define VMFS_LUN_H

#include "vmfs/core/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMFS_DEV_ROOT "/dev"

#define VMFS_LUN_NAME_MAX     64u   /* a kernel block device name ("sdb", "nvme0n1") */
#define VMFS_LUN_PATH_MAX     4096u
#define VMFS_LUN_TEXT_MAX     256u  /* wwid, state */
#define VMFS_VPD83_MAX_ITEMS  16u   /* designators kept; the rest are counted */
#define VMFS_VPD83_ITEM_MAX   255u  /* a designator length is one byte (SPC) */
#define VMFS_LUN_MAX_DEVICES  1024u /* block devices one listing returns */

/* Designator types of VPD page 0x83 (SPC-3 7.6.3.1, table "designator type"). */
enum vmfs_designator_type {
	VMFS_DESIG_VENDOR = 0,
	VMFS_DESIG_T10 = 1,      /* T10 vendor id: 8-byte vendor + vendor-specific text */
	VMFS_DESIG_EUI64 = 2,
	VMFS_DESIG_NAA = 3,
	VMFS_DESIG_REL_PORT = 4,
	VMFS_DESIG_PORT_GROUP = 5,
	VMFS_DESIG_LU_GROUP = 6,
	VMFS_DESIG_MD5 = 7,
	VMFS_DESIG_SCSI_NAME = 8,
};
/* Association: what the designator names (0 = the logical unit itself). */
#define VMFS_DESIG_ASSOC_LU 0u

typedef struct vmfs_designator {
	uint32_t offset;         /* of the descriptor in the page */
	uint8_t protocol;        /* byte 0 bits 7..4 */
	uint8_t code_set;        /* byte 0 bits 3..0: 1 binary, 2 ASCII, 3 UTF-8 */
	bool piv;                /* byte 1 bit 7 */
	uint8_t association;     /* byte 1 bits 5..4 */
	uint8_t type;            /* byte 1 bits 3..0 */
	uint8_t len;             /* byte 3 */
	uint8_t bytes[VMFS_VPD83_ITEM_MAX];
} vmfs_designator;

typedef struct vmfs_vpd83 {
	uint8_t device_type;     /* byte 0 bits 4..0: peripheral device type */
	uint8_t qualifier;       /* byte 0 bits 7..5 */
	size_t count;
	size_t dropped;          /* well-formed descriptors beyond VMFS_VPD83_MAX_ITEMS */
	vmfs_designator items[VMFS_VPD83_MAX_ITEMS];
} vmfs_vpd83;

/* Decodes VPD page 0x83 (SPC-3 7.6.3): byte 1 = 0x83, bytes 2..3 the page
 * length (big-endian, as all SCSI fields), then designation descriptors of 4
 * header bytes + length. A page shorter than its length field says, or a
 * descriptor that runs past the page, fails with VMFS_ERR_TRUNCATED (offset
 * in the page); a wrong page code with VMFS_ERR_FORMAT. err->path = path. */
vmfs_status vmfs_vpd83_parse(const uint8_t *page, size_t len, const char *path, vmfs_vpd83 *out, vmfs_error *err);

/* The first designator of the logical unit (association 0) of that type,
 * whose length is right for it (NAA: 8 or 16 bytes as its format nibble
 * says; EUI-64: 8, 12 or 16), or NULL. */
const vmfs_designator *vmfs_vpd83_find(const vmfs_vpd83 *page, uint8_t type);

/* ESXi's canonical name for a designator (format reference 8.3):
 * "naa.<lowercase hex>", "eui.<lowercase hex>", or for a T10 vendor id
 * "t10." + the text with every space as '_'. "" when the designator is not
 * one of those or its text is not printable ASCII. */
void vmfs_designator_name(const vmfs_designator *d, char *out, size_t len);

typedef struct vmfs_lun {
	char name[VMFS_LUN_NAME_MAX];        /* kernel name of the whole disk, "sdb" */
	char node[VMFS_LUN_PATH_MAX];        /* DEVROOT/name ('!' in the name as '/') */
	char sysfs_dir[VMFS_LUN_PATH_MAX];   /* resolved SYSFS/block/name */
	unsigned major, minor;               /* from its "dev" attribute; has_dev */
	bool has_dev;
	uint64_t size;                       /* bytes: "size" (512-byte units) x 512 */
	bool has_size;
	bool removable;
	bool scsi;                           /* it has a device/ link (a SCSI device) */
	bool has_hctl;                       /* the device/ link is named H:C:T:L */
	uint32_t host, channel, target;
	uint64_t lun;                        /* the LUN number the device is presented as */
	char state[VMFS_LUN_TEXT_MAX];       /* device/state: "running", "offline", ... ("" unknown) */
	/* INQUIRY strings as the kernel shows them, space padded to their
	 * width (vendor 8, model 16, revision 4); trimmed copies for display.
	 * Non-printable bytes make inquiry_printable false. */
	char vendor_padded[9], model_padded[17], revision_padded[5];
	char vendor[9], model[17], revision[5];
	bool has_inquiry;
	bool inquiry_printable;
	bool has_type;
	uint8_t device_type;                 /* device/type */
	bool has_scsi_level;
	uint8_t scsi_level;                  /* device/scsi_level: ANSI version + 1, as the diskID */
	char wwid[VMFS_LUN_TEXT_MAX];        /* device/wwid, or wwid (NVMe); printable ASCII only */
	bool has_vpd83;                      /* device/vpd_pg83 exists and decodes */
	vmfs_vpd83 vpd83;
	char vpd83_problem[320];             /* why a present page did not decode, else "" */
} vmfs_lun;

/* The whole disks SYSFS/block holds (partitions are below them), sorted
 * (sda < sdb < sdaa), at most max; *total is how many there are. Names that
 * do not fit VMFS_LUN_NAME_MAX or hold '/' or start with '.' are left out.
 * VMFS_ERR_IO when SYSFS/block cannot be listed (err->path names it). */
vmfs_status vmfs_lun_list(const char *sysfs_root, char (*names)[VMFS_LUN_NAME_MAX], size_t max, size_t *count,
			  size_t *total, vmfs_error *err);

/* Reads what disk `name` presents (see vmfs_lun). A missing attribute leaves
 * its field unknown; a VPD page that does not decode leaves has_vpd83 false
 * and says why in vpd83_problem. VMFS_ERR_NOT_FOUND when SYSFS/block/name is
 * not there, VMFS_ERR_INVALID_ARG for a name with '/' or "..". */
vmfs_status vmfs_lun_read(const char *sysfs_root, const char *dev_root, const char *name, vmfs_lun *out,
			  vmfs_error *err);

/* The disk name and node of partition `number` of disk `name` (a directory
 * below SYSFS/block/name whose "partition" attribute is number). False when
 * there is none. */
bool vmfs_lun_partition(const char *sysfs_root, const char *dev_root, const char *name, unsigned number,
			char *part_name, size_t name_len, char *node, size_t node_len);

/* Which listed disk `path` is, or a partition of: a block device by its
 * device number (SYSFS/dev/block/MAJ:MIN), anything else by being the same
 * file as DEVROOT/name or DEVROOT/partition-name (a tree of image files).
 * Fills disk (the disk's name) and *partition (0 for the whole disk).
 * False when path is none of them. */
bool vmfs_lun_of_path(const char *sysfs_root, const char *dev_root, const char *path, char *disk, size_t len,
		      unsigned *partition);

#endif
