/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the rule XML loader (rules_load on a temp file: schema
 * validation, semantic checks, includes) and the evaluation of whatever
 * loads against a Windows and a Linux fact set.  Properties: a failed load
 * leaves diagnostics; every action of a result names its set, rule and
 * file.
 */
#include <string.h>

#include "fuzz.h"
#include "rules.h"

static const char *const fuzz_facts[][2][2] = {
        {{"os.family", "windows"}, {"os.version", "10.0"}},
        {{"os.family", "linux"}, {"os.distro", "debian"}},
};

static void
fuzz_eval(struct rules *r)
{
	for (size_t f = 0; f < ELEMENTSOF(fuzz_facts); f++) {
		_cleanup_(util_strmap_freep) struct util_strmap *facts = NULL;
		_cleanup_(rules_result_freep) struct rules_result *res = NULL;

		facts = util_strmap_new();
		FUZZ_CHECK(facts);
		for (size_t i = 0; i < 2; i++)
			FUZZ_CHECK(util_strmap_set(facts, fuzz_facts[f][i][0],
			                           fuzz_facts[f][i][1]) >= 0);
		FUZZ_CHECK(util_strmap_set(facts, "os.arch", "x86_64") >= 0);
		FUZZ_CHECK(util_strmap_set(facts, "service.viostor.start",
		                           "0") >= 0);
		if (rules_eval(r, facts, &res) < 0)
			continue;
		for (size_t i = 0; i < rules_result_size(res); i++) {
			const struct rules_action *a = rules_result_get(res, i);

			FUZZ_CHECK(a && a->set_name && a->rule_id && a->file);
			FUZZ_CHECK(rules_action_kind_to_string(a->kind));
			for (size_t k = 0; k < a->n_attrs; k++)
				FUZZ_CHECK(streq_ptr(
				        rules_action_get(a, a->attrs[k].key),
				        a->attrs[k].value));
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	const char *path;
	int k;

	if (size > RULES_MAX_FILE_SIZE + 1)
		return 0;
	path = fuzz_write_temp("fuzz.xml", data, size);
	r = rules_new(NULL);
	FUZZ_CHECK(r);
	k = rules_load(r, path);
	if (k < 0) {
		FUZZ_CHECK(rules_n_sets(r) == 0);
		return 0;
	}
	FUZZ_CHECK(rules_n_sets(r) >= 1);
	for (size_t i = 0; i < rules_n_sets(r); i++)
		FUZZ_CHECK(rules_set_name(r, i));
	fuzz_eval(r);
	return 0;
}
