/* JSON rendering. Keys are part of the tools' interface: add, never rename. */
#include "tools/common/report.h"

#include "tools/common/cli.h"
#include "tools/common/format.h"

#include <string.h>

static void put(json_object *obj, const char *key, json_object *value)
{
	json_object_object_add(obj, key, value);
}

static json_object *jstr(const char *text)
{
	char safe[1024];
	return json_object_new_string(fmt_safe_text(text, safe, sizeof(safe)));
}

static json_object *ju64(uint64_t v) { return json_object_new_uint64(v); }
static json_object *jbool(bool v) { return json_object_new_boolean(v); }

static json_object *jtime_us(uint64_t us)
{
	char text[48];
	return us ? json_object_new_string(fmt_time_us(us, text, sizeof(text))) : NULL;
}

static json_object *jtime_s(uint64_t s)
{
	char text[48];
	return s ? json_object_new_string(fmt_time_s(s, text, sizeof(text))) : NULL;
}

static json_object *joffset(uint64_t offset)
{
	return offset == VMFS_NO_OFFSET ? NULL : ju64(offset);
}

static json_object *findings_json(const vmfs_findings *findings)
{
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < findings->count; i++) {
		const vmfs_finding *f = &findings->items[i];
		json_object *o = json_object_new_object();
		put(o, "severity", json_object_new_string(vmfs_severity_name(f->severity)));
		put(o, "code", json_object_new_string(f->code));
		put(o, "offset", joffset(f->offset));
		put(o, "message", jstr(f->message));
		json_object_array_add(list, o);
	}
	return list;
}

static json_object *disk_id_json(const vmfs_disk_id *id)
{
	json_object *o = json_object_new_object();
	size_t len = id->len <= VMFS_DISK_ID_ID_MAX ? id->len : VMFS_DISK_ID_ID_MAX;
	char hex[2 * VMFS_DISK_ID_ID_MAX + 1], text[VMFS_DISK_ID_ID_MAX + 1], name[VMFS_IDENT_MAX_TEXT];
	put(o, "type", ju64(id->type));
	put(o, "type_name", json_object_new_string(vmfs_disk_id_type_name(id->type)));
	put(o, "len", ju64(id->len));
	put(o, "lun", ju64(id->lun));
	put(o, "device_type", ju64(id->device_type));
	put(o, "scsi_level", ju64(id->scsi_level));
	put(o, "vendor", jstr(id->vendor));
	put(o, "model", jstr(id->model));
	put(o, "revision", jstr(id->revision));
	/* id as text only for path and serial ids; NAA ids are binary. */
	if (id->type == VMFS_DISK_ID_PATH || id->type == VMFS_DISK_ID_SERIAL) {
		memcpy(text, id->id, len);
		text[len] = 0;
		put(o, "id", jstr(text));
	} else {
		put(o, "id", json_object_new_string(fmt_hex(id->id, len, hex, sizeof(hex))));
	}
	put(o, "id_hex", json_object_new_string(fmt_hex(id->id, len, hex, sizeof(hex))));
	put(o, "vml", vmfs_vml_from_disk_id(id, name, sizeof(name), NULL) == VMFS_OK ? json_object_new_string(name) : NULL);
	put(o, "canonical",
	    vmfs_canonical_from_disk_id(id, name, sizeof(name), NULL) == VMFS_OK ? json_object_new_string(name) : NULL);
	return o;
}

static json_object *volume_json(const vmfs_volume_slot *slot)
{
	const vmfs_volume_entry *v = &slot->entry;
	json_object *o = json_object_new_object();
	put(o, "index", ju64(slot->index));
	put(o, "offset", ju64(slot->entry_offset));
	put(o, "name", jstr(v->name));
	cli_json_put_uuid(o, "uuid", &v->lv_uuid, false);
	put(o, "snap_id", ju64(v->snap_id));
	put(o, "size", ju64(v->logical_size));
	put(o, "generation", ju64(v->generation));
	put(o, "state", ju64(v->state));
	put(o, "state_name", json_object_new_string(vmfs_volume_state_name(v->state)));
	put(o, "creation_time", jtime_us(v->creation_time_us));
	put(o, "mod_time", jtime_us(v->mod_time_us));
	put(o, "volume_id", ju64(v->volume_id));
	put(o, "num_pes", ju64(v->num_pes));
	put(o, "first_pe", ju64(v->first_pe));
	put(o, "last_pe", ju64(v->last_pe));
	put(o, "num_devs", ju64(v->num_devs));
	put(o, "consumed_pes", ju64(v->consumed_pes));
	return o;
}

