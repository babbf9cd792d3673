/* Opening a file system: LV map (format reference vmfs-fs-layer.md 1.1),
 * descriptor and geometry (8.1 steps 2-3), bootstrap of .fdc.sf (3.2) and
 * the other resource files (3.3, 8.1 steps 5-6). */
#include "vmfs/fs/internal.h"
#include "vmfs/core/le.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEX "0x%" PRIx64

static uint64_t member_lv_end(const vmfs_fs *fs, size_t i)
{
	const vmfs_device *dev = fs->members[i].device;
	if (fs->bare[i]) {
		uint64_t size = vmfs_source_size(fs->members[i].source);
		return size > fs->bare_base[i] ? size - fs->bare_base[i] : 0;
	}
	uint64_t end = 0;
	for (size_t e = 0; e < dev->num_extents; e++) {
		const vmfs_pe_entry *pe = &dev->extents[e].pe;
		uint64_t x;
		if (pe->volume_id == fs->volume_id[i] && !__builtin_add_overflow(pe->l_offset, pe->length, &x) &&
		    x > end)
			end = x;
	}
	return end;
}

vmfs_status vmfs_fs_map_lv(const vmfs_fs *fs, uint64_t lv, vmfs_source **source, uint64_t *offset,
			   uint64_t *contiguous, vmfs_error *err)
{
	for (size_t i = 0; i < fs->count; i++) {
		uint64_t abs, avail;
		if (fs->bare[i]) {
			uint64_t size = vmfs_source_size(fs->members[i].source);
			if (__builtin_add_overflow(fs->bare_base[i], lv, &abs) || abs >= size)
				continue;
			avail = size - abs;
		} else if (vmfs_device_map_lv(fs->members[i].device, fs->volume_id[i], lv, &abs, &avail) != VMFS_OK) {
			continue;
		}
		/* 1.1: an extent that lies (partly) past the end of its source. */
		uint64_t size = vmfs_source_size(fs->members[i].source);
		if (abs >= size)
			continue;
		if (avail > size - abs)
			avail = size - abs;
		*source = fs->members[i].source;
		*offset = abs;
		if (contiguous)
			*contiguous = avail;
		return VMFS_OK;
	}
	return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, fs->path, VMFS_NO_OFFSET,
			      "LV offset " HEX " is not mapped by any physical extent of the volume", lv);
}

uint64_t vmfs_fs_source_offset(const vmfs_fs *fs, uint64_t lv)
{
	vmfs_source *src;
	uint64_t off;
	if (vmfs_fs_map_lv(fs, lv, &src, &off, NULL, NULL) != VMFS_OK)
		return VMFS_NO_OFFSET;
	return off;
}

vmfs_status vmfs_fs_read_lv(const vmfs_fs *fs, uint64_t lv, void *buf, size_t len, vmfs_error *err)
{
	uint8_t *p = buf;
	while (len) {
		vmfs_source *src;
		uint64_t off, avail;
		vmfs_status st = vmfs_fs_map_lv(fs, lv, &src, &off, &avail, err);
		if (st != VMFS_OK)
			return st;
		size_t n = avail < len ? (size_t)avail : len;
		st = vmfs_source_read(src, off, p, n, err);
		if (st != VMFS_OK)
			return st;
		p += n;
		len -= n;
		if (__builtin_add_overflow(lv, (uint64_t)n, &lv) && len)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, fs->path, VMFS_NO_OFFSET, "LV offset overflows");
	}
	return VMFS_OK;
}

vmfs_status vmfs_fs_wrap(vmfs_error *err, vmfs_status st, const char *path, uint64_t offset, const char *fmt, ...)
{
	if (!err)
		return st;
	char old[sizeof(err->reason)], prefix[400];
	snprintf(old, sizeof(old), "%s", err->reason);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	return vmfs_error_set(err, st, path, offset, "%s: %s", prefix, old);
}

const vmfs_fs_descriptor *vmfs_fs_descriptor_of(const vmfs_fs *fs)
{
	return &fs->desc;
}

