/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * `imgfix batch` without images that need fixing: manifests (JSON, text,
 * and their errors), the child's command line, reading children's reports,
 * the HTML summary (well-formed for libxml2's HTML parser, every image
 * listed, hostile report strings escaped), and the command itself on
 * images that cannot be fixed (each failure reported, none stops the
 * others) and on one whose journal is complete (skipped).
 */
#include <libxml/HTMLparser.h>
#include <libxml/xpath.h>
#include <sys/wait.h>

#include "engine/batch.h"
#include "tests.h"

static char *
tmp_file(const char *name, const char *content)
{
	char *p = util_path_join(tests_tmpdir(), name);

	ASSERT_NOT_NULL(p);
	if (content)
		ASSERT_OK(util_write_file_atomic(p, content, strlen(content)));
	return p;
}

static char *
tmp_path(const char *name)
{
	return tmp_file(name, NULL);
}

TEST(manifest_json)
{
	_cleanup_free_ char *p = tmp_file(
	        "m.json",
	        "{\"defaults\": {\"rules\": [\"kvm-virtio\", \"site/x.xml\"],"
	        " \"drivers\": \"store\", \"patch_cache\": \"/pc\"},"
	        " \"images\": ["
	        "  {\"image\": \"a.img\"},"
	        "  {\"image\": \"/abs/b.img\", \"rules\": [\"hyperv\"],"
	        "   \"backup\": \"bk\", \"root\": \"partition 2\","
	        "   \"force\": [\"all\"], \"drivers\": []}"
	        "]}\n");
	_cleanup_free_ char *dir = util_path_join(tests_tmpdir(), "");
	_cleanup_free_ char *error = NULL, *want = NULL;
	struct batch_manifest m = {0};
	const struct batch_item *a, *b;

	ASSERT_OK(batch_manifest_load(p, &m, &error));
	ASSERT_EQ(m.n_items, 2);
	a = &m.items[0];
	b = &m.items[1];
	want = util_path_join(tests_tmpdir(), "a.img");
	ASSERT_STREQ(a->image, want);
	ASSERT_EQ(util_strv_length(a->rules), 2);
	ASSERT_STREQ(a->rules[0], "kvm-virtio"); /* a name stays a name */
	ASSERT_TRUE(util_startswith(a->rules[1], tests_tmpdir()));
	ASSERT_TRUE(util_endswith_case(a->rules[1], "/site/x.xml"));
	ASSERT_EQ(util_strv_length(a->drivers), 1);
	ASSERT_TRUE(util_endswith_case(a->drivers[0], "/store"));
	ASSERT_STREQ(a->patch_cache, "/pc");
	ASSERT_NULL(a->backup);
	ASSERT_STREQ(b->image, "/abs/b.img");
	ASSERT_EQ(util_strv_length(b->rules), 1);
	ASSERT_STREQ(b->rules[0], "hyperv");
	ASSERT_EQ(util_strv_length(b->drivers), 0); /* [] replaces defaults */
	ASSERT_TRUE(util_endswith_case(b->backup, "/bk"));
	ASSERT_STREQ(b->root, "partition 2");
	ASSERT_STREQ(b->force[0], "all");
	ASSERT_STREQ(b->patch_cache, "/pc");
	batch_manifest_done(&m);
}

