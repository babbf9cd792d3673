/* Decoder for the FS3 file-system descriptor (format reference section 5). */
#include "vmfs/format/fsdesc.h"

#include "vmfs/core/le.h"
#include "vmfs/format/lvm.h"

#include <stdio.h>
#include <string.h>

bool vmfs_fs_magic_known(uint32_t magic)
{
	return vmfs_fs_magic_name(magic) != NULL;
}

const char *vmfs_fs_magic_name(uint32_t magic)
{
	switch (magic) {
	case VMFS_FS_MAGIC: return "VMFS";
	case VMFS_FS_MAGIC_L: return "VMFS-L";
	case VMFS_FS_MAGIC_6: return "VMFS6";
	case VMFS_FS_MAGIC_6L: return "VMFS6-L";
	}
	return NULL;
}

vmfs_status vmfs_fs_descriptor_decode(const uint8_t *buf, size_t len, vmfs_fs_descriptor *out,
				      vmfs_error *err)
{
	if (len < VMFS_FS_DESC_DEFINED)
		return vmfs_error_set(err, VMFS_ERR_TRUNCATED, NULL, len,
				      "file-system descriptor needs %u bytes, only %zu available",
				      VMFS_FS_DESC_DEFINED, len);
	memset(out, 0, sizeof(*out));
	out->magic = vmfs_le32(buf + VMFS_FS_OFF_MAGIC);
	if (!vmfs_fs_magic_known(out->magic))
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, NULL, VMFS_FS_OFF_MAGIC,
				      "no file-system descriptor: magic 0x%08x, expected 0x%08x",
				      out->magic, VMFS_FS_MAGIC);
	out->major = vmfs_le32(buf + VMFS_FS_OFF_MAJOR);
	out->minor = buf[VMFS_FS_OFF_MINOR];
	vmfs_uuid_from_bytes(&out->uuid, buf + VMFS_FS_OFF_UUID);
	out->config = vmfs_le32(buf + VMFS_FS_OFF_CONFIG);
	out->label_terminated = vmfs_text_copy(out->label, buf + VMFS_FS_OFF_LABEL, VMFS_FS_LABEL_SIZE);
	out->disk_block_size = vmfs_le32(buf + VMFS_FS_OFF_DISK_BLOCK_SIZE);
	out->file_block_size = vmfs_le64(buf + VMFS_FS_OFF_FILE_BLOCK_SIZE);
	out->creation_time = vmfs_le32(buf + VMFS_FS_OFF_CREATION_TIME);
	out->snap_id = vmfs_le32(buf + VMFS_FS_OFF_SNAP_ID);
	vmfs_uuid_from_bytes(&out->lv_uuid, buf + VMFS_FS_OFF_VOLINFO_UUID);
	out->lv_snap_id = vmfs_le32(buf + VMFS_FS_OFF_VOLINFO_SNAP_ID);
	out->volinfo_pad_zero = true;
	for (unsigned i = 0; i < 12; i++)
		if (buf[VMFS_FS_OFF_VOLINFO_PAD + i])
			out->volinfo_pad_zero = false;
	out->fdc_cluster_group_offset = vmfs_le32(buf + VMFS_FS_OFF_FDC_GROUP_OFFSET);
	out->fdc_clusters_per_group = vmfs_le32(buf + VMFS_FS_OFF_FDC_CLUSTERS_PER_GROUP);
	out->sub_block_size = vmfs_le32(buf + VMFS_FS_OFF_SUB_BLOCK_SIZE);
	out->max_journal_slots = vmfs_le32(buf + VMFS_FS_OFF_MAX_JOURNAL_SLOTS);
	out->pb2_vol_addr = vmfs_le64(buf + VMFS_FS_OFF_PB2_VOL_ADDR);
	out->pb2_fd_addr = vmfs_le32(buf + VMFS_FS_OFF_PB2_FD_ADDR);
	vmfs_uuid_from_bytes(&out->host_uuid, buf + VMFS_FS_OFF_HOST_UUID);
	out->gbl_generation = vmfs_le64(buf + VMFS_FS_OFF_GBL_GENERATION);
	out->sdd_vol_addr = vmfs_le64(buf + VMFS_FS_OFF_SDD_VOL_ADDR);
	out->sdd_fd_addr = vmfs_le32(buf + VMFS_FS_OFF_SDD_FD_ADDR);
	out->checksum_type = buf[VMFS_FS_OFF_CHECKSUM_TYPE];
	out->unmap_priority = vmfs_le16(buf + VMFS_FS_OFF_UNMAP_PRIORITY);
	out->checksum_gen = vmfs_le64(buf + VMFS_FS_OFF_CHECKSUM_GEN);
	out->checksum_value = vmfs_le64(buf + VMFS_FS_OFF_CHECKSUM_VALUE);
	out->checksum_value_gen = vmfs_le64(buf + VMFS_FS_OFF_CHECKSUM_VALUE_GEN);
	out->phys_disk_block_size = vmfs_le32(buf + VMFS_FS_OFF_PHYS_DISK_BLOCK_SIZE);
	out->md_alignment = vmfs_le32(buf + VMFS_FS_OFF_MD_ALIGNMENT);
	out->sfb_to_lfb_shift = vmfs_le16(buf + VMFS_FS_OFF_SFB_TO_LFB_SHIFT);
	out->ptr_block_shift = vmfs_le16(buf + VMFS_FS_OFF_PTR_BLOCK_SHIFT);
	out->sfb_addr_bits = vmfs_le16(buf + VMFS_FS_OFF_SFB_ADDR_BITS);
	out->tbz_granularity = vmfs_le32(buf + VMFS_FS_OFF_TBZ_GRANULARITY);
	out->journal_block_size = vmfs_le32(buf + VMFS_FS_OFF_JOURNAL_BLOCK_SIZE);
	out->lease_interval_ms = vmfs_le32(buf + VMFS_FS_OFF_LEASE_INTERVAL_MS);
	out->reclaim_window_ms = vmfs_le32(buf + VMFS_FS_OFF_RECLAIM_WINDOW_MS);
	out->local_stamp_us = vmfs_le64(buf + VMFS_FS_OFF_LOCAL_STAMP_US);
	memcpy(out->local_mount_owner_mac, buf + VMFS_FS_OFF_LOCAL_MOUNT_OWNER_MAC, 6);
	out->unmap_method = buf[VMFS_FS_OFF_UNMAP_METHOD];
	out->unmap_bandwidth = vmfs_le32(buf + VMFS_FS_OFF_UNMAP_BANDWIDTH);
	out->unmap_bandwidth_min = vmfs_le32(buf + VMFS_FS_OFF_UNMAP_BANDWIDTH_MIN);
	out->unmap_bandwidth_max = vmfs_le32(buf + VMFS_FS_OFF_UNMAP_BANDWIDTH_MAX);
	return VMFS_OK;
}

