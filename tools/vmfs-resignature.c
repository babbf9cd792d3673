/* vmfs-resignature: give a VMFS volume a new identity (what ESXi's snapshot
 * resignature does), or re-point its LVM header at the identity its LUN
 * presents now. Dry run by default: the plan (every field, offset, old and
 * new value) is printed; --write applies it through an undo file. */
#include "tools/common/cli.h"
#include "tools/common/live.h"
#include "tools/common/format.h"
#include "vmfs/repair/apply.h"
#include "vmfs/backup/backup.h"
#include "vmfs/discover/discover.h"
#include "vmfs/repair/resign.h"
#include "vmfs/source/source.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *prog = "vmfs-resignature";

#define MAX_SOURCES VMFS_RESIGN_MAX_MEMBERS

struct resign_control {
	bool json, quiet, write;
	bool new_identity, repoint;
	const char *volume;         /* --volume: LV UUID, FS UUID or label */
	const char *undo_file;      /* --undo-file: where to save the undo data */
	const char *undo;           /* --undo FILE: put PATH back */
	vmfs_disk_options disk;
	vmfs_resign_options resign;
	uint8_t mac[6];
};

static void usage(void)
{
	printf("Usage:\n"
	       "  %s --new-identity [options] PATH...\n"
	       "  %s [--lun N] [--disk-id ID] [--vendor S] [--model S] [--revision S] [options] PATH\n"
	       "  %s --undo FILE PATH\n"
	       "\n"
	       "Resignature a VMFS volume (new device, LV and file-system UUIDs, a new snapID and\n"
	       "the label snap-XXXXXXXX-<label>), or re-point its LVM header at the LUN number and\n"
	       "identity its LUN presents now, keeping every UUID. Dry run unless --write: the\n"
	       "fields that would change are printed with their offsets and old and new values,\n"
	       "and a plan id: --write --plan-id ID writes exactly the values that dry run showed.\n"
	       "A spanned volume needs every member's PATH.\n"
	       "\n"
	       "Operations:\n"
	       "      --new-identity     resignature: new UUIDs, snapID and label\n"
	       "      --lun N            re-point: the LUN number the volume is presented as now\n"
	       "      --disk-id ID       re-point: the LUN's identity now (vml.*, naa.* with the model in the\n"
	       "                         header or --model, mpx.vmhbaA:C:T:L, vmhbaA:T:L)\n"
	       "      --vendor TEXT, --model TEXT, --revision TEXT\n"
	       "                         re-point: the LUN's INQUIRY strings now\n"
	       "      --undo FILE        put back what a --write changed, from its undo file\n"
	       "\n"
	       "Options:\n"
	       "      --label TEXT       new label (default snap-XXXXXXXX-<old label>)\n"
	       "      --mac MAC          MAC address in the new UUIDs (default one random, locally administered)\n"
	       "      --plan-id ID       reuse the time and seed of a dry run (its \"plan id\")\n"
	       "      --volume SEL       the volume, by LV UUID, file-system UUID or label\n"
	       "  -o, --offset OFFSET    only the VMFS partition starting at OFFSET: bytes, 0x for hex,\n"
	       "                         K/KiB M/MiB G/GiB T/TiB (1024), KB MB GB TB (1000), 2048s (sectors)\n"
	       "  -b, --sector-size N    logical sector size of an image (512 or 4096)\n"
	       "  -w, --write            apply the change (undo file first; fsync; read back)\n"
	       "  -u, --undo-file FILE   where --write saves the undo file (several targets: FILE.1, ...)\n"
	       "  -f, --force            accept a held LVM lock, a volume state other than normal, damage\n"
	       "                         findings; with --undo, a target that differs from the recorded one\n"
	       "  -j, --json             one JSON document on stdout\n"
	       "  -q, --quiet            diagnostics and exit status only\n"
	       "  -h, --help             this help\n"
	       "  -V, --version          version\n"
	       "\n"
	       "Exit status: 0 success; 2 error or refusal; 3 bad usage. --json: one document,\n"
	       "schema in share/vmfs/vmfs-tools.schema.json. See vmfs-resignature(1).\n",
	       prog, prog, prog);
}

