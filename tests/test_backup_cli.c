/* vmfs-backup: one verified file per source holding exactly the selected
 * bytes; never overwrites; damaged files are reported, never half-read. */
#include "tests/support/support.h"
#include "vmfs/backup/backup.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* True when text has a line that is exactly name (so "file1" is not found
 * in "file10"). */
static bool lists(const char *text, const char *name)
{
	size_t n = strlen(name);
	for (const char *line = text; *line;) {
		size_t len = strcspn(line, "\n");
		if (len == n && strncmp(line, name, n) == 0)
			return true;
		line += len + (line[len] == '\n');
	}
	return false;
}

/* `debugvmfs IMAGE ls /directory`: the files the corpus volumes hold there,
 * read through vmfs-tools' own LVM and file-system code. */
static tool_result list_directory(const char *program, const char *image)
{
	const char *argv[] = { program, image, "ls", "/directory", NULL };
	return run_argv(argv);
}

static void assert_lists_files(const char *program, const char *image, const char *when)
{
	tool_result r = list_directory(program, image);
	cr_assert_eq(r.status, 0, "%s %s (%s): %s%s", program, image, when, r.out, r.err);
	cr_assert(lists(r.out, "file1") && lists(r.out, "file2"), "%s (%s) does not list file1 and file2: %s", program,
		  when, r.out);
	tool_result_free(&r);
}

Test(backup_cli, backup_holds_the_source_bytes)
{
	const char *disk = tmp_path("disk.img");
	const char *out = tmp_path("disk.vmfsbak");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,start=2048,size=600M", "--vol",
		  "lvm=6,start=1230848", disk, NULL);
	tool_result r = run_tool("vmfs-backup", "--json", disk, "-O", out, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(json_object_array_length(jpath(doc, "sources[0].volumes")), 2);
	cr_assert_eq(ju64_at(doc, "sources[0].regions"), 7, "mbr, 2 GPT areas, 2 x (lvm-metadata, vh-sf)");
	cr_assert_str_eq(jstr_at(doc, "sources[0].output"), out);
	cr_assert(json_object_get_boolean(jpath(doc, "written")));
	cr_assert_lt(file_size(out), 128 * 1024, "a few tens of KiB");
	json_object_put(doc);
	tool_result_free(&r);

	vmfs_backup b;
	vmfs_error err;
	cr_assert_eq(vmfs_backup_load(out, &b, &err), VMFS_OK, "%s", err.reason);
	int fd = open(disk, O_RDONLY);
	cr_assert_geq(fd, 0);
	for (size_t i = 0; i < b.count; i++) {
		uint8_t *now = malloc(b.regions[i].length);
		cr_assert_not_null(now);
		cr_assert_eq(pread(fd, now, b.regions[i].length, (off_t)b.regions[i].offset), (ssize_t)b.regions[i].length);
		cr_assert_eq(memcmp(now, b.regions[i].data, b.regions[i].length), 0, "region %s at 0x%llx", b.regions[i].kind,
			     (unsigned long long)b.regions[i].offset);
		free(now);
	}
	close(fd);
	cr_assert_not_null(strstr(b.manifest, "\"fs_uuid\""), "%s", b.manifest);
	vmfs_backup_free(&b);

	r = run_tool("vmfs-backup", "--verify", out, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.out, "OK: 7 regions"));
	tool_result_free(&r);
}

Test(backup_cli, never_overwrites_and_rejects_damage)
{
	const char *volume = tmp_path("v3.img");
	const char *out = tmp_path("v3.vmfsbak");
	mkfixture("volume", "--lvm", "3", volume, NULL);
	tool_result r = run_tool("vmfs-backup", "-q", volume, "-O", out, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	struct stat before;
	cr_assert_eq(stat(out, &before), 0);
	r = run_tool("vmfs-backup", volume, "-O", out, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "refusing to overwrite"));
	tool_result_free(&r);
	struct stat after;
	cr_assert_eq(stat(out, &after), 0);
	cr_assert_eq(after.st_mtime, before.st_mtime);

	uint8_t flip = 0xFF;
	patch_file(out, (uint64_t)before.st_size / 2, &flip, 1);
	r = run_tool("vmfs-backup", "--verify", out, NULL);
	cr_assert_eq(r.status, 2, "bit flip not detected");
	cr_assert_not_null(strstr(r.err, out));
	cr_assert_not_null(strstr(r.err, "offset"));
	tool_result_free(&r);
	cr_assert_eq(truncate(out, before.st_size - 100), 0);
	r = run_tool("vmfs-backup", "--verify", out, NULL);
	cr_assert_eq(r.status, 2);
	tool_result_free(&r);
}

