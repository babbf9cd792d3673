/* vmfs-backup: capture everything needed to bring VMFS volumes back (the
 * partition-table areas, LVM metadata, extended metadata, .vh.sf) with the
 * identity of the source, in one verified, compressed file per source.
 * Sources are opened O_RDONLY. */
#include "tools/common/cli.h"
#include "tools/common/format.h"
#include "tools/common/live.h"
#include "vmfs/backup/backup.h"
#include "vmfs/backup/backup_select.h"
#include "vmfs/backup/backup_set.h"
#include "vmfs/discover/discover.h"
#include "vmfs/discover/disk.h"
#include "vmfs/format/ident.h"
#include "vmfs/source/identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char *prog = "vmfs-backup";

struct backup_control {
	bool json, quiet, verify, if_changed, all;
	live_roots roots;
	const char *output;     /* -O FILE (one source) */
	const char *dir;        /* --dir DIR (one file per source) */
	unsigned sector_size;   /* --sector-size, 0 = detect */
	unsigned long keep;     /* --keep N, 0 = no rotation */
};

/* What the whole run reports: errors[] and whether a file was written. */
struct run {
	json_object *errors;
	bool written;
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s [options] PATH -O FILE\n"
	       "  %s [options] PATH... --dir DIR [--keep N] [--if-changed]\n"
	       "  %s --all --dir DIR [--keep N] [--if-changed]\n"
	       "  %s --verify FILE...\n"
	       "\n"
	       "Save the partition-table areas (MBR, primary and backup GPT), and for every VMFS\n"
	       "volume found (in the table or, without an entry, by the scan) its LVM metadata,\n"
	       "extended metadata and .vh.sf, with the identity of the\n"
	       "source, in a compressed file with CRC32 and SHA-256 per region and for the file.\n"
	       "Sources are opened read-only. A source without a VMFS volume is not backed up.\n"
	       "PATH may be an ESXi device name (naa., eui., t10., vml., :N for a partition): the\n"
	       "local device presenting it is read. --all --dir DIR --keep N is the cron job that\n"
	       "backs up every VMFS LUN of the host before LUN changes.\n"
	       "\n"
	       "Options:\n"
	       "  -O, --output FILE      the backup file (never overwritten)\n"
	       "  -D, --dir DIR          one file per source in DIR, named BASE-ID-TIME.vmfsbak after\n"
	       "                         the source's base name, its WWID or serial (else a hash of\n"
	       "                         its absolute path) and the UTC time\n"
	       "      --keep N           with --dir: after each source's backup keep its N newest\n"
	       "                         backups in DIR and delete its older ones (only files made\n"
	       "                         by this tool from that source; each removal is said)\n"
	       "      --if-changed       with --dir: write no file when the metadata equals the\n"
	       "                         newest backup of the source in DIR (says so, exit 0)\n"
	       "  -a, --all              every block device of this host (sysfs); those without VMFS\n"
	       "                         are skipped and listed (needs --dir)\n"
	       "      --verify           check the integrity of each backup FILE given\n"
	       "  -b, --sector-size N    logical sector size of an image: 512 or 4096 (default: detect)\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -q, --quiet            diagnostics and exit status only\n"
	       LIVE_ROOTS_HELP
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 success; 1 a source holds no VMFS volume (the others are backed up;\n"
	       "--all: no device holds one);\n"
	       "2 error (a source unreadable, a file not written or removed, a backup that does not\n"
	       "verify); 3 bad usage. Several sources: the worst. See vmfs-backup(1).\n",
	       prog, prog, prog, prog);
}

