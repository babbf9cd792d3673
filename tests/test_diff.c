/* vmfs-diff and vmfs/diff: field-level differences with exact names, values
 * and offsets, raw bytes only where no field explains them, interpretations
 * with stable codes, exit status 0 / 1 / 2 / 3, sources never modified. */
#include "tests/support/support.h"
#include "vmfs/backup/backup.h"
#include "vmfs/compare/diff.h"
#include "vmfs/discover/discover.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Layout of `mkfixture volume --lvm 5` (a partition image, format reference
 * section 1): LVM header at 1 MiB, volume table right after its 512-byte
 * block, dataOffset 17 MiB, descriptor at LV 2 MiB. */
#define V5_HEADER     0x100000ull
#define V5_VOLUME     0x100200ull
#define V5_DESCRIPTOR 0x1300000ull

static const char *volume5(const char *name)
{
	const char *path = tmp_path(name);
	mkfixture("volume", "--lvm", "5", "--label", "before", path, NULL);
	return path;
}

static const char *copy_of(const char *src, const char *name)
{
	const char *path = tmp_path(name);
	unlink(path);
	dd_copy(src, path, "1M", "count=100000");
	return path;
}

static json_object *diff_json(const char *a, const char *b, int expect_status)
{
	tool_result r = run_tool("vmfs-diff", "--json", a, b, NULL);
	cr_assert_eq(r.status, expect_status, "vmfs-diff %s %s: exit %d: %s", a, b, r.status, r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "exit_status"), (uint64_t)expect_status);
	tool_result_free(&r);
	return doc;
}

static size_t count_at(json_object *doc, const char *path)
{
	json_object *list = jpath(doc, path);
	cr_assert_not_null(list, "no %s", path);
	return json_object_array_length(list);
}

static json_object *find_difference(json_object *doc, const char *field)
{
	json_object *list = jpath(doc, "differences");
	for (size_t i = 0; list && i < json_object_array_length(list); i++) {
		json_object *d = json_object_array_get_idx(list, i);
		if (strcmp(jstr_at(d, "field"), field) == 0)
			return d;
	}
	return NULL;
}

static size_t count_code(json_object *doc, const char *code)
{
	json_object *list = jpath(doc, "interpretations");
	size_t n = 0;
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		n += strcmp(jstr_at(json_object_array_get_idx(list, i), "code"), code) == 0;
	return n;
}

/* The differences' field names, in order, joined by spaces. */
static void field_list(json_object *doc, char *out, size_t len)
{
	json_object *list = jpath(doc, "differences");
	size_t used = 0;
	out[0] = 0;
	for (size_t i = 0; i < json_object_array_length(list) && used < len; i++)
		used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "",
					 jstr_at(json_object_array_get_idx(list, i), "field"));
}

static void expect_change(json_object *doc, const char *field, const char *a, const char *b, uint64_t offset)
{
	json_object *d = find_difference(doc, field);
	cr_assert_not_null(d, "no difference %s", field);
	if (a)
		cr_assert_str_eq(jstr_at(d, "a"), a, "%s on A", field);
	if (b)
		cr_assert_str_eq(jstr_at(d, "b"), b, "%s on B", field);
	cr_assert_eq(ju64_at(d, "offset_a"), offset, "%s offset on A", field);
	cr_assert_eq(ju64_at(d, "offset_b"), offset, "%s offset on B", field);
}

/* ------------------------------------------------------------------ */
/* Command line                                                         */

Test(diff_cli, identical_copy)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "b.img");
	json_object *doc = diff_json(a, b, 0);
	cr_assert(json_object_get_boolean(jpath(doc, "identical")));
	cr_assert_eq(count_at(doc, "differences"), 0);
	cr_assert_eq(count_at(doc, "interpretations"), 0);
	cr_assert_eq(ju64_at(doc, "truncated"), 0);
	cr_assert_str_eq(jstr_at(doc, "tool"), "vmfs-diff");
	cr_assert_str_eq(jstr_at(doc, "a.kind"), "file");
	cr_assert_eq(ju64_at(doc, "a.size"), 600ull << 20);
	cr_assert_eq(ju64_at(doc, "devices[0].a.header_offset"), V5_HEADER);
	cr_assert_str_eq(jstr_at(doc, "devices[0].paired_by"), "device-uuid");
	json_object_put(doc);
	tool_result r = run_tool("vmfs-diff", a, b, NULL);
	cr_assert_eq(r.status, 0);
	size_t n = strlen(r.out);
	cr_assert(n > 10 && strcmp(r.out + n - 10, "identical\n") == 0, "last line: %s", r.out);
	tool_result_free(&r);
}

