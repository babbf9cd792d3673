/* Device identifiers (format reference section 8): vml.*, vmhbaA:T:L[:P],
 * vmhbaA:C:T:L, naa.*, eui.*, t10.*, mpx.*; and the vml / canonical names that
 * an LVM diskID block (section 3.2) corresponds to, so a header can be matched
 * against /vmfs/devices/disks. Pure string/byte functions, no I/O. */
#ifndef VMFS_IDENT_H
#define VMFS_IDENT_H

#include "vmfs/core/error.h"
#include "vmfs/format/lvm.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum vmfs_ident_kind {
	VMFS_IDENT_VML,
	VMFS_IDENT_VMHBA,   /* vmhbaA:T:L[:P] (ESX 3.x) or vmhbaA:C<c>:T<t>:L<l>[:P] */
	VMFS_IDENT_NAA,
	VMFS_IDENT_EUI,
	VMFS_IDENT_T10,
	VMFS_IDENT_MPX,     /* mpx.vmhbaA:C<c>:T<t>:L<l>[:P] */
} vmfs_ident_kind;

#define VMFS_IDENT_MAX_TEXT    512u
#define VMFS_IDENT_MAX_PAYLOAD 64u

typedef struct vmfs_ident {
	vmfs_ident_kind kind;
	bool has_partition;
	uint32_t partition;            /* ":N" suffix; vmhbaA:T:L:P with P=0 means whole disk */

	/* vml: bytes of the hex body, section 8.1 */
	uint8_t id_type;               /* 0 path (mpx), 1 serial, 2 NAA, 3 SYMM */
	uint8_t device_type;           /* SCSI peripheral type, 0 = disk */
	uint16_t lun;                  /* byte 2 low, byte 3 high (ESXi 7+ reading, 11.11) */
	uint8_t reserved;              /* byte 4 */
	uint8_t payload[VMFS_IDENT_MAX_PAYLOAD]; /* bytes 5.. : the diskID id bytes */
	size_t payload_len;
	uint8_t designator[32];        /* vml type 2: the NAA designator (payload minus 6 model
					* bytes); naa / eui: the designator bytes of the name */
	size_t designator_len;
	char model_prefix[7];          /* type 2: the 6 model bytes as text ('.' if not printable) */
	char text_id[VMFS_IDENT_MAX_PAYLOAD + 1]; /* type 0/1: the payload as text when printable */

	/* naa (also filled for a vml of type 2); 0 for eui */
	uint8_t naa_format;            /* first hex digit: 2, 3, 5 or 6 */
	uint32_t company_id;           /* IEEE OUI for NAA 5 / 6 (24 bits after the format
					* nibble); 0 for NAA 2 / 3 and eui */

	/* vmhba / mpx (also filled for a vml of type 0 whose id is such a path) */
	uint32_t adapter;
	bool has_channel;
	uint32_t channel;
	uint32_t target;
	uint32_t path_lun;

	/* t10: "t10.<vendor>_<rest>": vendor = the text before the first '_' within the
	 * 8-character vendor field; rest = what follows the '_' padding of that field */
	char t10_vendor[9];
	char t10_rest[VMFS_IDENT_MAX_TEXT];

	/* A canonical ESXi device name derived from the identifier when one follows,
	 * without any partition suffix: vml type 2 -> naa.<hex>; vml type 0 with a
	 * vmhba path, vmhba, mpx -> mpx.vmhbaA:C<c>:T<t>:L<l> (channel 0 when absent);
	 * naa / eui -> the name with lowercase prefix and hex; t10 -> "t10." + the
	 * name as given; else "". */
	char canonical[VMFS_IDENT_MAX_TEXT];
} vmfs_ident;

/* Parses one identifier. Unknown prefixes, odd hex lengths, non-hex digits,
 * numbers that overflow and trailing garbage fail with VMFS_ERR_INVALID_ARG;
 * err->offset is the character index of the problem, err->path the text
 * (truncated to fit). A vml of type 2 whose payload is not an NAA 2/3/5
 * (8 bytes) or NAA 6 (16 bytes) designator + 6 model bytes is rejected; a
 * naa. name must have the length its format digit implies. out is written
 * only on success. */
vmfs_status vmfs_ident_parse(const char *text, vmfs_ident *out, vmfs_error *err);

const char *vmfs_ident_kind_name(vmfs_ident_kind kind);
const char *vmfs_disk_id_type_name(uint8_t type);

/* "vml.<hex>" for the LUN described by an LVM diskID block (section 8.1):
 * hex(type, deviceType, lun & 0xff, lun >> 8, 0x00, id[0..len-1]).
 * Returns VMFS_ERR_FORMAT when len exceeds 44 (err->offset = VMFS_DISKID_OFF_LEN,
 * relative to the diskID block), VMFS_ERR_INVALID_ARG when outlen is too small;
 * out needs 4 + 2*(5+len) + 1, at most VMFS_VML_MAX_TEXT. */
vmfs_status vmfs_vml_from_disk_id(const vmfs_disk_id *id, char *out, size_t outlen,
				  vmfs_error *err);
#define VMFS_VML_MAX_TEXT (4 + 2 * (5 + VMFS_DISK_ID_ID_MAX) + 1)

/* The canonical device name the diskID block corresponds to: type 2 -> the
 * naa. name of its designator; type 0 with a "vmhbaA:T:L" or
 * "vmhbaA:Cc:Tt:Ll" path -> "mpx.vmhbaA:Cc:Tt:Ll" (channel 0 when absent).
 * The block is decoded exactly as its vml name would be parsed. Returns
 * VMFS_ERR_NOT_FOUND when no canonical name follows (types 1 and 3, another
 * type-0 text, a type-2 id that is not designator + 6 model bytes),
 * VMFS_ERR_FORMAT when len exceeds 44, VMFS_ERR_INVALID_ARG when outlen is
 * too small (VMFS_IDENT_MAX_TEXT always suffices). */
vmfs_status vmfs_canonical_from_disk_id(const vmfs_disk_id *id, char *out, size_t outlen,
					vmfs_error *err);

#endif
