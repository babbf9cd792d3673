/* Human-readable report: every decoded field, with absolute offsets. */
#include "tools/common/report.h"

#include "tools/common/format.h"
#include "vmfs/core/le.h"

#include <inttypes.h>
#include <string.h>

#define HEX "0x%" PRIx64

static const char *uuid_line(const vmfs_uuid *uuid, char *out, size_t len)
{
	char text[VMFS_UUID_TEXT_LEN + 1], when[48], mac[24];
	uint8_t mac_bytes[6];
	if (vmfs_uuid_is_zero(uuid)) {
		snprintf(out, len, "(zero)");
		return out;
	}
	vmfs_uuid_mac(uuid, mac_bytes);
	snprintf(out, len, "%s  (time %s, MAC %s)", vmfs_uuid_format(uuid, text),
		 fmt_time_s(vmfs_uuid_time(uuid), when, sizeof(when)), fmt_mac(mac_bytes, mac, sizeof(mac)));
	return out;
}

static const char *time_us(uint64_t us, char *out, size_t len)
{
	if (!us)
		return "(unset)";
	return fmt_time_us(us, out, len);
}

static void print_findings(FILE *out, const char *indent, const vmfs_findings *findings)
{
	char safe[640];
	for (size_t i = 0; i < findings->count; i++) {
		const vmfs_finding *f = &findings->items[i];
		if (f->offset == VMFS_NO_OFFSET)
			fprintf(out, "%s%-7s %s: %s\n", indent, vmfs_severity_name(f->severity), f->code,
				fmt_safe_text(f->message, safe, sizeof(safe)));
		else
			fprintf(out, "%s%-7s %s at " HEX ": %s\n", indent, vmfs_severity_name(f->severity), f->code,
				f->offset, fmt_safe_text(f->message, safe, sizeof(safe)));
	}
	if (findings->dropped)
		fprintf(out, "%s(%zu more findings not recorded)\n", indent, findings->dropped);
}

static void print_disk_id(FILE *out, const vmfs_disk_id *id)
{
	char safe[256], name[VMFS_IDENT_MAX_TEXT], hex[2 * VMFS_DISK_ID_ID_MAX + 1];
	size_t len = id->len <= VMFS_DISK_ID_ID_MAX ? id->len : VMFS_DISK_ID_ID_MAX;
	fprintf(out, "    disk id:          type %u (%s), LUN %u, device type %u, SCSI level %u\n", id->type,
		vmfs_disk_id_type_name(id->type), id->lun, id->device_type, id->scsi_level);
	fprintf(out, "      vendor/model:   \"%s\" ", fmt_safe_text(id->vendor, safe, sizeof(safe)));
	fprintf(out, "\"%s\" ", fmt_safe_text(id->model, safe, sizeof(safe)));
	fprintf(out, "rev \"%s\"\n", fmt_safe_text(id->revision, safe, sizeof(safe)));
	if (id->type == VMFS_DISK_ID_PATH || id->type == VMFS_DISK_ID_SERIAL) {
		char text[VMFS_DISK_ID_ID_MAX + 1];
		memcpy(text, id->id, len);
		text[len] = 0;
		fprintf(out, "      id:             \"%s\" (%u bytes)\n", fmt_safe_text(text, safe, sizeof(safe)), id->len);
	} else {
		fprintf(out, "      id:             %s (%u bytes)\n", fmt_hex(id->id, len, hex, sizeof(hex)), id->len);
	}
	if (vmfs_vml_from_disk_id(id, name, sizeof(name), NULL) == VMFS_OK)
		fprintf(out, "      vml name:       %s\n", name);
	if (vmfs_canonical_from_disk_id(id, name, sizeof(name), NULL) == VMFS_OK)
		fprintf(out, "      device name:    %s\n", name);
}