Test(diff_cli, backup_of_itself_is_identical)
{
	const char *disk = tmp_path("gpt.img");
	const char *backup = tmp_path("gpt.vmfsbak");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,start=2048,size=600M", "--vol",
		  "lvm=6,start=1230848", disk, NULL);
	tool_result r = run_tool("vmfs-backup", "-q", disk, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	json_object *doc = diff_json(backup, disk, 0);
	cr_assert_str_eq(jstr_at(doc, "a.kind"), "backup");
	cr_assert_str_eq(jstr_at(doc, "b.kind"), "file");
	cr_assert_eq(ju64_at(doc, "a.size"), 2ull << 30, "a backup reads with the original size");
	cr_assert_eq(count_at(doc, "devices"), 2);
	cr_assert(json_object_get_boolean(jpath(doc, "identical")));
	json_object_put(doc);
	/* Data outside the metadata a backup holds is never compared. */
	patch_le32(disk, 0x50000000, 0xdeadbeef);
	r = run_tool("vmfs-diff", "-q", disk, backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(r.out, "", "--quiet prints nothing");
	tool_result_free(&r);
}

Test(diff_cli, disk_id_repointed)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "lun.img");
	/* diskID.lun at header 0x0E, id at 0x2E: "vmhba0:2:0" -> "vmhba0:2:5" (3.2). */
	uint8_t lun[2] = { 5, 0 };
	patch_file(b, V5_HEADER + 0x0E, lun, sizeof(lun));
	patch_file(b, V5_HEADER + 0x2E + 9, "5", 1);
	json_object *doc = diff_json(a, b, 1);
	char fields[512];
	field_list(doc, fields, sizeof(fields));
	cr_assert_str_eq(fields, "disk_id.lun disk_id.id disk_id.vml disk_id.canonical", "%s", fields);
	expect_change(doc, "disk_id.lun", "0", "5", V5_HEADER + 0x0E);
	expect_change(doc, "disk_id.id", "766d686261303a323a30", "766d686261303a323a35", V5_HEADER + 0x2E);
	expect_change(doc, "disk_id.vml", "vml.0000000000766d686261303a323a30", "vml.0000050000766d686261303a323a35",
		      V5_HEADER + 0x0C);
	expect_change(doc, "disk_id.canonical", "mpx.vmhba0:C0:T2:L0", "mpx.vmhba0:C0:T2:L5", V5_HEADER + 0x0C);
	json_object *lun_diff = find_difference(doc, "disk_id.lun");
	cr_assert_str_eq(jstr_at(lun_diff, "scope"), "disk_id");
	cr_assert_str_eq(jstr_at(lun_diff, "change"), "changed");
	cr_assert_str_eq(jstr_at(lun_diff, "format_name"), "diskID.lun");
	cr_assert_eq(ju64_at(lun_diff, "device"), 0);
	cr_assert_eq(count_at(doc, "interpretations"), 1, "nothing else reported");
	cr_assert_str_eq(jstr_at(doc, "interpretations[0].code"), "disk-id-changed");
	cr_assert_str_eq(jstr_at(doc, "interpretations[0].severity"), "warning");
	cr_assert_not_null(strstr(jstr_at(doc, "interpretations[0].message"), "snapshot (unresolved volume)"));
	cr_assert_not_null(strstr(jstr_at(doc, "interpretations[0].action"), "vmfs-resignature --lun"));
	cr_assert_not(json_object_get_boolean(jpath(doc, "identical")));
	json_object_put(doc);

	tool_result r = run_tool("vmfs-diff", a, b, NULL);
	cr_assert_eq(r.status, 1);
	cr_assert_not_null(strstr(r.out, "disk_id.lun"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "0 -> 5"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "[A 0x10000e, B 0x10000e]"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Interpretation:"), "%s", r.out);
	size_t n = strlen(r.out);
	cr_assert(n > 14 && strcmp(r.out + n - 14, "4 differences\n") == 0, "summary: %s", r.out);
	tool_result_free(&r);
}

Test(diff_cli, uuids_and_label_changed)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "resig.img");
	/* Device UUID (header 0x82), LV UUID (volume entry 0x54) and its text
	 * (0x14), FS UUID (descriptor 0x09), label (0x1D): sections 7.2, 9.2. */
	patch_le32(b, V5_HEADER + 0x82, 0x6a000001);
	patch_le32(b, V5_VOLUME + 0x54, 0x6a000002);
	patch_file(b, V5_VOLUME + 0x14, "6a000002", 8);
	patch_le32(b, V5_DESCRIPTOR + 0x09, 0x6a000003);
	patch_file(b, V5_DESCRIPTOR + 0x1D, "snap-6a000003-before", 21);
	json_object *doc = diff_json(a, b, 1);
	char fields[512];
	field_list(doc, fields, sizeof(fields));
	cr_assert_str_eq(fields, "lvm.device_uuid volume.name volume.lv_uuid fs.uuid fs.label", "%s", fields);
	expect_change(doc, "lvm.device_uuid", "60000100-11111111-1000-000c29000001", "6a000001-11111111-1000-000c29000001",
		      V5_HEADER + 0x82);
	expect_change(doc, "volume.lv_uuid", "60000101-22222222-1000-000c29000001", "6a000002-22222222-1000-000c29000001",
		      V5_VOLUME + 0x54);
	expect_change(doc, "volume.name", "60000101-22222222-1000-000c29000001", "6a000002-22222222-1000-000c29000001",
		      V5_VOLUME + 0x14);
	expect_change(doc, "fs.uuid", NULL, "6a000003-33333333-1000-000c29000001", V5_DESCRIPTOR + 0x09);
	expect_change(doc, "fs.label", "before", "snap-6a000003-before", V5_DESCRIPTOR + 0x1D);
	cr_assert_eq(ju64_at(find_difference(doc, "volume.lv_uuid"), "index"), 0);
	cr_assert_eq(count_code(doc, "resignatured"), 1);
	cr_assert_eq(count_code(doc, "label-changed"), 1);
	cr_assert_eq(count_at(doc, "interpretations"), 2);
	cr_assert_not_null(strstr(jstr_at(doc, "interpretations[0].message"), "re-registered"));
	json_object_put(doc);
}

