/* The command-line contract of vmfs-inspect: help, version, usage errors,
 * --vml, --hex, --offset, --quiet, several paths, read-only opening. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

Test(cli, help_and_version)
{
	tool_result r = run_tool("vmfs-inspect", "--help", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "Usage:"));
	cr_assert_not_null(strstr(r.out, "--json"));
	cr_assert_eq(r.err[0], 0, "help must go to stdout");
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--version", NULL);
	cr_assert_eq(r.status, 0);
	cr_assert_eq(strncmp(r.out, "vmfs-inspect ", 13), 0);
	tool_result_free(&r);
}

Test(cli, usage_errors_exit_3)
{
	const char *bad[][3] = {
		{ "--no-such-option", NULL, NULL }, { "--offset", "12Q", "x" }, { "--sector-size", "1000", "x" },
		{ "--offset", "-1", "x" }, { NULL, NULL, NULL },
	};
	for (size_t i = 0; bad[i][0]; i++) {
		tool_result r = run_tool("vmfs-inspect", bad[i][0], bad[i][1], bad[i][2], NULL);
		cr_assert_eq(r.status, 3, "%s: exit %d", bad[i][0], r.status);
		cr_assert_not_null(strstr(r.err, "--help"));
		cr_assert_eq(r.out[0], 0);
		tool_result_free(&r);
	}
	tool_result r = run_tool("vmfs-inspect", NULL);
	cr_assert_eq(r.status, 3);
	tool_result_free(&r);
}

Test(cli, vml_decoding_json)
{
	/* A host without block devices: both names decode, neither names a
	 * local device (exit 1; tests/test_live.c resolves them). */
	const char *sys = tmp_path("sys");
	char block[4200];
	snprintf(block, sizeof(block), "%s/block", sys);
	cr_assert_eq(mkdir(sys, 0700), 0);
	cr_assert_eq(mkdir(block, 0700), 0);
	tool_result r = run_tool("vmfs-inspect", "--vml", "--json", "--sysfs-root", sys, "--dev-root", tmp_path("dev"),
				 "vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441:1", "vmhba32:1:3:1", NULL);
	cr_assert_eq(r.status, 1, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(json_object_array_length(jpath(doc, "identifiers[0].devices")), 0);
	cr_assert_not_null(strstr(jstr_at(doc, "identifiers[0].not_found"), "naa.600144f07ed404000000496ff8cd0003"));
	cr_assert_not_null(strstr(jstr_at(doc, "identifiers[1].not_found"), "adapter path"));
	cr_assert_str_eq(jstr_at(doc, "identifiers[0].kind"), "vml");
	cr_assert_eq(ju64_at(doc, "identifiers[0].lun"), 3);
	cr_assert_eq(ju64_at(doc, "identifiers[0].partition"), 1);
	cr_assert_str_eq(jstr_at(doc, "identifiers[0].designator"), "600144f07ed404000000496ff8cd0003");
	cr_assert_str_eq(jstr_at(doc, "identifiers[0].model_prefix"), "COMSTA");
	cr_assert_str_eq(jstr_at(doc, "identifiers[0].canonical"), "naa.600144f07ed404000000496ff8cd0003");
	cr_assert_eq(ju64_at(doc, "identifiers[0].company_id"), 0x00144F);
	cr_assert_str_eq(jstr_at(doc, "identifiers[1].kind"), "vmhba");
	cr_assert_eq(ju64_at(doc, "identifiers[1].adapter"), 32);
	cr_assert_eq(ju64_at(doc, "identifiers[1].target"), 1);
	cr_assert_eq(ju64_at(doc, "identifiers[1].lun"), 3);
	json_object_put(doc);
	tool_result_free(&r);
}

Test(cli, vml_rejects_garbage)
{
	tool_result r = run_tool("vmfs-inspect", "--vml", "vml.02zz", NULL);
	cr_assert_eq(r.status, 2);
	cr_assert_not_null(strstr(r.err, "vml.02zz"));
	cr_assert_not_null(strstr(r.err, "offset"));
	tool_result_free(&r);
}

