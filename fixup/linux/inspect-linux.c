/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Linux inspection: a volume is a Linux root when one of its release files
 * names a distribution (linux-release.c, read through the guest's tree of
 * mounts: guest-tree.c).  Facts: see inspect.h.
 *
 * Architecture: the ELF header of the first of several well-known
 * binaries (libguestfs reads /bin/bash, /bin/ls, /bin/echo, /bin/rm,
 * /bin/sh), then the kernel image's boot header, then the names of the
 * modules directories.  Nothing found: os.arch stays unset (never
 * guessed; the plan blocks what needs it).
 */
#include <ctype.h>

#include "engine/inspect.h"
#include "linux/guest-tree.h"
#include "linux/linux-release.h"
#include "linux/family-linux.h"
#include "util.h"
#include "image/volume.h"

#define ELF_HEADER_READ 64u
#define KERNEL_HEADER_READ 0x240u
#define HOSTNAME_MAX 255u
#define HOSTNAME_FILE_MAX (64u * 1024)

/* libguestfs's names for an ELF e_machine. */
static const char *
elf_arch(const uint8_t *h, size_t n)
{
	bool be, is64;
	uint16_t m;

	if (n < 20 || memcmp(h, "\177ELF", 4) != 0 ||
	    (h[4] != 1 && h[4] != 2) || (h[5] != 1 && h[5] != 2))
		return NULL;
	is64 = h[4] == 2;
	be = h[5] == 2;
	m = be ? (uint16_t)(h[18] << 8 | h[19]) : util_le16(h + 18);
	switch (m) {
	case 3:
		return "i386";
	case 62:
		return "x86_64";
	case 183:
		return "aarch64";
	case 40:
		return "arm";
	case 20:
		return "ppc";
	case 21:
		return be ? "ppc64" : "ppc64le";
	case 22:
		return is64 ? "s390x" : "s390";
	case 243:
		return is64 ? "riscv64" : "riscv32";
	case 50:
		return "ia64";
	case 8:
		return is64 ? "mips64" : "mips";
	case 43:
		return "sparc64";
	default:
		return NULL;
	}
}

/* x86 bzImage: 64-bit when the boot protocol (2.12+) says the kernel has
 * a 64-bit entry point; arm64 and riscv Image headers by their magic. */
static const char *
kernel_arch(const uint8_t *h, size_t n)
{
	if (n >= 0x40 && memcmp(h + 0x38, "ARM\x64", 4) == 0)
		return "aarch64";
	if (n >= 0x40 && memcmp(h + 0x30, "RISCV\0\0\0", 8) == 0)
		return "riscv64";
	if (n >= 0x238 && memcmp(h + 0x202, "HdrS", 4) == 0 &&
	    util_le16(h + 0x206) >= 0x020c)
		return (util_le16(h + 0x236) & 1) ? "x86_64" : "i386";
	return NULL;
}

/* "6.1.0-13-amd64", "5.14.0-362.el9.x86_64", "4.19.0-6-686-pae". */
static const char *
modules_dir_arch(const char *name)
{
	static const struct {
		const char *word, *arch;
	} words[] = {
	        {"x86_64", "x86_64"},   {"amd64", "x86_64"},
	        {"aarch64", "aarch64"}, {"arm64", "aarch64"},
	        {"ppc64le", "ppc64le"}, {"s390x", "s390x"},
	        {"i686", "i386"},       {"i586", "i386"},
	        {"686", "i386"},        {"riscv64", "riscv64"},
	};

	for (size_t i = 0; i < ELEMENTSOF(words); i++)
		if (strstr(name, words[i].word))
			return words[i].arch;
	return NULL;
}

/* First file in dir whose name starts with prefix and gives an arch. */
static const char *
scan_dir_arch(struct linux_tree *t, const char *dir, const char *prefix,
              bool read_header)
{
	_cleanup_strv_free_ char **names = NULL;

	if (linux_tree_list(t, dir, &names) < 0) {
		fixup_clear_error();
		return NULL;
	}
	STRV_FOREACH (n, names) {
		_cleanup_free_ char *p = NULL;
		uint8_t h[KERNEL_HEADER_READ];
		size_t got = 0;
		const char *a;

		if (!util_startswith(*n, prefix))
			continue;
		if (!read_header) {
			if ((a = modules_dir_arch(*n)))
				return a;
			continue;
		}
		p = util_path_join(dir, *n);
		if (!p || linux_tree_read_at(t, p, 0, h, sizeof(h), &got) < 0) {
			fixup_clear_error();
			continue;
		}
		if ((a = kernel_arch(h, got)) || (a = elf_arch(h, got)))
			return a;
	}
	return NULL;
}

static int
arch_fact(struct linux_tree *t, struct util_strmap *facts)
{
	static const char *const bins[] = {
	        "/bin/bash",  "/bin/ls",       "/bin/echo",
	        "/bin/rm",    "/bin/sh",       "/bin/busybox",
	        "/sbin/init", "/usr/bin/bash", "/usr/bin/ls",
	};
	const char *a = NULL;

	for (size_t i = 0; !a && i < ELEMENTSOF(bins); i++) {
		uint8_t h[ELF_HEADER_READ];
		size_t n = 0;

		if (linux_tree_read_at(t, bins[i], 0, h, sizeof(h), &n) < 0) {
			fixup_clear_error();
			continue;
		}
		a = elf_arch(h, n);
	}
	if (!a)
		a = scan_dir_arch(t, "/boot", "vmlinu", true);
	if (!a)
		a = scan_dir_arch(t, "/lib/modules", "", false);
	if (!a)
		a = scan_dir_arch(t, "/usr/lib/modules", "", false);
	return a ? util_strmap_set(facts, "os.arch", a) : 0;
}