Test(diff_cli, partition_entry_deleted)
{
	const char *a = tmp_path("gpt.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=lost", a, NULL);
	const char *b = copy_of(a, "wiped.img");
	wipe_gpt(b, 1ull << 30);
	json_object *doc = diff_json(a, b, 1);
	json_object *type = find_difference(doc, "table.type");
	cr_assert_not_null(type);
	cr_assert_str_eq(jstr_at(type, "a"), "gpt");
	cr_assert_str_eq(jstr_at(type, "b"), "none");
	json_object *entry = find_difference(doc, "table.partition");
	cr_assert_not_null(entry);
	cr_assert_str_eq(jstr_at(entry, "change"), "removed");
	cr_assert_eq(ju64_at(entry, "partition"), 1);
	cr_assert_eq(ju64_at(entry, "offset_a"), 1024, "GPT entry 1 at LBA 2");
	cr_assert_null(jpath(entry, "b"));
	cr_assert_eq(count_code(doc, "partition-missing"), 1);
	cr_assert_eq(count_code(doc, "table-type-changed"), 1);
	cr_assert_eq(count_code(doc, "unexplained-bytes"), 0, "table bytes are explained by the table difference");
	json_object *missing = NULL;
	for (size_t i = 0; i < count_at(doc, "interpretations"); i++)
		if (strcmp(jstr_at(json_object_array_get_idx(jpath(doc, "interpretations"), i), "code"), "partition-missing") == 0)
			missing = json_object_array_get_idx(jpath(doc, "interpretations"), i);
	cr_assert_str_eq(jstr_at(missing, "severity"), "error");
	cr_assert_eq(ju64_at(missing, "device"), 0);
	cr_assert_eq(ju64_at(missing, "partition"), 1);
	cr_assert_not_null(strstr(jstr_at(missing, "action"), "vmfs-restore"));
	json_object_put(doc);
}