/* A short JSON summary of the volumes, for the backup's manifest field. */
static void manifest(const vmfs_disk *disk, char *out, size_t len)
{
	json_object *doc = json_object_new_object();
	json_object *volumes = json_object_new_array();
	char uuid[VMFS_UUID_TEXT_LEN + 1], safe[300], vml[VMFS_VML_MAX_TEXT];
	for (size_t i = 0; i < disk->num_devices; i++) {
		const vmfs_device *dev = disk->devices[i];
		json_object *v = json_object_new_object();
		json_object_object_add(v, "offset", json_object_new_uint64(dev->offset));
		json_object_object_add(v, "state", json_object_new_string(vmfs_found_state_name(disk->found[i].state)));
		if (dev->has_lvm) {
			json_object_object_add(v, "device_uuid", json_object_new_string(vmfs_uuid_format(&dev->lvm.device_uuid, uuid)));
			if (vmfs_vml_from_disk_id(&dev->lvm.disk_id, vml, sizeof(vml), NULL) == VMFS_OK)
				json_object_object_add(v, "vml", json_object_new_string(vml));
		}
		if (dev->primary)
			json_object_object_add(v, "lv_uuid", json_object_new_string(vmfs_uuid_format(&dev->primary->entry.lv_uuid, uuid)));
		if (dev->has_fs) {
			json_object_object_add(v, "fs_uuid", json_object_new_string(vmfs_uuid_format(&dev->fs.uuid, uuid)));
			json_object_object_add(v, "label", json_object_new_string(fmt_safe_text(dev->fs.label, safe, sizeof(safe))));
		}
		json_object_array_add(volumes, v);
	}
	json_object_object_add(doc, "volumes", volumes);
	const char *text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN);
	if (strlen(text) < len)
		snprintf(out, len, "%s", text);
	else
		snprintf(out, len, "{\"volumes\":%zu,\"truncated\":true}", disk->num_devices);
	json_object_put(doc);
}

/* A text field as JSON: null when empty (unknown). */
static json_object *text_or_null(const char *text)
{
	char safe[1100];
	return text && text[0] ? json_object_new_string(fmt_safe_text(text, safe, sizeof(safe))) : NULL;
}

static json_object *error_item(const char *path, uint64_t offset, const char *code, const char *message)
{
	char safe[1100];
	json_object *e = json_object_new_object();
	json_object_object_add(e, "path", text_or_null(path));
	json_object_object_add(e, "offset", offset == VMFS_NO_OFFSET ? NULL : json_object_new_uint64(offset));
	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(fmt_safe_text(message, safe, sizeof(safe))));
	return e;
}

/* An error: on stderr, and in errors[]. */
static void report_error(struct run *run, const vmfs_error *err, const char *path_if_none)
{
	cli_print_error(prog, err);
	json_object_array_add(run->errors, error_item(err->path[0] ? err->path : path_if_none, err->offset,
						      vmfs_status_name(err->status), err->reason));
}

/* Error findings: on stderr, and as items of list (errors[] when they stop
 * the backup, the source's damage[] when it is backed up as it is). */
static void report_findings(json_object *list, const char *path, const vmfs_findings *findings)
{
	cli_print_error_findings(prog, path, findings);
	for (size_t i = 0; i < findings->count; i++)
		if (findings->items[i].severity == VMFS_SEVERITY_ERROR)
			json_object_array_add(list, error_item(path, findings->items[i].offset, findings->items[i].code,
							       findings->items[i].message));
}

/* One sources[] item with every key, null until known. */
static json_object *source_item(const char *path)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", text_or_null(path));
	json_object *id = json_object_new_object();
	static const char *const keys[] = { "size", "sector_size", "wwid", "serial", "vendor", "model" };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		json_object_object_add(id, keys[i], NULL);
	json_object_object_add(o, "identity", id);
	json_object_object_add(o, "output", NULL);
	json_object_object_add(o, "unchanged_since", NULL);
	json_object_object_add(o, "removed", json_object_new_array());
	json_object_object_add(o, "volumes", json_object_new_array());
	json_object_object_add(o, "damage", json_object_new_array());
	json_object_object_add(o, "regions", NULL);
	json_object_object_add(o, "bytes", NULL);
	json_object_object_add(o, "sha256", NULL);
	return o;
}

