/* Device identifiers (vmfs/format/ident.h): vml / vmhba / naa / eui / t10 / mpx
 * parsing and the vml and canonical names of an LVM diskID block. Expected
 * values come from the format reference (sections 3.2, 8.1-8.3, 11.11) and the
 * seed field notes "Understanding VMFS volumes" (the four vmhba -> vml links). */
#include <criterion/criterion.h>

#include "vmfs/format/ident.h"

#include <stdlib.h>
#include <string.h>

/* Parses a heap copy of exactly strlen + 1 bytes, so that AddressSanitizer
 * catches any read past the terminator. */
static vmfs_status parse_copy(const char *text, vmfs_ident *id, vmfs_error *err)
{
	size_t n = strlen(text) + 1;
	char *copy = malloc(n);
	cr_assert_not_null(copy);
	memcpy(copy, text, n);
	vmfs_error_clear(err);
	vmfs_status st = vmfs_ident_parse(copy, id, err);
	free(copy);
	return st;
}

static void parse_ok(const char *text, vmfs_ident *id)
{
	vmfs_error err;
	memset(id, 0xa5, sizeof(*id)); /* catch fields the parser forgets to set */
	vmfs_status st = parse_copy(text, id, &err);
	cr_assert_eq(st, VMFS_OK, "%s: %s (offset %llu)", text, err.reason,
		     (unsigned long long)err.offset);
}

static const char *hex(const uint8_t *b, size_t n, char *buf)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[b[i] >> 4];
		buf[2 * i + 1] = digits[b[i] & 0xf];
	}
	buf[2 * n] = 0;
	return buf;
}

/* ---------------------------------------------------------------- seed vmls */

/* The seed's /vmfs/devices/disks listing (field notes lines 611-614):
 * vmhbaA:T:L:P -> vml.<...>[:P]. */
static const struct seed_link {
	const char *vmhba;
	const char *vml;
	uint32_t adapter, target, lun, partition;
	const char *designator;
	uint8_t naa_format;
	uint32_t oui;
	const char *model;
} seed_links[] = {
	{ "vmhba0:1:0:0", "vml.02000000005005076719d163d844544e313436", 0, 1, 0, 0,
	  "5005076719d163d8", 5, 0x005076, "DTN146" },
	{ "vmhba0:1:0:1", "vml.02000000005005076719d163d844544e313436:1", 0, 1, 0, 1,
	  "5005076719d163d8", 5, 0x005076, "DTN146" },
	{ "vmhba32:1:3:0", "vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441", 32, 1, 3, 0,
	  "600144f07ed404000000496ff8cd0003", 6, 0x00144F, "COMSTA" },
	{ "vmhba32:1:3:1", "vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441:1", 32, 1, 3,
	  1, "600144f07ed404000000496ff8cd0003", 6, 0x00144F, "COMSTA" },
};

Test(ident, seed_vml_naa5_whole_disk)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("vml.02000000005005076719d163d844544e313436", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_VML);
	cr_assert_eq(id.id_type, 2);
	cr_assert_eq(id.device_type, 0);
	cr_assert_eq(id.lun, 0);
	cr_assert_eq(id.reserved, 0);
	cr_assert_eq(id.payload_len, 14);
	cr_assert_str_eq(hex(id.payload, id.payload_len, buf), "5005076719d163d844544e313436");
	cr_assert_eq(id.designator_len, 8);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf), "5005076719d163d8");
	cr_assert_eq(id.naa_format, 5);
	cr_assert_eq(id.company_id, 0x005076);
	cr_assert_str_eq(id.model_prefix, "DTN146");
	cr_assert_eq(id.has_partition, false);
	cr_assert_eq(id.partition, 0);
	cr_assert_str_eq(id.text_id, "");
	cr_assert_str_eq(id.canonical, "naa.5005076719d163d8");
}

Test(ident, seed_vml_naa5_partition_1)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("vml.02000000005005076719d163d844544e313436:1", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_VML);
	cr_assert_eq(id.id_type, 2);
	cr_assert_eq(id.lun, 0);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf), "5005076719d163d8");
	cr_assert_eq(id.naa_format, 5);
	cr_assert_eq(id.company_id, 0x005076);
	cr_assert_str_eq(id.model_prefix, "DTN146");
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 1);
	cr_assert_str_eq(id.canonical, "naa.5005076719d163d8");
}

