/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the BCD device-element parser (winboot_bcd_device_parse)
 * and, on the same bytes, the MountedDevices blob classifier and fixer.
 *
 * Input: blobs separated by the 4 bytes "\n--\n" (at most 16); the first is
 * the BCD packet, every blob is a MountedDevices value.  Properties: a
 * parsed packet stored back parses to the same device; a fix never edits a
 * value that is not in the input, and never more values than there are.
 */
#include <string.h>

#include "fuzz-layout.h"
#include "fuzz.h"

#define FUZZ_MAX_BLOBS 16

static bool
dev_eq(const struct winboot_bcd_device *a, const struct winboot_bcd_device *b)
{
	if (a->style != b->style)
		return false;
	if (a->style == WINBOOT_STYLE_MBR)
		return a->offset == b->offset &&
		       a->mbr_signature == b->mbr_signature;
	return memcmp(a->part_guid, b->part_guid, 16) == 0 &&
	       memcmp(a->disk_guid, b->disk_guid, 16) == 0;
}

static void
fuzz_packet(const uint8_t *data, size_t size)
{
	struct winboot_bcd_device d, d2, dl;
	uint8_t copy[WINBOOT_BCD_PACKET_SIZE];

	if (winboot_bcd_device_parse(data, size, &d) < 0)
		return;
	FUZZ_CHECK(size == sizeof(copy));
	memcpy(copy, data, size);
	FUZZ_CHECK(winboot_bcd_device_store(copy, size, &d) >= 0);
	FUZZ_CHECK(winboot_bcd_device_parse(copy, size, &d2) >= 0);
	FUZZ_CHECK(dev_eq(&d, &d2));
	/* re-targeted at a layout partition, it names that partition */
	for (size_t i = 0; i < 2; i++) {
		const struct winboot_layout *l =
		        i ? &fuzz_gpt_layout : &fuzz_mbr_layout;

		FUZZ_CHECK(winboot_bcd_device_from_layout(l, 0, &dl) >= 0);
		FUZZ_CHECK(winboot_bcd_device_store(copy, size, &dl) >= 0);
		FUZZ_CHECK(winboot_bcd_device_parse(copy, size, &d2) >= 0);
		FUZZ_CHECK(dev_eq(&dl, &d2));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
	        "\\DosDevices\\C:",
	        "\\DosDevices\\D:",
	        "\\??\\Volume{6f4b2a1c-9e3d-11dc-8a4f-806d6172696f}",
	        "\\DosDevices\\E:",
	};
	struct winboot_mdev_value v[FUZZ_MAX_BLOBS];
	size_t n = 0, start = 0;

	for (size_t i = 0; i <= size && n < FUZZ_MAX_BLOBS; i++) {
		if (i == size ||
		    (size - i >= 4 && !memcmp(data + i, "\n--\n", 4))) {
			v[n] = (struct winboot_mdev_value){
			        .name = names[n % ELEMENTSOF(names)],
			        .data = data + start,
			        .len = i - start,
			};
			n++;
			start = i + 4;
			i += 3;
		}
	}
	if (n == 0)
		return 0;
	fuzz_packet(v[0].data, v[0].len);

	for (size_t i = 0; i < n; i++) {
		uint32_t sig;
		uint64_t off;
		uint8_t guid[16];

		(void)winboot_mdev_classify(v[i].data, v[i].len, &sig, &off,
		                            guid);
	}
	for (size_t k = 0; k < 2; k++) {
		struct hive_edits edits = {0};
		struct winboot_report report = {0};
		int r;

		r = winboot_mdev_fix_values(
		        v, n, k ? &fuzz_gpt_layout : &fuzz_mbr_layout, 'C',
		        &edits, &report);
		if (r >= 0) {
			FUZZ_CHECK((size_t)r <= n);
			for (size_t e = 0; e < edits.n; e++) {
				bool known = false;

				for (size_t i = 0; i < n; i++)
					known |= streq_ptr(edits.v[e].name,
					                   v[i].name);
				FUZZ_CHECK(known);
			}
		}
		hive_edits_done(&edits);
		winboot_report_done(&report);
	}
	return 0;
}
