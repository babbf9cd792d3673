/* Pure decoders of the file-system layer on the worked examples and hexdumps
 * of the format reference (vmfs-fs-layer.md 2.1, 2.2, 4.2, 7.1) and the
 * geometry limits of 8.2. No image needed. */
#include "vmfs/fs/addr.h"
#include "vmfs/fs/fd.h"
#include "vmfs/fs/geometry.h"
#include "vmfs/fs/heartbeat.h"
#include "vmfs/fs/resource.h"
#include "vmfs/core/le.h"

#include <criterion/criterion.h>
#include <string.h>
#include <sys/stat.h>

/* 2.1 worked examples. */
Test(fs_decode, addresses_32)
{
	vmfs_addr a;
	vmfs_addr_decode32(0x00000141, false, &a);
	cr_assert_eq(a.type, VMFS_ADDR_FB);
	cr_assert_eq(a.block, 5);
	cr_assert_not(a.tbz);
	vmfs_addr_decode32(0x000096e1, false, &a);
	cr_assert_eq(a.type, VMFS_ADDR_FB);
	cr_assert_eq(a.block, 603);
	cr_assert(a.tbz);
	vmfs_addr_decode32(0x10000102, false, &a);
	cr_assert_eq(a.type, VMFS_ADDR_SB);
	cr_assert_eq(a.cluster, 4);
	cr_assert_eq(a.resource, 1);
	/* DENSE_SBPC: bits 3..4 are resource bits 4..5. */
	vmfs_addr_decode32(0x10000102 | 0x18, true, &a);
	cr_assert_eq(a.resource, 1 | 0x30);
	vmfs_addr_decode32(0x10000102 | 0x18, false, &a);
	cr_assert_eq(a.resource, 1);
	vmfs_addr_decode32(0x03800004, false, &a);
	cr_assert_eq(a.type, VMFS_ADDR_FD);
	cr_assert_eq(a.cluster, 0);
	cr_assert_eq(a.resource, 14);
	vmfs_addr_decode32(0x00000184, false, &a);
	cr_assert_eq(a.cluster, 6);
	cr_assert_eq(a.resource, 0);
}

/* 2.2 worked examples. */
Test(fs_decode, addresses_64)
{
	vmfs_addr a;
	vmfs_addr_decode64(0x0040000000000001ull, &a);
	cr_assert_eq(a.type, VMFS_ADDR_FB);
	cr_assert_eq(a.cluster, 0);
	cr_assert_eq(a.resource, 8);
	vmfs_addr_decode64(0x07f8000000008001ull, &a);
	cr_assert_eq(a.cluster, 1);
	cr_assert_eq(a.resource, 255);
	cr_assert_not(a.tbz);
	vmfs_addr_decode64(0x07f8000000008001ull | (1u << 9), &a);
	cr_assert(a.tbz, "any bit of 7..14 marks the block to be zeroed");
	vmfs_addr_decode64(0x5, &a);
	cr_assert_eq(a.type, VMFS_ADDR_PB2);
	cr_assert_eq(a.cluster, 0);
	cr_assert_eq(a.resource, 0);
	vmfs_addr_decode64(0x0200000000000002ull, &a);
	cr_assert_eq(a.type, VMFS_ADDR_SB);
	cr_assert_eq(a.resource, 2);
	vmfs_addr_decode64(((uint64_t)0x123 << 15) | 7, &a);
	cr_assert_eq(a.type, VMFS_ADDR_LFB);
	cr_assert_eq(a.block, 0x123);
	cr_assert_str_eq(vmfs_addr_type_name(VMFS_ADDR_PB2), "PB2");
}

static vmfs_fs_descriptor desc5(void)
{
	vmfs_fs_descriptor d;
	memset(&d, 0, sizeof(d));
	d.major = 14;
	d.config = 0x4;
	d.file_block_size = 1 << 20;
	d.sub_block_size = 0x2000;
	return d;
}

