/* Pure decoders on byte vectors taken from the hexdumps of real headers in
 * the format reference (sections 3.2, 4.1, 4.3, 5.2), and UUID text form. */
#include "vmfs/format/fsdesc.h"
#include "vmfs/core/le.h"
#include "vmfs/format/lvm.h"
#include "vmfs/format/vmware_uuid.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* Parses "00 11 22 ..." lines into buf at the given start offset. */
static void hex_into(uint8_t *buf, size_t len, size_t at, const char *hex)
{
	unsigned byte;
	int used;
	while (sscanf(hex, " %2x%n", &byte, &used) == 1) {
		cr_assert_lt(at, len);
		buf[at++] = (uint8_t)byte;
		hex += used;
	}
}

/* vmfs6.bin LVM device header, partition 0x100000 (section 3.2). */
static void vmfs6_header(uint8_t *h, size_t len)
{
	memset(h, 0, len);
	hex_into(h, len, 0x00, "0d d0 01 c0 06 00 00 00 15 00 00 00 00 0a 00 00");
	hex_into(h, len, 0x2e, "76 6d 68 62 61 30 3a 32 3a 30");
	hex_into(h, len, 0x5b, "02 00 00 00 02 e0 3f 00 00 00 00 01 00 00 00 01 00 00 00 00 00");
	hex_into(h, len, 0x72, "03 00 00 00 00 00 00 00 00 00 10 01 00 00 00 00");
	hex_into(h, len, 0x82, "1e 00 13 61 65 f0 32 a2 69 73 00 0c 29 80 16 86 06 eb 97 2c 3c c9 05 00 c7 1a e4 a4 43 c9 05 00");
	hex_into(h, len, 0xcb, "10 00 00 03 00");
}

Test(decode, lvm6_header_fields)
{
	uint8_t h[512];
	vmfs6_header(h, sizeof(h));
	vmfs_lvm_header hdr;
	vmfs_error err;
	cr_assert_eq(vmfs_lvm_header_decode(h, sizeof(h), &hdr, &err), VMFS_OK);
	char text[VMFS_UUID_TEXT_LEN + 1];
	cr_assert_eq(hdr.magic, VMFS_LVM_MAGIC);
	cr_assert_eq(hdr.major, 6);
	cr_assert_eq(hdr.minor, 21);
	cr_assert_eq(hdr.disk_id.type, 0);
	cr_assert_eq(hdr.disk_id.len, 10);
	cr_assert_eq(memcmp(hdr.disk_id.id, "vmhba0:2:0", 10), 0);
	cr_assert_eq(hdr.disk_block_size, 512);
	cr_assert_eq(hdr.total_bytes, 0x3FE00200, "u64 at the odd offset 0x5E");
	cr_assert_eq(hdr.num_volumes, 1);
	cr_assert_eq(hdr.num_pes, 1);
	cr_assert_eq(hdr.last_pe_index, 0);
	cr_assert_eq(hdr.generation, 3);
	cr_assert_eq(hdr.data_offset, 0x1100000);
	cr_assert_str_eq(vmfs_uuid_format(&hdr.device_uuid, text), "6113001e-a232f065-7369-000c29801686");
	cr_assert_eq(hdr.init_time_us, 1628635166927622ull); /* 2021-08-10 22:39:26.927622 */
	cr_assert_eq(hdr.md_alignment, 0x1000);
	cr_assert_eq(hdr.num_pes6, 3);
	cr_assert_eq(hdr.flags, 0);

	vmfs_lvm_layout layout;
	cr_assert_eq(vmfs_lvm_layout_compute(&hdr, &layout, &err), VMFS_OK);
	cr_assert_eq(layout.volume_table, 0x101000);
	cr_assert_eq(layout.sd_table, 0x17F000);
	cr_assert_eq(layout.pe_maps, 0x181000);
	cr_assert_eq(layout.pe_maps + layout.bitmap_size, 0x182000);
}