Test(diff_cli, lvm_header_destroyed)
{
	const char *a = tmp_path("gpt.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048", a, NULL);
	const char *b = copy_of(a, "nohdr.img");
	static const uint8_t zero[4096];
	patch_file(b, 0x100000 + 0x100000, zero, sizeof(zero)); /* partition + 1 MiB */
	json_object *doc = diff_json(a, b, 1);
	json_object *hdr = find_difference(doc, "lvm.header");
	cr_assert_not_null(hdr);
	cr_assert_str_eq(jstr_at(hdr, "change"), "removed");
	cr_assert_eq(ju64_at(hdr, "offset_a"), 0x200000);
	cr_assert_eq(ju64_at(hdr, "offset_b"), 0x200000);
	cr_assert_not_null(strstr(jstr_at(hdr, "b"), "destroyed"));
	cr_assert_eq(count_code(doc, "lvm-header-destroyed"), 1);
	cr_assert_eq(count_code(doc, "partition-missing"), 0, "the entry is still there");
	cr_assert_str_eq(jstr_at(doc, "devices[0].paired_by"), "a-only");
	json_object_put(doc);
	/* The other direction: the damaged side first. */
	doc = diff_json(b, a, 1);
	cr_assert_eq(count_code(doc, "lvm-header-destroyed"), 1);
	cr_assert_not_null(strstr(jstr_at(doc, "interpretations[0].message"), "destroyed on A"));
	json_object_put(doc);
}

Test(diff_cli, descriptor_destroyed)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "nofs.img");
	static const uint8_t zero[512];
	patch_file(b, V5_DESCRIPTOR, zero, sizeof(zero));
	json_object *doc = diff_json(a, b, 1);
	char fields[256];
	field_list(doc, fields, sizeof(fields));
	cr_assert_str_eq(fields, "fs.descriptor");
	expect_change(doc, "fs.descriptor", "present (magic 0x2fabf15e)", "destroyed (magic 0x00000000)", V5_DESCRIPTOR);
	cr_assert_eq(count_code(doc, "fs-descriptor-destroyed"), 1);
	cr_assert_eq(count_at(doc, "interpretations"), 1);
	cr_assert_not_null(strstr(jstr_at(doc, "interpretations[0].action"), "--from-backup"));
	json_object_put(doc);
}

Test(diff_cli, unexplained_byte)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "flip.img");
	/* Volume entry bytes 0x94..0x10F are padding no field decodes (4.1). */
	patch_file(b, V5_VOLUME + 0x100, "\x5a", 1);
	json_object *doc = diff_json(a, b, 1);
	cr_assert_eq(count_at(doc, "differences"), 1);
	json_object *d = jpath(doc, "differences[0]");
	cr_assert_str_eq(jstr_at(d, "scope"), "raw");
	cr_assert_str_eq(jstr_at(d, "field"), "raw.lvm-metadata");
	cr_assert_str_eq(jstr_at(d, "area"), "lvm-metadata");
	cr_assert_eq(ju64_at(d, "offset_a"), V5_VOLUME + 0x100);
	cr_assert_eq(ju64_at(d, "offset_b"), V5_VOLUME + 0x100);
	cr_assert_eq(ju64_at(d, "length"), 1);
	cr_assert_eq(ju64_at(d, "differing_bytes"), 1);
	cr_assert_str_eq(jstr_at(d, "a"), "00");
	cr_assert_str_eq(jstr_at(d, "b"), "5a");
	cr_assert_eq(count_at(doc, "interpretations"), 1);
	cr_assert_str_eq(jstr_at(doc, "interpretations[0].code"), "unexplained-bytes");
	json_object_put(doc);
	/* A byte of a decoded field is reported once, as the field. */
	patch_file(b, V5_VOLUME + 0x100, "\0", 1);
	patch_le64(b, V5_VOLUME + 0x08, 7);
	doc = diff_json(a, b, 1);
	char fields[256];
	field_list(doc, fields, sizeof(fields));
	cr_assert_str_eq(fields, "volume.generation");
	json_object_put(doc);
}

Test(diff_cli, generation_bumped)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "gen.img");
	patch_le64(b, V5_HEADER + 0x72, 5); /* generation (3.1): 4 in the fixture */
	json_object *doc = diff_json(a, b, 1);
	char fields[256];
	field_list(doc, fields, sizeof(fields));
	cr_assert_str_eq(fields, "lvm.generation");
	expect_change(doc, "lvm.generation", "4", "5", V5_HEADER + 0x72);
	cr_assert_eq(count_at(doc, "interpretations"), 1);
	cr_assert_str_eq(jstr_at(doc, "interpretations[0].code"), "generation-advanced");
	cr_assert_str_eq(jstr_at(doc, "interpretations[0].severity"), "info");
	json_object_put(doc);
	doc = diff_json(b, a, 1);
	cr_assert_str_eq(jstr_at(doc, "interpretations[0].code"), "generation-regressed");
	json_object_put(doc);
}

