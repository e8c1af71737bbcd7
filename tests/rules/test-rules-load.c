/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Loading rule files: schema and semantic errors (with file:line), hostile
 * files (XXE, billion laughs, huge attributes, deep nesting, UTF-16 tricks),
 * includes and include cycles, and the attribute checks of every action.
 */
#include "rules-test.h"

#define HEAD(os)                                                \
	"<?xml version=\"1.0\"?>\n<ruleset name=\"t\"" os ">\n" \
	"<description>test</description>\n"
#define TAIL "</ruleset>\n"
#define W_SET(x) HEAD(" os=\"windows\"") x TAIL
#define RULE(id, body) \
	"<rule id=\"" id "\"><description>d</description>" body "</rule>\n"

TEST(minimal_ok)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	ASSERT_OK(
	        rt_load(HEAD("") RULE("a", "<warn message=\"hi\"/>") TAIL, &r));
	ASSERT_EQ(rules_n_sets(r), 1);
	ASSERT_STREQ(rules_set_name(r, 0), "t");
	ASSERT_STREQ(rules_set_description(r, 0), "test");
	ASSERT_NULL(rules_diagnostics(r));
}

TEST(not_well_formed_names_line)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	ASSERT_ERR(rt_load(HEAD("") "<rule id=\"a\">\n<oops>\n" TAIL, &r),
	           -EINVAL);
	ASSERT_DIAG(r, "not well-formed XML");
	ASSERT_DIAG(r, ".xml:");
	ASSERT_EQ(rules_n_sets(r), 0);
}

TEST(schema_error_names_file_and_line)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	ASSERT_ERR(rt_load(HEAD("") "<rule id=\"a\"><description>d"
	                            "</description>\n"
	                            "<frobnicate/></rule>\n" TAIL,
	                   &r),
	           -EINVAL);
	ASSERT_DIAG(r, "schema:");
	ASSERT_DIAG(r, ".xml:5: schema: Did not expect element frobnicate");
}

TEST(schema_rejects_bad_attribute_values)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	/* start must be 0..4 */
	ASSERT_ERR(rt_load(HEAD(" os=\"windows\"")
	                           RULE("a", "<set-service-start name=\"x\" "
	                                     "start=\"7\"/>") TAIL,
	                   &r),
	           -EINVAL);
	ASSERT_DIAG(r, "schema:");
}

TEST(root_must_be_ruleset)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	ASSERT_ERR(rt_load("<rules name=\"t\"/>", &r), -EINVAL);
	ASSERT_EQ(rules_n_sets(r), 0);
}

/* ---- hostile files ------------------------------------------------------ */

TEST(xxe_external_entity_never_read)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_free_ char *secret = NULL, *xml = NULL;
	const char *content = "TOPSECRET-7f3a9c\n";

	secret = rt_write("secret.txt", content, strlen(content));
	ASSERT_OK(util_asprintf(
	        &xml,
	        "<?xml version=\"1.0\"?>\n"
	        "<!DOCTYPE ruleset [\n"
	        "  <!ENTITY xxe SYSTEM \"file://%s\">\n"
	        "]>\n"
	        "<ruleset name=\"t\"><description>&xxe;</description>\n"
	        "<rule id=\"a\"><description>&xxe;</description>"
	        "<warn message=\"&xxe;\"/></rule></ruleset>\n",
	        secret));
	ASSERT_ERR(rt_load(xml, &r), -EINVAL);
	ASSERT_DIAG(r, "DOCTYPE declarations");
	ASSERT_TRUE(!rt_diag_has(r, "TOPSECRET"));
	ASSERT_EQ(rules_n_sets(r), 0);
}

TEST(external_dtd_refused)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	ASSERT_ERR(rt_load("<?xml version=\"1.0\"?>\n"
	                   "<!DOCTYPE ruleset SYSTEM \"file:///etc/passwd\">\n"
	                   "<ruleset name=\"t\"><description>x</description>"
	                   "</ruleset>\n",
	                   &r),
	           -EINVAL);
	ASSERT_DIAG(r, ":2: DOCTYPE");
	ASSERT_TRUE(!rt_diag_has(r, "root:"));
}