static void put_identity(json_object *item, const vmfs_identity *id, uint32_t sector_size)
{
	json_object *o = json_object_object_get(item, "identity");
	json_object_object_add(o, "size", json_object_new_uint64(id->size));
	json_object_object_add(o, "sector_size", json_object_new_uint64(sector_size));
	json_object_object_add(o, "wwid", text_or_null(id->wwid));
	json_object_object_add(o, "serial", text_or_null(id->serial));
	json_object_object_add(o, "vendor", text_or_null(id->vendor));
	json_object_object_add(o, "model", text_or_null(id->model));
}

static void put_volumes(json_object *item, const vmfs_disk *disk)
{
	json_object *volumes = json_object_object_get(item, "volumes");
	for (size_t i = 0; i < disk->num_devices; i++) {
		const vmfs_device *dev = disk->devices[i];
		json_object *v = json_object_new_object();
		json_object_object_add(v, "offset", json_object_new_uint64(dev->offset));
		json_object_object_add(v, "in_partition_table", json_object_new_boolean(dev->in_partition_table));
		json_object_object_add(v, "state", json_object_new_string(vmfs_found_state_name(disk->found[i].state)));
		json_object_object_add(v, "state_reason", text_or_null(disk->found[i].reason));
		/* With their decoded time and MAC, as every tool gives UUIDs; null when absent. */
		static const vmfs_uuid none;
		cli_json_put_uuid(v, "device_uuid", dev->has_lvm ? &dev->lvm.device_uuid : &none, !dev->has_lvm);
		cli_json_put_uuid(v, "lv_uuid", dev->primary ? &dev->primary->entry.lv_uuid : &none, !dev->primary);
		json_object_object_add(v, "label", dev->has_fs ? text_or_null(dev->fs.label) : NULL);
		json_object_array_add(volumes, v);
	}
}

/* Makes the backup file: -O FILE as given, or a new name in --dir (stamped
 * to the microsecond; a name taken in the same microsecond is tried again).
 * Fills name with the path written. */
static vmfs_status save(const struct backup_control *ctl, const char *prefix, vmfs_backup *b, char *name, size_t len,
			vmfs_error *err)
{
	if (!ctl->dir) {
		snprintf(name, len, "%s", ctl->output);
		return vmfs_backup_save(name, b, err);
	}
	vmfs_status st = VMFS_OK;
	for (int attempt = 0; attempt < 5; attempt++) {
		struct timespec now;
		clock_gettime(CLOCK_REALTIME, &now);
		char file[VMFS_BACKUP_SET_NAME_MAX + 1];
		vmfs_backup_set_name(prefix, &now, file);
		snprintf(name, len, "%s/%s", ctl->dir, file);
		st = vmfs_backup_save(name, b, err);
		if (st != VMFS_ERR_IO || err->sys_errno != EEXIST)
			break;
	}
	return st;
}

/* --keep: the N newest of the source's backups stay, the file this run
 * made or found unchanged (current) always among them; the others are
 * deleted, oldest first, and said. Files whose names match but that are not
 * provably this source's are kept and said. Returns the exit status. */