/* 4.2 hexdump: the vmfs5 root FD. */
Test(fs_decode, fd_vmfs5_root)
{
	static const uint8_t lock[] = {0x01, 0x00, 0xc0, 0x10, 0x00, 0x00, 0x42, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				       0xb0, 0x37, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00,
				       0x00, 0x00, 0x03, 0x00, 0x00, 0x00};
	static const uint8_t meta[] = {0x04, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x02,
				       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x78, 0x05, 0x00, 0x00, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x00, 0x00, 0x4d, 0x7e, 0x13, 0x61, 0x4d, 0x7e, 0x13, 0x61,
				       0x4d, 0x7e, 0x13, 0x61, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xed,
				       0x03, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00};
	uint8_t fd[0x800] = {0};
	memcpy(fd, lock, sizeof(lock));
	memcpy(fd + 0x200, meta, sizeof(meta));
	vmfs_put_le32(fd + 0x200 + 0x6C, 20);
	fd[0x200 + 0x89] = 20;
	vmfs_put_le32(fd + 0x400, 0x141);
	vmfs_fs_descriptor d = desc5();
	vmfs_fs_geometry g;
	vmfs_error err;
	cr_assert_eq(vmfs_fs_geometry_init(&d, "x", 0, &g, &err), VMFS_OK, "%s", err.reason);
	vmfs_fd f;
	vmfs_fd_decode(fd, &g, &f);
	cr_assert_eq(f.lock.magic, VMFS_LOCK_MAGIC_FD);
	cr_assert_eq(f.lock.addr, 0x420000);
	cr_assert_eq(f.lock.hb_addr, 0x37b000);
	cr_assert_eq(f.lock.hb_gen, 9);
	cr_assert_eq(f.lock.token, 3);
	cr_assert_not(vmfs_lock_record_held(&f.lock));
	cr_assert_eq(f.desc_addr, 4);
	cr_assert_eq(f.generation, 1);
	cr_assert_eq(f.link_count, 4);
	cr_assert_eq(f.type, VMFS_FD_DIR);
	cr_assert_eq(f.length, 1400);
	cr_assert_eq(f.block_size, 1 << 20);
	cr_assert_eq(f.num_blocks, 1);
	cr_assert_eq(f.mtime, 0x61137e4d);
	cr_assert_eq(f.ctime, 0x61137e4d);
	cr_assert_eq(f.mode, 01755);
	cr_assert_eq(vmfs_fd_st_mode(&f), S_IFDIR | 01755);
	cr_assert_eq(f.zla, VMFS_ZLA_FB);
	cr_assert_eq(f.tbz_granularity_shift, 20);
	cr_assert_eq(f.block_offset_shift, 20);
	cr_assert(vmfs_fd_is_dir(&f));
	cr_assert_str_eq(vmfs_fd_type_name(f.type), "dir");
	cr_assert_str_eq(vmfs_zla_name(VMFS_ZLA_RESIDENT), "resident");
}

