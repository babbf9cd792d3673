/* Presentation helpers shared by the tools: times, sizes, MACs, text that is
 * safe to print, and command-line number parsing. Not part of the library. */
#ifndef TOOLS_FORMAT_H
#define TOOLS_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ISO 8601 UTC: "2009-04-21T16:45:56.211175Z"; "" for 0. */
char *fmt_time_us(uint64_t microseconds, char *out, size_t len);
/* "2009-04-21T16:45:56Z"; "" for 0. */
char *fmt_time_s(uint64_t seconds, char *out, size_t len);
/* "510.0 MiB" */
char *fmt_size(uint64_t bytes, char *out, size_t len);
/* "00:0c:29:80:16:86" */
char *fmt_mac(const uint8_t mac[6], char *out, size_t len);
/* Copies text, replacing bytes that are not printable UTF-8 with \xNN so the
 * result is valid UTF-8 without control characters. */
char *fmt_safe_text(const char *text, char *out, size_t len);
/* Lowercase hex of n bytes. */
char *fmt_hex(const uint8_t *bytes, size_t n, char *out, size_t len);

/* Parses "123", "0x1f", "64K"/"64KiB", "1M"/"1MiB", "2G", "1T" (powers of
 * 1024) and "1KB", "1MB", "1GB", "1TB" (powers of 1000). False on garbage,
 * negative numbers or overflow. */
bool parse_size(const char *text, uint64_t *value);
/* An offset on the command line of every tool: what parse_size accepts, and
 * "2048s", sectors of sector_size (512 when 0). */
bool parse_offset(const char *text, unsigned sector_size, uint64_t *value);

/* A logical sector size the tools accept: 512 or 4096. */
bool parse_sector_size(const char *text, unsigned *value);

/* "<prefix><base name of source>-<UTC time as 20261124T173044Z><suffix>":
 * the default name of a file a tool makes from a source (undo files in the
 * current folder, backups in --dir). Returns out. */
char *fmt_stamped_name(const char *prefix, const char *source, const char *suffix, char *out, size_t len);

/* text as one shell word a user can paste: unchanged when it holds only
 * characters no shell treats specially, else in single quotes ('\'' for a
 * quote). "" when out is too small, never a cut word. */
char *fmt_shell_quote(const char *text, char *out, size_t len);

#endif
