/* vmfs-inspect: decode and report the partition table and every VMFS volume
 * of a disk, partition or image. Read-only: sources are opened O_RDONLY. */
#include "tools/common/cli.h"
#include "vmfs/fs/dir.h"
#include "vmfs/fs/fd.h"
#include "vmfs/fs/file.h"
#include "vmfs/fs/fs.h"
#include "vmfs/fs/heartbeat.h"
#include "tools/common/format.h"
#include "tools/common/lock.h"
#include "tools/common/live.h"
#include "tools/common/report.h"
#include "vmfs/backup/backup.h"
#include "vmfs/discover/discover.h"
#include "vmfs/format/ident.h"
#include "vmfs/source/hash.h"
#include "vmfs/source/resolve.h"
#include "vmfs/source/source.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *prog = "vmfs-inspect";

struct inspect_control {
	bool json;
	bool quiet;
	bool vml;
	bool strict;
	bool heartbeats;
	bool hash;
	bool all;
	live_roots roots;
	report_options report;
	vmfs_disk_options disk;
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] PATH...\n"
	       "  %s --all [options]\n"
	       "  %s --vml ID...\n"
	       "\n"
	       "Decode the partition table and every VMFS volume (LVM device header, volume,\n"
	       "device-name and PE tables, file-system descriptor) of a disk, partition or image.\n"
	       "Sources are opened read-only and never written. For a block device, what its LUN\n"
	       "presents (sysfs: SCSI address, INQUIRY, VPD page 0x83) is compared with the LUN\n"
	       "identity its LVM headers record: a volume ESXi would see as a snapshot is said,\n"
	       "with the re-point command. PATH may be an ESXi device name (naa., eui., t10., vml.,\n"
	       "with :N for partition N): the local device presenting it is read.\n"
	       "\n"
	       "Options:\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -o, --offset OFFSET    a VMFS partition starts OFFSET into PATH (no table is read);\n"
	       "                         bytes, 0x for hex, K/KiB M/MiB G/GiB T/TiB (1024),\n"
	       "                         KB MB GB TB (1000), or sectors with s (2048s)\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096 (default: detect)\n"
	       "  -d, --deep             look for lost volumes at every sector, not only the probe's starts\n"
	       "  -x, --hex              annotated hex dump of every header field\n"
	       "  -a, --all              every block device of this host (sysfs); those without VMFS\n"
	       "                         are listed as skipped\n"
	       "      --vml              decode the arguments as device identifiers (vml., vmhba,\n"
	       "                         naa., eui., t10., mpx.) and say which local device each\n"
	       "                         names (exit 1 when one names none)\n"
	       "  -p, --max-pe N         PE entries shown per device in text (default 16)\n"
	       "  -q, --quiet            no report, only diagnostics and the exit status\n"
	       "  -s, --strict           exit 2 on warnings too (e.g. a volume missing from the table)\n"
	       "      --heartbeats       read each volume's file system: heartbeat slots in use, and every\n"
	       "                         held lock with its holder and whether it is live or stale\n"
	       "      --hash             read the whole source and give its SHA-256 and MD5; for an E01\n"
	       "                         image also check them against the hashes stored in it\n"
	       LIVE_ROOTS_HELP
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 VMFS found and consistent; 1 a partition table but no VMFS (--all: no\n"
	       "device holds VMFS; --vml: a name that names no local device);\n"
	       "2 error (unreadable, nothing recognisable, or error findings; with --strict\n"
	       "warnings too); 3 bad usage. --json: one document, schema in\n"
	       "share/vmfs/vmfs-tools.schema.json. See vmfs-inspect(1).\n", prog, prog, prog);
}