Test(backup_cli, dir_mode_and_usage)
{
	const char *a = tmp_path("a.img");
	const char *b = tmp_path("b.img");
	mkfixture("volume", "--lvm", "5", a, NULL);
	mkfixture("volume", "--lvm", "6", b, NULL);
	char dir[4200];
	snprintf(dir, sizeof(dir), "%s", tmp_path("backups"));
	cr_assert_eq(mkdir(dir, 0700), 0);
	tool_result r = run_tool("vmfs-backup", "--json", "--dir", dir, a, b, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(json_object_array_length(jpath(doc, "sources")), 2);
	cr_assert_not_null(strstr(jstr_at(doc, "sources[1].output"), "/b.img-path-"));
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-backup", a, NULL);
	cr_assert_eq(r.status, 3, "neither -o nor --dir");
	tool_result_free(&r);
	r = run_tool("vmfs-backup", a, b, "-O", tmp_path("x.vmfsbak"), NULL);
	cr_assert_eq(r.status, 3, "-O with two sources");
	tool_result_free(&r);
	r = run_tool("vmfs-backup", tmp_path("missing.img"), "-O", tmp_path("y.vmfsbak"), NULL);
	cr_assert_eq(r.status, 2);
	tool_result_free(&r);
}

/* vmfs-inspect reads a backup like the device: the same volumes report. */
Test(backup_cli, inspect_reads_a_backup_like_the_source)
{
	const char *disk = tmp_path("src.img");
	const char *out = tmp_path("src.vmfsbak");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,start=2048,size=600M,label=one", "--vol",
		  "lvm=6,start=1230848,label=two", disk, NULL);
	tool_result r = run_tool("vmfs-backup", "-q", disk, "-O", out, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	tool_result from_disk = run_tool("vmfs-inspect", "--json", disk, NULL);
	tool_result from_backup = run_tool("vmfs-inspect", "--json", out, NULL);
	cr_assert_eq(from_disk.status, 0);
	cr_assert_eq(from_backup.status, 0, "%s", from_backup.err);
	json_object *a = parse_json(from_disk.out), *b = parse_json(from_backup.out);
	cr_assert_str_eq(jstr_at(b, "source.type"), "backup");
	cr_assert_eq(ju64_at(b, "source.size"), 2ull << 30);
	/* What exposes a volume as a block device depends on what holds it:
	 * a loop device over the disk; none over a backup file. */
	json_object *va = jpath(a, "volumes"), *vb = jpath(b, "volumes");
	cr_assert_eq(json_object_array_length(va), 2);
	cr_assert_eq(json_object_array_length(vb), 2);
	for (size_t i = 0; i < 2; i++) {
		cr_assert_not_null(strstr(jstr_at(json_object_array_get_idx(va, i), "expose.command"), "losetup --read-only"));
		cr_assert_not_null(jstr_at(json_object_array_get_idx(vb, i), "expose.note"));
		json_object_object_del(json_object_array_get_idx(va, i), "expose");
		json_object_object_del(json_object_array_get_idx(vb, i), "expose");
	}
	cr_assert(json_object_equal(va, vb), "volumes differ");
	cr_assert(json_object_equal(jpath(a, "partition_table"), jpath(b, "partition_table")), "table differs");
	json_object_put(a);
	json_object_put(b);
	tool_result_free(&from_disk);
	tool_result_free(&from_backup);
}

/* The restore-from-backup proof: back up a disk, destroy the first 2 MiB +
 * 4 KiB of its VMFS partition, restore: byte-identical, blkid reads it. */
Test(backup_cli, restore_from_backup_after_head_destroyed)
{
	const char *image = corpus_image("vmfs6-dissect.bin");
	const char *disk = tmp_path("v6disk.img");
	const char *pristine = tmp_path("pristine.img");
	const char *backup = tmp_path("v6.vmfsbak");
	const char *undo = tmp_path("v6.undo");
	mkfixture("embed", "--table", "gpt", "--start", "2048", "--disk-size", "1G", "--image", image, disk, NULL);
	dd_copy(disk, pristine, "1M", "count=1024");
	tool_result r = run_tool("vmfs-backup", "-q", disk, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);

	static uint8_t zero[(2u << 20) + 4096];
	patch_file(disk, 0x100000, zero, sizeof(zero));
	char value[64];
	cr_assert_not(blkid_value(disk, 0x100000, "TYPE", value, sizeof(value)), "header still there?");

	/* Dry run: says what differs, writes nothing. */
	const char *damaged = tmp_path("damaged.img");
	dd_copy(disk, damaged, "1M", "count=1024");
	r = run_tool("vmfs-restore", "--json", "--from-backup", backup, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "changes"), 1, "only the LVM metadata region differs: %s", r.out);
	cr_assert_not(json_object_get_boolean(jpath(doc, "written")));
	json_object_put(doc);
	tool_result_free(&r);
	cr_assert(files_equal(disk, damaged));
	/* --only fs: the .vh.sf region is intact, nothing to do. */
	r = run_tool("vmfs-restore", "--from-backup", backup, "--only", "fs", disk, NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "Nothing differs"), "%s", r.out);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", "--from-backup", backup, "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, pristine), "not byte-identical after restoring from the backup");
	cr_assert(blkid_value(disk, 0x100000, "UUID_SUB", value, sizeof(value)));
	cr_assert_str_eq(value, "6113001e-a232f065-7369-000c29801686");
	cr_assert(blkid_value(disk, 0x100000 + 0x1100000, "LABEL", value, sizeof(value)));
	cr_assert_str_eq(value, "VMFS6 Test");
	/* debugvmfs6 reads a partition, not a disk: a copy from the partition
	 * start (what a loop device at that offset would show). */
	char debugvmfs6[4096];
	if (find_program("debugvmfs6", debugvmfs6, sizeof(debugvmfs6))) {
		const char *partition = tmp_path("v6partition.img");
		dd_copy(disk, partition, "1M", "skip=1");
		assert_lists_files(debugvmfs6, partition, "partition of the restored disk");
		cr_assert_eq(unlink(partition), 0);
	} else {
		cr_log_info("debugvmfs6 not installed (make deps installs vmfs6-tools): the restored disk was not "
			    "listed with it");
	}

	/* And the undo of that restore gives the damaged disk back. */
	r = run_tool("vmfs-restore", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, damaged));
}

