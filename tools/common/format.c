#include "tools/common/format.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

char *fmt_time_s(uint64_t seconds, char *out, size_t len)
{
	struct tm tm;
	time_t t = (time_t)seconds;
	if (seconds == 0 || seconds > (uint64_t)253402300799 /* 9999-12-31 */ || !gmtime_r(&t, &tm)) {
		snprintf(out, len, "%s", seconds ? "(out of range)" : "");
		return out;
	}
	strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

char *fmt_time_us(uint64_t microseconds, char *out, size_t len)
{
	struct tm tm;
	uint64_t seconds = microseconds / 1000000;
	time_t t = (time_t)seconds;
	if (microseconds == 0 || seconds > (uint64_t)253402300799 || !gmtime_r(&t, &tm)) {
		snprintf(out, len, "%s", microseconds ? "(out of range)" : "");
		return out;
	}
	char date[32];
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, len, "%s.%06" PRIu64 "Z", date, microseconds % 1000000);
	return out;
}

char *fmt_size(uint64_t bytes, char *out, size_t len)
{
	static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	double value = (double)bytes;
	size_t unit = 0;
	while (value >= 1024.0 && unit + 1 < sizeof(units) / sizeof(units[0])) {
		value /= 1024.0;
		unit++;
	}
	if (unit == 0)
		snprintf(out, len, "%" PRIu64 " B", bytes);
	else
		snprintf(out, len, "%.1f %s", value, units[unit]);
	return out;
}

char *fmt_mac(const uint8_t mac[6], char *out, size_t len)
{
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
	return out;
}

char *fmt_hex(const uint8_t *bytes, size_t n, char *out, size_t len)
{
	size_t pos = 0;
	if (len)
		out[0] = 0;
	for (size_t i = 0; i < n && pos + 3 <= len; i++)
		pos += (size_t)snprintf(out + pos, len - pos, "%02x", bytes[i]);
	return out;
}

/* Length of a valid UTF-8 sequence starting at s (1..4), or 0 if invalid. */
static size_t utf8_sequence(const unsigned char *s)
{
	if (s[0] < 0x80)
		return 1;
	size_t n = (s[0] & 0xE0) == 0xC0 ? 2 : (s[0] & 0xF0) == 0xE0 ? 3 : (s[0] & 0xF8) == 0xF0 ? 4 : 0;
	if (n == 0 || (n == 2 && s[0] < 0xC2))
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

char *fmt_safe_text(const char *text, char *out, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t pos = 0;
	if (!len)
		return out;
	while (*s && pos + 5 < len) {
		size_t n = utf8_sequence(s);
		if (n == 1 && (isprint(*s) || *s == ' ')) {
			out[pos++] = (char)*s++;
		} else if (n > 1 && pos + n < len) {
			memcpy(out + pos, s, n);
			pos += n;
			s += n;
		} else {
			pos += (size_t)snprintf(out + pos, len - pos, "\\x%02x", *s++);
		}
	}
	out[pos] = 0;
	return out;
}

/* The units sfdisk, blkid and losetup users type: K/KiB, M/MiB, G/GiB,
 * T/TiB are powers of 1024, KB/MB/GB/TB powers of 1000, and with a sector
 * size "s" counts sectors. Every multiplication is overflow-checked. */
static bool parse_units(const char *text, unsigned sector_size, uint64_t *value)
{
	if (!text || !*text || *text == '-' || *text == '+' || isspace((unsigned char)*text))
		return false;
	errno = 0;
	char *end = NULL;
	/* Decimal, or hex with 0x; never octal (a leading zero is not a base). */
	bool hex = text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
	unsigned long long v = strtoull(hex ? text + 2 : text, &end, hex ? 16 : 10);
	if (errno || end == text || end == text + 2 * hex || !isxdigit((unsigned char)text[2 * hex]))
		return false;
	uint64_t scale = 1;
	if (*end) {
		static const char letters[] = "KMGT";
		const char *unit = strchr(letters, toupper((unsigned char)*end));
		if ((*end == 's' || *end == 'S') && end[1] == 0 && sector_size) {
			scale = sector_size;
		} else if (unit && *unit) {
			int power = (int)(unit - letters) + 1;
			const char *rest = end + 1;
			uint64_t base = 1024;
			if (strcmp(rest, "B") == 0 || strcmp(rest, "b") == 0)
				base = 1000;
			else if (*rest && strcmp(rest, "iB") != 0 && strcmp(rest, "ib") != 0)
				return false;
			for (int i = 0; i < power; i++)
				scale *= base;
		} else {
			return false;
		}
	}
	if (v > UINT64_MAX / scale)
		return false;
	*value = (uint64_t)v * scale;
	return true;
}

bool parse_size(const char *text, uint64_t *value)
{
	return parse_units(text, 0, value);
}

bool parse_offset(const char *text, unsigned sector_size, uint64_t *value)
{
	return parse_units(text, sector_size ? sector_size : 512, value);
}

bool parse_sector_size(const char *text, unsigned *value)
{
	uint64_t v;
	if (!parse_size(text, &v) || (v != 512 && v != 4096))
		return false;
	*value = (unsigned)v;
	return true;
}

char *fmt_stamped_name(const char *prefix, const char *source, const char *suffix, char *out, size_t len)
{
	const char *base = strrchr(source, '/');
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	snprintf(out, len, "%s%s-%s%s", prefix, base ? base + 1 : source, stamp, suffix);
	return out;
}

/* Safe characters need no quotes; anything else goes inside single quotes,
 * where only the quote itself needs care: ' becomes '\'' . */
char *fmt_shell_quote(const char *text, char *out, size_t len)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-";
	size_t pos = 0;
	bool plain = *text != 0;
	for (const char *p = text; *p; p++)
		plain = plain && strchr(safe, *p) != NULL;
	if (!len)
		return out;
	if (plain) {
		snprintf(out, len, "%s", text);
		return out;
	}
	/* Whole words only: a quoted word that does not fit is left empty
	 * rather than cut (a cut word would name another file). */
	out[pos++] = '\'';
	for (const char *p = text; *p; p++) {
		const char *piece = *p == '\'' ? "'\\''" : NULL;
		size_t n = piece ? 4 : 1;
		if (pos + n + 2 > len) {
			out[0] = 0;
			return out;
		}
		if (piece)
			memcpy(out + pos, piece, n);
		else
			out[pos] = *p;
		pos += n;
	}
	if (pos + 2 > len) {
		out[0] = 0;
		return out;
	}
	out[pos++] = '\'';
	out[pos] = 0;
	return out;
}
