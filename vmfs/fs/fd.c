/* FD and lock record decoding, format reference vmfs-fs-layer.md 4.2 and 7.2. */
#include "vmfs/fs/fd.h"
#include "vmfs/core/le.h"

#include <string.h>
#include <sys/stat.h>

void vmfs_lock_record_decode(const uint8_t *p, vmfs_lock_record *out)
{
	memset(out, 0, sizeof(*out));
	out->magic = vmfs_le32(p + VMFS_LOCK_OFF_MAGIC);
	out->addr = vmfs_le64(p + VMFS_LOCK_OFF_ADDR);
	out->hb_addr = vmfs_le64(p + VMFS_LOCK_OFF_HB_ADDR);
	out->hb_gen = vmfs_le64(p + VMFS_LOCK_OFF_HB_GEN);
	out->token = vmfs_le64(p + VMFS_LOCK_OFF_TOKEN);
	out->mode = vmfs_le32(p + VMFS_LOCK_OFF_MODE);
	vmfs_uuid_from_bytes(&out->owner, p + VMFS_LOCK_OFF_OWNER);
	out->mtime = vmfs_le64(p + VMFS_LOCK_OFF_MTIME);
	out->num_holders = vmfs_le32(p + VMFS_LOCK_OFF_NUM_HOLDERS);
}

bool vmfs_lock_record_held(const vmfs_lock_record *lock)
{
	return lock->mode != 0 || !vmfs_uuid_is_zero(&lock->owner);
}

void vmfs_fd_decode(const uint8_t *buf, const vmfs_fs_geometry *g, vmfs_fd *out)
{
	memset(out, 0, sizeof(*out));
	vmfs_lock_record_decode(buf, &out->lock);
	const uint8_t *m = buf + g->meta_off;
	out->desc_addr = vmfs_le32(m + VMFS_FD_OFF_DESC_ADDR);
	out->generation = vmfs_le32(m + VMFS_FD_OFF_GENERATION);
	out->link_count = vmfs_le32(m + VMFS_FD_OFF_LINK_COUNT);
	out->type = vmfs_le32(m + VMFS_FD_OFF_TYPE);
	out->flags = vmfs_le32(m + VMFS_FD_OFF_FLAGS);
	out->length = vmfs_le64(m + VMFS_FD_OFF_LENGTH);
	out->block_size = vmfs_le64(m + VMFS_FD_OFF_BLOCK_SIZE);
	out->num_blocks = vmfs_le64(m + VMFS_FD_OFF_NUM_BLOCKS);
	out->mtime = vmfs_le32(m + VMFS_FD_OFF_MTIME);
	out->ctime = vmfs_le32(m + VMFS_FD_OFF_CTIME);
	out->atime = vmfs_le32(m + VMFS_FD_OFF_ATIME);
	out->uid = vmfs_le32(m + VMFS_FD_OFF_UID);
	out->gid = vmfs_le32(m + VMFS_FD_OFF_GID);
	out->mode = vmfs_le32(m + VMFS_FD_OFF_MODE);
	out->zla = vmfs_le32(m + VMFS_FD_OFF_ZLA);
	out->num_tbz_blocks = vmfs_le32(m + VMFS_FD_OFF_TBZ_LO) | (uint64_t)vmfs_le32(m + VMFS_FD_OFF_TBZ_HI) << 32;
	out->num_cow_blocks = vmfs_le32(m + VMFS_FD_OFF_COW_LO) | (uint64_t)vmfs_le32(m + VMFS_FD_OFF_COW_HI) << 32;
	out->num_pointer_blocks = vmfs_le32(m + VMFS_FD_OFF_NUM_PBS);
	out->signature = vmfs_le32(m + VMFS_FD_OFF_SIGNATURE);
	out->affinity_fd = vmfs_le32(m + VMFS_FD_OFF_AFFINITY_FD);
	out->tbz_granularity_shift = vmfs_le32(m + VMFS_FD_OFF_TBZ_GRAN_SHIFT);
	out->parent_fd = vmfs_le32(m + VMFS_FD_OFF_PARENT_FD);
	out->block_offset_shift = m[VMFS_FD_OFF_BLOCK_OFFSET_SHIFT];
	out->num_lfb = vmfs_le32(m + VMFS_FD_OFF_NUM_LFB);
}

bool vmfs_fd_is_dir(const vmfs_fd *fd)
{
	return fd->type == VMFS_FD_DIR || (fd->type == VMFS_FD_SYSFILE && (fd->mode & S_IFMT) == S_IFDIR);
}

uint32_t vmfs_fd_st_mode(const vmfs_fd *fd)
{
	if (fd->mode & S_IFMT)
		return fd->mode;
	/* 4.2: 2 -> S_IFDIR, 4 -> S_IFLNK, else S_IFREG. */
	if (fd->type == VMFS_FD_DIR)
		return fd->mode | S_IFDIR;
	if (fd->type == VMFS_FD_SYMLINK)
		return fd->mode | S_IFLNK;
	return fd->mode | S_IFREG;
}

const char *vmfs_fd_type_name(uint32_t type)
{
	switch (type) {
	case VMFS_FD_VOLUME: return "volume";
	case VMFS_FD_DIR: return "dir";
	case VMFS_FD_FILE: return "file";
	case VMFS_FD_SYMLINK: return "symlink";
	case VMFS_FD_SYSFILE: return "sysfile";
	case VMFS_FD_RDM: return "rdm";
	default: return "unknown";
	}
}

const char *vmfs_zla_name(uint32_t zla)
{
	switch (zla) {
	case VMFS_ZLA_FB: return "FB";
	case VMFS_ZLA_SB: return "SB";
	case VMFS_ZLA_PB: return "PB";
	case VMFS_ZLA_PB2: return "PB2";
	case VMFS_ZLA_DOUBLE: return "double";
	case VMFS_ZLA_RESIDENT: return "resident";
	default: return NULL;
	}
}