static void print_lvm(FILE *out, const vmfs_device *dev, const report_options *options)
{
	const vmfs_lvm_header *h = &dev->lvm;
	char line[160], when[48], size[32];
	fprintf(out, "  LVM device header at " HEX "\n", dev->header_offset);
	fprintf(out, "    magic:            0x%08" PRIx32 "\n", h->magic);
	fprintf(out, "    LVM version:      %" PRIu32 ".%" PRIu32 "%s\n", h->major, h->minor,
		h->flags & VMFS_LVM_FLAG_VMFS_L ? " (VMFS-L)" : "");
	fprintf(out, "    device UUID:      %s\n", uuid_line(&h->device_uuid, line, sizeof(line)));
	print_disk_id(out, &h->disk_id);
	fprintf(out, "    disk block size:  %" PRIu32 "\n", h->disk_block_size);
	fprintf(out, "    total bytes:      %" PRIu64 " (%s", h->total_bytes, fmt_size(h->total_bytes, size, sizeof(size)));
	if (h->disk_block_size)
		fprintf(out, ", %" PRIu64 " sectors", h->total_bytes / h->disk_block_size);
	fprintf(out, ")\n");
	fprintf(out, "    volumes:          %" PRIu32 "\n", h->num_volumes);
	fprintf(out, "    PEs:              %" PRIu32 " (last index %" PRIu32 ")\n", h->num_pes, h->last_pe_index);
	fprintf(out, "    generation:       %" PRIu64 "\n", h->generation);
	fprintf(out, "    data offset:      " HEX " (absolute " HEX ")\n", h->data_offset, dev->offset + h->data_offset);
	fprintf(out, "    created:          %s\n", time_us(h->init_time_us, when, sizeof(when)));
	fprintf(out, "    modified:         %s\n", time_us(h->mod_time_us, when, sizeof(when)));
	if (vmfs_uuid_is_zero(&h->locked_by))
		fprintf(out, "    lock:             free\n");
	else
		fprintf(out, "    lock:             held by %s since %s\n", uuid_line(&h->locked_by, line, sizeof(line)),
			time_us(h->locked_when_us, when, sizeof(when)));
	fprintf(out, "    PE maps:          %" PRIu32 "%s\n", h->num_pe_maps, h->num_pe_maps == 0 ? " (read as 1)" : "");
	fprintf(out, "    ext. metadata:    " HEX "%s\n", h->ext_metadata_offset, h->ext_metadata_offset ? "" : " (none)");
	fprintf(out, "    md alignment:     %" PRIu32 "\n", h->md_alignment);
	fprintf(out, "    numPEs6:          %" PRIu32 "\n", h->num_pes6);
	fprintf(out, "    flags:            0x%" PRIx32 "\n", h->flags);
	if (dev->has_layout)
		fprintf(out, "    tables at:        volumes " HEX ", device names " HEX ", PE bitmap " HEX ", PE table " HEX "\n",
			dev->offset + dev->layout.volume_table, dev->offset + dev->layout.sd_table,
			dev->offset + dev->layout.pe_maps, dev->offset + dev->layout.pe_maps + dev->layout.bitmap_size);

	for (size_t i = 0; i < dev->num_volumes; i++) {
		const vmfs_volume_slot *s = &dev->volumes[i];
		const vmfs_volume_entry *v = &s->entry;
		char safe[160];
		fprintf(out, "  Volume table entry %" PRIu32 " at " HEX "\n", s->index, s->entry_offset);
		fprintf(out, "    name:             \"%s\"\n", fmt_safe_text(v->name, safe, sizeof(safe)));
		fprintf(out, "    LV UUID:          %s\n", uuid_line(&v->lv_uuid, line, sizeof(line)));
		fprintf(out, "    snap id:          %" PRIu32 "\n", v->snap_id);
		fprintf(out, "    size:             %" PRIu64 " (%s)\n", v->logical_size, fmt_size(v->logical_size, size, sizeof(size)));
		fprintf(out, "    generation:       %" PRIu64 "\n", v->generation);
		fprintf(out, "    state:            %" PRIu32 " (%s)\n", v->state, vmfs_volume_state_name(v->state));
		fprintf(out, "    created:          %s\n", time_us(v->creation_time_us, when, sizeof(when)));
		fprintf(out, "    modified:         %s\n", time_us(v->mod_time_us, when, sizeof(when)));
		fprintf(out, "    volume id:        %" PRIu32 "\n", v->volume_id);
		fprintf(out, "    PEs:              %" PRIu32 " (first %" PRIu64 ", last %" PRIu64 ", consumed %" PRIu32 ")\n",
			v->num_pes, v->first_pe, v->last_pe, v->consumed_pes);
		fprintf(out, "    devices:          %" PRIu32 "\n", v->num_devs);
	}
	if (dev->num_names) {
		char safe[600];
		fprintf(out, "  Device names (SD table)\n");
		for (size_t i = 0; i < dev->num_names; i++)
			fprintf(out, "    [%" PRIu32 "] %s\n", dev->names[i].index,
				fmt_safe_text(dev->names[i].sd.name, safe, sizeof(safe)));
	}
	if (dev->num_extents) {
		fprintf(out, "  Physical extents (%zu in use)\n", dev->num_extents);
		fprintf(out, "    %-9s %-6s %-4s %-14s %-14s %-14s %s\n", "map/slot", "PE", "vol", "LV offset",
			"part. offset", "absolute", "length");
		for (size_t i = 0; i < dev->num_extents && i < options->max_pe; i++) {
			const vmfs_extent *x = &dev->extents[i];
			char slot[24];
			snprintf(slot, sizeof(slot), "%" PRIu32 "/%" PRIu32, x->map, x->slot);
			fprintf(out, "    %-9s %-6" PRIu32 " %-4" PRIu32 " 0x%-12" PRIx64 " 0x%-12" PRIx64 " 0x%-12" PRIx64
				" 0x%" PRIx64 " (%s)\n", slot, x->pe.pe_id, x->pe.volume_id, x->pe.l_offset, x->pe.p_offset,
				dev->offset + x->pe.p_offset, x->pe.length, fmt_size(x->pe.length, size, sizeof(size)));
		}
		if (dev->num_extents > options->max_pe)
			fprintf(out, "    ... %zu more (use --max-pe or --json)\n", dev->num_extents - options->max_pe);
	}
	for (size_t i = 0; i < dev->num_regions; i++)
		fprintf(out, "  Extended metadata region at " HEX ": %" PRIu32 " PE maps, data " HEX ", next " HEX "\n",
			dev->regions[i].offset, dev->regions[i].header.num_pe_maps, dev->regions[i].header.data_offset,
			dev->regions[i].header.next_offset);
}