TEST(manifest_text)
{
	_cleanup_free_ char *p = tmp_file(
	        "m.txt", "# a comment\n"
	                 "-r kvm-virtio -d /srv/store\n"
	                 "\n"
	                 "/i/one.img   # trailing comment\n"
	                 "\"/i/with blank.img\" -r hyperv --backup=/b/two\n"
	                 "/i/th\\ ree.img --force all --root \"partition 1\"\n"
	                 "-p /pc\n"
	                 "/i/four.img -d /other\n");
	_cleanup_free_ char *error = NULL;
	struct batch_manifest m = {0};

	ASSERT_OK(batch_manifest_load(p, &m, &error));
	ASSERT_EQ(m.n_items, 4);
	ASSERT_STREQ(m.items[0].image, "/i/one.img");
	ASSERT_EQ(m.items[0].line, 4);
	ASSERT_STREQ(m.items[0].rules[0], "kvm-virtio");
	ASSERT_STREQ(m.items[0].drivers[0], "/srv/store");
	ASSERT_NULL(m.items[0].patch_cache);
	ASSERT_STREQ(m.items[1].image, "/i/with blank.img");
	ASSERT_EQ(util_strv_length(m.items[1].rules), 1);
	ASSERT_STREQ(m.items[1].rules[0], "hyperv");
	ASSERT_STREQ(m.items[1].backup, "/b/two");
	ASSERT_STREQ(m.items[2].image, "/i/th ree.img");
	ASSERT_STREQ(m.items[2].root, "partition 1");
	ASSERT_STREQ(m.items[2].force[0], "all");
	/* A later defaults line adds to the defaults. */
	ASSERT_STREQ(m.items[3].patch_cache, "/pc");
	ASSERT_STREQ(m.items[3].rules[0], "kvm-virtio");
	ASSERT_EQ(util_strv_length(m.items[3].drivers), 1);
	ASSERT_STREQ(m.items[3].drivers[0], "/other");
	batch_manifest_done(&m);
}

static void
assert_bad(const char *name, const char *content, const char *needle)
{
	_cleanup_free_ char *p = tmp_file(name, content);
	_cleanup_free_ char *error = NULL;
	struct batch_manifest m = {0};
	int r = batch_manifest_load(p, &m, &error);

	if (r >= 0 || !error || !strstr(error, needle) || !strstr(error, p))
		TEST_FAIL("%s: r=%d error=\"%s\", expected \"%s\"", name, r,
		          error ? error : "(none)", needle);
	ASSERT_EQ(m.n_items, 0);
}

TEST(manifest_errors)
{
	assert_bad("e1.json", "{\"images\": [{\"image\": \"a\"}", "not valid");
	assert_bad("e2.json", "{\"images\": [{\"img\": \"a\"}]}",
	           "image 1: bad or unknown key \"img\"");
	assert_bad("e3.json", "{\"images\": [{\"rules\": [\"x\"]}]}",
	           "image 1: no \"image\"");
	assert_bad("e4.json", "{\"images\": {}}", "must be an array");
	assert_bad("e5.json", "{\"images\": [], \"x\": 1}", "unknown key");
	assert_bad("e6.json",
	           "{\"images\": [{\"image\": \"a\", \"rules\": 3}]}",
	           "bad or unknown key \"rules\"");
	assert_bad("e7.json",
	           "{\"defaults\": {\"image\": \"a\"}, \"images\": []}",
	           "\"defaults\": bad or unknown key \"image\"");
	assert_bad("e8.json", "{\"images\": []} {}", "trailing data");
	assert_bad("e1.txt", "a.img\nb.img --bogus\n", ":2: unknown option");
	assert_bad("e2.txt", "a.img -r\n", ":1: unknown option or missing");
	assert_bad("e3.txt", "a.img \"b\n", ":1: unterminated quote");
	assert_bad("e4.txt", "a.img stray\n", "unexpected word 'stray'");
	assert_bad("e5.txt", "a.img --json\n", "unknown option");
}

TEST(item_argv)
{
	struct batch_item it = {.image = (char *)"-odd.img",
	                        .patch_cache = (char *)"/pc",
	                        .backup = (char *)"/b"};
	_cleanup_strv_free_ char **rules = NULL, **argv = NULL;
	_cleanup_free_ char *joined = NULL, *bk = NULL;

	ASSERT_OK(util_strv_push(&rules, "kvm-virtio"));
	it.rules = rules;
	ASSERT_OK(batch_item_argv(&it, 1, &argv));
	joined = util_strv_join(argv, " ");
	ASSERT_STREQ(joined, "imgfix -v --quiet fix --json --rules kvm-virtio "
	                     "--patch-cache /pc --backup /b -- -odd.img");
	bk = batch_item_backup_dir(&it);
	ASSERT_STREQ(bk, "/b");
	free(bk);
	it.backup = NULL;
	it.image = (char *)"/i/vm.img";
	bk = batch_item_backup_dir(&it);
	ASSERT_STREQ(bk, "/i/vm.img.imgfix");
}

