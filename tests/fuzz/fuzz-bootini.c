/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the boot.ini parser.  Properties: rendering a parsed file
 * gives back the same bytes; after the ARC fix and an added entry, the
 * output parses again and renders to itself.
 */
#include <string.h>

#include "fuzz-layout.h"
#include "fuzz.h"

static void
roundtrip(const struct winboot_bootini *b, const void *expect, size_t len)
{
	_cleanup_free_ char *out = NULL;
	size_t n = 0;

	FUZZ_CHECK(winboot_bootini_render(b, &out, &n) >= 0);
	FUZZ_CHECK(n == len && memcmp(out, expect, len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b = NULL;
	_cleanup_(winboot_bootini_freep) struct winboot_bootini *b2 = NULL;
	_cleanup_free_ char *error = NULL, *out = NULL;
	struct winboot_report report = {0};
	size_t n = 0;

	if (winboot_bootini_parse(data, size, &b, &error) < 0)
		return 0;
	roundtrip(b, data, size);

	(void)winboot_bootini_default(b);
	for (size_t i = 0; i < winboot_bootini_n_entries(b); i++)
		FUZZ_CHECK(winboot_bootini_entry_path(b, i));
	FUZZ_CHECK(
	        !winboot_bootini_entry_path(b, winboot_bootini_n_entries(b)));

	if (winboot_bootini_fix_arc(b, &fuzz_mbr_layout, &report) < 0 ||
	    winboot_bootini_add_entry(
	            b, "multi(0)disk(0)rdisk(0)partition(1)\\WINDOWS",
	            "Windows (imgfix)", "/fastdetect /hal=halmacpi.dll", true,
	            &report) < 0) {
		winboot_report_done(&report);
		return 0;
	}
	{
		_cleanup_free_ char *text = NULL;

		(void)winboot_report_to_string(&report, "boot.ini", &text);
	}
	winboot_report_done(&report);

	FUZZ_CHECK(winboot_bootini_render(b, &out, &n) >= 0);
	if (winboot_bootini_parse(out, n, &b2, NULL) >= 0)
		roundtrip(b2, out, n);
	return 0;
}
