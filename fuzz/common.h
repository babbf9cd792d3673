/* Shared by the libFuzzer harnesses (style practice 10: a fuzzer per parser
 * that doubles as a regression runner for saved crash inputs).
 *
 * Disk inputs. The disk harnesses (lvm, ptable, scan) read a whole disk or
 * partition, but the structures they decode lie megabytes apart in mostly
 * empty space. Their input is therefore a sparse image in "chunk" form, so
 * that a seed holds only the sectors that carry data and every mutation lands
 * on bytes that matter:
 *
 *   0   4   disk size in 512-byte sectors (LE); 0 is taken as 1
 *   4   2   bytes cut off the end of the disk (LE, modulo 512): odd sizes
 *   6   2   control bits, interpreted by each harness (LE); in the
 *           harnesses that read partition tables bit 15 leaves the GPT
 *           CRCs as they are (else fuzz_fix_gpt recomputes them)
 *   8   ... chunks until the input ends:
 *           0  4  sector (LE): the chunk's bytes go to byte offset sector * 512
 *           4  2  length n (LE), cut to what remains of the input
 *           6  n  the bytes
 *
 * A chunk, or the part of it, past the end of the disk is dropped; a later
 * chunk overwrites an earlier one. The disk is a sparse memfd (holes read as
 * zeros and are skipped by SEEK_DATA, as on a sparse image file), at most
 * 2 TiB. fuzz/mkseed converts a fixture image into this form. */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include "vmfs/source/source.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FUZZ_DISK_HEADER 8u
#define FUZZ_CHUNK_HEADER 6u

/* libFuzzer's entry point, defined by each harness. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sparse disk described by a chunk-form input, or NULL when the input is
 * shorter than its 8-byte header (or the memfd cannot be made). *control
 * receives the control bits. Close with vmfs_source_close. */
vmfs_source *fuzz_disk_open(const uint8_t *data, size_t size, uint16_t *control);

/* Makes the GPT headers of a disk consistent with their own bytes, so that
 * mutations of a header or of its partition entries reach libfdisk's parser
 * instead of stopping at a CRC: for each sector size (512 and 4096), the
 * primary header at LBA 1 and the backup header it names (else the last
 * sector), when they carry the "EFI PART" signature, get the CRC32 of their
 * entry array (at most 1 MiB of it) and then their own header CRC32. */
void fuzz_fix_gpt(vmfs_source *src);

/* Replaces the contents of this process's scratch file (one memfd, reused
 * by every run) with exactly these bytes and returns a path that opens it
 * ("/proc/self/fd/N"), for the loaders that take a path; NULL on failure. */
const char *fuzz_scratch_file(const uint8_t *data, size_t size);

/* A malloc'd copy of data padded with zeros to at least `want` bytes (exactly
 * max(size, want) bytes, so AddressSanitizer sees any read past it). */
uint8_t *fuzz_padded_copy(const uint8_t *data, size_t size, size_t want);

#endif