static void print_fs(FILE *out, const vmfs_device *dev)
{
	const vmfs_fs_descriptor *fs = &dev->fs;
	char line[160], when[48], version[48], safe[640], size[32];
	const char *magic = vmfs_fs_magic_name(fs->magic);
	fprintf(out, "  File-system descriptor at " HEX " (LV offset 0x200000)\n", dev->fs_offset);
	fprintf(out, "    magic:            0x%08" PRIx32 " (%s)\n", fs->magic, magic ? magic : "unknown");
	fprintf(out, "    version:          %s (major %" PRIu32 ", minor %u)\n",
		vmfs_fs_version_string(fs, version, sizeof(version)), fs->major, fs->minor);
	fprintf(out, "    UUID:             %s\n", uuid_line(&fs->uuid, line, sizeof(line)));
	fprintf(out, "    label:            \"%s\"%s\n", fmt_safe_text(fs->label, safe, sizeof(safe)),
		fs->label_terminated ? "" : " (not terminated)");
	fprintf(out, "    config:           0x%" PRIx32 " (%s%s%s%s%s%s%s)\n", fs->config, vmfs_fs_mode_name(fs->config),
		fs->config & VMFS_FS_CONFIG_DENSE_SBPC ? ", dense-sbpc" : "",
		fs->config & VMFS_FS_CONFIG_MAINTENANCE ? ", maintenance" : "",
		fs->config & VMFS_FS_CONFIG_LOCAL ? ", local" : "", fs->config & VMFS_FS_CONFIG_SHARED ? ", shared-vsand" : "",
		fs->config & VMFS_FS_CONFIG_OSDATA ? ", osdata" : "", fs->config & VMFS_FS_CONFIG_VSAN ? ", vsan" : "");
	fprintf(out, "    block size:       %" PRIu64 " (%s)\n", fs->file_block_size, fmt_size(fs->file_block_size, size, sizeof(size)));
	fprintf(out, "    sub-block size:   %" PRIu32 "\n", fs->sub_block_size);
	fprintf(out, "    disk block size:  %" PRIu32 "%s\n", fs->disk_block_size, "");
	fprintf(out, "    created:          %s\n", fs->creation_time ? fmt_time_s(fs->creation_time, when, sizeof(when)) : "(unset)");
	fprintf(out, "    snap id:          %" PRIu32 "\n", fs->snap_id);
	fprintf(out, "    LVM volume:       %s snap %" PRIu32 "\n", uuid_line(&fs->lv_uuid, line, sizeof(line)), fs->lv_snap_id);
	fprintf(out, "    FDC:              group offset 0x%" PRIx32 ", %" PRIu32 " clusters per group\n",
		fs->fdc_cluster_group_offset, fs->fdc_clusters_per_group);
	fprintf(out, "    journal slots:    %" PRIu32 "\n", fs->max_journal_slots);
	if (!vmfs_uuid_is_zero(&fs->host_uuid))
		fprintf(out, "    host UUID:        %s\n", uuid_line(&fs->host_uuid, line, sizeof(line)));
	if (fs->pb2_vol_addr || fs->sdd_vol_addr)
		fprintf(out, "    .pb2.sf / .sdd.sf: LV " HEX " (FD 0x%08" PRIx32 ") / LV " HEX " (FD 0x%08" PRIx32 ")\n",
			fs->pb2_vol_addr, fs->pb2_fd_addr, fs->sdd_vol_addr, fs->sdd_fd_addr);
	if (fs->md_alignment || fs->phys_disk_block_size)
		fprintf(out, "    VMFS6 metadata:   md alignment %" PRIu32 ", physical block %" PRIu32
			", journal block 0x%" PRIx32 ", lease %" PRIu32 " ms, unmap priority %u\n",
			fs->md_alignment, fs->phys_disk_block_size, fs->journal_block_size, fs->lease_interval_ms,
			fs->unmap_priority);
	if (vmfs_fs_checksum_status_of(fs) == VMFS_FS_CHECKSUM_NONE)
		fprintf(out, "    checksum:         none (type 0, all checksum words zero)\n");
	else
		fprintf(out, "    checksum:         type %u, gen 0x%" PRIx64 ", value 0x%" PRIx64
			": present, not verifiable (algorithm unknown)\n", fs->checksum_type, fs->checksum_gen, fs->checksum_value);
}