static int inspect_ident(const struct inspect_control *ctl, const char *text, json_object *list, json_object *errors)
{
	vmfs_ident id;
	vmfs_error err;
	vmfs_error_clear(&err);
	if (vmfs_ident_parse(text, &id, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		if (list) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "input", json_object_new_string(text));
			json_object_object_add(o, "error", json_object_new_string(err.reason));
			json_object_array_add(list, o);
			json_object_array_add(errors, cli_error_item(&err, text));
		}
		return EXIT_ERROR;
	}
	/* Which local device the name refers to. */
	vmfs_resolution *r = calloc(1, sizeof(*r));
	if (!r) {
		vmfs_error_set(&err, VMFS_ERR_NO_MEMORY, text, VMFS_NO_OFFSET, "out of memory");
		cli_print_error(prog, &err);
		return EXIT_ERROR;
	}
	vmfs_error rerr;
	vmfs_error_clear(&rerr);
	vmfs_status rs = vmfs_resolve_ident(ctl->roots.sysfs, ctl->roots.dev, &id, r, &rerr);
	int status = EXIT_OK;
	const char *why = NULL;
	if (rs == VMFS_ERR_UNSUPPORTED) {
		why = rerr.reason;
		status = EXIT_NOTHING;
	} else if (rs != VMFS_OK) {
		cli_print_error(prog, &rerr);
		if (errors)
			json_object_array_add(errors, cli_error_item(&rerr, text));
		status = EXIT_ERROR;
		why = rerr.reason;
	} else if (r->count == 0) {
		why = r->problem;
		status = EXIT_NOTHING;
	}
	if (list) {
		json_object *o = report_json_ident(text, &id);
		json_object *devices = json_object_new_array();
		for (size_t i = 0; status == EXIT_OK && i < r->count; i++) {
			json_object *d = json_object_new_object();
			json_object_object_add(d, "node", json_object_new_string(r->items[i].node));
			json_object_object_add(d, "device", json_object_new_string(r->items[i].disk));
			json_object_object_add(d, "lun", r->items[i].has_hctl ? json_object_new_uint64(r->items[i].lun) : NULL);
			json_object_object_add(d, "matched_by", json_object_new_string(r->items[i].how));
			json_object_array_add(devices, d);
		}
		json_object_object_add(o, "devices", devices);
		json_object_object_add(o, "not_found", why ? json_object_new_string(why) : NULL);
		json_object_array_add(list, o);
	} else if (!ctl->quiet) {
		report_text_ident(stdout, text, &id);
		char safe[1400];
		for (size_t i = 0; status == EXIT_OK && i < r->count; i++) {
			printf("  local device:     %s (%s", fmt_safe_text(r->items[i].node, safe, sizeof(safe)), r->items[i].how);
			if (r->items[i].has_hctl)
				printf(", presented as LUN %" PRIu64, r->items[i].lun);
			if (r->items[i].has_hctl && id.kind == VMFS_IDENT_VML && r->items[i].lun != id.lun)
				printf("; the name says LUN %u", id.lun);
			printf(")\n");
		}
		if (why)
			printf("  local device:     none: %s\n", fmt_safe_text(why, safe, sizeof(safe)));
	}
	if (why && status == EXIT_NOTHING)
		fprintf(stderr, "%s: %s: no local device: %s\n", prog, text, why);
	free(r);
	return status;
}

/* The document of a source that could not be read: the envelope with its
 * error, source null, exit status 2. */
static json_object *open_error_json(const char *path, const vmfs_error *err)
{
	json_object *o = cli_doc_new(prog);
	json_object *errors = json_object_new_array();
	json_object_array_add(errors, cli_error_item(err, path));
	json_object_object_add(o, "source", NULL);
	json_object_object_add(o, "errors", errors);
	json_object_object_add(o, "exit_status", json_object_new_int(EXIT_ERROR));
	return o;
}

/* Warning findings of a source and its devices (what --strict counts). */
static size_t disk_warnings(const vmfs_disk *disk)
{
	size_t warnings = vmfs_findings_count(&disk->findings, VMFS_SEVERITY_WARNING);
	for (size_t i = 0; i < disk->num_devices; i++)
		warnings += vmfs_findings_count(&disk->devices[i]->findings, VMFS_SEVERITY_WARNING);
	return warnings;
}

/* The status of one analysed source. */
static int disk_status(const struct inspect_control *ctl, const vmfs_disk *disk)
{
	if (vmfs_disk_error_count(disk) > 0 || !disk->recognised)
		return EXIT_ERROR;
	if (disk->num_devices == 0)
		return EXIT_NOTHING;
	return ctl->strict && disk_warnings(disk) ? EXIT_ERROR : EXIT_OK;
}

/* One source's document: the report with the envelope (errors[] from its
 * error findings, exit_status). */
static json_object *disk_json(const struct inspect_control *ctl, vmfs_source *src, const char *path,
			      const vmfs_disk *disk, int status)
{
	json_object *o = report_json(src, disk);
	json_object *errors = json_object_new_array();
	cli_error_items_from_findings(errors, path, &disk->findings);
	for (size_t i = 0; i < disk->num_devices; i++)
		cli_error_items_from_findings(errors, path, &disk->devices[i]->findings);
	if (!disk->recognised && json_object_array_length(errors) == 0)
		json_object_array_add(errors, cli_error_item_make(path, VMFS_NO_OFFSET, "not-recognised",
								  "no partition table and no VMFS structure"));
	size_t warnings = disk_warnings(disk);
	if (ctl->strict && warnings && status == EXIT_ERROR && json_object_array_length(errors) == 0) {
		char message[128];
		snprintf(message, sizeof(message), "--strict: %zu warning finding(s)", warnings);
		json_object_array_add(errors, cli_error_item_make(path, VMFS_NO_OFFSET, "strict-warnings", message));
	}
	json_object_object_add(o, "tool", json_object_new_string(prog));
	json_object_object_add(o, "version", json_object_new_string(VMFS_VERSION));
	json_object_object_add(o, "strict", json_object_new_boolean(ctl->strict));
	json_object_object_add(o, "errors", errors);
	json_object_object_add(o, "exit_status", json_object_new_int(status));
	return o;
}