Test(backup_cli, restore_from_backup_refuses_another_size)
{
	const char *a = tmp_path("a.img");
	const char *b = tmp_path("b.img");
	const char *backup = tmp_path("a.vmfsbak");
	mkfixture("volume", "--lvm", "5", "--size", "600M", a, NULL);
	mkfixture("volume", "--lvm", "5", "--size", "700M", b, NULL);
	tool_result r = run_tool("vmfs-backup", "-q", a, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--from-backup", backup, "--write", "--undo-file", tmp_path("x.undo"), b, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "refusing"), "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--only", "lvm", b, NULL);
	cr_assert_eq(r.status, 3, "--only without --from-backup");
	tool_result_free(&r);
}

/* The same proof on the bare partition images of the corpus (offset 0 = the
 * partition start), read by vmfs-tools directly: debugvmfs for VMFS5,
 * debugvmfs6 for VMFS6. Back up, destroy the first 2 MiB + 4 KiB (the LVM
 * device header at 1 MiB and the tables after it are gone), check that the
 * volume is unreadable, restore from the backup, and check that the image is
 * byte-identical to the corpus image and that blkid and debugvmfs read it
 * again. The corpus file itself is only ever read. */
static void head_destroyed_proof(const char *image_name, const char *lister, const char *device_uuid,
				 const char *label)
{
	const char *image = corpus_image(image_name);
	char program[4096];
	bool have_lister = find_program(lister, program, sizeof(program));
	const char *copy = tmp_path("volume.bin");
	const char *backup = tmp_path("volume.vmfsbak");
	const char *undo = tmp_path("volume.undo");
	dd_copy(image, copy, "1M", "iflag=fullblock");
	cr_assert(files_equal(copy, image), "the sparse copy differs from %s", image);
	/* The listing works on the intact copy: the check below means something. */
	if (have_lister)
		assert_lists_files(program, copy, "intact copy");
	tool_result r = run_tool("vmfs-backup", "-q", copy, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);

	static uint8_t zero[(2u << 20) + 4096];
	patch_file(copy, 0, zero, sizeof(zero));
	char value[64];
	cr_assert_not(blkid_value(copy, 0, "TYPE", value, sizeof(value)), "LVM header still there? %s", value);
	if (have_lister) {
		r = list_directory(program, copy);
		cr_assert(r.status != 0 || !(lists(r.out, "file1") || lists(r.out, "file2")),
			  "%s still lists the damaged volume: %s", lister, r.out);
		tool_result_free(&r);
	}

	r = run_tool("vmfs-restore", "--from-backup", backup, "--write", "--undo-file", undo, copy, NULL);
	cr_assert_eq(r.status, 0, "%s%s", r.out, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(copy, image), "not byte-identical to %s after restoring from the backup", image_name);
	cr_assert(blkid_value(copy, 0, "UUID_SUB", value, sizeof(value)));
	cr_assert_str_eq(value, device_uuid);
	cr_assert(blkid_value(copy, 0x1100000, "LABEL", value, sizeof(value)));
	cr_assert_str_eq(value, label);
	if (!have_lister)
		cr_skip_test("%s not installed (make deps installs vmfs-tools and vmfs6-tools): %s was restored "
			     "byte-identical and blkid reads it, but the %s listing was not checked", lister,
			     image_name, lister);
	assert_lists_files(program, copy, "restored");
}

Test(backup_cli, restore_vmfs6_partition_debugvmfs6_reads_it)
{
	head_destroyed_proof("vmfs6-dissect.bin", "debugvmfs6", "6113001e-a232f065-7369-000c29801686", "VMFS6 Test");
}

Test(backup_cli, restore_vmfs5_partition_debugvmfs_reads_it)
{
	head_destroyed_proof("vmfs5-dissect.bin", "debugvmfs", "61137dd5-dc4830ac-56f8-000c29801686", "VMFS5 Test");
}

/* Two images of one size have no WWID to tell them apart: their LVM headers
 * do. A backup of one is refused on the other unless --force. */
Test(backup_cli, restore_from_backup_refuses_another_volume)
{
	char a[4096], b[4096], backup[4096];
	snprintf(a, sizeof(a), "%s", tmp_path("a.img"));
	snprintf(b, sizeof(b), "%s", tmp_path("b.img"));
	snprintf(backup, sizeof(backup), "%s", tmp_path("a.bkp"));
	mkfixture("volume", "--lvm", "5", "--seed", "1", a, NULL);
	mkfixture("volume", "--lvm", "5", "--seed", "2", b, NULL);
	tool_result r = run_tool("vmfs-backup", "-q", a, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	char before[4096];
	snprintf(before, sizeof(before), "%s", tmp_path("b.copy"));
	dd_copy(b, before, "1M", "count=100000");
	r = run_tool("vmfs-restore", "--from-backup", backup, "--write", "--undo-file", tmp_path("x.undo"), b, NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "another volume?"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "offset 0x100082"), "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(b, before), "the other volume was written");
	r = run_tool("vmfs-restore", "--from-backup", backup, "--force", b, NULL);
	cr_assert_eq(r.status, 0, "--force: %s", r.err);
	tool_result_free(&r);
	/* With the header gone (the case a restore is for), it proceeds. */
	static uint8_t zero[4096];
	patch_file(a, 0x100000, zero, sizeof(zero));
	r = run_tool("vmfs-restore", "--from-backup", backup, a, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
}

/* A damaged source is still backed up (that is what one does before a
 * repair), and the damage is said on stderr with its offsets. */
Test(backup_cli, damaged_source_is_backed_up_and_said)
{
	char image[4096], backup[4096];
	snprintf(image, sizeof(image), "%s", tmp_path("cut.img"));
	snprintf(backup, sizeof(backup), "%s", tmp_path("cut.bkp"));
	mkfixture("volume", "--lvm", "5", image, NULL);
	cr_assert_eq(truncate(image, 3000000), 0);
	tool_result r = run_tool("vmfs-backup", "-q", image, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_not_null(strstr(r.err, "offset 0x10005e"), "%s", r.err);
	cr_assert_not_null(strstr(r.err, "backed up as it is"), "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-backup", "--verify", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	/* In JSON the damage is the source's, not an error of the run. */
	snprintf(backup, sizeof(backup), "%s", tmp_path("cut2.bkp"));
	r = run_tool("vmfs-backup", "--json", image, "-O", backup, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(json_object_array_length(jpath(doc, "errors")), 0);
	cr_assert_eq(ju64_at(doc, "sources[0].damage[0].offset"), 0x10005e, "%s", r.out);
	cr_assert_str_eq(jstr_at(doc, "sources[0].damage[0].path"), image);
	cr_assert_str_eq(jstr_at(doc, "sources[0].output"), backup);
	json_object_put(doc);
	tool_result_free(&r);
}