const vmfs_fs_geometry *vmfs_fs_geometry_of(const vmfs_fs *fs)
{
	return &fs->geo;
}

uint64_t vmfs_fs_lv_size(const vmfs_fs *fs)
{
	return fs->lv_size;
}

const vmfs_res_header *vmfs_fs_resource_header(const vmfs_fs *fs, vmfs_fs_resource which)
{
	return which < VMFS_RES_COUNT && fs->has_hdr[which] ? &fs->hdr[which] : NULL;
}

static const char *const res_names[VMFS_RES_COUNT] = {".fbb.sf", ".fdc.sf", ".pbc.sf", ".sbc.sf", ".pb2.sf"};
/* 3.1: FD addresses of the resource files (cluster 0). */
static const uint32_t res_fd[VMFS_RES_COUNT] = {0x00400004, 0x00800004, 0x00C00004, 0x01000004, 0x01800004};

vmfs_status vmfs_fs_item_lv(vmfs_fs *fs, vmfs_fs_resource which, uint64_t cluster, uint32_t resource, int depth,
			    uint64_t *lv, vmfs_error *err)
{
	if (fs->opening == (int)which)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, fs->path, VMFS_NO_OFFSET,
				      "%s would be read through its own resource c%" PRIu64 " r%" PRIu32
				      ": a cycle (2.3)", res_names[which], cluster, resource);
	if (!fs->has_res[which])
		return vmfs_error_set(err, VMFS_ERR_FORMAT, fs->path, VMFS_NO_OFFSET,
				      "%s holds no resources: cannot read resource c%" PRIu64 " r%" PRIu32,
				      res_names[which], cluster, resource);
	vmfs_file *rf = fs->res[which];
	const vmfs_res_header *h = &fs->hdr[which];
	uint64_t off;
	vmfs_status st = vmfs_res_item_offset(h, fs->geo.cluster_meta, cluster, resource, rf->fd.length, &off, err);
	if (st != VMFS_OK)
		return vmfs_fs_wrap(err, st, rf->path, vmfs_fs_source_offset(fs, rf->fd_lv), "FD 0x%08" PRIx32,
				    rf->address);
	vmfs_segment seg;
	st = vmfs_fs_file_segment_depth(rf, off, h->resource_size, &seg, depth + 1, err);
	if (st != VMFS_OK)
		return st;
	if (seg.kind != VMFS_SEGMENT_DATA || seg.length < h->resource_size)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, res_names[which], vmfs_fs_source_offset(fs, rf->fd_lv),
				      "FD 0x%08" PRIx32 ": resource c%" PRIu64 " r%" PRIu32 " at file offset " HEX
				      " is %s", rf->address, cluster, resource, off,
				      seg.kind != VMFS_SEGMENT_DATA ? "in a hole of the resource file"
								    : "not contiguous on the volume");
	*lv = seg.lv;
	return VMFS_OK;
}

static vmfs_status read_res_header(vmfs_fs *fs, vmfs_file *f, uint64_t at, vmfs_res_header *h, vmfs_error *err)
{
	uint8_t buf[VMFS_RES_HEADER_SIZE];
	vmfs_status st = vmfs_fs_file_read_exact(f, at, buf, sizeof(buf), 0, err);
	if (st != VMFS_OK)
		return st;
	vmfs_res_header_decode(buf, h);
	if (h->num_resources == 0)
		return VMFS_OK; /* 8.1 step 6: VMFS6 .pbc.sf holds none; it is skipped */
	st = vmfs_res_header_check(h, fs->geo.cluster_meta, err);
	if (st != VMFS_OK) {
		vmfs_segment seg;
		uint64_t where = VMFS_NO_OFFSET;
		vmfs_error e2;
		if (vmfs_file_segment(f, at, 0, &seg, &e2) == VMFS_OK && seg.kind == VMFS_SEGMENT_DATA)
			where = seg.source_offset + err->offset;
		return vmfs_fs_wrap(err, st, f->path, where, "resource header (3.3)");
	}
	return VMFS_OK;
}

