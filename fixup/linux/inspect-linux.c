/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux inspection: a volume is a Linux root when it has etc/os-release
 * (or usr/lib/os-release), or a legacy distro file (etc/redhat-release,
 * etc/SuSE-release, etc/debian_version).  Facts: see inspect.h.
 *
 * os-release is KEY=VALUE lines with shell-style quoting (os-release(5));
 * only the subset that file format allows is understood: one assignment per
 * line, a value in double or single quotes or bare, backslash escapes of
 * \" \\ \$ \` inside double quotes.
 */
#include <ctype.h>

#include "engine/inspect.h"
#include "util.h"
#include "image/volume.h"

#define OS_RELEASE_MAX (64u * 1024)
#define FSTAB_MAX (1024u * 1024)
#define ELF_HEADER_READ 64u

static const char *const os_release_paths[] = {"/etc/os-release",
                                               "/usr/lib/os-release"};

/* Parses one os-release value in place; returns it (inside line). */
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
parse_os_release(char *buf, struct util_strmap *m)
{
	char *save = NULL;
	int r;

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
	return 0;
}

/* "12" -> "12.0", "22.04" -> "22.04", "7.9.2009" -> "7.9"; NULL if no
 * leading number. */
static char *
major_minor(const char *s)
{
	size_t a, b;
	char *r = NULL;

	if (!s)
		return NULL;
	s += strcspn(s, "0123456789");
	a = strspn(s, "0123456789");
	if (a == 0)
		return NULL;
	if (s[a] == '.' && (b = strspn(s + a + 1, "0123456789")) > 0)
		r = util_strndup0(s, a + 1 + b);
	else if (util_asprintf(&r, "%.*s.0", (int)a, s) < 0)
		r = NULL;
	return r;
}

static const char *
linux_family(const char *id, const char *like)
{
	static const struct {
		const char *word, *family;
	} fam[] = {
	        {"rhel", "rhel"},     {"fedora", "rhel"},   {"centos", "rhel"},
	        {"debian", "debian"}, {"ubuntu", "debian"}, {"suse", "suse"},
	        {"opensuse", "suse"}, {"sles", "suse"},     {"arch", "arch"},
	        {"alpine", "alpine"},
	};
	const char *srcs[2] = {id, like};

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
	return id;
}

static int
arch_fact(struct fixup_volume *v, struct util_strmap *facts)
{
	static const char *const bins[] = {"/bin/sh", "/usr/bin/sh",
	                                   "/bin/bash", "/usr/bin/bash"};
	uint8_t h[ELF_HEADER_READ];

	for (size_t i = 0; i < ELEMENTSOF(bins); i++) {
		size_t n = 0;
		const char *a = NULL;

		if (fixup_volume_read_at(v, bins[i], 0, h, sizeof(h), &n) < 0 ||
		    n < 20 || memcmp(h, "\177ELF", 4) != 0 || h[5] != 1)
			continue; /* absent, short, not little-endian ELF */
		switch (util_le16(h + 18)) {
		case 3:
			a = "i386";
			break;
		case 62:
			a = "x86_64";
			break;
		case 183:
			a = "aarch64";
			break;
		default:
			break;
		}
		if (a)
			return util_strmap_set(facts, "os.arch", a);
	}
	return 0;
}

/* linux.initramfs_tool: the tool whose configuration the guest carries. */
static int
initramfs_tool_fact(struct fixup_volume *v, struct util_strmap *facts)
{
	static const struct {
		const char *path, *tool;
	} probes[] = {
	        {"/etc/dracut.conf.d", "dracut"},
	        {"/etc/dracut.conf", "dracut"},
	        {"/etc/initramfs-tools", "initramfs-tools"},
	        {"/etc/sysconfig/kernel", "mkinitrd"},
	};
	struct fixup_stat st;

	for (size_t i = 0; i < ELEMENTSOF(probes); i++)
		if (fixup_volume_stat(v, probes[i].path, &st) >= 0)
			return util_strmap_set(facts, "linux.initramfs_tool",
			                       probes[i].tool);
	return 0;
}

