/* Helpers for the Criterion tests: temporary files, running the real tool
 * binaries, the fixture generator and libblkid cross-checks. */
#ifndef TESTS_SUPPORT_H
#define TESTS_SUPPORT_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct tool_result {
	int status;          /* exit status, or 128 + signal */
	char *out;           /* captured stdout (NUL terminated) */
	char *err;           /* captured stderr */
} tool_result;

/* Runs argv (argv[0] = program path) with no stdin; captures both outputs. */
tool_result run_argv(const char *const argv[]);
void tool_result_free(tool_result *r);
/* Runs $VMFS_TEST_BIN/<tool> with the given arguments (NULL terminated). */
tool_result run_tool(const char *tool, ...) __attribute__((sentinel));
/* Where an installed program is: $PATH, then the sbin folders a user's
 * PATH often lacks (Debian puts debugvmfs in /usr/sbin). */
bool find_program(const char *name, char *out, size_t len);
/* Runs the fixture generator; fails the test when it exits non-zero. */
void mkfixture(const char *first, ...) __attribute__((sentinel));

/* A fresh path in this test's own temporary folder. */
const char *tmp_path(const char *name);
/* Path of an unpacked corpus image, or NULL (the test is then skipped with a
 * message naming the image). */
const char *corpus_image(const char *name);

/* Copies in into out with dd (sparse, never truncating out), adding one dd operand such as
 * "skip=4096" or "seek=3"; fails the test when dd fails. */
void dd_copy(const char *in, const char *out, const char *bs, const char *operand);

/* Zeroes both GPT copies of a 512-byte-sector disk of disk_bytes: the
 * protective MBR with the primary header and entries (LBA 0..33), and the
 * backup entries and header (the last 33 sectors). */
void wipe_gpt(const char *path, uint64_t disk_bytes);
/* Writes a fresh MBR with one Linux (0x83) partition at sectors 2048..206847,
 * as if the disk had been reinitialised by another system. */
void write_linux_mbr(const char *path);

/* Deterministic pseudo-random bytes (xorshift) for a seed. */
void fill_pattern(uint8_t *p, size_t n, uint64_t seed);
uint64_t file_size(const char *path);
void read_file_at(const char *path, uint64_t offset, void *buf, size_t len);
/* The whole file in a malloc'd buffer (one spare byte); *len its size. */
uint8_t *read_whole_file(const char *path, size_t *len);
/* Creates or replaces path with exactly these bytes. */
void write_whole_file(const char *path, const uint8_t *buf, size_t len);

/* Writes bytes at an offset of an existing file. */
void patch_file(const char *path, uint64_t offset, const void *bytes, size_t len);
void patch_le32(const char *path, uint64_t offset, uint32_t value);
void patch_le64(const char *path, uint64_t offset, uint64_t value);
/* SHA-256-free identity check: true when both files hold the same bytes. */
bool files_equal(const char *a, const char *b);

/* libblkid low-level probe (what `blkid -p` does) at a byte offset; fills the
 * value of tag (e.g. "TYPE", "UUID", "UUID_SUB", "VERSION", "LABEL") or ""
 * and returns false when the tag is absent. */
bool blkid_value(const char *path, uint64_t offset, const char *tag, char *out, size_t len);

/* Parses JSON output; fails the test on a parse error. */
json_object *parse_json(const char *text);
/* json lookup by a dotted path with [n] indexes: "volumes[0].lvm.major". */
json_object *jpath(json_object *root, const char *path);
const char *jstr_at(json_object *root, const char *path);
uint64_t ju64_at(json_object *root, const char *path);

#endif
