/* VMDK virtual disks through libvmdk: the descriptor (a text file, or the
 * one embedded in a monolithic sparse file) names the extents, which are
 * opened from the descriptor's folder, read-only; the virtual disk is read
 * at any offset, grains never written reading as zeros. A delta disk (a
 * snapshot, whose unwritten grains live in its parent) is refused: without
 * the parent chain its bytes are not the disk's. */
#include "vmfs/source/backend.h"

#include <libvmdk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* libvmdk's error chain as one line: its last message is the outermost. */
static void vmdk_reason(libvmdk_error_t *e, char *out, size_t len)
{
	out[0] = '\0';
	if (!e)
		return;
	char all[2048];
	if (libvmdk_error_sprint(e, all, sizeof(all)) > 0) {
		size_t n = strlen(all);
		while (n > 0 && (all[n - 1] == '\n' || all[n - 1] == '\r'))
			all[--n] = '\0';
		const char *last = strrchr(all, '\n');
		snprintf(out, len, "%s", last ? last + 1 : all);
	}
	libvmdk_error_free(&e);
}

static vmfs_status vmdk_read(void *impl, const char *path, uint64_t offset, void *buf, size_t len, vmfs_error *err)
{
	libvmdk_handle_t *handle = impl;
	uint8_t *p = buf;
	size_t done = 0;
	while (done < len) {
		libvmdk_error_t *e = NULL;
		ssize_t n = libvmdk_handle_read_buffer_at_offset(handle, p + done, len - done, (off64_t)(offset + done), &e);
		if (n <= 0) {
			char why[512];
			vmdk_reason(e, why, sizeof(why));
			return vmfs_error_set(err, n == 0 ? VMFS_ERR_TRUNCATED : VMFS_ERR_IO, path, offset + done,
					      "VMDK: cannot read the virtual disk%s%s", why[0] ? ": " : "", why);
		}
		done += (size_t)n;
	}
	return VMFS_OK;
}

static void vmdk_close(void *impl)
{
	libvmdk_handle_t *handle = impl;
	if (!handle)
		return;
	libvmdk_handle_close(handle, NULL);
	libvmdk_handle_free(&handle, NULL);
}

static const vmfs_source_backend vmdk_backend = {
	.read = vmdk_read,
	.next_data = NULL, /* libvmdk does not expose which grains are allocated: one extent */
	.advise = NULL,
	.close = vmdk_close,
};

vmfs_status vmfs_vmdk_open(const char *path, vmfs_source_opened *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	char why[512];
	libvmdk_error_t *e = NULL;
	libvmdk_handle_t *handle = NULL;
	if (libvmdk_handle_initialize(&handle, &e) != 1) {
		vmdk_reason(e, why, sizeof(why));
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "libvmdk: %s", why);
	}
	if (libvmdk_handle_open(handle, path, LIBVMDK_OPEN_READ, &e) != 1) {
		vmdk_reason(e, why, sizeof(why));
		libvmdk_handle_free(&handle, NULL);
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET, "VMDK: cannot read its descriptor%s%s",
				      why[0] ? ": " : "", why);
	}
	uint32_t parent = 0xffffffffu;
	if (libvmdk_handle_get_parent_content_identifier(handle, &parent, &e) != 1) {
		libvmdk_error_free(&e);
		parent = 0xffffffffu;
	}
	if (parent != 0xffffffffu) {
		vmdk_close(handle);
		return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, path, VMFS_NO_OFFSET,
				      "VMDK: a delta disk (snapshot, parentCID %08x): its unwritten grains are in the "
				      "parent disk; give a consolidated disk or a raw export instead", parent);
	}
	if (libvmdk_handle_open_extent_data_files(handle, &e) != 1) {
		vmdk_reason(e, why, sizeof(why));
		vmdk_close(handle);
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET,
				      "VMDK: cannot open the extent files its descriptor names (looked for in the "
				      "descriptor's folder)%s%s", why[0] ? ": " : "", why);
	}
	size64_t size = 0;
	if (libvmdk_handle_get_media_size(handle, &size, &e) != 1 || size == 0) {
		vmdk_reason(e, why, sizeof(why));
		vmdk_close(handle);
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, VMFS_NO_OFFSET, "VMDK: no virtual disk size%s%s",
				      why[0] ? ": " : "", why);
	}
	out->ops = &vmdk_backend;
	out->impl = handle;
	out->size = (uint64_t)size;
	out->kind = VMFS_SOURCE_VMDK;
	return VMFS_OK;
}