/* os.hostname: /etc/HOSTNAME, /etc/hostname, HOSTNAME= of
 * /etc/sysconfig/network (libguestfs's order). */
static int
hostname_fact(struct linux_tree *t, struct util_strmap *facts)
{
	static const char *const files[] = {"/etc/HOSTNAME", "/etc/hostname",
	                                    "/etc/sysconfig/network"};

	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *buf = NULL;
		char *h = NULL, *save = NULL;
		size_t n;

		if (linux_tree_read_file(t, files[i], HOSTNAME_FILE_MAX, &buf,
		                         NULL) < 0) {
			fixup_clear_error();
			continue;
		}
		if (i < 2) {
			h = buf + strspn(buf, " \t");
			h[strcspn(h, "\r\n")] = '\0';
		} else {
			for (char *l = strtok_r(buf, "\n", &save); l && !h;
			     l = strtok_r(NULL, "\n", &save)) {
				const char *v = util_startswith(l, "HOSTNAME=");

				if (v)
					h = (char *)v +
					    (*v == '"' || *v == '\'');
			}
			if (h)
				h[strcspn(h, "\"'")] = '\0';
		}
		if (!h)
			continue;
		n = strlen(h);
		while (n > 0 && isspace((unsigned char)h[n - 1]))
			h[--n] = '\0';
		if (n == 0 || n > HOSTNAME_MAX)
			continue;
		for (size_t k = 0; k < n; k++)
			if (!isgraph((unsigned char)h[k]))
				return 0; /* not a hostname */
		return util_strmap_set(facts, "os.hostname", h);
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
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* linux.root_device (the "/" entry) and linux.mountpoints (every mount
 * point, sorted, "/" always). */
static int
fstab_facts(struct linux_tree *t, struct util_strmap *facts)
{
	_cleanup_strv_free_ char **mnts = NULL;
	_cleanup_free_ char *joined = NULL;
	size_t n;
	int r;

	r = util_strv_push(&mnts, "/");
	for (size_t i = 0; r >= 0 && i < linux_tree_n_fstab(t); i++) {
		const struct linux_fstab_entry *e = linux_tree_fstab(t, i);

		if (streq(e->mnt, "/"))
			r = util_strmap_set(facts, "linux.root_device",
			                    e->spec);
		else if (!util_strv_contains(mnts, e->mnt))
			r = util_strv_push(&mnts, e->mnt);
	}
	if (r < 0)
		return r;
	n = util_strv_length(mnts);
	qsort(mnts, n, sizeof(*mnts), cmp_str);
	joined = util_strv_join(mnts, " ");
	if (!joined)
		return -ENOMEM;
	return util_strmap_set(facts, "linux.mountpoints", joined);
}

int
fixup_inspect_linux(struct fixup_volume *v, struct fixup_guest *g)
{
	_cleanup_(linux_tree_freep) struct linux_tree *t = NULL;
	struct linux_release rel = {0};
	const char *fmt, *mgr;
	int r;

	r = linux_tree_new(v, &t);
	if (r < 0)
		return r;
	r = linux_release_detect(t, &rel);
	if (r == FIXUP_E_SYMLINK_ESCAPE)
		return r;
	if (r < 0)
		return fixup_set_error(
		        r, "%s: %s: cannot read the release files: %s",
		        fixup_image_path(fixup_volume_image(v)),
		        fixup_volume_name(v),
		        fixup_error_detail() ? fixup_error_detail()
		                             : strerror(-r));
	if (r == 0)
		return 0;
	fmt = linux_package_format(&rel);
	mgr = linux_package_manager(&rel, t);
	if ((r = util_strmap_set(g->facts, "os.family", "linux")) < 0 ||
	    (r = util_strmap_set(g->facts, "os.distro", rel.distro)) < 0 ||
	    (r = util_strmap_set(g->facts, "linux.family",
	                         linux_release_family(&rel))) < 0 ||
	    (rel.version &&
	     (r = util_strmap_set(g->facts, "os.version", rel.version)) < 0) ||
	    (rel.product &&
	     (r = util_strmap_set(g->facts, "os.product", rel.product)) < 0) ||
	    (fmt && (r = util_strmap_set(g->facts, "linux.package_format",
	                                 fmt)) < 0) ||
	    (mgr &&
	     (r = util_strmap_set(g->facts, "linux.package_manager", mgr)) < 0))
		goto out;
	g->systemroot = strdup("/");
	if (!g->systemroot) {
		r = -ENOMEM;
		goto out;
	}
	if ((r = arch_fact(t, g->facts)) < 0 ||
	    (r = hostname_fact(t, g->facts)) < 0 ||
	    (r = fstab_facts(t, g->facts)) < 0 ||
	    (r = initramfs_tool_fact(v, g->facts)) < 0)
		goto out;
	r = 1;
out:
	linux_release_done(&rel);
	return r;
}
