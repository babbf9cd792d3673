/* Live hosts (vmfs-inspect and vmfs-backup): every block device of the host
 * (--all), ESXi device names where a path is expected, and what each LUN
 * presents against the identity its VMFS headers record, as text and JSON.
 * The library does the reading and the comparing (vmfs/source/lun.h,
 * vmfs/source/resolve.h, vmfs/discover/snapshot.h); this is presentation and
 * the command lines a user pastes. */
#ifndef TOOLS_LIVE_H
#define TOOLS_LIVE_H

#include "vmfs/core/error.h"
#include "vmfs/discover/disk.h"
#include "vmfs/source/lun.h"
#include "vmfs/source/sysfs.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>

/* The roots every lookup takes: /sys and /dev, or another host's tree given
 * with --sysfs-root and --dev-root (documented for testing and for examining
 * a copied tree, where the nodes may be image files). */
typedef struct live_roots {
	const char *sysfs;
	const char *dev;
} live_roots;

/* The help lines of the two options, for usage(). */
#define LIVE_ROOTS_HELP \
	"      --sysfs-root DIR   read device attributes below DIR instead of /sys (testing, or\n" \
	"                         examining another host's tree)\n" \
	"      --dev-root DIR     device nodes and disk/by-id below DIR instead of /dev\n"

/* A PATH operand: an existing file as it is; otherwise an ESXi device name
 * (vml., naa., eui., t10., optional :N) becomes the local node that presents
 * it (the first path when several do; a note on stderr then). Fills out.
 * VMFS_ERR_NOT_FOUND, naming the operand, when a name matches no device;
 * VMFS_OK with out = arg for anything else (the open reports it). */
vmfs_status live_operand(const char *prog, const live_roots *roots, const char *arg, char *out, size_t len,
			 vmfs_error *err);

/* The operands argv[from..to) of a tool without --sysfs-root: each ESXi
 * device name replaced by the local node presenting it (/sys and /dev).
 * A name that names no device is said on stderr and left as it is, so that
 * the tool's own open reports it (in its JSON document too). */
void live_resolve_operands(const char *prog, char **argv, int from, int to);

/* One block device of --all. */
typedef struct live_device {
	char name[VMFS_LUN_NAME_MAX];
	char node[VMFS_LUN_PATH_MAX];
	bool skip;
	char skip_reason[200];   /* why it is not read: no medium, offline, no node */
} live_device;

/* Every whole disk of SYSFS/block, in order, with the ones not to read
 * marked: size 0 (no medium, a loop device with nothing attached), a SCSI
 * state other than "running" (an offline or blocked device may hang a read),
 * no node below DEVROOT. *list is malloc'ed. Fails when SYSFS/block cannot
 * be listed. */
vmfs_status live_all_devices(const live_roots *roots, live_device **list, size_t *count, vmfs_error *err);

/* What the LUN under path presents and, per VMFS device of disk, the
 * snapshot verdict with the re-point command and the ESXi-side alternative.
 * NULL (JSON) / nothing (text) when path is no block device known to sysfs.
 * *snapshots counts the devices found to be snapshots. */
json_object *live_lun_json(const live_roots *roots, const char *path, const vmfs_disk *disk, size_t *snapshots);
void live_lun_text(FILE *out, const live_roots *roots, const char *path, const vmfs_disk *disk, size_t *snapshots);

#endif