typedef struct session {
	const char *paths[MAX_SOURCES];
	vmfs_source *sources[MAX_SOURCES];
	vmfs_discovery discovery;   /* every source together (vmfs/discover/discover.h) */
	bool discovered;
	const vmfs_disk *disk_ptrs[MAX_SOURCES];
	uint64_t sizes[MAX_SOURCES];
	size_t count;
	vmfs_resign_plan plan;
} session;

static void session_close_sources(session *s)
{
	for (size_t i = 0; i < s->count; i++) {
		vmfs_source_close(s->sources[i]);
		s->sources[i] = NULL;
	}
}

static vmfs_status session_open(session *s, const struct resign_control *ctl, char *const *paths, size_t count,
				vmfs_error *err)
{
	memset(s, 0, sizeof(*s));
	for (size_t i = 0; i < count; i++) {
		s->paths[i] = paths[i];
		s->count = i + 1;
		if (vmfs_backup_is_backup_file(paths[i]))
			return vmfs_error_set(err, VMFS_ERR_UNSUPPORTED, paths[i], 0,
					      "is a vmfs-backup file, not a volume: restore it with vmfs-restore --from-backup "
					      "first, or work on the device");
		vmfs_status st = vmfs_source_open(paths[i], &s->sources[i], err);
		if (st == VMFS_OK && ctl->disk.sector_size)
			vmfs_source_set_sector_size(s->sources[i], ctl->disk.sector_size);
		if (st != VMFS_OK)
			return st;
		s->sizes[i] = vmfs_source_size(s->sources[i]);
	}
	vmfs_status st = vmfs_discover(s->sources, s->count, &ctl->disk, &s->discovery, err);
	if (st != VMFS_OK)
		return st;
	s->discovered = true;
	for (size_t i = 0; i < s->count; i++)
		s->disk_ptrs[i] = &s->discovery.disks[i];
	return vmfs_resign_select(s->sources, s->disk_ptrs, s->count, ctl->volume, ctl->repoint,
				  ctl->disk.has_offset ? ctl->disk.offset : UINT64_MAX, &s->plan, err);
}

static void session_free(session *s)
{
	vmfs_resign_plan_free(&s->plan);
	if (s->discovered)
		vmfs_discovery_free(&s->discovery);
	s->discovered = false;
	session_close_sources(s);
}

static json_object *hex_json(const uint8_t *p, size_t n)
{
	char text[2 * VMFS_RESIGN_MAX_FIELD + 1];
	return json_object_new_string(fmt_hex(p, n, text, sizeof(text)));
}

static void put(json_object *o, const char *key, json_object *value) { json_object_object_add(o, key, value); }

static json_object *plan_json(const session *s, const struct resign_control *ctl)
{
	const vmfs_resign_plan *p = &s->plan;
	json_object *doc = cli_doc_new(prog);
	put(doc, "operation", json_object_new_string(ctl->new_identity ? "new-identity" : "repoint"));
	char plan_id[32];
	vmfs_resign_plan_id_format(p->plan_time, p->plan_seed, plan_id);
	put(doc, "plan_id", json_object_new_string(plan_id));
	json_object *sources = json_object_new_array();
	for (size_t i = 0; i < s->count; i++) {
		json_object *o = json_object_new_object();
		put(o, "path", json_object_new_string(s->paths[i]));
		put(o, "size", json_object_new_uint64(s->sizes[i]));
		json_object_array_add(sources, o);
	}
	put(doc, "sources", sources);
	json_object *members = json_object_new_array();
	for (size_t i = 0; i < p->member_count; i++) {
		const vmfs_resign_member *m = &p->members[i];
		json_object *o = json_object_new_object();
		put(o, "path", json_object_new_string(s->paths[m->source_index]));
		put(o, "partition_offset", json_object_new_uint64(m->dev->offset));
		put(o, "header_offset", json_object_new_uint64(m->dev->header_offset));
		cli_json_put_uuid(o, "device_uuid", &m->dev->lvm.device_uuid, false);
		if (ctl->new_identity)
			cli_json_put_uuid(o, "new_device_uuid", &p->new_device_uuid[i], false);
		else
			put(o, "new_device_uuid", NULL);
		json_object_array_add(members, o);
	}
	put(doc, "members", members);
	const vmfs_volume_entry *e = &p->members[0].dev->primary->entry;
	json_object *volume = json_object_new_object();
	cli_json_put_uuid(volume, "lv_uuid", &e->lv_uuid, false);
	put(volume, "snap_id", json_object_new_uint64(e->snap_id));
	put(volume, "num_devs", json_object_new_uint64(e->num_devs));
	if (ctl->new_identity) {
		cli_json_put_uuid(volume, "fs_uuid", &p->old_fs_uuid, false);
		put(volume, "label", json_object_new_string(p->old_label));
		json_object *next = json_object_new_object();
		cli_json_put_uuid(next, "lv_uuid", &p->new_lv_uuid, false);
		put(next, "snap_id", json_object_new_uint64(p->new_snap_id));
		cli_json_put_uuid(next, "fs_uuid", &p->new_fs_uuid, false);
		put(next, "label", json_object_new_string(p->new_label));
		put(doc, "new", next);
	}
	put(doc, "volume", volume);
	json_object *changes = json_object_new_array();
	for (size_t i = 0; i < p->count; i++) {
		const vmfs_resign_change *c = &p->changes[i];
		json_object *o = json_object_new_object();
		put(o, "member", json_object_new_uint64(c->member));
		put(o, "path", json_object_new_string(s->paths[p->members[c->member].source_index]));
		put(o, "structure", json_object_new_string(c->structure));
		put(o, "field", json_object_new_string(c->field));
		put(o, "offset", json_object_new_uint64(c->offset));
		put(o, "length", json_object_new_uint64(c->length));
		put(o, "old", json_object_new_string(c->old_text));
		put(o, "new", json_object_new_string(c->new_text));
		put(o, "old_hex", hex_json(c->old_bytes, c->length));
		put(o, "new_hex", hex_json(c->new_bytes, c->length));
		json_object_array_add(changes, o);
	}
	put(doc, "changes", changes);
	return doc;
}