static int rotate(const struct backup_control *ctl, struct run *run, const char *path, const char *prefix,
		  const char *key, const char *current, json_object *item)
{
	vmfs_backup_set set;
	vmfs_error err;
	vmfs_error_clear(&err);
	if (vmfs_backup_set_list(ctl->dir, prefix, key, &set, &err) != VMFS_OK) {
		report_error(run, &err, ctl->dir);
		return EXIT_ERROR;
	}
	for (size_t i = 0; i < set.num_others; i++)
		fprintf(stderr, "%s: %s: not counted and kept: %s/%s: %s\n", prog, path, ctl->dir, set.others[i].name,
			set.others[i].reason);
	int status = EXIT_OK;
	json_object *removed = json_object_object_get(item, "removed");
	size_t others = 0;  /* the source's backups other than current, newest first */
	bool removed_any = false;
	for (size_t n = set.count; n-- > 0;) {
		if (strcmp(set.names[n], current) == 0)
			continue;
		if (++others < ctl->keep)
			continue;
		char victim[4096 + VMFS_BACKUP_SET_NAME_MAX + 2];
		if ((size_t)snprintf(victim, sizeof(victim), "%s/%s", ctl->dir, set.names[n]) >= sizeof(victim))
			continue; /* cannot be: the listing read it; never unlink a cut path */
		if (unlink(victim) != 0) {
			vmfs_error_set(&err, VMFS_ERR_IO, victim, VMFS_NO_OFFSET, "cannot remove the old backup: %s",
				       strerror(errno));
			report_error(run, &err, victim);
			status = EXIT_ERROR;
			continue;
		}
		removed_any = true;
		json_object_array_add(removed, json_object_new_string(victim));
		if (!ctl->json && !ctl->quiet)
			printf("%s: removed %s (keeping the %lu newest)\n", path, victim, ctl->keep);
	}
	if (removed_any) {
		/* The removals survive a crash like the backup does. */
		int fd = open(ctl->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd >= 0) {
			fsync(fd);
			close(fd);
		}
	}
	vmfs_backup_set_free(&set);
	return status;
}

/* --if-changed: the newest backup of the source in --dir, when its metadata
 * equals b's. Fills name (the path) and sha256 of that file. When --dir
 * cannot be listed, says so and sets *status to 2 (the backup is still
 * written: not knowing is not "unchanged"). */
static bool unchanged(const struct backup_control *ctl, struct run *run, const char *prefix, const char *key,
		      const vmfs_backup *b, char *name, size_t len, uint8_t sha256[32], int *status)
{
	vmfs_backup_set set;
	vmfs_error err;
	vmfs_error_clear(&err);
	if (vmfs_backup_set_list(ctl->dir, prefix, key, &set, &err) != VMFS_OK) {
		report_error(run, &err, ctl->dir);
		*status = EXIT_ERROR;
		return false;
	}
	bool same = false;
	if (set.count > 0) {
		snprintf(name, len, "%s/%s", ctl->dir, set.names[set.count - 1]);
		vmfs_backup newest;
		if (vmfs_backup_load(name, &newest, &err) == VMFS_OK) {
			same = vmfs_backup_same_metadata(&newest, b);
			memcpy(sha256, newest.file_sha256, 32);
			vmfs_backup_free(&newest);
		}
	}
	vmfs_backup_set_free(&set);
	return same;
}