static void print_device_hex(FILE *out, vmfs_source *src, const vmfs_device *dev, size_t max_pe)
{
	if (dev->has_lvm) {
		report_hex_structure(out, src, dev->header_offset, &vmfs_lvm_header_map);
		for (size_t i = 0; i < dev->num_volumes; i++)
			report_hex_structure(out, src, dev->volumes[i].entry_offset, &vmfs_volume_entry_map);
		for (size_t i = 0; i < dev->num_extents && i < max_pe; i++)
			report_hex_structure(out, src, dev->extents[i].entry_offset, &vmfs_pe_entry_map);
	}
	if (dev->has_fs)
		report_hex_structure(out, src, dev->fs_offset, &vmfs_fs_descriptor_map);
}

void report_text(FILE *out, vmfs_source *src, const vmfs_disk *disk, const report_options *options)
{
	char size[32], safe[1100];
	const vmfs_ptable *t = &disk->table;
	fprintf(out, "Source: %s (%s, %" PRIu64 " bytes = %s, %u-byte sectors)\n",
		fmt_safe_text(vmfs_source_path(src), safe, sizeof(safe)),
		vmfs_source_kind_name(vmfs_source_kind_of(src)), vmfs_source_size(src),
		fmt_size(vmfs_source_size(src), size, sizeof(size)), t->sector_size);
	if (strcmp(t->label, "none") == 0) {
		fprintf(out, "Partition table: none\n");
	} else {
		fprintf(out, "Partition table: %s, id %s", t->label, t->id[0] ? t->id : "(none)");
		if (strcmp(t->label, "gpt") == 0)
			fprintf(out, ", usable sectors %" PRIu64 "..%" PRIu64, t->first_lba, t->last_lba);
		fprintf(out, "\n  %-3s %-12s %-12s %-12s %-10s %s\n", "#", "start", "end", "sectors", "size", "type");
		for (size_t i = 0; i < t->count; i++) {
			const vmfs_partition *p = &t->parts[i];
			fprintf(out, "  %-3zu %-12" PRIu64 " %-12" PRIu64 " %-12" PRIu64 " %-10s %s (%s)%s%s\n", p->number,
				p->start, p->size ? p->start + p->size - 1 : p->start, p->size,
				fmt_size(p->size * t->sector_size, size, sizeof(size)), p->type, p->type_name,
				p->vmfs ? "  [VMFS]" : "", p->past_end ? "  [past end of source]" : "");
		}
	}
	print_findings(out, "  ", &disk->findings);
	for (size_t i = 0; i < disk->num_devices; i++) {
		const vmfs_device *dev = disk->devices[i];
		fprintf(out, "\n");
		if (!dev->has_lvm)
			fprintf(out, "Logical-volume image (no LVM header): descriptor at " HEX "\n", dev->fs_offset);
		else if (dev->offset == 0 && vmfs_findings_has(&dev->findings, "partition-image"))
			fprintf(out, "VMFS partition image: the source starts at the partition (LVM header at 0x100000)\n");
		else if (dev->in_partition_table)
			fprintf(out, "VMFS device in partition %zu at " HEX " (sector %" PRIu64 ")\n", dev->partition_number,
				dev->offset, dev->offset / t->sector_size);
		else
			fprintf(out, "VMFS device at " HEX " (sector %" PRIu64 "), not in the partition table\n", dev->offset,
				dev->offset / t->sector_size);
		fprintf(out, "  State: %s%s%s\n", vmfs_found_state_name(disk->found[i].state), disk->found[i].reason[0] ? ": " : "",
			fmt_safe_text(disk->found[i].reason, safe, sizeof(safe)));
		static char command[16384], command_safe[4 * sizeof(command)];
		char note[256];
		if (report_expose_command(src, dev, command, sizeof(command), note, sizeof(note)))
			fprintf(out, "  Read-only block device of it for other tools: %s\n",
				fmt_safe_text(command, command_safe, sizeof(command_safe)));
		else
			fprintf(out, "  Read-only block device of it for other tools: none (%s)\n", note);
		if (dev->has_lvm)
			print_lvm(out, dev, options);
		if (dev->has_fs)
			print_fs(out, dev);
		else if (dev->fs_located)
			fprintf(out, "  File-system descriptor: not found at " HEX "\n", dev->fs_offset);
		if (dev->findings.count) {
			fprintf(out, "  Findings\n");
			print_findings(out, "    ", &dev->findings);
		} else {
			fprintf(out, "  Findings: none\n");
		}
		if (options->hex)
			print_device_hex(out, src, dev, options->max_pe);
	}
}

