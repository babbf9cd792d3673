/* The discovery layer (see discover.h): each source analysed by
 * vmfs_disk_analyse, then spanned volumes assembled across all of them
 * (format reference 4.4). */
#include "vmfs/discover/discover.h"

#include "vmfs/format/lvm.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* A device takes part in a volume when it carries a volume-table entry and
 * is not a stale header left inside a newer volume. */
static bool member_candidate(const vmfs_disk *disk, size_t i)
{
	const vmfs_device *dev = disk->devices[i];
	return dev->has_lvm && dev->primary && disk->found[i].state != VMFS_FOUND_STALE;
}

static vmfs_lv *volume_for(vmfs_discovery *d, const vmfs_volume_entry *v)
{
	for (size_t i = 0; i < d->num_volumes; i++)
		if (vmfs_uuid_equal(&d->volumes[i].lv_uuid, &v->lv_uuid) && d->volumes[i].snap_id == v->snap_id)
			return &d->volumes[i];
	if (d->num_volumes >= VMFS_DISCOVER_MAX_VOLUMES)
		return NULL;
	vmfs_lv *lv = &d->volumes[d->num_volumes++];
	memset(lv, 0, sizeof(*lv));
	lv->lv_uuid = v->lv_uuid;
	lv->snap_id = v->snap_id;
	lv->num_devs = v->num_devs;
	return lv;
}

static const vmfs_device *member_device(const vmfs_discovery *d, const vmfs_lv_member *m)
{
	return d->disks[m->source].devices[m->device];
}

static void assemble(vmfs_discovery *d)
{
	for (size_t s = 0; s < d->count; s++) {
		const vmfs_disk *disk = &d->disks[s];
		for (size_t i = 0; i < disk->num_devices; i++) {
			if (!member_candidate(disk, i))
				continue;
			vmfs_lv *lv = volume_for(d, &disk->devices[i]->primary->entry);
			if (!lv || lv->num_members >= VMFS_DISCOVER_MAX_MEMBERS) {
				d->volumes_dropped++;
				continue;
			}
			lv->members[lv->num_members++] = (vmfs_lv_member){ s, i, false };
		}
	}
	for (size_t v = 0; v < d->num_volumes; v++) {
		vmfs_lv *lv = &d->volumes[v];
		for (size_t a = 0; a < lv->num_members; a++) {
			const vmfs_device *da = member_device(d, &lv->members[a]);
			bool first = true;
			for (size_t b = 0; b < lv->num_members; b++) {
				if (b == a || !vmfs_uuid_equal(&da->lvm.device_uuid, &member_device(d, &lv->members[b])->lvm.device_uuid))
					continue;
				lv->members[a].duplicate = true;
				first &= b > a;
			}
			lv->present += first;
			lv->duplicated += lv->members[a].duplicate;
		}
		lv->missing = lv->num_devs > lv->present ? lv->num_devs - lv->present : 0;
		lv->complete = lv->present >= lv->num_devs;
	}
}

/* Findings on each member (the reports show them with the device). */
static void member_findings(vmfs_discovery *d)
{
	for (size_t v = 0; v < d->num_volumes; v++) {
		const vmfs_lv *lv = &d->volumes[v];
		char uuid[VMFS_UUID_TEXT_LEN + 1];
		vmfs_uuid_format(&lv->lv_uuid, uuid);
		for (size_t m = 0; m < lv->num_members; m++) {
			vmfs_device *dev = d->disks[lv->members[m].source].devices[lv->members[m].device];
			uint64_t at = dev->primary->entry_offset + VMFS_VOL_OFF_NUM_DEVS;
			if (lv->num_devs > 1 && lv->missing)
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "spanned-volume-incomplete", at,
						  "volume %s spans %" PRIu32 " devices; %zu of them are in the %zu source(s) given, "
						  "%zu missing: the others must be read from their own disks (give every member "
						  "together)", uuid, lv->num_devs, lv->present, d->count, lv->missing);
			else if (lv->num_devs > 1)
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_INFO, "spanned-volume-complete", at,
						  "volume %s spans %" PRIu32 " devices; all of them are in the source(s) given "
						  "(this one is member %zu of %zu found)", uuid, lv->num_devs, m + 1, lv->num_members);
			if (lv->members[m].duplicate) {
				char dev_uuid[VMFS_UUID_TEXT_LEN + 1];
				vmfs_findings_add(&dev->findings, VMFS_SEVERITY_WARNING, "device-duplicated",
						  dev->header_offset + VMFS_LVM_OFF_DEVICE_UUID,
						  "device %s of volume %s is found more than once (a LUN and its copy?): ESXi "
						  "treats such copies as snapshots; mount or resignature only one of them",
						  vmfs_uuid_format(&dev->lvm.device_uuid, dev_uuid), uuid);
			}
		}
	}
}

vmfs_status vmfs_discover(vmfs_source *const *sources, size_t count, const vmfs_discover_options *options,
			  vmfs_discovery *out, vmfs_error *err)
{
	memset(out, 0, sizeof(*out));
	if (count == 0 || count > VMFS_DISCOVER_MAX_SOURCES)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, count ? vmfs_source_path(sources[0]) : NULL, VMFS_NO_OFFSET,
				      "%zu sources given: 1 to %u can be discovered together", count,
				      VMFS_DISCOVER_MAX_SOURCES);
	out->disks = calloc(count, sizeof(*out->disks));
	if (!out->disks)
		return vmfs_error_set(err, VMFS_ERR_NO_MEMORY, vmfs_source_path(sources[0]), VMFS_NO_OFFSET, "out of memory");
	for (size_t i = 0; i < count; i++) {
		out->sources[i] = sources[i];
		vmfs_status st = vmfs_disk_analyse(sources[i], options, &out->disks[i], err);
		if (st != VMFS_OK) {
			vmfs_discovery_free(out);
			return st;
		}
		out->count = i + 1;
	}
	assemble(out);
	member_findings(out);
	if (out->volumes_dropped)
		vmfs_findings_add(&out->findings, VMFS_SEVERITY_WARNING, "volumes-dropped", VMFS_NO_OFFSET,
				  "%zu device(s) left out of the volume list (more than %u volumes or %u members)",
				  out->volumes_dropped, VMFS_DISCOVER_MAX_VOLUMES, VMFS_DISCOVER_MAX_MEMBERS);
	return VMFS_OK;
}

void vmfs_discovery_free(vmfs_discovery *d)
{
	for (size_t i = 0; d->disks && i < d->count; i++)
		vmfs_disk_free(&d->disks[i]);
	free(d->disks);
	d->disks = NULL;
	d->count = 0;
	d->num_volumes = 0;
}

const vmfs_lv *vmfs_discovery_volume_of(const vmfs_discovery *d, size_t source, size_t device)
{
	for (size_t v = 0; v < d->num_volumes; v++)
		for (size_t m = 0; m < d->volumes[v].num_members; m++)
			if (d->volumes[v].members[m].source == source && d->volumes[v].members[m].device == device)
				return &d->volumes[v];
	return NULL;
}

size_t vmfs_discovery_error_count(const vmfs_discovery *d)
{
	size_t n = vmfs_findings_count(&d->findings, VMFS_SEVERITY_ERROR);
	for (size_t i = 0; i < d->count; i++)
		n += vmfs_disk_error_count(&d->disks[i]);
	return n;
}