unsigned vmfs_fs_generation(const vmfs_fs_descriptor *fs)
{
	/* Section 3.3 / 11.1: descriptor major 4 = VMFS3, 14 = VMFS5, >= 24 = VMFS6. */
	if (fs->major == 4)
		return 3;
	if (fs->major == 14)
		return 5;
	if (fs->major >= 24 && fs->major < 34)
		return 6;
	return 0;
}

char *vmfs_fs_version_string(const vmfs_fs_descriptor *fs, char *out, size_t len)
{
	unsigned generation = vmfs_fs_generation(fs);
	const char *prefix = fs->magic == VMFS_FS_MAGIC_L || fs->magic == VMFS_FS_MAGIC_6L ? "VMFS-L" : "VMFS";
	if (generation)
		snprintf(out, len, "%s-%u.%u", prefix, generation, fs->minor);
	else
		snprintf(out, len, "%s-?.%u (major %u)", prefix, fs->minor, fs->major);
	return out;
}

const char *vmfs_fs_mode_name(uint32_t config)
{
	/* Section 5.3 (vmfs-tools reading): 0 private, 1 or 3 shared, 2 public. */
	switch (config & VMFS_FS_CONFIG_MODE_MASK) {
	case 0: return "private";
	case 2: return "public";
	default: return "shared";
	}
}

vmfs_fs_checksum_status vmfs_fs_checksum_status_of(const vmfs_fs_descriptor *fs)
{
	if (fs->checksum_type == 0 && fs->checksum_gen == 0 && fs->checksum_value == 0 &&
	    fs->checksum_value_gen == 0)
		return VMFS_FS_CHECKSUM_NONE;
	return VMFS_FS_CHECKSUM_UNVERIFIABLE;
}

#define F(off, size, name, kind) { (off), (size), (name), VMFS_FIELD_##kind }