/* --hash progress on stderr, only when it is a terminal. */
struct hash_progress {
	const char *path;
	int last;
};

static void show_hash_progress(void *context, uint64_t done, uint64_t total)
{
	struct hash_progress *p = context;
	int percent = total ? (int)(done * 100 / total) : 100;
	if (percent == p->last)
		return;
	p->last = percent;
	fprintf(stderr, "\r%s: %s: hashing %3d%% (%" PRIu64 " MiB of %" PRIu64 " MiB)%s", prog, p->path, percent,
		done >> 20, total >> 20, done >= total ? "\n" : "");
}

/* --hash: the whole source streamed once through SHA-256 and MD5 (and SHA-1
 * when an EWF image holds one), compared with the hashes the container
 * recorded at acquisition. *doc receives the "hash" object (null when the
 * source could not be read to its end); errors, the error items. */
static int hash_source(const struct inspect_control *ctl, vmfs_source *src, const char *path, json_object **doc,
		       json_object *errors)
{
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_stored_hashes stored;
	bool has_stored = vmfs_source_stored_hashes(src, &stored);
	vmfs_hashes h;
	struct hash_progress progress = { path, -1 };
	bool tty = !ctl->quiet && isatty(STDERR_FILENO);
	*doc = NULL;
	if (vmfs_source_hash(src, has_stored && stored.has_sha1, tty ? show_hash_progress : NULL, &progress, &h, &err) !=
	    VMFS_OK) {
		if (tty)
			fputc('\n', stderr);
		cli_print_error(prog, &err);
		fprintf(stderr, "%s: %s: no hash: the source could not be read to its end\n", prog, path);
		if (errors)
			json_object_array_add(errors, cli_error_item(&err, path));
		return EXIT_ERROR;
	}
	char sha256[65], md5[33], sha1[41], want[41];
	fmt_hex(h.sha256, sizeof(h.sha256), sha256, sizeof(sha256));
	fmt_hex(h.md5, sizeof(h.md5), md5, sizeof(md5));
	if (h.has_sha1)
		fmt_hex(h.sha1, sizeof(h.sha1), sha1, sizeof(sha1));
	bool md5_ok = !stored.has_md5 || memcmp(stored.md5, h.md5, sizeof(h.md5)) == 0;
	bool sha1_ok = !stored.has_sha1 || memcmp(stored.sha1, h.sha1, sizeof(h.sha1)) == 0;
	int status = EXIT_OK;
	const struct {
		bool has, ok;
		const char *name, *now;
		const uint8_t *bytes;
		size_t len;
	} checks[] = { { stored.has_md5, md5_ok, "MD5", md5, stored.md5, sizeof(stored.md5) },
		       { stored.has_sha1, sha1_ok, "SHA-1", h.has_sha1 ? sha1 : "", stored.sha1, sizeof(stored.sha1) } };
	for (size_t i = 0; i < 2; i++) {
		if (!checks[i].has || checks[i].ok)
			continue;
		char message[400];
		snprintf(message, sizeof(message), "the %s of the media data computed now (%s) differs from the %s "
			 "the image stores (%s): the data changed since acquisition, or the image is damaged",
			 checks[i].name, checks[i].now, checks[i].name, fmt_hex(checks[i].bytes, checks[i].len, want, sizeof(want)));
		fprintf(stderr, "%s: %s: %s\n", prog, path, message);
		if (errors)
			json_object_array_add(errors, cli_error_item_make(path, VMFS_NO_OFFSET, "stored-hash-mismatch", message));
		status = EXIT_ERROR;
	}
	if (ctl->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "bytes", json_object_new_uint64(h.bytes));
		json_object_object_add(o, "bytes_read", json_object_new_uint64(h.bytes_read));
		json_object_object_add(o, "sha256", json_object_new_string(sha256));
		json_object_object_add(o, "md5", json_object_new_string(md5));
		json_object_object_add(o, "sha1", h.has_sha1 ? json_object_new_string(sha1) : NULL);
		json_object *st = NULL;
		if (has_stored) {
			st = json_object_new_object();
			json_object_object_add(st, "md5", stored.has_md5 ? json_object_new_string(fmt_hex(stored.md5, sizeof(stored.md5), want, sizeof(want))) : NULL);
			json_object_object_add(st, "md5_matches", stored.has_md5 ? json_object_new_boolean(md5_ok) : NULL);
			json_object_object_add(st, "sha1", stored.has_sha1 ? json_object_new_string(fmt_hex(stored.sha1, sizeof(stored.sha1), want, sizeof(want))) : NULL);
			json_object_object_add(st, "sha1_matches", stored.has_sha1 ? json_object_new_boolean(sha1_ok) : NULL);
		}
		json_object_object_add(o, "stored", st);
		*doc = o;
	} else if (!ctl->quiet) {
		printf("\nHashes of the whole source (%" PRIu64 " bytes as the source presents them, %" PRIu64 " read, the rest "
		       "holes):\n  SHA-256  %s\n  MD5      %s\n", h.bytes, h.bytes_read, sha256, md5);
		if (h.has_sha1)
			printf("  SHA-1    %s\n", sha1);
		if (stored.has_md5)
			printf("  stored in the image: MD5 %s: %s\n", fmt_hex(stored.md5, sizeof(stored.md5), want, sizeof(want)), md5_ok ? "matches" : "DIFFERS");
		if (stored.has_sha1)
			printf("  stored in the image: SHA-1 %s: %s\n", fmt_hex(stored.sha1, sizeof(stored.sha1), want, sizeof(want)), sha1_ok ? "matches" : "DIFFERS");
		if (!has_stored && vmfs_source_kind_of(src) == VMFS_SOURCE_EWF)
			printf("  the image stores no hash to compare with\n");
	}
	return status;
}