static json_object *lvm_json(const vmfs_device *dev)
{
	const vmfs_lvm_header *h = &dev->lvm;
	json_object *o = json_object_new_object();
	put(o, "offset", ju64(dev->header_offset));
	put(o, "magic", ju64(h->magic));
	put(o, "major", ju64(h->major));
	put(o, "minor", ju64(h->minor));
	cli_json_put_uuid(o, "device_uuid", &h->device_uuid, false);
	put(o, "total_bytes", ju64(h->total_bytes));
	put(o, "disk_block_size", ju64(h->disk_block_size));
	put(o, "num_volumes", ju64(h->num_volumes));
	put(o, "num_pes", ju64(h->num_pes));
	put(o, "last_pe_index", ju64(h->last_pe_index));
	put(o, "generation", ju64(h->generation));
	put(o, "data_offset", ju64(h->data_offset));
	put(o, "init_time", jtime_us(h->init_time_us));
	put(o, "mod_time", jtime_us(h->mod_time_us));
	cli_json_put_uuid(o, "locked_by", &h->locked_by, true);
	put(o, "locked_when", jtime_us(h->locked_when_us));
	put(o, "num_pe_maps", ju64(h->num_pe_maps));
	put(o, "ext_metadata_offset", ju64(h->ext_metadata_offset));
	put(o, "md_alignment", ju64(h->md_alignment));
	put(o, "num_pes6", ju64(h->num_pes6));
	put(o, "flags", ju64(h->flags));
	put(o, "vmfs_l", jbool(h->flags & VMFS_LVM_FLAG_VMFS_L));
	put(o, "disk_id", disk_id_json(&h->disk_id));
	put(o, "volume", dev->primary ? volume_json(dev->primary) : NULL);

	json_object *table = json_object_new_array();
	for (size_t i = 0; i < dev->num_volumes; i++)
		json_object_array_add(table, volume_json(&dev->volumes[i]));
	put(o, "volume_table", table);

	json_object *names = json_object_new_array();
	for (size_t i = 0; i < dev->num_names; i++)
		json_object_array_add(names, jstr(dev->names[i].sd.name));
	put(o, "devices", names);

	json_object *extents = json_object_new_array();
	for (size_t i = 0; i < dev->num_extents; i++) {
		const vmfs_extent *x = &dev->extents[i];
		json_object *e = json_object_new_object();
		put(e, "map", ju64(x->map));
		put(e, "index", ju64(x->slot));
		put(e, "entry_offset", ju64(x->entry_offset));
		put(e, "pe_id", ju64(x->pe.pe_id));
		put(e, "volume_id", ju64(x->pe.volume_id));
		put(e, "logical_offset", ju64(x->pe.l_offset));
		put(e, "physical_offset", ju64(x->pe.p_offset));
		put(e, "absolute_offset", x->pe.p_offset <= UINT64_MAX - dev->offset ? ju64(dev->offset + x->pe.p_offset) : NULL);
		put(e, "length", ju64(x->pe.length));
		put(e, "version", ju64(x->pe.version));
		json_object_array_add(extents, e);
	}
	put(o, "extents", extents);

	json_object *regions = json_object_new_array();
	for (size_t i = 0; i < dev->num_regions; i++) {
		json_object *r = json_object_new_object();
		put(r, "offset", ju64(dev->regions[i].offset));
		put(r, "num_pe_maps", ju64(dev->regions[i].header.num_pe_maps));
		put(r, "data_offset", ju64(dev->regions[i].header.data_offset));
		put(r, "next_offset", ju64(dev->regions[i].header.next_offset));
		json_object_array_add(regions, r);
	}
	put(o, "ext_regions", regions);
	if (dev->has_layout) {
		json_object *l = json_object_new_object();
		put(l, "volume_table", ju64(dev->offset + dev->layout.volume_table));
		put(l, "sd_table", ju64(dev->offset + dev->layout.sd_table));
		put(l, "pe_bitmap", ju64(dev->offset + dev->layout.pe_maps));
		put(l, "pe_table", ju64(dev->offset + dev->layout.pe_maps + dev->layout.bitmap_size));
		put(o, "layout", l);
	}
	return o;
}