TEST(journal_state)
{
	_cleanup_free_ char *d = tmp_path("jdir"), *j = NULL, *st = NULL;

	ASSERT_OK(util_mkdir_p(d));
	ASSERT_ERR(batch_journal_state(d, &st), -ENOENT);
	j = util_path_join(d, "journal.json");
	ASSERT_OK(util_write_file_atomic(j, "{\"state\": 3}", 12));
	ASSERT_ERR(batch_journal_state(d, &st), -EBADMSG);
	ASSERT_OK(util_write_file_atomic(j, "not json", 8));
	ASSERT_ERR(batch_journal_state(d, &st), -EBADMSG);
	ASSERT_OK(util_write_file_atomic(j, "{\"state\": \"complete\"}", 21));
	ASSERT_OK(batch_journal_state(d, &st));
	ASSERT_STREQ(st, "complete");
}

static const char report_fixed[] =
        "{\"command\": \"fix\", \"status\": \"fixed\", \"facts\": "
        "{\"os.product\": \"Windows Server 2019 Standard\"},"
        " \"plan\": {\"rules\": [{\"rule\": \"kvm-virtio/viostor\", "
        "\"actions\": []}, {\"rule\": \"kvm-virtio/netkvm\"}],"
        " \"ops\": [], \"problems\": [{\"rule\": \"kvm-virtio/balloon\", "
        "\"message\": \"balloon.inf not found\", \"hint\": \"add a store\","
        " \"blocking\": false}], \"warnings\": [\"w1\"], \"notes\": []}}";

static const char report_blocked[] =
        "{\"command\": \"fix\", \"status\": \"blocked\", \"facts\": {},"
        " \"plan\": {\"rules\": [], \"ops\": [], \"problems\": "
        "[{\"rule\": \"generic-ide/hal\", \"message\": \"halmacpi.dll "
        "5.2.3790.3959 missing\", \"hint\": \"imgfix patchcache add\","
        " \"blocking\": true}], \"warnings\": [], \"notes\": []}}";

static void
result_from(struct batch_result *r, const char *name, const char *report,
            const char *log, int exit_code)
{
	_cleanup_free_ char *rn = NULL, *ln = NULL;

	ASSERT_OK(util_asprintf(&rn, "%s.json", name));
	ASSERT_OK(util_asprintf(&ln, "%s.log", name));
	*r = (struct batch_result){.exit_code = exit_code};
	r->report = tmp_file(rn, report);
	r->log = tmp_file(ln, log);
	ASSERT_OK(batch_result_read(r));
}

