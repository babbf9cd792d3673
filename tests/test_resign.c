/* vmfs-resignature: the plan names every field that changes; a dry run
 * writes nothing; --write gives the volume the planned identity (read back
 * by our decoder and by libblkid), and --undo restores byte for byte; the
 * refusals hold (checksum, lock, state, missing members, copies). */
#include "tests/support/support.h"
#include "vmfs/core/le.h"

#include <criterion/criterion.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *copy_of(const char *path, const char *name)
{
	const char *copy = tmp_path(name);
	unlink(copy);
	dd_copy(path, copy, "1M", "count=100000");
	return copy;
}

static json_object *run_json(tool_result *r)
{
	cr_assert_eq(r->status, 0, "exit %d: %s%s", r->status, r->out, r->err);
	return parse_json(r->out);
}

/* The change with this structure and field, or NULL. */
static json_object *change(json_object *doc, const char *structure, const char *field, size_t member)
{
	json_object *changes = jpath(doc, "changes");
	for (size_t i = 0; i < json_object_array_length(changes); i++) {
		json_object *c = json_object_array_get_idx(changes, i);
		if (strcmp(jstr_at(c, "structure"), structure) == 0 && strcmp(jstr_at(c, "field"), field) == 0 &&
		    ju64_at(c, "member") == member)
			return c;
	}
	return NULL;
}

static const char *const new_identity_fields[][2] = {
	{ "lvm header", "device_uuid" },     { "lvm header", "generation" },     { "lvm header", "mod_time" },
	{ "volume entry", "name" },          { "volume entry", "lv_uuid" },      { "volume entry", "snap_id" },
	{ "volume entry", "generation" },    { "volume entry", "mod_time" },     { "fs descriptor", "uuid" },
	{ "fs descriptor", "label" },        { "fs descriptor", "snap_id" },     { "fs descriptor", "volinfo_uuid" },
	{ "fs descriptor", "volinfo_snap_id" },
};
#define NEW_IDENTITY_FIELDS (sizeof(new_identity_fields) / sizeof(new_identity_fields[0]))

static void assert_new_identity_plan(json_object *doc, const char *old_label)
{
	cr_assert_eq(json_object_array_length(jpath(doc, "changes")), NEW_IDENTITY_FIELDS, "%s",
		     json_object_to_json_string(jpath(doc, "changes")));
	for (size_t i = 0; i < NEW_IDENTITY_FIELDS; i++)
		cr_assert_not_null(change(doc, new_identity_fields[i][0], new_identity_fields[i][1], 0), "no change of %s %s",
				   new_identity_fields[i][0], new_identity_fields[i][1]);
	const char *label = jstr_at(doc, "new.label");
	cr_assert_eq(strncmp(label, "snap-", 5), 0, "%s", label);
	for (int i = 5; i < 13; i++)
		cr_assert(isxdigit((unsigned char)label[i]), "%s", label);
	cr_assert_eq(label[13], '-');
	cr_assert_str_eq(label + 14, old_label);
	cr_assert_str_neq(jstr_at(doc, "new.lv_uuid"), jstr_at(doc, "volume.lv_uuid"));
	cr_assert_str_neq(jstr_at(doc, "new.fs_uuid"), jstr_at(doc, "volume.fs_uuid"));
	cr_assert_eq(ju64_at(doc, "new.snap_id"), ju64_at(doc, "volume.snap_id") + 1);
	/* Every copy of the LV identity gets the same new value (9.2). */
	cr_assert_str_eq(jstr_at(change(doc, "volume entry", "lv_uuid", 0), "new"), jstr_at(doc, "new.lv_uuid"));
	cr_assert_str_eq(jstr_at(change(doc, "fs descriptor", "volinfo_uuid", 0), "new"), jstr_at(doc, "new.lv_uuid"));
	char quoted[64];
	snprintf(quoted, sizeof(quoted), "\"%s\"", jstr_at(doc, "new.lv_uuid"));
	cr_assert_str_eq(jstr_at(change(doc, "volume entry", "name", 0), "new"), quoted);
}

/* Absolute offset of the descriptor from the plan (uuid change is at +0x09). */
static uint64_t descriptor_offset(json_object *doc)
{
	return ju64_at(change(doc, "fs descriptor", "uuid", 0), "offset") - 0x09;
}