/* vt.raw (LVM3) header: type-0 id with the C/T/L path, Sun VOL1. */
Test(decode, lvm3_header_disk_id_and_layout)
{
	uint8_t h[512] = { 0 };
	hex_into(h, sizeof(h), 0x00, "0d d0 01 c0 03 00 00 00 10 00 00 00 00 0f 00 00");
	hex_into(h, sizeof(h), 0x10, "00 03 53 75 6e 20 20 20 20 20 56 4f 4c 31 20 20");
	hex_into(h, sizeof(h), 0x20, "20 20 20 20 20 20 20 20 20 20 56 31 2e 30 76 6d");
	hex_into(h, sizeof(h), 0x30, "68 62 61 30 3a 43 30 3a 54 30 3a 4c 30 00 00 00");
	hex_into(h, sizeof(h), 0x50, "00 00 00 00 00 00 00 00 00 00 00 02 00 00 00 34");
	hex_into(h, sizeof(h), 0x60, "02 4b 00 00 00 00 01 00 00 00 04 00 00 00 03 00");
	hex_into(h, sizeof(h), 0x70, "00 00 06 00 00 00 00 00 00 00 00 00 10 01 00 00");
	vmfs_lvm_header hdr;
	cr_assert_eq(vmfs_lvm_header_decode(h, sizeof(h), &hdr, NULL), VMFS_OK);
	cr_assert_eq(hdr.major, 3);
	cr_assert_eq(hdr.minor, 16);
	cr_assert_eq(hdr.disk_id.len, 15);
	cr_assert_eq(hdr.disk_id.scsi_level, 3);
	cr_assert_str_eq(hdr.disk_id.vendor, "Sun");
	cr_assert_str_eq(hdr.disk_id.model, "VOL1");
	cr_assert_str_eq(hdr.disk_id.revision, "V1.0");
	cr_assert_eq(hdr.total_bytes, 0x4B023400);
	cr_assert_eq(hdr.num_pes, 4);
	cr_assert_eq(hdr.generation, 6);
	vmfs_lvm_layout layout;
	cr_assert_eq(vmfs_lvm_layout_compute(&hdr, &layout, NULL), VMFS_OK);
	cr_assert_eq(layout.volume_table, 0x100200);
	cr_assert_eq(layout.sd_table, 0x17E200);
	cr_assert_eq(layout.pe_maps, 0x180200);
	cr_assert_eq(layout.pe_maps + layout.bitmap_size, 0x180600);
	cr_assert_eq(layout.max_volumes, 512);
}

Test(decode, lvm_header_rejects_wrong_magic_and_short_buffer)
{
	uint8_t h[512];
	vmfs6_header(h, sizeof(h));
	vmfs_lvm_header hdr;
	vmfs_error err;
	h[0] ^= 1;
	cr_assert_eq(vmfs_lvm_header_decode(h, sizeof(h), &hdr, &err), VMFS_ERR_NOT_FOUND);
	cr_assert_eq(err.offset, 0);
	cr_assert_not_null(strstr(err.reason, "0xc001d00c"));
	h[0] ^= 1;
	cr_assert_eq(vmfs_lvm_header_decode(h, VMFS_LVM_HEADER_DEFINED - 1, &hdr, &err), VMFS_ERR_TRUNCATED);
}

Test(decode, lvm6_layout_rejects_bad_alignment_and_version)
{
	uint8_t h[512];
	vmfs6_header(h, sizeof(h));
	vmfs_lvm_header hdr;
	vmfs_lvm_layout layout;
	vmfs_error err;
	vmfs_lvm_header_decode(h, sizeof(h), &hdr, NULL);
	const uint32_t bad[] = { 0, 100, 0x1001, 0x200000, 0xFFFFFFFF };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hdr.md_alignment = bad[i];
		cr_assert_eq(vmfs_lvm_layout_compute(&hdr, &layout, &err), VMFS_ERR_FORMAT, "mdAlignment %u", bad[i]);
		cr_assert_eq(err.offset, VMFS_LVM_OFF_MD_ALIGNMENT);
	}
	hdr.major = 7;
	cr_assert_eq(vmfs_lvm_layout_compute(&hdr, &layout, &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, VMFS_LVM_OFF_MAJOR);
}