TEST(result_read)
{
	struct batch_result r;

	result_from(&r, "r-fixed", report_fixed, "", 0);
	ASSERT_EQ(r.status, BATCH_FIXED);
	ASSERT_STREQ(r.guest, "Windows Server 2019 Standard");
	ASSERT_EQ(util_strv_length(r.rules), 2);
	ASSERT_STREQ(r.rules[1], "kvm-virtio/netkvm");
	ASSERT_EQ(util_strv_length(r.missing), 0);
	ASSERT_EQ(util_strv_length(r.warnings), 2);
	ASSERT_STREQ(r.warnings[0], "balloon.inf not found (add a store)");
	ASSERT_NULL(r.reason);
	batch_result_done(&r);

	/* "fixed" but a failing exit: the exit code wins. */
	result_from(&r, "r-fixed-exit", report_fixed, "x\nlast words\n\n", 1);
	ASSERT_EQ(r.status, BATCH_FAILED);
	ASSERT_STREQ(r.reason, "last words");
	batch_result_done(&r);

	result_from(&r, "r-blocked", report_blocked, "", 1);
	ASSERT_EQ(r.status, BATCH_BLOCKED);
	ASSERT_EQ(util_strv_length(r.missing), 1);
	ASSERT_STREQ(r.missing[0], "halmacpi.dll 5.2.3790.3959 missing "
	                           "(imgfix patchcache add)");
	ASSERT_TRUE(strstr(r.reason, "1 blocking problem"));
	batch_result_done(&r);

	result_from(&r, "r-garbage", "{\"status\": \"fix", "", 1);
	ASSERT_EQ(r.status, BATCH_FAILED);
	ASSERT_TRUE(strstr(r.reason, "not valid JSON"));
	batch_result_done(&r);

	result_from(&r, "r-empty", "", "imgfix: error: Failed to open\n", 1);
	ASSERT_EQ(r.status, BATCH_FAILED);
	ASSERT_STREQ(r.reason, "imgfix: error: Failed to open");
	batch_result_done(&r);

	result_from(&r, "r-nothing", "{\"status\": \"nothing-to-do\"}", "", 3);
	ASSERT_EQ(r.status, BATCH_NOTHING);
	ASSERT_TRUE(batch_status_ok(r.status));
	batch_result_done(&r);

	r = (struct batch_result){.signal = 9, .exit_code = -1};
	ASSERT_OK(batch_result_read(&r));
	ASSERT_EQ(r.status, BATCH_FAILED);
	ASSERT_TRUE(util_startswith(r.reason, "killed by signal 9 ("));
	batch_result_done(&r);
}

/* ---- HTML ---------------------------------------------------------------- */

static int html_errors;

static void
count_error(void *ctx, xmlErrorPtr e)
{
	html_errors++;
	fprintf(stderr, "HTML parser: line %d: %s", e->line,
	        e->message ? e->message : "?\n");
}

/* Parses the page with the HTML parser, errors on, and returns it. */
static htmlDocPtr
parse_html(const char *path)
{
	_cleanup_free_ char *buf = NULL;
	htmlDocPtr doc;
	size_t len;

	ASSERT_OK(util_read_file(path, 16 * 1024 * 1024, &buf, &len));
	html_errors = 0;
	xmlSetStructuredErrorFunc(NULL, count_error);
	/* No HTML_PARSE_NOERROR: every error is counted. */
	doc = htmlReadMemory(buf, (int)len, path, "UTF-8", HTML_PARSE_NONET);
	xmlSetStructuredErrorFunc(NULL, NULL);
	ASSERT_NOT_NULL(doc);
	return doc;
}

static xmlXPathObjectPtr
xpath(htmlDocPtr doc, const char *expr)
{
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathObjectPtr o;

	ASSERT_NOT_NULL(ctx);
	o = xmlXPathEvalExpression((const xmlChar *)expr, ctx);
	xmlXPathFreeContext(ctx);
	ASSERT_NOT_NULL(o);
	return o;
}

static size_t
xpath_count(htmlDocPtr doc, const char *expr)
{
	xmlXPathObjectPtr o = xpath(doc, expr);
	size_t n = o->nodesetval ? (size_t)o->nodesetval->nodeNr : 0;

	xmlXPathFreeObject(o);
	return n;
}

static char *
xpath_string(htmlDocPtr doc, const char *expr)
{
	_cleanup_free_ char *e = NULL;
	xmlXPathObjectPtr o;
	char *s;

	ASSERT_OK(util_asprintf(&e, "string(%s)", expr));
	o = xpath(doc, e);
	s = strdup((const char *)o->stringval);
	xmlXPathFreeObject(o);
	return s;
}

