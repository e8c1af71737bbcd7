/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Rewrites of Linux configuration files (LINUX.md §2, §4), keeping every
 * byte that is not part of a replaced token: comments, whitespace, order
 * and line endings stay exactly as they were.
 */
#include <ctype.h>
#include <fnmatch.h>

#include "linux/linux.h"
#include "util.h"

/* A growable output buffer; the first allocation failure sticks. */
struct sbuf {
	char *s;
	size_t n, cap;
	int err;
};

static void
sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = MAX(b->cap * 2, b->n + n + 1);
		char *t = realloc(b->s, cap);

		if (!t) {
			b->err = -ENOMEM;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = '\0';
}

static void
sbuf_adds(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

static int
sbuf_finish(struct sbuf *b, char **ret, size_t *ret_len)
{
	if (!b->err && !b->s)
		sbuf_add(b, "", 0);
	if (b->err) {
		free(b->s);
		return b->err;
	}
	*ret = b->s;
	if (ret_len)
		*ret_len = b->n;
	return 0;
}

int
linux_conf_kind_for_path(const char *path, enum linux_conf_kind *ret)
{
	static const struct {
		const char *glob;
		enum linux_conf_kind kind;
	} table[] = {
	        {"etc/fstab", LINUX_CONF_FSTAB},
	        {"etc/crypttab", LINUX_CONF_CRYPTTAB},
	        {"boot/grub/grub.conf", LINUX_CONF_GRUB_LEGACY},
	        {"boot/grub/menu.lst", LINUX_CONF_GRUB_LEGACY},
	        {"etc/grub.conf", LINUX_CONF_GRUB_LEGACY},
	        {"boot/grub/grub.cfg", LINUX_CONF_GRUB2_CFG},
	        {"boot/grub2/grub.cfg", LINUX_CONF_GRUB2_CFG},
	        {"boot/efi/EFI/*/grub.cfg", LINUX_CONF_GRUB2_CFG},
	        {"etc/default/grub", LINUX_CONF_GRUB_DEFAULT},
	        {"boot/loader/entries/*.conf", LINUX_CONF_BLS},
	        {"boot/grub/device.map", LINUX_CONF_DEVICE_MAP},
	        {"boot/grub2/device.map", LINUX_CONF_DEVICE_MAP},
	        {"etc/sysconfig/grub", LINUX_CONF_SYSCONFIG},
	        {"etc/sysconfig/bootloader", LINUX_CONF_SYSCONFIG},
	};

	while (*path == '/')
		path++;
	for (size_t i = 0; i < ELEMENTSOF(table); i++)
		if (fnmatch(table[i].glob, path, FNM_PATHNAME) == 0) {
			*ret = table[i].kind;
			return 0;
		}
	return -ENOENT;
}

/* Parses the disk part of a device name after its prefix: letters (sda) or
 * a number (nvme0n1, cciss/c0d0).  Returns the disk index and the rest. */
static bool
parse_disk(const char *s, bool numbered, unsigned *ret_index,
           const char **ret_rest)
{
	unsigned idx = 0;
	const char *p = s;

	if (numbered) {
		if (!isdigit((unsigned char)*p))
			return false;
		while (isdigit((unsigned char)*p)) {
			idx = idx * 10 + (unsigned)(*p++ - '0');
			if (idx > 701)
				return false;
		}
		/* nvme: the namespace "n1" belongs to the disk. */
		if (*p == 'n' && isdigit((unsigned char)p[1])) {
			p++;
			while (isdigit((unsigned char)*p))
				p++;
		}
		if (*p == 'p' && isdigit((unsigned char)p[1]))
			p++;
	} else {
		if (!islower((unsigned char)*p))
			return false;
		/* sda..sdz, sdaa..sdzz: bijective base 26 */
		while (islower((unsigned char)*p)) {
			idx = idx * 26 + (unsigned)(*p++ - 'a' + 1);
			if (idx > 702)
				return false;
		}
		idx--;
	}
	for (const char *q = p; *q; q++)
		if (!isdigit((unsigned char)*q))
			return false;
	*ret_index = idx;
	*ret_rest = p;
	return true;
}

char *
linux_remap_device(const char *dev, void *userdata)
{
	const struct linux_remap *m = userdata;
	const char *name = util_startswith(dev, "/dev/"), *best = NULL;
	const char *rest;
	unsigned idx;
	char letters[4], *r;

	if (!name)
		return NULL;
	STRV_FOREACH (f, m->from)
		if (util_startswith(name, *f) &&
		    (!best || strlen(*f) > strlen(best)))
			best = *f;
	if (!best)
		return NULL;
	bool numbered = util_startswith(best, "nvme") ||
	                util_startswith(best, "cciss") ||
	                isdigit((unsigned char)name[strlen(best)]);
	if (!parse_disk(name + strlen(best), numbered, &idx, &rest))
		return NULL;
	if (idx < 26)
		snprintf(letters, sizeof(letters), "%c", 'a' + idx);
	else
		snprintf(letters, sizeof(letters), "%c%c", 'a' + idx / 26 - 1,
		         'a' + idx % 26);
	if (util_asprintf(&r, "/dev/%s%s%s", m->to_prefix, letters, rest) < 0)
		return NULL;
	if (streq(r, dev)) {
		free(r);
		return NULL;
	}
	return r;
}

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Copies [s, s+n) replacing field number `field` (1-based, whitespace
 * separated) when map gives a replacement. */
static void
rewrite_field(struct sbuf *b, const char *s, size_t n, unsigned field,
              linux_map_fn map, void *userdata, unsigned *changes)
{
	size_t i = 0;
	unsigned f = 0;

	while (i < n) {
		size_t start;

		while (i < n && is_blank(s[i]))
			i++;
		start = i;
		while (i < n && !is_blank(s[i]) && s[i] != '\r')
			i++;
		if (start == i)
			break;
		if (++f == field) {
			_cleanup_free_ char *tok =
			        util_strndup0(s + start, i - start);
			_cleanup_free_ char *rep =
			        tok ? map(tok, userdata) : NULL;

			if (!tok)
				b->err = -ENOMEM;
			if (rep) {
				sbuf_add(b, s, start);
				sbuf_adds(b, rep);
				sbuf_add(b, s + i, n - i);
				(*changes)++;
				return;
			}
			break;
		}
	}
	sbuf_add(b, s, n);
}

/* Copies [s, s+n) replacing the values of root= and resume= parameters. */
static void
rewrite_params(struct sbuf *b, const char *s, size_t n, linux_map_fn map,
               void *userdata, unsigned *changes)
{
	static const char *const keys[] = {"root=", "resume="};
	size_t i = 0, copied = 0;

	while (i < n) {
		size_t k = 0, vstart, vend;
		bool boundary = i == 0 || is_blank(s[i - 1]) ||
		                s[i - 1] == '"' || s[i - 1] == '\'';

		if (!boundary) {
			i++;
			continue;
		}
		for (k = 0; k < ELEMENTSOF(keys); k++)
			if (n - i >= strlen(keys[k]) &&
			    memcmp(s + i, keys[k], strlen(keys[k])) == 0)
				break;
		if (k == ELEMENTSOF(keys)) {
			i++;
			continue;
		}
		vstart = vend = i + strlen(keys[k]);
		while (vend < n && !is_blank(s[vend]) && s[vend] != '"' &&
		       s[vend] != '\'' && s[vend] != '\r' && s[vend] != '\n')
			vend++;
		if (vend > vstart) {
			_cleanup_free_ char *tok =
			        util_strndup0(s + vstart, vend - vstart);
			_cleanup_free_ char *rep =
			        tok ? map(tok, userdata) : NULL;

			if (rep) {
				sbuf_add(b, s + copied, vstart - copied);
				sbuf_adds(b, rep);
				copied = vend;
				(*changes)++;
			}
		}
		i = vend;
	}
	sbuf_add(b, s + copied, n - copied);
}

/* First whitespace-separated token of a line, or "" for blank lines. */
static size_t
first_token(const char *s, size_t n, const char **ret)
{
	size_t i = 0, start;

	while (i < n && is_blank(s[i]))
		i++;
	start = i;
	while (i < n && !is_blank(s[i]) && s[i] != '\r')
		i++;
	*ret = s + start;
	return i - start;
}

static bool
token_is(const char *t, size_t n, const char *word)
{
	return strlen(word) == n && memcmp(t, word, n) == 0;
}

/* Issue 9 (fuzzing): the token is not NUL-terminated (text has len bytes
 * only); util_startswith() read past the end of the buffer on a last line
 * shorter than the prefix.  Compare within the token's n bytes. */
static bool
token_startswith(const char *t, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	return n >= k && memcmp(t, prefix, k) == 0;
}

int
linux_conf_rewrite(const char *text, size_t len, enum linux_conf_kind kind,
                   linux_map_fn map, void *userdata, char **ret,
                   size_t *ret_len, unsigned *ret_changes)
{
	struct sbuf b = {NULL, 0, 0, 0};
	unsigned changes = 0;
	size_t i = 0;

	if (len > LINUX_MAX_CONF_SIZE)
		return -EFBIG;
	while (i < len) {
		const char *line = text + i, *tok;
		const char *nl = memchr(line, '\n', len - i);
		size_t n = nl ? (size_t)(nl - line) : len - i, tn;

		tn = first_token(line, n, &tok);
		if (tn == 0 || tok[0] == '#') {
			sbuf_add(&b, line, n);
		} else
			switch (kind) {
			case LINUX_CONF_FSTAB:
				rewrite_field(&b, line, n, 1, map, userdata,
				              &changes);
				break;
			case LINUX_CONF_CRYPTTAB:
			case LINUX_CONF_DEVICE_MAP:
				rewrite_field(&b, line, n, 2, map, userdata,
				              &changes);
				break;
			case LINUX_CONF_GRUB_LEGACY:
				if (token_is(tok, tn, "kernel"))
					rewrite_params(&b, line, n, map,
					               userdata, &changes);
				else
					sbuf_add(&b, line, n);
				break;
			case LINUX_CONF_GRUB2_CFG:
				if (token_is(tok, tn, "linux") ||
				    token_is(tok, tn, "linux16") ||
				    token_is(tok, tn, "linuxefi") ||
				    token_is(tok, tn, "kernel"))
					rewrite_params(&b, line, n, map,
					               userdata, &changes);
				else
					sbuf_add(&b, line, n);
				break;
			case LINUX_CONF_GRUB_DEFAULT:
				if (token_startswith(tok, tn,
				                     "GRUB_CMDLINE_LINUX=") ||
				    token_startswith(
				            tok, tn,
				            "GRUB_CMDLINE_LINUX_DEFAULT="))
					rewrite_params(&b, line, n, map,
					               userdata, &changes);
				else
					sbuf_add(&b, line, n);
				break;
			case LINUX_CONF_BLS:
				if (token_is(tok, tn, "options"))
					rewrite_params(&b, line, n, map,
					               userdata, &changes);
				else
					sbuf_add(&b, line, n);
				break;
			case LINUX_CONF_SYSCONFIG:
				rewrite_params(&b, line, n, map, userdata,
				               &changes);
				break;
			}
		if (nl)
			sbuf_add(&b, "\n", 1);
		i += n + (nl ? 1 : 0);
	}
	int r = sbuf_finish(&b, ret, ret_len);
	if (r < 0)
		return r;
	if (ret_changes)
		*ret_changes = changes;
	return 0;
}

/* Splits text into lines and calls fn for each; fn appends to b. */
typedef void (*line_fn)(struct sbuf *b, const char *line, size_t n,
                        void *userdata);

static int
for_each_line(const char *text, size_t len, line_fn fn, void *userdata,
              char **ret, size_t *ret_len)
{
	struct sbuf b = {NULL, 0, 0, 0};
	size_t i = 0;

	if (len > LINUX_MAX_CONF_SIZE)
		return -EFBIG;
	while (i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		fn(&b, text + i, n, userdata);
		if (nl)
			sbuf_add(&b, "\n", 1);
		i += n + (nl ? 1 : 0);
	}
	return sbuf_finish(&b, ret, ret_len);
}

struct modprobe_ctx {
	const char *storage, *net;
	bool storage_done;
	unsigned changes;
};

static void
modprobe_line(struct sbuf *b, const char *line, size_t n, void *userdata)
{
	struct modprobe_ctx *c = userdata;
	_cleanup_free_ char *l = util_strndup0(line, n);
	char alias[64], name[128], module[128];
	bool cr = n > 0 && line[n - 1] == '\r';

	if (!l || sscanf(l, " %63s %127s %127s", alias, name, module) != 3 ||
	    !streq(alias, "alias")) {
		sbuf_add(b, line, n);
		return;
	}
	if (c->storage && util_startswith(name, "scsi_hostadapter")) {
		if (c->storage_done) {
			sbuf_adds(b, "# imgfix: ");
			sbuf_add(b, line, n);
		} else {
			if (streq(module, c->storage) &&
			    streq(name, "scsi_hostadapter")) {
				sbuf_add(b, line, n);
				c->storage_done = true;
				return;
			}
			sbuf_adds(b, "alias scsi_hostadapter ");
			sbuf_adds(b, c->storage);
			if (cr)
				sbuf_add(b, "\r", 1);
			c->storage_done = true;
		}
		c->changes++;
		return;
	}
	if (c->net && util_startswith(name, "eth") &&
	    strspn(name + 3, "0123456789") == strlen(name + 3) && name[3] &&
	    !streq(module, c->net)) {
		sbuf_adds(b, "alias ");
		sbuf_adds(b, name);
		sbuf_adds(b, " ");
		sbuf_adds(b, c->net);
		if (cr)
			sbuf_add(b, "\r", 1);
		c->changes++;
		return;
	}
	sbuf_add(b, line, n);
}

int
linux_modprobe_rewrite(const char *text, size_t len, const char *target_storage,
                       const char *target_net, char **ret, size_t *ret_len,
                       unsigned *ret_changes)
{
	struct modprobe_ctx c = {.storage = target_storage, .net = target_net};
	int r = for_each_line(text, len, modprobe_line, &c, ret, ret_len);

	if (r >= 0 && ret_changes)
		*ret_changes = c.changes;
	return r;
}

static void
ifcfg_line(struct sbuf *b, const char *line, size_t n, void *userdata)
{
	unsigned *changes = userdata;
	const char *t;
	size_t tn;

	/* Issue 9: bounded like token_startswith() says, not util_startswith()
	 * on text that is not NUL-terminated. */
	tn = first_token(line, n, &t);
	if (token_startswith(t, tn, "HWADDR=") ||
	    token_startswith(t, tn, "MACADDR=")) {
		(*changes)++;
		/* Drop the line, and the newline for_each_line adds after it:
		 * mark with a NUL the caller removes. */
		sbuf_add(b, "\0", 1);
		return;
	}
	sbuf_add(b, line, n);
}

int
linux_ifcfg_drop_hwaddr(const char *text, size_t len, char **ret,
                        size_t *ret_len, unsigned *ret_changes)
{
	unsigned changes = 0;
	char *s;
	size_t n, o = 0;
	int r;

	if (memchr(text, '\0', len))
		return -EBADMSG;
	r = for_each_line(text, len, ifcfg_line, &changes, &s, &n);
	if (r < 0)
		return r;
	/* Remove the dropped lines ("\0" + optional "\n"). */
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\0') {
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			continue;
		}
		s[o++] = s[i];
	}
	s[o] = '\0';
	*ret = s;
	if (ret_len)
		*ret_len = o;
	if (ret_changes)
		*ret_changes = changes;
	return 0;
}