/* vmfs6.bin volume-table entry at 0x101000 (section 4.1). */
Test(decode, volume_entry_vmfs6)
{
	uint8_t e[VMFS_LVM_VOLUME_ENTRY_SIZE] = { 0 };
	hex_into(e, sizeof(e), 0x00, "00 00 00 30 00 00 00 00 02 00 00 00 00 00 00 00");
	hex_into(e, sizeof(e), 0x10, "01 00 00 00 36 31 31 33 30 30 31 65 2d 39 35 61");
	hex_into(e, sizeof(e), 0x20, "66 64 38 66 62 2d 64 38 33 30 2d 30 30 30 63 32");
	hex_into(e, sizeof(e), 0x30, "39 38 30 31 36 38 36 00 00 00 00 00 00 00 00 00");
	hex_into(e, sizeof(e), 0x50, "00 00 00 00 1e 00 13 61 fb d8 af 95 30 d8 00 0c");
	hex_into(e, sizeof(e), 0x60, "29 80 16 86 01 00 00 00 16 12 98 2c 3c c9 05 00");
	hex_into(e, sizeof(e), 0x70, "00 00 00 00 03 00 00 00 00 00 00 00 00 00 00 00");
	hex_into(e, sizeof(e), 0x80, "02 00 00 00 00 00 00 00 8a 1d 98 2c 3c c9 05 00");
	hex_into(e, sizeof(e), 0x90, "01 00 00 00");
	hex_into(e, sizeof(e), 0x110, "01 00 00 00");
	vmfs_volume_entry v;
	vmfs_volume_entry_decode(e, &v);
	char text[VMFS_UUID_TEXT_LEN + 1];
	cr_assert_eq(v.logical_size, 0x30000000);
	cr_assert_eq(v.generation, 2);
	cr_assert_eq(v.state, VMFS_VOL_STATE_NORMAL);
	cr_assert_str_eq(v.name, "6113001e-95afd8fb-d830-000c29801686");
	cr_assert(v.name_terminated);
	cr_assert_str_eq(vmfs_uuid_format(&v.lv_uuid, text), v.name);
	cr_assert_eq(v.snap_id, 1);
	cr_assert_eq(v.num_pes, 3);
	cr_assert_eq(v.first_pe, 0);
	cr_assert_eq(v.last_pe, 2);
	cr_assert_eq(v.num_devs, 1);
	cr_assert_eq(v.consumed_pes, 1);
	cr_assert_not(vmfs_volume_entry_is_empty(e));
	memset(e + VMFS_VOL_OFF_NAME, 'x', VMFS_VOL_NAME_SIZE);
	vmfs_volume_entry_decode(e, &v);
	cr_assert_not(v.name_terminated);
	cr_assert_eq(strlen(v.name), VMFS_VOL_NAME_SIZE);
}

/* vt.raw PE entry 1 at 0x180680 (section 4.3): every field one byte off. */
Test(decode, pe_entry_odd_offsets)
{
	uint8_t e[VMFS_LVM_PE_ENTRY_SIZE] = { 0 };
	hex_into(e, sizeof(e), 0x00, "01 01 00 00 00 00 00 00 00 00 00 10 11 00 00 00");
	hex_into(e, sizeof(e), 0x10, "00 00 00 00 10 00 00 00 00 00 00 00 10 00 00 00");
	hex_into(e, sizeof(e), 0x20, "00 01 00 00 00");
	vmfs_pe_entry pe;
	vmfs_pe_entry_decode(e, &pe);
	cr_assert_eq(pe.used, 1);
	cr_assert_eq(pe.pe_id, 1);
	cr_assert_eq(pe.volume_id, 0);
	cr_assert_eq(pe.p_offset, 0x11100000);
	cr_assert_eq(pe.l_offset, 0x10000000);
	cr_assert_eq(pe.length, 0x10000000);
	cr_assert_eq(pe.version, 1);
}

