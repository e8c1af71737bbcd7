/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Evaluation: every predicate and combinator, dotted-version ordering edge
 * cases, fact lookup, set OS filters, deterministic order and provenance,
 * and conflicts between the actions of different rules and sets.
 */
#include "rules-test.h"

#define HEAD(os)                                                \
	"<?xml version=\"1.0\"?>\n<ruleset name=\"t\"" os ">\n" \
	"<description>test</description>\n"
#define TAIL "</ruleset>\n"

/* Does a rule with this <match> body apply to facts kv? */
static bool
matches(const char *match, const char *const *kv)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *f = rt_facts(kv);
	_cleanup_free_ char *xml = NULL;

	ASSERT_OK(util_asprintf(&xml,
	                        HEAD("") "<rule id=\"a\"><description>d"
	                                 "</description><match>%s</match>"
	                                 "<warn message=\"hit\"/></rule>" TAIL,
	                        match));
	if (rt_load(xml, &r) < 0) {
		rt_dump_diags(r);
		TEST_FAIL("cannot load match %s", match);
	}
	ASSERT_OK(rules_eval(r, f, &res));
	ASSERT_TRUE(rules_result_size(res) <= 1);
	return rules_result_size(res) == 1;
}

#define FACTS(...) ((const char *const[]){__VA_ARGS__, NULL})

TEST(equals_not_equals)
{
	ASSERT_TRUE(matches("<equals fact=\"os.product\" value=\"Windows 10 "
	                    "Pro\"/>",
	                    FACTS("os.product=Windows 10 Pro")));
	ASSERT_TRUE(!matches("<equals fact=\"os.product\" value=\"windows 10 "
	                     "pro\"/>",
	                     FACTS("os.product=Windows 10 Pro")));
	ASSERT_TRUE(matches("<equals fact=\"os.product\" value=\"windows 10 "
	                    "pro\" nocase=\"true\"/>",
	                    FACTS("os.product=Windows 10 Pro")));
	ASSERT_TRUE(!matches("<equals fact=\"os.product\" value=\"x\"/>",
	                     FACTS("os.build=1")));
	ASSERT_TRUE(matches("<not-equals fact=\"firmware\" value=\"uefi\"/>",
	                    FACTS("firmware=bios")));
	ASSERT_TRUE(!matches("<not-equals fact=\"firmware\" value=\"uefi\"/>",
	                     FACTS("firmware=uefi")));
	/* an absent fact equals nothing */
	ASSERT_TRUE(matches("<not-equals fact=\"firmware\" value=\"uefi\"/>",
	                    FACTS("os.build=1")));
}

TEST(glob_and_regex)
{
	ASSERT_TRUE(matches("<glob fact=\"os.product\" pattern=\"*Server "
	                    "20[01]?*\"/>",
	                    FACTS("os.product=Windows Server 2019 Standard")));
	ASSERT_TRUE(!matches("<glob fact=\"os.product\" pattern=\"*server*\"/>",
	                     FACTS("os.product=Windows Server 2019")));
	ASSERT_TRUE(matches("<glob fact=\"os.product\" pattern=\"*server*\" "
	                    "nocase=\"true\"/>",
	                    FACTS("os.product=Windows Server 2019")));
	ASSERT_TRUE(!matches("<glob fact=\"os.product\" pattern=\"*\"/>",
	                     FACTS("os.build=1")));
	ASSERT_TRUE(matches("<regex fact=\"windows.hal\" "
	                    "pattern=\"^acpiapic_(up|mp)$\"/>",
	                    FACTS("windows.hal=acpiapic_mp")));
	ASSERT_TRUE(!matches("<regex fact=\"windows.hal\" "
	                     "pattern=\"^acpiapic_(up|mp)$\"/>",
	                     FACTS("windows.hal=acpipic_up")));
	ASSERT_TRUE(matches("<regex fact=\"windows.hal\" pattern=\"^ACPI\" "
	                    "nocase=\"true\"/>",
	                    FACTS("windows.hal=acpipic_up")));
	ASSERT_TRUE(!matches("<regex fact=\"windows.hal\" pattern=\"^ACPI\"/>",
	                     FACTS("windows.hal=acpipic_up")));
	ASSERT_TRUE(!matches("<regex fact=\"windows.hal\" pattern=\".*\"/>",
	                     FACTS("os.build=1")));
	{
		/* over-long values never match a glob or regex */
		_cleanup_free_ char *kv = malloc(RULES_MAX_MATCH_VALUE + 32);
		const char *const f[] = {kv, NULL};

		ASSERT_NOT_NULL(kv);
		strcpy(kv, "os.product=");
		memset(kv + 11, 'x', RULES_MAX_MATCH_VALUE + 1);
		kv[11 + RULES_MAX_MATCH_VALUE + 1] = '\0';
		ASSERT_TRUE(!matches("<regex fact=\"os.product\" "
		                     "pattern=\"x\"/>",
		                     f));
		ASSERT_TRUE(!matches("<glob fact=\"os.product\" "
		                     "pattern=\"x*\"/>",
		                     f));
		kv[11 + RULES_MAX_MATCH_VALUE] = '\0';
		ASSERT_TRUE(matches(
		        "<glob fact=\"os.product\" pattern=\"x*\"/>", f));
	}
}

