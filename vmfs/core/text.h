/* Small text helpers shared by the decoders: on-disk strings and hex digits. */
#ifndef VMFS_TEXT_H
#define VMFS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Copies n bytes of on-disk text into out (n + 1 bytes), stopping at the first
 * NUL, and strips trailing spaces. Returns true when a NUL was found within n. */
bool vmfs_text_copy(char *out, const uint8_t *text, size_t n);

/* Value of one hex digit (either case), or -1. */
int vmfs_hex_value(char c);

#endif