Test(ident, seed_vml_comstar_whole_disk)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_VML);
	cr_assert_eq(id.id_type, 2);
	cr_assert_eq(id.device_type, 0);
	cr_assert_eq(id.lun, 3);
	cr_assert_eq(id.reserved, 0);
	cr_assert_eq(id.payload_len, 22);
	cr_assert_eq(id.designator_len, 16);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf),
			 "600144f07ed404000000496ff8cd0003");
	cr_assert_eq(id.naa_format, 6);
	cr_assert_eq(id.company_id, 0x00144F);
	cr_assert_str_eq(id.model_prefix, "COMSTA");
	cr_assert_eq(id.has_partition, false);
	cr_assert_str_eq(id.canonical, "naa.600144f07ed404000000496ff8cd0003");
}

Test(ident, seed_vml_comstar_partition_1)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441:1", &id);
	cr_assert_eq(id.id_type, 2);
	cr_assert_eq(id.lun, 3);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf),
			 "600144f07ed404000000496ff8cd0003");
	cr_assert_eq(id.naa_format, 6);
	cr_assert_eq(id.company_id, 0x00144F);
	cr_assert_str_eq(id.model_prefix, "COMSTA");
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 1);
	cr_assert_str_eq(id.canonical, "naa.600144f07ed404000000496ff8cd0003");
}

/* Every link of the seed listing: both sides parse, and the LUN and partition
 * of the vmhba path agree with those of the vml (P = 0 <-> no suffix). */
Test(ident, seed_links_agree)
{
	for (size_t i = 0; i < sizeof(seed_links) / sizeof(seed_links[0]); i++) {
		const struct seed_link *s = &seed_links[i];
		vmfs_ident path, vml;
		char buf[80];
		parse_ok(s->vmhba, &path);
		parse_ok(s->vml, &vml);
		cr_assert_eq(path.kind, VMFS_IDENT_VMHBA, "%s", s->vmhba);
		cr_assert_eq(path.adapter, s->adapter, "%s", s->vmhba);
		cr_assert_eq(path.has_channel, false, "%s", s->vmhba);
		cr_assert_eq(path.target, s->target, "%s", s->vmhba);
		cr_assert_eq(path.path_lun, s->lun, "%s", s->vmhba);
		cr_assert_eq(path.has_partition, true, "%s", s->vmhba);
		cr_assert_eq(path.partition, s->partition, "%s", s->vmhba);
		cr_assert_eq(vml.kind, VMFS_IDENT_VML, "%s", s->vml);
		cr_assert_eq(vml.lun, s->lun, "%s", s->vml);
		cr_assert_eq(vml.has_partition, s->partition != 0, "%s", s->vml);
		cr_assert_eq(vml.partition, s->partition, "%s", s->vml);
		cr_assert_str_eq(hex(vml.designator, vml.designator_len, buf), s->designator, "%s",
				 s->vml);
		cr_assert_eq(vml.naa_format, s->naa_format, "%s", s->vml);
		cr_assert_eq(vml.company_id, s->oui, "%s", s->vml);
		cr_assert_str_eq(vml.model_prefix, s->model, "%s", s->vml);
	}
}

/* Section 8.2: the KB example, LUN bytes "05 01" = 0x0105 = 261 (11.11). */
Test(ident, kb_example_lun_261)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("vml.02000501006000eb3952315fbe0000000000000041695343534944", &id);
	cr_assert_eq(id.id_type, 2);
	cr_assert_eq(id.device_type, 0);
	cr_assert_eq(id.lun, 261);
	cr_assert_eq(id.reserved, 0);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf),
			 "6000eb3952315fbe0000000000000041");
	cr_assert_eq(id.naa_format, 6);
	cr_assert_eq(id.company_id, 0x000EB3);
	cr_assert_str_eq(id.model_prefix, "iSCSID");
	cr_assert_eq(id.has_partition, false);
	cr_assert_str_eq(id.canonical, "naa.6000eb3952315fbe0000000000000041");
}

/* ---------------------------------------------------------------- type 0 vmls */

Test(ident, vt_raw_type0_vml)
{
	vmfs_ident id;
	parse_ok("vml.0000000000766d686261303a43303a54303a4c30", &id);
	cr_assert_eq(id.id_type, 0);
	cr_assert_eq(id.device_type, 0);
	cr_assert_eq(id.lun, 0);
	cr_assert_eq(id.payload_len, 15);
	cr_assert_str_eq(id.text_id, "vmhba0:C0:T0:L0");
	cr_assert_eq(id.designator_len, 0);
	cr_assert_str_eq(id.model_prefix, "");
	cr_assert_eq(id.adapter, 0);
	cr_assert_eq(id.has_channel, true);
	cr_assert_eq(id.channel, 0);
	cr_assert_eq(id.target, 0);
	cr_assert_eq(id.path_lun, 0);
	cr_assert_str_eq(id.canonical, "mpx.vmhba0:C0:T0:L0");
}