/* 4.1, 3.2, 7.1: geometry per version; 8.2 limits. */
Test(fs_decode, geometry)
{
	vmfs_fs_descriptor d = desc5();
	vmfs_fs_geometry g;
	vmfs_error err;
	cr_assert_eq(vmfs_fs_geometry_init(&d, "x", 0x1300000, &g, &err), VMFS_OK);
	cr_assert_eq(g.fd_size, 0x800);
	cr_assert_eq(g.ptr_count, 256);
	cr_assert_eq(g.ptrs_per_pb, 1024);
	cr_assert_eq(g.fdc_lv, 0x400000);
	cr_assert_eq(g.hb_slots, 2048);
	cr_assert(g.dense_sbpc);
	d.major = 24;
	d.md_alignment = 0x1000;
	d.sfb_to_lfb_shift = 9;
	d.sub_block_size = 0x10000;
	cr_assert_eq(vmfs_fs_geometry_init(&d, "x", 0x1300000, &g, &err), VMFS_OK);
	cr_assert_eq(g.fd_size, 0x2000);
	cr_assert_eq(g.ptr_off, 0x1600);
	cr_assert_eq(g.ptr_count, 320);
	cr_assert_eq(g.ptrs_per_pb, 8192);
	cr_assert_eq(g.resident_off, 0x1200);
	cr_assert_eq(g.fdc_lv, 0x700000);
	cr_assert_eq(g.lfbs, 512u << 20);
	cr_assert_eq(g.hb_slot_size, 0x1000);
	/* 8.2: every limit names the descriptor field's source offset. */
	d.md_alignment = 0x1800;
	cr_assert_eq(vmfs_fs_geometry_init(&d, "img", 0x1300000, &g, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 0x1300000 + 0x134);
	d.md_alignment = 0x1000;
	d.sfb_to_lfb_shift = 17;
	cr_assert_eq(vmfs_fs_geometry_init(&d, "img", 0x1300000, &g, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 0x1300000 + 0x138);
	d.sfb_to_lfb_shift = 9;
	d.file_block_size = 3 << 20;
	cr_assert_eq(vmfs_fs_geometry_init(&d, "img", 0x1300000, &g, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 0x1300000 + 0xA1);
	d.file_block_size = 1 << 20;
	d.sub_block_size = 2 << 20;
	cr_assert_eq(vmfs_fs_geometry_init(&d, "img", 0x1300000, &g, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 0x1300000 + 0xD9);
}

/* 3.3: header checks and item offsets (vmfs5 .sbc.sf worked chain, 2.3). */
Test(fs_decode, resource_items)
{
	uint8_t buf[VMFS_RES_HEADER_SIZE] = {0};
	vmfs_put_le32(buf + 0x00, 32);
	vmfs_put_le32(buf + 0x04, 64);
	vmfs_put_le32(buf + 0x08, 0x10000);
	vmfs_put_le32(buf + 0x0C, 0x2000);
	vmfs_put_le32(buf + 0x10, 0x1010000);
	vmfs_put_le32(buf + 0x14, 256);
	vmfs_put_le32(buf + 0x18, 1);
	vmfs_res_header h;
	vmfs_res_header_decode(buf, &h);
	vmfs_error err;
	cr_assert_eq(vmfs_res_header_check(&h, 0x400, &err), VMFS_OK, "%s", err.reason);
	uint64_t off;
	cr_assert_eq(vmfs_res_item_offset(&h, 0x400, 4, 0, 2228224, &off, &err), VMFS_OK, "%s", err.reason);
	cr_assert_eq(off, 0x120000);
	cr_assert_eq(vmfs_res_item_offset(&h, 0x400, 4, 32, 2228224, &off, &err), VMFS_ERR_FORMAT, "resource >= R");
	cr_assert_eq(vmfs_res_item_offset(&h, 0x400, 64, 0, 2228224, &off, &err), VMFS_ERR_FORMAT, "cluster >= C x groups");
	cr_assert_eq(vmfs_res_item_offset(&h, 0x400, 8, 0, 2228224, &off, &err), VMFS_ERR_FORMAT, "past numResources");
	cr_assert_eq(vmfs_res_item_offset(&h, 0x400, 4, 0, 0x120000, &off, &err), VMFS_ERR_FORMAT, "past the file");
	h.group_size++;
	cr_assert_eq(vmfs_res_header_check(&h, 0x400, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 0x10);
	h.group_size--;
	h.per_cluster = 70000;
	cr_assert_eq(vmfs_res_header_check(&h, 0x400, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, 0);
	/* Huge counts never overflow into a valid-looking offset. */
	h.per_cluster = 65536;
	h.clusters_per_group = 65536;
	h.resource_size = 0xFFFFFFFF;
	h.group_size = 0xFFFFFFFF;
	h.num_groups = 0xFFFFFFFF;
	h.num_resources = UINT64_MAX;
	cr_assert_eq(vmfs_res_item_offset(&h, 0x400, 0xFFFFFFFEull * 65536, 65535, UINT64_MAX, &off, &err),
		     VMFS_ERR_FORMAT);
}

/* 7.1 hexdump: vmfs5 heartbeat slot 984. */
Test(fs_decode, heartbeat_slot)
{
	static const uint8_t slot[] = {
		0x02, 0xef, 0xcd, 0xab, 0x00, 0xb0, 0x37, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09, 0x00, 0x00, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x31, 0x01, 0x2b, 0x1f, 0x00, 0x00, 0x00, 0x00, 0x5a, 0x7d, 0x13, 0x61,
		0x78, 0x87, 0xdf, 0xa2, 0xd5, 0x7e, 0x00, 0x0c, 0x29, 0x80, 0x16, 0x86, 0x41, 0x03, 0x00, 0x00,
		0x0e, 0x00, 0x00, 0x00, 0x51, 0x03, 0x31, 0x30, 0x2e, 0x31, 0x39, 0x39, 0x2e, 0x35, 0x2e, 0x31,
		0x34, 0x30};
	uint8_t buf[VMFS_HB_DECODED] = {0};
	memcpy(buf, slot, sizeof(slot));
	vmfs_put_le64(buf + 0x64, 0xd00000);
	vmfs_heartbeat hb;
	vmfs_heartbeat_decode(buf, &hb);
	char uuid[VMFS_UUID_TEXT_LEN + 1];
	cr_assert_eq(hb.state, VMFS_HB_IN_USE);
	cr_assert_eq(hb.addr, 0x37b000);
	cr_assert_eq(hb.hb_gen, 9);
	cr_assert_eq(hb.stamp_us, 0x1f2b0131);
	cr_assert_str_eq(vmfs_uuid_format(&hb.owner, uuid), "61137d5a-a2df8778-7ed5-000c29801686");
	cr_assert_eq(memcmp(hb.owner_mac, "\x00\x0c\x29\x80\x16\x86", 6), 0);
	cr_assert_eq(hb.journal_addr, 0x341);
	cr_assert_eq(hb.drv_major, 14);
	cr_assert_eq(hb.drv_minor, 81);
	cr_assert_eq(hb.lock_impl, 3);
	cr_assert_str_eq(hb.ip, "10.199.5.140");
	cr_assert_eq(hb.journal_lv, 0xd00000);
	cr_assert_str_eq(vmfs_lock_state_name(VMFS_LOCK_STALE), "stale");
}
