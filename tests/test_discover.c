/* The discovery layer (vmfs/discover/discover.h) and the five tools on it: they find
 * the same volumes with the same states; spanned members given together are
 * assembled; the probe finds starts at sectors 63, 64 and 4096; a table-less
 * 4096-byte-sector image gets a 4096-byte table; every write is undone
 * byte-exact. */
#include "tests/support/support.h"
#include "vmfs/discover/discover.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GIB (1ull << 30)

static json_object *tool_json(int expect, const char *tool, const char *a, const char *b, const char *c, const char *d)
{
	tool_result r = run_tool(tool, "--json", a, b, c, d, NULL);
	cr_assert_eq(r.status, expect, "%s %s %s: exit %d\n%s", tool, a, b ? b : "", r.status, r.err);
	json_object *doc = parse_json(r.out);
	tool_result_free(&r);
	return doc;
}

static void copy(const char *from, const char *to)
{
	const char *argv[] = { "/bin/cp", "--sparse=always", from, to, NULL };
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "cp: %s", r.err);
	tool_result_free(&r);
}

static bool has_code(json_object *list, const char *code)
{
	for (size_t i = 0; list && i < json_object_array_length(list); i++)
		if (strcmp(jstr_at(json_object_array_get_idx(list, i), "code"), code) == 0)
			return true;
	return false;
}

/* A VMFS6 volume at 1 MiB and a VMFS5 volume at an odd sector 34 MiB behind
 * it, both GPT copies wiped. */
static void two_wiped(const char *disk, const char *original)
{
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=6,start=2048,size=600M,label=one", "--vol",
		  "lvm=5,start=1300000,label=two", disk, NULL);
	copy(disk, original);
	wipe_gpt(disk, 2 * GIB);
}

/* The library step itself: both volumes, not in the table, with the numbers a
 * rebuild would give them. */
Test(discover, library_two_volumes_wiped)
{
	const char *disk = tmp_path("two.img"), *original = tmp_path("orig.img");
	two_wiped(disk, original);
	vmfs_source *src;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(disk, &src, &err), VMFS_OK, "%s", err.reason);
	static vmfs_discovery d;
	cr_assert_eq(vmfs_discover(&src, 1, NULL, &d, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(d.count, 1);
	const vmfs_disk *k = &d.disks[0];
	cr_assert_str_eq(k->table.label, "none");
	cr_assert_eq(k->num_devices, 2);
	cr_assert_eq(k->devices[0]->offset, 2048ull * 512);
	cr_assert_eq(k->devices[1]->offset, 1300000ull * 512);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_eq(k->found[i].state, VMFS_FOUND_NOT_IN_TABLE, "%s", k->found[i].reason);
		cr_assert_eq(k->found[i].number, i + 1);
	}
	cr_assert_eq(d.num_volumes, 2);
	cr_assert(d.volumes[0].complete && d.volumes[1].complete);
	vmfs_discovery_free(&d);
	vmfs_source_close(src);
}

/* inspect, backup, diff and restore find the same two volumes, and a backup
 * of the damaged disk puts both back on a copy whose headers were destroyed;
 * the write is undone byte-exact. */
