#include "tools/common/fsopen.h"

#include "tools/common/cli.h"
#include "tools/common/format.h"
#include "vmfs/backup/backup.h"
#include "vmfs/format/vmware_uuid.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const vmfs_device *candidate_device(const fs_target *t, const fs_candidate *c)
{
	return t->discovery.disks[c->source].devices[c->device];
}

/* Every file system the discovery found: each assembled volume once (through
 * its member that holds the descriptor), then each volume image. */
static void list_candidates(fs_target *t)
{
	const vmfs_discovery *d = &t->discovery;
	for (size_t v = 0; v < d->num_volumes && t->num_candidates < FS_TARGET_MAX_CANDIDATES; v++) {
		const vmfs_lv *lv = &d->volumes[v];
		for (size_t m = 0; m < lv->num_members; m++) {
			const vmfs_device *dev = d->disks[lv->members[m].source].devices[lv->members[m].device];
			if (!dev->has_fs)
				continue;
			t->candidates[t->num_candidates++] = (fs_candidate){ v, lv->members[m].source, lv->members[m].device };
			break;
		}
	}
	for (size_t s = 0; s < d->count; s++)
		for (size_t i = 0; i < d->disks[s].num_devices && t->num_candidates < FS_TARGET_MAX_CANDIDATES; i++) {
			const vmfs_device *dev = d->disks[s].devices[i];
			if (dev->has_fs && !dev->has_lvm)
				t->candidates[t->num_candidates++] = (fs_candidate){ SIZE_MAX, s, i };
		}
}

static bool matches(const fs_target *t, const fs_candidate *c, const char *spec, unsigned sector_size)
{
	const vmfs_device *dev = candidate_device(t, c);
	char text[VMFS_UUID_TEXT_LEN + 1];
	if (strcmp(dev->fs.label, spec) == 0 || strcmp(vmfs_uuid_format(&dev->fs.uuid, text), spec) == 0)
		return true;
	if (c->volume != SIZE_MAX &&
	    strcmp(vmfs_uuid_format(&t->discovery.volumes[c->volume].lv_uuid, text), spec) == 0)
		return true;
	uint64_t offset;
	return parse_offset(spec, sector_size ? sector_size : 512, &offset) && offset == dev->offset;
}

void fs_target_describe(const fs_target *t, char *out, size_t len)
{
	const fs_candidate *c = t->chosen;
	if (!c) {
		snprintf(out, len, "(none)");
		return;
	}
	const vmfs_device *dev = candidate_device(t, c);
	char version[48], uuid[VMFS_UUID_TEXT_LEN + 1], label[600], path[600];
	snprintf(out, len, "%s \"%s\", FS UUID %s, in %s at 0x%" PRIx64,
		 vmfs_fs_version_string(&dev->fs, version, sizeof(version)), fmt_safe_text(dev->fs.label, label, sizeof(label)),
		 vmfs_uuid_format(&dev->fs.uuid, uuid),
		 fmt_safe_text(vmfs_source_path(t->discovery.sources[c->source]), path, sizeof(path)), dev->offset);
}

bool fs_target_add_member(fs_target_options *options, const char *path)
{
	if (options->num_members >= sizeof(options->members) / sizeof(options->members[0]))
		return false;
	options->members[options->num_members++] = path;
	return true;
}

