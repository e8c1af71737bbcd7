/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the PE version-resource reader (pcache_pe_parse).
 * Properties: the result is deterministic, and a success names a machine
 * whose arch matches it.
 */
#include <string.h>

#include "fuzz.h"
#include "patchcache.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pcache_pe_info a, b;
	int r1, r2;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	r1 = pcache_pe_parse(data, size, &a);
	r2 = pcache_pe_parse(data, size, &b);
	FUZZ_CHECK(r1 == r2);
	if (r1 < 0)
		return 0;
	FUZZ_CHECK(a.machine == b.machine && a.has_version == b.has_version &&
	           a.file_version == b.file_version &&
	           a.product_version == b.product_version);
	if (a.machine == PCACHE_PE_MACHINE_I386)
		FUZZ_CHECK(a.arch == PCACHE_ARCH_I386);
	if (a.machine == PCACHE_PE_MACHINE_AMD64)
		FUZZ_CHECK(a.arch == PCACHE_ARCH_AMD64);
	return 0;
}