Test(ident, vmfs5_type0_vml)
{
	vmfs_ident id;
	parse_ok("vml.0000000000766d686261303a343a30", &id);
	cr_assert_eq(id.id_type, 0);
	cr_assert_eq(id.payload_len, 10);
	cr_assert_str_eq(id.text_id, "vmhba0:4:0");
	cr_assert_eq(id.has_channel, false);
	cr_assert_eq(id.adapter, 0);
	cr_assert_eq(id.target, 4);
	cr_assert_eq(id.path_lun, 0);
	cr_assert_str_eq(id.canonical, "mpx.vmhba0:C0:T4:L0");
}

Test(ident, vmfs6_type0_vml)
{
	vmfs_ident id;
	parse_ok("vml.0000000000766d686261303a323a30:1", &id);
	cr_assert_str_eq(id.text_id, "vmhba0:2:0");
	cr_assert_eq(id.target, 2);
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 1);
	cr_assert_str_eq(id.canonical, "mpx.vmhba0:C0:T2:L0");
}

Test(ident, type0_vml_other_text_has_no_canonical)
{
	vmfs_ident id;
	/* "vmhba0:4:0:1": a 4th number is not a diskID path */
	parse_ok("vml.0000000000766d686261303a343a303a31", &id);
	cr_assert_str_eq(id.text_id, "vmhba0:4:0:1");
	cr_assert_str_eq(id.canonical, "");
	/* non-printable payload: no text */
	parse_ok("vml.000000000001ff", &id);
	cr_assert_eq(id.payload_len, 2);
	cr_assert_str_eq(id.text_id, "");
	cr_assert_str_eq(id.canonical, "");
}

Test(ident, type1_serial_and_type3)
{
	vmfs_ident id;
	parse_ok("vml.0100070000534e31323334", &id); /* serial "SN1234", LUN 7 */
	cr_assert_eq(id.id_type, 1);
	cr_assert_eq(id.lun, 7);
	cr_assert_str_eq(id.text_id, "SN1234");
	cr_assert_str_eq(id.canonical, "");
	parse_ok("vml.03010000aa0102", &id); /* SYMM, tape, reserved 0xaa */
	cr_assert_eq(id.id_type, 3);
	cr_assert_eq(id.device_type, 1);
	cr_assert_eq(id.reserved, 0xaa);
	cr_assert_eq(id.payload_len, 2);
	cr_assert_str_eq(id.text_id, "");
	cr_assert_str_eq(id.canonical, "");
}

Test(ident, vml_lun_high_byte_and_case)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("VML.0200FF01005005076719D163D844544E313436:12", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_VML);
	cr_assert_eq(id.lun, 0x01ff);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf), "5005076719d163d8");
	cr_assert_str_eq(id.canonical, "naa.5005076719d163d8");
	cr_assert_eq(id.partition, 12);
}

Test(ident, vml_size_bounds)
{
	vmfs_ident id;
	char text[4 + 2 * 69 + 1];
	parse_ok("vml.0100000000", &id); /* 5 bytes, empty payload */
	cr_assert_eq(id.payload_len, 0);
	memcpy(text, "vml.03", 6);
	memset(text + 6, '7', 2 * 68);
	text[6 + 2 * 68] = 0;
	parse_ok(text, &id); /* 69 bytes: 64 payload bytes */
	cr_assert_eq(id.payload_len, 64);
	cr_assert_eq(id.payload[63], 0x77);
}

/* ---------------------------------------------------------------- diskID */

static void comstar_disk_id(vmfs_disk_id *d)
{
	static const uint8_t id[22] = { 0x60, 0x01, 0x44, 0xf0, 0x7e, 0xd4, 0x04, 0x00,
					0x00, 0x00, 0x49, 0x6f, 0xf8, 0xcd, 0x00, 0x03,
					0x43, 0x4f, 0x4d, 0x53, 0x54, 0x41 };
	memset(d, 0, sizeof(*d));
	d->type = 2;
	d->len = 22;
	d->lun = 3;
	d->device_type = 0;
	d->scsi_level = 6;
	strcpy(d->vendor, "SUN");
	strcpy(d->model, "COMSTAR");
	strcpy(d->revision, "1.0");
	memcpy(d->id, id, sizeof(id));
}

static void path_disk_id(vmfs_disk_id *d, const char *path)
{
	memset(d, 0, sizeof(*d));
	d->type = 0;
	d->len = (uint8_t)strlen(path);
	memcpy(d->id, path, d->len);
}