static json_object *config_flags_json(uint32_t config)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ VMFS_FS_CONFIG_DENSE_SBPC, "dense-sbpc" }, { VMFS_FS_CONFIG_MAINTENANCE, "maintenance" },
		{ VMFS_FS_CONFIG_LOCAL, "local" }, { VMFS_FS_CONFIG_SHARED, "shared-vsand" },
		{ VMFS_FS_CONFIG_OSDATA, "osdata" }, { VMFS_FS_CONFIG_VSAN, "vsan" },
	};
	json_object *list = json_object_new_array();
	json_object_array_add(list, json_object_new_string(vmfs_fs_mode_name(config)));
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (config & names[i].bit)
			json_object_array_add(list, json_object_new_string(names[i].name));
	return list;
}

static json_object *fs_json(const vmfs_device *dev)
{
	const vmfs_fs_descriptor *fs = &dev->fs;
	json_object *o = json_object_new_object();
	char text[64];
	const char *magic_name = vmfs_fs_magic_name(fs->magic);
	put(o, "offset", ju64(dev->fs_offset));
	put(o, "magic", ju64(fs->magic));
	put(o, "magic_name", json_object_new_string(magic_name ? magic_name : "unknown"));
	put(o, "major", ju64(fs->major));
	put(o, "minor", ju64(fs->minor));
	put(o, "version_string", json_object_new_string(vmfs_fs_version_string(fs, text, sizeof(text))));
	cli_json_put_uuid(o, "uuid", &fs->uuid, false);
	put(o, "config", ju64(fs->config));
	put(o, "config_flags", config_flags_json(fs->config));
	put(o, "label", jstr(fs->label));
	put(o, "label_terminated", jbool(fs->label_terminated));
	put(o, "disk_block_size", ju64(fs->disk_block_size));
	put(o, "block_size", ju64(fs->file_block_size));
	put(o, "sub_block_size", ju64(fs->sub_block_size));
	put(o, "creation_time", jtime_s(fs->creation_time));
	put(o, "snap_id", ju64(fs->snap_id));
	cli_json_put_uuid(o, "lv_uuid", &fs->lv_uuid, false);
	put(o, "lv_snap_id", ju64(fs->lv_snap_id));
	put(o, "fdc_cluster_group_offset", ju64(fs->fdc_cluster_group_offset));
	put(o, "fdc_clusters_per_group", ju64(fs->fdc_clusters_per_group));
	put(o, "max_journal_slots", ju64(fs->max_journal_slots));
	put(o, "pb2_vol_addr", ju64(fs->pb2_vol_addr));
	put(o, "pb2_fd_addr", ju64(fs->pb2_fd_addr));
	cli_json_put_uuid(o, "host_uuid", &fs->host_uuid, true);
	put(o, "gbl_generation", ju64(fs->gbl_generation));
	put(o, "sdd_vol_addr", ju64(fs->sdd_vol_addr));
	put(o, "sdd_fd_addr", ju64(fs->sdd_fd_addr));
	put(o, "unmap_priority", ju64(fs->unmap_priority));
	put(o, "phys_disk_block_size", ju64(fs->phys_disk_block_size));
	put(o, "md_alignment", ju64(fs->md_alignment));
	put(o, "journal_block_size", ju64(fs->journal_block_size));
	put(o, "lease_interval_ms", ju64(fs->lease_interval_ms));
	json_object *checksum = json_object_new_object();
	put(checksum, "type", ju64(fs->checksum_type));
	put(checksum, "gen", ju64(fs->checksum_gen));
	put(checksum, "value", ju64(fs->checksum_value));
	put(checksum, "value_gen", ju64(fs->checksum_value_gen));
	put(checksum, "status", json_object_new_string(vmfs_fs_checksum_status_of(fs) == VMFS_FS_CHECKSUM_NONE
						     ? "none" : "present-unverifiable"));
	put(o, "checksum", checksum);
	return o;
}