static void print_plan(const session *s, const struct resign_control *ctl)
{
	const vmfs_resign_plan *p = &s->plan;
	char a[VMFS_UUID_TEXT_LEN + 1], b[VMFS_UUID_TEXT_LEN + 1];
	const vmfs_volume_entry *e = &p->members[0].dev->primary->entry;
	printf("Volume: LV %s (snapID %" PRIu32 "), %zu member(s) of %" PRIu32 "\n", vmfs_uuid_format(&e->lv_uuid, a),
	       e->snap_id, p->member_count, e->num_devs);
	for (size_t i = 0; i < p->member_count; i++) {
		const vmfs_resign_member *m = &p->members[i];
		printf("  member %zu: %s, partition at 0x%" PRIx64 ", device %s\n", i + 1, s->paths[m->source_index],
		       m->dev->offset, vmfs_uuid_format(&m->dev->lvm.device_uuid, a));
	}
	if (ctl->new_identity) {
		printf("\nNew identity:\n");
		printf("  LV UUID          %s -> %s\n", vmfs_uuid_format(&p->old_lv_uuid, a), vmfs_uuid_format(&p->new_lv_uuid, b));
		printf("  snapID           %" PRIu32 " -> %" PRIu32 "\n", p->old_snap_id, p->new_snap_id);
		printf("  file-system UUID %s -> %s  (the /vmfs/volumes name)\n", vmfs_uuid_format(&p->old_fs_uuid, a),
		       vmfs_uuid_format(&p->new_fs_uuid, b));
		printf("  label            \"%s\" -> \"%s\"\n", p->old_label, p->new_label);
	}
	if (p->count == 0)
		return;
	char plan_id[32];
	vmfs_resign_plan_id_format(p->plan_time, p->plan_seed, plan_id);
	printf("\n%zu field(s) %s (plan id %s):\n", p->count, ctl->write ? "to change" : "would change", plan_id);
	for (size_t i = 0; i < p->count; i++) {
		const vmfs_resign_change *c = &p->changes[i];
		printf("  member %zu  %-13s %-20s at 0x%010" PRIx64 " (%3" PRIu32 " bytes): %s -> %s\n", c->member + 1,
		       c->structure, c->field, c->offset, c->length, c->old_text, c->new_text);
	}
}

