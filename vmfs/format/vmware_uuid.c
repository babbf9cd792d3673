#include "vmfs/format/vmware_uuid.h"

#include "vmfs/core/le.h"
#include "vmfs/core/text.h"

#include <stdio.h>
#include <uuid/uuid.h>
#include <string.h>

void vmfs_uuid_from_bytes(vmfs_uuid *uuid, const uint8_t *p)
{
	memcpy(uuid->bytes, p, VMFS_UUID_LEN);
}

char *vmfs_uuid_format(const vmfs_uuid *uuid, char *out)
{
	const uint8_t *b = uuid->bytes;
	snprintf(out, VMFS_UUID_TEXT_LEN + 1, "%08x-%08x-%04x-%02x%02x%02x%02x%02x%02x",
		 (unsigned)vmfs_le32(b), (unsigned)vmfs_le32(b + 4), (unsigned)vmfs_le16(b + 8),
		 b[10], b[11], b[12], b[13], b[14], b[15]);
	return out;
}

/* Parses n hex digits from s into an unsigned value; false on a non-digit. */
static bool parse_hex(const char *s, int n, uint64_t *value)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++) {
		int d = vmfs_hex_value(s[i]);
		if (d < 0)
			return false;
		v = v << 4 | (uint64_t)d;
	}
	*value = v;
	return true;
}

bool vmfs_uuid_parse(vmfs_uuid *uuid, const char *text)
{
	uint64_t time_lo, time_hi, rnd, mac;
	if (strlen(text) != VMFS_UUID_TEXT_LEN || text[8] != '-' || text[17] != '-' || text[22] != '-')
		return false;
	if (!parse_hex(text, 8, &time_lo) || !parse_hex(text + 9, 8, &time_hi) ||
	    !parse_hex(text + 18, 4, &rnd) || !parse_hex(text + 23, 12, &mac))
		return false;
	vmfs_put_le32(uuid->bytes, (uint32_t)time_lo);
	vmfs_put_le32(uuid->bytes + 4, (uint32_t)time_hi);
	vmfs_put_le16(uuid->bytes + 8, (uint16_t)rnd);
	for (int i = 0; i < 6; i++) /* MAC bytes are stored in text order */
		uuid->bytes[10 + i] = (uint8_t)(mac >> (8 * (5 - i)));
	return true;
}

bool vmfs_uuid_is_zero(const vmfs_uuid *uuid)
{
	for (int i = 0; i < VMFS_UUID_LEN; i++)
		if (uuid->bytes[i])
			return false;
	return true;
}

bool vmfs_uuid_equal(const vmfs_uuid *a, const vmfs_uuid *b)
{
	return memcmp(a->bytes, b->bytes, VMFS_UUID_LEN) == 0;
}

uint32_t vmfs_uuid_time(const vmfs_uuid *uuid)
{
	return vmfs_le32(uuid->bytes);
}

void vmfs_uuid_mac(const vmfs_uuid *uuid, uint8_t mac[6])
{
	memcpy(mac, uuid->bytes + 10, 6);
}

/* libuuid's random generator reads the kernel's random source; an RFC 4122
 * random UUID has 122 random bits, of which the fixed version and variant
 * nibbles (bytes 6 and 8) are skipped here. */
static void random_bytes(uint8_t *out, size_t len)
{
	static const size_t usable[] = { 0, 1, 2, 3, 4, 5, 7, 9, 10, 11, 12, 13, 14, 15 };
	while (len > 0) {
		uuid_t u;
		uuid_generate_random(u);
		for (size_t i = 0; i < sizeof(usable) / sizeof(usable[0]) && len > 0; i++, len--)
			*out++ = u[usable[i]];
	}
}

uint32_t vmfs_random32(void)
{
	uint8_t b[4];
	random_bytes(b, sizeof(b));
	return vmfs_le32(b);
}
