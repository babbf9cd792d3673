/* The contract every tool keeps (issue 10): offsets in the units sfdisk and
 * blkid users type, commands printed for pasting that work when pasted (run
 * through bash on paths with spaces, parentheses and quotes), the JSON
 * envelope on success, failure and usage errors, inspect --strict, and a
 * partition refused where the whole disk is needed. */
#include "tests/support/support.h"
#include "tools/common/format.h"
#include "vmfs/source/sysfs.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

Test(contract, offsets_take_the_units_sfdisk_users_expect)
{
	static const struct { const char *text; unsigned sector; uint64_t value; } good[] = {
		{ "0", 0, 0 },
		{ "1048576", 0, 1048576 },
		{ "0x100000", 0, 0x100000 },
		{ "010", 0, 10 },              /* never octal */
		{ "1K", 0, 1024 },
		{ "1KiB", 0, 1024 },
		{ "1M", 0, 1ull << 20 },
		{ "1MiB", 0, 1ull << 20 },
		{ "3G", 0, 3ull << 30 },
		{ "2GiB", 0, 2ull << 30 },
		{ "1T", 0, 1ull << 40 },
		{ "1TiB", 0, 1ull << 40 },
		{ "1KB", 0, 1000 },
		{ "1MB", 0, 1000000 },
		{ "2GB", 0, 2000000000 },
		{ "1TB", 0, 1000000000000ull },
		{ "2048s", 0, 2048 * 512 },    /* 512-byte sectors unless told */
		{ "2048s", 512, 2048 * 512 },
		{ "256s", 4096, 256 * 4096 },
		{ "16777215T", 0, 16777215ull << 40 },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		uint64_t v = 12345;
		cr_assert(parse_offset(good[i].text, good[i].sector, &v), "%s refused", good[i].text);
		cr_assert_eq(v, good[i].value, "%s: %llu, not %llu", good[i].text, (unsigned long long)v,
			     (unsigned long long)good[i].value);
	}
	static const char *bad[] = { "", "-1", "+1", " 1", "1X", "1Ki", "1KiBB", "1s2", "0x", "x10", "1.5M", "K",
				     "16777216T", "18446744073709551616", "9999999999999999999KB", "36028797018963968s",
				     "1 M" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint64_t v;
		cr_assert_not(parse_offset(bad[i], 512, &v), "'%s' accepted", bad[i]);
	}
	uint64_t v;
	cr_assert_not(parse_size("2048s", &v), "a size or count has no sectors");
	cr_assert(parse_size("64K", &v) && v == 65536);
}

/* What bash makes of one quoted word: printf %s of it. */
static char *bash_word(const char *quoted)
{
	char script[9000];
	snprintf(script, sizeof(script), "printf %%s %s", quoted);
	const char *argv[] = { "/bin/bash", "-c", script, NULL };
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "bash: %s", r.err);
	char *out = strdup(r.out);
	tool_result_free(&r);
	return out;
}

Test(contract, shell_quote_survives_bash)
{
	static const char *words[] = { "plain/path-1.img", "with space", "(parens)", "it's", "'", "''", "a\"b",
				       "$HOME", "`x`", "a\\b", "*?[x]", "x;y&z|w", "~user", "#hash", "tab\there",
				       "new\nline", "!bang", "", "--undo=x y", "/dev/disk/by-id/scsi-3600(1)" };
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
		char quoted[512];
		fmt_shell_quote(words[i], quoted, sizeof(quoted));
		char *back = bash_word(quoted);
		cr_assert_str_eq(back, words[i], "quoted as %s", quoted);
		free(back);
	}
	char quoted[64];
	cr_assert_str_eq(fmt_shell_quote("plain.img", quoted, sizeof(quoted)), "plain.img");
	cr_assert_str_eq(fmt_shell_quote("a b", quoted, sizeof(quoted)), "'a b'");
	cr_assert_str_eq(fmt_shell_quote("", quoted, sizeof(quoted)), "''");
	/* Too small: nothing rather than a cut word that names another file. */
	cr_assert_str_eq(fmt_shell_quote("a long word with spaces", quoted, 8), "");
}