Test(discover, two_volumes_wiped_tools_agree_and_backup_restores_both)
{
	const char *disk = tmp_path("two.img"), *original = tmp_path("orig.img");
	two_wiped(disk, original);
	const uint64_t starts[2] = { 2048ull * 512, 1300000ull * 512 };

	json_object *inspect = tool_json(0, "vmfs-inspect", disk, NULL, NULL, NULL);
	json_object *restore = tool_json(0, "vmfs-restore", disk, NULL, NULL, NULL);
	cr_assert_eq(json_object_array_length(jpath(inspect, "volumes")), 2);
	cr_assert_eq(json_object_array_length(jpath(restore, "volumes")), 2);
	for (size_t i = 0; i < 2; i++) {
		char key[64];
		snprintf(key, sizeof(key), "volumes[%zu]", i);
		json_object *vi = jpath(inspect, key), *vr = jpath(restore, key);
		cr_assert_eq(ju64_at(vi, "offset"), starts[i]);
		cr_assert_eq(ju64_at(vr, "offset"), starts[i]);
		cr_assert_str_eq(jstr_at(vi, "state"), "not-in-table");
		cr_assert_str_eq(jstr_at(vr, "state"), "add");
		cr_assert_eq(ju64_at(vi, "state_partition"), ju64_at(vr, "partition.number"));
		cr_assert_str_eq(jstr_at(vi, "lvm.device_uuid"), jstr_at(vr, "lvm.device_uuid"));
	}
	json_object_put(inspect);
	json_object_put(restore);

	/* The backup holds both volumes and says that they are not in the table. */
	const char *backup = tmp_path("two.vmfsbak");
	json_object *b = tool_json(0, "vmfs-backup", disk, "-O", backup, NULL);
	cr_assert_eq(json_object_array_length(jpath(b, "sources[0].volumes")), 2);
	for (int i = 0; i < 2; i++) {
		char key[64];
		snprintf(key, sizeof(key), "sources[0].volumes[%d].state", i);
		cr_assert_str_eq(jstr_at(b, key), "not-in-table");
		snprintf(key, sizeof(key), "sources[0].volumes[%d].offset", i);
		cr_assert_eq(ju64_at(b, key), starts[i]);
	}
	json_object_put(b);
	tool_result r = run_tool("vmfs-backup", disk, "-O", tmp_path("text.vmfsbak"), NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "saved too: VMFS device at 0x27ac4000"), "%s", r.out);
	tool_result_free(&r);

	/* diff: the original against the damaged disk pairs both devices by UUID. */
	json_object *diff = tool_json(1, "vmfs-diff", original, disk, NULL, NULL);
	cr_assert_eq(json_object_array_length(jpath(diff, "devices")), 2);
	cr_assert_str_eq(jstr_at(diff, "devices[0].paired_by"), "device-uuid");
	cr_assert_str_eq(jstr_at(diff, "devices[1].paired_by"), "device-uuid");
	cr_assert_eq(ju64_at(diff, "devices[1].b.offset"), starts[1]);
	json_object_put(diff);

	/* A copy whose two LVM headers are destroyed: --from-backup puts both back. */
	const char *target = tmp_path("target.img"), *destroyed = tmp_path("destroyed.img");
	const char *undo = tmp_path("restore.undo");
	copy(disk, target);
	uint8_t zero[512] = { 0 };
	for (size_t i = 0; i < 2; i++)
		patch_file(target, starts[i] + 0x100000, zero, sizeof(zero));
	copy(target, destroyed);
	r = run_tool("vmfs-inspect", target, NULL);
	cr_assert_neq(r.status, 0, "no volume is left on the target");
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--from-backup", backup, "--write", "--undo-file", undo, target, NULL);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(target, disk), "the restored copy holds the damaged disk's bytes again");
	json_object *after = tool_json(0, "vmfs-inspect", target, NULL, NULL, NULL);
	cr_assert_eq(json_object_array_length(jpath(after, "volumes")), 2);
	json_object_put(after);
	r = run_tool("vmfs-restore", "--undo", undo, target, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(target, destroyed), "--undo is byte-exact");
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
	patch_le64(b, 0x180600 + 0x11, 1ull << 30);
}

