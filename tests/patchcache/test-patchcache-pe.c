/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The PE reader on PE files built at test time by mingw-w64 (i386 and
 * amd64, with and without a version resource), and on truncated and
 * mutated copies of them: errors, never a crash.
 */
#include "tests.h"
#include "pcache-test-util.h"

static char *
build(const char *arch, const char *version, const char *name)
{
	_cleanup_free_ char *dir = NULL;
	char *p;

	if (util_asprintf(&dir, "%s/%s-%s", tests_tmpdir(), arch, version) < 0)
		TEST_FAIL("OOM");
	pt_mkpe(dir, arch, version, name);
	p = util_path_join(dir, name);
	ASSERT_NOT_NULL(p);
	return p;
}

TEST(version_parse_format)
{
	char buf[PCACHE_VERSION_STRLEN];
	uint64_t v;

	ASSERT_OK(pcache_version_parse("5.1.2600.5512", &v));
	ASSERT_EQ(v, PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_STREQ(pcache_version_format(v, buf), "5.1.2600.5512");
	ASSERT_OK(pcache_version_parse("6.0", &v));
	ASSERT_EQ(v, PCACHE_VERSION(6, 0, 0, 0));
	ASSERT_ERR(pcache_version_parse("5.1.70000.1", &v), -EINVAL);
	ASSERT_ERR(pcache_version_parse("5..1", &v), -EINVAL);
	ASSERT_ERR(pcache_version_parse("5.1.2.3.4", &v), -EINVAL);
	ASSERT_ERR(pcache_version_parse("", &v), -EINVAL);
	ASSERT_TRUE(PCACHE_VERSION(5, 1, 2600, 5512) >
	            PCACHE_VERSION(5, 1, 2600, 2180));
}

TEST(i386_dll)
{
	_cleanup_free_ char *p = build("i386", "5.1.2600.5512", "halmacpi.dll");
	struct pcache_pe_info pi;

	ASSERT_OK(pcache_pe_read_file(p, &pi));
	ASSERT_EQ(pi.machine, PCACHE_PE_MACHINE_I386);
	ASSERT_EQ(pi.arch, PCACHE_ARCH_I386);
	ASSERT_EQ(pi.subsystem, 1); /* native */
	ASSERT_TRUE(pi.has_version);
	ASSERT_EQ(pi.file_version, PCACHE_VERSION(5, 1, 2600, 5512));
	ASSERT_EQ(pi.product_version, PCACHE_VERSION(5, 1, 2600, 5512));
}

TEST(amd64_sys)
{
	_cleanup_free_ char *p = build("amd64", "5.2.3790.3959", "atapi.sys");
	struct pcache_pe_info pi;

	ASSERT_OK(pcache_pe_read_file(p, &pi));
	ASSERT_EQ(pi.machine, PCACHE_PE_MACHINE_AMD64);
	ASSERT_EQ(pi.arch, PCACHE_ARCH_AMD64);
	ASSERT_TRUE(pi.has_version);
	ASSERT_EQ(pi.file_version, PCACHE_VERSION(5, 2, 3790, 3959));
}

TEST(no_version_resource)
{
	_cleanup_free_ char *p = build("i386", "none", "plain.exe");
	struct pcache_pe_info pi;

	ASSERT_OK(pcache_pe_read_file(p, &pi));
	ASSERT_EQ(pi.arch, PCACHE_ARCH_I386);
	ASSERT_TRUE(!pi.has_version);
}

TEST(not_pe)
{
	static const char text[] = "MZ but nothing else of a PE file, just "
	                           "text that goes on for a while........";
	struct pcache_pe_info pi;
	uint8_t zeros[512] = {0};

	ASSERT_ERR(pcache_pe_parse(zeros, sizeof(zeros), &pi), -EBADMSG);
	ASSERT_ERR(pcache_pe_parse(text, sizeof(text), &pi), -EBADMSG);
	ASSERT_ERR(pcache_pe_parse(text, 2, &pi), -EBADMSG);
	ASSERT_ERR(pcache_pe_parse(NULL, 0, &pi), -EBADMSG);
}

/* Every truncation of a good file either parses or is -EBADMSG; cutting
 * into the version resource must be an error. */
TEST(truncated)
{
	_cleanup_free_ char *p = build("i386", "5.1.2600.5512", "ntoskrnl.exe");
	_cleanup_free_ char *buf = NULL;
	struct pcache_pe_info pi;
	size_t len;
	unsigned errors = 0;

	ASSERT_OK(util_read_file(p, 1 << 20, &buf, &len));
	for (size_t n = 0; n < len; n++) {
		_cleanup_free_ uint8_t *copy = malloc(n ? n : 1);
		int r;

		ASSERT_NOT_NULL(copy);
		memcpy(copy, buf, n);
		r = pcache_pe_parse(copy, n, &pi);
		ASSERT_TRUE(r == 0 || r == -EBADMSG);
		if (r < 0)
			errors++;
		else
			ASSERT_TRUE(!pi.has_version ||
			            pi.file_version ==
			                    PCACHE_VERSION(5, 1, 2600, 5512));
	}
	/* The resource section sits at the end: most prefixes fail. */
	ASSERT_TRUE(errors > len / 2);
}

/* Deterministic mutations of header and resource bytes. */
TEST(mutated)
{
	_cleanup_free_ char *p =
	        build("amd64", "5.2.3790.1830", "ntkrnlmp.exe");
	_cleanup_free_ char *buf = NULL;
	struct pcache_pe_info pi;
	uint32_t seed = 12345;
	size_t len;
	unsigned ok = 0;

	ASSERT_OK(util_read_file(p, 1 << 20, &buf, &len));
	for (unsigned i = 0; i < 20000; i++) {
		_cleanup_free_ uint8_t *copy = malloc(len);
		int r;

		ASSERT_NOT_NULL(copy);
		memcpy(copy, buf, len);
		for (unsigned k = 0; k < 1 + i % 4; k++) {
			size_t off;

			seed = seed * 1103515245u + 12345u;
			/* Half into the headers, half anywhere. */
			off = (seed >> 8) % (i % 2 ? len : MIN(len, 512u));
			seed = seed * 1103515245u + 12345u;
			copy[off] = (uint8_t)(seed >> 16);
		}
		r = pcache_pe_parse(copy, len, &pi);
		ASSERT_TRUE(r == 0 || r == -EBADMSG);
		if (r == 0)
			ok++;
	}
	ASSERT_TRUE(ok > 0);
}