/* A fake sysfs: block 8:0 the disk sdx, 8:1 its partition 1. */
Test(contract, sysfs_tells_a_partition_from_its_disk)
{
	char root[4096], cmd[12288];
	snprintf(root, sizeof(root), "%s", tmp_path("sys"));
	snprintf(cmd, sizeof(cmd),
		 "set -e; r='%s'; mkdir -p \"$r/devices/pci0/host0/block/sdx/sdx1\" \"$r/dev/block\"; "
		 "echo 1 > \"$r/devices/pci0/host0/block/sdx/sdx1/partition\"; "
		 "ln -s ../../devices/pci0/host0/block/sdx \"$r/dev/block/8:0\"; "
		 "ln -s ../../devices/pci0/host0/block/sdx/sdx1 \"$r/dev/block/8:1\"",
		 root);
	const char *argv[] = { "/bin/bash", "-c", cmd, NULL };
	tool_result r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	char disk[64];
	unsigned number = 0;
	cr_assert(vmfs_sysfs_partition_of(root, 8, 1, disk, sizeof(disk), &number));
	cr_assert_str_eq(disk, "sdx");
	cr_assert_eq(number, 1);
	cr_assert_not(vmfs_sysfs_partition_of(root, 8, 0, disk, sizeof(disk), &number), "the disk is no partition");
	cr_assert_not(vmfs_sysfs_partition_of(root, 8, 7, disk, sizeof(disk), &number), "unknown device");
	/* An image file is never refused. */
	vmfs_error err;
	const char *image = tmp_path("plain.img");
	mkfixture("volume", "--size", "600M", image, NULL);
	cr_assert_eq(vmfs_sysfs_require_whole_disk(VMFS_SYSFS_ROOT, image, &err), VMFS_OK);
}

/* The command after "To undo: " in text output. */
static void undo_command(const char *out, char *command, size_t len)
{
	const char *p = strstr(out, "To undo: ");
	cr_assert_not_null(p, "no undo command in: %s", out);
	p += strlen("To undo: ");
	snprintf(command, len, "%.*s", (int)strcspn(p, "\n"), p);
}

/* Runs a printed command through bash from folder, with the tools first in PATH. */
static tool_result run_printed(const char *folder, const char *command)
{
	char script[16384];
	snprintf(script, sizeof(script), "cd '%s' && PATH=\"$VMFS_TEST_BIN:$PATH\" %s", folder, command);
	const char *argv[] = { "/bin/bash", "-c", script, NULL };
	return run_argv(argv);
}

/* A folder whose name needs quoting: spaces and parentheses. */
static const char *awkward_folder(void)
{
	const char *folder = tmp_path("my disks (copy 1)");
	cr_assert_eq(mkdir(folder, 0755), 0);
	return folder;
}