static json_object *device_json(const vmfs_device *dev)
{
	json_object *o = json_object_new_object();
	put(o, "offset", ju64(dev->offset));
	put(o, "partition", dev->partition_number ? ju64(dev->partition_number) : NULL);
	put(o, "in_partition_table", jbool(dev->in_partition_table));
	put(o, "kind", json_object_new_string(dev->has_lvm ? "lvm-device" : "lv-image"));
	put(o, "lvm", dev->has_lvm ? lvm_json(dev) : NULL);
	put(o, "fs", dev->has_fs ? fs_json(dev) : NULL);
	put(o, "findings", findings_json(&dev->findings));
	put(o, "findings_dropped", ju64(dev->findings.dropped));
	return o;
}

static json_object *copy_json(const vmfs_gpt_copy *c)
{
	json_object *o = json_object_new_object();
	put(o, "state", json_object_new_string(vmfs_copy_state_name(c->state)));
	put(o, "header_lba", ju64(c->header_lba));
	put(o, "disk_guid", c->state == VMFS_COPY_MISSING ? NULL : json_object_new_string(c->disk_guid));
	put(o, "problem", c->state == VMFS_COPY_OK ? NULL : jstr(c->problem));
	put(o, "problem_offset", c->state == VMFS_COPY_OK ? NULL : ju64(c->problem_offset));
	return o;
}

/* Each copy on its own: which one is intact is what a repair needs. */
static json_object *health_json(const vmfs_ptable *t)
{
	json_object *o = json_object_new_object();
	json_object *mbr = json_object_new_object();
	put(mbr, "state", json_object_new_string(vmfs_copy_state_name(t->mbr.state)));
	put(mbr, "protective", jbool(t->mbr.protective));
	put(mbr, "problem", t->mbr.state == VMFS_COPY_OK ? NULL : jstr(t->mbr.problem));
	put(o, "mbr", mbr);
	put(o, "gpt_primary", t->has_gpt ? copy_json(&t->gpt.primary) : NULL);
	put(o, "gpt_backup", t->has_gpt ? copy_json(&t->gpt.backup) : NULL);
	put(o, "gpt_copies_differ", t->has_gpt ? jbool(t->gpt.differ) : NULL);
	return o;
}

