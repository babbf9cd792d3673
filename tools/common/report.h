/* Rendering of a vmfs_disk for people (text), scripts (JSON) and examiners
 * (annotated hex). Shared by every tool that shows volumes. */
#ifndef TOOLS_REPORT_H
#define TOOLS_REPORT_H

#include "vmfs/discover/disk.h"
#include "vmfs/format/ident.h"
#include "vmfs/source/source.h"

#include <json-c/json.h>
#include <stdio.h>

typedef struct report_options {
	size_t max_pe;          /* PE entries shown per device in text (JSON has all) */
	bool hex;               /* annotated hex dumps after each device */
} report_options;

/* JSON object with source, partition_table, volumes, findings (stable keys). */
json_object *report_json(vmfs_source *src, const vmfs_disk *disk);
json_object *report_json_ident(const char *text, const vmfs_ident *id);

void report_text(FILE *out, vmfs_source *src, const vmfs_disk *disk, const report_options *options);
void report_text_ident(FILE *out, const char *text, const vmfs_ident *id);

/* The read-only command (one shell line) that makes device dev of src a
 * block device of its own for other tools: `losetup --read-only` over the
 * partition's bytes of an image or device, after `ewfmount` for an E01 and
 * `qemu-nbd --read-only` for a VMDK. False with a note saying why when there
 * is none (a split raw set, a backup file). */
bool report_expose_command(vmfs_source *src, const vmfs_device *dev, char *out, size_t len, char *note,
			   size_t note_len);

/* Annotated hex dump of every field of a structure at an absolute offset. */
void report_hex_structure(FILE *out, vmfs_source *src, uint64_t offset, const vmfs_field_map *map);

#endif
