/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux distribution detection from the release files (see
 * linux-release.h for the order and the vocabulary).
 *
 * os-release and lsb-release are KEY=VALUE lines with shell-style quoting
 * (os-release(5)); only the subset that format allows is understood: one
 * assignment per line, a value in double or single quotes or bare,
 * backslash escapes of \" \\ \$ \` inside double quotes.  The other
 * release files are read for their first line only.
 */
#include <ctype.h>

#include "linux/linux-release.h"
#include "util.h"

/* Parses one KEY=VALUE value in place; returns it (inside line). */
static char *
unquote(char *v)
{
	char *out = v, *in = v;
	char q = 0;

	if (*in == '"' || *in == '\'')
		q = *in++;
	while (*in && *in != '\n') {
		if (q && *in == q)
			break;
		if (q == '"' && in[0] == '\\' && in[1] &&
		    strchr("\"\\$`", in[1]))
			in++;
		if (!q && isspace((unsigned char)*in))
			break;
		*out++ = *in++;
	}
	*out = '\0';
	return v;
}

static int
parse_kv(char *buf, struct util_strmap **ret)
{
	_cleanup_(util_strmap_freep) struct util_strmap *m = util_strmap_new();
	char *save = NULL;
	int r;

	if (!m)
		return -ENOMEM;
	for (char *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *eq;

		line += strspn(line, " \t");
		if (*line == '#' || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		if (!*line ||
		    strspn(line, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_0123456789") !=
		            strlen(line))
			continue;
		r = util_strmap_set(m, line, unquote(eq + 1));
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(m);
	return 0;
}

/*
 * "12" -> "12.0", "22.04" -> "22.04", "7.9.2009" -> "7.9", "release 14"
 * -> "14.0"; NULL (and *ret_minor false) when s holds no number.
 * *ret_minor says whether s had a minor number.
 */
static char *
major_minor(const char *s, bool *ret_minor)
{
	size_t a, b;
	char *r = NULL;

	*ret_minor = false;
	if (!s)
		return NULL;
	s += strcspn(s, "0123456789");
	a = strspn(s, "0123456789");
	if (a == 0 || a > 9)
		return NULL;
	if (s[a] == '.' && (b = strspn(s + a + 1, "0123456789")) > 0 &&
	    b <= 9) {
		*ret_minor = true;
		return util_strndup0(s, a + 1 + b);
	}
	if (util_asprintf(&r, "%.*s.0", (int)a, s) < 0)
		return NULL;
	return r;
}

void
linux_release_done(struct linux_release *r)
{
	free(r->distro);
	free(r->like);
	free(r->product);
	free(r->version);
	free(r->file);
	*r = (struct linux_release){0};
}

static int
set_str(char **p, const char *v)
{
	char *n = NULL;

	if (v && !(n = strdup(v)))
		return -ENOMEM;
	free(*p);
	*p = n;
	return 0;
}

/* What names the distribution: id, like and product (NULL: unset). */
static int
set_id(struct linux_release *rel, const char *distro, const char *like,
       const char *product)
{
	int r;

	if ((r = set_str(&rel->distro, distro)) < 0 ||
	    (r = set_str(&rel->like, like)) < 0)
		return r;
	return set_str(&rel->product, product);
}

/* Reads a release file through the tree: 1 and *ret, 0 when absent. */
static int
read_release(struct linux_tree *t, const char *path, char **ret)
{
	int r = linux_tree_read_file(t, path, LINUX_RELEASE_MAX, ret, NULL);

	if (r == -ENOENT || r == -ENOTDIR || r == -EISDIR || r == -ELOOP) {
		fixup_clear_error();
		return 0;
	}
	if (r == -EFBIG)
		return fixup_set_error(-EBADMSG,
		                       "%s: larger than %u bytes: not a "
		                       "release file",
		                       path, LINUX_RELEASE_MAX);
	return r < 0 ? r : 1;
}

/* ---- the parsers, one per kind of file ---------------------------------- */

/* os-release IDs that need no mapping are kept as they are; these are
 * the distributions whose os-release is known to lack a full version. */
static bool
needs_full_version(const char *distro)
{
	return streq(distro, "debian") || streq(distro, "centos");
}

static int
parse_os_release(char *buf, struct linux_release *rel)
{
	_cleanup_(util_strmap_freep) struct util_strmap *m = NULL;
	const char *id, *ver;
	bool minor;
	int r;

	r = parse_kv(buf, &m);
	if (r < 0)
		return r;
	id = util_strmap_get(m, "ID");
	if (!id || !*id)
		return 0;
	r = set_id(rel, id, util_strmap_get(m, "ID_LIKE"),
	           util_strmap_get(m, "PRETTY_NAME")
	                   ? util_strmap_get(m, "PRETTY_NAME")
	                   : util_strmap_get(m, "NAME"));
	if (r < 0)
		return r;
	ver = util_strmap_get(m, "VERSION_ID");
	free(rel->version);
	rel->version = major_minor(ver, &minor);
	if (ver && !rel->version && *ver && isdigit((unsigned char)*ver))
		return -ENOMEM;
	/* Debian and CentOS say "12" / "7": the distribution file has the
	 * minor number (libguestfs reads on too). */
	return needs_full_version(id) && !minor ? 2 : 1;
}

static int
parse_lsb_release(char *buf, struct linux_release *rel)
{
	static const struct {
		const char *lsb_id, *distro, *like;
	} ids[] = {
	        {"Ubuntu", "ubuntu", "debian"},
	        {"LinuxMint", "linuxmint", "ubuntu debian"},
	        {"Kali", "kali", "debian"},
	        {"Mandriva", "mandriva", "mandriva"},
	        {"Mageia", "mageia", "mandriva"},
	};
	_cleanup_(util_strmap_freep) struct util_strmap *m = NULL;
	const char *id;
	bool minor;
	int r;

	r = parse_kv(buf, &m);
	if (r < 0)
		return r;
	id = util_strmap_get(m, "DISTRIB_ID");
	for (size_t i = 0; id && i < ELEMENTSOF(ids); i++) {
		if (!strcaseeq(id, ids[i].lsb_id))
			continue;
		r = set_id(rel, ids[i].distro, ids[i].like,
		           util_strmap_get(m, "DISTRIB_DESCRIPTION"));
		if (r < 0)
			return r;
		free(rel->version);
		rel->version = major_minor(
		        util_strmap_get(m, "DISTRIB_RELEASE"), &minor);
		return 1;
	}
	return 0; /* Debian's lsb-release etc.: the next file decides */
}

/* First line of buf, trimmed, in place. */
static char *
first_line(char *buf)
{
	char *s = buf + strspn(buf, " \t\r\n");
	size_t n = strcspn(s, "\r\n");

	while (n > 0 && isspace((unsigned char)s[n - 1]))
		n--;
	s[n] = '\0';
	return s;
}

/* "CentOS Linux release 7.9.2009 (Core)" and its relatives. */
static const char *
redhat_distro(const char *line)
{
	static const struct {
		const char *words, *distro;
	} names[] = {
	        {"Fedora", "fedora"},
	        {"Red Hat Enterprise Linux", "rhel"},
	        {"CentOS", "centos"},
	        {"Rocky Linux", "rocky"},
	        {"AlmaLinux", "almalinux"},
	        {"Scientific Linux", "scientific"},
	        {"Oracle Linux", "ol"},
	        {"CloudLinux", "cloudlinux"},
	};

	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strstr(line, names[i].words))
			return names[i].distro;
	return "redhat-based";
}

/* The distribution files: first line = product, version in it. */
static int
parse_generic(char *buf, const char *distro, const char *like,
              struct linux_release *rel)
{
	char *line = first_line(buf);
	bool minor;
	int r;

	if (!*line)
		return 0;
	r = set_id(rel, distro, like, line);
	if (r < 0)
		return r;
	free(rel->version);
	rel->version = major_minor(line, &minor);
	return 1;
}

/* SuSE-release: "openSUSE 13.1 (x86_64)" then VERSION = / PATCHLEVEL =. */
static int
parse_suse(char *buf, struct linux_release *rel)
{
	char *end = buf + strlen(buf);
	char *line = first_line(buf), *rest = line + strlen(line);
	const char *ver = NULL, *patch = NULL;
	_cleanup_free_ char *v = NULL;
	int r;

	if (rest < end)
		rest++; /* past the NUL first_line() put there */

	if (!*line)
		return 0;
	r = parse_generic(line,
	                  strcasestr(line, "opensuse") ? "opensuse" : "sles",
	                  "suse", rel);
	if (r <= 0)
		return r;
	/* first_line() cut the buffer: the rest follows its NUL */
	for (char *save = NULL, *l = strtok_r(rest, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save)) {
		const char *s;

		if ((s = util_startswith(l, "VERSION = ")))
			ver = s;
		else if ((s = util_startswith(l, "PATCHLEVEL = ")))
			patch = s;
	}
	if (ver && strspn(ver, "0123456789") == strlen(ver) && *ver &&
	    strlen(ver) < 10) {
		if (util_asprintf(&v, "%s.%s", ver,
		                  patch && *patch &&
		                                  strspn(patch, "0123456789") ==
		                                          strlen(patch) &&
		                                  strlen(patch) < 10
		                          ? patch
		                          : "0") < 0)
			return -ENOMEM;
		free(rel->version);
		rel->version = TAKE_PTR(v);
	}
	return 1;
}

enum release_kind { K_OS_RELEASE, K_LSB, K_REDHAT, K_SUSE, K_GENERIC };

static const struct {
	const char *path;
	enum release_kind kind;
	const char *distro, *like;
} release_files[] = {
        {"/etc/os-release", K_OS_RELEASE, NULL, NULL},
        {"/usr/lib/os-release", K_OS_RELEASE, NULL, NULL},
        {"/etc/lsb-release", K_LSB, NULL, NULL},
        {"/etc/altlinux-release", K_GENERIC, "altlinux", "altlinux"},
        {"/etc/oracle-release", K_GENERIC, "ol", "rhel fedora"},
        {"/etc/fedora-release", K_GENERIC, "fedora", "fedora"},
        {"/etc/redhat-release", K_REDHAT, NULL, "rhel fedora"},
        {"/etc/debian_version", K_GENERIC, "debian", "debian"},
        {"/etc/pardus-release", K_GENERIC, "pardus", "pardus"},
        {"/etc/arch-release", K_GENERIC, "arch", "arch"},
        {"/etc/gentoo-release", K_GENERIC, "gentoo", "gentoo"},
        {"/etc/meego-release", K_GENERIC, "meego", "meego"},
        {"/etc/slackware-version", K_GENERIC, "slackware", "slackware"},
        {"/etc/SuSE-release", K_SUSE, NULL, "suse"},
        {"/etc/alpine-release", K_GENERIC, "alpine", "alpine"},
        {"/etc/frugalware-release", K_GENERIC, "frugalware", "frugalware"},
        {"/etc/pld-release", K_GENERIC, "pld", "pld"},
};

/* A file that exists but is empty still says which distribution it is
 * (Arch's /etc/arch-release is empty). */
static int
parse_one(size_t i, char *buf, struct linux_release *rel)
{
	int r;

	switch (release_files[i].kind) {
	case K_OS_RELEASE:
		return parse_os_release(buf, rel);
	case K_LSB:
		return parse_lsb_release(buf, rel);
	case K_REDHAT:
		return parse_generic(buf, redhat_distro(first_line(buf)),
		                     release_files[i].like, rel);
	case K_SUSE:
		return parse_suse(buf, rel);
	case K_GENERIC:
		r = parse_generic(buf, release_files[i].distro,
		                  release_files[i].like, rel);
		if (r == 0 && streq(release_files[i].distro, "arch")) {
			/* rolling: no version */
			r = set_id(rel, "arch", "arch", "Arch Linux");
			return r < 0 ? r : 1;
		}
		return r;
	}
	return 0;
}

/* os-release decided (Debian, CentOS) but gave the major number only:
 * the same distribution's own file completes the version.  1 when file i
 * is that file, 0 when it is another distribution's. */
static int
complete_version(size_t i, char *buf, struct linux_release *rel)
{
	const char *line = first_line(buf);
	const char *d = release_files[i].kind == K_REDHAT
	                        ? redhat_distro(line)
	                        : release_files[i].distro;
	_cleanup_free_ char *ver = NULL;
	bool minor;

	if (release_files[i].kind == K_LSB || !streq_ptr(d, rel->distro))
		return 0;
	ver = major_minor(line, &minor);
	if (ver && minor) {
		free(rel->version);
		rel->version = TAKE_PTR(ver);
		return set_str(&rel->file, release_files[i].path) < 0 ? -ENOMEM
		                                                      : 1;
	}
	return 1;
}

int
linux_release_detect(struct linux_tree *t, struct linux_release *ret)
{
	struct linux_release rel = {0};
	bool completing = false;
	int r = 0;

	for (size_t i = 0; i < ELEMENTSOF(release_files); i++) {
		_cleanup_free_ char *buf = NULL;
		int k;

		r = read_release(t, release_files[i].path, &buf);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		if (completing) {
			r = complete_version(i, buf, &rel);
			if (r != 0)
				break;
			continue;
		}
		k = r = parse_one(i, buf, &rel);
		if (r < 0)
			break;
		if (r == 0)
			continue;
		r = set_str(&rel.file, release_files[i].path);
		if (r < 0)
			break;
		if (k == 2) {
			completing = true;
			continue;
		}
		break;
	}
	if (r < 0 || !rel.distro) {
		linux_release_done(&rel);
		return r < 0 ? r : 0;
	}
	*ret = rel;
	return 1;
}

/* ---- what follows from the distribution --------------------------------- */

static bool
word_in(const char *words, const char *w)
{
	_cleanup_strv_free_ char **l = NULL;

	if (!words || util_strv_split(words, " \t", &l) < 0)
		return false;
	return util_strv_contains(l, w);
}

const char *
linux_release_family(const struct linux_release *r)
{
	static const struct {
		const char *word, *family;
	} fam[] = {
	        {"rhel", "rhel"},       {"fedora", "rhel"},
	        {"centos", "rhel"},     {"rocky", "rhel"},
	        {"almalinux", "rhel"},  {"ol", "rhel"},
	        {"scientific", "rhel"}, {"redhat-based", "rhel"},
	        {"debian", "debian"},   {"ubuntu", "debian"},
	        {"suse", "suse"},       {"opensuse", "suse"},
	        {"sles", "suse"},       {"arch", "arch"},
	        {"alpine", "alpine"},
	};
	const char *srcs[2] = {r->distro, r->like};

	for (size_t s = 0; s < 2; s++) {
		_cleanup_strv_free_ char **words = NULL;

		if (!srcs[s] || util_strv_split(srcs[s], " \t", &words) < 0)
			continue;
		STRV_FOREACH (w, words) {
			for (size_t i = 0; i < ELEMENTSOF(fam); i++)
				if (strcaseeq(*w, fam[i].word))
					return fam[i].family;
			if (util_startswith_case(*w, "opensuse"))
				return "suse";
		}
	}
	return r->distro;
}

const char *
linux_package_format(const struct linux_release *r)
{
	const char *fam = linux_release_family(r);

	if (streq(fam, "rhel") || streq(fam, "suse") ||
	    streq(r->distro, "mageia") || streq(r->distro, "mandriva") ||
	    streq(r->distro, "altlinux") || word_in(r->like, "mandriva"))
		return "rpm";
	if (streq(fam, "debian"))
		return "deb";
	if (streq(fam, "arch"))
		return "pacman";
	if (streq(fam, "alpine"))
		return "apk";
	if (streq(r->distro, "gentoo"))
		return "ebuild";
	if (streq(r->distro, "void"))
		return "xbps";
	if (streq(r->distro, "pardus"))
		return "pisi";
	return NULL;
}

static unsigned
major_of(const struct linux_release *r)
{
	uint32_t m = 0;
	_cleanup_free_ char *s = NULL;

	if (!r->version)
		return 0;
	s = util_strndup0(r->version, strcspn(r->version, "."));
	if (!s || util_parse_u32(s, &m) < 0)
		return 0;
	return m;
}

const char *
linux_package_manager(const struct linux_release *r, struct linux_tree *t)
{
	const char *fam = linux_release_family(r);
	unsigned major = major_of(r);

	if (streq(r->distro, "fedora")) {
		struct fixup_stat st;

		if (major >= 22 && linux_tree_stat(t, "/usr/bin/dnf", &st) >= 0)
			return "dnf";
		fixup_clear_error();
		return major >= 1 ? "yum" : NULL;
	}
	if (streq(fam, "rhel")) {
		if (major >= 8)
			return "dnf";
		if (major >= 5)
			return "yum";
		return major >= 2 ? "up2date" : NULL;
	}
	if (streq(fam, "debian"))
		return "apt";
	if (streq(fam, "suse"))
		return "zypper";
	if (streq(fam, "arch"))
		return "pacman";
	if (streq(fam, "alpine"))
		return "apk";
	if (streq(r->distro, "gentoo"))
		return "portage";
	if (streq(r->distro, "mageia") || streq(r->distro, "mandriva"))
		return "urpmi";
	if (streq(r->distro, "void"))
		return "xbps";
	if (streq(r->distro, "pardus"))
		return "pisi";
	return NULL;
}
