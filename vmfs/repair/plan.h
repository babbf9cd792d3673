/* What a partition-table rebuild would do (format reference 2.3, 2.4): for
 * every volume the scan found, whether the current table already holds it,
 * the entry that would hold it, and why a candidate is left out (stale header
 * of an older volume) or blocked (conflict with an existing partition). Pure
 * data: printing and writing live elsewhere. */
#ifndef VMFS_PLAN_H
#define VMFS_PLAN_H

#include "vmfs/core/error.h"
#include "vmfs/format/ptable.h"
#include "vmfs/discover/scan.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_plan_state {
	VMFS_PLAN_PRESENT,     /* the current table has exactly this entry */
	VMFS_PLAN_ADD,         /* an entry will be added */
	VMFS_PLAN_REPLACE,     /* an entry will replace a conflicting one (--force --replace N) */
	VMFS_PLAN_STALE,       /* left out: an older header inside or overlapping a newer volume */
	VMFS_PLAN_CONFLICT,    /* blocked: overlaps an existing partition */
	VMFS_PLAN_UNFIT,       /* left out: does not fit the disk or the table type */
	VMFS_PLAN_RETYPE,      /* the entry at the volume's start and size gets the VMFS type, GUID and name kept */
	VMFS_PLAN_RESIZE,      /* the VMFS entry at the volume's start is too short: grown into free space */
} vmfs_plan_state;

typedef struct vmfs_plan_entry {
	const vmfs_device *device; /* from the scan result (not owned) */
	vmfs_plan_state state;
	uint64_t start, size;      /* sectors of the plan's sector size */
	size_t number;             /* partition number to use / found */
	size_t other;              /* partition number it conflicts with / replaces, 0 if none */
	char reason[512];
} vmfs_plan_entry;

typedef struct vmfs_plan_options {
	const char *table;         /* "gpt", "dos" (or "mbr"), or NULL: keep / choose as ESXi would */
	bool force;
	size_t replace;            /* with force: the existing partition a proposal may replace */
} vmfs_plan_options;

typedef struct vmfs_plan {
	char label[8];             /* table type the result has: "gpt" or "dos" */
	bool new_label;            /* no usable table: a new one is created */
	unsigned sector_size;
	uint64_t disk_sectors;
	vmfs_plan_entry entries[VMFS_SCAN_MAX_HITS];
	size_t count;
	size_t changes;            /* entries whose state writes, and a GPT copy rebuild */
	bool blocked;              /* a conflict stops the write */
	char why_label[160];
	/* A new table (--table of another type) replaces the current one: every
	 * current entry it does not re-create disappears. Each is listed; any not
	 * named by --force --replace N blocks the plan (why_blocked). */
	struct vmfs_plan_drop {
		size_t number;
		uint64_t start, size;
		char type_name[64];
		bool allowed;      /* named by --force --replace N */
	} drops[16];
	size_t drop_count;     /* may exceed 16: only the first 16 are listed */
	char why_blocked[400];
	/* A kept GPT with one copy intact and the other missing or damaged: the
	 * damaged copy is rebuilt from the intact one (format reference 2.2),
	 * counted in changes. mbr_rebuild: its protective MBR is missing too. */
	bool gpt_rebuild;
	bool gpt_rebuild_primary;  /* the primary from the backup, else the backup from the primary */
	bool mbr_rebuild;
	char why_rebuild[640];
} vmfs_plan;

/* Builds the plan. Fails only on invalid options (VMFS_ERR_INVALID_ARG). */
vmfs_status vmfs_plan_make(const vmfs_source *src, const vmfs_ptable *current, const vmfs_scan_result *scan,
			   const vmfs_plan_options *options, vmfs_plan *out, vmfs_error *err);
/* The same over a list of decoded devices with LVM headers (the discovery
 * layer's, vmfs/discover/discover.h); the entries follow their order. At most
 * VMFS_SCAN_MAX_HITS devices are planned. */
vmfs_status vmfs_plan_make_devices(const vmfs_source *src, const vmfs_ptable *current,
				   const vmfs_device *const *devices, size_t count, const vmfs_plan_options *options,
				   vmfs_plan *out, vmfs_error *err);
const char *vmfs_plan_state_name(vmfs_plan_state state);
/* ADD, REPLACE, RETYPE, RESIZE: the entry changes the table. */
bool vmfs_plan_state_writes(vmfs_plan_state state);

#endif