/* 3.2: the .fdc.sf header at FDC_LV must agree with the descriptor; the FD
 * of .fdc.sf (c0 r2) must be a system file whose first block is FDC_LV. */
static vmfs_status bootstrap(vmfs_fs *fs, vmfs_error *err)
{
	const vmfs_fs_geometry *g = &fs->geo;
	uint8_t buf[VMFS_RES_HEADER_SIZE];
	vmfs_status st = vmfs_fs_read_lv(fs, g->fdc_lv, buf, sizeof(buf), err);
	if (st != VMFS_OK)
		return st;
	vmfs_res_header h;
	vmfs_res_header_decode(buf, &h);
	uint64_t where = vmfs_fs_source_offset(fs, g->fdc_lv);
	if (h.resource_size != g->fd_size || h.group_offset != fs->desc.fdc_cluster_group_offset ||
	    h.clusters_per_group != fs->desc.fdc_clusters_per_group)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, fs->path, where,
				      "bootstrap (3.2): the .fdc.sf header at LV " HEX " (resourceSize 0x%" PRIx32
				      ", clusterGroupOffset 0x%" PRIx32 ", clustersPerGroup %" PRIu32
				      ") does not match the descriptor (0x%" PRIx32 ", 0x%" PRIx32 ", %" PRIu32 ")",
				      g->fdc_lv, h.resource_size, h.group_offset, h.clusters_per_group, g->fd_size,
				      fs->desc.fdc_cluster_group_offset, fs->desc.fdc_clusters_per_group);
	st = vmfs_res_header_check(&h, g->cluster_meta, err);
	if (st != VMFS_OK)
		return vmfs_fs_wrap(err, st, fs->path, where == VMFS_NO_OFFSET ? where : where + err->offset,
				    ".fdc.sf header (3.3)");
	uint64_t fd_lv = g->fdc_lv + h.group_offset + (uint64_t)h.clusters_per_group * g->cluster_meta + 2ull * g->fd_size;
	vmfs_file *fdc;
	st = vmfs_fs_file_open_at(fs, res_fd[VMFS_RES_FDC], fd_lv, "/.fdc.sf", &fdc, err);
	if (st != VMFS_OK)
		return st;
	fs->res[VMFS_RES_FDC] = fdc;
	vmfs_segment seg;
	st = vmfs_file_segment(fdc, 0, 0, &seg, err);
	if (st != VMFS_OK)
		return st;
	if (fdc->fd.type != VMFS_FD_SYSFILE || seg.kind != VMFS_SEGMENT_DATA || seg.lv != g->fdc_lv)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, "/.fdc.sf", vmfs_fs_source_offset(fs, fd_lv),
				      "bootstrap (3.2): the FD of .fdc.sf (type %" PRIu32
				      ") does not start at LV " HEX, fdc->fd.type, g->fdc_lv);
	fs->hdr[VMFS_RES_FDC] = h;
	st = read_res_header(fs, fdc, 0, &fs->hdr[VMFS_RES_FDC], err);
	fs->has_res[VMFS_RES_FDC] = fs->has_hdr[VMFS_RES_FDC] = st == VMFS_OK && fs->hdr[VMFS_RES_FDC].num_resources > 0;
	return st;
}

static vmfs_status check_resource(vmfs_fs *fs, vmfs_fs_resource which, vmfs_file *f, bool required, const char *path,
				  vmfs_error *err);

static vmfs_status open_resource(vmfs_fs *fs, vmfs_fs_resource which, bool required, vmfs_error *err)
{
	char path[32];
	snprintf(path, sizeof(path), "/%s", res_names[which]);
	vmfs_file *f;
	vmfs_status st = vmfs_file_open(fs, res_fd[which], path, &f, err);
	if (st != VMFS_OK)
		return required ? st : VMFS_OK;
	fs->res[which] = f;
	fs->opening = (int)which;
	st = check_resource(fs, which, f, required, path, err);
	fs->opening = -1;
	return st;
}

