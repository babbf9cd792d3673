/* Decoders for the LVM device header and tables (format reference 3 and 4). */
#include "vmfs/format/lvm.h"

#include "vmfs/core/le.h"

#include <string.h>

void vmfs_disk_id_decode(const uint8_t *block, vmfs_disk_id *out)
{
	memset(out, 0, sizeof(*out));
	out->type = block[VMFS_DISKID_OFF_TYPE];
	out->len = block[VMFS_DISKID_OFF_LEN];
	out->lun = vmfs_le16(block + VMFS_DISKID_OFF_LUN);
	out->device_type = block[VMFS_DISKID_OFF_DEVICE_TYPE];
	out->scsi_level = block[VMFS_DISKID_OFF_SCSI_LEVEL];
	/* INQUIRY strings are space padded, not NUL terminated (3.2). */
	vmfs_text_copy(out->vendor, block + VMFS_DISKID_OFF_VENDOR, 8);
	vmfs_text_copy(out->model, block + VMFS_DISKID_OFF_MODEL, 16);
	vmfs_text_copy(out->revision, block + VMFS_DISKID_OFF_REVISION, 4);
	memcpy(out->id, block + VMFS_DISKID_OFF_ID, VMFS_DISK_ID_ID_MAX);
}

vmfs_status vmfs_lvm_header_decode(const uint8_t *buf, size_t len, vmfs_lvm_header *out,
				   vmfs_error *err)
{
	if (len < VMFS_LVM_HEADER_DEFINED)
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, NULL, len,
				      "LVM device header needs %u bytes, only %zu available",
				      VMFS_LVM_HEADER_DEFINED, len);
	memset(out, 0, sizeof(*out));
	out->magic = vmfs_le32(buf + VMFS_LVM_OFF_MAGIC);
	if (out->magic != VMFS_LVM_MAGIC)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, NULL, VMFS_LVM_OFF_MAGIC,
				      "no LVM device header: magic 0x%08x, expected 0x%08x",
				      out->magic, VMFS_LVM_MAGIC);
	out->major = vmfs_le32(buf + VMFS_LVM_OFF_MAJOR);
	out->minor = vmfs_le32(buf + VMFS_LVM_OFF_MINOR);
	vmfs_disk_id_decode(buf + VMFS_LVM_OFF_DISK_ID, &out->disk_id);
	out->disk_block_size = vmfs_le32(buf + VMFS_LVM_OFF_DISK_BLOCK_SIZE);
	out->total_bytes = vmfs_le64(buf + VMFS_LVM_OFF_TOTAL_BYTES);
	out->num_volumes = vmfs_le32(buf + VMFS_LVM_OFF_NUM_VOLUMES);
	out->num_pes = vmfs_le32(buf + VMFS_LVM_OFF_NUM_PES);
	out->last_pe_index = vmfs_le32(buf + VMFS_LVM_OFF_LAST_PE_INDEX);
	out->generation = vmfs_le64(buf + VMFS_LVM_OFF_GENERATION);
	out->data_offset = vmfs_le64(buf + VMFS_LVM_OFF_DATA_OFFSET);
	vmfs_uuid_from_bytes(&out->device_uuid, buf + VMFS_LVM_OFF_DEVICE_UUID);
	out->init_time_us = vmfs_le64(buf + VMFS_LVM_OFF_INIT_TIME);
	out->mod_time_us = vmfs_le64(buf + VMFS_LVM_OFF_MOD_TIME);
	vmfs_uuid_from_bytes(&out->locked_by, buf + VMFS_LVM_OFF_LOCKED_BY);
	out->locked_when_us = vmfs_le64(buf + VMFS_LVM_OFF_LOCKED_WHEN);
	out->unknown_ba = vmfs_le32(buf + VMFS_LVM_OFF_UNKNOWN_BA);
	out->num_pe_maps = vmfs_le32(buf + VMFS_LVM_OFF_NUM_PE_MAPS);
	out->ext_metadata_offset = vmfs_le64(buf + VMFS_LVM_OFF_EXT_METADATA);
	out->md_alignment = vmfs_le32(buf + VMFS_LVM_OFF_MD_ALIGNMENT);
	out->num_pes6 = vmfs_le32(buf + VMFS_LVM_OFF_NUM_PES6);
	out->flags = vmfs_le32(buf + VMFS_LVM_OFF_FLAGS);
	return VMFS_OK;
}