Test(ident, comstar_disk_id_round_trip)
{
	vmfs_disk_id d;
	vmfs_error err;
	char vml[VMFS_VML_MAX_TEXT];
	char canon[VMFS_IDENT_MAX_TEXT];
	vmfs_ident id;
	char buf[80];
	comstar_disk_id(&d);
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, sizeof(vml), &err), VMFS_OK);
	cr_assert_str_eq(vml, "vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441");
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err), VMFS_OK);
	cr_assert_str_eq(canon, "naa.600144f07ed404000000496ff8cd0003");
	parse_ok(vml, &id);
	cr_assert_eq(id.id_type, d.type);
	cr_assert_eq(id.lun, d.lun);
	cr_assert_eq(id.payload_len, d.len);
	cr_assert_eq(memcmp(id.payload, d.id, d.len), 0);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf),
			 "600144f07ed404000000496ff8cd0003");
	cr_assert_str_eq(id.canonical, canon);
}

Test(ident, kb_disk_id_lun_261)
{
	static const uint8_t kb[22] = { 0x60, 0x00, 0xeb, 0x39, 0x52, 0x31, 0x5f, 0xbe,
					0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x41,
					'i', 'S', 'C', 'S', 'I', 'D' };
	vmfs_disk_id d;
	char vml[VMFS_VML_MAX_TEXT];
	memset(&d, 0, sizeof(d));
	d.type = 2;
	d.len = 22;
	d.lun = 261;
	memcpy(d.id, kb, sizeof(kb));
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, sizeof(vml), NULL), VMFS_OK);
	cr_assert_str_eq(vml, "vml.02000501006000eb3952315fbe0000000000000041695343534944");
}

Test(ident, type0_disk_ids_of_the_images)
{
	vmfs_disk_id d;
	vmfs_error err;
	char vml[VMFS_VML_MAX_TEXT];
	char canon[VMFS_IDENT_MAX_TEXT];

	path_disk_id(&d, "vmhba0:C0:T0:L0"); /* vt.raw */
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, sizeof(vml), &err), VMFS_OK);
	cr_assert_str_eq(vml, "vml.0000000000766d686261303a43303a54303a4c30");
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err), VMFS_OK);
	cr_assert_str_eq(canon, "mpx.vmhba0:C0:T0:L0");

	path_disk_id(&d, "vmhba0:4:0"); /* vmfs5.bin */
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, sizeof(vml), &err), VMFS_OK);
	cr_assert_str_eq(vml, "vml.0000000000766d686261303a343a30");
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err), VMFS_OK);
	cr_assert_str_eq(canon, "mpx.vmhba0:C0:T4:L0");

	path_disk_id(&d, "vmhba0:2:0"); /* vmfs6.bin */
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, sizeof(vml), &err), VMFS_OK);
	cr_assert_str_eq(vml, "vml.0000000000766d686261303a323a30");
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err), VMFS_OK);
	cr_assert_str_eq(canon, "mpx.vmhba0:C0:T2:L0");
}

Test(ident, vml_from_disk_id_errors)
{
	vmfs_disk_id d;
	vmfs_error err;
	char vml[VMFS_VML_MAX_TEXT];
	comstar_disk_id(&d);

	d.len = 45;
	vmfs_error_clear(&err);
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, sizeof(vml), &err), VMFS_ERR_FORMAT);
	cr_assert_eq(err.status, VMFS_ERR_FORMAT);
	cr_assert_eq(err.offset, VMFS_DISKID_OFF_LEN);

	/* 44 bytes is the maximum and fits VMFS_VML_MAX_TEXT exactly */
	d.len = 44;
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, sizeof(vml), &err), VMFS_OK);
	cr_assert_eq(strlen(vml), VMFS_VML_MAX_TEXT - 1);

	/* the seed vml needs 4 + 2 * 27 + 1 = 59 bytes */
	d.len = 22;
	vmfs_error_clear(&err);
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, 58, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(err.status, VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_vml_from_disk_id(&d, vml, 59, &err), VMFS_OK);
	cr_assert_str_eq(vml, "vml.0200030000600144f07ed404000000496ff8cd0003434f4d535441");
}