static const char billion_laughs[] =
        "<?xml version=\"1.0\"?>\n"
        "<!DOCTYPE lolz [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 "
        "\"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 "
        "\"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 "
        "\"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 "
        "\"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 "
        "\"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 "
        "\"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 "
        "\"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 "
        "\"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 "
        "\"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n"
        "<ruleset name=\"t\"><description>&lol9;</description>"
        "<rule id=\"a\"><description>d</description>"
        "<warn message=\"&lol9;\"/></rule></ruleset>\n";

TEST(billion_laughs_refused)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	ASSERT_ERR(rt_load(billion_laughs, &r), -EINVAL);
	ASSERT_DIAG(r, "DOCTYPE declarations");
	ASSERT_EQ(rules_n_sets(r), 0);
}

TEST(utf16_doctype_refused)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ void *u16 = NULL;
	size_t n;
	char *buf;
	/* the same bomb, UTF-16LE with a BOM: a byte scan for "<!DOCTYPE"
	 * would miss it */
	const char *body = strstr(billion_laughs, "<!DOCTYPE");

	ASSERT_OK(util_utf8_to_utf16le(body, strlen(body), &u16, &n));
	buf = malloc(n + 2);
	ASSERT_NOT_NULL(buf);
	buf[0] = (char)0xff;
	buf[1] = (char)0xfe;
	memcpy(buf + 2, u16, n);
	path = rt_write("u16.xml", buf, n + 2);
	free(buf);
	r = rt_new();
	ASSERT_ERR(rules_load(r, path), -EINVAL);
	ASSERT_DIAG(r, "DOCTYPE declarations");
}

TEST(huge_attribute_10mib_refused)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_free_ char *xml = NULL;
	size_t big = 10u * 1024 * 1024;
	const char *pre = HEAD("") "<rule id=\"a\"><description>d"
	                           "</description><warn message=\"";
	const char *post = "\"/></rule>" TAIL;
	size_t lp = strlen(pre), lq = strlen(post);

	xml = malloc(lp + big + lq + 1);
	ASSERT_NOT_NULL(xml);
	memcpy(xml, pre, lp);
	memset(xml + lp, 'A', big);
	memcpy(xml + lp + big, post, lq + 1);
	ASSERT_ERR(rt_load(xml, &r), -EFBIG);
	ASSERT_DIAG(r, "larger than 1048576 bytes");
}

TEST(long_attribute_refused)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	_cleanup_free_ char *xml = NULL, *val = malloc(RULES_MAX_ATTR_LEN + 2);

	ASSERT_NOT_NULL(val);
	memset(val, 'A', RULES_MAX_ATTR_LEN + 1);
	val[RULES_MAX_ATTR_LEN + 1] = '\0';
	ASSERT_OK(util_asprintf(
	        &xml, HEAD("") RULE("a", "<warn message=\"%s\"/>") TAIL, val));
	ASSERT_ERR(rt_load(xml, &r), -EINVAL);
	ASSERT_DIAG(r, "attribute 'message' longer than 4096 bytes");
}

TEST(deep_nesting_10000_refused)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	const size_t depth = 10000;
	const char *pre = HEAD("") "<rule id=\"a\"><description>d"
	                           "</description><match>";
	const char *post = "</match><warn message=\"x\"/></rule>" TAIL;
	size_t cap = strlen(pre) + strlen(post) + depth * 11 + 64;
	_cleanup_free_ char *xml = malloc(cap);
	char *p;

	ASSERT_NOT_NULL(xml);
	p = stpcpy(xml, pre);
	for (size_t i = 0; i < depth; i++)
		p = stpcpy(p, "<not>");
	p = stpcpy(p, "<exists fact=\"firmware\"/>");
	for (size_t i = 0; i < depth; i++)
		p = stpcpy(p, "</not>");
	stpcpy(p, post);
	ASSERT_ERR(rt_load(xml, &r), -EINVAL);
	ASSERT_DIAG(r, "nested deeper than 32 levels");
}

TEST(nesting_within_limit_ok)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	char xml[4096];
	char *p = xml;

	p = stpcpy(p, HEAD("") "<rule id=\"a\"><description>d</description>"
	                       "<match>");
	for (int i = 0; i < 20; i++)
		p = stpcpy(p, "<not>");
	p = stpcpy(p, "<exists fact=\"firmware\"/>");
	for (int i = 0; i < 20; i++)
		p = stpcpy(p, "</not>");
	stpcpy(p, "</match><warn message=\"x\"/></rule>" TAIL);
	ASSERT_OK(rt_load(xml, &r));
}

