/* Device identifiers (format reference section 8): parsing of vml / vmhba /
 * naa / eui / t10 / mpx names, and the vml and canonical names an LVM diskID
 * block (section 3.2) corresponds to. Pure string and byte work, no I/O.
 *
 * The parser walks a NUL-terminated string with a cursor and never looks
 * past the terminator; every rejection is VMFS_ERR_INVALID_ARG with
 * err->offset = the character index of the problem. */
#include "vmfs/format/ident.h"
#include "vmfs/core/text.h"

#include <stdio.h>
#include <string.h>

/* vml byte layout, section 8.1. */
enum {
	VML_TYPE = 0,
	VML_DEVICE_TYPE = 1,
	VML_LUN_LOW = 2,
	VML_LUN_HIGH = 3,   /* ESXi 7+ reading; reserved 00 before (11.11) */
	VML_RESERVED = 4,
	VML_HEADER = 5,     /* payload = diskID id bytes from here */
};

#define VML_MAX_BYTES  (VML_HEADER + VMFS_IDENT_MAX_PAYLOAD)
#define MODEL_PREFIX   6u   /* type 2: 6 bytes of the INQUIRY product id (3.2, 8.1) */
#define NAA_SHORT      8u   /* NAA 2, 3, 5: 8-byte designator (8.2, 8.3) */
#define NAA_LONG       16u  /* NAA 6: 16-byte designator */
/* Longest t10 body so that "t10." + body fits canonical[] with its NUL. */
#define T10_MAX_BODY   (VMFS_IDENT_MAX_TEXT - 1 - 4)

static const char prefixes_expected[] =
	"expected one of vml., vmhba, naa., eui., t10., mpx.";

/* ---------------------------------------------------------------- cursor */

typedef struct cursor {
	const char *s;     /* the whole input, NUL-terminated (also the error path) */
	size_t pos;        /* index of the next unread character */
	vmfs_error *err;   /* NULL when probing internally (e.g. a type-0 id text) */
} cursor;

