/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the hive wrapper on top of hivex — hive_open on a temp file,
 * a walk over every key and value (bounded), typed reads, the control-set
 * resolution, hive_export_reg to /dev/null, and the BCD and
 * MountedDevices fixers that walk hives the same way.  Property: nothing
 * crashes, leaks or hangs; a value read has its bytes.
 */
#include <string.h>

#include "fuzz-layout.h"
#include "fuzz.h"
#include "hive.h"

#define FUZZ_HIVE_MAX_KEYS 4096u
#define FUZZ_HIVE_MAX_DEPTH 64u

static void
walk(struct hive *h, const char *key, unsigned depth, unsigned *budget)
{
	_cleanup_strv_free_ char **subkeys = NULL, **values = NULL;

	if (depth > FUZZ_HIVE_MAX_DEPTH || *budget == 0)
		return;
	(*budget)--;
	if (hive_list_values(h, key, &values) >= 0) {
		STRV_FOREACH (v, values) {
			struct hive_value val = {0};
			_cleanup_free_ char *s = NULL;
			_cleanup_strv_free_ char **multi = NULL;
			uint32_t dw;
			uint64_t qw;

			if (hive_get_value(h, key, *v, &val) >= 0) {
				FUZZ_CHECK(val.len == 0 || val.data);
				hive_value_done(&val);
			}
			(void)hive_get_string(h, key, *v, &s);
			(void)hive_get_dword(h, key, *v, &dw);
			(void)hive_get_qword(h, key, *v, &qw);
			(void)hive_get_multi_sz(h, key, *v, &multi);
		}
	}
	if (hive_list_subkeys(h, key, &subkeys) < 0)
		return;
	STRV_FOREACH (k, subkeys) {
		_cleanup_free_ char *child = NULL;

		/* a name with a separator cannot be addressed by path */
		if (!**k || strchr(*k, '\\'))
			continue;
		if (*key)
			FUZZ_CHECK(util_asprintf(&child, "%s\\%s", key, *k) >=
			           0);
		else
			child = strdup(*k);
		FUZZ_CHECK(child);
		walk(h, child, depth + 1, budget);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(hive_freep) struct hive *h = NULL;
	_cleanup_free_ char *error = NULL, *cs = NULL;
	unsigned budget = FUZZ_HIVE_MAX_KEYS;
	const char *path;
	FILE *null;

	path = fuzz_write_temp("hive", data, size);
	if (hive_open_full(path, 0, &h, &error) < 0)
		return 0;
	(void)hive_is_dirty(h);
	walk(h, "", 0, &budget);
	(void)hive_current_control_set(h, &cs);

	null = fopen("/dev/null", "we");
	FUZZ_CHECK(null);
	(void)hive_export_reg(h, NULL, "HKEY_LOCAL_MACHINE\\SYSTEM", null);
	fclose(null);

	for (size_t k = 0; k < 2; k++) {
		const struct winboot_layout *l =
		        k ? &fuzz_gpt_layout : &fuzz_mbr_layout;
		struct hive_edits edits = {0};
		struct winboot_report report = {0};

		(void)winboot_bcd_fix_devices(h, l, &edits, &report);
		hive_edits_done(&edits);
		winboot_report_done(&report);
		edits = (struct hive_edits){0};
		report = (struct winboot_report){0};
		(void)winboot_mdev_fix(h, l, 'C', &edits, &report);
		hive_edits_done(&edits);
		winboot_report_done(&report);
	}
	return 0;
}