/* ---- includes ----------------------------------------------------------- */

static char *
write_set(const char *name, const char *includes, const char *os)
{
	_cleanup_free_ char *xml = NULL, *file = NULL;

	ASSERT_OK(util_asprintf(&xml,
	                        "<ruleset name=\"%s\"%s><description>set %s"
	                        "</description>%s"
	                        "<rule id=\"r-%s\"><description>d</description>"
	                        "<warn message=\"from %s\"/></rule>"
	                        "</ruleset>\n",
	                        name, os, name, includes, name, name));
	ASSERT_OK(util_asprintf(&file, "%s.xml", name));
	return rt_write(file, xml, strlen(xml));
}

TEST(include_loads_first)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_free_ char *a =
	        write_set("inc-a", "<include set=\"inc-b\"/>", "");
	_cleanup_free_ char *b = write_set("inc-b", "", "");

	ASSERT_OK(rules_load(r, "inc-a"));
	ASSERT_EQ(rules_n_sets(r), 2);
	ASSERT_STREQ(rules_set_name(r, 0), "inc-b");
	ASSERT_STREQ(rules_set_name(r, 1), "inc-a");
	/* by path as well; already loaded: nothing new */
	ASSERT_OK(rules_load(r, a));
	ASSERT_EQ(rules_n_sets(r), 2);
}

TEST(include_diamond_once)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_free_ char *a = write_set(
	        "dia-a", "<include set=\"dia-b\"/><include set=\"dia-c\"/>",
	        "");
	_cleanup_free_ char *b =
	        write_set("dia-b", "<include set=\"dia-d\"/>", "");
	_cleanup_free_ char *c =
	        write_set("dia-c", "<include set=\"dia-d\"/>", "");
	_cleanup_free_ char *d = write_set("dia-d", "", "");

	ASSERT_OK(rules_load(r, "dia-a"));
	ASSERT_EQ(rules_n_sets(r), 4);
	ASSERT_STREQ(rules_set_name(r, 0), "dia-d");
	ASSERT_STREQ(rules_set_name(r, 1), "dia-b");
	ASSERT_STREQ(rules_set_name(r, 2), "dia-c");
	ASSERT_STREQ(rules_set_name(r, 3), "dia-a");
}

TEST(include_cycle)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_free_ char *a =
	        write_set("cyc-a", "<include set=\"cyc-b\"/>", "");
	_cleanup_free_ char *b =
	        write_set("cyc-b", "<include set=\"cyc-c\"/>", "");
	_cleanup_free_ char *c =
	        write_set("cyc-c", "<include set=\"cyc-a\"/>", "");

	ASSERT_ERR(rules_load(r, "cyc-a"), -ELOOP);
	ASSERT_DIAG(r, "include cycle: cyc-a -> cyc-b -> cyc-c -> cyc-a");
	ASSERT_EQ(rules_n_sets(r), 0);
}

TEST(include_self)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_free_ char *a =
	        write_set("self-a", "<include set=\"self-a\"/>", "");

	ASSERT_ERR(rules_load(r, a), -ELOOP);
	ASSERT_DIAG(r, "include cycle: self-a -> self-a");
}

TEST(include_missing)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_free_ char *a =
	        write_set("miss-a", "<include set=\"no-such-set\"/>", "");

	ASSERT_ERR(rules_load(r, "miss-a"), -ENOENT);
	ASSERT_DIAG(r, "rule set 'no-such-set' not found");
	ASSERT_EQ(rules_n_sets(r), 0);
}

TEST(include_by_path_refused)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	/* includes are names, never paths: schema pattern */
	ASSERT_ERR(rt_load("<ruleset name=\"t\"><description>x</description>"
	                   "<include set=\"../../etc/x\"/></ruleset>",
	                   &r),
	           -EINVAL);
	ASSERT_DIAG(r, "schema:");
}