TEST(exists_absent)
{
	ASSERT_TRUE(matches("<exists fact=\"service.VBoxGuest.start\"/>",
	                    FACTS("service.VBoxGuest.start=0")));
	ASSERT_TRUE(!matches("<exists fact=\"service.VBoxGuest.start\"/>",
	                     FACTS("service.Other.start=0")));
	ASSERT_TRUE(matches("<absent fact=\"service.VBoxGuest.start\"/>",
	                    FACTS("service.Other.start=0")));
	ASSERT_TRUE(!matches("<absent fact=\"service.VBoxGuest.start\"/>",
	                     FACTS("service.VBoxGuest.start=0")));
	/* service names are case-insensitive on Windows */
	ASSERT_TRUE(matches("<exists fact=\"service.VBoxGuest.start\"/>",
	                    FACTS("service.vboxguest.start=3")));
	ASSERT_TRUE(matches(
	        "<equals fact=\"service.PVSCSI.start\" "
	        "value=\"0\"/>",
	        FACTS("service.pvscsi.start=0", "service.pvscsj.start=4")));
}

TEST(version_predicates)
{
	static const char *const order[] = {"5.0", "5.1", "5.2", "6.0",
	                                    "6.1", "6.2", "6.3", "10.0"};

	for (size_t i = 0; i < ELEMENTSOF(order); i++)
		for (size_t j = 0; j < ELEMENTSOF(order); j++) {
			_cleanup_free_ char *m = NULL, *f = NULL;
			static const char *const ops[] = {"lt", "le", "gt",
			                                  "ge", "eq"};

			ASSERT_OK(util_asprintf(&f, "os.version=%s", order[i]));
			for (size_t o = 0; o < ELEMENTSOF(ops); o++) {
				bool want;

				free(m);
				ASSERT_OK(util_asprintf(
				        &m,
				        "<version fact=\"os.version\" "
				        "%s=\"%s\"/>",
				        ops[o], order[j]));
				switch (o) {
				case 0:
					want = i < j;
					break;
				case 1:
					want = i <= j;
					break;
				case 2:
					want = i > j;
					break;
				case 3:
					want = i >= j;
					break;
				default:
					want = i == j;
				}
				if (matches(m, FACTS(f)) != want)
					TEST_FAIL("%s with %s: expected %d", m,
					          f, want);
			}
		}
	/* ranges and build numbers */
	ASSERT_TRUE(matches("<version fact=\"os.version\" ge=\"6.0\" "
	                    "lt=\"6.2\"/>",
	                    FACTS("os.version=6.1")));
	ASSERT_TRUE(!matches("<version fact=\"os.version\" ge=\"6.0\" "
	                     "lt=\"6.2\"/>",
	                     FACTS("os.version=6.2")));
	ASSERT_TRUE(matches("<version fact=\"os.build\" ge=\"22000\"/>",
	                    FACTS("os.build=22621")));
	ASSERT_TRUE(!matches("<version fact=\"os.build\" ge=\"22000\"/>",
	                     FACTS("os.build=19041")));
	/* non-numeric or missing facts match no comparison */
	ASSERT_TRUE(!matches("<version fact=\"os.version\" ge=\"0\"/>",
	                     FACTS("os.version=6.x")));
	ASSERT_TRUE(!matches("<version fact=\"os.version\" lt=\"99\"/>",
	                     FACTS("os.build=1")));
	ASSERT_TRUE(!matches("<version fact=\"os.version\" lt=\"99\"/>",
	                     FACTS("os.version=")));
	/* missing components are zero */
	ASSERT_TRUE(matches("<version fact=\"os.version\" eq=\"6.1.0\"/>",
	                    FACTS("os.version=6.1")));
	ASSERT_TRUE(matches("<version fact=\"os.version\" gt=\"6\"/>",
	                    FACTS("os.version=6.1")));
}