static vmfs_status fail(const cursor *c, size_t at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static vmfs_status fail(const cursor *c, size_t at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	/* vmfs_error_setv truncates the text to fit err->path. */
	vmfs_error_setv(c->err, VMFS_ERR_INVALID_ARG, c->s, at, fmt, ap);
	va_end(ap);
	return VMFS_ERR_INVALID_ARG;
}

/* Describes the character at c->s[at] for an error message. */
static const char *char_desc(const cursor *c, size_t at, char *buf, size_t len)
{
	unsigned char ch = (unsigned char)c->s[at];
	if (ch == 0)
		snprintf(buf, len, "end of text");
	else if (ch == ' ' || ch == '\t')
		snprintf(buf, len, "whitespace");
	else if (ch > 0x20 && ch < 0x7f)
		snprintf(buf, len, "'%c'", ch);
	else
		snprintf(buf, len, "byte 0x%02x", ch);
	return buf;
}

static vmfs_status fail_expected(const cursor *c, size_t at, const char *what)
{
	char found[24];
	return fail(c, at, "expected %s, found %s", what, char_desc(c, at, found, sizeof(found)));
}

static char lower_ascii(char ch)
{
	return (ch >= 'A' && ch <= 'Z') ? (char)(ch - 'A' + 'a') : ch;
}

/* Case-insensitive prefix test; stops at the first mismatch, so it never
 * reads past the terminator of s. */
static bool has_prefix_ci(const char *s, const char *prefix)
{
	for (size_t i = 0; prefix[i]; i++)
		if (lower_ascii(s[i]) != prefix[i])
			return false;
	return true;
}

static bool accept_ci(cursor *c, const char *word)
{
	if (!has_prefix_ci(c->s + c->pos, word))
		return false;
	c->pos += strlen(word);
	return true;
}

static bool is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* A decimal uint32 at the cursor; overflow is detected, never wrapped. */
static vmfs_status parse_u32(cursor *c, uint32_t *out, const char *what)
{
	size_t start = c->pos;
	uint32_t v = 0;
	if (!is_digit(c->s[c->pos]))
		return fail_expected(c, c->pos, what);
	while (is_digit(c->s[c->pos])) {
		uint32_t d = (uint32_t)(c->s[c->pos] - '0');
		if (v > (UINT32_MAX - d) / 10)
			return fail(c, start, "%s does not fit in 32 bits (maximum %u)", what,
				    (unsigned)UINT32_MAX);
		v = v * 10 + d;
		c->pos++;
	}
	*out = v;
	return VMFS_OK;
}

static vmfs_status expect_char(cursor *c, char ch, const char *what)
{
	if (c->s[c->pos] != ch)
		return fail_expected(c, c->pos, what);
	c->pos++;
	return VMFS_OK;
}

/* Optional ":N" partition suffix (8.1, 8.3), then the end of the text. */
static vmfs_status parse_partition_and_end(cursor *c, vmfs_ident *out)
{
	if (c->s[c->pos] == ':') {
		c->pos++;
		if (parse_u32(c, &out->partition, "partition number") != VMFS_OK)
			return VMFS_ERR_INVALID_ARG;
		out->has_partition = true;
	}
	if (c->s[c->pos] != 0)
		return fail_expected(c, c->pos, "end of identifier or ':<partition>'");
	return VMFS_OK;
}

/* Counts the hex digits at index pos, stopping after limit + 1 so that an
 * overlong run is not scanned to its end. */
static size_t hex_run(const char *s, size_t pos, size_t limit)
{
	size_t n = 0;
	while (n <= limit && vmfs_hex_value(s[pos + n]) >= 0)
		n++;
	return n;
}

/* Decodes count (even) hex digits at index pos into bytes. */
static void hex_decode(const char *s, size_t pos, size_t count, uint8_t *bytes)
{
	for (size_t i = 0; i < count / 2; i++)
		bytes[i] = (uint8_t)(vmfs_hex_value(s[pos + 2 * i]) << 4 | vmfs_hex_value(s[pos + 2 * i + 1]));
}

/* Lowercase hex of n bytes; out holds 2n + 1. */
static void hex_encode(const uint8_t *bytes, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[bytes[i] >> 4];
		out[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	out[2 * n] = 0;
}

/* A hex body at the cursor of at most max_bytes bytes, ending at ':' or the
 * end of the text. Leaves the cursor after the digits. */
static vmfs_status parse_hex_body(cursor *c, size_t max_bytes, uint8_t *bytes, size_t *count,
				  const char *what)
{
	size_t start = c->pos;
	size_t digits = hex_run(c->s, start, 2 * max_bytes);
	if (digits > 2 * max_bytes)
		return fail(c, start + 2 * max_bytes, "%s longer than %zu bytes (%zu hex digits)",
			    what, max_bytes, 2 * max_bytes);
	char next = c->s[start + digits];
	if (next != 0 && next != ':')
		return fail_expected(c, start + digits, "a hex digit");
	if (digits % 2)
		return fail(c, start + digits,
			    "odd number of hex digits in %s: expected one more to complete the byte",
			    what);
	hex_decode(c->s, start, digits, bytes);
	*count = digits / 2;
	c->pos = start + digits;
	return VMFS_OK;
}

/* ---------------------------------------------------------------- NAA */

/* Designator length from the NAA format nibble (8.2, 8.3); 0 if unknown. */
static size_t naa_length(uint8_t format)
{
	switch (format) {
	case 2: case 3: case 5:
		return NAA_SHORT;
	case 6:
		return NAA_LONG;
	default:
		return 0;
	}
}

/* Fills designator, naa_format, company_id and canonical from an NAA
 * designator of the right length. The IEEE OUI of NAA 5 (IEEE Registered) and
 * NAA 6 (IEEE Registered Extended) is the 24 bits after the format nibble
 * (8.2: naa.5005076719d163d8 -> 0x005076, naa.6001 44f0... -> 0x00144F). */
static void naa_fill(vmfs_ident *out, const uint8_t *d, size_t len)
{
	memcpy(out->designator, d, len);
	out->designator_len = len;
	out->naa_format = d[0] >> 4;
	out->company_id = 0;
	if (out->naa_format == 5 || out->naa_format == 6)
		out->company_id = (uint32_t)(d[0] & 0xf) << 20 | (uint32_t)d[1] << 12 |
				  (uint32_t)d[2] << 4 | (uint32_t)(d[3] >> 4);
	memcpy(out->canonical, "naa.", 4);
	hex_encode(d, len, out->canonical + 4);
}

/* ---------------------------------------------------------------- vmhba paths */

/* "vmhbaA:T:L" (ESX 3.x) or "vmhbaA:C<c>:T<t>:L<l>" (8.3) at the cursor, without
 * any partition; require_channel for the mpx form. Fills adapter..path_lun
 * and canonical = "mpx.vmhbaA:C<c>:T<t>:L<l>" (channel 0 when absent). */
static vmfs_status parse_vmhba_path(cursor *c, bool require_channel, vmfs_ident *out)
{
	if (!accept_ci(c, "vmhba"))
		return fail_expected(c, c->pos, "'vmhba'");
	if (parse_u32(c, &out->adapter, "adapter number after 'vmhba'") != VMFS_OK ||
	    expect_char(c, ':', "':' after the adapter number") != VMFS_OK)
		return VMFS_ERR_INVALID_ARG;
	char ch = lower_ascii(c->s[c->pos]);
	if (ch == 'c') {
		c->pos++;
		out->has_channel = true;
		if (parse_u32(c, &out->channel, "channel number after 'C'") != VMFS_OK ||
		    expect_char(c, ':', "':' after the channel") != VMFS_OK)
			return VMFS_ERR_INVALID_ARG;
		if (!accept_ci(c, "t"))
			return fail_expected(c, c->pos, "'T<target>'");
		if (parse_u32(c, &out->target, "target number after 'T'") != VMFS_OK ||
		    expect_char(c, ':', "':' after the target") != VMFS_OK)
			return VMFS_ERR_INVALID_ARG;
		if (!accept_ci(c, "l"))
			return fail_expected(c, c->pos, "'L<lun>'");
		if (parse_u32(c, &out->path_lun, "LUN number after 'L'") != VMFS_OK)
			return VMFS_ERR_INVALID_ARG;
	} else if (require_channel) {
		return fail_expected(c, c->pos, "'C<channel>' (mpx names are vmhbaA:C<c>:T<t>:L<l>)");
	} else {
		out->has_channel = false;
		out->channel = 0;
		if (parse_u32(c, &out->target, "target number or 'C<channel>'") != VMFS_OK ||
		    expect_char(c, ':', "':' after the target") != VMFS_OK ||
		    parse_u32(c, &out->path_lun, "LUN number") != VMFS_OK)
			return VMFS_ERR_INVALID_ARG;
	}
	snprintf(out->canonical, sizeof(out->canonical), "mpx.vmhba%u:C%u:T%u:L%u",
		 (unsigned)out->adapter, (unsigned)out->channel, (unsigned)out->target,
		 (unsigned)out->path_lun);
	return VMFS_OK;
}

/* ---------------------------------------------------------------- vml */

static bool printable(const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (b[i] < 0x20 || b[i] > 0x7e)
			return false;
	return true;
}

/* Type 0: the id is a path string (3.2); when it is "vmhbaA:T:L" or
 * "vmhbaA:C<c>:T<t>:L<l>" the canonical name is its mpx form (8.3). */
static void decode_path_id(vmfs_ident *out)
{
	vmfs_ident probe = *out;
	cursor c = { .s = out->text_id, .pos = 0, .err = NULL };
	if (parse_vmhba_path(&c, false, &probe) != VMFS_OK || c.s[c.pos] != 0)
		return;
	out->adapter = probe.adapter;
	out->has_channel = probe.has_channel;
	out->channel = probe.channel;
	out->target = probe.target;
	out->path_lun = probe.path_lun;
	memcpy(out->canonical, probe.canonical, sizeof(out->canonical));
}

/* Type 2: NAA designator (8 bytes for NAA 2/3/5, 16 for NAA 6) followed by six
 * bytes of the INQUIRY product id (3.2, 8.1). Errors point at character
 * base + 2 * (byte index in the vml body). */
static vmfs_status decode_naa_id(const cursor *c, size_t base, vmfs_ident *out)
{
	const uint8_t *p = out->payload;
	size_t n = out->payload_len;
	size_t at = base + 2 * VML_HEADER;
	if (n == 0)
		return fail(c, at, "vml id type 2 (naa): expected an NAA designator, payload is empty");
	uint8_t format = p[0] >> 4;
	size_t dlen = naa_length(format);
	if (dlen == 0)
		return fail(c, at, "vml id type 2 (naa): NAA format %u is not 2, 3, 5 or 6, so the "
			    "designator length is unknown", (unsigned)format);
	if (n != dlen + MODEL_PREFIX) {
		size_t where = n < dlen + MODEL_PREFIX ? n : dlen + MODEL_PREFIX;
		return fail(c, at + 2 * where,
			    "vml id type 2 (naa): payload is %zu bytes, expected %zu "
			    "(NAA %u designator of %zu bytes + %u model bytes)",
			    n, dlen + MODEL_PREFIX, (unsigned)format, dlen, MODEL_PREFIX);
	}
	naa_fill(out, p, dlen);
	/* The model bytes as text; a non-printable byte (damaged id) shows as '.'. */
	for (size_t i = 0; i < MODEL_PREFIX; i++) {
		uint8_t b = p[dlen + i];
		out->model_prefix[i] = (b >= 0x20 && b <= 0x7e) ? (char)b : '.';
	}
	out->model_prefix[MODEL_PREFIX] = 0;
	return VMFS_OK;
}

/* Splits the vml body bytes (8.1) into out. */
static vmfs_status decode_vml(const cursor *c, size_t base, const uint8_t *b, size_t n,
			      vmfs_ident *out)
{
	if (n < VML_HEADER)
		return fail(c, base + 2 * n,
			    "vml body has %zu bytes, expected at least 5 (id type, device type, "
			    "LUN low, LUN high, reserved)", n);
	if (n > VML_MAX_BYTES)
		return fail(c, base + 2 * VML_MAX_BYTES, "vml body longer than %u bytes",
			    (unsigned)VML_MAX_BYTES);
	out->id_type = b[VML_TYPE];
	out->device_type = b[VML_DEVICE_TYPE];
	out->lun = (uint16_t)(b[VML_LUN_LOW] | b[VML_LUN_HIGH] << 8);
	out->reserved = b[VML_RESERVED];
	out->payload_len = n - VML_HEADER;
	memcpy(out->payload, b + VML_HEADER, out->payload_len);

	switch (out->id_type) {
	case VMFS_DISK_ID_NAA:
		return decode_naa_id(c, base, out);
	case VMFS_DISK_ID_PATH:
	case VMFS_DISK_ID_SERIAL:
		if (printable(out->payload, out->payload_len)) {
			memcpy(out->text_id, out->payload, out->payload_len);
			out->text_id[out->payload_len] = 0;
			if (out->id_type == VMFS_DISK_ID_PATH)
				decode_path_id(out);
		}
		return VMFS_OK;
	default:
		return VMFS_OK;
	}
}

static vmfs_status parse_vml(cursor *c, vmfs_ident *out)
{
	uint8_t bytes[VML_MAX_BYTES];
	size_t n = 0;
	size_t base = c->pos;
	if (parse_hex_body(c, VML_MAX_BYTES, bytes, &n, "vml body") != VMFS_OK ||
	    decode_vml(c, base, bytes, n, out) != VMFS_OK)
		return VMFS_ERR_INVALID_ARG;
	return parse_partition_and_end(c, out);
}

/* ---------------------------------------------------------------- naa / eui / t10 */

/* naa.<16 or 32 hex digits> (8.3); the length must match the NAA format. */
static vmfs_status parse_naa(cursor *c, vmfs_ident *out)
{
	uint8_t d[NAA_LONG];
	size_t n = 0;
	size_t start = c->pos;
	if (vmfs_hex_value(c->s[start]) < 0)
		return fail_expected(c, start, "NAA designator hex digits after 'naa.'");
	uint8_t format = (uint8_t)vmfs_hex_value(c->s[start]);
	size_t dlen = naa_length(format);
	if (dlen == 0)
		return fail(c, start, "NAA format %u is not 2, 3, 5 or 6", (unsigned)format);
	if (parse_hex_body(c, dlen, d, &n, "NAA designator") != VMFS_OK)
		return VMFS_ERR_INVALID_ARG;
	if (n != dlen)
		return fail(c, c->pos, "NAA %u designator needs %zu hex digits, found %zu",
			    (unsigned)format, 2 * dlen, 2 * n);
	naa_fill(out, d, dlen);
	return parse_partition_and_end(c, out);
}

/* eui.<16, 24 or 32 hex digits> (EUI-64 based designators, 8.3). */
static vmfs_status parse_eui(cursor *c, vmfs_ident *out)
{
	uint8_t d[16];
	size_t n = 0;
	if (parse_hex_body(c, sizeof(d), d, &n, "EUI designator") != VMFS_OK)
		return VMFS_ERR_INVALID_ARG;
	if (n != 8 && n != 12 && n != 16)
		return fail(c, c->pos, "EUI designator needs 16, 24 or 32 hex digits, found %zu",
			    2 * n);
	memcpy(out->designator, d, n);
	out->designator_len = n;
	memcpy(out->canonical, "eui.", 4);
	hex_encode(d, n, out->canonical + 4);
	return parse_partition_and_end(c, out);
}

/* t10.<vendor><model/serial> (8.3): the T10 vendor id is an 8-character field
 * padded with '_' (the INQUIRY spaces), e.g. "ATA_____WDC_WD10EFRX_...".
 * vendor = the text before the first '_' within those 8 characters; the '_'
 * padding up to character 8 is skipped; rest = the remainder as given. The
 * body is printable ASCII without spaces; ':' starts the partition suffix. */
static vmfs_status parse_t10(cursor *c, vmfs_ident *out)
{
	size_t start = c->pos;
	size_t end = start;
	while (c->s[end] > 0x20 && c->s[end] < 0x7f && c->s[end] != ':') {
		if (end - start >= T10_MAX_BODY)
			return fail(c, end, "t10 name longer than %u characters",
				    (unsigned)T10_MAX_BODY);
		end++;
	}
	if (c->s[end] != 0 && c->s[end] != ':')
		return fail_expected(c, end, "a printable character of the t10 name");
	if (end == start || c->s[start] == '_')
		return fail_expected(c, start, "a T10 vendor id after 't10.'");

	size_t v = 0;
	while (v < 8 && start + v < end && c->s[start + v] != '_')
		v++;
	memcpy(out->t10_vendor, c->s + start, v);
	out->t10_vendor[v] = 0;
	size_t r = start + v;
	while (r < start + 8 && r < end && c->s[r] == '_')
		r++;
	if (r == end)
		return fail_expected(c, r, "model/serial text after the t10 vendor id");
	memcpy(out->t10_rest, c->s + r, end - r);
	out->t10_rest[end - r] = 0;
	memcpy(out->canonical, "t10.", 4);
	memcpy(out->canonical + 4, c->s + start, end - start);
	out->canonical[4 + end - start] = 0;
	c->pos = end;
	return parse_partition_and_end(c, out);
}

/* ---------------------------------------------------------------- public */

vmfs_status vmfs_ident_parse(const char *text, vmfs_ident *out, vmfs_error *err)
{
	if (!text || !out)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, NULL, VMFS_NO_OFFSET,
				      "vmfs_ident_parse: %s is NULL", text ? "out" : "text");
	cursor c = { .s = text, .pos = 0, .err = err };
	vmfs_ident id;
	memset(&id, 0, sizeof(id));
	vmfs_status st;

	if (text[0] == 0)
		return fail(&c, 0, "empty identifier: %s", prefixes_expected);
	if (accept_ci(&c, "vml.")) {
		id.kind = VMFS_IDENT_VML;
		st = parse_vml(&c, &id);
	} else if (has_prefix_ci(text, "vmhba")) {
		id.kind = VMFS_IDENT_VMHBA;
		st = parse_vmhba_path(&c, false, &id);
		/* ESX 3.x vmhbaA:T:L:P: the 4th number is the partition, 0 = whole disk. */
		if (st == VMFS_OK)
			st = parse_partition_and_end(&c, &id);
	} else if (accept_ci(&c, "naa.")) {
		id.kind = VMFS_IDENT_NAA;
		st = parse_naa(&c, &id);
	} else if (accept_ci(&c, "eui.")) {
		id.kind = VMFS_IDENT_EUI;
		st = parse_eui(&c, &id);
	} else if (accept_ci(&c, "t10.")) {
		id.kind = VMFS_IDENT_T10;
		st = parse_t10(&c, &id);
	} else if (accept_ci(&c, "mpx.")) {
		id.kind = VMFS_IDENT_MPX;
		st = parse_vmhba_path(&c, true, &id);
		if (st == VMFS_OK)
			st = parse_partition_and_end(&c, &id);
	} else {
		return fail(&c, 0, "unknown identifier prefix: %s", prefixes_expected);
	}
	if (st != VMFS_OK)
		return st;
	*out = id;
	return VMFS_OK;
}

const char *vmfs_ident_kind_name(vmfs_ident_kind kind)
{
	switch (kind) {
	case VMFS_IDENT_VML: return "vml";
	case VMFS_IDENT_VMHBA: return "vmhba";
	case VMFS_IDENT_NAA: return "naa";
	case VMFS_IDENT_EUI: return "eui";
	case VMFS_IDENT_T10: return "t10";
	case VMFS_IDENT_MPX: return "mpx";
	}
	return "unknown";
}

const char *vmfs_disk_id_type_name(uint8_t type)
{
	switch (type) {
	case VMFS_DISK_ID_PATH: return "path";
	case VMFS_DISK_ID_SERIAL: return "serial";
	case VMFS_DISK_ID_NAA: return "naa";
	case VMFS_DISK_ID_SYMM: return "symm";
	default: return "unknown";
	}
}

/* The vml body bytes of a diskID block (8.1): type, deviceType, lun & 0xff,
 * lun >> 8, 0x00, id[0..len-1]. Returns the byte count, or 0 when len is
 * impossible (> 44). */
static size_t disk_id_vml_bytes(const vmfs_disk_id *id, uint8_t *b)
{
	if (id->len > VMFS_DISK_ID_ID_MAX)
		return 0;
	b[VML_TYPE] = id->type;
	b[VML_DEVICE_TYPE] = id->device_type;
	b[VML_LUN_LOW] = (uint8_t)(id->lun & 0xff);
	b[VML_LUN_HIGH] = (uint8_t)(id->lun >> 8);
	b[VML_RESERVED] = 0;
	memcpy(b + VML_HEADER, id->id, id->len);
	return VML_HEADER + (size_t)id->len;
}

static vmfs_status disk_id_len_error(const vmfs_disk_id *id, vmfs_error *err)
{
	return vmfs_error_set(err, VMFS_ERR_FORMAT, NULL, VMFS_DISKID_OFF_LEN,
			      "diskID len %u exceeds the %u-byte id field",
			      (unsigned)id->len, VMFS_DISK_ID_ID_MAX);
}

vmfs_status vmfs_vml_from_disk_id(const vmfs_disk_id *id, char *out, size_t outlen,
				  vmfs_error *err)
{
	uint8_t b[VML_HEADER + VMFS_DISK_ID_ID_MAX];
	if (!id || !out)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, NULL, VMFS_NO_OFFSET,
				      "vmfs_vml_from_disk_id: %s is NULL", id ? "out" : "id");
	size_t n = disk_id_vml_bytes(id, b);
	if (n == 0)
		return disk_id_len_error(id, err);
	size_t need = 4 + 2 * n + 1;
	if (outlen < need)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, NULL, VMFS_NO_OFFSET,
				      "vml name needs %zu bytes, output buffer has %zu", need, outlen);
	memcpy(out, "vml.", 4);
	hex_encode(b, n, out + 4);
	return VMFS_OK;
}