Test(diff_cli, volume_grown)
{
	const char *a = volume5("a.img");
	const char *b = tmp_path("big.img");
	mkfixture("volume", "--lvm", "5", "--size", "900M", "--label", "before", b, NULL);
	json_object *doc = diff_json(a, b, 1);
	cr_assert_not_null(find_difference(doc, "lvm.total_bytes"));
	cr_assert_eq(count_code(doc, "volume-grown"), 1);
	cr_assert_eq(count_code(doc, "resignatured"), 0);
	json_object_put(doc);
}

Test(diff_cli, max_limits_the_listed_ranges)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "many.img");
	/* Ten separate unexplained bytes in the reserved gap between the volume and
	 * SD tables (0x140200..0x17E200 of the partition, section 4.0). */
	for (int i = 0; i < 10; i++)
		patch_file(b, V5_HEADER + 0x50000 + (uint64_t)i * 0x100, "\x01", 1);
	tool_result r = run_tool("vmfs-diff", "--json", "--max", "3", a, b, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(count_at(doc, "differences"), 3);
	cr_assert_eq(ju64_at(doc, "truncated"), 7);
	cr_assert_not_null(strstr(jstr_at(doc, "interpretations[0].message"), "10 bytes in 10 ranges"));
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-diff", "--max", "3", a, b, NULL);
	cr_assert_not_null(strstr(r.out, "and 7 more"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "10 differences (7 not listed)"), "%s", r.out);
	tool_result_free(&r);
	r = run_tool("vmfs-diff", "--json", "--max", "0", a, b, NULL);
	doc = parse_json(r.out);
	cr_assert_eq(count_at(doc, "differences"), 10, "--max 0: no limit");
	json_object_put(doc);
	tool_result_free(&r);
}

Test(diff_cli, corpus_lun_changed)
{
	const char *image = corpus_image("vmfs6-dissect.bin");
	const char *copy = copy_of(image, "vmfs6-lun.bin");
	uint8_t lun[2] = { 7, 0 };
	patch_file(copy, 0x10000E, lun, sizeof(lun));
	json_object *doc = diff_json(image, copy, 1);
	expect_change(doc, "disk_id.lun", "0", "7", 0x10000E);
	cr_assert_eq(count_code(doc, "disk-id-changed"), 1);
	cr_assert_eq(count_at(doc, "interpretations"), 1);
	json_object_put(doc);
	doc = diff_json(image, image, 0);
	json_object_put(doc);
}

Test(diff_cli, errors_and_usage)
{
	const char *a = volume5("a.img");
	const char *missing = tmp_path("missing.img");
	tool_result r = run_tool("vmfs-diff", a, missing, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, missing), "%s", r.err);
	cr_assert_str_eq(r.out, "");
	tool_result_free(&r);

	const char *dir = tmp_path("dir");
	cr_assert_eq(mkdir(dir, 0755), 0);
	r = run_tool("vmfs-diff", dir, a, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, dir));
	cr_assert_not_null(strstr(r.err, "is a directory"));
	tool_result_free(&r);

	const char *empty = tmp_path("empty.img");
	FILE *f = fopen(empty, "w");
	cr_assert_not_null(f);
	fclose(f);
	r = run_tool("vmfs-diff", "--json", a, empty, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, empty));
	cr_assert_not_null(strstr(r.err, "offset 0x0"), "one line naming path and offset: %s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "exit_status"), 2);
	cr_assert_str_eq(jstr_at(doc, "errors[0].path"), empty);
	json_object_put(doc);
	tool_result_free(&r);

	r = run_tool("vmfs-diff", a, NULL);
	cr_assert_eq(r.status, 3, "one operand");
	cr_assert_not_null(strstr(r.err, "--help"));
	tool_result_free(&r);
	r = run_tool("vmfs-diff", a, a, a, NULL);
	cr_assert_eq(r.status, 3, "three operands");
	tool_result_free(&r);
	r = run_tool("vmfs-diff", "--sector-size", "1000", a, a, NULL);
	cr_assert_eq(r.status, 3);
	tool_result_free(&r);
	r = run_tool("vmfs-diff", "--help", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "Usage:"));
	cr_assert_str_eq(r.err, "");
	tool_result_free(&r);
	r = run_tool("vmfs-diff", "--version", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "vmfs-diff"));
	tool_result_free(&r);
}