Test(contract, restore_undo_command_runs_as_printed)
{
	const char *folder = awkward_folder();
	char disk[4096], copy[4096], command[8192];
	snprintf(disk, sizeof(disk), "%s/lun 3 (old).img", folder);
	snprintf(copy, sizeof(copy), "%s/before.copy", folder);
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=lost", disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	dd_copy(disk, copy, "1M", "count=1024");
	/* Undo file in the awkward folder as well, named by --undo-file. */
	char undo[4096];
	snprintf(undo, sizeof(undo), "%s/undo (1).undo", folder);
	tool_result r = run_tool("vmfs-restore", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_null(strstr(r.out, "nothing has been written"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Written, synced and verified"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "bytes at the offsets above"), "%s", r.out);
	undo_command(r.out, command, sizeof(command));
	tool_result_free(&r);
	cr_assert_not(files_equal(disk, copy));
	r = run_printed("/", command);
	cr_assert_eq(r.status, 0, "'%s': %s", command, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, copy), "the printed undo command did not restore the disk");
}

Test(contract, resignature_commands_run_as_printed)
{
	const char *folder = awkward_folder();
	char disk[4096], copy[4096], command[8192];
	snprintf(disk, sizeof(disk), "%s/it's (a) lun.img", folder);
	snprintf(copy, sizeof(copy), "%s/before.copy", folder);
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=snap", disk, NULL);
	dd_copy(disk, copy, "1M", "count=1024");
	/* The dry run's last line is the command that writes exactly its plan;
	 * relative path: it runs from the folder it was printed in. */
	tool_result r;
	char script[8192];
	snprintf(script, sizeof(script), "cd '%s' && \"$VMFS_TEST_BIN/vmfs-resignature\" --new-identity \"it's (a) lun.img\"",
		 folder);
	const char *argv[] = { "/bin/bash", "-c", script, NULL };
	r = run_argv(argv);
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *last = strstr(r.out, "  vmfs-resignature --write --plan-id ");
	cr_assert_not_null(last, "%s", r.out);
	snprintf(command, sizeof(command), "%.*s", (int)strcspn(last + 2, "\n"), last + 2);
	char planned[4096];
	const char *fs = strstr(r.out, "file-system UUID");
	cr_assert_not_null(fs);
	snprintf(planned, sizeof(planned), "%.*s", (int)strcspn(fs, "\n"), fs);
	tool_result_free(&r);
	cr_assert(files_equal(disk, copy), "the dry run wrote");

	r = run_printed(folder, command);
	cr_assert_eq(r.status, 0, "'%s': %s", command, r.err);
	cr_assert_not_null(strstr(r.out, planned), "the write did not use the dry run's plan: %s", r.out);
	cr_assert_null(strstr(r.out, "nothing has been written"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "Undo file: "), "%s", r.out);
	undo_command(r.out, command, sizeof(command));
	tool_result_free(&r);
	cr_assert_not(files_equal(disk, copy));
	r = run_printed(folder, command);
	cr_assert_eq(r.status, 0, "'%s': %s", command, r.err);
	tool_result_free(&r);
	cr_assert(files_equal(disk, copy), "the printed undo command did not restore the disk");
}

static void check_envelope(const char *tool, const tool_result *r)
{
	json_object *doc = parse_json(r->out);
	cr_assert_str_eq(jstr_at(doc, "tool"), tool);
	cr_assert_not_null(jstr_at(doc, "version"));
	cr_assert_eq((int)ju64_at(doc, "exit_status"), r->status, "%s: exit_status is not the exit status", tool);
	cr_assert(json_object_is_type(jpath(doc, "errors"), json_type_array));
	json_object_put(doc);
}

Test(contract, json_envelope_on_success_failure_and_usage)
{
	static const char *tools[] = { "vmfs-inspect", "vmfs-diff", "vmfs-restore", "vmfs-resignature" };
	const char *missing = tmp_path("no such (file)");
	for (size_t i = 0; i < 4; i++) {
		tool_result r = run_tool(tools[i], "--json", "--no-such-option", missing, missing, NULL);
		cr_assert_eq(r.status, 3);
		check_envelope(tools[i], &r);
		json_object *doc = parse_json(r.out);
		cr_assert_str_eq(jstr_at(doc, "errors[0].code"), "usage");
		json_object_put(doc);
		tool_result_free(&r);

		/* -j among other flags counts too. */
		r = run_tool(tools[i], "-jq", "--offset", "12Q", missing, missing, NULL);
		cr_assert_eq(r.status, 3, "%s: %s", tools[i], r.err);
		check_envelope(tools[i], &r);
		tool_result_free(&r);

		r = strcmp(tools[i], "vmfs-diff") == 0 ? run_tool(tools[i], "--json", missing, missing, NULL)
		    : strcmp(tools[i], "vmfs-resignature") == 0 ? run_tool(tools[i], "--json", "--new-identity", missing, NULL)
								: run_tool(tools[i], "--json", missing, NULL);
		cr_assert_eq(r.status, 2, "%s: %s", tools[i], r.err);
		check_envelope(tools[i], &r);
		doc = parse_json(r.out);
		cr_assert_str_eq(jstr_at(doc, "errors[0].path"), missing);
		cr_assert_str_eq(jstr_at(doc, "errors[0].code"), "io");
		cr_assert(json_object_is_type(jpath(doc, "errors[0].offset"), json_type_null));
		json_object_put(doc);
		tool_result_free(&r);
	}
}

Test(contract, restore_json_says_written_and_names_the_undo_file)
{
	const char *disk = tmp_path("wiped.img");
	const char *undo = tmp_path("restore.undo");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=lost", disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	tool_result r = run_tool("vmfs-restore", "--json", "--write", "--undo-file", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	check_envelope("vmfs-restore", &r);
	json_object *doc = parse_json(r.out);
	cr_assert(json_object_get_boolean(jpath(doc, "written")), "--write wrote but says written: false");
	cr_assert_str_eq(jstr_at(doc, "undo_file"), undo);
	cr_assert_eq(access(undo, R_OK), 0);
	/* Every UUID with what it encodes. */
	cr_assert_not_null(jstr_at(doc, "volumes[0].lvm.device_uuid_mac"));
	cr_assert_not_null(jstr_at(doc, "volumes[0].fs.uuid_time"));
	cr_assert(ju64_at(doc, "volumes[0].lvm.lv_uuid_time_unix") > 0);
	json_object_put(doc);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", "--json", "--undo", undo, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	check_envelope("vmfs-restore", &r);
	doc = parse_json(r.out);
	cr_assert(json_object_get_boolean(jpath(doc, "written")));
	cr_assert_str_eq(jstr_at(doc, "operation"), "undo");
	cr_assert_eq(ju64_at(doc, "regions"), 3);
	json_object_put(doc);
	tool_result_free(&r);
}

Test(contract, inspect_strict_fails_on_warnings)
{
	const char *disk = tmp_path("wiped.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=lost", disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	tool_result r = run_tool("vmfs-inspect", "--quiet", disk, NULL);
	cr_assert_eq(r.status, 0, "a warning alone is not an error without --strict: %s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--strict", "--json", disk, NULL);
	cr_assert_eq(r.status, 2, "%s", r.err);
	check_envelope("vmfs-inspect", &r);
	json_object *doc = parse_json(r.out);
	cr_assert_str_eq(jstr_at(doc, "errors[0].code"), "strict-warnings");
	json_object_put(doc);
	cr_assert_not_null(strstr(r.err, "--strict"), "%s", r.err);
	tool_result_free(&r);
	/* A consistent disk passes --strict. */
	const char *good = tmp_path("good.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=fine", good, NULL);
	r = run_tool("vmfs-inspect", "-s", "-q", good, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
}

Test(contract, offset_in_sectors_finds_the_partition)
{
	const char *disk = tmp_path("disk.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,label=here", disk, NULL);
	static const char *forms[] = { "2048s", "1M", "1MiB", "0x100000", "1048576" };
	for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		tool_result r = run_tool("vmfs-inspect", "--json", "-o", forms[i], disk, NULL);
		cr_assert_eq(r.status, 0, "%s: %s", forms[i], r.err);
		json_object *doc = parse_json(r.out);
		cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "here", "%s", forms[i]);
		json_object_put(doc);
		tool_result_free(&r);
	}
	tool_result r = run_tool("vmfs-diff", "-q", "-o", "2048s", disk, disk, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "-o", "1MB", disk, NULL);
	cr_assert_eq(r.status, 2, "1 MB (10^6) is not where the volume starts");
	tool_result_free(&r);
}

/* A loop device with partitions (losetup -P), where the machine allows it:
 * restore on the partition says which disk to give. */
Test(contract, restore_on_a_partition_asks_for_the_whole_disk)
{
	const char *disk = tmp_path("loop.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "512M", "--vol", "lvm=6,start=2048,label=p", disk, NULL);
	const char *attach[] = { "/usr/sbin/losetup", "-f", "--show", "-P", disk, NULL };
	tool_result r = run_argv(attach);
	if (r.status != 0) {
		cr_log_info("loop devices not available here (%s): partition test skipped", r.err);
		tool_result_free(&r);
		return;
	}
	char loop[64], part[80];
	snprintf(loop, sizeof(loop), "%.*s", (int)strcspn(r.out, "\n"), r.out);
	tool_result_free(&r);
	snprintf(part, sizeof(part), "%sp1", loop);
	bool seen = false;
	for (int i = 0; i < 40 && !seen; i++) {
		seen = access(part, F_OK) == 0;
		if (!seen) {
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	if (seen) {
		r = run_tool("vmfs-restore", "--json", part, NULL);
		char expect[128];
		snprintf(expect, sizeof(expect), "give the whole disk (%s)", loop);
		int status = r.status;
		bool said = strstr(r.err, expect) != NULL;
		json_object *doc = status == 2 ? parse_json(r.out) : NULL;
		bool code = doc && strcmp(jstr_at(doc, "errors[0].code"), "not-whole-disk") == 0;
		json_object_put(doc);
		tool_result_free(&r);
		r = run_tool("vmfs-restore", "--quiet", loop, NULL);
		int whole = r.status;
		tool_result_free(&r);
		const char *detach[] = { "/usr/sbin/losetup", "-d", loop, NULL };
		r = run_argv(detach);
		tool_result_free(&r);
		cr_assert_eq(status, 2);
		cr_assert(said, "no 'give the whole disk' message");
		cr_assert(code, "errors[0].code is not not-whole-disk");
		cr_assert_eq(whole, 0, "the whole disk is accepted");
	} else {
		const char *detach[] = { "/usr/sbin/losetup", "-d", loop, NULL };
		r = run_argv(detach);
		tool_result_free(&r);
		cr_log_info("the kernel shows no partitions of %s: partition test skipped", loop);
	}
}