static void undo_path_for(const struct resign_control *ctl, const char *target, size_t index, size_t targets, char *out,
			  size_t len)
{
	if (!ctl->undo_file) {
		fmt_stamped_name("vmfs-resignature-", target, ".undo", out, len);
		if (targets > 1) { /* two members may share a base name */
			size_t n = strlen(out);
			if (n > 5 && n + 8 < len)
				snprintf(out + n - 5, len - (n - 5), ".%zu.undo", index + 1);
		}
	} else if (targets == 1)
		snprintf(out, len, "%s", ctl->undo_file);
	else
		snprintf(out, len, "%s.%zu", ctl->undo_file, index + 1);
}

/* Re-reads every member after the write and checks that it decodes to the
 * planned identity. */
static vmfs_status verify_written(const session *s, const struct resign_control *ctl, vmfs_error *err)
{
	const vmfs_resign_plan *p = &s->plan;
	vmfs_status st = VMFS_OK;
	for (size_t i = 0; st == VMFS_OK && i < p->member_count; i++) {
		const vmfs_resign_member *m = &p->members[i];
		const char *path = s->paths[m->source_index];
		vmfs_source *src = NULL;
		vmfs_device *dev = NULL;
		st = vmfs_source_open(path, &src, err);
		if (st == VMFS_OK)
			st = vmfs_device_read(src, m->dev->offset, m->dev->partition_size, &dev, err);
		if (st == VMFS_OK && (!dev->has_lvm || !dev->primary))
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, m->dev->header_offset,
					    "after writing, the LVM header does not decode");
		if (st == VMFS_OK && vmfs_device_has_errors(dev) && !vmfs_device_has_errors(m->dev))
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, dev->findings.items[0].offset,
					    "after writing, the volume reports errors: %s", dev->findings.items[0].message);
		char lv_text[VMFS_UUID_TEXT_LEN + 1];
		vmfs_uuid_format(&p->new_lv_uuid, lv_text);
		if (st == VMFS_OK && ctl->new_identity &&
		    (!vmfs_uuid_equal(&dev->primary->entry.lv_uuid, &p->new_lv_uuid) ||
		     strcmp(dev->primary->entry.name, lv_text) != 0 ||
		     dev->primary->entry.snap_id != p->new_snap_id ||
		     !vmfs_uuid_equal(&dev->lvm.device_uuid, &p->new_device_uuid[i])))
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, m->dev->header_offset,
					    "after writing, the header does not carry the new identity");
		if (st == VMFS_OK && ctl->new_identity && i == p->fs_member &&
		    (!dev->has_fs || !vmfs_uuid_equal(&dev->fs.uuid, &p->new_fs_uuid) ||
		     strcmp(dev->fs.label, p->new_label) != 0 || !vmfs_uuid_equal(&dev->fs.lv_uuid, &p->new_lv_uuid) ||
		     dev->fs.snap_id != p->new_snap_id || dev->fs.lv_snap_id != p->new_snap_id))
			st = vmfs_error_set(err, VMFS_ERR_FORMAT, path, m->dev->fs_offset,
					    "after writing, the file-system descriptor does not carry the new identity");
		vmfs_device_free(dev);
		vmfs_source_close(src);
	}
	return st;
}

/* --write: one vmfs_apply per target; every undo file is saved before the
 * first target is written; any failure rolls back every target. */
