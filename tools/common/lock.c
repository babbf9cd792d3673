/* Lock records for the file tools (see lock.h). */
#include "tools/common/lock.h"

#include "tools/common/cli.h"
#include "tools/common/format.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void lock_view_of(const vmfs_fs *fs, const vmfs_fd *fd, lock_view *out)
{
	memset(out, 0, sizeof(*out));
	out->held = vmfs_lock_record_held(&fd->lock);
	if (!out->held)
		return;
	vmfs_error err;
	vmfs_error_clear(&err);
	out->known = vmfs_fs_lock_status(fs, &fd->lock, &out->status, &err) == VMFS_OK;
	if (!out->known)
		snprintf(out->why_unknown, sizeof(out->why_unknown), "%s", err.reason);
}

json_object *lock_json(const vmfs_fd *fd, const lock_view *view)
{
	json_object *o = json_object_new_object();
	const char *reason = view->known ? view->status.reason : view->why_unknown;
	json_object_object_add(o, "state", view->known ? json_object_new_string(vmfs_lock_state_name(view->status.state)) : NULL);
	json_object_object_add(o, "reason", reason[0] ? json_object_new_string(reason) : NULL);
	json_object_object_add(o, "mode", json_object_new_uint64(fd->lock.mode));
	cli_json_put_uuid(o, "owner", &fd->lock.owner, true);
	json_object_object_add(o, "heartbeat_address", json_object_new_uint64(fd->lock.hb_addr));
	json_object_object_add(o, "heartbeat_generation", json_object_new_uint64(fd->lock.hb_gen));
	json_object_object_add(o, "heartbeat_slot",
			       view->known && view->status.has_slot ? json_object_new_uint64(view->status.slot.index) : NULL);
	return o;
}

char *lock_text(const vmfs_fd *fd, const lock_view *view, char *out, size_t len)
{
	char uuid[VMFS_UUID_TEXT_LEN + 1], mac[24];
	uint8_t mac_bytes[6];
	vmfs_uuid_mac(&fd->lock.owner, mac_bytes);
	snprintf(out, len, "%s, mode %" PRIu32 ", host %s (MAC %s)",
		 view->known ? vmfs_lock_state_name(view->status.state) : "unknown", fd->lock.mode,
		 vmfs_uuid_format(&fd->lock.owner, uuid), fmt_mac(mac_bytes, mac, sizeof(mac)));
	return out;
}