static const vmfs_field fs_descriptor_fields[] = {
	F(VMFS_FS_OFF_MAGIC, 4, "magic", HEX),
	F(VMFS_FS_OFF_MAJOR, 4, "majorVersion", UINT),
	F(VMFS_FS_OFF_MINOR, 1, "minorVersion", UINT),
	F(VMFS_FS_OFF_UUID, 16, "uuid (file-system UUID)", UUID),
	F(VMFS_FS_OFF_CONFIG, 4, "config", HEX),
	F(VMFS_FS_OFF_LABEL, VMFS_FS_LABEL_SIZE, "fsLabel", TEXT),
	F(VMFS_FS_OFF_DISK_BLOCK_SIZE, 4, "diskBlockSize", UINT),
	F(VMFS_FS_OFF_FILE_BLOCK_SIZE, 8, "fileBlockSize", UINT),
	F(VMFS_FS_OFF_CREATION_TIME, 4, "creationTime", TIME_S),
	F(VMFS_FS_OFF_SNAP_ID, 4, "snapID", UINT),
	F(VMFS_FS_OFF_VOLINFO_UUID, 16, "volInfo.lvUuid", UUID),
	F(VMFS_FS_OFF_VOLINFO_SNAP_ID, 4, "volInfo.snapID", UINT),
	F(VMFS_FS_OFF_VOLINFO_PAD, 12, "volInfo.pad", BYTES),
	F(VMFS_FS_OFF_FDC_GROUP_OFFSET, 4, "fdcClusterGroupOffset", HEX),
	F(VMFS_FS_OFF_FDC_CLUSTERS_PER_GROUP, 4, "fdcClustersPerGroup", UINT),
	F(VMFS_FS_OFF_SUB_BLOCK_SIZE, 4, "subBlockSize", UINT),
	F(VMFS_FS_OFF_MAX_JOURNAL_SLOTS, 4, "maxJournalSlotsPerTxn", UINT),
	F(VMFS_FS_OFF_PB2_VOL_ADDR, 8, "pb2VolAddr", HEX),
	F(VMFS_FS_OFF_PB2_FD_ADDR, 4, "pb2FDAddr", HEX),
	F(VMFS_FS_OFF_HOST_UUID, 16, "hostUuid", UUID),
	F(VMFS_FS_OFF_GBL_GENERATION, 8, "gblGeneration", UINT),
	F(VMFS_FS_OFF_SDD_VOL_ADDR, 8, "sddVolAddr", HEX),
	F(VMFS_FS_OFF_SDD_FD_ADDR, 4, "sddFDAddr", HEX),
	F(VMFS_FS_OFF_CHECKSUM_TYPE, 1, "checksumType", UINT),
	F(VMFS_FS_OFF_UNMAP_PRIORITY, 2, "unmapPriority", UINT),
	F(VMFS_FS_OFF_CHECKSUM_GEN, 8, "checksumGen", HEX),
	F(VMFS_FS_OFF_CHECKSUM_VALUE, 8, "checksum.value", HEX),
	F(VMFS_FS_OFF_CHECKSUM_VALUE_GEN, 8, "checksum.checksumGen", HEX),
	F(VMFS_FS_OFF_PHYS_DISK_BLOCK_SIZE, 4, "physDiskBlockSize", UINT),
	F(VMFS_FS_OFF_MD_ALIGNMENT, 4, "mdAlignment", HEX),
	F(VMFS_FS_OFF_SFB_TO_LFB_SHIFT, 2, "sfbToLfbShift", UINT),
	F(VMFS_FS_OFF_PTR_BLOCK_SHIFT, 2, "ptrBlockShift", UINT),
	F(VMFS_FS_OFF_SFB_ADDR_BITS, 2, "sfbAddrBits", UINT),
	F(VMFS_FS_OFF_TBZ_GRANULARITY, 4, "tbzGranularity", HEX),
	F(VMFS_FS_OFF_JOURNAL_BLOCK_SIZE, 4, "journalBlockSize", HEX),
	F(VMFS_FS_OFF_LEASE_INTERVAL_MS, 4, "leaseIntervalMs", UINT),
	F(VMFS_FS_OFF_RECLAIM_WINDOW_MS, 4, "reclaimWindowMs", UINT),
	F(VMFS_FS_OFF_LOCAL_STAMP_US, 8, "localStampUS", TIME_US),
	F(VMFS_FS_OFF_LOCAL_MOUNT_OWNER_MAC, 6, "localMountOwnerMacAddr", BYTES),
	F(VMFS_FS_OFF_UNMAP_METHOD, 1, "unmapMethod", UINT),
	F(VMFS_FS_OFF_UNMAP_BANDWIDTH, 4, "unmapBandwidth", UINT),
	F(VMFS_FS_OFF_UNMAP_BANDWIDTH_MIN, 4, "unmapBandwidthMin", UINT),
	F(VMFS_FS_OFF_UNMAP_BANDWIDTH_MAX, 4, "unmapBandwidthMax", UINT),
};

const vmfs_field_map vmfs_fs_descriptor_map = {
	"file-system descriptor", "5.2", VMFS_FS_DESC_DEFINED,
	fs_descriptor_fields, sizeof(fs_descriptor_fields) / sizeof(fs_descriptor_fields[0]),
};