/* After a --write: our decoder and libblkid read the new identity. */
static void assert_written_identity(const char *disk, json_object *plan, uint64_t partition, bool lvm6)
{
	tool_result r = run_tool("vmfs-inspect", "--json", disk, NULL);
	cr_assert_eq(r.status, 0, "inspect after write: %s%s", r.out, r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.device_uuid"), jstr_at(plan, "members[0].new_device_uuid"));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.uuid"), jstr_at(plan, "new.fs_uuid"));
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), jstr_at(plan, "new.label"));
	json_object_put(doc);
	tool_result_free(&r);
	char value[160];
	cr_assert(blkid_value(disk, partition, "UUID_SUB", value, sizeof(value)));
	cr_assert_str_eq(value, jstr_at(plan, "members[0].new_device_uuid"));
	if (!lvm6) { /* blkid reads the LV UUID text at 0x100214, which LVM6 does not use (7.3) */
		cr_assert(blkid_value(disk, partition, "UUID", value, sizeof(value)));
		cr_assert_str_eq(value, jstr_at(plan, "new.lv_uuid"));
	}
	uint64_t lv = descriptor_offset(plan) - 0x200000;
	cr_assert(blkid_value(disk, lv, "UUID", value, sizeof(value)), "blkid finds no file system at 0x%llx",
		  (unsigned long long)lv);
	cr_assert_str_eq(value, jstr_at(plan, "new.fs_uuid"));
	cr_assert(blkid_value(disk, lv, "LABEL", value, sizeof(value)));
	cr_assert_str_eq(value, jstr_at(plan, "new.label"));
}

/* Compares two files of equal size chunk by chunk (images of a GiB and more
 * are never held in memory), ignoring the byte ranges of the plan's changes. */
static void assert_only_planned_bytes_changed(const char *before_path, const char *after_path, json_object *plan)
{
	enum { CHUNK = 1 << 20 };
	uint64_t size = file_size(before_path);
	cr_assert_eq(size, file_size(after_path));
	uint8_t *before = malloc(CHUNK), *after = malloc(CHUNK);
	cr_assert(before && after);
	json_object *changes = jpath(plan, "changes");
	for (uint64_t at = 0; at < size; at += CHUNK) {
		size_t n = size - at < CHUNK ? (size_t)(size - at) : CHUNK;
		read_file_at(before_path, at, before, n);
		read_file_at(after_path, at, after, n);
		for (size_t i = 0; i < json_object_array_length(changes); i++) {
			json_object *c = json_object_array_get_idx(changes, i);
			uint64_t off = ju64_at(c, "offset"), end = off + ju64_at(c, "length");
			for (uint64_t k = off > at ? off : at; k < end && k < at + n; k++)
				before[k - at] = after[k - at] = 0;
		}
		cr_assert(memcmp(before, after, n) == 0, "bytes outside the planned fields changed in the MiB at 0x%llx",
			  (unsigned long long)at);
	}
	free(before);
	free(after);
}

typedef void (*after_write_fn)(const char *disk, json_object *plan);

/* The vmfs-diff field name of a planned change. */
static void diff_name(json_object *c, char *out, size_t len)
{
	const char *structure = jstr_at(c, "structure"), *field = jstr_at(c, "field");
	const char *scope = strcmp(structure, "volume entry") == 0 ? "volume." : strcmp(structure, "fs descriptor") == 0 ? "fs."
			    : strchr(field, '.') ? "" : "lvm.";
	snprintf(out, len, "%s%s", scope, field);
}

/* vmfs-diff of the backup taken before and the disk after reports exactly
 * the planned fields (the derived vml and canonical names besides), no
 * unexplained bytes, and the expected interpretation. */
static void assert_diff_matches_plan(const char *backup, const char *disk, json_object *plan, const char *code)
{
	tool_result r = run_tool("vmfs-diff", "--json", backup, disk, NULL);
	cr_assert_eq(r.status, 1, "vmfs-diff: exit %d: %s%s", r.status, r.out, r.err);
	json_object *doc = parse_json(r.out);
	tool_result_free(&r);
	json_object *differences = jpath(doc, "differences"), *changes = jpath(plan, "changes");
	for (size_t i = 0; i < json_object_array_length(differences); i++) {
		const char *field = jstr_at(json_object_array_get_idx(differences, i), "field");
		bool planned = strcmp(field, "disk_id.vml") == 0 || strcmp(field, "disk_id.canonical") == 0;
		for (size_t k = 0; !planned && k < json_object_array_length(changes); k++) {
			char name[96];
			diff_name(json_object_array_get_idx(changes, k), name, sizeof(name));
			planned = strcmp(name, field) == 0;
		}
		cr_assert(planned, "vmfs-diff reports %s, which was not planned", field);
	}
	for (size_t k = 0; k < json_object_array_length(changes); k++) {
		char name[96];
		diff_name(json_object_array_get_idx(changes, k), name, sizeof(name));
		bool reported = false;
		for (size_t i = 0; !reported && i < json_object_array_length(differences); i++)
			reported = strcmp(jstr_at(json_object_array_get_idx(differences, i), "field"), name) == 0;
		cr_assert(reported, "the planned change of %s is not in vmfs-diff's report", name);
	}
	json_object *interpretations = jpath(doc, "interpretations");
	bool found = false;
	for (size_t i = 0; i < json_object_array_length(interpretations); i++)
		found |= strcmp(jstr_at(json_object_array_get_idx(interpretations, i), "code"), code) == 0;
	cr_assert(found, "vmfs-diff does not interpret the change as %s: %s", code,
		  json_object_to_json_string(interpretations));
	json_object_put(doc);
}