/* The logical volumes assembled across every source given (format
 * reference 4.4), for text and JSON. */
static json_object *volumes_json(const vmfs_discovery *d)
{
	json_object *list = json_object_new_array();
	char uuid[VMFS_UUID_TEXT_LEN + 1];
	for (size_t v = 0; v < d->num_volumes; v++) {
		const vmfs_lv *lv = &d->volumes[v];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "lv_uuid", json_object_new_string(vmfs_uuid_format(&lv->lv_uuid, uuid)));
		json_object_object_add(o, "snap_id", json_object_new_uint64(lv->snap_id));
		json_object_object_add(o, "num_devs", json_object_new_uint64(lv->num_devs));
		json_object_object_add(o, "present", json_object_new_uint64(lv->present));
		json_object_object_add(o, "missing", json_object_new_uint64(lv->missing));
		json_object_object_add(o, "duplicated", json_object_new_uint64(lv->duplicated));
		json_object_object_add(o, "complete", json_object_new_boolean(lv->complete));
		json_object *members = json_object_new_array();
		for (size_t m = 0; m < lv->num_members; m++) {
			const vmfs_device *dev = d->disks[lv->members[m].source].devices[lv->members[m].device];
			json_object *mo = json_object_new_object();
			json_object_object_add(mo, "path", json_object_new_string(vmfs_source_path(d->sources[lv->members[m].source])));
			json_object_object_add(mo, "offset", json_object_new_uint64(dev->offset));
			json_object_object_add(mo, "device_uuid", json_object_new_string(vmfs_uuid_format(&dev->lvm.device_uuid, uuid)));
			json_object_object_add(mo, "first_pe", json_object_new_uint64(dev->primary->entry.first_pe));
			json_object_object_add(mo, "last_pe", json_object_new_uint64(dev->primary->entry.last_pe));
			json_object_object_add(mo, "duplicate", json_object_new_boolean(lv->members[m].duplicate));
			json_object_array_add(members, mo);
		}
		json_object_object_add(o, "members", members);
		json_object_array_add(list, o);
	}
	return list;
}

static void volumes_text(const vmfs_discovery *d)
{
	char uuid[VMFS_UUID_TEXT_LEN + 1], safe[600];
	printf("\nLogical volumes (assembled across the %zu source(s) given): %zu\n", d->count, d->num_volumes);
	for (size_t v = 0; v < d->num_volumes; v++) {
		const vmfs_lv *lv = &d->volumes[v];
		printf("  LV %s snap %" PRIu32 ": %" PRIu32 " device(s), %zu present, %zu missing%s%s\n",
		       vmfs_uuid_format(&lv->lv_uuid, uuid), lv->snap_id, lv->num_devs, lv->present, lv->missing,
		       lv->duplicated ? ", copies of one device found" : "", lv->complete ? " (complete)" : " (incomplete)");
		for (size_t m = 0; m < lv->num_members; m++) {
			const vmfs_device *dev = d->disks[lv->members[m].source].devices[lv->members[m].device];
			printf("    device %s in %s at 0x%" PRIx64 ", PEs %" PRIu64 "..%" PRIu64 "%s\n",
			       vmfs_uuid_format(&dev->lvm.device_uuid, uuid),
			       fmt_safe_text(vmfs_source_path(d->sources[lv->members[m].source]), safe, sizeof(safe)),
			       dev->offset, dev->primary->entry.first_pe, dev->primary->entry.last_pe,
			       lv->members[m].duplicate ? " (duplicate device UUID)" : "");
		}
	}
}

/* --heartbeats (format reference vmfs-fs-layer.md 7): per file system found,
 * the heartbeat slots in use and every held lock with its state. */
struct lock_walk {
	vmfs_fs *fs;
	json_object *locks;
	bool text;
	size_t held, stale, errors;
};