Test(diff_cli, sources_never_modified)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "b.img");
	patch_le32(b, V5_HEADER + 0x82, 0x12345678);
	const char *a_before = copy_of(a, "a.before");
	const char *b_before = copy_of(b, "b.before");
	const char *const modes[][2] = { { "--json", NULL }, { "-q", NULL }, { "--max", "1" } };
	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		tool_result r = modes[i][1] ? run_tool("vmfs-diff", modes[i][0], modes[i][1], a, b, NULL)
					    : run_tool("vmfs-diff", modes[i][0], a, b, NULL);
		cr_assert_eq(r.status, 1, "%s", r.err);
		tool_result_free(&r);
	}
	cr_assert(files_equal(a, a_before), "A changed");
	cr_assert(files_equal(b, b_before), "B changed");
}

Test(diff_cli, offset_options)
{
	const char *a = tmp_path("gpt.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=5,start=2048,size=600M", a, NULL);
	const char *b = volume5("part.img");
	/* The partition of A against the partition image B: A at 1 MiB, B at 0. */
	tool_result r = run_tool("vmfs-diff", "--json", "--offset-a", "1M", "--offset-b", "0", a, b, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "devices[0].a.offset"), 0x100000);
	cr_assert_eq(ju64_at(doc, "devices[0].b.offset"), 0);
	cr_assert_str_eq(jstr_at(doc, "devices[0].paired_by"), "device-uuid");
	cr_assert_not_null(find_difference(doc, "fs.label"));
	cr_assert_eq(count_code(doc, "partition-moved"), 1);
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-diff", "--offset", "zz", a, b, NULL);
	cr_assert_eq(r.status, 3);
	tool_result_free(&r);
}

/* Unrelated, truncated and random sources are differences, never errors. */
Test(diff_cli, unrelated_and_damaged_sources)
{
	const char *v5 = volume5("v5.img");
	const char *v3 = tmp_path("v3.img");
	const char *v6 = tmp_path("v6-4k.img");
	mkfixture("volume", "--lvm", "3", v3, NULL);
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "2G", "--vol", "lvm=6", v6, NULL);
	const char *cut = copy_of(v5, "cut.img");
	cr_assert_eq(truncate(cut, 3 << 20), 0); /* ends inside the LVM metadata */
	const char *noise = tmp_path("noise.img");
	static uint8_t random_bytes[4 << 20];
	fill_pattern(random_bytes, sizeof(random_bytes), 7);
	write_whole_file(noise, random_bytes, sizeof(random_bytes));
	const char *pairs[][2] = { { v3, v5 }, { v5, v6 }, { cut, v5 }, { v5, cut }, { noise, v5 }, { v6, noise } };
	for (size_t i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		json_object *doc = diff_json(pairs[i][0], pairs[i][1], 1);
		cr_assert_gt(count_at(doc, "interpretations"), 0, "%s vs %s", pairs[i][0], pairs[i][1]);
		json_object_put(doc);
		tool_result r = run_tool("vmfs-diff", pairs[i][0], pairs[i][1], NULL);
		cr_assert_eq(r.status, 1, "%s", r.err);
		cr_assert_str_eq(r.err, "");
		tool_result_free(&r);
	}
	json_object *doc = diff_json(v5, cut, 1);
	cr_assert_not_null(find_difference(doc, "fs.descriptor"));
	cr_assert_not_null(strstr(jstr_at(find_difference(doc, "fs.descriptor"), "b"), "past the end"));
	json_object_put(doc);
}

/* ------------------------------------------------------------------ */
/* Library                                                              */

/* One side as the tools give it to the diff: what vmfs_discover returned. */
typedef struct opened {
	vmfs_source *src;
	vmfs_discovery found;
} opened;

static void open_analysed(const char *path, opened *o)
{
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(path, &o->src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_discover(&o->src, 1, NULL, &o->found, &err), VMFS_OK, "%s", err.reason);
}

static void close_analysed(opened *o)
{
	vmfs_discovery_free(&o->found);
	vmfs_source_close(o->src);
}

