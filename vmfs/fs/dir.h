/* Directories (format reference vmfs-fs-layer.md section 5): an iterator
 * over the entries of a VMFS3/5 flat directory (5.1) or a VMFS6 hashed
 * directory (5.2, enumerated through its allocation map without hashing),
 * path lookup (5.3), and a recursive walk that detects directory loops.
 *
 * The iterator reads the directory one block at a time: its memory is one
 * or two metadata blocks, never sized by the directory's counts. */
#ifndef VMFS_FS_DIR_H
#define VMFS_FS_DIR_H

#include "vmfs/core/error.h"
#include "vmfs/fs/file.h"
#include "vmfs/fs/fs.h"

#include <stdbool.h>
#include <stdint.h>

#define VMFS_DIR_MAX_LENGTH (64ull << 20) /* 8.2: directory size cap */
#define VMFS_NAME_MAX 256u                /* VMFS6 names; VMFS3/5 hold 128 bytes */
#define VMFS_PATH_MAX_DEPTH 64u           /* 8.2: path components / walk depth */

typedef struct vmfs_dirent {
	uint32_t type;        /* FD type the entry claims (4.2) */
	uint32_t address;     /* FD address */
	uint32_t generation;  /* must equal the FD's generation */
	uint64_t offset;      /* content offset of the entry in the directory */
	char name[VMFS_NAME_MAX + 1];
} vmfs_dirent;

typedef struct vmfs_dir vmfs_dir;

/* Starts iterating directory dir (which must stay open). VMFS_ERR_FORMAT when
 * it is not a directory or its size or header fails the checks of 8.2. */
vmfs_status vmfs_dir_open(vmfs_file *dir, vmfs_dir **out, vmfs_error *err);
/* The next entry, `.` and `..` first; *end set after the last. A damaged
 * entry gives an error (naming its source offset) and is skipped: calling
 * again continues with the next one. VMFS6: after the last entry, a count
 * that differs from the header's numEntries is one more such error (5.2). */
vmfs_status vmfs_dir_next(vmfs_dir *d, vmfs_dirent *ent, bool *end, vmfs_error *err);
/* Entries the directory says it holds (VMFS6 numEntries; VMFS3/5 its slot
 * count), to compare with what the iteration found. */
uint64_t vmfs_dir_expected(const vmfs_dir *d);
void vmfs_dir_close(vmfs_dir *d);

/* Finds name (exact bytes) in directory dir: VMFS_ERR_NOT_FOUND if absent. */
vmfs_status vmfs_dir_lookup(vmfs_file *dir, const char *name, vmfs_dirent *ent, vmfs_error *err);

/* Opens the FD an entry names and checks it is the one the entry means
 * (generation and type, 8.1 step 8). path: for errors. */
vmfs_status vmfs_fs_open_entry(vmfs_fs *fs, const vmfs_dirent *ent, const char *path, vmfs_file **out,
			       vmfs_error *err);
/* Resolves an absolute path from the root FD (5.3): `.` and `..` as the
 * directories say. A symlink in an intermediate component is followed (at
 * most 8 hops, more is a loop error): a relative target from the link's
 * directory, an absolute one only when it names this volume
 * (/vmfs/volumes/<label or UUID>/..., 4.4), else VMFS_ERR_UNSUPPORTED. The
 * last component is not followed. */
vmfs_status vmfs_fs_open_path(vmfs_fs *fs, const char *path, vmfs_file **out, vmfs_error *err);

/* Recursive walk below a directory. fn sees every entry but `.` and `..`,
 * with its absolute path and its opened, checked file (closed after fn
 * returns); a non-zero return stops the walk. A directory that is one of its
 * own ancestors (a loop) or a path deeper than VMFS_PATH_MAX_DEPTH is an
 * error. on_error (may be NULL: stop at the first error) sees each error of
 * an entry or directory; non-zero stops the walk with that error. */
typedef struct vmfs_walk_ops {
	int (*entry)(void *ctx, const char *path, const vmfs_dirent *ent, vmfs_file *file);
	int (*error)(void *ctx, const vmfs_error *err);
	void *ctx;
} vmfs_walk_ops;
vmfs_status vmfs_fs_walk(vmfs_fs *fs, const char *path, const vmfs_walk_ops *ops, vmfs_error *err);

#endif