TEST(version_compare_edge_cases)
{
	static const struct {
		const char *a, *b;
		int cmp;
	} cases[] = {
	        {"6.10", "6.9", 1},
	        {"10.0", "6.3", 1},
	        {"6.3", "10.0", -1},
	        {"5.1", "5.2", -1},
	        {"6.1", "6.1.0", 0},
	        {"6.1", "6.1.0.0.0", 0},
	        {"6", "6.0", 0},
	        {"6", "6.1", -1},
	        {"06.01", "6.1", 0},
	        {"10.0.19041", "10.0.22000", -1},
	        {"10.0.22621.1", "10.0.22621", 1},
	        {"999999999999999999", "1", 1},
	};
	static const char *const bad[] = {
	        "",
	        "6.x",
	        "6..1",
	        ".6",
	        "6.",
	        "a",
	        "6.1-rc1",
	        " 6.1",
	        "6.1 ",
	        "-1",
	        "1.2.3.4.5.6.7.8.9",
	        "1234567890123456789",
	};
	int c;

	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		ASSERT_OK(rules_version_compare(cases[i].a, cases[i].b, &c));
		if (c != cases[i].cmp)
			TEST_FAIL("%s vs %s: %d, expected %d", cases[i].a,
			          cases[i].b, c, cases[i].cmp);
		ASSERT_OK(rules_version_compare(cases[i].b, cases[i].a, &c));
		ASSERT_EQ(c, -cases[i].cmp);
	}
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		c = 42;
		if (rules_version_compare(bad[i], "1", &c) != -EINVAL)
			TEST_FAIL("'%s' accepted as a version", bad[i]);
		ASSERT_EQ(c, 42);
	}
	ASSERT_OK(rules_version_compare("1.2.3.4.5.6.7.8", "1", &c));
	ASSERT_EQ(c, 1);
}

TEST(combinators)
{
	const char *const win7[] = {"os.family=windows", "os.version=6.1",
	                            "firmware=bios", NULL};

	ASSERT_TRUE(
	        matches("<all><equals fact=\"os.family\" value=\"windows\"/>"
	                "<version fact=\"os.version\" eq=\"6.1\"/></all>",
	                win7));
	ASSERT_TRUE(!matches("<all><equals fact=\"os.family\" "
	                     "value=\"windows\"/><equals fact=\"firmware\" "
	                     "value=\"uefi\"/></all>",
	                     win7));
	ASSERT_TRUE(matches("<any><equals fact=\"firmware\" value=\"uefi\"/>"
	                    "<version fact=\"os.version\" lt=\"6.2\"/></any>",
	                    win7));
	ASSERT_TRUE(!matches("<any><equals fact=\"firmware\" value=\"uefi\"/>"
	                     "<version fact=\"os.version\" ge=\"6.2\"/></any>",
	                     win7));
	ASSERT_TRUE(matches("<not><equals fact=\"firmware\" value=\"uefi\"/>"
	                    "</not>",
	                    win7));
	ASSERT_TRUE(!matches("<not><exists fact=\"firmware\"/></not>", win7));
	/* <match> is an implicit all */
	ASSERT_TRUE(!matches("<exists fact=\"firmware\"/><absent "
	                     "fact=\"firmware\"/>",
	                     win7));
	/* nested */
	ASSERT_TRUE(matches("<any><all><equals fact=\"os.family\" "
	                    "value=\"linux\"/></all><not><any><equals "
	                    "fact=\"firmware\" value=\"uefi\"/><absent "
	                    "fact=\"os.version\"/></any></not></any>",
	                    win7));
}