vmfs_status vmfs_lvm_layout_compute(const vmfs_lvm_header *hdr, vmfs_lvm_layout *out,
				    vmfs_error *err)
{
	const uint64_t header = VMFS_LVM_HEADER_OFFSET;
	memset(out, 0, sizeof(*out));
	switch (hdr->major) {
	case 3:
	case 4:
	case 5:
		/* Section 4.0, LVM3/4/5 column. */
		out->header_block = VMFS_LVM_HEADER_BLOCK;
		out->max_volumes = 512;
		out->volume_table = header + VMFS_LVM_HEADER_BLOCK;
		out->sd_table = header + 0x7E200;
		out->bitmap_size = 1024;
		out->pe_maps_rel = 0x80200;
		out->pe_map_stride = 0x100400;
		break;
	case 6: {
		/* Section 4.0, LVM6 column: everything moves by M = mdAlignment. */
		uint32_t m = hdr->md_alignment;
		if (m < 512 || m > VMFS_LVM_MAX_MD_ALIGNMENT || (m & (m - 1)) != 0)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, NULL, VMFS_LVM_OFF_MD_ALIGNMENT,
					      "LVM6 mdAlignment %u is not a power of two between 512 and %u",
					      m, VMFS_LVM_MAX_MD_ALIGNMENT);
		out->header_block = m;
		out->max_volumes = 1;
		out->volume_table = header + m;
		out->sd_table = header + m + 0x7E000;
		out->bitmap_size = m > 1024 ? m : 1024;
		out->pe_maps_rel = (uint64_t)m + 0x80000;
		out->pe_map_stride = (uint64_t)out->bitmap_size + 0x100000;
		break;
	}
	default:
		return vmfs_error_set(err, VMFS_ERR_FORMAT, NULL, VMFS_LVM_OFF_MAJOR,
				      "unknown LVM major version %u (known: 3, 4, 5, 6)", hdr->major);
	}
	out->pe_maps = header + out->pe_maps_rel;
	return VMFS_OK;
}

const char *vmfs_volume_state_name(uint32_t state)
{
	switch (state) {
	case VMFS_VOL_STATE_INVALID: return "invalid";
	case VMFS_VOL_STATE_NORMAL: return "normal";
	case VMFS_VOL_STATE_RESIG_PENDING: return "resignature-pending";
	case VMFS_VOL_STATE_RESIG_DONE: return "resignature-done";
	case VMFS_VOL_STATE_SENTINEL: return "sentinel";
	}
	return "unknown";
}

void vmfs_volume_entry_decode(const uint8_t *buf, vmfs_volume_entry *out)
{
	memset(out, 0, sizeof(*out));
	out->logical_size = vmfs_le64(buf + VMFS_VOL_OFF_LOGICAL_SIZE);
	out->generation = vmfs_le64(buf + VMFS_VOL_OFF_GENERATION);
	out->state = vmfs_le32(buf + VMFS_VOL_OFF_STATE);
	out->name_terminated = vmfs_text_copy(out->name, buf + VMFS_VOL_OFF_NAME, VMFS_VOL_NAME_SIZE);
	vmfs_uuid_from_bytes(&out->lv_uuid, buf + VMFS_VOL_OFF_LV_UUID);
	out->snap_id = vmfs_le32(buf + VMFS_VOL_OFF_SNAP_ID);
	out->creation_time_us = vmfs_le64(buf + VMFS_VOL_OFF_CREATION_TIME);
	out->volume_id = vmfs_le32(buf + VMFS_VOL_OFF_VOLUME_ID);
	out->num_pes = vmfs_le32(buf + VMFS_VOL_OFF_NUM_PES);
	out->first_pe = vmfs_le64(buf + VMFS_VOL_OFF_FIRST_PE);
	out->last_pe = vmfs_le64(buf + VMFS_VOL_OFF_LAST_PE);
	out->mod_time_us = vmfs_le64(buf + VMFS_VOL_OFF_MOD_TIME);
	out->num_devs = vmfs_le32(buf + VMFS_VOL_OFF_NUM_DEVS);
	out->consumed_pes = vmfs_le32(buf + VMFS_VOL_OFF_CONSUMED_PES);
}