TEST(load_name_checks)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();
	_cleanup_free_ char *x = NULL;

	ASSERT_ERR(rules_load(r, "nonexistent-set"), -ENOENT);
	ASSERT_ERR(rules_load(r, "Bad Name"), -EINVAL);
	ASSERT_DIAG(r, "not a rule set name");
	/* file name and set name differ */
	x = rt_write("wrong-name.xml",
	             "<ruleset name=\"other\"><description>x</description>"
	             "</ruleset>",
	             strlen("<ruleset name=\"other\"><description>x"
	                    "</description></ruleset>"));
	ASSERT_ERR(rules_load(r, "wrong-name"), -EINVAL);
	ASSERT_DIAG(r, "defines set 'other', expected 'wrong-name'");
	ASSERT_EQ(rules_n_sets(r), 0);
}

TEST(file_too_large_or_missing)
{
	_cleanup_(rules_freep) struct rules *r = rt_new();

	ASSERT_ERR(rules_load(r, "/nonexistent/dir/x.xml"), -ENOENT);
	ASSERT_DIAG(r, "/nonexistent/dir/x.xml: cannot read");
}

/* ---- semantic checks ---------------------------------------------------- */

static void
expect_invalid(const char *xml, const char *needle)
{
	_cleanup_(rules_freep) struct rules *r = NULL;
	int k = rt_load(xml, &r);

	if (k >= 0)
		TEST_FAIL("loaded, expected an error with \"%s\":\n%s", needle,
		          xml);
	ASSERT_DIAG(r, needle);
}

static void
expect_valid(const char *xml)
{
	_cleanup_(rules_freep) struct rules *r = NULL;

	if (rt_load(xml, &r) < 0) {
		rt_dump_diags(r);
		TEST_FAIL("failed to load:\n%s", xml);
	}
}

TEST(duplicate_ids)
{
	expect_invalid(HEAD("") RULE("a", "<warn message=\"1\"/>")
	                       RULE("a", "<warn message=\"2\"/>") TAIL,
	               "duplicate rule id 'a'");
}