Test(cli, hex_dump_marks_fields)
{
	const char *image = tmp_path("v6.img");
	mkfixture("volume", "--lvm", "6", "--size", "600M", image, NULL);
	tool_result r = run_tool("vmfs-inspect", "--hex", image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	const char *expect[] = { "LVM device header at 0x100000", "0x0000100000 +0x000  0d d0 01 c0", "magic = 0xc001d00d",
				 "totalBytes = ", "devID (device UUID) = ", "volume table entry at 0x101000",
				 "lvID.uuid = ", "PE table entry at 0x182000", "file-system descriptor at 0x1300000",
				 "fsLabel = \"fixture\"", "checksumType = 0" };
	for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
		cr_assert_not_null(strstr(r.out, expect[i]), "hex output lacks \"%s\"", expect[i]);
	tool_result_free(&r);
}

Test(cli, offset_option_finds_embedded_volume)
{
	const char *volume = tmp_path("v5.img");
	const char *outer = tmp_path("outer.img");
	mkfixture("volume", "--lvm", "5", "--size", "600M", "--label", "inside", volume, NULL);
	dd_copy(volume, outer, "1M", "seek=3"); /* 3 MiB of zeros in front, no partition table */
	tool_result r = run_tool("vmfs-inspect", "--json", "--offset", "3M", outer, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(ju64_at(doc, "volumes[0].offset"), 3u << 20);
	cr_assert_eq(ju64_at(doc, "volumes[0].lvm.offset"), (3u << 20) + 0x100000);
	cr_assert_str_eq(jstr_at(doc, "volumes[0].fs.label"), "inside");
	json_object_put(doc);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--offset", "2M", outer, NULL);
	cr_assert_eq(r.status, 2, "nothing at 2M");
	tool_result_free(&r);
}

Test(cli, quiet_and_several_paths)
{
	const char *a = tmp_path("a.img");
	const char *b = tmp_path("b.img");
	mkfixture("volume", "--lvm", "3", "--size", "600M", a, NULL);
	mkfixture("volume", "--lvm", "6", "--size", "600M", b, NULL);
	tool_result r = run_tool("vmfs-inspect", "--quiet", a, b, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_eq(r.out[0], 0);
	tool_result_free(&r);
	r = run_tool("vmfs-inspect", "--json", a, b, NULL);
	cr_assert_eq(r.status, 0);
	json_object *doc = parse_json(r.out);
	cr_assert_eq(json_object_array_length(jpath(doc, "reports")), 2);
	cr_assert_eq(ju64_at(doc, "reports[0].volumes[0].lvm.major"), 3);
	cr_assert_eq(ju64_at(doc, "reports[1].volumes[0].lvm.major"), 6);
	json_object_put(doc);
	tool_result_free(&r);
	/* The worst status wins. */
	r = run_tool("vmfs-inspect", "--quiet", a, tmp_path("missing.img"), NULL);
	cr_assert_eq(r.status, 2);
	tool_result_free(&r);
}

/* Sources are opened O_RDONLY: a read-only fixture is inspected without error. */
Test(cli, read_only_source)
{
	const char *image = tmp_path("ro.img");
	mkfixture("volume", "--lvm", "5", "--size", "600M", image, NULL);
	cr_assert_eq(chmod(image, 0444), 0);
	tool_result r = run_tool("vmfs-inspect", image, NULL);
	cr_assert_eq(r.status, 0, "%s", r.err);
	tool_result_free(&r);
}

/* A table with no VMFS partition: exit 1, "nothing found". */
Test(cli, table_without_vmfs_exits_1)
{
	const char *image = tmp_path("plain.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "64M", image, NULL);
	tool_result r = run_tool("vmfs-inspect", image, NULL);
	cr_assert_eq(r.status, 1, "exit %d: %s", r.status, r.err);
	cr_assert_not_null(strstr(r.err, "no VMFS volume found"));
	tool_result_free(&r);
}