TEST(html_summary)
{
	static const char hostile[] = "<script>alert(\"x\")</script> & 'q' "
	                              "\x01 \xff\xfe \xed\xa0\x80";
	_cleanup_free_ char *html = tmp_path("summary.html");
	_cleanup_free_ char *json = tmp_path("summary.json");
	_cleanup_free_ char *js = NULL;
	char *s;
	struct batch_item items[3] = {
	        {.image = (char *)"/v/one.img"},
	        {.image = (char *)"/v/<two>&\"three\".img"},
	        {.image = (char *)"/v/four.img"},
	};
	struct batch_manifest m = {
	        .path = (char *)"wave <1>.json", .items = items, .n_items = 3};
	struct batch_result res[3];
	htmlDocPtr doc;

	result_from(&res[0], "h-fixed", report_fixed, "", 0);
	result_from(&res[1], "h-blocked", report_blocked, "", 1);
	res[2] = (struct batch_result){.status = BATCH_FAILED, .exit_code = 1};
	res[2].reason = strdup(hostile);
	ASSERT_OK(util_strv_push(&res[2].missing, hostile));
	ASSERT_OK(batch_summary_html(&m, res, html));
	ASSERT_OK(batch_summary_json(&m, res, json));

	doc = parse_html(html);
	ASSERT_EQ(html_errors, 0);
	/* Every image has its row, in order, with its status. */
	ASSERT_EQ(xpath_count(doc, "//table[@class='images']/tbody/tr"), 3);
	s = xpath_string(doc, "//tr[@id='image-2']/td[2]");
	ASSERT_STREQ(s, "/v/<two>&\"three\".img");
	free(s);
	s = xpath_string(doc, "//tr[@id='image-1']/td[4]/span");
	ASSERT_STREQ(s, "fixed");
	free(s);
	s = xpath_string(doc, "//tr[@id='image-1']/td[3]");
	ASSERT_STREQ(s, "Windows Server 2019 Standard");
	free(s);
	s = xpath_string(doc, "//tr[@id='image-1']/td[5]/ul/li[1]");
	ASSERT_STREQ(s, "kvm-virtio/viostor");
	free(s);
	s = xpath_string(doc, "//tr[@id='image-2']/td[6]/ul/li[1]");
	ASSERT_TRUE(strstr(s, "halmacpi.dll"));
	free(s);
	s = xpath_string(doc, "//tr[@id='image-3']/td[4]/span");
	ASSERT_STREQ(s, "failed");
	free(s);
	/* The report link is relative: the page is beside the reports. */
	s = xpath_string(doc, "//tr[@id='image-1']/td[8]/a[1]/@href");
	ASSERT_STREQ(s, "h-fixed.json");
	free(s);
	/* Hostile text stays text: no script element, no stray markup. */
	ASSERT_EQ(xpath_count(doc, "//script"), 0);
	ASSERT_EQ(xpath_count(doc, "//two"), 0);
	s = xpath_string(doc, "//tr[@id='image-3']/td[6]/ul/li[1]");
	ASSERT_TRUE(util_startswith(s, "<script>alert(\"x\")</script> & 'q' "));
	free(s);
	/* No external resources. */
	ASSERT_EQ(xpath_count(doc, "//link|//img|//*[@src]"), 0);
	ASSERT_EQ(xpath_count(doc, "//style"), 1);
	xmlFreeDoc(doc);

	ASSERT_OK(util_read_file(json, 1 << 20, &js, NULL));
	ASSERT_TRUE(strstr(js, "\"failed\": 1"));
	ASSERT_TRUE(strstr(js, "\"blocked\": 1"));
	ASSERT_TRUE(strstr(js, "\"ok\": false"));
	for (int i = 0; i < 3; i++)
		batch_result_done(&res[i]);
}

/* ---- the command ------------------------------------------------------------
 */

static int
run_imgfix(char *const *argv)
{
	pid_t pid = fork();
	int st;

	ASSERT_TRUE(pid >= 0);
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	ASSERT_EQ(waitpid(pid, &st, 0), pid);
	ASSERT_TRUE(WIFEXITED(st));
	return WEXITSTATUS(st);
}