static int lock_entry(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *file)
{
	struct lock_walk *w = ctx;
	(void)ent;
	const vmfs_fd *fd = vmfs_file_fd(file);
	if (!vmfs_lock_record_held(&fd->lock))
		return 0;
	lock_view view;
	lock_view_of(w->fs, fd, &view);
	w->held++;
	w->stale += view.known && view.status.state == VMFS_LOCK_STALE;
	json_object *o = lock_json(fd, &view);
	json_object_object_add(o, "path", json_object_new_string(path));
	json_object_object_add(o, "fd_address", json_object_new_uint64(vmfs_file_address(file)));
	json_object_array_add(w->locks, o);
	if (w->text) {
		char safe[1200], held[180];
		printf("  lock on %s (FD 0x%08" PRIx32 "): %s%s%s\n", fmt_safe_text(path, safe, sizeof(safe)),
		       vmfs_file_address(file), lock_text(fd, &view, held, sizeof(held)), view.known ? ": " : "",
		       view.known ? view.status.reason : "");
	}
	return 0;
}

static int lock_error(void *ctx, const vmfs_error *err)
{
	struct lock_walk *w = ctx;
	cli_print_error(prog, err);
	w->errors++;
	return 0;
}

static int heartbeats_one(const struct inspect_control *ctl, const vmfs_discovery *d, size_t v, json_object *list)
{
	vmfs_fs *fs = NULL;
	vmfs_error err;
	vmfs_error_clear(&err);
	char uuid[VMFS_UUID_TEXT_LEN + 1], mac[24], safe[600], version[48];
	if (vmfs_fs_open_discovered(d, v, &fs, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		json_object *o = json_object_new_object();
		json_object_object_add(o, "lv_uuid", json_object_new_string(vmfs_uuid_format(&d->volumes[v].lv_uuid, uuid)));
		json_object_object_add(o, "error", json_object_new_string(err.reason));
		json_object_array_add(list, o);
		return EXIT_ERROR;
	}
	const vmfs_fs_descriptor *desc = vmfs_fs_descriptor_of(fs);
	bool text = !ctl->json && !ctl->quiet;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "lv_uuid", json_object_new_string(vmfs_uuid_format(&d->volumes[v].lv_uuid, uuid)));
	json_object_object_add(o, "label", json_object_new_string(desc->label));
	cli_json_put_uuid(o, "fs_uuid", &desc->uuid, false);
	uint32_t slots = vmfs_fs_heartbeat_slots(fs);
	json_object_object_add(o, "slots", json_object_new_uint64(slots));
	if (text)
		printf("\nHeartbeats of %s \"%s\" (FS UUID %s): %" PRIu32 " slots\n",
		       vmfs_fs_version_string(desc, version, sizeof(version)), fmt_safe_text(desc->label, safe, sizeof(safe)),
		       vmfs_uuid_format(&desc->uuid, uuid), slots);
	json_object *in_use = json_object_new_array();
	int status = EXIT_OK;
	for (uint32_t i = 0; i < slots; i++) {
		vmfs_heartbeat hb;
		vmfs_error e;
		vmfs_error_clear(&e);
		if (vmfs_fs_heartbeat(fs, i, &hb, &e) != VMFS_OK) {
			cli_print_error(prog, &e);
			status = EXIT_ERROR;
			continue;
		}
		if (hb.state != VMFS_HB_IN_USE)
			continue;
		json_object *h = json_object_new_object();
		json_object_object_add(h, "slot", json_object_new_uint64(hb.index));
		json_object_object_add(h, "lv_offset", json_object_new_uint64(hb.lv));
		cli_json_put_uuid(h, "owner", &hb.owner, false);
		json_object_object_add(h, "generation", json_object_new_uint64(hb.hb_gen));
		json_object_object_add(h, "stamp_us", json_object_new_uint64(hb.stamp_us));
		json_object_object_add(h, "ip", hb.ip[0] ? json_object_new_string(hb.ip) : NULL);
		json_object_array_add(in_use, h);
		if (text)
			printf("  slot %" PRIu32 " in use (LV 0x%" PRIx64 "): host %s (MAC %s), generation %" PRIu64
			       ", uptime stamp %" PRIu64 " us%s%s\n", hb.index, hb.lv, vmfs_uuid_format(&hb.owner, uuid),
			       fmt_mac(hb.owner_mac, mac, sizeof(mac)), hb.hb_gen, hb.stamp_us, hb.ip[0] ? ", IP " : "",
			       fmt_safe_text(hb.ip, safe, sizeof(safe)));
	}
	json_object_object_add(o, "in_use", in_use);
	if (text && json_object_array_length(in_use) == 0)
		printf("  no slot in use (no host was heartbeating on the volume when this copy was made)\n");
	struct lock_walk w = { .fs = fs, .locks = json_object_new_array(), .text = text };
	vmfs_walk_ops ops = { lock_entry, lock_error, &w };
	if (vmfs_fs_walk(fs, "/", &ops, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		w.errors++;
	}
	if (text)
		printf("  locks held: %zu, of which stale: %zu\n", w.held, w.stale);
	json_object_object_add(o, "locks", w.locks);
	json_object_object_add(o, "stale_locks", json_object_new_uint64(w.stale));
	json_object_array_add(list, o);
	vmfs_fs_close(fs);
	return w.errors ? EXIT_ERROR : status;
}

static int heartbeats_report(const struct inspect_control *ctl, const vmfs_discovery *d, json_object *list)
{
	int status = EXIT_OK;
	for (size_t v = 0; v < d->num_volumes; v++) {
		int s = heartbeats_one(ctl, d, v, list);
		status = s > status ? s : status;
	}
	return status;
}

/* Inspects every path together: one discovery over all the sources that
 * open (the members of a spanned volume are assembled across them). */
static int inspect_paths(const struct inspect_control *ctl, char *const *paths, size_t count, json_object *skipped)
{
	vmfs_source *sources[VMFS_DISCOVER_MAX_SOURCES] = { NULL };
	const char *names[VMFS_DISCOVER_MAX_SOURCES];
	static char resolved[VMFS_DISCOVER_MAX_SOURCES][VMFS_LUN_PATH_MAX];
	json_object *reports = ctl->json ? json_object_new_array() : NULL;
	size_t n = 0, snapshots = 0;
	int status = EXIT_OK;
	for (size_t i = 0; i < count; i++) {
		vmfs_error err;
		vmfs_error_clear(&err);
		vmfs_source *src = NULL;
		/* An ESXi device name stands for the local device presenting it. */
		char *path = resolved[n < VMFS_DISCOVER_MAX_SOURCES ? n : VMFS_DISCOVER_MAX_SOURCES - 1];
		vmfs_status st = live_operand(prog, &ctl->roots, paths[i], path, VMFS_LUN_PATH_MAX, &err);
		/* A vmfs-backup file reads like the source it was taken from. */
		if (st == VMFS_OK)
			st = vmfs_backup_is_backup_file(path) ? vmfs_backup_open_source(path, &src, &err)
							      : vmfs_source_open(path, &src, &err);
		if (st == VMFS_OK && n >= VMFS_DISCOVER_MAX_SOURCES) {
			vmfs_source_close(src);
			st = vmfs_error_set(&err, VMFS_ERR_INVALID_ARG, paths[i], VMFS_NO_OFFSET,
					    "more than %u sources given", VMFS_DISCOVER_MAX_SOURCES);
		}
		if (st != VMFS_OK) {
			cli_print_error(prog, &err);
			status = EXIT_ERROR;
			if (reports)
				json_object_array_add(reports, open_error_json(paths[i], &err));
			continue;
		}
		if (ctl->disk.sector_size)
			vmfs_source_set_sector_size(src, ctl->disk.sector_size);
		names[n] = path;
		sources[n++] = src;
	}
	vmfs_discovery d;
	vmfs_error err;
	vmfs_error_clear(&err);
	bool have = n > 0;
	if (have && vmfs_discover(sources, n, &ctl->disk, &d, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		if (reports)
			json_object_array_add(reports, open_error_json(vmfs_source_path(sources[0]), &err));
		status = EXIT_ERROR;
		have = false;
	}
	for (size_t i = 0; have && i < n; i++) {
		const vmfs_disk *disk = &d.disks[i];
		int s = disk_status(ctl, disk);
		/* Every report says what the LUN presents (counted once). */
		json_object *lun = reports ? live_lun_json(&ctl->roots, names[i], disk, &snapshots) : NULL;
		if (!reports && !ctl->quiet) {
			if (i > 0)
				putchar('\n');
			report_text(stdout, sources[i], disk, &ctl->report);
			live_lun_text(stdout, &ctl->roots, names[i], disk, &snapshots);
		} else if (!reports) {
			json_object_put(live_lun_json(&ctl->roots, names[i], disk, &snapshots));
		}
		json_object *hash = NULL, *hash_errors = reports ? json_object_new_array() : NULL;
		if (ctl->hash) {
			int hs = hash_source(ctl, sources[i], names[i], &hash, hash_errors);
			s = hs > s ? hs : s;
		}
		status = s > status ? s : status;
		if (reports) {
			json_object *report = disk_json(ctl, sources[i], names[i], disk, s);
			json_object *errs = json_object_object_get(report, "errors");
			for (size_t k = 0; k < json_object_array_length(hash_errors); k++)
				json_object_array_add(errs, json_object_get(json_object_array_get_idx(hash_errors, k)));
			json_object_object_add(report, "lun_identity", lun);
			if (ctl->hash)
				json_object_object_add(report, "hash", hash);
			json_object_array_add(reports, report);
		}
		json_object_put(hash_errors);
		cli_print_error_findings(prog, names[i], &disk->findings);
		for (size_t k = 0; k < disk->num_devices; k++)
			cli_print_error_findings(prog, names[i], &disk->devices[k]->findings);
		if (s == EXIT_NOTHING)
			fprintf(stderr, "%s: %s: no VMFS volume found (partition table: %s, %zu partitions)\n", prog, names[i],
				disk->table.label, disk->table.count);
		size_t warnings = disk_warnings(disk);
		if (ctl->strict && warnings && vmfs_disk_error_count(disk) == 0 && disk->recognised && disk->num_devices)
			fprintf(stderr, "%s: %s: %zu warning(s) and --strict: not consistent\n", prog, names[i], warnings);
	}
	if (have && !reports && !ctl->quiet && d.num_volumes)
		volumes_text(&d);
	if (snapshots) {
		fprintf(stderr, "%s: %zu VMFS device(s) that ESXi would see as a snapshot (see the re-point command)%s\n",
			prog, snapshots, ctl->strict ? " and --strict" : "");
		if (ctl->strict)
			status = EXIT_ERROR;
	}
	json_object *heartbeats = NULL;
	if (have && ctl->heartbeats) {
		heartbeats = json_object_new_array();
		int s = heartbeats_report(ctl, &d, heartbeats);
		status = s > status ? s : status;
	}
	if (reports) {
		json_object *volumes = have ? volumes_json(&d) : json_object_new_array();
		if (count == 1 && !skipped) {
			json_object *only = json_object_get(json_object_array_get_idx(reports, 0));
			json_object_put(reports);
			json_object_object_add(only, "logical_volumes", volumes);
			if (heartbeats)
				json_object_object_add(only, "heartbeats", json_object_get(heartbeats));
			cli_print_json(only);
		} else {
			/* The errors of every report, for the document of several. */
			json_object *all_errors = json_object_new_array();
			for (size_t i = 0; i < json_object_array_length(reports); i++) {
				json_object *errs = json_object_object_get(json_object_array_get_idx(reports, i), "errors");
				for (size_t k = 0; k < json_object_array_length(errs); k++)
					json_object_array_add(all_errors, json_object_get(json_object_array_get_idx(errs, k)));
			}
			json_object *doc = cli_doc_new(prog);
			json_object_object_add(doc, "reports", reports);
			json_object_object_add(doc, "logical_volumes", volumes);
			if (heartbeats)
				json_object_object_add(doc, "heartbeats", json_object_get(heartbeats));
			if (skipped)
				json_object_object_add(doc, "skipped", json_object_get(skipped));
			cli_doc_finish(doc, all_errors, status);
		}
	}
	json_object_put(heartbeats);
	if (have)
		vmfs_discovery_free(&d);
	for (size_t i = 0; i < n; i++)
		vmfs_source_close(sources[i]);
	return status;
}

static void skip_item(const struct inspect_control *ctl, json_object *skipped, const live_device *d, const char *reason)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "device", json_object_new_string(d->name));
	json_object_object_add(o, "node", d->node[0] ? json_object_new_string(d->node) : NULL);
	json_object_object_add(o, "reason", json_object_new_string(reason));
	json_object_array_add(skipped, o);
	if (!ctl->json && !ctl->quiet)
		printf("skipped %s: %s\n", d->name, reason);
}

