/* Partition-table rebuild plans for the damage cases of the restore issue:
 * what is kept, what is added, what is stale, what conflicts. */
#include "tests/support/support.h"
#include "vmfs/repair/plan.h"

#include <criterion/criterion.h>
#include <string.h>

typedef struct planned {
	vmfs_source *src;
	vmfs_ptable table;
	vmfs_scan_result scan;
	vmfs_plan plan;
} planned;

static planned *make_plan(const char *path, const vmfs_plan_options *options)
{
	static planned p;
	vmfs_error err;
	cr_assert_eq(vmfs_source_open(path, &p.src, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_ptable_read(p.src, 0, &p.table, &err), VMFS_OK, "%s", err.reason);
	vmfs_source_set_sector_size(p.src, p.table.sector_size);
	cr_assert_eq(vmfs_scan(p.src, NULL, &p.scan, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(vmfs_plan_make(p.src, &p.table, &p.scan, options, &p.plan, &err), VMFS_OK, "%s", err.reason);
	return &p;
}

static void done(planned *p)
{
	vmfs_scan_result_free(&p->scan);
	vmfs_ptable_free(&p->table);
	vmfs_source_close(p->src);
}

Test(plan, vmfs3_mbr_sector0_zeroed)
{
	const char *disk = tmp_path("v3.img");
	mkfixture("disk", "--table", "mbr", "--disk-size", "700M", "--vol", "lvm=3,start=128", disk, NULL);
	uint8_t zero[512] = { 0 };
	patch_file(disk, 0, zero, sizeof(zero));
	planned *p = make_plan(disk, NULL);
	cr_assert_str_eq(p->plan.label, "dos");
	cr_assert(p->plan.new_label);
	cr_assert_eq(p->plan.count, 1);
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_ADD);
	cr_assert_eq(p->plan.entries[0].start, 128);
	cr_assert_eq(p->plan.entries[0].size, p->plan.entries[0].device->lvm.total_bytes / 512);
	cr_assert_eq(p->plan.entries[0].number, 1);
	cr_assert_eq(p->plan.changes, 1);
	cr_assert_not(p->plan.blocked);
	done(p);
}

Test(plan, vmfs5_gpt_entry_deleted_keeps_table)
{
	const char *disk = tmp_path("v5.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=5,start=2048,entry=0", disk, NULL);
	planned *p = make_plan(disk, NULL);
	cr_assert_str_eq(p->plan.label, "gpt");
	cr_assert_not(p->plan.new_label, "the existing GPT is kept");
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_ADD);
	cr_assert_eq(p->plan.entries[0].start, 2048);
	cr_assert_eq(p->plan.entries[0].size, p->plan.entries[0].device->lvm.total_bytes / 512);
	done(p);
}

Test(plan, vmfs6_both_gpt_copies_wiped)
{
	const char *disk = tmp_path("v6.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048", disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	planned *p = make_plan(disk, NULL);
	cr_assert_str_eq(p->table.label, "none");
	cr_assert_str_eq(p->plan.label, "gpt");
	cr_assert(p->plan.new_label);
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_ADD);
	cr_assert_eq(p->plan.entries[0].start, 2048);
	done(p);
}

Test(plan, two_volumes_tables_wiped)
{
	const char *disk = tmp_path("two.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "2G", "--vol", "lvm=5,start=2048,size=600M", "--vol",
		  "lvm=6,start=1230848", disk, NULL);
	wipe_gpt(disk, 2ull << 30);
	planned *p = make_plan(disk, NULL);
	cr_assert_eq(p->plan.count, 2);
	cr_assert_eq(p->plan.changes, 2);
	cr_assert_eq(p->plan.entries[0].number, 1);
	cr_assert_eq(p->plan.entries[1].number, 2);
	cr_assert_eq(p->plan.entries[1].start, 1230848);
	done(p);
}

Test(plan, intact_disk_needs_nothing)
{
	const char *disk = tmp_path("ok.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6", disk, NULL);
	planned *p = make_plan(disk, NULL);
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_PRESENT);
	cr_assert_eq(p->plan.entries[0].number, 1);
	cr_assert_eq(p->plan.changes, 0);
	done(p);
}

/* A VMFS6 disk reinitialised with an unrelated MBR and a small Linux partition
 * at 2048: a conflict, unless --force --replace 1. */