/* vmfs6.bin descriptor at 0x1300000 (section 5.2). */
Test(decode, fs_descriptor_vmfs6)
{
	uint8_t d[VMFS_FS_DESC_READ_SIZE] = { 0 };
	hex_into(d, sizeof(d), 0x000, "5e f1 ab 2f 18 00 00 00 52 1e 00 13 61 bc 7e 37");
	hex_into(d, sizeof(d), 0x010, "a6 24 1d 00 0c 29 80 16 86 06 00 00 00 56 4d 46");
	hex_into(d, sizeof(d), 0x020, "53 36 20 54 65 73 74 00");
	hex_into(d, sizeof(d), 0x090, "00 00 00 00 00 00 00 00 00 00 00 00 00 00 02 00");
	hex_into(d, sizeof(d), 0x0a0, "00 00 00 10 00 00 00 00 00 1e 00 13 61 01 00 00");
	hex_into(d, sizeof(d), 0x0b0, "00 1e 00 13 61 fb d8 af 95 30 d8 00 0c 29 80 16");
	hex_into(d, sizeof(d), 0x0c0, "86 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00");
	hex_into(d, sizeof(d), 0x0d0, "00 00 00 01 00 08 00 00 00 00 00 01 00 40 00 00");
	hex_into(d, sizeof(d), 0x0e0, "00 00 c0 72 00 00 00 00 00 04 00 80 01 90 ff 12");
	hex_into(d, sizeof(d), 0x0f0, "61 20 af 69 4e 4b 45 00 0c 29 80 16 86 01 00 00");
	hex_into(d, sizeof(d), 0x100, "00 00 00 00 00 00 e0 72 00 00 00 00 00 04 00 c0");
	hex_into(d, sizeof(d), 0x110, "01 00 01 00 00 00 00 00 00 00 00 00 00 00 00 00");
	hex_into(d, sizeof(d), 0x130, "00 02 00 00 00 10 00 00 09 00 00 00 00 00 10 00");
	hex_into(d, sizeof(d), 0x140, "2c 00 00 00 00 00 10 00 00 00 20 00 80 3e 00 00");
	hex_into(d, sizeof(d), 0x150, "a0 0f 00 00");
	vmfs_fs_descriptor fs;
	vmfs_error err;
	char text[VMFS_UUID_TEXT_LEN + 1], version[32];
	cr_assert_eq(vmfs_fs_descriptor_decode(d, sizeof(d), &fs, &err), VMFS_OK);
	cr_assert_eq(fs.magic, VMFS_FS_MAGIC);
	cr_assert_eq(fs.major, 24);
	cr_assert_eq(fs.minor, 82);
	cr_assert_str_eq(vmfs_fs_version_string(&fs, version, sizeof(version)), "VMFS-6.82");
	cr_assert_str_eq(vmfs_uuid_format(&fs.uuid, text), "6113001e-a6377ebc-1d24-000c29801686");
	cr_assert_eq(fs.config, 6);
	cr_assert_str_eq(vmfs_fs_mode_name(fs.config), "public");
	cr_assert_str_eq(fs.label, "VMFS6 Test");
	cr_assert(fs.label_terminated);
	cr_assert_eq(fs.disk_block_size, 512);
	cr_assert_eq(fs.file_block_size, 0x100000);
	cr_assert_eq(fs.creation_time, 0x6113001e);
	cr_assert_eq(fs.creation_time, vmfs_uuid_time(&fs.uuid));
	cr_assert_eq(fs.snap_id, 1);
	cr_assert_str_eq(vmfs_uuid_format(&fs.lv_uuid, text), "6113001e-95afd8fb-d830-000c29801686");
	cr_assert_eq(fs.lv_snap_id, 1);
	cr_assert(fs.volinfo_pad_zero);
	cr_assert_eq(fs.fdc_cluster_group_offset, 0x10000);
	cr_assert_eq(fs.fdc_clusters_per_group, 8);
	cr_assert_eq(fs.sub_block_size, 0x10000);
	cr_assert_eq(fs.max_journal_slots, 64);
	cr_assert_eq(fs.pb2_vol_addr, 0x72C000);
	cr_assert_eq(fs.pb2_fd_addr, 0x01800004);
	cr_assert_str_eq(vmfs_uuid_format(&fs.host_uuid, text), "6112ff90-4e69af20-454b-000c29801686");
	cr_assert_eq(fs.gbl_generation, 1);
	cr_assert_eq(fs.sdd_vol_addr, 0x72E000);
	cr_assert_eq(fs.sdd_fd_addr, 0x01C00004);
	cr_assert_eq(fs.checksum_type, 0);
	cr_assert_eq(fs.unmap_priority, 1);
	cr_assert_eq(fs.phys_disk_block_size, 512);
	cr_assert_eq(fs.md_alignment, 0x1000);
	cr_assert_eq(fs.sfb_to_lfb_shift, 9);
	cr_assert_eq(fs.ptr_block_shift, 16);
	cr_assert_eq(fs.sfb_addr_bits, 44);
	cr_assert_eq(fs.tbz_granularity, 0x100000);
	cr_assert_eq(fs.journal_block_size, 0x200000);
	cr_assert_eq(fs.lease_interval_ms, 16000);
	cr_assert_eq(fs.reclaim_window_ms, 4000);
	cr_assert_eq(vmfs_fs_checksum_status_of(&fs), VMFS_FS_CHECKSUM_NONE);
	/* A checksum word set: reported, never "verified" (section 6). */
	vmfs_put_le64(d + VMFS_FS_OFF_CHECKSUM_VALUE, 0x1234);
	cr_assert_eq(vmfs_fs_descriptor_decode(d, sizeof(d), &fs, &err), VMFS_OK);
	cr_assert_eq(vmfs_fs_checksum_status_of(&fs), VMFS_FS_CHECKSUM_UNVERIFIABLE);
	/* A label without NUL. */
	memset(d + VMFS_FS_OFF_LABEL, 'L', VMFS_FS_LABEL_SIZE);
	cr_assert_eq(vmfs_fs_descriptor_decode(d, sizeof(d), &fs, &err), VMFS_OK);
	cr_assert_not(fs.label_terminated);
	cr_assert_eq(strlen(fs.label), VMFS_FS_LABEL_SIZE);
	/* Wrong magic. */
	d[0] = 0;
	cr_assert_eq(vmfs_fs_descriptor_decode(d, sizeof(d), &fs, &err), VMFS_ERR_NOT_FOUND);
}