static int backup_one(const struct backup_control *ctl, struct run *run, const char *path, json_object *item)
{
	vmfs_source *src = NULL;
	vmfs_error err;
	vmfs_error_clear(&err);
	static vmfs_discovery d;
	bool have_disk = false;
	static vmfs_backup_selection sel;
	vmfs_backup b;
	memset(&b, 0, sizeof(b));
	uint8_t *buf = NULL;
	int status = EXIT_ERROR;
	char host[256] = "";
	gethostname(host, sizeof(host) - 1);
	/* The header records the canonical absolute path: the name of the
	 * source that --keep and --if-changed recognise its backups by. */
	char canonical[PATH_MAX];
	if (!realpath(path, canonical))
		snprintf(canonical, sizeof(canonical), "%s", path);
	/* A backup of a backup file would hold its compressed bytes as if they
	 * were disk sectors: refuse, the file is checked with --verify. */
	vmfs_status st = vmfs_backup_is_backup_file(path)
				 ? vmfs_error_set(&err, VMFS_ERR_UNSUPPORTED, path, 0,
						  "is a vmfs-backup file, not a disk (check it with --verify)")
				 : vmfs_source_open(path, &src, &err);
	/* The discovery every tool uses: the volumes in the table and those
	 * the scan finds without an entry are all saved. */
	vmfs_discover_options options = { .sector_size = ctl->sector_size };
	if (st == VMFS_OK && (st = vmfs_discover(&src, 1, &options, &d, &err)) == VMFS_OK)
		have_disk = true;
	const vmfs_disk *disk_p = have_disk ? &d.disks[0] : NULL;
	vmfs_identity id;
	if (st == VMFS_OK && (st = vmfs_identity_read(path, ctl->roots.sysfs, &id, &err)) == VMFS_OK) {
		/* An image file standing for a disk of an examined tree: that
		 * disk's SCSI identity, as the block device would have. */
		char name[VMFS_LUN_NAME_MAX], dir[VMFS_LUN_PATH_MAX + 80];
		unsigned part;
		if (!id.block && vmfs_lun_of_path(ctl->roots.sysfs, ctl->roots.dev, path, name, sizeof(name), &part) &&
		    (size_t)snprintf(dir, sizeof(dir), "%s/block/%s", ctl->roots.sysfs, name) < sizeof(dir))
			vmfs_identity_read_sysfs(dir, &id);
		/* A container's identity is the disk it holds, not its file. */
		if (vmfs_source_kind_is_container(vmfs_source_kind_of(src)))
			id.size = vmfs_source_size(src);
		put_identity(item, &id, disk_p->table.sector_size);
		put_volumes(item, disk_p);
	}
	if (st == VMFS_OK && disk_p->num_devices == 0 && ctl->all) {
		/* --all: a device without VMFS is skipped, not an error. */
		status = EXIT_NOTHING;
		goto out;
	}
	if (st == VMFS_OK && disk_p->num_devices == 0) {
		/* Nothing to bring back: no file (a table-only backup would
		 * pass for a volume's), status 1 like a scan that finds nothing. */
		report_findings(run->errors, path, &disk_p->findings);
		if (!vmfs_findings_has(&disk_p->findings, "nothing-found"))
			json_object_array_add(run->errors, error_item(path, VMFS_NO_OFFSET, "nothing-found",
								      "no VMFS volume: nothing backed up"));
		fprintf(stderr, "%s: %s: no VMFS volume: nothing backed up\n", prog, path);
		status = EXIT_NOTHING;
		goto out;
	}
	/* A damaged source is backed up as it is (saving it before a repair is
	 * the point), but the damage is said, one line per error. */
	if (have_disk && vmfs_disk_error_count(disk_p) > 0) {
		json_object *damage = json_object_object_get(item, "damage");
		report_findings(damage, path, &disk_p->findings);
		for (size_t i = 0; i < disk_p->num_devices; i++)
			report_findings(damage, path, &disk_p->devices[i]->findings);
		fprintf(stderr, "%s: %s: %zu error(s) in its metadata: backed up as it is\n", prog, path,
			vmfs_disk_error_count(disk_p));
	}
	if (st == VMFS_OK)
		st = vmfs_backup_select(src, disk_p, &sel, &err);
	static char summary[VMFS_BACKUP_LEN_MANIFEST];
	if (st == VMFS_OK) {
		manifest(disk_p, summary, sizeof(summary));
		vmfs_backup_source source = {
			.path = canonical, .size = vmfs_source_size(src), .sector_size = disk_p->table.sector_size,
			.kind = vmfs_source_kind_of(src) == VMFS_SOURCE_BLOCK ? VMFS_BACKUP_SOURCE_BLOCK : VMFS_BACKUP_SOURCE_FILE,
			.host = host, .tool = "vmfs-backup " VMFS_VERSION, .wwid = id.wwid, .serial = id.serial,
			.vendor = id.vendor, .model = id.model, .manifest = summary,
		};
		st = vmfs_backup_init(&b, &source, &err);
	}
	if (st == VMFS_OK) {
		buf = malloc(VMFS_SELECT_MAX_SPAN);
		if (!buf)
			st = vmfs_error_set(&err, VMFS_ERR_NO_MEMORY, path, VMFS_NO_OFFSET, "out of memory");
	}
	for (size_t i = 0; st == VMFS_OK && i < sel.count; i++) {
		const vmfs_backup_span *s = &sel.spans[i];
		st = vmfs_source_read(src, s->offset, buf, (size_t)s->length, &err);
		if (st == VMFS_OK)
			st = vmfs_backup_add(&b, s->kind, s->device, s->offset, buf, s->length, &err);
	}
	char prefix[VMFS_BACKUP_SET_PREFIX_MAX + 1], key[VMFS_BACKUP_SET_KEY_MAX + 1];
	if (st == VMFS_OK) {
		vmfs_backup_set_prefix(canonical, b.wwid, b.serial, prefix);
		vmfs_backup_set_key(b.wwid, b.serial, canonical, key);
	}
	char output[4096 + VMFS_BACKUP_SET_NAME_MAX + 2] = "";
	uint8_t sha256[32];
	int list_status = EXIT_OK;
	bool same = st == VMFS_OK && ctl->if_changed &&
		    unchanged(ctl, run, prefix, key, &b, output, sizeof(output), sha256, &list_status);
	if (st == VMFS_OK && !same) {
		st = save(ctl, prefix, &b, output, sizeof(output), &err);
		memcpy(sha256, b.file_sha256, sizeof(sha256));
	}
	if (st != VMFS_OK) {
		report_error(run, &err, path);
		fprintf(stderr, "%s: %s: no backup written\n", prog, path);
		goto out;
	}
	status = EXIT_OK;
	char sha[65];
	fmt_hex(sha256, 32, sha, sizeof(sha));
	json_object_object_add(item, same ? "unchanged_since" : "output", json_object_new_string(output));
	json_object_object_add(item, "regions", json_object_new_uint64(b.count));
	json_object_object_add(item, "bytes", json_object_new_uint64(sel.total));
	json_object_object_add(item, "sha256", json_object_new_string(sha));
	run->written = run->written || !same;
	if (!ctl->json && !ctl->quiet) {
		if (same) {
			printf("%s: unchanged since %s\n", path, output);
		} else {
			struct stat saved;
			uint64_t file_size = stat(output, &saved) == 0 ? (uint64_t)saved.st_size : 0;
			char size[32];
			printf("%s -> %s: %zu regions, %" PRIu64 " bytes (%s) in a %" PRIu64
			       "-byte file, %zu VMFS volume(s), sha256 %s\n",
			       path, output, b.count, sel.total, fmt_size(sel.total, size, sizeof(size)), file_size,
			       disk_p->num_devices, sha);
		}
		for (size_t i = 0; i < disk_p->num_devices; i++)
			if (!disk_p->devices[i]->in_partition_table && disk_p->found[i].state != VMFS_FOUND_PRESENT)
				printf("  saved too: VMFS device at 0x%" PRIx64 " (sector %" PRIu64 "), not in the partition table (%s: %s)\n",
				       disk_p->devices[i]->offset, disk_p->devices[i]->offset / disk_p->table.sector_size,
				       vmfs_found_state_name(disk_p->found[i].state), disk_p->found[i].reason);
	}
	if (ctl->keep) {
		const char *slash = strrchr(output, '/');
		status = rotate(ctl, run, path, prefix, key, slash ? slash + 1 : output, item);
	}
	status = list_status > status ? list_status : status;
out:
	free(buf);
	vmfs_backup_free(&b);
	if (have_disk)
		vmfs_discovery_free(&d);
	vmfs_source_close(src);
	return status;
}