static void take_backup(const char *disk, char *out, size_t len)
{
	snprintf(out, len, "%s", tmp_path("before.bkp"));
	unlink(out);
	tool_result r = run_tool("vmfs-backup", "-q", disk, "-O", out, NULL);
	cr_assert_eq(r.status, 0, "backup: %s", r.err);
	tool_result_free(&r);
}

/* Dry run, write, checks, undo: the whole cycle on one disk. */
static void resignature_cycle(const char *disk, uint64_t partition, bool lvm6, const char *old_label,
			      after_write_fn after_write)
{
	char pristine[4096], undo[4096], backup[4096];
	snprintf(pristine, sizeof(pristine), "%s", copy_of(disk, "pristine.copy"));
	snprintf(undo, sizeof(undo), "%s", tmp_path("resign.undo"));
	take_backup(disk, backup, sizeof(backup));
	tool_result r = run_tool("vmfs-resignature", "--new-identity", "--json", disk, NULL);
	json_object *dry = run_json(&r);
	tool_result_free(&r);
	assert_new_identity_plan(dry, old_label);
	cr_assert(!json_object_get_boolean(jpath(dry, "written")));
	cr_assert(files_equal(disk, pristine), "the dry run changed the disk");
	json_object_put(dry);

	unlink(undo);
	r = run_tool("vmfs-resignature", "--new-identity", "--write", "--json", "--undo-file", undo, disk, NULL);
	json_object *plan = run_json(&r);
	tool_result_free(&r);
	cr_assert(json_object_get_boolean(jpath(plan, "written")));
	cr_assert_str_eq(jstr_at(plan, "undo_files[0]"), undo);
	assert_new_identity_plan(plan, old_label);
	assert_written_identity(disk, plan, partition, lvm6);
	assert_only_planned_bytes_changed(pristine, disk, plan);
	assert_diff_matches_plan(backup, disk, plan, "resignatured");
	if (after_write)
		after_write(disk, plan);
	json_object_put(plan);

	r = run_tool("vmfs-resignature", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "undo: %s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, pristine), "--undo did not restore the disk byte for byte");
}

/* Re-point to the seed's COMSTAR LUN presented as LUN 5: the diskID and the
 * SD name change, every UUID stays (blkid reads the same ones). */
static void repoint_cycle(const char *disk, uint64_t partition, after_write_fn after_write)
{
	static const char vml[] = "vml.0200050000600144f07ed404000000496ff8cd0003434f4d535441";
	char pristine[4096], undo[4096], backup[4096], before_sub[64], after_sub[64];
	snprintf(pristine, sizeof(pristine), "%s", copy_of(disk, "pristine.copy"));
	snprintf(undo, sizeof(undo), "%s", tmp_path("repoint.undo"));
	unlink(undo);
	take_backup(disk, backup, sizeof(backup));
	cr_assert(blkid_value(disk, partition, "UUID_SUB", before_sub, sizeof(before_sub)));
	tool_result r = run_tool("vmfs-resignature", "--disk-id", vml, "--write", "--json", "--undo-file", undo, disk, NULL);
	json_object *plan = run_json(&r);
	tool_result_free(&r);
	cr_assert_str_eq(jstr_at(change(plan, "lvm header", "disk_id.lun", 0), "new"), "5");
	cr_assert_null(change(plan, "lvm header", "device_uuid", 0));
	cr_assert(blkid_value(disk, partition, "UUID_SUB", after_sub, sizeof(after_sub)));
	cr_assert_str_eq(after_sub, before_sub, "re-pointing changed the device UUID");
	r = run_tool("vmfs-inspect", "--json", disk, NULL);
	json_object *doc = run_json(&r);
	tool_result_free(&r);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.disk_id.vml"), vml);
	json_object_put(doc);
	assert_only_planned_bytes_changed(pristine, disk, plan);
	assert_diff_matches_plan(backup, disk, plan, "disk-id-changed");
	if (after_write)
		after_write(disk, plan);
	json_object_put(plan);
	r = run_tool("vmfs-resignature", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "undo: %s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, pristine), "--undo did not restore the disk byte for byte");
}

Test(resign, vmfs6_in_gpt_disk)
{
	const char *disk = tmp_path("v6.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,label=six", disk, NULL);
	resignature_cycle(disk, 2048 * 512, true, "six", NULL);
}

Test(resign, vmfs3_in_mbr_disk)
{
	const char *disk = tmp_path("v3.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128,label=three", disk, NULL);
	resignature_cycle(disk, 128 * 512, false, "three", NULL);
}

Test(resign, options_label_mac_and_volume_choice)
{
	const char *disk = tmp_path("two.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,size=600M,label=one", "--vol",
		  "lvm=6,size=600M,label=two", disk, NULL);
	tool_result r = run_tool("vmfs-resignature", "--new-identity", disk, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "--volume"), "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-resignature", "--new-identity", "--json", "--volume", "two", "--label", "restored copy", "--mac",
		     "00:50:56:aa:bb:cc", disk, NULL);
	json_object *doc = run_json(&r);
	tool_result_free(&r);
	cr_assert_str_eq(jstr_at(doc, "volume.label"), "two");
	cr_assert_str_eq(jstr_at(doc, "new.label"), "restored copy");
	const char *uuids[] = { jstr_at(doc, "new.lv_uuid"), jstr_at(doc, "new.fs_uuid"),
				jstr_at(doc, "members[0].new_device_uuid") };
	for (size_t i = 0; i < 3; i++)
		cr_assert_str_eq(uuids[i] + 23, "005056aabbcc", "%s", uuids[i]);
	json_object_put(doc);
	/* Without --mac the MAC group is random and locally administered. */
	r = run_tool("vmfs-resignature", "--new-identity", "--json", "--volume", "one", disk, NULL);
	doc = run_json(&r);
	tool_result_free(&r);
	unsigned first = 0;
	cr_assert_eq(sscanf(jstr_at(doc, "new.fs_uuid") + 23, "%2x", &first), 1);
	cr_assert_eq(first & 0x03, 0x02, "%s", jstr_at(doc, "new.fs_uuid"));
	json_object_put(doc);
	const char *bad[][2] = { { "--label", "" }, { "--label", "a/b" } };
	for (size_t i = 0; i < 2; i++) {
		r = run_tool("vmfs-resignature", "--new-identity", "--volume", "one", bad[i][0], bad[i][1], disk, NULL);
		cr_assert_eq(r.status, 2, "%s %s accepted", bad[i][0], bad[i][1]);
		tool_result_free(&r);
	}
	r = run_tool("vmfs-resignature", "--new-identity", "--mac", "00:50:56", disk, NULL);
	cr_assert_eq(r.status, 3);
	tool_result_free(&r);
}

/* Two LVM5 devices of one LV: the second holds the LV's second GiB. */
static void make_spanned_pair(const char *a, const char *b)
{
	const char *lv = "60000100-22222222-1000-000c29000001";
	mkfixture("volume", "--lvm", "5", "--size", "600M", "--lv-uuid", lv, "--device-uuid",
		  "60000100-11111111-1000-000c29000001", a, NULL);
	mkfixture("volume", "--lvm", "5", "--size", "600M", "--lv-uuid", lv, "--device-uuid",
		  "60000200-11111111-1000-000c29000002", b, NULL);
	for (int i = 0; i < 2; i++)
		patch_le32(i ? b : a, 0x100200 + 0x90, 2); /* numDevs */
	/* The second member's PE starts at LV offset 1 GiB: no descriptor there. */
	patch_le64(b, 0x180600 + 0x11, 1ull << 30);
}

Test(resign, spanned_volume_needs_every_member)
{
	const char *a = tmp_path("member-a.img"), *b = tmp_path("member-b.img");
	make_spanned_pair(a, b);
	const char *a0 = copy_of(a, "a.copy"), *b0 = copy_of(b, "b.copy");
	tool_result r = run_tool("vmfs-resignature", "--new-identity", "--write", a, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "every member must be present"), "%s", r.err);
	tool_result_free(&r);
	/* The same device twice is a copy, not a second member. */
	r = run_tool("vmfs-resignature", "--new-identity", a, a0, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "a copy of it"), "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(a, a0) && files_equal(b, b0));

	const char *undo = tmp_path("span.undo");
	r = run_tool("vmfs-resignature", "--new-identity", "--write", "--json", "--undo-file", undo, a, b, NULL);
	json_object *doc = run_json(&r);
	tool_result_free(&r);
	cr_assert_eq(json_object_array_length(jpath(doc, "members")), 2);
	cr_assert_eq(json_object_array_length(jpath(doc, "undo_files")), 2);
	/* Both members carry the one new LV identity, each its own device UUID. */
	cr_assert_str_eq(jstr_at(change(doc, "volume entry", "lv_uuid", 1), "new"), jstr_at(doc, "new.lv_uuid"));
	cr_assert_str_neq(jstr_at(doc, "members[0].new_device_uuid"), jstr_at(doc, "members[1].new_device_uuid"));
	char value[64];
	cr_assert(blkid_value(b, 0, "UUID", value, sizeof(value)));
	cr_assert_str_eq(value, jstr_at(doc, "new.lv_uuid"));
	cr_assert(blkid_value(b, 0, "UUID_SUB", value, sizeof(value)));
	cr_assert_str_eq(value, jstr_at(doc, "members[1].new_device_uuid"));
	char undo_a[4096], undo_b[4096];
	snprintf(undo_a, sizeof(undo_a), "%s", jstr_at(doc, "undo_files[0]"));
	snprintf(undo_b, sizeof(undo_b), "%s", jstr_at(doc, "undo_files[1]"));
	json_object_put(doc);
	r = run_tool("vmfs-resignature", "--undo", undo_a, a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	/* An undo file refuses the other member. */
	r = run_tool("vmfs-resignature", "--undo", undo_b, a, NULL);
	cr_assert_eq(r.status, 2);
	tool_result_free(&r);
	r = run_tool("vmfs-resignature", "--undo", undo_b, b, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(a, a0) && files_equal(b, b0));
}

Test(resign, refusals)
{
	const char *image = tmp_path("v5.img");
	mkfixture("volume", "--lvm", "5", image, NULL);
	const uint64_t header = 0x100000, entry = 0x100200, descriptor = 0x1300000;
	struct {
		const char *what;
		uint64_t offset;
		uint8_t value;
		bool force_helps;
		const char *says;
	} cases[] = {
		{ "checksum type", descriptor + 0x111, 1, false, "checksum" },
		{ "checksum word", descriptor + 0x120, 7, false, "checksum" },
		{ "lock owner", header + 0xA2, 0x44, true, "holds the LVM lock" },
		{ "resignature pending", entry + 0x10, 2, true, "an interrupted resignature" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *damaged = copy_of(image, "case.img");
		patch_file(damaged, cases[i].offset, &cases[i].value, 1);
		const char *before = copy_of(damaged, "case.copy");
		tool_result r = run_tool("vmfs-resignature", "--new-identity", "--write", damaged, NULL);
		cr_assert_eq(r.status, 2, "%s: exit %d", cases[i].what, r.status);
		cr_assert_not_null(strstr(r.err, cases[i].says), "%s: %s", cases[i].what, r.err);
		cr_assert_not_null(strstr(r.err, "nothing was written"), "%s", r.err);
		tool_result_free(&r);
		r = run_tool("vmfs-resignature", "--new-identity", "--force", damaged, NULL);
		cr_assert_eq(r.status, cases[i].force_helps ? 0 : 2, "%s with --force: %s", cases[i].what, r.err);
		tool_result_free(&r);
		cr_assert(files_equal(damaged, before), "%s: the target changed", cases[i].what);
	}
	/* No descriptor: a new identity is impossible; re-pointing still works. */
	const char *no_fs = copy_of(image, "nofs.img");
	uint8_t zero[512] = { 0 };
	patch_file(no_fs, descriptor, zero, sizeof(zero));
	tool_result r = run_tool("vmfs-resignature", "--new-identity", "--force", no_fs, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "no file-system descriptor"), "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-resignature", "--lun", "9", "--force", no_fs, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	/* Inputs that are not volumes. */
	const char *backup = tmp_path("v5.bkp");
	r = run_tool("vmfs-backup", "-q", image, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	const char *empty = tmp_path("empty.img");
	write_whole_file(empty, (const uint8_t *)"", 0);
	const char *inputs[] = { backup, empty, tmp_path("missing.img"), "/" };
	for (size_t i = 0; i < 4; i++) {
		r = run_tool("vmfs-resignature", "--new-identity", inputs[i], NULL);
		cr_assert_eq(r.status, 2, "%s: exit %d", inputs[i], r.status);
		cr_assert_not_null(strstr(r.err, inputs[i]), "the error does not name %s: %s", inputs[i], r.err);
		tool_result_free(&r);
	}
	/* Command-line misuse. */
	const char *const misuse[][5] = {
		{ image, NULL },
		{ "--new-identity", "--lun", "3", image, NULL },
		{ "--lun", "3", image, image, NULL },
		{ "--lun", "70000", image, NULL },
		{ "--lun", "3", "--label", "x", image },
		{ "--undo", "x.undo", "--write", image, NULL },
	};
	for (size_t i = 0; i < sizeof(misuse) / sizeof(misuse[0]); i++) {
		r = run_tool("vmfs-resignature", misuse[i][0], misuse[i][1], misuse[i][2], misuse[i][3], misuse[i][4], NULL);
		cr_assert_eq(r.status, 3, "misuse %zu accepted: %s", i, r.err);
		tool_result_free(&r);
	}
	r = run_tool("vmfs-resignature", "--help", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "--new-identity"));
	tool_result_free(&r);
}

/* Re-pointing: the seed's COMSTAR LUN (format reference 8.2). */
Test(resign, repoint_to_vml_and_naa)
{
	static const char vml[] = "vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441";
	const char *image = tmp_path("v5.img");
	mkfixture("volume", "--lvm", "5", image, NULL);
	const char *pristine = copy_of(image, "pristine.copy");
	tool_result r = run_tool("vmfs-inspect", "--json", image, NULL);
	json_object *before = run_json(&r);
	tool_result_free(&r);

	const char *undo = tmp_path("repoint.undo");
	r = run_tool("vmfs-resignature", "--disk-id", vml, "--model", "COMSTAR", "--write", "--json", "--undo-file", undo,
		     image, NULL);
	json_object *plan = run_json(&r);
	tool_result_free(&r);
	cr_assert_str_eq(jstr_at(change(plan, "lvm header", "disk_id.lun", 0), "new"), "3");
	cr_assert_str_eq(jstr_at(change(plan, "device name", "sd.name", 0), "new"),
			 "\"naa.600144f07ed404000000496ff8cd0003:1\"");
	json_object_put(plan);
	r = run_tool("vmfs-inspect", "--json", image, NULL);
	json_object *after = run_json(&r);
	tool_result_free(&r);
	cr_assert_str_eq(jstr_at(after, "volumes[0].lvm.disk_id.vml"), vml);
	cr_assert_str_eq(jstr_at(after, "volumes[0].lvm.disk_id.canonical"), "naa.600144f07ed404000000496ff8cd0003");
	cr_assert_eq(ju64_at(after, "volumes[0].lvm.disk_id.lun"), 3);
	/* Re-pointing keeps every UUID. */
	const char *kept[] = { "volumes[0].lvm.device_uuid", "volumes[0].lvm.volume.uuid", "volumes[0].fs.uuid" };
	for (size_t i = 0; i < 3; i++)
		cr_assert_str_eq(jstr_at(after, kept[i]), jstr_at(before, kept[i]));
	json_object_put(after);
	json_object_put(before);
	r = run_tool("vmfs-resignature", "--undo", undo, image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(image, pristine));

	/* An naa name needs the model bytes the header lacks... */
	r = run_tool("vmfs-resignature", "--disk-id", "naa.600144f07ed404000000496ff8cd0003", "--lun", "3", image, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "--model"), "%s", r.err);
	tool_result_free(&r);
	/* ...and with them gives the same block as the vml name. */
	r = run_tool("vmfs-resignature", "--disk-id", "naa.600144f07ed404000000496ff8cd0003", "--lun", "3", "--model",
		     "COMSTAR", "--write", "-q", "--undo-file", tmp_path("naa.undo"), image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--json", image, NULL);
	after = run_json(&r);
	tool_result_free(&r);
	cr_assert_str_eq(jstr_at(after, "volumes[0].lvm.disk_id.vml"), vml);
	json_object_put(after);
	/* A vml name and a --lun that disagree, and names that do not say how ESXi stores the id. */
	const char *bad[][4] = { { "--disk-id", vml, "--lun", "4" }, { "--disk-id", "t10.ATA_____DISK", "--lun", "1" } };
	for (size_t i = 0; i < 2; i++) {
		r = run_tool("vmfs-resignature", bad[i][0], bad[i][1], bad[i][2], bad[i][3], image, NULL);
		cr_assert_eq(r.status, 2, "%s accepted", bad[i][1]);
		tool_result_free(&r);
	}
	/* Nothing to change: the header already says so. */
	r = run_tool("vmfs-resignature", "--disk-id", vml, image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "Nothing to change"), "%s", r.out);
	tool_result_free(&r);
}

/* ---- The real volumes (../shared/corpus), each in a GPT disk ---- */

/* Lists a directory of the volume in the partition starting at 1 MiB of
 * disk, with vmfs-tools' debugvmfs or vmfs6-tools' debugvmfs6 reading a
 * sparse copy of the partition (an independent reader of the whole file
 * system, not only of the headers we changed). */
static void assert_lists_files(const char *tool, const char *disk)
{
	char path[64];
	snprintf(path, sizeof(path), "/usr/sbin/%s", tool);
	if (access(path, X_OK) != 0) {
		cr_log_info("%s is not installed (make deps installs it): listing check skipped", tool);
		return;
	}
	const char *partition = tmp_path("partition.copy");
	unlink(partition);
	dd_copy(disk, partition, "1M", "skip=1");
	const char *argv[] = { path, partition, "ls", "/directory", NULL };
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s: %s%s", tool, r.out, r.err);
	cr_assert_not_null(strstr(r.out, "file1"), "%s lists: %s", tool, r.out);
	cr_assert_not_null(strstr(r.out, "file2"), "%s lists: %s", tool, r.out);
	tool_result_free(&r);
	unlink(partition);
}

static void debugvmfs_lists(const char *disk, json_object *plan)
{
	(void)plan;
	assert_lists_files("debugvmfs", disk);
}

static void debugvmfs6_lists(const char *disk, json_object *plan)
{
	(void)plan;
	assert_lists_files("debugvmfs6", disk);
}

/* The corpus image in a GPT disk at LBA 2048; disk receives its path (our
 * own copy: tmp_path() hands out a small ring of buffers). */
static bool corpus_in_gpt_disk(const char *name, const char *disk_name, char *disk, size_t len)
{
	const char *image = corpus_image(name);
	if (!image)
		return false;
	char size[32];
	snprintf(size, sizeof(size), "%llu", (unsigned long long)(file_size(image) + (1u << 20)));
	snprintf(disk, len, "%s", tmp_path(disk_name));
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", size, "--image", image, disk, NULL);
	return true;
}

Test(resign_corpus, vmfs6_in_gpt_disk)
{
	char disk[4096];
	if (!corpus_in_gpt_disk("vmfs6-dissect.bin", "corpus6.img", disk, sizeof(disk)))
		cr_skip_test("corpus image vmfs6-dissect.bin not available");
	resignature_cycle(disk, 1u << 20, true, "VMFS6 Test", debugvmfs6_lists);
	repoint_cycle(disk, 1u << 20, debugvmfs6_lists);
}

Test(resign_corpus, vmfs5_in_gpt_disk)
{
	char disk[4096];
	if (!corpus_in_gpt_disk("vmfs5-dissect.bin", "corpus5.img", disk, sizeof(disk)))
		cr_skip_test("corpus image vmfs5-dissect.bin not available");
	resignature_cycle(disk, 1u << 20, false, "VMFS5 Test", debugvmfs_lists);
	repoint_cycle(disk, 1u << 20, debugvmfs_lists);
}

/* The VMFS3 volume of the corpus (vt.raw of the format reference) comes as
 * two util-linux cuts: the LVM header and volume table, and the descriptor.
 * Reassembled at their offsets (0 and data offset + 2 MiB = 0x1300000) with
 * the PE bitmap and the four PE entries the format reference records for
 * vt.raw (Appendix A), they make the real ESX 3.5 metadata of a 1.2 GB
 * volume. Its file-system data is not in the cuts, so debugvmfs cannot list
 * files on it: blkid and our decoder are the readers here. */
Test(resign_corpus, vmfs3_reassembled_in_gpt_disk)
{
	const char *volume = corpus_image("vmfs3-volume-util-linux.img");
	const char *fs = corpus_image("vmfs3-fs-util-linux.img");
	if (!volume || !fs)
		cr_skip_test("corpus VMFS3 images not available");
	const uint64_t total = 1258435584, data_offset = 0x1100000;
	const char *partition = tmp_path("vt.img");
	dd_copy(volume, partition, "1M", "count=3");
	uint8_t sector[512];
	read_file_at(fs, 0x200000, sector, sizeof(sector));
	patch_file(partition, data_offset + 0x200000, sector, sizeof(sector));
	cr_assert_eq(truncate(partition, (off_t)total), 0);
	uint8_t bitmap = 0x0f;
	patch_file(partition, 0x180200, &bitmap, 1);
	for (uint32_t pe = 0; pe < 4; pe++) {
		uint8_t entry[0x25] = { 0 };
		entry[0x00] = 1;
		vmfs_put_le32(entry + 0x01, pe);
		vmfs_put_le64(entry + 0x09, data_offset + (uint64_t)pe * 0x10000000);
		vmfs_put_le64(entry + 0x11, (uint64_t)pe * 0x10000000);
		vmfs_put_le64(entry + 0x19, 0x10000000);
		vmfs_put_le32(entry + 0x21, 1);
		patch_file(partition, 0x180600 + pe * 128, entry, sizeof(entry));
	}
	tool_result r = run_tool("vmfs-inspect", partition, NULL);
	cr_assert_eq(r.status, 0, "the reassembled volume does not decode cleanly: %s%s", r.out, r.err);
	tool_result_free(&r);
	char disk[4096];
	snprintf(disk, sizeof(disk), "%s", tmp_path("corpus3.img"));
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "1203M", "--image", partition, disk, NULL);
	resignature_cycle(disk, 1u << 20, false, "toto", NULL);
	repoint_cycle(disk, 1u << 20, NULL);
}