vmfs_status vmfs_canonical_from_disk_id(const vmfs_disk_id *id, char *out, size_t outlen,
					vmfs_error *err)
{
	uint8_t b[VML_HEADER + VMFS_DISK_ID_ID_MAX];
	if (!id || !out)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, NULL, VMFS_NO_OFFSET,
				      "vmfs_canonical_from_disk_id: %s is NULL", id ? "out" : "id");
	size_t n = disk_id_vml_bytes(id, b);
	if (n == 0)
		return disk_id_len_error(id, err);

	/* Decode exactly as the vml the block corresponds to would be parsed. */
	vmfs_ident decoded;
	vmfs_error why;
	memset(&decoded, 0, sizeof(decoded));
	vmfs_error_clear(&why);
	cursor c = { .s = "", .pos = 0, .err = &why };
	if (decode_vml(&c, 0, b, n, &decoded) != VMFS_OK)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, NULL, VMFS_DISKID_OFF_ID,
				      "no canonical name: %s", why.reason);
	if (decoded.canonical[0] == 0)
		return vmfs_error_set(err, VMFS_ERR_NOT_FOUND, NULL, VMFS_DISKID_OFF_ID,
				      "no canonical name for a diskID of type %u (%s)%s",
				      (unsigned)id->type, vmfs_disk_id_type_name(id->type),
				      id->type == VMFS_DISK_ID_PATH
					      ? ": the id is not a vmhbaA:T:L or vmhbaA:Cc:Tt:Ll path"
					      : "");
	size_t need = strlen(decoded.canonical) + 1;
	if (outlen < need)
		return vmfs_error_set(err, VMFS_ERR_INVALID_ARG, NULL, VMFS_NO_OFFSET,
				      "canonical name needs %zu bytes, output buffer has %zu", need,
				      outlen);
	memcpy(out, decoded.canonical, need);
	return VMFS_OK;
}