json_object *report_json(vmfs_source *src, const vmfs_disk *disk)
{
	json_object *root = json_object_new_object();
	json_object *source = json_object_new_object();
	put(source, "path", jstr(vmfs_source_path(src)));
	put(source, "size", ju64(vmfs_source_size(src)));
	put(source, "sector_size", ju64(disk->table.sector_size));
	put(source, "type", json_object_new_string(vmfs_source_kind_name(vmfs_source_kind_of(src))));
	put(root, "source", source);

	const vmfs_ptable *t = &disk->table;
	json_object *table = json_object_new_object();
	put(table, "type", json_object_new_string(t->label));
	put(table, "id", t->id[0] ? json_object_new_string(t->id) : NULL);
	put(table, "sector_size", ju64(t->sector_size));
	put(table, "first_lba", ju64(t->first_lba));
	put(table, "last_lba", ju64(t->last_lba));
	json_object *parts = json_object_new_array();
	for (size_t i = 0; i < t->count; i++) {
		const vmfs_partition *p = &t->parts[i];
		json_object *o = json_object_new_object();
		put(o, "number", ju64(p->number));
		put(o, "start", ju64(p->start));
		put(o, "size", ju64(p->size));
		put(o, "end", ju64(p->size ? p->start + p->size - 1 : p->start));
		put(o, "type", json_object_new_string(p->type));
		put(o, "type_name", jstr(p->type_name));
		put(o, "vmfs", jbool(p->vmfs));
		put(o, "past_end", jbool(p->past_end));
		put(o, "uuid", p->uuid[0] ? json_object_new_string(p->uuid) : NULL);
		put(o, "name", p->name[0] ? jstr(p->name) : NULL);
		json_object_array_add(parts, o);
	}
	put(table, "partitions", parts);
	put(table, "health", health_json(t));
	put(root, "partition_table", table);

	json_object *volumes = json_object_new_array();
	for (size_t i = 0; i < disk->num_devices; i++) {
		json_object *o = device_json(disk->devices[i]);
		const vmfs_found *f = &disk->found[i];
		put(o, "state", json_object_new_string(vmfs_found_state_name(f->state)));
		put(o, "state_reason", jstr(f->reason));
		put(o, "state_partition", f->number ? ju64(f->number) : NULL);
		put(o, "state_other_partition", f->other ? ju64(f->other) : NULL);
		char command[16384], note[256];
		bool has = report_expose_command(src, disk->devices[i], command, sizeof(command), note, sizeof(note));
		json_object *expose = json_object_new_object();
		put(expose, "command", has ? jstr(command) : NULL);
		put(expose, "note", note[0] ? jstr(note) : NULL);
		put(o, "expose", expose);
		json_object_array_add(volumes, o);
	}
	put(root, "volumes", volumes);
	json_object *scan = json_object_new_object();
	put(scan, "mode", json_object_new_string(!disk->scanned ? "none" : disk->deep ? "deep" : "probe"));
	put(scan, "candidates", ju64(disk->scan_candidates));
	put(scan, "bytes_read", ju64(disk->scan_bytes_read));
	put(scan, "data_bytes", ju64(disk->data_bytes));
	put(root, "scan", scan);
	put(root, "findings", findings_json(&disk->findings));
	put(root, "findings_dropped", ju64(disk->findings.dropped));
	return root;
}

json_object *report_json_ident(const char *text, const vmfs_ident *id)
{
	json_object *o = json_object_new_object();
	char hex[2 * VMFS_IDENT_MAX_PAYLOAD + 1];
	put(o, "input", jstr(text));
	put(o, "kind", json_object_new_string(vmfs_ident_kind_name(id->kind)));
	put(o, "partition", id->has_partition ? ju64(id->partition) : NULL);
	if (id->kind == VMFS_IDENT_VML) {
		put(o, "id_type", ju64(id->id_type));
		put(o, "id_type_name", json_object_new_string(vmfs_disk_id_type_name(id->id_type)));
		put(o, "device_type", ju64(id->device_type));
		put(o, "lun", ju64(id->lun));
		put(o, "payload_hex", json_object_new_string(fmt_hex(id->payload, id->payload_len, hex, sizeof(hex))));
		if (id->text_id[0])
			put(o, "text_id", jstr(id->text_id));
		if (id->id_type == VMFS_DISK_ID_NAA) {
			put(o, "designator", json_object_new_string(fmt_hex(id->designator, id->designator_len, hex, sizeof(hex))));
			put(o, "model_prefix", jstr(id->model_prefix));
		}
	}
	if (id->kind == VMFS_IDENT_NAA || id->kind == VMFS_IDENT_EUI ||
	    (id->kind == VMFS_IDENT_VML && id->id_type == VMFS_DISK_ID_NAA)) {
		if (id->kind != VMFS_IDENT_VML)
			put(o, "designator", json_object_new_string(fmt_hex(id->designator, id->designator_len, hex, sizeof(hex))));
		if (id->kind != VMFS_IDENT_EUI) {
			put(o, "naa_format", ju64(id->naa_format));
			put(o, "company_id", ju64(id->company_id));
		}
	}
	if (id->kind == VMFS_IDENT_VMHBA || id->kind == VMFS_IDENT_MPX) {
		put(o, "adapter", ju64(id->adapter));
		put(o, "channel", id->has_channel ? ju64(id->channel) : NULL);
		put(o, "target", ju64(id->target));
		put(o, "lun", ju64(id->path_lun));
	}
	if (id->kind == VMFS_IDENT_T10) {
		put(o, "vendor", jstr(id->t10_vendor));
		put(o, "rest", jstr(id->t10_rest));
	}
	put(o, "canonical", id->canonical[0] ? jstr(id->canonical) : NULL);
	return o;
}