Test(ident, canonical_from_disk_id_not_found)
{
	vmfs_disk_id d;
	vmfs_error err;
	char canon[VMFS_IDENT_MAX_TEXT];

	comstar_disk_id(&d);
	d.len = 20; /* NAA 6 needs 16 + 6 */
	vmfs_error_clear(&err);
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err),
		     VMFS_ERR_NOT_FOUND);
	cr_assert_not_null(strstr(err.reason, "22"), "%s", err.reason);

	comstar_disk_id(&d);
	d.type = 1;
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err),
		     VMFS_ERR_NOT_FOUND);
	d.type = 3;
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err),
		     VMFS_ERR_NOT_FOUND);

	path_disk_id(&d, "/dev/sda");
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err),
		     VMFS_ERR_NOT_FOUND);
	path_disk_id(&d, "vmhba0:4:0x");
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err),
		     VMFS_ERR_NOT_FOUND);

	comstar_disk_id(&d);
	d.len = 200;
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, sizeof(canon), &err),
		     VMFS_ERR_FORMAT);

	/* "naa." + 32 hex digits + NUL = 37 bytes */
	comstar_disk_id(&d);
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, 36, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_canonical_from_disk_id(&d, canon, 37, &err), VMFS_OK);
}

/* ---------------------------------------------------------------- other forms */

Test(ident, vmhba_esx3_forms)
{
	vmfs_ident id;
	parse_ok("vmhba0:1:0:0", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_VMHBA);
	cr_assert_eq(id.adapter, 0);
	cr_assert_eq(id.has_channel, false);
	cr_assert_eq(id.channel, 0);
	cr_assert_eq(id.target, 1);
	cr_assert_eq(id.path_lun, 0);
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 0);
	cr_assert_str_eq(id.canonical, "mpx.vmhba0:C0:T1:L0");

	parse_ok("vmhba32:1:3:1", &id);
	cr_assert_eq(id.adapter, 32);
	cr_assert_eq(id.target, 1);
	cr_assert_eq(id.path_lun, 3);
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 1);
	cr_assert_str_eq(id.canonical, "mpx.vmhba32:C0:T1:L3");

	parse_ok("vmhba1:2:3", &id); /* three numbers: no partition */
	cr_assert_eq(id.adapter, 1);
	cr_assert_eq(id.target, 2);
	cr_assert_eq(id.path_lun, 3);
	cr_assert_eq(id.has_partition, false);

	parse_ok("vmhba4294967295:0:4294967295:4294967295", &id);
	cr_assert_eq(id.adapter, UINT32_MAX);
	cr_assert_eq(id.path_lun, UINT32_MAX);
	cr_assert_eq(id.partition, UINT32_MAX);
	cr_assert_str_eq(id.canonical, "mpx.vmhba4294967295:C0:T0:L4294967295");
}

Test(ident, vmhba_ctl_form)
{
	vmfs_ident id;
	parse_ok("vmhba0:C0:T4:L0", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_VMHBA);
	cr_assert_eq(id.adapter, 0);
	cr_assert_eq(id.has_channel, true);
	cr_assert_eq(id.channel, 0);
	cr_assert_eq(id.target, 4);
	cr_assert_eq(id.path_lun, 0);
	cr_assert_eq(id.has_partition, false);
	cr_assert_str_eq(id.canonical, "mpx.vmhba0:C0:T4:L0");

	parse_ok("VMHBA64:c2:t7:l261:3", &id);
	cr_assert_eq(id.adapter, 64);
	cr_assert_eq(id.channel, 2);
	cr_assert_eq(id.target, 7);
	cr_assert_eq(id.path_lun, 261);
	cr_assert_eq(id.partition, 3);
	cr_assert_str_eq(id.canonical, "mpx.vmhba64:C2:T7:L261");
}

Test(ident, mpx_form)
{
	vmfs_ident id;
	parse_ok("mpx.vmhba0:C0:T2:L0:1", &id); /* as stored in the SD table (4.2) */
	cr_assert_eq(id.kind, VMFS_IDENT_MPX);
	cr_assert_eq(id.adapter, 0);
	cr_assert_eq(id.has_channel, true);
	cr_assert_eq(id.channel, 0);
	cr_assert_eq(id.target, 2);
	cr_assert_eq(id.path_lun, 0);
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 1);
	cr_assert_str_eq(id.canonical, "mpx.vmhba0:C0:T2:L0");

	parse_ok("MPX.vmhba1:C0:T0:L0", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_MPX);
	cr_assert_eq(id.adapter, 1);
	cr_assert_eq(id.has_partition, false);
}