static int write_plan(session *s, const struct resign_control *ctl, json_object *undo_files, json_object *errors)
{
	const vmfs_resign_plan *p = &s->plan;
	vmfs_apply *targets = calloc(s->count, sizeof(*targets));
	bool *used = calloc(s->count, sizeof(*used));
	vmfs_error err;
	vmfs_error_clear(&err);
	int status = EXIT_ERROR;
	size_t opened = 0, written = 0, target_count = 0;
	if (!targets || !used) {
		fprintf(stderr, "%s: out of memory\n", prog);
		json_object_array_add(errors, cli_error_item_make(NULL, VMFS_NO_OFFSET, "no-memory", "out of memory"));
		goto out;
	}
	for (size_t i = 0; i < p->count; i++)
		used[p->members[p->changes[i].member].source_index] = true;
	for (size_t t = 0; t < s->count; t++)
		target_count += used[t];
	session_close_sources(s); /* the targets are reopened for writing */
	vmfs_status st = VMFS_OK;
	for (size_t t = 0; st == VMFS_OK && t < s->count; t++) {
		targets[t].fd = -1;
		if (!used[t])
			continue;
		st = vmfs_apply_open(&targets[t], s->paths[t], s->sizes[t], ctl->disk.sector_size, ctl->resign.force,
				     "vmfs-resignature " VMFS_VERSION,
				     ctl->new_identity ? "resignature: new identity" : "re-point: LUN identity", &err);
		opened = t + 1;
		for (size_t i = 0; st == VMFS_OK && i < p->count; i++) {
			const vmfs_resign_change *c = &p->changes[i];
			if (p->members[c->member].source_index == t)
				st = vmfs_apply_add(&targets[t], c->offset, c->old_bytes, c->new_bytes, c->length, &err);
		}
	}
	size_t index = 0;
	for (size_t t = 0; st == VMFS_OK && t < s->count; t++) {
		if (!used[t])
			continue;
		char undo_path[4096];
		undo_path_for(ctl, s->paths[t], index++, target_count, undo_path, sizeof(undo_path));
		st = vmfs_apply_prepare(&targets[t], undo_path, &err);
		if (st == VMFS_OK) {
			json_object_array_add(undo_files, json_object_new_string(undo_path));
			if (!ctl->quiet && !ctl->json)
				printf("\nUndo file saved (fsynced): %s\n", undo_path);
		}
	}
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		json_object_array_add(errors, cli_error_item(&err, NULL));
		fprintf(stderr, "%s: nothing was written\n", prog);
		goto out;
	}
	for (size_t t = 0; st == VMFS_OK && t < s->count; t++) {
		if (!used[t])
			continue;
		written = t + 1;
		st = vmfs_apply_write(&targets[t], &err);
	}
	if (st == VMFS_OK)
		st = verify_written(s, ctl, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		json_object_array_add(errors, cli_error_item(&err, NULL));
		for (size_t t = 0; t < written; t++) {
			if (!used[t])
				continue;
			vmfs_error rollback;
			if (vmfs_apply_rollback(&targets[t], &rollback) == VMFS_OK) {
				fprintf(stderr, "%s: %s: rolled back from %s: the target holds its previous bytes again\n", prog,
					s->paths[t], targets[t].undo_path);
			} else {
				char command[9000];
				const char *words[] = { prog, "--undo", targets[t].undo_path, s->paths[t], NULL };
				cli_print_error(prog, &rollback);
				json_object_array_add(errors, cli_error_item(&rollback, s->paths[t]));
				fprintf(stderr, "%s: %s: ROLLBACK FAILED: run: %s\n", prog, s->paths[t],
					cli_command_line(command, sizeof(command), words));
			}
		}
		goto out;
	}
	if (!ctl->quiet && !ctl->json) {
		uint64_t bytes = 0;
		for (size_t i = 0; i < p->count; i++)
			bytes += p->changes[i].length;
		printf("Written, synced and verified: %zu field(s), %" PRIu64 " bytes at the offsets above, on %zu target(s).\n",
		       p->count, bytes, target_count);
		for (size_t t = 0; t < s->count; t++) {
			if (!used[t])
				continue;
			char command[9000];
			const char *words[] = { prog, "--undo", targets[t].undo_path, s->paths[t], NULL };
			printf("Undo file: %s\nTo undo: %s\n", targets[t].undo_path, cli_command_line(command, sizeof(command), words));
		}
	}
	status = EXIT_OK;
out:
	for (size_t t = 0; targets && t < opened; t++) {
		if (vmfs_apply_close(&targets[t], &err) != VMFS_OK && status == EXIT_OK) {
			cli_print_error(prog, &err);
			status = EXIT_ERROR;
		}
	}
	free(targets);
	free(used);
	return status;
}

/* The dry run's last lines: the exact command that writes these values,
 * this command line with --write --plan-id ID, every word shell-quoted. */
static void print_write_command(const session *s, const struct resign_control *ctl, char *const *argv_all)
{
	char plan_id[32], command[16384], word[4400];
	size_t pos = 0;
	vmfs_resign_plan_id_format(s->plan.plan_time, s->plan.plan_seed, plan_id);
	printf("\nDry run: nothing has been written. To write exactly these values (undo file first):\n");
	(void)ctl;
	/* Options first, so that a "--" in the dry run's line still works. */
	pos = (size_t)snprintf(command, sizeof(command), "%s --write --plan-id %s", prog, plan_id);
	bool skip_next = false;
	for (size_t i = 1; argv_all[i] && pos < sizeof(command); i++) {
		/* A --plan-id given to this dry run is replaced by the one shown. */
		if (skip_next) {
			skip_next = false;
			continue;
		}
		if (strcmp(argv_all[i], "--plan-id") == 0) {
			skip_next = true;
			continue;
		}
		if (strncmp(argv_all[i], "--plan-id=", 10) == 0)
			continue;
		pos += (size_t)snprintf(command + pos, sizeof(command) - pos, " %s",
					fmt_shell_quote(argv_all[i], word, sizeof(word)));
	}
	printf("  %s\n", command);
}

