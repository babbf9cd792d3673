/* mkfixture's own command line: --version exits 0 with the project version,
 * --help states the unit of --disk-size (bytes) and of LBAs (sectors), and a
 * --disk-size given in bytes with a suffix makes a disk of exactly that size. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static tool_result run_mkfixture(const char *arg)
{
	const char *argv[] = { getenv("VMFS_TEST_MKFIXTURE"), arg, NULL };
	cr_assert_not_null(argv[0], "VMFS_TEST_MKFIXTURE is not set (run through tests/run-tests.sh)");
	return run_argv(argv);
}

Test(mkfixture_cli, version_exits_0)
{
	tool_result r = run_mkfixture("--version");
	cr_assert_eq(r.status, 0, "mkfixture --version exit %d: %s", r.status, r.err);
	cr_assert_str_eq(r.out, "mkfixture " VMFS_VERSION "\n");
	tool_result_free(&r);
}

Test(mkfixture_cli, help_states_units)
{
	tool_result r = run_mkfixture("--help");
	cr_assert_eq(r.status, 0);
	cr_assert_not_null(strstr(r.out, "--disk-size is in bytes"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "are in units of --sector-size"), "%s", r.out);
	cr_assert_not_null(strstr(r.out, "--version"), "%s", r.out);
	tool_result_free(&r);
}

Test(mkfixture_cli, disk_size_is_bytes)
{
	const char *out = tmp_path("units.img");
	mkfixture("disk", "--table", "gpt", "--sector-size", "4096", "--disk-size", "64M", out, NULL);
	struct stat st;
	cr_assert_eq(stat(out, &st), 0);
	cr_assert_eq(st.st_size, 64 << 20, "--disk-size 64M made %lld bytes", (long long)st.st_size);
}