Test(ident, naa_forms)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("naa.600144f07ed404000000496ff8cd0003:1", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_NAA);
	cr_assert_eq(id.naa_format, 6);
	cr_assert_eq(id.company_id, 0x00144F);
	cr_assert_eq(id.designator_len, 16);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf),
			 "600144f07ed404000000496ff8cd0003");
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 1);
	cr_assert_str_eq(id.canonical, "naa.600144f07ed404000000496ff8cd0003");

	parse_ok("NAA.5005076719D163D8", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_NAA);
	cr_assert_eq(id.naa_format, 5);
	cr_assert_eq(id.company_id, 0x005076);
	cr_assert_eq(id.designator_len, 8);
	cr_assert_eq(id.has_partition, false);
	cr_assert_str_eq(id.canonical, "naa.5005076719d163d8");

	parse_ok("naa.2000001122334455", &id); /* NAA 2: no OUI at the 5/6 position */
	cr_assert_eq(id.naa_format, 2);
	cr_assert_eq(id.company_id, 0);
	cr_assert_eq(id.designator_len, 8);
}

Test(ident, eui_forms)
{
	vmfs_ident id;
	char buf[80];
	parse_ok("eui.0123456789abcdef", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_EUI);
	cr_assert_eq(id.designator_len, 8);
	cr_assert_str_eq(hex(id.designator, id.designator_len, buf), "0123456789abcdef");
	cr_assert_eq(id.naa_format, 0);
	cr_assert_eq(id.company_id, 0);
	cr_assert_eq(id.has_partition, false);
	cr_assert_str_eq(id.canonical, "eui.0123456789abcdef");

	parse_ok("EUI.0123456789ABCDEF01234567:2", &id);
	cr_assert_eq(id.designator_len, 12);
	cr_assert_eq(id.partition, 2);
	cr_assert_str_eq(id.canonical, "eui.0123456789abcdef01234567");

	parse_ok("eui.00000000000000000123456789abcdef", &id);
	cr_assert_eq(id.designator_len, 16);
}

Test(ident, t10_form)
{
	vmfs_ident id;
	parse_ok("t10.ATA_____WDC_WD10EFRX_____WD2DWCC4J1234567:3", &id);
	cr_assert_eq(id.kind, VMFS_IDENT_T10);
	cr_assert_str_eq(id.t10_vendor, "ATA");
	cr_assert_str_eq(id.t10_rest, "WDC_WD10EFRX_____WD2DWCC4J1234567");
	cr_assert_eq(id.has_partition, true);
	cr_assert_eq(id.partition, 3);
	cr_assert_str_eq(id.canonical, "t10.ATA_____WDC_WD10EFRX_____WD2DWCC4J1234567");

	parse_ok("T10.FreeBSD_iSCSI_Disk______000c29", &id); /* 7-char vendor + 1 '_' */
	cr_assert_str_eq(id.t10_vendor, "FreeBSD");
	cr_assert_str_eq(id.t10_rest, "iSCSI_Disk______000c29");
	cr_assert_eq(id.has_partition, false);
	cr_assert_str_eq(id.canonical, "t10.FreeBSD_iSCSI_Disk______000c29");

	parse_ok("t10.SEAGATE1ST4000", &id); /* 8-char vendor, no padding */
	cr_assert_str_eq(id.t10_vendor, "SEAGATE1");
	cr_assert_str_eq(id.t10_rest, "ST4000");
}

Test(ident, names)
{
	cr_assert_str_eq(vmfs_ident_kind_name(VMFS_IDENT_VML), "vml");
	cr_assert_str_eq(vmfs_ident_kind_name(VMFS_IDENT_VMHBA), "vmhba");
	cr_assert_str_eq(vmfs_ident_kind_name(VMFS_IDENT_NAA), "naa");
	cr_assert_str_eq(vmfs_ident_kind_name(VMFS_IDENT_EUI), "eui");
	cr_assert_str_eq(vmfs_ident_kind_name(VMFS_IDENT_T10), "t10");
	cr_assert_str_eq(vmfs_ident_kind_name(VMFS_IDENT_MPX), "mpx");
	cr_assert_str_eq(vmfs_ident_kind_name((vmfs_ident_kind)99), "unknown");
	cr_assert_str_eq(vmfs_disk_id_type_name(0), "path");
	cr_assert_str_eq(vmfs_disk_id_type_name(1), "serial");
	cr_assert_str_eq(vmfs_disk_id_type_name(2), "naa");
	cr_assert_str_eq(vmfs_disk_id_type_name(3), "symm");
	cr_assert_str_eq(vmfs_disk_id_type_name(4), "unknown");
	cr_assert_str_eq(vmfs_disk_id_type_name(255), "unknown");
}

/* ---------------------------------------------------------------- rejections */