Test(diff_lib, differences_as_data)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "b.img");
	uint8_t lun[2] = { 9, 1 };
	patch_file(b, V5_HEADER + 0x0E, lun, sizeof(lun));
	opened oa, ob;
	open_analysed(a, &oa);
	open_analysed(b, &ob);
	vmfs_diff_input ia = { &oa.found, 0, NULL, 0 }, ib = { &ob.found, 0, NULL, 0 };
	vmfs_diff diff;
	vmfs_error err;
	cr_assert_eq(vmfs_diff_compare(&ia, &ib, NULL, &diff, &err), VMFS_OK, "%s", err.reason);
	cr_assert_not(vmfs_diff_identical(&diff));
	cr_assert_eq(diff.num_pairs, 1);
	cr_assert_eq(diff.pairs[0].a, oa.found.disks[0].devices[0]);
	cr_assert_eq(diff.pairs[0].b, ob.found.disks[0].devices[0]);
	cr_assert_eq(diff.count, 2, "disk_id.lun and disk_id.vml");
	const vmfs_difference *d = &diff.differences[0];
	cr_assert_str_eq(d->field, "disk_id.lun");
	cr_assert_eq(d->scope, VMFS_DIFF_SCOPE_DISK_ID);
	cr_assert_eq(d->change, VMFS_DIFF_CHANGED);
	cr_assert_eq(d->offset_a, V5_HEADER + 0x0E);
	cr_assert_eq(d->size, 2);
	cr_assert_str_eq(d->a, "0");
	cr_assert_str_eq(d->b, "265", "LUN 0x0109, little-endian (3.2)");
	cr_assert_str_eq(diff.differences[1].b, "vml.0000090100766d686261303a323a30", "lun low byte, then high (8.1)");
	cr_assert_eq(diff.num_interpretations, 1);
	cr_assert_str_eq(diff.interpretations[0].code, "disk-id-changed");
	cr_assert_eq(diff.interpretations[0].severity, VMFS_SEVERITY_WARNING);
	cr_assert_eq(diff.interpretations[0].device, 0);
	cr_assert_str_eq(vmfs_diff_scope_name(VMFS_DIFF_SCOPE_RAW), "raw");
	cr_assert_str_eq(vmfs_diff_change_name(VMFS_DIFF_ADDED), "added");
	vmfs_diff_free(&diff);
	close_analysed(&oa);
	close_analysed(&ob);
}

Test(diff_lib, raw_bytes_only_where_held)
{
	const char *a = volume5("a.img");
	const char *b = copy_of(a, "b.img");
	patch_file(b, V5_VOLUME + 0x100, "\x77", 1);
	opened oa, ob;
	open_analysed(a, &oa);
	open_analysed(b, &ob);
	vmfs_diff diff;
	vmfs_error err;
	vmfs_diff_input ia = { &oa.found, 0, NULL, 0 }, ib = { &ob.found, 0, NULL, 0 };
	cr_assert_eq(vmfs_diff_compare(&ia, &ib, NULL, &diff, &err), VMFS_OK);
	cr_assert_eq(diff.count, 1);
	cr_assert_eq(diff.differences[0].scope, VMFS_DIFF_SCOPE_RAW);
	vmfs_diff_free(&diff);
	/* A held list that leaves the byte out: nothing to compare there. */
	vmfs_diff_range held[2] = { { 0, V5_VOLUME + 0x100 }, { V5_VOLUME + 0x101, 64ull << 20 } };
	ia.held = held;
	ia.num_held = 2;
	cr_assert_eq(vmfs_diff_compare(&ia, &ib, NULL, &diff, &err), VMFS_OK);
	cr_assert(vmfs_diff_identical(&diff));
	cr_assert_gt(diff.raw_bytes_compared, 16ull << 20, "the metadata around it was compared");
	vmfs_diff_free(&diff);
	close_analysed(&oa);
	close_analysed(&ob);
}

Test(diff_lib, held_ranges_from_a_backup)
{
	const char *a = volume5("a.img");
	const char *out = tmp_path("a.vmfsbak");
	tool_result r = run_tool("vmfs-backup", "-q", a, "-O", out, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_load(out, &b, &err), VMFS_OK, "%s", err.reason);
	vmfs_diff_range *held = NULL;
	size_t count = 0;
	cr_assert_eq(vmfs_diff_held_from_backup(&b, &held, &count, &err), VMFS_OK);
	cr_assert_eq(count, b.count);
	for (size_t i = 0; i < count; i++) {
		cr_assert_eq(held[i].offset, b.regions[i].offset);
		cr_assert_eq(held[i].length, b.regions[i].length);
	}
	free(held);
	vmfs_backup_free(&b);
}