void report_text_ident(FILE *out, const char *text, const vmfs_ident *id)
{
	char safe[VMFS_IDENT_MAX_TEXT * 4 + 8], hex[2 * VMFS_IDENT_MAX_PAYLOAD + 1];
	fprintf(out, "%s\n", fmt_safe_text(text, safe, sizeof(safe)));
	fprintf(out, "  kind:             %s\n", vmfs_ident_kind_name(id->kind));
	if (id->kind == VMFS_IDENT_VML) {
		fprintf(out, "  id type:          %u (%s)\n", id->id_type, vmfs_disk_id_type_name(id->id_type));
		fprintf(out, "  device type:      %u%s\n", id->device_type, id->device_type == 0 ? " (disk)" : "");
		fprintf(out, "  LUN:              %u\n", id->lun);
		fprintf(out, "  id bytes:         %s\n", fmt_hex(id->payload, id->payload_len, hex, sizeof(hex)));
		if (id->text_id[0])
			fprintf(out, "  id text:          \"%s\"\n", fmt_safe_text(id->text_id, safe, sizeof(safe)));
		if (id->id_type == VMFS_DISK_ID_NAA) {
			fprintf(out, "  NAA designator:   %s (NAA type %u, company id 0x%06" PRIx32 ")\n",
				fmt_hex(id->designator, id->designator_len, hex, sizeof(hex)), id->naa_format, id->company_id);
			fprintf(out, "  model prefix:     \"%s\"\n", fmt_safe_text(id->model_prefix, safe, sizeof(safe)));
		}
	} else if (id->kind == VMFS_IDENT_NAA) {
		fprintf(out, "  designator:       %s (NAA type %u, company id 0x%06" PRIx32 ")\n",
			fmt_hex(id->designator, id->designator_len, hex, sizeof(hex)), id->naa_format, id->company_id);
	} else if (id->kind == VMFS_IDENT_EUI) {
		fprintf(out, "  designator:       %s\n", fmt_hex(id->designator, id->designator_len, hex, sizeof(hex)));
	} else if (id->kind == VMFS_IDENT_VMHBA || id->kind == VMFS_IDENT_MPX) {
		fprintf(out, "  adapter:          vmhba%" PRIu32 "\n", id->adapter);
		if (id->has_channel)
			fprintf(out, "  channel:          %" PRIu32 "\n", id->channel);
		fprintf(out, "  target:           %" PRIu32 "\n  LUN:              %" PRIu32 "\n", id->target, id->path_lun);
	} else if (id->kind == VMFS_IDENT_T10) {
		fprintf(out, "  vendor:           \"%s\"\n", fmt_safe_text(id->t10_vendor, safe, sizeof(safe)));
		fprintf(out, "  rest:             \"%s\"\n", fmt_safe_text(id->t10_rest, safe, sizeof(safe)));
	}
	if (id->has_partition)
		fprintf(out, "  partition:        %" PRIu32 "%s\n", id->partition, id->partition == 0 ? " (whole disk)" : "");
	else
		fprintf(out, "  partition:        none (whole device)\n");
	if (id->canonical[0])
		fprintf(out, "  canonical name:   %s\n", fmt_safe_text(id->canonical, safe, sizeof(safe)));
}