static int
fstab_fact(struct fixup_volume *v, struct util_strmap *facts)
{
	_cleanup_free_ char *buf = NULL;
	char *save = NULL;
	int r = fixup_volume_read_file(v, "/etc/fstab", FSTAB_MAX, &buf, NULL);

	if (r == -ENOENT)
		return 0;
	if (r < 0)
		return r;
	for (char *line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sv = NULL, *dev, *mnt;

		dev = strtok_r(line, " \t", &sv);
		mnt = dev ? strtok_r(NULL, " \t", &sv) : NULL;
		if (!dev || dev[0] == '#' || !mnt)
			continue;
		if (streq(mnt, "/"))
			return util_strmap_set(facts, "linux.root_device", dev);
	}
	return 0;
}

/* Legacy release files: "CentOS release 6.10 (Final)", "10.13". */
static int
legacy_release(struct fixup_volume *v, struct util_strmap *os)
{
	static const struct {
		const char *path, *id, *like;
	} files[] = {
	        {"/etc/redhat-release", "rhel", "rhel"},
	        {"/etc/SuSE-release", "sles", "suse"},
	        {"/etc/debian_version", "debian", "debian"},
	};

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *buf = NULL;
		int r = fixup_volume_read_file(v, files[i].path, OS_RELEASE_MAX,
		                               &buf, NULL);

		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r < 0)
			return r;
		buf[strcspn(buf, "\n")] = '\0';
		if (strcasestr(buf, "centos"))
			r = util_strmap_set(os, "ID", "centos");
		else if (strcasestr(buf, "fedora"))
			r = util_strmap_set(os, "ID", "fedora");
		else
			r = util_strmap_set(os, "ID", files[i].id);
		if (r >= 0)
			r = util_strmap_set(os, "ID_LIKE", files[i].like);
		if (r >= 0)
			r = util_strmap_set(os, "VERSION_ID", buf);
		if (r >= 0)
			r = util_strmap_set(os, "PRETTY_NAME", buf);
		return r < 0 ? r : 1;
	}
	return 0;
}

int
fixup_inspect_linux(struct fixup_volume *v, struct fixup_guest *g)
{
	_cleanup_(util_strmap_freep) struct util_strmap *os = NULL;
	_cleanup_free_ char *ver = NULL;
	const char *id, *product;
	bool found = false;
	int r;

	os = util_strmap_new();
	if (!os)
		return -ENOMEM;
	for (size_t i = 0; !found && i < ELEMENTSOF(os_release_paths); i++) {
		_cleanup_free_ char *buf = NULL;

		r = fixup_volume_read_file(v, os_release_paths[i],
		                           OS_RELEASE_MAX, &buf, NULL);
		if (r == -ENOENT || r == -ENOTDIR)
			continue;
		if (r == FIXUP_E_SYMLINK_ESCAPE)
			return r;
		if (r < 0)
			return fixup_set_error(
			        r, "%s: %s: cannot read %s: %s",
			        fixup_image_path(fixup_volume_image(v)),
			        fixup_volume_name(v), os_release_paths[i],
			        strerror(-r));
		r = parse_os_release(buf, os);
		if (r < 0)
			return r;
		found = true;
	}
	if (!found) {
		r = legacy_release(v, os);
		if (r <= 0)
			return r;
	}

	id = util_strmap_get(os, "ID");
	if (!id)
		id = "linux";
	product = util_strmap_get(os, "PRETTY_NAME");
	if (!product)
		product = util_strmap_get(os, "NAME");
	ver = major_minor(util_strmap_get(os, "VERSION_ID"));
	if ((r = util_strmap_set(g->facts, "os.family", "linux")) < 0 ||
	    (r = util_strmap_set(g->facts, "os.distro", id)) < 0 ||
	    (r = util_strmap_set(
	             g->facts, "linux.family",
	             linux_family(id, util_strmap_get(os, "ID_LIKE")))) < 0)
		return r;
	if (ver && (r = util_strmap_set(g->facts, "os.version", ver)) < 0)
		return r;
	if (product &&
	    (r = util_strmap_set(g->facts, "os.product", product)) < 0)
		return r;
	g->systemroot = strdup("/");
	if (!g->systemroot)
		return -ENOMEM;
	if ((r = arch_fact(v, g->facts)) < 0 ||
	    (r = fstab_fact(v, g->facts)) < 0 ||
	    (r = initramfs_tool_fact(v, g->facts)) < 0)
		return r;
	return 1;
}
