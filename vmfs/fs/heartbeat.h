/* Heartbeat slots and lock ownership (format reference vmfs-fs-layer.md
 * section 7): which host holds a lock (UUID, MAC), and whether its heartbeat
 * slot says the lock is live or stale. A reader never takes or breaks a
 * lock; it only reports. */
#ifndef VMFS_FS_HEARTBEAT_H
#define VMFS_FS_HEARTBEAT_H

#include "vmfs/core/error.h"
#include "vmfs/fs/fd.h"
#include "vmfs/fs/fs.h"
#include "vmfs/format/vmware_uuid.h"

#include <stdbool.h>
#include <stdint.h>

#define VMFS_HB_FREE 0xABCDEF01u   /* 7.1 */
#define VMFS_HB_IN_USE 0xABCDEF02u
#define VMFS_HB_DECODED 0xA4u      /* bytes decoded from each slot */
#define VMFS_HB_IP_LEN 46u

enum vmfs_hb_offset {
	VMFS_HB_OFF_STATE = 0x00,
	VMFS_HB_OFF_ADDR = 0x04,
	VMFS_HB_OFF_GEN = 0x0C,
	VMFS_HB_OFF_STAMP = 0x14,
	VMFS_HB_OFF_OWNER = 0x1C,
	VMFS_HB_OFF_JOURNAL_ADDR = 0x2C,
	VMFS_HB_OFF_DRV_MAJOR = 0x30,
	VMFS_HB_OFF_DRV_MINOR = 0x34,
	VMFS_HB_OFF_LOCK_IMPL = 0x35,
	VMFS_HB_OFF_IP = 0x36,
	VMFS_HB_OFF_JOURNAL_LV = 0x64,
	VMFS_HB_OFF_REPLAY_HOST = 0x6C,
	VMFS_HB_OFF_REPLAY_HB = 0x94,
	VMFS_HB_OFF_REPLAY_HB_GEN = 0x9C,
};

typedef struct vmfs_heartbeat {
	uint32_t index;          /* slot number */
	uint64_t lv;             /* LV offset of the slot */
	uint32_t state;          /* VMFS_HB_FREE / VMFS_HB_IN_USE */
	uint64_t addr;           /* the slot's own LV offset as recorded */
	uint64_t hb_gen;
	uint64_t stamp_us;       /* host uptime at the last heartbeat */
	vmfs_uuid owner;
	uint8_t owner_mac[6];    /* from the owner UUID (vmfs/format/vmware_uuid.h) */
	uint32_t journal_addr;
	uint32_t drv_major;
	uint8_t drv_minor;
	uint8_t lock_impl;
	char ip[VMFS_HB_IP_LEN + 1];
	uint64_t journal_lv;
	vmfs_uuid replay_host;
	uint64_t replay_hb, replay_hb_gen;
} vmfs_heartbeat;

/* buf holds VMFS_HB_DECODED bytes. */
void vmfs_heartbeat_decode(const uint8_t *buf, vmfs_heartbeat *out);
/* Number of slots (2048 VMFS3/5, 1024 VMFS6). */
uint32_t vmfs_fs_heartbeat_slots(const vmfs_fs *fs);
/* Reads slot index; VMFS_ERR_FORMAT (with the slot decoded in *out) when its
 * state is neither free nor in use or its addr is not its own LV offset (8.2). */
vmfs_status vmfs_fs_heartbeat(const vmfs_fs *fs, uint32_t index, vmfs_heartbeat *out, vmfs_error *err);

typedef enum vmfs_lock_state {
	VMFS_LOCK_FREE,   /* mode 0 and no owner */
	VMFS_LOCK_LIVE,   /* held, and the locker's slot is in use with its generation and owner */
	VMFS_LOCK_STALE,  /* held, but the slot is free, reused or owned by another host */
} vmfs_lock_state;

typedef struct vmfs_lock_status {
	vmfs_lock_state state;
	char reason[160];
	bool has_slot;           /* the lock's hbAddr names a slot (decoded in slot) */
	vmfs_heartbeat slot;
	uint8_t owner_mac[6];
} vmfs_lock_status;

/* 7.2 "recognising a stale lock", checks (a)-(c) from one read. Check (d), a
 * stamp that does not advance over a lease interval, needs two reads seconds
 * apart and is the caller's: LIVE means "live by one read". */
vmfs_status vmfs_fs_lock_status(const vmfs_fs *fs, const vmfs_lock_record *lock, vmfs_lock_status *out,
				vmfs_error *err);
/* "free", "live", "stale". */
const char *vmfs_lock_state_name(vmfs_lock_state state);

#endif