/* The dry run is exactly what --write writes: its plan id given back gives
 * the same new values and bytes; all new UUIDs share one MAC, and the new
 * file-system UUID's time group stays the descriptor's creationTime. */
Test(resign, plan_id_reproduces_the_dry_run)
{
	const char *image = tmp_path("v5.img");
	mkfixture("volume", "--lvm", "5", image, NULL);
	tool_result r = run_tool("vmfs-resignature", "--new-identity", "--json", image, NULL);
	json_object *dry = run_json(&r);
	tool_result_free(&r);
	char plan_id[64];
	snprintf(plan_id, sizeof(plan_id), "%s", jstr_at(dry, "plan_id"));
	r = run_tool("vmfs-resignature", "--new-identity", "--json", "--write", "--plan-id", plan_id, "--undo-file",
		     tmp_path("p.undo"), image, NULL);
	json_object *written = run_json(&r);
	tool_result_free(&r);
	json_object *a = jpath(dry, "changes"), *b = jpath(written, "changes");
	cr_assert_eq(json_object_array_length(a), json_object_array_length(b));
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *x = json_object_array_get_idx(a, i), *y = json_object_array_get_idx(b, i);
		cr_assert_eq(ju64_at(x, "offset"), ju64_at(y, "offset"));
		cr_assert_str_eq(jstr_at(x, "new_hex"), jstr_at(y, "new_hex"), "%s differs", jstr_at(x, "field"));
	}
	const char *mac = jstr_at(dry, "new.lv_uuid") + 23;
	cr_assert_str_eq(jstr_at(dry, "new.fs_uuid") + 23, mac);
	cr_assert_str_eq(jstr_at(dry, "members[0].new_device_uuid") + 23, mac);
	/* fixture: creationTime = the old FS UUID's time group */
	cr_assert_eq(strncmp(jstr_at(dry, "new.fs_uuid"), jstr_at(dry, "volume.fs_uuid"), 8), 0);
	json_object_put(dry);
	json_object_put(written);
	const char *bad[] = { "6b05cef2", "6b05cef2-xyz", "6b05cef2-5696379cd234c4a9-1" };
	for (size_t i = 0; i < 3; i++) {
		r = run_tool("vmfs-resignature", "--new-identity", "--plan-id", bad[i], image, NULL);
		cr_assert_eq(r.status, 3, "%s accepted", bad[i]);
		tool_result_free(&r);
	}
}