Test(discover, spanned_pair_given_together)
{
	const char *a = tmp_path("member-a.img"), *b = tmp_path("member-b.img");
	make_spanned_pair(a, b);
	/* One member alone: incomplete, one missing. */
	json_object *one = tool_json(0, "vmfs-inspect", a, NULL, NULL, NULL);
	cr_assert_eq(ju64_at(one, "logical_volumes[0].missing"), 1);
	cr_assert_not(json_object_get_boolean(jpath(one, "logical_volumes[0].complete")));
	cr_assert(has_code(jpath(one, "volumes[0].findings"), "spanned-volume-incomplete"));
	json_object_put(one);
	/* Both together: complete, no "incomplete" finding on either. */
	json_object *both = tool_json(0, "vmfs-inspect", a, b, NULL, NULL);
	cr_assert_eq(json_object_array_length(jpath(both, "logical_volumes")), 1);
	cr_assert(json_object_get_boolean(jpath(both, "logical_volumes[0].complete")));
	cr_assert_eq(ju64_at(both, "logical_volumes[0].present"), 2);
	cr_assert_eq(ju64_at(both, "logical_volumes[0].missing"), 0);
	cr_assert_eq(ju64_at(both, "logical_volumes[0].duplicated"), 0);
	cr_assert_str_eq(jstr_at(both, "logical_volumes[0].members[1].device_uuid"), "60000200-11111111-1000-000c29000002");
	for (size_t i = 0; i < 2; i++) {
		char key[64];
		snprintf(key, sizeof(key), "reports[%zu].volumes[0].findings", i);
		cr_assert_not(has_code(jpath(both, key), "spanned-volume-incomplete"));
		cr_assert(has_code(jpath(both, key), "spanned-volume-complete"));
	}
	json_object_put(both);
	tool_result r = run_tool("vmfs-inspect", a, b, NULL);
	cr_assert_not_null(strstr(r.out, "2 present, 0 missing"), "%s", r.out);
	tool_result_free(&r);
	/* The same member twice is a copy, not the second member. */
	const char *a2 = tmp_path("member-a-copy.img");
	copy(a, a2);
	json_object *dup = tool_json(0, "vmfs-inspect", a, a2, NULL, NULL);
	cr_assert_eq(ju64_at(dup, "logical_volumes[0].present"), 1);
	cr_assert_eq(ju64_at(dup, "logical_volumes[0].duplicated"), 2);
	cr_assert(has_code(jpath(dup, "reports[1].volumes[0].findings"), "device-duplicated"));
	json_object_put(dup);
	/* diff of member A against member B: two members, never "resignatured". */
	json_object *diff = tool_json(1, "vmfs-diff", a, b, NULL, NULL);
	cr_assert_str_eq(jstr_at(diff, "devices[0].paired_by"), "other-member");
	cr_assert_not(has_code(jpath(diff, "interpretations"), "resignatured"));
	cr_assert(has_code(jpath(diff, "interpretations"), "spanned-other-member"));
	json_object_put(diff);
	/* The text says it too. */
	r = run_tool("vmfs-diff", a, b, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "paired by offset (two members of one spanned volume)"), "%s", r.out);
	tool_result_free(&r);
	/* A real resignature of one member is still called one. */
	json_object *same = tool_json(0, "vmfs-diff", a, a2, NULL, NULL);
	cr_assert(json_object_get_boolean(jpath(same, "identical")));
	json_object_put(same);
}

/* The members placed in GPT disks: vmfs-diff pairs them through the volume
 * each side's discovery assembled. At the same start they are the other
 * member (never a resignature); at different starts each is one side's
 * device, and the moved entry is said. */
Test(discover, spanned_members_in_disks_diff)
{
	const char *a = tmp_path("member-a.img"), *b = tmp_path("member-b.img");
	make_spanned_pair(a, b);
	const char *da = tmp_path("disk-a.img"), *db = tmp_path("disk-b.img"), *db_moved = tmp_path("disk-b-4096.img");
	mkfixture("embed", "--disk-size", "1G", "--table", "gpt", "--start", "2048", "--image", a, da, NULL);
	mkfixture("embed", "--disk-size", "1G", "--table", "gpt", "--start", "2048", "--image", b, db, NULL);
	mkfixture("embed", "--disk-size", "1G", "--table", "gpt", "--start", "4096", "--image", b, db_moved, NULL);
	json_object *same = tool_json(1, "vmfs-diff", da, db, NULL, NULL);
	cr_assert_eq(json_object_array_length(jpath(same, "devices")), 1);
	cr_assert_str_eq(jstr_at(same, "devices[0].paired_by"), "other-member");
	cr_assert_eq(ju64_at(same, "devices[0].a.partition"), 1);
	cr_assert(has_code(jpath(same, "interpretations"), "spanned-other-member"));
	cr_assert_not(has_code(jpath(same, "interpretations"), "resignatured"));
	json_object_put(same);
	json_object *moved = tool_json(1, "vmfs-diff", da, db_moved, NULL, NULL);
	cr_assert_eq(json_object_array_length(jpath(moved, "devices")), 2);
	cr_assert_str_eq(jstr_at(moved, "devices[0].paired_by"), "a-only");
	cr_assert_str_eq(jstr_at(moved, "devices[1].paired_by"), "b-only");
	cr_assert(has_code(jpath(moved, "interpretations"), "partition-moved"));
	cr_assert_not(has_code(jpath(moved, "interpretations"), "resignatured"));
	json_object_put(moved);
}

/* Starts older tools and arrays used (sectors 63 and 64) and 2048 + 1 MiB
 * (sector 4096): the default probe of inspect and restore finds them. */
