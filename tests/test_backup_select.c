/* What a backup holds (format reference 10), on generated disks. */
#include "tests/support/support.h"
#include "vmfs/backup/backup_select.h"

#include <criterion/criterion.h>
#include <string.h>

static void select_on(const char *path, vmfs_backup_selection *sel)
{
	vmfs_source *src;
	vmfs_error err;
	vmfs_disk disk;
	cr_assert_eq(vmfs_source_open(path, &src, &err), VMFS_OK);
	cr_assert_eq(vmfs_disk_analyse(src, NULL, &disk, &err), VMFS_OK);
	cr_assert_eq(vmfs_backup_select(src, &disk, sel, &err), VMFS_OK);
	vmfs_disk_free(&disk);
	vmfs_source_close(src);
}

Test(backup_select, gpt_disk_with_vmfs6)
{
	const char *disk = tmp_path("v6.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048", disk, NULL);
	static vmfs_backup_selection sel;
	select_on(disk, &sel);
	cr_assert_eq(sel.count, 5);
	cr_assert_str_eq(sel.spans[0].kind, "mbr");
	cr_assert_eq(sel.spans[0].length, 512);
	cr_assert_str_eq(sel.spans[1].kind, "gpt-primary");
	cr_assert_eq(sel.spans[1].offset, 512);
	cr_assert_eq(sel.spans[1].length, 33 * 512);
	cr_assert_str_eq(sel.spans[2].kind, "gpt-backup");
	cr_assert_eq(sel.spans[2].offset, (1ull << 30) - 33 * 512);
	cr_assert_str_eq(sel.spans[3].kind, "lvm-metadata");
	cr_assert_eq(sel.spans[3].offset, 0x200000, "partition 1 MiB + 1 MiB");
	cr_assert_eq(sel.spans[3].length, 0x1000000, "header to dataOffset 0x1100000");
	cr_assert_str_eq(sel.spans[4].kind, "vh-sf");
	cr_assert_eq(sel.spans[4].offset, 0x100000 + 0x1100000);
	cr_assert_eq(sel.spans[4].length, 7u << 20, ".vh.sf of VMFS6 is 7 MiB");
	cr_assert_eq(sel.spans[4].device, 0);
	cr_assert_eq(sel.skipped, 0);
}

Test(backup_select, mbr_disk_with_vmfs3_and_a_bare_volume)
{
	const char *disk = tmp_path("v3.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", disk, NULL);
	static vmfs_backup_selection sel;
	select_on(disk, &sel);
	cr_assert_str_eq(sel.spans[3].kind, "lvm-metadata");
	cr_assert_eq(sel.spans[3].offset, 0x110000);
	cr_assert_str_eq(sel.spans[4].kind, "vh-sf");
	cr_assert_eq(sel.spans[4].length, 4u << 20);
	const char *volume = tmp_path("bare.img");
	mkfixture("volume", "--lvm", "5", volume, NULL);
	select_on(volume, &sel);
	cr_assert_eq(sel.spans[3].offset, 0x100000);
	cr_assert_eq(sel.spans[4].offset, 0x1100000);
	for (size_t i = 0; i < sel.count; i++)
		for (size_t j = i + 1; j < sel.count; j++)
			cr_assert(sel.spans[i].offset + sel.spans[i].length <= sel.spans[j].offset ||
				  sel.spans[j].offset + sel.spans[j].length <= sel.spans[i].offset, "spans %zu and %zu overlap", i, j);
}