struct xorg_ctx {
	char *const *from;
	const char *to;
	unsigned changes;
};

static void
xorg_line(struct sbuf *b, const char *line, size_t n, void *userdata)
{
	struct xorg_ctx *c = userdata;
	const char *t, *q1, *q2;
	size_t tn = first_token(line, n, &t);

	if (!token_is(t, tn, "Driver") ||
	    !(q1 = memchr(t + tn, '"', n - (size_t)(t + tn - line))) ||
	    !(q2 = memchr(q1 + 1, '"', n - (size_t)(q1 + 1 - line)))) {
		sbuf_add(b, line, n);
		return;
	}
	STRV_FOREACH (f, c->from)
		if (strlen(*f) == (size_t)(q2 - q1 - 1) &&
		    strncasecmp(q1 + 1, *f, strlen(*f)) == 0) {
			sbuf_add(b, line, (size_t)(q1 + 1 - line));
			sbuf_adds(b, c->to);
			sbuf_add(b, q2, n - (size_t)(q2 - line));
			c->changes++;
			return;
		}
	sbuf_add(b, line, n);
}

int
linux_xorg_rewrite(const char *text, size_t len, char *const *from,
                   const char *to, char **ret, size_t *ret_len,
                   unsigned *ret_changes)
{
	struct xorg_ctx c = {.from = from, .to = to};
	int r = for_each_line(text, len, xorg_line, &c, ret, ret_len);

	if (r >= 0 && ret_changes)
		*ret_changes = c.changes;
	return r;
}

int
linux_initramfs_config(const char *tool, char *const *modules, char **ret)
{
	_cleanup_free_ char *list = util_strv_join(modules, " ");
	struct sbuf b = {NULL, 0, 0, 0};

	if (!list)
		return -ENOMEM;
	if (streq(tool, "dracut")) {
		sbuf_adds(&b, "# Written by imgfix: storage/network drivers "
		              "the target hypervisor needs.\nadd_drivers+=\" ");
		sbuf_adds(&b, list);
		sbuf_adds(&b, " \"\n");
	} else if (streq(tool, "initramfs-tools")) {
		sbuf_adds(&b, "# Written by imgfix: storage/network drivers "
		              "the target hypervisor needs.\n");
		STRV_FOREACH (m, modules) {
			sbuf_adds(&b, *m);
			sbuf_adds(&b, "\n");
		}
	} else if (streq(tool, "mkinitrd")) {
		sbuf_adds(&b, "INITRD_MODULES=\"");
		sbuf_adds(&b, list);
		sbuf_adds(&b, "\"\n");
	} else
		return -EOPNOTSUPP;
	return sbuf_finish(&b, ret, NULL);
}