/* --all: every block device of the host; those that open and hold no VMFS
 * are skipped (said), the others inspected together as PATHs would be. A
 * device that cannot be read is reported by inspect_paths like any PATH. */
static int inspect_all(const struct inspect_control *ctl)
{
	live_device *list = NULL;
	size_t count = 0;
	vmfs_error err;
	vmfs_error_clear(&err);
	if (live_all_devices(&ctl->roots, &list, &count, &err) != VMFS_OK) {
		cli_print_error(prog, &err);
		if (ctl->json)
			cli_print_json(cli_error_json(prog, &err));
		return EXIT_ERROR;
	}
	json_object *skipped = json_object_new_array();
	char **with = calloc(count + 1, sizeof(*with));
	size_t n = 0;
	for (size_t i = 0; with && i < count; i++) {
		const live_device *d = &list[i];
		if (d->skip) {
			skip_item(ctl, skipped, d, d->skip_reason);
			continue;
		}
		vmfs_source *src = NULL;
		vmfs_discovery disc;
		vmfs_disk_options options = ctl->disk;
		vmfs_error_clear(&err);
		if (vmfs_source_open(d->node, &src, &err) != VMFS_OK || vmfs_discover(&src, 1, &options, &disc, &err) != VMFS_OK) {
			vmfs_source_close(src);
			with[n++] = list[i].node; /* inspect_paths reports the error */
			continue;
		}
		const vmfs_disk *disk = &disc.disks[0];
		if (disk->num_devices == 0) {
			char reason[200];
			snprintf(reason, sizeof(reason), "no VMFS (partition table: %s, %zu partition(s))", disk->table.label,
				 disk->table.count);
			skip_item(ctl, skipped, d, reason);
		} else if (n >= VMFS_DISCOVER_MAX_SOURCES) {
			skip_item(ctl, skipped, d, "holds VMFS, but one run examines at most 32 devices: name it as a PATH");
		} else {
			with[n++] = list[i].node;
		}
		vmfs_discovery_free(&disc);
		vmfs_source_close(src);
	}
	int status;
	if (!with) {
		vmfs_error_set(&err, VMFS_ERR_NO_MEMORY, ctl->roots.sysfs, VMFS_NO_OFFSET, "out of memory");
		cli_print_error(prog, &err);
		status = EXIT_ERROR;
	} else if (n == 0) {
		fprintf(stderr, "%s: no block device of this host holds VMFS (%zu examined)\n", prog, count);
		status = EXIT_NOTHING;
		if (ctl->json) {
			json_object *doc = cli_doc_new(prog);
			json_object_object_add(doc, "reports", json_object_new_array());
			json_object_object_add(doc, "logical_volumes", json_object_new_array());
			json_object_object_add(doc, "skipped", json_object_get(skipped));
			cli_doc_finish(doc, NULL, status);
		}
	} else {
		if (!ctl->json && !ctl->quiet && json_object_array_length(skipped))
			putchar('\n');
		status = inspect_paths(ctl, with, n, skipped);
	}
	json_object_put(skipped);
	free(with);
	free(list);
	return status;
}