Test(discover, starts_63_64_4096_found_without_deep)
{
	static const uint64_t starts[] = { 63, 64, 4096 };
	for (size_t i = 0; i < 3; i++) {
		const char *disk = tmp_path("start.img");
		char vol[80];
		snprintf(vol, sizeof(vol), "lvm=5,start=%llu,size=400M,entry=0", (unsigned long long)starts[i]);
		mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", vol, disk, NULL);
		json_object *in = tool_json(0, "vmfs-inspect", disk, NULL, NULL, NULL);
		cr_assert_eq(json_object_array_length(jpath(in, "volumes")), 1, "start %llu", (unsigned long long)starts[i]);
		cr_assert_eq(ju64_at(in, "volumes[0].offset"), starts[i] * 512);
		cr_assert_str_eq(jstr_at(in, "volumes[0].state"), "not-in-table");
		json_object_put(in);
		json_object *re = tool_json(0, "vmfs-restore", disk, NULL, NULL, NULL);
		cr_assert_eq(ju64_at(re, "volumes[0].offset"), starts[i] * 512);
		cr_assert_str_eq(jstr_at(re, "volumes[0].state"), "add");
		cr_assert_eq(ju64_at(re, "volumes[0].partition.start"), starts[i]);
		json_object_put(re);
		remove(disk);
	}
}

/* Nothing found: the findings and restore say what --deep would cost here. */
Test(discover, nothing_found_names_the_deep_scan_cost)
{
	const char *disk = tmp_path("empty.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "64M", disk, NULL);
	tool_result r = run_tool("vmfs-restore", disk, NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "--deep looks at every sector: it reads"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "at 200 MB/s"), "%s", r.err);
	tool_result_free(&r);
	json_object *in = tool_json(1, "vmfs-inspect", disk, NULL, NULL, NULL);
	cr_assert(has_code(jpath(in, "findings"), "deep-scan-possible"));
	json_object_put(in);
}

/* A 4096-byte-sector disk whose GPT is wiped: the LVM header's diskBlockSize
 * gives the sector size, restore proposes a 4096-byte GPT, writes it, and
 * --undo puts the wiped disk back byte-exact. */
Test(discover, fourk_disk_wiped_gets_4096_byte_table)
{
	const char *disk = tmp_path("4k.img"), *wiped = tmp_path("4k-wiped.img"), *undo = tmp_path("4k.undo");
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "2G", "--vol", "lvm=6,label=fourk", disk,
		  NULL);
	uint8_t zero[6 * 4096] = { 0 };
	patch_file(disk, 0, zero, sizeof(zero));
	patch_file(disk, 2 * GIB - 5 * 4096, zero, 5 * 4096);
	copy(disk, wiped);
	json_object *in = tool_json(0, "vmfs-inspect", disk, NULL, NULL, NULL);
	cr_assert_eq(ju64_at(in, "source.sector_size"), 4096);
	cr_assert(has_code(jpath(in, "findings"), "sector-size-from-header"));
	cr_assert_str_eq(jstr_at(in, "volumes[0].state"), "not-in-table");
	json_object_put(in);
	json_object *re = tool_json(0, "vmfs-restore", disk, NULL, NULL, NULL);
	cr_assert_eq(ju64_at(re, "source.sector_size"), 4096);
	cr_assert_str_eq(jstr_at(re, "plan.table"), "gpt");
	cr_assert_eq(ju64_at(re, "volumes[0].partition.start"), 256);
	json_object_put(re);
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s\n%s", r.out, r.err);
	tool_result_free(&r);
	json_object *after = tool_json(0, "vmfs-inspect", disk, NULL, NULL, NULL);
	cr_assert_str_eq(jstr_at(after, "partition_table.type"), "gpt");
	cr_assert_eq(ju64_at(after, "partition_table.sector_size"), 4096);
	cr_assert_eq(ju64_at(after, "partition_table.partitions[0].start"), 256);
	cr_assert_str_eq(jstr_at(after, "volumes[0].state"), "present");
	json_object_put(after);
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, wiped), "--undo is byte-exact");
	/* --sector-size overrides: 512 is used, and the header disagrees. */
	json_object *forced = tool_json(0, "vmfs-inspect", "--sector-size", "512", disk, NULL);
	cr_assert_eq(ju64_at(forced, "source.sector_size"), 512);
	cr_assert(has_code(jpath(forced, "volumes[0].findings"), "sector-size-mismatch"));
	json_object_put(forced);
}

