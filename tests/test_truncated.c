/* An image shorter than the volume (a copy that stopped early, issue 9): the
 * tools say that the image ends before the volume does, with both sizes,
 * and that no partition table can be written to it; never that the metadata
 * is damaged. */
#include "tests/support/support.h"

#include <criterion/criterion.h>
#include <string.h>

Test(truncated, copy_that_stopped_early)
{
	const char *full = tmp_path("full.img");
	const char *cut = tmp_path("cut.img");
	mkfixture("disk", "--table", "gpt", "--disk-size", "1G", "--vol", "lvm=6", full, NULL);
	dd_copy(full, cut, "1M", "count=800");
	cr_assert_eq(file_size(cut), 800ull << 20);
	const char *before = tmp_path("before.copy");
	dd_copy(cut, before, "1M", "count=800");

	tool_result r = run_tool("vmfs-inspect", "--json", cut, NULL);
	json_object *doc = parse_json(r.out);
	json_object *findings = jpath(doc, "volumes[0].findings");
	bool said = false;
	for (size_t i = 0; i < json_object_array_length(findings); i++) {
		const char *m = jstr_at(json_object_array_get_idx(findings, i), "message");
		said |= strstr(m, "the image ends before the volume does") && strstr(m, "1071645184 bytes") &&
			strstr(m, "837812224 bytes") && strstr(m, "a partition table cannot be written to it");
	}
	cr_assert(said, "%s", r.out);
	json_object_put(doc);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", cut, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.out, "-> unfit: the image ends before the volume does: it is 838860800 bytes"), "%s",
			   r.out);
	cr_assert_not_null(strstr(r.out, "(1071645184 bytes from 0x100000)"), "%s", r.out);
	cr_assert_null(strstr(r.out, "damaged"), "%s", r.out);
	cr_assert_null(strstr(r.err, "damaged"), "%s", r.err);
	tool_result_free(&r);

	r = run_tool("vmfs-restore", "--write", cut, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.err, "ends before a volume does: a copy that stopped early; a partition table cannot "
				       "be written to it: nothing written"), "%s", r.err);
	cr_assert_null(strstr(r.err, "metadata is damaged"), "%s", r.err);
	tool_result_free(&r);
	r = run_tool("vmfs-restore", "--write", "--force", cut, NULL);
	cr_assert_eq(r.status, 2, "%s%s", r.out, r.err);
	cr_assert_not_null(strstr(r.err, "a partition table cannot be written to it"), "%s", r.err);
	tool_result_free(&r);
	cr_assert(files_equal(cut, before), "a truncated image was written");
}
