/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The whole road from real INF files to the .reg a plan shows: the corpus
 * viostor/vioscsi .inx (stamped as virtio-win's build does) and Microsoft's
 * lsi_u3.inf are staged as packages, scanned as a driver store, selected for
 * each Windows generation profile and injected.  The result must be
 * byte-for-byte the golden tests/drivers/golden/<profile>-<driver>.reg that
 * test-drivers-inject.c produces from hand-built installs: the parser and
 * the hand-built fixtures agree, and the goldens show real-INF output.
 */
#include "tests.h"
#include "test-drivers-inject-fixtures.h"

/* pass 0: no catalog cache; 1: cache, INFs staged again (cold); 2: cache,
 * nothing changed (warm: every package from the cache). */
static void
inject_from_store(const struct fx_profile *pr, const struct fx_driver *dr,
                  int pass)
{
	_cleanup_(drivers_store_freep) struct drivers_store *s = NULL;
	_cleanup_free_ char *dir = NULL, *err = NULL, *text = NULL,
	                    *name = NULL;
	char *ids[] = {(char *)dr->ids[0], NULL};
	struct drivers_query q = {
	        .target = {pr->major, pr->minor, pr->build, pr->arch,
	                   pr->server},
	        .device_ids = ids,
	        .name = dr->inf_name,
	};
	struct drivers_selection sel;
	struct drivers_guest g = guest_of(pr, dr->store);
	struct drivers_injection inj;
	int r;

	ASSERT_OK(util_asprintf(&dir, "%s/%s", pr->arch, dr->store));
	if (pass < 2) {
		stage(dr, pr->arch);
		tests_age_tree(dir); /* else too recent for the cache */
	}
	ASSERT_OK(drivers_store_new(&s));
	drivers_store_set_cache(s, pass > 0);
	r = drivers_store_add(s, dir, &err);
	if (r < 0)
		TEST_FAIL("store %s: %s", dir, err ? err : strerror(-r));
	if (pass == 2)
		ASSERT_EQ(drivers_store_n_parsed(s), 0);
	else
		ASSERT_TRUE(drivers_store_n_parsed(s) > 0);
	r = drivers_select(s, &q, &sel);
	if (r < 0)
		TEST_FAIL("%s on %s: no selection (%s)", dr->inf_name, pr->name,
		          sel.rejected && sel.rejected[0] ? sel.rejected[0]
		                                          : strerror(-r));
	ASSERT_OK(drivers_inject(&sel.install, &g, &inj));
	text = format(&inj);
	ASSERT_OK(util_asprintf(&name, "%s-%s", pr->name, dr->name));
	check_golden(name, text);
	drivers_injection_done(&inj);
	drivers_selection_done(&sel);
}

TEST(golden_from_real_infs)
{
	enter_tmpdir();
	/* the same goldens without the catalog cache, with it cold and
	 * with it warm */
	for (int pass = 0; pass < 3; pass++)
		for (size_t p = 0; p < ELEMENTSOF(fx_profiles); p++)
			for (size_t d = 0; d < ELEMENTSOF(fx_drivers); d++)
				inject_from_store(&fx_profiles[p],
				                  fx_drivers[d], pass);
}
