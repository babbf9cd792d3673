/* Heartbeats and lock status, format reference vmfs-fs-layer.md 7.1, 7.2, 8.2. */
#include "vmfs/fs/heartbeat.h"
#include "vmfs/fs/internal.h"
#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void vmfs_heartbeat_decode(const uint8_t *p, vmfs_heartbeat *out)
{
	memset(out, 0, sizeof(*out));
	out->state = vmfs_le32(p + VMFS_HB_OFF_STATE);
	out->addr = vmfs_le64(p + VMFS_HB_OFF_ADDR);
	out->hb_gen = vmfs_le64(p + VMFS_HB_OFF_GEN);
	out->stamp_us = vmfs_le64(p + VMFS_HB_OFF_STAMP);
	vmfs_uuid_from_bytes(&out->owner, p + VMFS_HB_OFF_OWNER);
	vmfs_uuid_mac(&out->owner, out->owner_mac);
	out->journal_addr = vmfs_le32(p + VMFS_HB_OFF_JOURNAL_ADDR);
	out->drv_major = vmfs_le32(p + VMFS_HB_OFF_DRV_MAJOR);
	out->drv_minor = p[VMFS_HB_OFF_DRV_MINOR];
	out->lock_impl = p[VMFS_HB_OFF_LOCK_IMPL];
	/* 7.1: text, NUL-padded; keep printable ASCII only. */
	for (unsigned i = 0; i < VMFS_HB_IP_LEN && p[VMFS_HB_OFF_IP + i]; i++)
		out->ip[i] = p[VMFS_HB_OFF_IP + i] >= 0x20 && p[VMFS_HB_OFF_IP + i] < 0x7F ? (char)p[VMFS_HB_OFF_IP + i] : '?';
	out->journal_lv = vmfs_le64(p + VMFS_HB_OFF_JOURNAL_LV);
	vmfs_uuid_from_bytes(&out->replay_host, p + VMFS_HB_OFF_REPLAY_HOST);
	out->replay_hb = vmfs_le64(p + VMFS_HB_OFF_REPLAY_HB);
	out->replay_hb_gen = vmfs_le64(p + VMFS_HB_OFF_REPLAY_HB_GEN);
}

uint32_t vmfs_fs_heartbeat_slots(const vmfs_fs *fs)
{
	return fs->geo.hb_slots;
}

vmfs_status vmfs_fs_heartbeat(const vmfs_fs *fs, uint32_t index, vmfs_heartbeat *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (index >= fs->geo.hb_slots)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, fs->path, VMFS_NO_OFFSET,
				      "heartbeat slot %" PRIu32 " is not below %" PRIu32, index, fs->geo.hb_slots);
	uint64_t lv = fs->geo.hb_lv + (uint64_t)index * fs->geo.hb_slot_size;
	uint8_t buf[VMFS_HB_DECODED];
	vmfs_status st = vmfs_fs_read_lv(fs, lv, buf, sizeof(buf), err);
	if (st != VMFS_OK)
		return st;
	vmfs_heartbeat_decode(buf, out);
	out->index = index;
	out->lv = lv;
	if (out->state != VMFS_HB_FREE && out->state != VMFS_HB_IN_USE)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, fs->path, vmfs_fs_source_offset(fs, lv),
				      "heartbeat slot %" PRIu32 " (LV 0x%" PRIx64 "): state 0x%08" PRIx32
				      " is neither free (0xABCDEF01) nor in use (0xABCDEF02)", index, lv, out->state);
	if (out->addr != lv)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, fs->path, vmfs_fs_source_offset(fs, lv + VMFS_HB_OFF_ADDR),
				      "heartbeat slot %" PRIu32 " (LV 0x%" PRIx64 "): addr 0x%" PRIx64
				      " is not its own LV offset", index, lv, out->addr);
	return VMFS_OK;
}

vmfs_status vmfs_fs_lock_status(const vmfs_fs *fs, const vmfs_lock_record *lock, vmfs_lock_status *out,
				vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	vmfs_uuid_mac(&lock->owner, out->owner_mac);
	if (!vmfs_lock_record_held(lock)) {
		out->state = VMFS_LOCK_FREE;
		snprintf(out->reason, sizeof(out->reason), "not locked (mode 0, no owner)");
		return VMFS_OK;
	}
	const vmfs_fs_geometry *g = &fs->geo;
	uint64_t end = g->hb_lv + (uint64_t)g->hb_slots * g->hb_slot_size;
	out->state = VMFS_LOCK_STALE;
	if (lock->hb_addr < g->hb_lv || lock->hb_addr >= end || (lock->hb_addr - g->hb_lv) % g->hb_slot_size) {
		snprintf(out->reason, sizeof(out->reason), "hbAddr 0x%" PRIx64 " is not a heartbeat slot", lock->hb_addr);
		return VMFS_OK;
	}
	uint32_t index = (uint32_t)((lock->hb_addr - g->hb_lv) / g->hb_slot_size);
	vmfs_error e;
	vmfs_status st = vmfs_fs_heartbeat(fs, index, &out->slot, &e);
	if (st != VMFS_OK && st != VMFS_ERR_FORMAT) {
		if (err)
			*err = e;
		return st;
	}
	out->has_slot = true;
	if (st == VMFS_ERR_FORMAT)
		snprintf(out->reason, sizeof(out->reason), "its heartbeat slot %" PRIu32 " is invalid", index);
	else if (out->slot.state == VMFS_HB_FREE) /* 7.2 (a) */
		snprintf(out->reason, sizeof(out->reason), "heartbeat slot %" PRIu32 " is free", index);
	else if (out->slot.hb_gen != lock->hb_gen) /* (b) */
		snprintf(out->reason, sizeof(out->reason),
			 "heartbeat slot %" PRIu32 " has generation %" PRIu64 ", the lock %" PRIu64, index,
			 out->slot.hb_gen, lock->hb_gen);
	else if (!vmfs_uuid_is_zero(&lock->owner) && !vmfs_uuid_equal(&out->slot.owner, &lock->owner)) /* (c) */
		snprintf(out->reason, sizeof(out->reason), "heartbeat slot %" PRIu32 " belongs to another host", index);
	else {
		out->state = VMFS_LOCK_LIVE;
		snprintf(out->reason, sizeof(out->reason),
			 "heartbeat slot %" PRIu32 " in use by the owner with the lock's generation (one read)", index);
	}
	return VMFS_OK;
}

const char *vmfs_lock_state_name(vmfs_lock_state state)
{
	switch (state) {
	case VMFS_LOCK_FREE: return "free";
	case VMFS_LOCK_LIVE: return "live";
	case VMFS_LOCK_STALE: return "stale";
	}
	return "?";
}
