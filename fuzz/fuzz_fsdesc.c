/* libFuzzer harness: the FS3 file-system descriptor (format reference 5).
 *
 * The input is the descriptor's bytes. vmfs_fs_descriptor_decode runs on
 * exactly the input (a read past its end is caught) followed by every helper
 * that interprets a decoded descriptor; then the LV-image path: the input is
 * placed at offset 2 MiB of a sparse in-memory source that ends with it (an LV
 * image or a copy of .vh.sf cut right after its descriptor) and
 * vmfs_device_read_lv_image decodes it, with its findings. */
#include "fuzz/common.h"

#include "vmfs/format/device.h"
#include "vmfs/format/fsdesc.h"
#include "vmfs/core/le.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	vmfs_fs_descriptor fs;
	vmfs_error err;
	(void)vmfs_fs_magic_name(size >= 4 ? vmfs_le32(data) : 0);
	if (vmfs_fs_descriptor_decode(data, size, &fs, &err) == VMFS_OK) {
		char version[32];
		(void)vmfs_fs_version_string(&fs, version, sizeof(version));
		(void)vmfs_fs_version_string(&fs, version, 4);
		(void)vmfs_fs_generation(&fs);
		(void)vmfs_fs_mode_name(fs.config);
		(void)vmfs_fs_checksum_status_of(&fs);
		(void)vmfs_fs_magic_known(fs.magic);
	}

	if (size == 0)
		return 0;
	vmfs_source *src = NULL;
	if (vmfs_source_new_sparse("fuzz-lv-image", VMFS_FS_DESC_LV_OFFSET + (uint64_t)size, VMFS_SOURCE_MEMORY, &src,
				   NULL) != VMFS_OK)
		return 0;
	if (vmfs_source_fill(src, VMFS_FS_DESC_LV_OFFSET, data, size, NULL) == VMFS_OK) {
		vmfs_device *dev = NULL;
		if (vmfs_device_read_lv_image(src, 0, &dev, &err) == VMFS_OK) {
			(void)vmfs_device_has_errors(dev);
			vmfs_device_free(dev);
		}
	}
	vmfs_source_close(src);
	return 0;
}