static int verify(const struct backup_control *ctl, struct run *run, const char *path, json_object *verified)
{
	vmfs_backup b;
	vmfs_error err;
	vmfs_error_clear(&err);
	json_object *o = json_object_new_object();
	json_object_object_add(o, "path", text_or_null(path));
	json_object_array_add(verified, o);
	if (vmfs_backup_load(path, &b, &err) != VMFS_OK) {
		char message[1700];
		report_error(run, &err, path);
		json_object_object_add(o, "ok", json_object_new_boolean(false));
		json_object_object_add(o, "message", json_object_new_string(vmfs_error_format(&err, message, sizeof(message))));
		return EXIT_ERROR;
	}
	char sha[65], message[2400], when[48];
	fmt_hex(b.file_sha256, 32, sha, sizeof(sha));
	fmt_time_s(b.created, when, sizeof(when));
	snprintf(message, sizeof(message), "OK: %zu regions of %s (%" PRIu64 " bytes), made by %s on %s at %s, sha256 %s",
		 b.count, b.source_path, b.source_size, b.tool, b.host, when, sha);
	json_object_object_add(o, "ok", json_object_new_boolean(true));
	json_object_object_add(o, "message", text_or_null(message));
	if (!ctl->json && !ctl->quiet)
		printf("%s: %s\n", path, message);
	vmfs_backup_free(&b);
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { OPT_VERIFY = 1000, OPT_KEEP, OPT_IF_CHANGED, OPT_SYSFS_ROOT, OPT_DEV_ROOT };
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'O' },
		{ "dir", required_argument, NULL, 'D' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "if-changed", no_argument, NULL, OPT_IF_CHANGED },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "all", no_argument, NULL, 'a' },
		{ "sysfs-root", required_argument, NULL, OPT_SYSFS_ROOT },
		{ "dev-root", required_argument, NULL, OPT_DEV_ROOT },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct backup_control ctl = { .roots = { VMFS_SYSFS_ROOT, VMFS_DEV_ROOT } };
	const char *keep = NULL;
	int c;
	cli_init(argc, argv, "jqahV");
	while ((c = getopt_long(argc, argv, "O:D:b:jqahV", longopts, NULL)) != -1) {
		switch (c) {
		case 'b':
			if (!parse_sector_size(optarg, &ctl.sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			break;
		case 'O': ctl.output = optarg; break;
		case 'D': ctl.dir = optarg; break;
		case OPT_KEEP: keep = optarg; break;
		case OPT_IF_CHANGED: ctl.if_changed = true; break;
		case OPT_VERIFY: ctl.verify = true; break;
		case 'a': ctl.all = true; break;
		case OPT_SYSFS_ROOT: ctl.roots.sysfs = optarg; break;
		case OPT_DEV_ROOT: ctl.roots.dev = optarg; break;
		case 'j': ctl.json = true; break;
		case 'q': ctl.quiet = true; break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	if (keep) {
		char *end = NULL;
		errno = 0;
		ctl.keep = strtoul(keep, &end, 10);
		if (errno || !end || *end || keep[0] < '1' || keep[0] > '9' || ctl.keep > 100000)
			return cli_usage_error(prog, "--keep takes a number of backups from 1 to 100000, not", keep);
	}
	if (ctl.all && (ctl.verify || ctl.output || optind < argc))
		return cli_usage_error(prog, "--all backs up every block device into --dir; it takes no PATH, -O or --verify",
				       optind < argc ? argv[optind] : ctl.verify ? "--verify" : "-O");
	if (ctl.all && !ctl.dir)
		return cli_usage_error(prog, "--all needs --dir DIR (one file per device)", "--all");
	if (optind >= argc && !ctl.all)
		return cli_usage_error(prog, "missing operand", ctl.verify ? "FILE" : "PATH");
	if (ctl.verify && (ctl.output || ctl.dir || keep || ctl.if_changed))
		return cli_usage_error(prog, "--verify takes only backup files, not", ctl.output ? "-O" : ctl.dir ? "--dir" : keep ? "--keep" : "--if-changed");
	if (!ctl.verify && !ctl.output == !ctl.dir)
		return cli_usage_error(prog, "give exactly one of -O FILE and --dir DIR", ctl.output ? ctl.output : "(none)");
	if (ctl.output && argc - optind != 1)
		return cli_usage_error(prog, "-O takes one PATH; use --dir for several, extra operand", argv[optind + 1]);
	if (ctl.output && (keep || ctl.if_changed))
		return cli_usage_error(prog, "needs --dir (the folder holding the source's backups)", keep ? "--keep" : "--if-changed");

	struct run run = { .errors = json_object_new_array(), .written = false };
	json_object *sources = json_object_new_array(), *verified = json_object_new_array();
	int status = EXIT_OK;
	json_object *skipped = ctl.all ? json_object_new_array() : NULL;
	live_device *devices = NULL;
	size_t num_devices = 0, backed_up = 0;
	if (ctl.all) {
		vmfs_error err;
		vmfs_error_clear(&err);
		if (live_all_devices(&ctl.roots, &devices, &num_devices, &err) != VMFS_OK) {
			report_error(&run, &err, ctl.roots.sysfs);
			status = EXIT_ERROR;
		}
	}
	size_t operands = ctl.all ? num_devices : (size_t)(argc - optind);
	for (size_t i = 0; i < operands; i++) {
		int s;
		const char *arg = ctl.all ? devices[i].node : argv[optind + (int)i];
		if (ctl.verify) {
			s = verify(&ctl, &run, arg, verified);
			status = s > status ? s : status;
			continue;
		}
		if (ctl.all && devices[i].skip) {
			json_object *o = json_object_new_object();
			json_object_object_add(o, "device", json_object_new_string(devices[i].name));
			json_object_object_add(o, "node", text_or_null(devices[i].node));
			json_object_object_add(o, "reason", json_object_new_string(devices[i].skip_reason));
			json_object_array_add(skipped, o);
			if (!ctl.json && !ctl.quiet)
				printf("skipped %s: %s\n", devices[i].name, devices[i].skip_reason);
			continue;
		}
		char path[VMFS_LUN_PATH_MAX];
		vmfs_error err;
		vmfs_error_clear(&err);
		json_object *item = source_item(arg);
		json_object_array_add(sources, item);
		if (live_operand(prog, &ctl.roots, arg, path, sizeof(path), &err) != VMFS_OK) {
			report_error(&run, &err, arg);
			fprintf(stderr, "%s: %s: no backup written\n", prog, arg);
			s = EXIT_ERROR;
		} else {
			s = backup_one(&ctl, &run, path, item);
		}
		if (ctl.all && s == EXIT_NOTHING) {
			/* --all: not a VMFS device; listed, not counted. */
			json_object *o = json_object_new_object();
			json_object_object_add(o, "device", json_object_new_string(devices[i].name));
			json_object_object_add(o, "node", text_or_null(devices[i].node));
			json_object_object_add(o, "reason", json_object_new_string("no VMFS volume"));
			json_object_array_add(skipped, o);
			json_object_array_del_idx(sources, json_object_array_length(sources) - 1, 1);
			if (!ctl.json && !ctl.quiet)
				printf("skipped %s: no VMFS volume\n", devices[i].name);
			continue;
		}
		backed_up += s == EXIT_OK;
		status = s > status ? s : status;
	}
	if (ctl.all && status == EXIT_OK && backed_up == 0) {
		fprintf(stderr, "%s: no block device of this host holds VMFS (%zu examined): nothing backed up\n", prog,
			num_devices);
		status = EXIT_NOTHING;
	}
	free(devices);
	if (ctl.json) {
		json_object *doc = json_object_new_object();
		json_object_object_add(doc, "tool", json_object_new_string(prog));
		json_object_object_add(doc, "version", json_object_new_string(VMFS_VERSION));
		json_object_object_add(doc, "exit_status", json_object_new_int(status));
		json_object_object_add(doc, "errors", json_object_get(run.errors));
		json_object_object_add(doc, "written", json_object_new_boolean(run.written));
		json_object_object_add(doc, "sources", sources);
		json_object_object_add(doc, "verified", verified);
		if (skipped)
			json_object_object_add(doc, "skipped", json_object_get(skipped));
		cli_print_json(doc);
	} else {
		json_object_put(sources);
		json_object_put(verified);
	}
	json_object_put(run.errors);
	json_object_put(skipped);
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