TEST(unknown_fact)
{
	expect_invalid(HEAD("") RULE("a", "<match><equals fact=\"os.versoin\" "
	                                  "value=\"1\"/></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "unknown fact name 'os.versoin'");
	expect_valid(HEAD("") RULE("a", "<match><exists fact=\"service.Foo "
	                                "Bar.start\"/></match>"
	                                "<warn message=\"x\"/>") TAIL);
	ASSERT_TRUE(rules_fact_name_known("service.viostor.start"));
	ASSERT_TRUE(!rules_fact_name_known("service.viostor.type"));
	ASSERT_TRUE(rules_fact_name_known("linux.initramfs_tool"));
}

TEST(impossible_values)
{
	expect_invalid(HEAD("") RULE("a", "<match><equals fact=\"os.family\" "
	                                  "value=\"Windows\"/></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "'os.family' is never 'Windows'");
	expect_valid(HEAD("") RULE("a", "<match><equals fact=\"os.family\" "
	                                "value=\"Windows\" nocase=\"true\"/>"
	                                "</match><warn message=\"x\"/>") TAIL);
	expect_invalid(HEAD("") RULE("a", "<match><equals fact=\"firmware\" "
	                                  "value=\"bios\"/><equals "
	                                  "fact=\"firmware\" value=\"uefi\"/>"
	                                  "</match><warn message=\"x\"/>") TAIL,
	               "cannot equal both 'bios' and 'uefi'");
	expect_invalid(HEAD("") RULE("a", "<match><equals fact=\"firmware\" "
	                                  "value=\"bios\"/><not-equals "
	                                  "fact=\"firmware\" value=\"bios\"/>"
	                                  "</match><warn message=\"x\"/>") TAIL,
	               "cannot equal and not equal 'bios'");
}

TEST(impossible_version_ranges)
{
	expect_invalid(HEAD("") RULE("a", "<match><version fact=\"os.version\" "
	                                  "ge=\"6.2\" lt=\"6.1\"/></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "impossible version range for 'os.version'");
	expect_invalid(HEAD("") RULE("a", "<match><version fact=\"os.version\" "
	                                  "ge=\"10.0\"/><version "
	                                  "fact=\"os.version\" le=\"6.3\"/>"
	                                  "</match><warn message=\"x\"/>") TAIL,
	               "impossible version range for 'os.version' (>= 10.0 "
	               "and <= 6.3)");
	expect_invalid(HEAD("") RULE("a", "<match><version fact=\"os.version\" "
	                                  "gt=\"6.1\" le=\"6.1.0\"/></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "impossible version range");
	expect_invalid(HEAD("") RULE("a", "<match><version fact=\"os.build\"/>"
	                                  "</match><warn message=\"x\"/>") TAIL,
	               "without lt, le, gt, ge or eq");
	/* bad literal: schema */
	expect_invalid(HEAD("") RULE("a", "<match><version fact=\"os.version\" "
	                                  "ge=\"6.x\"/></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "schema:");
	/* an impossible range inside <any> */
	expect_invalid(HEAD("") RULE("a", "<match><any><version "
	                                  "fact=\"os.version\" ge=\"6.3\" "
	                                  "lt=\"6.2\"/><exists "
	                                  "fact=\"firmware\"/></any></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "impossible version range for 'os.version'");
	/* a range inside <any> is not a conjunction */
	expect_valid(HEAD("") RULE("a",
	                           "<match><any><version fact=\"os.version\" "
	                           "lt=\"6.0\"/><version fact=\"os.version\" "
	                           "ge=\"10.0\"/></any></match>"
	                           "<warn message=\"x\"/>") TAIL);
	expect_valid(HEAD("") RULE("a", "<match><version fact=\"os.version\" "
	                                "ge=\"6.1\" le=\"6.1\"/></match>"
	                                "<warn message=\"x\"/>") TAIL);
}

TEST(regex_checks)
{
	char xml[2048], pat[300];

	expect_invalid(HEAD("") RULE("a", "<match><regex fact=\"os.product\" "
	                                  "pattern=\"(unclosed\"/></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "bad regex \"(unclosed\"");
	expect_invalid(HEAD("") RULE("a", "<match><regex fact=\"os.product\" "
	                                  "pattern=\"(a*)*\\1\"/></match>"
	                                  "<warn message=\"x\"/>") TAIL,
	               "back-references are not allowed");
	expect_valid(HEAD("") RULE("a", "<match><regex fact=\"os.product\" "
	                                "pattern=\"^a\\\\1\"/></match>"
	                                "<warn message=\"x\"/>") TAIL);
	memset(pat, 'a', 299);
	pat[299] = '\0';
	snprintf(xml, sizeof(xml),
	         HEAD("") RULE("a", "<match><regex fact=\"os.product\" "
	                            "pattern=\"%s\"/></match>"
	                            "<warn message=\"x\"/>") TAIL,
	         pat);
	expect_invalid(xml, "schema:");
}

TEST(action_os_family)
{
	/* Windows action without any os restriction */
	expect_invalid(HEAD("") RULE("a", "<swap-hal hal=\"acpiapic_mp\"/>")
	                       TAIL,
	               "does not restrict os.family");
	/* Linux action in a Windows set */
	expect_invalid(HEAD(" os=\"windows\"") RULE("a", "<fstab-to-uuid/>")
	                       TAIL,
	               "fstab-to-uuid is a linux action, but the rule "
	               "applies to windows guests");
	/* Windows action, rule restricts via match */
	expect_valid(HEAD("") RULE("a", "<match><equals fact=\"os.family\" "
	                                "value=\"windows\"/></match>"
	                                "<set-service-start name=\"x\" "
	                                "start=\"0\"/>") TAIL);
	/* a rule contradicting its set's os */
	expect_invalid(HEAD(" os=\"linux\"")
	                       RULE("a", "<match><equals fact=\"os.family\" "
	                                 "value=\"windows\"/></match>"
	                                 "<warn message=\"x\"/>") TAIL,
	               "it never applies");
}

TEST(action_windows_versions)
{
	expect_invalid(HEAD(" os=\"windows\"")
	                       RULE("a", "<match><version fact=\"os.version\" "
	                                 "ge=\"6.1\"/></match>"
	                                 "<swap-hal hal=\"acpiapic_mp\"/>")
	                               TAIL,
	               "swap-hal cannot be taken on the Windows versions");
	expect_valid(HEAD(" os=\"windows\"")
	                     RULE("a", "<match><version fact=\"os.version\" "
	                               "lt=\"6.1\"/></match>"
	                               "<swap-hal hal=\"acpiapic_mp\"/>") TAIL);
	expect_invalid(HEAD(" os=\"windows\"")
	                       RULE("a", "<match><version fact=\"os.version\" "
	                                 "ge=\"6.0\"/></match>"
	                                 "<boot-ini fix=\"arc-paths\"/>") TAIL,
	               "boot-ini cannot be taken");
	expect_invalid(HEAD(" os=\"windows\"")
	                       RULE("a", "<match><version fact=\"os.version\" "
	                                 "le=\"5.2\"/></match>"
	                                 "<bcd-fix devices=\"true\"/>") TAIL,
	               "bcd-fix cannot be taken");
	expect_invalid(HEAD(" os=\"windows\"")
	                       RULE("a", "<match><version fact=\"os.version\" "
	                                 "eq=\"6.1\"/></match>"
	                                 "<remove-start-override name=\"x\"/>")
	                               TAIL,
	               "remove-start-override cannot be taken");
}

/* Every action: one valid form, and invalid forms with the message. */
struct attr_case {
	const char *action;
	const char *match; /* os.version range the action needs, or "" */
	const char *error; /* NULL: must load */
};

static const struct attr_case attr_cases[] = {
        /* inject-driver */
        {"<inject-driver hwid=\"PCI\\VEN_1AF4&amp;DEV_1001 "
         "PCI\\VEN_1AF4&amp;DEV_1042&amp;REV_01\" inf=\"viostor.inf\" "
         "service=\"viostor\" boot-critical=\"true\"/>",
         "", NULL},
        {"<inject-driver class=\"SCSIAdapter\"/>", "", NULL},
        {"<inject-driver service=\"viostor\"/>", "",
         "inject-driver needs hwid, inf or class"},
        {"<inject-driver hwid=\"VEN_1AF4\"/>", "", "schema:"},
        {"<inject-driver inf=\"viostor.sys\"/>", "",
         "inf=\"viostor.sys\" is not valid"},
        {"<inject-driver inf=\"a.inf\" boot-critical=\"yes\"/>", "", "schema:"},
        /* disable-service */
        {"<disable-service name=\"VBoxGuest\" filters=\"true\"/>", "", NULL},
        {"<disable-service glob=\"prl_*\"/>", "", NULL},
        {"<disable-service glob=\"*\"/>", "", "glob=\"*\" is not valid"},
        {"<disable-service name=\"a\" glob=\"bb*\"/>", "", "schema:"},
        {"<disable-service filters=\"true\"/>", "", "schema:"},
        {"<disable-service name=\"a*\"/>", "", "schema:"},
        /* set-service-start */
        {"<set-service-start name=\"atapi\" start=\"0\"/>", "", NULL},
        {"<set-service-start name=\"atapi\" start=\"5\"/>", "", "schema:"},
        {"<set-service-start start=\"0\"/>", "", "schema:"},
        /* remove-start-override */
        {"<remove-start-override name=\"storahci\"/>",
         "<version fact=\"os.version\" ge=\"6.2\"/>", NULL},
        {"<remove-start-override/>",
         "<version fact=\"os.version\" ge=\"6.2\"/>", "schema:"},
        /* registry */
        {"<registry hive=\"SYSTEM\" key=\"CurrentControlSet\\Control\\X\" "
         "op=\"set\" value=\"V\" type=\"dword\" data=\"0x10\"/>",
         "", NULL},
        {"<registry hive=\"SOFTWARE\" key=\"Microsoft\\X\" op=\"set\" "
         "value=\"\" type=\"binary\" data=\"01 ff,00\"/>",
         "", NULL},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"set\" value=\"V\" "
         "type=\"dword\" data=\"abc\"/>",
         "", "dword data \"abc\" is not a 32-bit number"},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"set\" value=\"V\" "
         "type=\"qword\" data=\"99999999999999999999\"/>",
         "", "qword data"},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"set\" value=\"V\" "
         "type=\"binary\" data=\"0g\"/>",
         "", "is not hex bytes"},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"set\" value=\"V\"/>", "",
         "needs value, type and data"},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"delete-key\" "
         "value=\"V\"/>",
         "", "op=\"delete-key\" takes no value"},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"delete-value\"/>", "",
         "op=\"delete-value\" takes value"},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"multi-sz-add\" "
         "value=\"UpperFilters\"/>",
         "", "op=\"multi-sz-add\" needs value and a non-empty data"},
        {"<registry hive=\"SYSTEM\" key=\"A\\B\" op=\"multi-sz-remove\" "
         "value=\"UpperFilters\" data=\"xenfilt\"/>",
         "", NULL},
        {"<registry hive=\"SOFTWARE\" key=\"CurrentControlSet\\X\" "
         "op=\"delete-key\"/>",
         "", "CurrentControlSet is in the SYSTEM hive"},
        {"<registry hive=\"SYSTEM\" key=\"\\Lead\" op=\"delete-key\"/>", "",
         "key=\"\\Lead\" is not valid"},
        {"<registry hive=\"SYSTEM\" key=\"A\\\\B\" op=\"delete-key\"/>", "",
         "is not valid"},
        {"<registry hive=\"SAM\" key=\"A\" op=\"delete-key\"/>", "", "schema:"},
        {"<registry hive=\"SYSTEM\" key=\"A\" op=\"rename\"/>", "", "schema:"},
        /* require-file */
        {"<require-file file=\"system32\\drivers\\atapi.sys\" "
         "min-version=\"5.1.2600.5512\" only-if-missing=\"true\"/>",
         "", NULL},
        {"<require-file file=\"..\\boot.ini\"/>", "", "is not valid"},
        {"<require-file file=\"a.sys\" min-version=\"1.x\"/>", "", "schema:"},
        /* swap-hal */
        {"<swap-hal hal=\"acpiapic_up\" mode=\"replace\"/>",
         "<version fact=\"os.version\" lt=\"6.0\"/>", NULL},
        {"<swap-hal hal=\"acpi_foo\"/>",
         "<version fact=\"os.version\" lt=\"6.0\"/>", "schema:"},
        {"<swap-hal hal=\"mps_mp\" mode=\"destroy\"/>",
         "<version fact=\"os.version\" lt=\"6.0\"/>", "schema:"},
        /* boot-ini */
        {"<boot-ini fix=\"arc-paths\" timeout=\"30\"/>",
         "<version fact=\"os.version\" lt=\"6.0\"/>", NULL},
        {"<boot-ini fix=\"arc-paths\" timeout=\"1000\"/>",
         "<version fact=\"os.version\" lt=\"6.0\"/>", "schema:"},
        {"<boot-ini/>", "<version fact=\"os.version\" lt=\"6.0\"/>", "schema:"},
        /* bcd-fix */
        {"<bcd-fix devices=\"true\" detecthal=\"false\"/>",
         "<version fact=\"os.version\" ge=\"6.0\"/>", NULL},
        {"<bcd-fix devices=\"false\"/>",
         "<version fact=\"os.version\" ge=\"6.0\"/>",
         "bcd-fix with nothing to do"},
        /* mounted-devices */
        {"<mounted-devices mode=\"rewrite\"/>", "", NULL},
        {"<mounted-devices mode=\"keep\"/>", "", "schema:"},
        /* ntfs-geometry */
        {"<ntfs-geometry hidden-sectors=\"true\" heads=\"auto\"/>", "", NULL},
        {"<ntfs-geometry hidden-sectors=\"false\"/>", "",
         "ntfs-geometry with nothing to do"},
        /* stage-driver-package */
        {"<stage-driver-package inf=\"viostor.inf\" dir=\"viostor\"/>", "",
         NULL},
        {"<stage-driver-package inf=\"viostor.sys\"/>", "", "is not valid"},
        {"<stage-driver-package inf=\"a.inf\" dir=\"../x\"/>", "", "schema:"},
        /* warn */
        {"<warn message=\"m\" code=\"c-1\"/>", "", NULL},
        {"<warn message=\"\"/>", "", "message=\"\" is not valid"},
        {"<warn/>", "", "schema:"},
};

struct linux_case {
	const char *action;
	const char *error;
};

static const struct linux_case linux_cases[] = {
        {"<remap-disks from=\"hd sd xvd\" to=\"vd\"/>", NULL},
        {"<remap-disks from=\"hd\" to=\"hd\"/>", "schema:"},
        {"<remap-disks to=\"vd\"/>", "schema:"},
        {"<fstab-to-uuid swap=\"true\"/>", NULL},
        {"<fstab-to-uuid swap=\"yes\"/>", "schema:"},
        {"<initramfs-modules modules=\"virtio_blk virtio_scsi\" "
         "rebuild=\"false\"/>",
         NULL},
        {"<initramfs-modules modules=\"\"/>", "schema:"},
        {"<initramfs-modules modules=\"a;reboot\"/>", "schema:"},
        {"<remove-persistent-net hwaddr=\"true\"/>", NULL},
        {"<remove-persistent-net hwaddr=\"maybe\"/>", "schema:"},
        {"<disable-unit name=\"vmtoolsd.service\" package=\"open-vm-tools\"/>",
         NULL},
        {"<disable-unit name=\"vboxadd*\"/>", NULL},
        {"<disable-unit name=\"vmtoolsd\"/>", "is not a systemd unit name"},
        {"<disable-unit name=\"../../x.service\"/>",
         "is not a systemd unit name"},
        {"<xorg-driver from=\"vmware vboxvideo\" to=\"modesetting\"/>", NULL},
        {"<xorg-driver from=\"vmware\"/>", "schema:"},
};

TEST(every_action_attribute_checks)
{
	for (size_t i = 0; i < ELEMENTSOF(attr_cases); i++) {
		_cleanup_free_ char *xml = NULL;

		ASSERT_OK(util_asprintf(
		        &xml,
		        HEAD(" os=\"windows\"") "<rule id=\"a\"><description>d"
		                                "</description>%s%s%s%s</"
		                                "rule>" TAIL,
		        *attr_cases[i].match ? "<match>" : "",
		        attr_cases[i].match,
		        *attr_cases[i].match ? "</match>" : "",
		        attr_cases[i].action));
		if (attr_cases[i].error)
			expect_invalid(xml, attr_cases[i].error);
		else
			expect_valid(xml);
	}
	for (size_t i = 0; i < ELEMENTSOF(linux_cases); i++) {
		_cleanup_free_ char *xml = NULL;

		ASSERT_OK(util_asprintf(
		        &xml,
		        HEAD(" os=\"linux\"") "<rule id=\"a\"><description>d"
		                              "</description>%s</rule>" TAIL,
		        linux_cases[i].action));
		if (linux_cases[i].error)
			expect_invalid(xml, linux_cases[i].error);
		else
			expect_valid(xml);
	}
}

TEST(static_conflicts)
{
	/* two rules that always apply */
	expect_invalid(W_SET("<rule id=\"a\"><description>d</description>"
	                     "<disable-service name=\"Foo\"/></rule>"
	                     "<rule id=\"b\"><description>d</description>"
	                     "<set-service-start name=\"foo\" start=\"0\"/>"
	                     "</rule>"),
	               "conflict: rule 'b' and rule 'a'");
	/* inside one rule */
	expect_invalid(W_SET("<rule id=\"a\"><description>d</description>"
	                     "<swap-hal hal=\"acpiapic_up\"/>"
	                     "<swap-hal hal=\"acpiapic_mp\"/></rule>"),
	               "two different HAL swaps");
	/* different conditions: decided at evaluation */
	expect_valid(W_SET("<rule id=\"a\"><description>d</description>"
	                   "<match><equals fact=\"firmware\" value=\"bios\"/>"
	                   "</match><disable-service name=\"Foo\"/></rule>"
	                   "<rule id=\"b\"><description>d</description>"
	                   "<set-service-start name=\"foo\" start=\"0\"/>"
	                   "</rule>"));
}

TEST(kind_names)
{
	for (int k = 0; k < _RULES_ACTION_MAX; k++) {
		const char *s = rules_action_kind_to_string(k);

		ASSERT_NOT_NULL(s);
		ASSERT_EQ(rules_action_kind_from_string(s), k);
	}
	ASSERT_NULL(rules_action_kind_to_string(_RULES_ACTION_MAX));
	ASSERT_ERR(rules_action_kind_from_string("frob"), -EINVAL);
}