static int run(const struct resign_control *ctl, char *const *paths, size_t count, char *const *argv_all)
{
	static session s;
	vmfs_error err;
	vmfs_error_clear(&err);
	vmfs_status st = session_open(&s, ctl, paths, count, &err);
	if (st == VMFS_OK)
		st = vmfs_resign_plan_make(&s.plan, &ctl->resign, &err);
	if (st != VMFS_OK) {
		cli_print_error(prog, &err);
		fprintf(stderr, "%s: nothing was written\n", prog);
		if (ctl->json) {
			json_object *doc = cli_error_json(prog, &err);
			put(doc, "operation", json_object_new_string(ctl->new_identity ? "new-identity" : "repoint"));
			put(doc, "undo_file", NULL);
			cli_print_json(doc);
		}
		session_free(&s);
		return EXIT_ERROR;
	}
	json_object *doc = ctl->json ? plan_json(&s, ctl) : NULL;
	if (!ctl->json && !ctl->quiet)
		print_plan(&s, ctl);
	int status = EXIT_OK;
	json_object *undo_files = json_object_new_array();
	json_object *errors = json_object_new_array();
	if (s.plan.count == 0) {
		if (!ctl->json && !ctl->quiet)
			printf("Nothing to change: the header already carries this identity.\n");
	} else if (ctl->write) {
		status = write_plan(&s, ctl, undo_files, errors);
	} else if (!ctl->json && !ctl->quiet) {
		print_write_command(&s, ctl, argv_all);
	}
	if (doc) {
		bool written = ctl->write && s.plan.count && status == EXIT_OK;
		put(doc, "written", json_object_new_boolean(written));
		put(doc, "undo_file", written && json_object_array_length(undo_files)
			? json_object_get(json_object_array_get_idx(undo_files, 0)) : NULL);
		put(doc, "undo_files", undo_files);
		cli_doc_finish(doc, errors, status);
	} else {
		json_object_put(undo_files);
		json_object_put(errors);
	}
	session_free(&s);
	return status;
}

/* A LUN is decimal, as arrays and ESXi show it (no octal, no K/M suffixes). */
static bool parse_decimal(const char *text, uint64_t *value)
{
	if (!*text || strlen(text) > 9)
		return false;
	uint64_t v = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	*value = v;
	return true;
}

