/* Benchmark driver for vmfs_scan: prints one line of figures for a scan of
 * IMAGE (seconds, bytes read, throughput, hits, peak RSS). Not a test. */
#include "vmfs/discover/scan.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int main(int argc, char **argv)
{
	bool deep = argc == 3 && strcmp(argv[1], "--deep") == 0;
	if (argc != 2 && !deep) {
		fprintf(stderr, "usage: scan-bench [--deep] IMAGE\n");
		return 3;
	}
	const char *path = argv[argc - 1];
	vmfs_source *src;
	vmfs_error err;
	if (vmfs_source_open(path, &src, &err) != VMFS_OK) {
		fprintf(stderr, "scan-bench: %s: %s\n", path, err.reason);
		return 2;
	}
	vmfs_scan_options options = { .deep = deep };
	static vmfs_scan_result result;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	vmfs_status st = vmfs_scan(src, &options, &result, &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (st != VMFS_OK) {
		fprintf(stderr, "scan-bench: %s: %s\n", path, err.reason);
		return 2;
	}
	double seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	printf("mode=%s size=%llu seconds=%.6f bytes_read=%llu data_bytes=%llu candidates=%llu hits=%zu "
	       "first_partition_offset=%llu mib_per_s=%.1f max_rss_kib=%ld\n",
	       deep ? "deep" : "probe", (unsigned long long)vmfs_source_size(src), seconds,
	       (unsigned long long)result.bytes_read, (unsigned long long)result.data_bytes,
	       (unsigned long long)result.candidates, result.count,
	       (unsigned long long)(result.count ? result.hits[0].partition_offset : 0),
	       seconds > 0 ? (double)result.bytes_read / seconds / (1 << 20) : 0.0, usage.ru_maxrss);
	int status = result.count ? 0 : 1;
	vmfs_scan_result_free(&result);
	vmfs_source_close(src);
	return status;
}