bool vmfs_volume_entry_is_empty(const uint8_t *buf)
{
	for (size_t i = 0; i < VMFS_LVM_VOLUME_ENTRY_SIZE; i++)
		if (buf[i])
			return false;
	return true;
}

void vmfs_sd_entry_decode(const uint8_t *buf, vmfs_sd_entry *out)
{
	out->terminated = vmfs_text_copy(out->name, buf, VMFS_LVM_SD_ENTRY_SIZE);
}

void vmfs_pe_entry_decode(const uint8_t *buf, vmfs_pe_entry *out)
{
	out->used = buf[VMFS_PE_OFF_USED];
	out->pe_id = vmfs_le32(buf + VMFS_PE_OFF_PE_ID);
	out->volume_id = vmfs_le32(buf + VMFS_PE_OFF_VOLUME_ID);
	out->p_offset = vmfs_le64(buf + VMFS_PE_OFF_P_OFFSET);
	out->l_offset = vmfs_le64(buf + VMFS_PE_OFF_L_OFFSET);
	out->length = vmfs_le64(buf + VMFS_PE_OFF_LENGTH);
	out->version = vmfs_le32(buf + VMFS_PE_OFF_VERSION);
}

vmfs_status vmfs_ext_region_decode(const uint8_t *buf, size_t len, vmfs_ext_region *out,
				   vmfs_error *err)
{
	if (len < VMFS_EXT_REGION_DEFINED)
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, NULL, len,
				      "extended metadata region header needs %u bytes", VMFS_EXT_REGION_DEFINED);
	out->magic = vmfs_le32(buf);
	out->num_pe_maps = vmfs_le32(buf + 4);
	out->data_offset = vmfs_le64(buf + 8);
	out->next_offset = vmfs_le64(buf + 16);
	if (out->magic != VMFS_LVM_MAGIC)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, NULL, 0,
				      "extended metadata region: magic 0x%08x, expected 0x%08x",
				      out->magic, VMFS_LVM_MAGIC);
	return VMFS_OK;
}

#define F(off, size, name, kind) { (off), (size), (name), VMFS_FIELD_##kind }

static const vmfs_field lvm_header_fields[] = {
	F(VMFS_LVM_OFF_MAGIC, 4, "magic", HEX),
	F(VMFS_LVM_OFF_MAJOR, 4, "majorVersion", UINT),
	F(VMFS_LVM_OFF_MINOR, 4, "minorVersion", UINT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_TYPE, 1, "diskID.type", UINT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_LEN, 1, "diskID.len", UINT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_LUN, 2, "diskID.lun", UINT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_DEVICE_TYPE, 1, "diskID.deviceType", UINT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_SCSI_LEVEL, 1, "diskID.scsiLevel", UINT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_VENDOR, 8, "diskID.vendor", TEXT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_MODEL, 16, "diskID.model", TEXT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_REVISION, 4, "diskID.revision", TEXT),
	F(VMFS_LVM_OFF_DISK_ID + VMFS_DISKID_OFF_ID, VMFS_DISK_ID_ID_MAX, "diskID.id", BYTES),
	F(VMFS_LVM_OFF_DISK_BLOCK_SIZE, 4, "diskBlockSize", UINT),
	F(VMFS_LVM_OFF_TOTAL_BYTES, 8, "totalBytes", UINT),
	F(VMFS_LVM_OFF_NUM_VOLUMES, 4, "numVolumes", UINT),
	F(VMFS_LVM_OFF_NUM_PES, 4, "numPEs", UINT),
	F(VMFS_LVM_OFF_LAST_PE_INDEX, 4, "lastPEIndex", UINT),
	F(VMFS_LVM_OFF_GENERATION, 8, "generation", UINT),
	F(VMFS_LVM_OFF_DATA_OFFSET, 8, "dataOffset", HEX),
	F(VMFS_LVM_OFF_DEVICE_UUID, 16, "devID (device UUID)", UUID),
	F(VMFS_LVM_OFF_INIT_TIME, 8, "initTimeUS", TIME_US),
	F(VMFS_LVM_OFF_MOD_TIME, 8, "modTimeUS", TIME_US),
	F(VMFS_LVM_OFF_LOCKED_BY, 16, "lockedBy", UUID),
	F(VMFS_LVM_OFF_LOCKED_WHEN, 8, "lockedWhenUS", TIME_US),
	F(VMFS_LVM_OFF_UNKNOWN_BA, 4, "unknown_0xBA", HEX),
	F(VMFS_LVM_OFF_NUM_PE_MAPS, 4, "numPEMaps", UINT),
	F(VMFS_LVM_OFF_EXT_METADATA, 8, "extDevMetadataOffset", HEX),
	F(VMFS_LVM_OFF_MD_ALIGNMENT, 4, "mdAlignment", HEX),
	F(VMFS_LVM_OFF_NUM_PES6, 4, "numPEs6", UINT),
	F(VMFS_LVM_OFF_FLAGS, 4, "flags", HEX),
};