static const struct reject {
	const char *text;
	uint64_t offset;
} rejects[] = {
	{ "", 0 },
	{ "foo.123", 0 },
	{ "vml", 0 },
	{ " vml.0100000000", 0 },
	{ "vml.", 4 },                                    /* no body */
	{ "vml.020", 7 },                                 /* odd digit count */
	{ "vml.02000000", 12 },                           /* 4 bytes < 5 */
	{ "vml.0200000000zz", 14 },                       /* non-hex */
	{ "vml.02 00000000", 6 },                         /* embedded space */
	{ "vml.0100000000 ", 14 },                        /* trailing space */
	{ "vml.0100000000:", 15 },                        /* bad partition */
	{ "vml.0100000000:x", 15 },
	{ "vml.0100000000:99999999999", 15 },
	{ "vml.0100000000:4294967296", 15 },
	{ "vml.0100000000:1x", 16 },                      /* trailing garbage */
	{ "vml.0100000000:1:2", 16 },
	{ "vml.0200000000", 14 },                         /* type 2, empty payload */
	{ "vml.02000000007005076719d163d844544e313436", 14 }, /* NAA 7 */
	{ "vml.02000000005005076719d163d844544e3134", 40 },   /* NAA 5: 13 bytes, not 14 */
	{ "vml.02000000005005076719d163d844544e31343600", 42 }, /* 15 bytes */
	{ "vml.0200030000600144f07ed404000000496ff8cd0003434f4d5354", 56 },
	{ "vmhba", 5 },
	{ "vmhba0", 6 },
	{ "vmhba0:", 7 },
	{ "vmhba0:1", 8 },
	{ "vmhba0:1:", 9 },
	{ "vmhba0:1:0:", 11 },
	{ "vmhba0:1:0:0:0", 12 },
	{ "vmhba0:1:0:0 ", 12 },
	{ "vmhba4294967296:0:0", 5 },
	{ "vmhba0:99999999999:0", 7 },
	{ "vmhba0:C:T4:L0", 8 },
	{ "vmhba0:C0:X4:L0", 10 },
	{ "vmhba0:C0:T4", 12 },
	{ "vmhba0:C0:T4:L", 14 },
	{ "vmhba0:C0:T4:L0:", 16 },
	{ "vmhba0 :1:0", 6 },
	{ "mpx.", 4 },
	{ "mpx.hba0", 4 },
	{ "mpx.vmhba0:2:0", 11 },                         /* mpx needs C/T/L */
	{ "mpx.vmhba0:C0:T2:L0:", 20 },
	{ "mpx.vmhba0:C0:T2:L0:1 ", 21 },
	{ "mpx.vmhba0:C0:T2:L0:99999999999", 20 },
	{ "naa.", 4 },
	{ "naa.1005076719d163d8", 4 },                    /* NAA 1 */
	{ "naa.600144f07ed40400", 20 },                   /* NAA 6 with 16 digits */
	{ "naa.600144f07ed404000000496ff8cd000", 35 },    /* odd */
	{ "naa.600144f07ed404000000496ff8cd000300", 36 }, /* 34 digits */
	{ "naa.5005076719d163d8aa", 20 },                 /* NAA 5 with 18 digits */
	{ "naa.5005076719d1 63d8", 16 },
	{ "naa.5005076719d163d8:", 21 },
	{ "naa.5005076719d163d8:99999999999", 21 },
	{ "eui.", 4 },
	{ "eui.0123456789abcd", 18 },                     /* 14 digits */
	{ "eui.0123456789abcdef01", 22 },                 /* 18 digits */
	{ "eui.0123456789abcdeg", 19 },
	{ "eui.0123456789abcdef0123456789abcdef00", 36 }, /* 34 digits */
	{ "eui.0123456789abcdef:x", 21 },
	{ "t10.", 4 },
	{ "t10._ATA", 4 },
	{ "t10.ATA", 7 },
	{ "t10.ATA_____", 12 },
	{ "t10.ATA_____WDC WD", 15 },
	{ "t10.ATA_____WDC:x", 16 },
	{ "t10.ATA_____WDC:", 16 },
};

Test(ident, rejected_inputs)
{
	for (size_t i = 0; i < sizeof(rejects) / sizeof(rejects[0]); i++) {
		const struct reject *r = &rejects[i];
		vmfs_ident id;
		vmfs_error err;
		memset(&id, 0x5a, sizeof(id));
		vmfs_status st = parse_copy(r->text, &id, &err);
		cr_assert_eq(st, VMFS_ERR_INVALID_ARG, "\"%s\" accepted", r->text);
		cr_assert_eq(err.status, VMFS_ERR_INVALID_ARG, "\"%s\"", r->text);
		cr_assert_eq(err.offset, r->offset, "\"%s\": offset %llu, expected %llu (%s)",
			     r->text, (unsigned long long)err.offset,
			     (unsigned long long)r->offset, err.reason);
		cr_assert_str_eq(err.path, r->text);
		cr_assert_neq(err.reason[0], 0, "\"%s\": empty reason", r->text);
		/* out is only written on success */
		cr_assert_eq(id.kind, (vmfs_ident_kind)0x5a5a5a5a, "\"%s\": out written", r->text);
	}
}