Test(decode, fs_version_strings)
{
	vmfs_fs_descriptor fs = { .magic = VMFS_FS_MAGIC, .major = 4, .minor = 31 };
	char v[32];
	cr_assert_str_eq(vmfs_fs_version_string(&fs, v, sizeof(v)), "VMFS-3.31");
	fs.major = 14;
	fs.minor = 81;
	cr_assert_str_eq(vmfs_fs_version_string(&fs, v, sizeof(v)), "VMFS-5.81");
	fs.magic = VMFS_FS_MAGIC_L;
	cr_assert_str_eq(vmfs_fs_version_string(&fs, v, sizeof(v)), "VMFS-L-5.81");
	fs.major = 99;
	cr_assert_eq(vmfs_fs_generation(&fs), 0);
}

/* Section 7.1 worked example: vt.raw devID. */
Test(uuid, text_form_and_parts)
{
	const uint8_t raw[16] = { 0x44, 0xf8, 0xed, 0x49, 0x19, 0xde, 0x2d, 0xda, 0x7b, 0x74,
				  0x00, 0x21, 0x28, 0x00, 0x83, 0xcf };
	vmfs_uuid u, parsed;
	char text[VMFS_UUID_TEXT_LEN + 1];
	uint8_t mac[6];
	vmfs_uuid_from_bytes(&u, raw);
	cr_assert_str_eq(vmfs_uuid_format(&u, text), "49edf844-da2dde19-747b-0021280083cf");
	cr_assert_eq(vmfs_uuid_time(&u), 0x49edf844);
	vmfs_uuid_mac(&u, mac);
	cr_assert_eq(memcmp(mac, raw + 10, 6), 0);
	cr_assert(vmfs_uuid_parse(&parsed, "49EDF844-DA2DDE19-747B-0021280083CF"));
	cr_assert(vmfs_uuid_equal(&u, &parsed));
	cr_assert_not(vmfs_uuid_is_zero(&u));
	const char *bad[] = { "", "49edf844-da2dde19-747b-0021280083c", "49edf844-da2dde19-747b-0021280083cf0",
			      "49edf844da2dde19-747b-0021280083cf0", "49edf844-da2dde19-747b-0021280083cg",
			      "49edf844-da2dde1--747b-0021280083cf" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_not(vmfs_uuid_parse(&parsed, bad[i]), "accepted \"%s\"", bad[i]);
}