const vmfs_field_map vmfs_lvm_header_map = {
	"LVM device header", "3.1", VMFS_LVM_HEADER_DEFINED,
	lvm_header_fields, sizeof(lvm_header_fields) / sizeof(lvm_header_fields[0]),
};

static const vmfs_field volume_entry_fields[] = {
	F(VMFS_VOL_OFF_LOGICAL_SIZE, 8, "logicalSize", UINT),
	F(VMFS_VOL_OFF_GENERATION, 8, "generation", UINT),
	F(VMFS_VOL_OFF_STATE, 4, "state", UINT),
	F(VMFS_VOL_OFF_NAME, VMFS_VOL_NAME_SIZE, "name", TEXT),
	F(VMFS_VOL_OFF_LV_UUID, 16, "lvID.uuid", UUID),
	F(VMFS_VOL_OFF_SNAP_ID, 4, "lvID.snapID", UINT),
	F(VMFS_VOL_OFF_CREATION_TIME, 8, "creationTimeUS", TIME_US),
	F(VMFS_VOL_OFF_VOLUME_ID, 4, "volumeID", UINT),
	F(VMFS_VOL_OFF_NUM_PES, 4, "numPEs", UINT),
	F(VMFS_VOL_OFF_FIRST_PE, 8, "firstPE", UINT),
	F(VMFS_VOL_OFF_LAST_PE, 8, "lastPE", UINT),
	F(VMFS_VOL_OFF_MOD_TIME, 8, "modTimeUS", TIME_US),
	F(VMFS_VOL_OFF_NUM_DEVS, 4, "numDevs", UINT),
	F(VMFS_VOL_OFF_CONSUMED_PES, 4, "consumedPEs", UINT),
};

const vmfs_field_map vmfs_volume_entry_map = {
	"volume table entry", "4.1", VMFS_VOL_OFF_CONSUMED_PES + 4,
	volume_entry_fields, sizeof(volume_entry_fields) / sizeof(volume_entry_fields[0]),
};

static const vmfs_field pe_entry_fields[] = {
	F(VMFS_PE_OFF_USED, 1, "used", UINT),
	F(VMFS_PE_OFF_PE_ID, 4, "peID", UINT),
	F(VMFS_PE_OFF_VOLUME_ID, 4, "volumeID", UINT),
	F(VMFS_PE_OFF_P_OFFSET, 8, "pOffset", HEX),
	F(VMFS_PE_OFF_L_OFFSET, 8, "lOffset", HEX),
	F(VMFS_PE_OFF_LENGTH, 8, "length", HEX),
	F(VMFS_PE_OFF_VERSION, 4, "version", UINT),
};

const vmfs_field_map vmfs_pe_entry_map = {
	"PE table entry", "4.3", VMFS_LVM_PE_ENTRY_DEFINED,
	pe_entry_fields, sizeof(pe_entry_fields) / sizeof(pe_entry_fields[0]),
};
