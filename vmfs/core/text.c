#include "vmfs/core/text.h"

#include <string.h>

bool vmfs_text_copy(char *out, const uint8_t *text, size_t n)
{
	size_t len = 0;
	bool terminated = false;
	while (len < n) {
		if (text[len] == 0) {
			terminated = true;
			break;
		}
		len++;
	}
	memcpy(out, text, len);
	while (len > 0 && out[len - 1] == ' ')
		len--;
	out[len] = 0;
	return terminated;
}

int vmfs_hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