Test(ident, reasons_say_what_was_expected)
{
	vmfs_ident id;
	vmfs_error err;
	cr_assert_eq(parse_copy("vml.0200000000zz", &id, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_not_null(strstr(err.reason, "hex digit"), "%s", err.reason);
	cr_assert_not_null(strstr(err.reason, "'z'"), "%s", err.reason);
	cr_assert_eq(parse_copy("foo", &id, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_not_null(strstr(err.reason, "vml."), "%s", err.reason);
	cr_assert_eq(parse_copy("vmhba4294967296:0:0", &id, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_not_null(strstr(err.reason, "32 bits"), "%s", err.reason);
	cr_assert_eq(parse_copy("vml.0200030000600144f07ed404000000496ff8cd0003434f4d5354", &id,
				&err), VMFS_ERR_INVALID_ARG);
	cr_assert_not_null(strstr(err.reason, "expected 22"), "%s", err.reason);
	cr_assert_eq(parse_copy("vml.0100000000:", &id, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_not_null(strstr(err.reason, "partition number"), "%s", err.reason);
}

Test(ident, null_arguments)
{
	vmfs_ident id;
	vmfs_error err;
	vmfs_error_clear(&err);
	cr_assert_eq(vmfs_ident_parse(NULL, &id, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(err.offset, VMFS_NO_OFFSET);
	cr_assert_eq(vmfs_ident_parse("vml.0100000000", NULL, &err), VMFS_ERR_INVALID_ARG);
	cr_assert_eq(vmfs_ident_parse("vml.0100000000", &id, NULL), VMFS_OK);
	cr_assert_eq(vmfs_ident_parse("bogus", &id, NULL), VMFS_ERR_INVALID_ARG);
}

/* 10,000-character inputs: rejected at a bounded offset, no overflow of any
 * fixed-size buffer, err->path truncated. */
static void check_long(const char *prefix, char fill, uint64_t offset)
{
	const size_t len = 10000;
	size_t plen = strlen(prefix);
	char *text = malloc(len + 1);
	vmfs_ident id;
	vmfs_error err;
	cr_assert_not_null(text);
	memcpy(text, prefix, plen);
	memset(text + plen, fill, len - plen);
	text[len] = 0;
	vmfs_error_clear(&err);
	vmfs_status st = vmfs_ident_parse(text, &id, &err);
	cr_assert_eq(st, VMFS_ERR_INVALID_ARG, "%s%c...", prefix, fill);
	cr_assert_eq(err.offset, offset, "%s%c...: offset %llu (%s)", prefix, fill,
		     (unsigned long long)err.offset, err.reason);
	cr_assert_eq(strlen(err.path), sizeof(err.path) - 1);
	cr_assert_eq(strncmp(err.path, text, sizeof(err.path) - 1), 0);
	free(text);
}

Test(ident, long_inputs)
{
	check_long("vml.", '0', 4 + 2 * 69);
	check_long("vml.0200000000", 'f', 4 + 2 * 69);
	check_long("naa.6", '0', 4 + 32);
	check_long("naa.5", '0', 4 + 16);
	check_long("eui.", 'a', 4 + 32);
	check_long("t10.ATA_____", 'W', 4 + 507);
	check_long("vmhba", '1', 5);
	check_long("vmhba0:C0:T0:L", '9', 14);
	check_long("mpx.vmhba0:C0:T0:L0:", '7', 20);
	check_long("naa.5005076719d163d8:1", 'x', 22);
	check_long("vmhba0:1:0:0", ' ', 12);
	check_long("", 'z', 0);
}

Test(ident, t10_longest_accepted)
{
	char text[4 + 507 + 1];
	vmfs_ident id;
	memcpy(text, "t10.ATA_____", 12);
	memset(text + 12, 'W', sizeof(text) - 1 - 12);
	text[sizeof(text) - 1] = 0;
	parse_ok(text, &id);
	cr_assert_eq(strlen(id.canonical), 511);
	cr_assert_eq(strlen(id.t10_rest), 507 - 8);
}