static vmfs_status check_resource(vmfs_fs *fs, vmfs_fs_resource which, vmfs_file *f, bool required, const char *path,
				  vmfs_error *err)
{
	vmfs_status st;
	if (f->fd.type != VMFS_FD_SYSFILE)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, vmfs_fs_source_offset(fs, f->fd_lv),
				      "FD 0x%08" PRIx32 ": type %" PRIu32 ", not a system file", f->address, f->fd.type);
	if (f->fd.length < VMFS_RES_HEADER_SIZE) {
		if (required)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, vmfs_fs_source_offset(fs, f->fd_lv),
					      "FD 0x%08" PRIx32 ": %" PRIu64 " bytes, too short for a resource header",
					      f->address, f->fd.length);
		return VMFS_OK;
	}
	st = read_res_header(fs, f, 0, &fs->hdr[which], err);
	if (st != VMFS_OK)
		return st;
	const vmfs_res_header *h = &fs->hdr[which];
	fs->has_res[which] = h->num_resources > 0 && h->resource_size > 0;
	fs->has_hdr[which] = h->num_resources > 0;
	if (which == VMFS_RES_SBC && fs->has_res[which] && h->resource_size != fs->geo.sbs)
		return vmfs_error_set(err, VMFS_ERR_FORMAT, path, vmfs_fs_source_offset(fs, f->fd_lv),
				      ".sbc.sf resourceSize 0x%" PRIx32 " differs from the descriptor's sub-block size 0x%"
				      PRIx32 " (8.2)", h->resource_size, fs->geo.sbs);
	if (which == VMFS_RES_FBB && fs->geo.v6) {
		/* 3.3: the SFB (child) header gives R for SFB addresses (2.2). */
		vmfs_res_header child;
		if (h->child_meta_offset == 0)
			return vmfs_error_set(err, VMFS_ERR_FORMAT, path, vmfs_fs_source_offset(fs, f->fd_lv),
					      ".fbb.sf has no SFB child header (childMetaOffset 0)");
		st = read_res_header(fs, f, h->child_meta_offset, &child, err);
		if (st != VMFS_OK)
			return st;
		fs->sfb_per_cluster = child.per_cluster;
	}
	return VMFS_OK;
}