TEST(no_match_always_applies_and_set_os_filter)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *lin =
	        rt_facts(FACTS("os.family=linux"));
	_cleanup_(util_strmap_freep) struct util_strmap *win =
	        rt_facts(FACTS("os.family=windows"));
	_cleanup_(util_strmap_freep) struct util_strmap *none = rt_facts(NULL);

	ASSERT_OK(rt_load(
	        HEAD(" os=\"windows\"") "<rule "
	                                "id=\"a\"><description>d</description>"
	                                "<set-service-start name=\"x\" "
	                                "start=\"3\"/></rule>" TAIL,
	        &r));
	ASSERT_OK(rules_eval(r, win, &res));
	ASSERT_EQ(rules_result_size(res), 1);
	res = rules_result_free(res);
	ASSERT_OK(rules_eval(r, lin, &res));
	ASSERT_EQ(rules_result_size(res), 0);
	res = rules_result_free(res);
	ASSERT_OK(rules_eval(r, none, &res));
	ASSERT_EQ(rules_result_size(res), 0);
	ASSERT_NULL(rules_result_get(res, 0));
}

TEST(order_and_provenance)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_(rules_result_freep) struct rules_result *res = NULL,
	                                                  *res2 = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *f =
	        rt_facts(FACTS("os.family=windows", "os.version=10.0"));
	_cleanup_free_ char *p1 = NULL, *p2 = NULL;
	const char *one =
	        "<ruleset name=\"ord-one\" os=\"windows\">"
	        "<description>d</description>"
	        "<include set=\"ord-two\"/>\n"
	        "<rule id=\"z\"><description>d</description>\n"
	        "<warn message=\"1\"/>\n<warn message=\"2\"/></rule>\n"
	        "<rule id=\"skip\"><description>d</description>"
	        "<match><version fact=\"os.version\" lt=\"6.0\"/>"
	        "</match><warn message=\"never\"/></rule>\n"
	        "<rule id=\"a\"><description>d</description>"
	        "<warn message=\"3\"/></rule></ruleset>\n";
	const char *two = "<ruleset name=\"ord-two\"><description>d"
	                  "</description><rule id=\"m\"><description>d"
	                  "</description><warn message=\"0\"/></rule>"
	                  "</ruleset>\n";
	static const char *const want[][3] = {{"ord-two", "m", "0"},
	                                      {"ord-one", "z", "1"},
	                                      {"ord-one", "z", "2"},
	                                      {"ord-one", "a", "3"}};
	const struct rules_action *a;

	p1 = rt_write("ord-one.xml", one, strlen(one));
	p2 = rt_write("ord-two.xml", two, strlen(two));
	ASSERT_OK(rules_load(r, p1));
	ASSERT_OK(rules_eval(r, f, &res));
	ASSERT_OK(rules_eval(r, f, &res2));
	ASSERT_EQ(rules_result_size(res), ELEMENTSOF(want));
	ASSERT_EQ(rules_result_size(res2), ELEMENTSOF(want));
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		a = rules_result_get(res, i);
		ASSERT_TRUE(a == rules_result_get(res2, i));
		ASSERT_EQ(a->kind, RULES_ACTION_WARN);
		ASSERT_STREQ(a->set_name, want[i][0]);
		ASSERT_STREQ(a->rule_id, want[i][1]);
		ASSERT_STREQ(rules_action_get(a, "message"), want[i][2]);
		ASSERT_NULL(rules_action_get(a, "code"));
	}
	a = rules_result_get(res, 2);
	ASSERT_STREQ(a->file, p1);
	ASSERT_EQ(a->line, 4);
	ASSERT_EQ(a->n_attrs, 1);
	ASSERT_STREQ(a->attrs[0].key, "message");
}

/* ---- conflicts ---------------------------------------------------------- */