/* The real VMFS6 and VMFS5 volumes of the corpus placed in one 2 GiB disk (at
 * 1 MiB and at 1 GiB), both GPT copies wiped: every tool finds both, with the
 * device UUIDs the corpus images themselves carry; the rebuilt table holds
 * both and they decode through it with their labels; --undo is byte-exact. */
Test(discover, corpus_volumes_two_in_one_disk_wiped)
{
	const char *v6 = corpus_image("vmfs6-dissect.bin");
	const char *v5 = corpus_image("vmfs5-dissect.bin");
	const char *disk = tmp_path("real-two.img"), *damaged = tmp_path("real-two.damaged");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "2G", "--image", v6, disk, NULL);
	/* The VMFS5 partition alone (its LVM totalBytes, 510 MiB), without the
	 * rest of the disk it came from. */
	char of[600];
	snprintf(of, sizeof(of), "of=%s", disk);
	char in[600];
	snprintf(in, sizeof(in), "if=%s", v5);
	const char *dd[] = { "/bin/dd", in, of, "bs=1M", "seek=1024", "count=510", "conv=sparse,notrunc", "status=none",
			     NULL };
	tool_result r = run_argv(dd);
	cr_assert_eq(r.status, 0, "dd: %s", r.err);
	tool_result_free(&r);
	wipe_gpt(disk, 2 * GIB);
	copy(disk, damaged);

	const uint64_t starts[2] = { 1ull << 20, 1ull << 30 };
	const char *images[2] = { v6, v5 };
	json_object *inspect = tool_json(0, "vmfs-inspect", disk, NULL, NULL, NULL);
	json_object *restore = tool_json(0, "vmfs-restore", disk, NULL, NULL, NULL);
	json_object *backup = tool_json(0, "vmfs-backup", disk, "-O", tmp_path("real-two.vmfsbak"), NULL);
	cr_assert_eq(json_object_array_length(jpath(inspect, "volumes")), 2);
	cr_assert_eq(json_object_array_length(jpath(restore, "volumes")), 2);
	cr_assert_eq(json_object_array_length(jpath(backup, "sources[0].volumes")), 2);
	for (size_t i = 0; i < 2; i++) {
		json_object *own = tool_json(0, "vmfs-inspect", images[i], NULL, NULL, NULL);
		const char *uuid = jstr_at(own, "volumes[0].lvm.device_uuid");
		char key[64];
		snprintf(key, sizeof(key), "volumes[%zu]", i);
		json_object *vi = jpath(inspect, key), *vr = jpath(restore, key);
		snprintf(key, sizeof(key), "sources[0].volumes[%zu]", i);
		json_object *vb = jpath(backup, key);
		cr_assert_eq(ju64_at(vi, "offset"), starts[i]);
		cr_assert_eq(ju64_at(vr, "offset"), starts[i]);
		cr_assert_eq(ju64_at(vb, "offset"), starts[i]);
		cr_assert_str_eq(jstr_at(vi, "lvm.device_uuid"), uuid);
		cr_assert_str_eq(jstr_at(vr, "lvm.device_uuid"), uuid);
		cr_assert_str_eq(jstr_at(vb, "device_uuid"), uuid);
		cr_assert_str_eq(jstr_at(vi, "state"), "not-in-table");
		cr_assert_str_eq(jstr_at(vb, "state"), "not-in-table");
		cr_assert_str_eq(jstr_at(vr, "state"), "add");
		json_object_put(own);
	}
	json_object_put(inspect);
	json_object_put(restore);
	json_object_put(backup);

	const char *undo = tmp_path("real-two.undo");
	r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	tool_result_free(&r);
	json_object *after = tool_json(0, "vmfs-inspect", disk, NULL, NULL, NULL);
	cr_assert_str_eq(jstr_at(after, "partition_table.type"), "gpt");
	cr_assert_str_eq(jstr_at(after, "volumes[0].state"), "present");
	cr_assert_str_eq(jstr_at(after, "volumes[1].state"), "present");
	cr_assert_str_eq(jstr_at(after, "volumes[0].fs.label"), "VMFS6 Test");
	cr_assert_str_eq(jstr_at(after, "volumes[1].fs.label"), "VMFS5 Test");
	cr_assert_eq(ju64_at(after, "partition_table.partitions[0].start"), 2048);
	cr_assert_eq(ju64_at(after, "partition_table.partitions[1].start"), 2097152);
	json_object_put(after);
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, damaged), "--undo did not restore the image byte for byte");
}