Test(plan, reinitialised_with_linux_partition)
{
	const char *disk = tmp_path("linux.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048", disk, NULL);
	wipe_gpt(disk, 1ull << 30);
	write_linux_mbr(disk);
	planned *p = make_plan(disk, NULL);
	cr_assert_str_eq(p->plan.label, "dos");
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_CONFLICT);
	cr_assert_eq(p->plan.entries[0].other, 1);
	cr_assert(p->plan.blocked);
	cr_assert_not_null(strstr(p->plan.entries[0].reason, "--force --replace 1"), "%s", p->plan.entries[0].reason);
	done(p);
	vmfs_plan_options force = { .force = true, .replace = 1 };
	p = make_plan(disk, &force);
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_REPLACE);
	cr_assert_eq(p->plan.entries[0].number, 1);
	cr_assert_not(p->plan.blocked);
	cr_assert_eq(p->plan.changes, 1);
	done(p);
}

/* An older VMFS3 volume at 128 whose header lies inside a newer VMFS5 volume
 * at 2048: the older one is stale, with the reason. */
Test(plan, stale_header_inside_newer_volume)
{
	const char *disk = tmp_path("stale.img");
	const char *newer = tmp_path("newer.img");
	mkfixture("disk", "--table", "none", "--disk-size", "2G", "--vol", "lvm=3,start=128,size=1536M", disk, NULL);
	mkfixture("volume", "--lvm", "5", "--size", "1G", "--time", "1700000000", newer, NULL);
	dd_copy(newer, disk, "1M", "seek=1"); /* partition at sector 2048 */
	planned *p = make_plan(disk, NULL);
	cr_assert_eq(p->plan.count, 2);
	cr_assert_eq(p->plan.entries[0].start, 128);
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_STALE);
	cr_assert_not_null(strstr(p->plan.entries[0].reason, "newer volume at 0x100000"), "%s", p->plan.entries[0].reason);
	cr_assert_eq(p->plan.entries[1].state, VMFS_PLAN_ADD);
	cr_assert_eq(p->plan.entries[1].start, 2048);
	cr_assert_str_eq(p->plan.label, "gpt", "the newer volume is VMFS5");
	done(p);
}

Test(plan, invalid_options)
{
	const char *disk = tmp_path("x.img");
	mkfixture("volume", "--lvm", "5", disk, NULL);
	vmfs_source *src;
	vmfs_error err;
	vmfs_ptable table;
	vmfs_scan_result scan;
	vmfs_plan plan;
	cr_assert_eq(vmfs_source_open(disk, &src, &err), VMFS_OK);
	cr_assert_eq(vmfs_ptable_read(src, 0, &table, &err), VMFS_OK);
	cr_assert_eq(vmfs_scan(src, NULL, &scan, &err), VMFS_OK);
	vmfs_plan_options bad_table = { .table = "bsd" };
	cr_assert_eq(vmfs_plan_make(src, &table, &scan, &bad_table, &plan, &err), VMFS_ERR_INVALID_ARG);
	vmfs_plan_options no_force = { .replace = 1 };
	cr_assert_eq(vmfs_plan_make(src, &table, &scan, &no_force, &plan, &err), VMFS_ERR_INVALID_ARG);
	vmfs_scan_result_free(&scan);
	vmfs_ptable_free(&table);
	vmfs_source_close(src);
}

/* A header whose descriptor is gone is not proposed, unless --force. */
Test(plan, volume_without_descriptor_needs_force)
{
	const char *disk = tmp_path("nodesc.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6,start=2048,entry=0", disk, NULL);
	patch_le32(disk, 0x100000 + 0x1300000, 0); /* descriptor magic */
	planned *p = make_plan(disk, NULL);
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_UNFIT);
	cr_assert_not_null(strstr(p->plan.entries[0].reason, "no file-system descriptor"), "%s", p->plan.entries[0].reason);
	cr_assert_eq(p->plan.changes, 0);
	done(p);
	vmfs_plan_options force = { .force = true };
	p = make_plan(disk, &force);
	cr_assert_eq(p->plan.entries[0].state, VMFS_PLAN_ADD);
	cr_assert_not_null(strstr(p->plan.entries[0].reason, "--force"));
	done(p);
}