int main(int argc, char **argv)
{
	enum { OPT_VML = 1000, OPT_HEARTBEATS, OPT_HASH, OPT_SYSFS_ROOT, OPT_DEV_ROOT };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "offset", required_argument, NULL, 'o' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "deep", no_argument, NULL, 'd' },
		{ "hex", no_argument, NULL, 'x' },
		{ "vml", no_argument, NULL, OPT_VML },
		{ "max-pe", required_argument, NULL, 'p' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "strict", no_argument, NULL, 's' },
		{ "heartbeats", no_argument, NULL, OPT_HEARTBEATS },
		{ "hash", no_argument, NULL, OPT_HASH },
		{ "all", no_argument, NULL, 'a' },
		{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
		{ "dev-root", required_argument, NULL, OPT_DEV_ROOT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct inspect_control ctl = { .report = { .max_pe = 16 }, .roots = { VMFS_SYSFS_ROOT, VMFS_DEV_ROOT } };
	uint64_t value;
	const char *offset = NULL;
	int c;
	cli_init(argc, argv, "jdxqsahV");
	while ((c = getopt_long(argc, argv, "jo:b:dxp:qsahV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': ctl.json = true; break;
		case 'x': ctl.report.hex = true; break;
		case 'd': ctl.disk.deep = true; break;
		case 'q': ctl.quiet = true; break;
		case 's': ctl.strict = true; break;
		case OPT_VML: ctl.vml = true; break;
		case OPT_HEARTBEATS: ctl.heartbeats = true; break;
		case OPT_HASH: ctl.hash = true; break;
		case 'a': ctl.all = true; break;
		case OPT_SYSFS_ROOT: ctl.roots.sysfs = optarg; break;
		case OPT_DEV_ROOT: ctl.roots.dev = optarg; break;
		case 'o': offset = optarg; break;
		case 'b':
			if (!parse_sector_size(optarg, &ctl.disk.sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			break;
		case 'p':
			if (!parse_size(optarg, &value))
				return cli_usage_error(prog, "invalid PE count", optarg);
			ctl.report.max_pe = (size_t)value;
			break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	/* After the loop: "2048s" counts sectors of --sector-size, wherever it is. */
	if (offset && !parse_offset(offset, ctl.disk.sector_size, &ctl.disk.offset))
		return cli_usage_error(prog, "invalid offset", offset);
	ctl.disk.has_offset = offset != NULL;
	if (ctl.all && (ctl.vml || offset || optind < argc))
		return cli_usage_error(prog, "--all reads every block device; it takes no PATH, --vml or --offset",
				       optind < argc ? argv[optind] : ctl.vml ? "--vml" : "--offset");
	if (ctl.all) {
		int s = inspect_all(&ctl);
		if (!cli_close_stdout(prog))
			return EXIT_ERROR;
		return s;
	}
	if (optind >= argc)
		return cli_usage_error(prog, "missing operand", ctl.vml ? "ID" : "PATH");

	int status = EXIT_OK;
	int count = argc - optind;
	if (ctl.vml) {
		json_object *list = ctl.json ? json_object_new_array() : NULL;
		json_object *errors = json_object_new_array();
		for (int i = optind; i < argc; i++) {
			int s = inspect_ident(&ctl, argv[i], list, errors);
			status = s > status ? s : status;
			if (!ctl.json && !ctl.quiet && i + 1 < argc)
				putchar('\n');
		}
		if (list) {
			json_object *doc = cli_doc_new(prog);
			json_object_object_add(doc, "identifiers", list);
			cli_doc_finish(doc, errors, status);
		} else {
			json_object_put(errors);
		}
	} else {
		status = inspect_paths(&ctl, argv + optind, (size_t)count, NULL);
	}
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