vmfs_status vmfs_fs_open(const vmfs_fs_member *members, size_t count, vmfs_fs **out, vmfs_error *err)
{
	vmfs_error local;
	if (!err)
		err = &local;
	*out = NULL;
	if (!members || count == 0 || count > VMFS_FS_MAX_MEMBERS)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, "", VMFS_NO_OFFSET,
				      "a file system needs 1..%u member devices, %zu given", VMFS_FS_MAX_MEMBERS, count);
	vmfs_fs *fs = calloc(1, sizeof(*fs));
	if (!fs)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, "", VMFS_NO_OFFSET, "out of memory");
	const vmfs_device *desc_dev = NULL;
	for (size_t i = 0; i < count; i++) {
		const vmfs_device *dev = members[i].device;
		fs->members[i] = members[i];
		if (!dev || !members[i].source) {
			vmfs_fs_close(fs);
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, "", VMFS_NO_OFFSET, "member %zu is empty", i);
		}
		if (dev->has_lvm && dev->primary) {
			fs->volume_id[i] = dev->primary->entry.volume_id;
		} else if (dev->has_fs && dev->fs_located && dev->fs_offset >= VMFS_FS_DESC_LV_OFFSET) {
			fs->bare[i] = true; /* an LV image: LV 0 is 2 MiB before the descriptor */
			fs->bare_base[i] = dev->fs_offset - VMFS_FS_DESC_LV_OFFSET;
		} else {
			vmfs_fs_close(fs);
			return vmfs_error_set(err, VMFS_ERR_FORMAT, vmfs_source_path(members[i].source), dev->offset,
					      "the device has neither a volume entry nor a file-system descriptor");
		}
		if (dev->has_fs && dev->fs_located && !desc_dev) {
			desc_dev = dev;
			fs->path = vmfs_source_path(members[i].source);
			fs->desc_offset = dev->fs_offset;
		}
	}
	fs->count = count;
	if (!desc_dev) {
		vmfs_fs_close(fs);
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, vmfs_source_path(members[0].source), VMFS_NO_OFFSET,
				      "no member holds the file-system descriptor (LV 0x200000)");
	}
	fs->desc = desc_dev->fs;
	fs->opening = -1;
	for (size_t i = 0; i < count; i++) {
		uint64_t end = member_lv_end(fs, i);
		if (end > fs->lv_size)
			fs->lv_size = end;
	}
	vmfs_status st = vmfs_fs_geometry_init(&fs->desc, fs->path, fs->desc_offset, &fs->geo, err);
	if (st == VMFS_OK) {
		/* 2.2: bootstrap SFB multiplier until .fbb.sf is open. */
		fs->sfb_per_cluster = fs->geo.fbs ? (uint32_t)((512ull << 20) / fs->geo.fbs) : 0;
		if (fs->sfb_per_cluster > 8192)
			fs->sfb_per_cluster = 8192;
		st = bootstrap(fs, err);
	}
	/* 8.1 step 6: .pb2.sf first (VMFS6 .sbc.sf is mapped through a PB2).
	 * VMFS3 has no .pb2.sf; VMFS5 and VMFS6 have one (3.1). On VMFS3 the
	 * slot c0 r6 is not looked at: it may hold a user file's FD. */
	if (st == VMFS_OK && fs->desc.major >= 14)
		st = open_resource(fs, VMFS_RES_PB2, true, err);
	if (st == VMFS_OK)
		st = open_resource(fs, VMFS_RES_PBC, true, err);
	if (st == VMFS_OK)
		st = open_resource(fs, VMFS_RES_SBC, true, err);
	if (st == VMFS_OK)
		st = open_resource(fs, VMFS_RES_FBB, true, err);
	if (st == VMFS_OK && (fs->sfb_per_cluster == 0 || fs->sfb_per_cluster > VMFS_RES_MAX_PER_CLUSTER))
		st = vmfs_error_set(err, VMFS_ERR_FORMAT, "/.fbb.sf", VMFS_NO_OFFSET,
				    "SFB resources per cluster %" PRIu32 " is not in 1..65536", fs->sfb_per_cluster);
	if (st != VMFS_OK) {
		vmfs_fs_close(fs);
		return st;
	}
	*out = fs;
	return VMFS_OK;
}

vmfs_status vmfs_fs_open_discovered(const vmfs_discovery *d, size_t volume, vmfs_fs **out, vmfs_error *err)
{
	*out = NULL;
	if (volume >= d->num_volumes)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, "", VMFS_NO_OFFSET, "no volume %zu", volume);
	const vmfs_lv *lv = &d->volumes[volume];
	vmfs_fs_member members[VMFS_FS_MAX_MEMBERS];
	size_t n = 0;
	for (size_t i = 0; i < lv->num_members && n < VMFS_FS_MAX_MEMBERS; i++) {
		const vmfs_lv_member *m = &lv->members[i];
		if (m->source >= d->count || m->device >= d->disks[m->source].num_devices)
			continue;
		const vmfs_device *dev = d->disks[m->source].devices[m->device];
		bool seen = false;
		for (size_t j = 0; j < n && !seen; j++)
			seen = members[j].device->has_lvm && dev->has_lvm &&
			       vmfs_uuid_equal(&members[j].device->lvm.device_uuid, &dev->lvm.device_uuid);
		if (seen)
			continue; /* a copy of a device already used */
		members[n].source = d->sources[m->source];
		members[n].device = dev;
		n++;
	}
	return vmfs_fs_open(members, n, out, err);
}

void vmfs_fs_close(vmfs_fs *fs)
{
	if (!fs)
		return;
	for (size_t i = 0; i < VMFS_RES_COUNT; i++)
		vmfs_file_close(fs->res[i]);
	free(fs);
}