vmfs_status fs_target_open(const char *source, const fs_target_options *options, fs_target *t, vmfs_error *err)
{
	memset(t, 0, sizeof(*t));
	/* SOURCE first: errors about the whole set name it. */
	const char *paths[VMFS_DISCOVER_MAX_SOURCES];
	paths[0] = source;
	for (size_t i = 0; i < options->num_members; i++)
		paths[i + 1] = options->members[i];
	const size_t count = options->num_members + 1;
	for (size_t i = 0; i < count; i++) {
		/* O_RDONLY always: the file tools never write to a source. A
		 * vmfs-backup file holds metadata only, not files: refused. */
		if (vmfs_backup_is_backup_file(paths[i]))
			return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, paths[i], 0,
					      "is a vmfs-backup file: it holds metadata, not the volume's files");
		vmfs_status st = vmfs_source_open(paths[i], &t->sources[i], err);
		if (st != VMFS_OK)
			return st;
		t->count = i + 1;
		if (options->sector_size)
			vmfs_source_set_sector_size(t->sources[i], options->sector_size);
	}
	vmfs_disk_options disk = { .sector_size = options->sector_size };
	vmfs_status st = vmfs_discover(t->sources, t->count, &disk, &t->discovery, err);
	if (st != VMFS_OK)
		return st;
	t->discovered = true;
	list_candidates(t);
	if (t->num_candidates == 0)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, paths[0], VMFS_NO_OFFSET,
				      "no VMFS file system found (no file-system descriptor on any volume found; "
				      "vmfs-inspect shows what is there)");
	size_t chosen = SIZE_MAX, hits = 0;
	for (size_t i = 0; i < t->num_candidates; i++)
		if (!options->volume || matches(t, &t->candidates[i], options->volume, options->sector_size)) {
			hits++;
			if (chosen == SIZE_MAX)
				chosen = i;
		}
	if (hits != 1) {
		/* Say what there is, so the user can choose. */
		char list[1500] = "";
		size_t pos = 0;
		for (size_t i = 0; i < t->num_candidates && pos < sizeof(list); i++) {
			const vmfs_device *dev = candidate_device(t, &t->candidates[i]);
			char uuid[VMFS_UUID_TEXT_LEN + 1], label[300];
			pos += (size_t)snprintf(list + pos, sizeof(list) - pos, "%s\"%s\" (FS UUID %s, at 0x%" PRIx64 ")",
						i ? ", " : "", fmt_safe_text(dev->fs.label, label, sizeof(label)),
						vmfs_uuid_format(&dev->fs.uuid, uuid), dev->offset);
		}
		if (hits == 0)
			return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, paths[0], VMFS_NO_OFFSET,
					      "no VMFS file system matches --volume '%s'; found: %s", options->volume, list);
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, paths[0], VMFS_NO_OFFSET,
				      "%zu VMFS file systems match: choose one with --volume LABEL, UUID or OFFSET: %s", hits,
				      list);
	}
	t->chosen = &t->candidates[chosen];
	if (t->chosen->volume != SIZE_MAX)
		return vmfs_fs_open_discovered(&t->discovery, t->chosen->volume, &t->fs, err);
	vmfs_fs_member member = { t->discovery.sources[t->chosen->source], candidate_device(t, t->chosen) };
	return vmfs_fs_open(&member, 1, &t->fs, err);
}

void fs_target_close(fs_target *t)
{
	vmfs_fs_close(t->fs);
	t->fs = NULL;
	if (t->discovered)
		vmfs_discovery_free(&t->discovery);
	t->discovered = false;
	for (size_t i = 0; i < t->count; i++)
		vmfs_source_close(t->sources[i]);
	t->count = 0;
}

const vmfs_device *fs_target_device(const fs_target *t)
{
	return t->chosen ? candidate_device(t, t->chosen) : NULL;
}

json_object *fs_target_volume_json(const fs_target *t)
{
	if (!t->chosen)
		return NULL;
	const vmfs_device *dev = fs_target_device(t);
	json_object *v = json_object_new_object();
	char version[48];
	json_object_object_add(v, "label", json_object_new_string(dev->fs.label));
	json_object_object_add(v, "version", json_object_new_string(vmfs_fs_version_string(&dev->fs, version, sizeof(version))));
	cli_json_put_uuid(v, "fs_uuid", &dev->fs.uuid, false);
	static const vmfs_uuid none;
	const vmfs_uuid *lv = t->chosen->volume != SIZE_MAX ? &t->discovery.volumes[t->chosen->volume].lv_uuid : &none;
	cli_json_put_uuid(v, "lv_uuid", lv, true);
	json_object_object_add(v, "block_size", json_object_new_uint64(dev->fs.file_block_size));
	json_object *members = json_object_new_array();
	if (t->chosen->volume != SIZE_MAX) {
		const vmfs_lv *l = &t->discovery.volumes[t->chosen->volume];
		for (size_t m = 0; m < l->num_members; m++) {
			const vmfs_device *md = t->discovery.disks[l->members[m].source].devices[l->members[m].device];
			json_object *o = json_object_new_object();
			json_object_object_add(o, "path", json_object_new_string(vmfs_source_path(t->discovery.sources[l->members[m].source])));
			json_object_object_add(o, "offset", json_object_new_uint64(md->offset));
			cli_json_put_uuid(o, "device_uuid", &md->lvm.device_uuid, false);
			json_object_array_add(members, o);
		}
	} else {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "path", json_object_new_string(vmfs_source_path(t->discovery.sources[t->chosen->source])));
		json_object_object_add(o, "offset", json_object_new_uint64(dev->offset));
		cli_json_put_uuid(o, "device_uuid", &none, true);
		json_object_array_add(members, o);
	}
	json_object_object_add(v, "members", members);
	return v;
}