/* Re-point options keep the diskID block consistent: --lun alone renames the
 * LUN in a path id too; --model on an NAA id moves the six model bytes. */
Test(resign, repoint_keeps_the_block_consistent)
{
	const char *image = tmp_path("v5.img");
	mkfixture("volume", "--lvm", "5", "--disk-id", "vmhba1:4:0", image, NULL);
	tool_result r = run_tool("vmfs-resignature", "--lun", "12", "--write", "-q", "--undo-file", tmp_path("l.undo"),
				 image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--json", image, NULL);
	json_object *doc = run_json(&r);
	tool_result_free(&r);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.disk_id.lun"), 12);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.disk_id.id"), "vmhba1:4:12");
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.disk_id.canonical"), "mpx.vmhba1:C0:T4:L12");
	json_object_put(doc);
	r = run_tool("vmfs-resignature", "--lun", "3", "--disk-id", "mpx.vmhba1:C0:T4:L2", image, NULL);
	cr_assert_eq(r.status, 2, "a path and a --lun that disagree were accepted");
	tool_result_free(&r);
	r = run_tool("vmfs-resignature", "--lun", "010", image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "-> 10"), "--lun 010 is not LUN 10: %s", r.out);
	tool_result_free(&r);

	const char *naa = tmp_path("naa.img");
	mkfixture("volume", "--lvm", "5", "--naa", "600144f07ed404000000496ff8cd0003", "--model", "COMSTAR", "--lun", "3",
		  naa, NULL);
	r = run_tool("vmfs-resignature", "--model", "OTHERMODEL", "--write", "-q", "--undo-file", tmp_path("m.undo"), naa,
		     NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--json", naa, NULL);
	doc = run_json(&r);
	tool_result_free(&r);
	/* "OTHERM" = 4f 54 48 45 52 4d */
	cr_assert_str_eq(jstr_at(doc, "volumes[0].lvm.disk_id.vml"),
			 "vml.0200030000600144f07ed404000000496ff8cd00034f544845524d");
	json_object_put(doc);
}