/* Two rules (both matching os.version=10.0) with these actions. */
static int
eval_pair(const char *act_a, const char *act_b, struct rules **ret_r)
{
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *f =
	        rt_facts(FACTS("os.family=windows", "os.version=10.0"));
	_cleanup_free_ char *xml = NULL;

	ASSERT_OK(util_asprintf(
	        &xml,
	        HEAD(" os=\"windows\"") "<rule id=\"first\"><description>d"
	                                "</description><match><version "
	                                "fact=\"os.version\" ge=\"6.2\"/>"
	                                "</match>%s</rule>\n"
	                                "<rule id=\"second\"><description>d"
	                                "</description><match><version "
	                                "fact=\"os.version\" ge=\"10.0\"/>"
	                                "</match>%s</rule>" TAIL,
	        act_a, act_b));
	if (rt_load(xml, ret_r) < 0) {
		rt_dump_diags(*ret_r);
		TEST_FAIL("load failed");
	}
	return rules_eval(*ret_r, f, &res);
}

static void
expect_conflict(const char *a, const char *b, const char *what)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	ASSERT_ERR(eval_pair(a, b, &r), -EINVAL);
	ASSERT_DIAG(r, "conflict: rule 'second' (set t) and rule 'first' "
	               "(set t, ");
	ASSERT_DIAG(r, what);
}

static void
expect_no_conflict(const char *a, const char *b)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	if (eval_pair(a, b, &r) < 0) {
		rt_dump_diags(r);
		TEST_FAIL("unexpected conflict: %s / %s", a, b);
	}
}

TEST(conflicts)
{
	expect_conflict("<disable-service name=\"Foo\"/>",
	                "<set-service-start name=\"foo\" start=\"0\"/>",
	                "service 'foo' is disabled and also set to start 0");
	expect_conflict("<set-service-start name=\"foo\" start=\"0\"/>",
	                "<disable-service glob=\"fo*\"/>",
	                "service 'foo' is disabled");
	expect_no_conflict("<disable-service name=\"Foo\"/>",
	                   "<set-service-start name=\"foo\" start=\"4\"/>");
	expect_no_conflict("<disable-service name=\"Foo\"/>",
	                   "<set-service-start name=\"bar\" start=\"0\"/>");
	expect_conflict("<disable-service name=\"viostor\"/>",
	                "<inject-driver inf=\"viostor.inf\" "
	                "service=\"viostor\"/>",
	                "also installed by inject-driver");
	expect_conflict("<set-service-start name=\"a\" start=\"0\"/>",
	                "<set-service-start name=\"A\" start=\"3\"/>",
	                "set to start 0 and to start 3");
	expect_no_conflict("<set-service-start name=\"a\" start=\"0\"/>",
	                   "<set-service-start name=\"A\" start=\"0\"/>");
	expect_conflict("<registry hive=\"SYSTEM\" key=\"K\\L\" op=\"set\" "
	                "value=\"V\" type=\"dword\" data=\"0\"/>",
	                "<registry hive=\"SYSTEM\" key=\"k\\l\" op=\"set\" "
	                "value=\"v\" type=\"dword\" data=\"1\"/>",
	                "is set to two different data");
	expect_no_conflict("<registry hive=\"SYSTEM\" key=\"K\" op=\"set\" "
	                   "value=\"V\" type=\"dword\" data=\"0\"/>",
	                   "<registry hive=\"SOFTWARE\" key=\"K\" op=\"set\" "
	                   "value=\"V\" type=\"dword\" data=\"1\"/>");
	expect_conflict("<registry hive=\"SYSTEM\" key=\"K\" op=\"set\" "
	                "value=\"V\" type=\"sz\" data=\"x\"/>",
	                "<registry hive=\"SYSTEM\" key=\"K\" "
	                "op=\"delete-value\" value=\"V\"/>",
	                "is set and deleted");
	expect_conflict("<registry hive=\"SYSTEM\" key=\"K\\Sub\" op=\"set\" "
	                "value=\"V\" type=\"sz\" data=\"x\"/>",
	                "<registry hive=\"SYSTEM\" key=\"K\" "
	                "op=\"delete-key\"/>",
	                "below a key that is deleted");
	expect_no_conflict("<registry hive=\"SYSTEM\" key=\"KSub\" op=\"set\" "
	                   "value=\"V\" type=\"sz\" data=\"x\"/>",
	                   "<registry hive=\"SYSTEM\" key=\"K\" "
	                   "op=\"delete-key\"/>");
	expect_conflict("<registry hive=\"SYSTEM\" key=\"K\" "
	                "op=\"multi-sz-add\" value=\"UpperFilters\" "
	                "data=\"x\"/>",
	                "<registry hive=\"SYSTEM\" key=\"K\" "
	                "op=\"multi-sz-remove\" value=\"UpperFilters\" "
	                "data=\"X\"/>",
	                "is added to and removed from");
	expect_no_conflict("<mounted-devices mode=\"rewrite\"/>",
	                   "<mounted-devices mode=\"rewrite\"/>");
	expect_conflict("<mounted-devices mode=\"rewrite\"/>",
	                "<mounted-devices mode=\"keep-signature\"/>",
	                "MountedDevices mode");
}

