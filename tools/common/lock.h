/* The lock record of a file (format reference vmfs-fs-layer.md 7.2) as the
 * file tools show it: one definition for vmfs-ls (per entry) and
 * vmfs-inspect --heartbeats (every held lock). */
#ifndef TOOLS_LOCK_H
#define TOOLS_LOCK_H

#include "vmfs/fs/fd.h"
#include "vmfs/fs/fs.h"
#include "vmfs/fs/heartbeat.h"

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct lock_view {
	bool held;                /* the record names a holder */
	bool known;               /* its state could be worked out (status valid) */
	vmfs_lock_status status;
	char why_unknown[512];    /* when !known: why */
} lock_view;

/* Works out the state of fd's lock against the heartbeat region of fs. */
void lock_view_of(const vmfs_fs *fs, const vmfs_fd *fd, lock_view *out);

/* state, reason, mode, owner (with time and MAC), heartbeat_address,
 * heartbeat_generation, heartbeat_slot. */
json_object *lock_json(const vmfs_fd *fd, const lock_view *view);

/* "live, mode 1, host UUID (MAC m)". */
char *lock_text(const vmfs_fd *fd, const lock_view *view, char *out, size_t len);

#endif