static bool parse_mac(const char *text, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	if (sscanf(text, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6 ||
	    strlen(text) != 17)
		return false;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return true;
}

int main(int argc, char **argv)
{
	enum { OPT_NEW = 1000, OPT_LUN, OPT_DISK_ID, OPT_VENDOR, OPT_MODEL, OPT_REVISION, OPT_LABEL, OPT_MAC, OPT_VOLUME,
	       OPT_UNDO, OPT_PLAN_ID };
	static const struct option longopts[] = {
		{ "new-identity", no_argument, NULL, OPT_NEW },
		{ "lun", required_argument, NULL, OPT_LUN },
		{ "disk-id", required_argument, NULL, OPT_DISK_ID },
		{ "vendor", required_argument, NULL, OPT_VENDOR },
		{ "model", required_argument, NULL, OPT_MODEL },
		{ "revision", required_argument, NULL, OPT_REVISION },
		{ "label", required_argument, NULL, OPT_LABEL },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "volume", required_argument, NULL, OPT_VOLUME },
		{ "undo", required_argument, NULL, OPT_UNDO },
		{ "plan-id", required_argument, NULL, OPT_PLAN_ID },
		{ "offset", required_argument, NULL, 'o' },
		{ "sector-size", required_argument, NULL, 'b' },
		{ "write", no_argument, NULL, 'w' },
		{ "undo-file", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct resign_control ctl;
	uint64_t value;
	const char *offset = NULL;
	int c;
	cli_init(argc, argv, "wfjqhV");
	while ((c = getopt_long(argc, argv, "o:b:wu:fjqhV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_NEW: ctl.new_identity = true; break;
		case OPT_LUN:
			if (!parse_decimal(optarg, &value) || value > 0xFFFF)
				return cli_usage_error(prog, "invalid LUN (0..65535)", optarg);
			ctl.repoint = ctl.resign.has_lun = true;
			ctl.resign.lun = (uint16_t)value;
			break;
		case OPT_DISK_ID: ctl.repoint = true; ctl.resign.disk_id = optarg; break;
		case OPT_VENDOR: ctl.repoint = true; ctl.resign.vendor = optarg; break;
		case OPT_MODEL: ctl.repoint = true; ctl.resign.model = optarg; break;
		case OPT_REVISION: ctl.repoint = true; ctl.resign.revision = optarg; break;
		case OPT_LABEL: ctl.resign.label = optarg; break;
		case OPT_MAC:
			if (!parse_mac(optarg, ctl.mac))
				return cli_usage_error(prog, "invalid MAC address (xx:xx:xx:xx:xx:xx)", optarg);
			ctl.resign.mac = ctl.mac;
			break;
		case OPT_VOLUME: ctl.volume = optarg; break;
		case OPT_UNDO: ctl.undo = optarg; break;
		case OPT_PLAN_ID:
			if (!vmfs_resign_plan_id_parse(optarg, &ctl.resign.plan_time, &ctl.resign.plan_seed))
				return cli_usage_error(prog, "invalid plan id (TTTTTTTT-SSSSSSSSSSSSSSSS, as a dry run prints it)",
						       optarg);
			ctl.resign.has_plan_id = true;
			break;
		case 'o': offset = optarg; break;
		case 'b':
			if (!parse_sector_size(optarg, &ctl.disk.sector_size))
				return cli_usage_error(prog, "invalid sector size (512 or 4096)", optarg);
			break;
		case 'w': ctl.write = true; break;
		case 'u': ctl.undo_file = optarg; break;
		case 'f': ctl.resign.force = true; break;
		case 'j': ctl.json = true; break;
		case 'q': ctl.quiet = true; break;
		default:
			return cli_common_option(c, prog, usage);
		}
	}
	/* After the loop: "2048s" counts sectors of --sector-size, wherever it is. */
	if (offset && !parse_offset(offset, ctl.disk.sector_size, &ctl.disk.offset))
		return cli_usage_error(prog, "invalid offset", offset);
	ctl.disk.has_offset = offset != NULL;
	if (optind >= argc)
		return cli_usage_error(prog, "missing operand", "PATH");
	live_resolve_operands(prog, argv, optind, argc); /* ESXi device names */
	size_t count = (size_t)(argc - optind);
	int status;
	if (ctl.undo) {
		if (ctl.new_identity || ctl.repoint || ctl.write || ctl.resign.has_plan_id)
			return cli_usage_error(prog, "--undo takes no other operation; undo file", ctl.undo);
		if (count != 1)
			return cli_usage_error(prog, "--undo restores one PATH; extra operand", argv[optind + 1]);
		status = cli_run_undo(prog, ctl.undo, argv[optind], ctl.resign.force, ctl.json, ctl.quiet);
	} else {
		if (ctl.new_identity == ctl.repoint)
			return cli_usage_error(prog, "give one operation: --new-identity, or re-point options (--lun, --disk-id, --vendor, --model, --revision)",
					       ctl.new_identity ? "both" : "none");
		if (ctl.repoint && count != 1)
			return cli_usage_error(prog, "re-pointing works on one LUN; extra operand", argv[optind + 1]);
		if (ctl.repoint && (ctl.resign.label || ctl.resign.mac))
			return cli_usage_error(prog, "--label and --mac belong to --new-identity", ctl.resign.label ? "--label" : "--mac");
		if (count > MAX_SOURCES)
			return cli_usage_error(prog, "too many paths (at most 32)", argv[optind + MAX_SOURCES]);
		ctl.resign.mode = ctl.new_identity ? VMFS_RESIGN_NEW_IDENTITY : VMFS_RESIGN_REPOINT;
		status = run(&ctl, argv + optind, count, argv);
	}
	if (!cli_close_stdout(prog))
		return EXIT_ERROR;
	return status;
}
