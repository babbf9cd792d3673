/* VMware UUIDs (format reference 7.1): 16 bytes = u32 LE time (Unix seconds),
 * u32 LE counter, u16 LE random, 6-byte MAC in stored order. Text form is
 * 8-8-4-12 ("49edf844-da2dde19-747b-0021280083cf"), as ESXi and blkid print
 * it. Not an RFC 4122 UUID: never pass it to uuid_unparse(). */
#ifndef VMFS_VMWARE_UUID_H
#define VMFS_VMWARE_UUID_H

#include <stdbool.h>
#include <stdint.h>

#define VMFS_UUID_LEN 16
#define VMFS_UUID_TEXT_LEN 35 /* without the terminating NUL */

typedef struct vmfs_uuid {
	uint8_t bytes[VMFS_UUID_LEN];
} vmfs_uuid;

void vmfs_uuid_from_bytes(vmfs_uuid *uuid, const uint8_t *p);
/* out must hold VMFS_UUID_TEXT_LEN + 1 bytes. Returns out. */
char *vmfs_uuid_format(const vmfs_uuid *uuid, char *out);
/* Accepts exactly the 8-8-4-12 text form (either case). Returns false on any
 * other input and leaves uuid untouched. */
bool vmfs_uuid_parse(vmfs_uuid *uuid, const char *text);
bool vmfs_uuid_is_zero(const vmfs_uuid *uuid);
bool vmfs_uuid_equal(const vmfs_uuid *a, const vmfs_uuid *b);
/* The embedded generation time in Unix seconds (first group). */
uint32_t vmfs_uuid_time(const vmfs_uuid *uuid);
/* 32 random bits from libuuid's random source. */
uint32_t vmfs_random32(void);

/* The MAC address of the generating host (last group). */
void vmfs_uuid_mac(const vmfs_uuid *uuid, uint8_t mac[6]);

#endif
