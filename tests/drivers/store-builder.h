/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Builds a virtio-win-shaped driver store at test time from virt-v2v's
 * virtio-win file list (../shared/corpus/phony-guests/virt-v2v/
 * virtio-win-drivers-list.txt): an empty file at every listed path, except
 * the viostor, vioscsi and netkvm INFs, which are the real corpus INF
 * templates stamped the way virtio-win's build stamps them for the OS and
 * arch of their directory ($ARCH$ -> "amd64.10.0.3..17763" etc., like
 * stampinf's per-OS decoration).  The netkvm.inf slots get the corpus's
 * NetKVM INF that exists (NetKVM/NotifyObject/vioprot.inf).
 *
 * Shared by the store test and the benchmark; include once per program.
 */
#ifndef IMGFIX_TESTS_STORE_BUILDER_H
#define IMGFIX_TESTS_STORE_BUILDER_H

#include <fcntl.h>
#include <sys/stat.h>

#include "util.h"

/* A Windows release as virtio-win names its directories. */
struct sb_os {
	const char *dir[2]; /* short (by-os, by-driver, ISO) and long name */
	unsigned major, minor, build; /* build: the release's own */
	bool server;
	unsigned stamp_build; /* build in the stamped decoration, 0 = none */
};

static const struct sb_os sb_oses[] = {
        {{"w7", "Win7"}, 6, 1, 7601, false, 0},
        {{"2k8R2", "Win2008R2"}, 6, 1, 7601, true, 0},
        {{"w8", "Win8"}, 6, 2, 9200, false, 0},
        {{"2k12", "Win2012"}, 6, 2, 9200, true, 0},
        {{"w8.1", "Win8.1"}, 6, 3, 9600, false, 0},
        {{"2k12R2", "Win2012R2"}, 6, 3, 9600, true, 0},
        {{"w10", "Win10"}, 10, 0, 19045, false, 0},
        {{"w11", "Win11"}, 10, 0, 22631, false, 22000},
        {{"2k16", "Win2016"}, 10, 0, 14393, true, 14393},
        {{"2k19", "Win2019"}, 10, 0, 17763, true, 17763},
        {{"2k22", "Win2022"}, 10, 0, 20348, true, 20348},
        {{"2k25", "Win2025"}, 10, 0, 26100, true, 26100},
};

static inline const struct sb_os *
sb_os_by_dir(const char *name)
{
	for (size_t i = 0; i < ELEMENTSOF(sb_oses); i++)
		for (size_t k = 0; k < 2; k++)
			if (strcaseeq(name, sb_oses[i].dir[k]))
				return &sb_oses[i];
	return NULL;
}

static inline const char *
sb_arch_by_dir(const char *name)
{
	if (strcaseeq(name, "amd64"))
		return "amd64";
	if (strcaseeq(name, "x86") || strcaseeq(name, "i386"))
		return "x86";
	return NULL;
}

/* Finds the OS and arch components of a store-relative path. */
static inline bool
sb_classify(const char *rel, const struct sb_os **ret_os, const char **ret_arch)
{
	_cleanup_strv_free_ char **parts = NULL;
	const struct sb_os *os = NULL;
	const char *arch = NULL;

	if (util_strv_split(rel, "/", &parts) < 0)
		return false;
	STRV_FOREACH (p, parts) {
		if (p[1] == NULL)
			break; /* the file name */
		if (!os)
			os = sb_os_by_dir(*p);
		if (!arch)
			arch = sb_arch_by_dir(*p);
	}
	*ret_os = os;
	*ret_arch = arch;
	return os && arch;
}

static inline int
sb_replace(char **text, const char *token, const char *value)
{
	size_t tl = strlen(token), vl = strlen(value);
	char *p;

	while ((p = strstr(*text, token))) {
		size_t off = (size_t)(p - *text), len = strlen(*text);
		char *n = malloc(len - tl + vl + 1);

		if (!n)
			return -ENOMEM;
		memcpy(n, *text, off);
		memcpy(n + off, value, vl);
		strcpy(n + off + vl, p + tl);
		free(*text);
		*text = n;
	}
	return 0;
}

/* The stamped text of a corpus template for os/arch. */
static inline int
sb_stamp(const char *template_path, const struct sb_os *os, const char *arch,
         const char *driver_ver, char **ret)
{
	_cleanup_free_ char *text = NULL, *dec = NULL, *dv = NULL;
	size_t len;
	int r;

	r = util_read_file(template_path, 1 << 20, &text, &len);
	if (r < 0)
		return r;
	if (os->stamp_build)
		r = util_asprintf(&dec, "%s.%u.%u.%u..%u", arch, os->major,
		                  os->minor, os->server ? 3 : 1,
		                  os->stamp_build);
	else
		r = util_asprintf(&dec, "%s.%u.%u.%u", arch, os->major,
		                  os->minor, os->server ? 3 : 1);
	if (r < 0)
		return r;
	r = util_asprintf(&dv, "DriverVer=%s ;", driver_ver);
	if (r < 0)
		return r;
	if (sb_replace(&text, "$ARCH$", dec) < 0 ||
	    sb_replace(&text, "INX_PLATFORM_DRIVERS_DIR", "12") < 0 ||
	    sb_replace(&text, "_INX_SUBSYS_VENDOR_ID", "1AF4") < 0 ||
	    sb_replace(&text, "INX_COMPANY", "Red Hat, Inc.") < 0 ||
	    sb_replace(&text, "INX_PREFIX_VENDOR", "Red Hat ") < 0 ||
	    sb_replace(&text, "DriverVer=01/01/2008,0.0.0.1 ;", dv) < 0 ||
	    sb_replace(&text, "DriverVer   = 01/01/2020,1.1", dv) < 0)
		return -ENOMEM;
	*ret = TAKE_PTR(text);
	return 0;
}

static inline int
sb_write(const char *path, const char *text)
{
	_cleanup_free_ char *dir = strdup(path);
	char *slash;
	int fd;
	size_t len = text ? strlen(text) : 0;

	if (!dir)
		return -ENOMEM;
	slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		if (util_mkdir_p(dir) < 0)
			return -errno;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (len && write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return close(fd) < 0 ? -errno : 0;
}

/*
 * Builds the store under dest from list (one relative path per line);
 * corpus is the corpus root.  Returns the number of files written.
 */
static inline int
sb_build(const char *list, const char *corpus, const char *dest)
{
	static const struct {
		const char *inf, *template;
	} real[] = {
	        {"viostor.inf", "inf/virtio-win/viostor/viostor.inx"},
	        {"vioscsi.inf", "inf/virtio-win/vioscsi/vioscsi.inx"},
	        {"netkvm.inf",
	         "inf/virtio-win/NetKVM/NotifyObject/vioprot.inf"},
	};
	_cleanup_free_ char *text = NULL;
	_cleanup_strv_free_ char **lines = NULL;
	size_t len;
	int r, n = 0;

	r = util_read_file(list, 1 << 22, &text, &len);
	if (r < 0)
		return r;
	r = util_strv_split(text, "\r\n", &lines);
	if (r < 0)
		return r;
	STRV_FOREACH (l, lines) {
		_cleanup_free_ char *path = NULL, *content = NULL;
		const char *base = strrchr(*l, '/');

		if (strstr(*l, "..") || (*l)[0] == '/')
			return -EINVAL;
		base = base ? base + 1 : *l;
		for (size_t i = 0; i < ELEMENTSOF(real); i++) {
			_cleanup_free_ char *tp = NULL;
			const struct sb_os *os;
			const char *arch;

			if (!strcaseeq(base, real[i].inf) ||
			    !sb_classify(*l, &os, &arch))
				continue;
			tp = util_path_join(corpus, real[i].template);
			if (!tp)
				return -ENOMEM;
			r = sb_stamp(tp, os, arch,
			             "06/01/2024,100.95.104.26200", &content);
			if (r < 0)
				return r;
		}
		path = util_path_join(dest, *l);
		if (!path)
			return -ENOMEM;
		r = sb_write(path, content);
		if (r < 0)
			return r;
		n++;
	}
	return n;
}

#endif