TEST(conflicts_hal_and_linux)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *xp =
	        rt_facts(FACTS("os.family=windows", "os.version=5.1"));
	_cleanup_(util_strmap_freep) struct util_strmap *lin =
	        rt_facts(FACTS("os.family=linux", "firmware=bios"));

	ASSERT_OK(rt_load(
	        HEAD(" os=\"windows\"") "<rule "
	                                "id=\"up\"><description>d</"
	                                "description><match>"
	                                "<version fact=\"os.version\" "
	                                "lt=\"6.0\"/></match>"
	                                "<swap-hal hal=\"acpiapic_up\"/></rule>"
	                                "<rule "
	                                "id=\"mp\"><description>d</"
	                                "description><match>"
	                                "<version fact=\"os.version\" "
	                                "eq=\"5.1\"/></match>"
	                                "<swap-hal "
	                                "hal=\"acpiapic_mp\"/></rule>" TAIL,
	        &r));
	ASSERT_ERR(rules_eval(r, xp, &res), -EINVAL);
	ASSERT_NULL(res);
	ASSERT_DIAG(r, "conflict: rule 'mp' (set t) and rule 'up'");
	ASSERT_DIAG(r, "two different HAL swaps (acpiapic_up/non-destructive "
	               "and acpiapic_mp/non-destructive)");
	r = rules_free(r);

	ASSERT_OK(rt_load(
	        HEAD(" os=\"linux\"") "<rule "
	                              "id=\"a\"><description>d</description>"
	                              "<remap-disks from=\"sd\" "
	                              "to=\"vd\"/></rule>"
	                              "<rule "
	                              "id=\"b\"><description>d</"
	                              "description><match>"
	                              "<equals fact=\"firmware\" "
	                              "value=\"bios\"/></match>"
	                              "<remap-disks from=\"hd\" "
	                              "to=\"sd\"/></rule>" TAIL,
	        &r));
	ASSERT_ERR(rules_eval(r, lin, &res), -EINVAL);
	ASSERT_DIAG(r, "remap-disks to 'vd' and to 'sd'");
}

TEST(conflict_across_sets)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_(rules_result_freep) struct rules_result *res = NULL;
	_cleanup_(util_strmap_freep) struct util_strmap *f =
	        rt_facts(FACTS("os.family=windows", "service.vmci.start=0"));
	_cleanup_free_ char *p1 = NULL, *p2 = NULL;
	const char *x = "<ruleset name=\"xs-a\" os=\"windows\"><description>d"
	                "</description><rule id=\"keep\"><description>d"
	                "</description><match><exists "
	                "fact=\"service.vmci.start\"/></match>"
	                "<set-service-start name=\"vmci\" start=\"2\"/>"
	                "</rule></ruleset>";
	const char *y = "<ruleset name=\"xs-b\" os=\"windows\"><description>d"
	                "</description><rule id=\"drop\"><description>d"
	                "</description><match><exists "
	                "fact=\"service.vmci.start\"/></match>"
	                "<disable-service glob=\"vm*\"/></rule></ruleset>";

	p1 = rt_write("xs-a.xml", x, strlen(x));
	p2 = rt_write("xs-b.xml", y, strlen(y));
	ASSERT_OK(rules_load(r, "xs-a"));
	ASSERT_OK(rules_load(r, "xs-b"));
	ASSERT_ERR(rules_eval(r, f, &res), -EINVAL);
	ASSERT_DIAG(r, "conflict: rule 'drop' (set xs-b) and rule 'keep' "
	               "(set xs-a,");
}