TEST(batch_command)
{
	const char *build = getenv("IMGFIX_BUILD_ROOT");
	_cleanup_free_ char *bin = NULL, *man = NULL, *rep = NULL;
	_cleanup_free_ char *html = NULL, *sum = NULL, *jdir = NULL;
	_cleanup_free_ char *jf = NULL, *buf = NULL;
	htmlDocPtr doc;

	if (!build)
		TEST_SKIP("IMGFIX_BUILD_ROOT not set");
	bin = util_path_join(build, "fixup/imgfix");
	/* Three images that cannot be fixed (missing, not a disk, a
	 * directory without an OS) and one whose journal is complete. */
	jdir = tmp_path("done.img.imgfix");
	ASSERT_OK(util_mkdir_p(jdir));
	jf = util_path_join(jdir, "journal.json");
	ASSERT_OK(util_write_file_atomic(jf, "{\"state\": \"complete\"}", 21));
	free(tmp_file("done.img", "x"));
	free(tmp_file("garbage.img", "not a disk image"));
	{
		_cleanup_free_ char *d = tmp_path("emptydir");
		ASSERT_OK(util_mkdir_p(d));
	}
	man = tmp_file("batch.txt", "-r kvm-virtio\n"
	                            "missing.img\n"
	                            "garbage.img\n"
	                            "emptydir\n"
	                            "done.img\n");
	rep = tmp_path("reports");
	{
		char *argv[] = {bin,
		                (char *)"--quiet",
		                (char *)"batch",
		                (char *)"-j",
		                (char *)"2",
		                (char *)"--report-dir",
		                rep,
		                man,
		                NULL};

		ASSERT_EQ(run_imgfix(argv), 1);
	}
	sum = util_path_join(rep, "summary.json");
	ASSERT_OK(util_read_file(sum, 1 << 20, &buf, NULL));
	ASSERT_TRUE(strstr(buf, "\"failed\": 3"));
	ASSERT_TRUE(strstr(buf, "\"skipped\": 1"));
	html = util_path_join(rep, "summary.html");
	doc = parse_html(html);
	ASSERT_EQ(html_errors, 0);
	ASSERT_EQ(xpath_count(doc, "//table[@class='images']/tbody/tr"), 4);
	ASSERT_EQ(xpath_count(doc, "//tr[@class='failed']"), 3);
	ASSERT_EQ(xpath_count(doc, "//tr[@class='skipped']"), 1);
	/* Each failure has its report and log, and a reason. */
	ASSERT_EQ(xpath_count(doc, "//tr[@class='failed']/td[8]/a"), 6);
	for (int i = 1; i <= 3; i++) {
		_cleanup_free_ char *e = NULL, *s = NULL;

		ASSERT_OK(util_asprintf(&e, "//tr[@id='image-%d']/td[4]", i));
		s = xpath_string(doc, e);
		ASSERT_TRUE(strlen(s) > strlen("failed"));
	}
	{
		_cleanup_free_ char *s = xpath_string(
		        doc, "//tr[@id='image-1']/td[8]/a[2]/@href");
		_cleanup_free_ char *p = util_path_join(rep, s);

		ASSERT_STREQ(s, "001-missing.img.log");
		ASSERT_EQ(access(p, R_OK), 0);
	}
	xmlFreeDoc(doc);

	/* Usage errors. */
	{
		char *argv[] = {bin,          (char *)"batch",
		                (char *)"-j", (char *)"0",
		                man,          NULL};
		ASSERT_EQ(run_imgfix(argv), 2);
	}
	{
		_cleanup_free_ char *bad =
		        tmp_file("bad.json", "{\"images\": 1}");
		char *argv[] = {bin, (char *)"batch", bad, NULL};
		ASSERT_EQ(run_imgfix(argv), 1);
	}
	{
		_cleanup_free_ char *empty = tmp_file("empty.txt", "# none\n");
		char *argv[] = {bin, (char *)"batch", empty, NULL};
		ASSERT_EQ(run_imgfix(argv), 3);
	}
}
