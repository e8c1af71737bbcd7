/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/inject.c — turns one resolved driver installation (struct
 * drivers_install, from the INF) into plain data for an offline Windows
 * guest: SYSTEM/SOFTWARE hive edits and file copies (WINDOWS.md §1), and
 * renders that data as .reg text for plans and golden files.
 *
 * What is written, per generation:
 *  - all:      Services\<svc> for every AddService of the .Services section
 *              (Type/Start/ErrorControl/Group/ImagePath + the AddReg of the
 *              service-install section under HKR = the service key); the
 *              device's own service (SPSVCINST_ASSOCSERVICE) gets Start=0
 *              when the guest marks it boot-critical.  Tag/GroupOrderList
 *              are left out: the Group alone loads a boot driver (virt-v2v
 *              writes no Tag either).
 *  - 5.0-6.1:  Control\CriticalDeviceDatabase\<id> (Service, ClassGUID) for
 *              every hardware ID and its PCI short forms VEN&DEV and
 *              VEN&DEV&REV, lower-case with '\' -> '#' (boot-critical only:
 *              the CDDB binds the boot controller to its service before
 *              Plug and Play has installed anything).
 *  - 6.2+:     the DriverDatabase registration of §1.3, and the deletion of
 *              Services\<svc>\StartOverride when boot-critical.
 *  - all:      the CopyFiles files to their DestinationDirs, the whole
 *              package to <systemroot>\Drivers\<store_name>\, and that
 *              folder appended to SOFTWARE ...\CurrentVersion\DevicePath.
 *
 * The DDInstall's own AddReg (HKR = the device/driver key) is not written:
 * those keys do not exist until Plug and Play enumerates the device at
 * first boot, and PnP then installs the staged package itself.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "inject-internal.h"
#include "util.h"

/* ---- small helpers ------------------------------------------------------ */

static int note(struct drivers_injection *inj, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

static int
note(struct drivers_injection *inj, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	return util_strv_consume(&inj->notes, s);
}

/* One key or file name component: non-empty, bounded, no separators or
 * control characters. */
static bool
valid_component(const char *s, bool file)
{
	size_t n;

	if (!s)
		return false;
	n = strlen(s);
	if (n == 0 || n > DRIVERS_INJECT_MAX_NAME)
		return false;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f || *p == '\\')
			return false;
		if (file && strchr("/:*?\"<>|", *p))
			return false;
	}
	if (streq(s, ".") || streq(s, ".."))
		return false;
	return true;
}

/* A backslash-separated relative path whose components all pass
 * valid_component(); "" is allowed when allow_empty. */
static bool
valid_rel_path(const char *s, bool file, bool allow_empty)
{
	_cleanup_free_ char *copy = NULL;
	size_t depth = 0;
	char *save = NULL;

	if (!s)
		return false;
	if (!*s)
		return allow_empty;
	if (s[0] == '\\' || s[strlen(s) - 1] == '\\' || strstr(s, "\\\\"))
		return false;
	copy = strdup(s);
	if (!copy)
		return false;
	for (char *t = strtok_r(copy, "\\", &save); t;
	     t = strtok_r(NULL, "\\", &save)) {
		if (++depth > DRIVERS_INJECT_MAX_PATH_DEPTH ||
		    !valid_component(t, file))
			return false;
	}
	return true;
}

/* A hardware ID usable as a CDDB key name and a DriverDatabase path. */
static bool
valid_hardware_id(const char *id)
{
	size_t n = id ? strlen(id) : 0;

	if (n == 0 || n > DRIVERS_INJECT_MAX_ID_LEN)
		return false;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p <= 0x20 || *p >= 0x7f || *p == ',' || *p == '/')
			return false;
	return valid_rel_path(id, false, false);
}

static const char *
norm_arch(const char *a)
{
	if (!a)
		return NULL;
	if (strcaseeq(a, "amd64") || strcaseeq(a, "x64") ||
	    strcaseeq(a, "x86_64"))
		return "amd64";
	if (strcaseeq(a, "x86") || strcaseeq(a, "i386"))
		return "x86";
	if (strcaseeq(a, "arm64") || strcaseeq(a, "aarch64"))
		return "arm64";
	return NULL;
}

/* ---- pure helpers (inject-internal.h) ----------------------------------- */

static bool
is_hex_n(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

int
drivers_pci_short_ids(const char *id, char **ret_ven_dev,
                      char **ret_ven_dev_rev)
{
	const char *rest, *ven = NULL, *dev = NULL, *rev = NULL;
	_cleanup_free_ char *vd = NULL, *vdr = NULL;
	size_t prefix_len;

	if (!id || !ret_ven_dev || !ret_ven_dev_rev)
		return -EINVAL;
	rest = util_startswith_case(id, "PCI\\");
	if (!rest)
		return -EINVAL;
	prefix_len = (size_t)(rest - id);
	for (const char *t = rest; *t;) {
		const char *end = strchr(t, '&');
		size_t n = end ? (size_t)(end - t) : strlen(t);

		if (n == 8 && util_startswith_case(t, "VEN_") &&
		    is_hex_n(t + 4, 4) && !ven)
			ven = t;
		else if (n == 8 && util_startswith_case(t, "DEV_") &&
		         is_hex_n(t + 4, 4) && !dev)
			dev = t;
		else if (n == 6 && util_startswith_case(t, "REV_") &&
		         is_hex_n(t + 4, 2) && !rev)
			rev = t;
		t += n;
		if (*t == '&')
			t++;
	}
	if (!ven || !dev)
		return -EINVAL;
	if (util_asprintf(&vd, "%.*s%.8s&%.8s", (int)prefix_len, id, ven, dev) <
	    0)
		return -ENOMEM;
	if (rev && util_asprintf(&vdr, "%s&%.6s", vd, rev) < 0)
		return -ENOMEM;
	*ret_ven_dev = TAKE_PTR(vd);
	*ret_ven_dev_rev = TAKE_PTR(vdr);
	return 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
drivers_parse_guid(const char *s, uint8_t ret[16])
{
	/* {XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}: hex digit groups and where
	 * each byte goes (Data1..3 are stored little-endian). */
	static const int order[16] = {3, 2, 1,  0,  5,  4,  7,  6,
	                              8, 9, 10, 11, 12, 13, 14, 15};
	uint8_t b[16];
	size_t k = 0;

	if (!s || strlen(s) != 38 || s[0] != '{' || s[37] != '}' ||
	    s[9] != '-' || s[14] != '-' || s[19] != '-' || s[24] != '-')
		return -EINVAL;
	for (size_t i = 1; i < 37; i++) {
		int hi, lo;

		if (i == 9 || i == 14 || i == 19 || i == 24)
			continue;
		hi = hexval(s[i]);
		lo = hexval(s[i + 1]);
		if (hi < 0 || lo < 0 || k >= 16)
			return -EINVAL;
		b[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	if (k != 16)
		return -EINVAL;
	for (size_t i = 0; i < 16; i++)
		ret[order[i]] = b[i];
	return 0;
}

/* Parses 1..max_digits decimal digits; advances *p. */
static int
parse_digits(const char **p, unsigned max_digits, unsigned long *ret)
{
	unsigned long v = 0;
	unsigned n = 0;

	while (isdigit((unsigned char)**p)) {
		if (++n > max_digits)
			return -EINVAL;
		v = v * 10 + (unsigned long)(**p - '0');
		(*p)++;
	}
	if (n == 0)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian), H. Hinnant. */
static long long
days_from_civil(long long y, unsigned m, unsigned d)
{
	long long era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (long long)doe - 719468;
}

int
drivers_parse_driver_date(const char *s, uint64_t *ret)
{
	static const unsigned mdays[12] = {31, 29, 31, 30, 31, 30,
	                                   31, 31, 30, 31, 30, 31};
	unsigned long m, d, y;
	const char *p = s;
	long long days;
	bool leap;

	if (!s || !ret)
		return -EINVAL;
	if (parse_digits(&p, 2, &m) < 0 || *p++ != '/' ||
	    parse_digits(&p, 2, &d) < 0 || *p++ != '/' ||
	    parse_digits(&p, 4, &y) < 0 || *p)
		return -EINVAL;
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1] || y < 1601)
		return -EINVAL;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (m == 2 && d == 29 && !leap)
		return -EINVAL;
	/* 1601-01-01 is 134774 days before 1970-01-01. */
	days = days_from_civil((long long)y, (unsigned)m, (unsigned)d) + 134774;
	*ret = (uint64_t)days * 86400ull * 10000000ull;
	return 0;
}

int
drivers_parse_driver_version(const char *s, uint64_t *ret)
{
	const char *p = s;
	uint64_t v = 0;
	unsigned n = 0;

	if (!s || !ret)
		return -EINVAL;
	for (;;) {
		unsigned long part;

		if (parse_digits(&p, 5, &part) < 0 || part > 0xffff)
			return -EINVAL;
		v |= (uint64_t)part << (48 - 16 * n);
		n++;
		if (!*p)
			break;
		if (*p != '.' || n == 4)
			return -EINVAL;
		p++;
	}
	*ret = v;
	return 0;
}

/*
 * DriverDatabase\DriverPackages\<label> "Version", 48 bytes.  Layout as
 * found in a real Windows 10 19041 SYSTEM hive (third-party packages, e.g.
 * pvscsi.inf 1.3.17.0; inbox ones start with ff ff instead of 00 ff) and as
 * virt-v2v writes it:
 *   0  8  00 ff 09 00 00 00 00 00   (meaning uncertain, WINDOWS.md §1.3)
 *   8 16  class GUID, Data1..3 little-endian
 *  24  8  driver date, FILETIME little-endian (midnight UTC of DriverVer)
 *  32  8  driver version, u64 little-endian, a<<48 | b<<32 | c<<16 | d
 *  40  8  zero
 */
int
drivers_version_blob(const char *class_guid, const char *date,
                     const char *version,
                     uint8_t ret[DRIVERS_VERSION_BLOB_SIZE])
{
	static const uint8_t head[8] = {0x00, 0xff, 0x09, 0x00,
	                                0x00, 0x00, 0x00, 0x00};
	uint8_t b[DRIVERS_VERSION_BLOB_SIZE] = {0};
	uint64_t ft = 0, ver = 0;
	int r;

	memcpy(b, head, sizeof(head));
	r = drivers_parse_guid(class_guid, b + 8);
	if (r < 0)
		return r;
	if (date) {
		r = drivers_parse_driver_date(date, &ft);
		if (r < 0)
			return r;
	}
	if (version) {
		r = drivers_parse_driver_version(version, &ver);
		if (r < 0)
			return r;
	}
	util_put_le64(b + 24, ft);
	util_put_le64(b + 32, ver);
	memcpy(ret, b, sizeof(b));
	return 0;
}

/* Trims blanks; returns a pointer into s and the length. */
static const char *
trim(const char *s, size_t n, size_t *ret_n)
{
	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	*ret_n = n;
	return s;
}

int
drivers_device_path_append(const char *current, const char *folder, char **ret)
{
	size_t flen, clen;
	const char *p;
	char *v;

	if (!folder || !*folder || !ret)
		return -EINVAL;
	if (!current || !*trim(current, strlen(current), &clen))
		current = DRIVERS_DEFAULT_DEVICE_PATH;
	clen = strlen(current);
	if (clen > DRIVERS_INJECT_MAX_DEVICE_PATH)
		return -E2BIG;
	flen = strlen(folder);
	for (p = current; *p;) {
		const char *end = strchr(p, ';');
		size_t n = end ? (size_t)(end - p) : strlen(p), tn;
		const char *t = trim(p, n, &tn);

		if (tn == flen && strncasecmp(t, folder, flen) == 0)
			return 0;
		p += n;
		if (*p == ';')
			p++;
	}
	/* Drop trailing separators and blanks so no empty item appears. */
	while (clen > 0 && strchr("; \t", current[clen - 1]))
		clen--;
	if (util_asprintf(&v, "%.*s%s%s", (int)clen, current,
	                  clen > 0 ? ";" : "", folder) < 0)
		return -ENOMEM;
	*ret = v;
	return 1;
}

/* ---- the injection ------------------------------------------------------ */

struct inject {
	const struct drivers_install *in;
	const struct drivers_guest *guest;
	struct drivers_injection *inj;
	const char *arch;                 /* normalised */
	const struct drivers_service *fn; /* the device's service */
	char *label;                      /* DriverDatabase package label */
	char **ids;                       /* validated hardware IDs */
};

static int
add_copy(struct drivers_injection *inj, const char *host, const char *guest)
{
	struct drivers_copy *c;

	for (size_t i = 0; i < inj->n_copies; i++)
		if (strcaseeq(inj->copies[i].guest_path, guest))
			return 0; /* first wins: same destination */
	if (inj->n_copies >= DRIVERS_INJECT_MAX_COPIES)
		return -E2BIG;
	c = realloc(inj->copies, (inj->n_copies + 1) * sizeof(*c));
	if (!c)
		return -ENOMEM;
	inj->copies = c;
	c = &inj->copies[inj->n_copies];
	c->host_path = strdup(host);
	c->guest_path = strdup(guest);
	if (!c->host_path || !c->guest_path) {
		free(c->host_path);
		free(c->guest_path);
		return -ENOMEM;
	}
	inj->n_copies++;
	return 0;
}

/* Guest directory (volume-relative) of a DestinationDirs dirid. */
static int
dirid_dir(struct inject *c, const struct drivers_file *f, char **ret)
{
	const char *sr = c->guest->systemroot, *sub;
	unsigned dirid = f->dirid;

	if (dirid == 13) {
		/* DIRID 13 is "run from the driver store", which would need a
		 * DriverStore\FileRepository folder; we never fabricate one
		 * (WINDOWS.md §1.3) and load the boot driver from
		 * System32\drivers instead. */
		int r = note(c->inj,
		             "%s: file '%s' targets DIRID 13 (driver store); "
		             "installed to System32\\drivers instead",
		             c->in->inf_name, f->name);
		if (r < 0)
			return r;
		dirid = 12;
	}
	switch (dirid) {
	case 10:
		sub = "";
		break;
	case 11:
		sub = "\\System32";
		break;
	case 12:
		sub = "\\System32\\drivers";
		break;
	default: {
		int r = note(c->inj,
		             "%s: file '%s' has destination DIRID %u, which "
		             "offline injection does not support",
		             c->in->inf_name, f->name, dirid);
		return r < 0 ? r : -EOPNOTSUPP;
	}
	}
	if (f->subdir && *f->subdir) {
		if (!valid_rel_path(f->subdir, true, false)) {
			int r = note(c->inj,
			             "%s: file '%s' has an invalid destination "
			             "subdirectory",
			             c->in->inf_name, f->name);
			return r < 0 ? r : -EINVAL;
		}
		return util_asprintf(ret, "%s%s\\%s", sr, sub, f->subdir) < 0
		               ? -ENOMEM
		               : 0;
	}
	return util_asprintf(ret, "%s%s", sr, sub) < 0 ? -ENOMEM : 0;
}

static int
plan_files(struct inject *c)
{
	const struct drivers_install *in = c->in;
	const struct drivers_guest *g = c->guest;
	_cleanup_free_ char *stage = NULL;
	size_t missing = 0;
	int r;

	if (in->n_files > DRIVERS_INJECT_MAX_COPIES ||
	    util_strv_length(in->package_files) > DRIVERS_INJECT_MAX_COPIES) {
		r = note(c->inj, "%s: the package has more than %u files",
		         in->inf_name, DRIVERS_INJECT_MAX_COPIES);
		return r < 0 ? r : -E2BIG;
	}
	for (size_t i = 0; i < in->n_files; i++) {
		const struct drivers_file *f = &in->files[i];
		_cleanup_free_ char *dir = NULL, *dst = NULL;

		if (!valid_component(f->name, true)) {
			r = note(c->inj,
			         "%s: CopyFiles entry %zu has an "
			         "invalid file name",
			         in->inf_name, i + 1);
			return r < 0 ? r : -EINVAL;
		}
		if (!f->host_path) {
			r = note(c->inj,
			         "%s: file '%s' (source '%s') is missing from "
			         "the package %s",
			         in->inf_name, f->name,
			         f->source ? f->source : f->name,
			         in->package_dir ? in->package_dir : "");
			if (r < 0)
				return r;
			missing++;
			continue;
		}
		r = dirid_dir(c, f, &dir);
		if (r < 0)
			return r;
		if (util_asprintf(&dst, "%s\\%s", dir, f->name) < 0)
			return -ENOMEM;
		r = add_copy(c->inj, f->host_path, dst);
		if (r < 0)
			return r;
	}
	if (missing > 0)
		return -ENOENT;

	/* The whole package, so Plug and Play finds it at first boot. */
	if (util_asprintf(&stage, "%s\\Drivers\\%s", g->systemroot,
	                  g->store_name) < 0)
		return -ENOMEM;
	if (in->package_files) {
		bool have_inf = false, have_cat = !in->catalog_file;

		if (!in->package_dir)
			return -EINVAL;
		STRV_FOREACH (p, in->package_files) {
			_cleanup_free_ char *rel = NULL, *host = NULL,
			                    *dst = NULL;
			const char *base;

			rel = strdup(*p);
			if (!rel)
				return -ENOMEM;
			for (char *q = rel; *q; q++)
				if (*q == '/')
					*q = '\\';
			if (!valid_rel_path(rel, true, false)) {
				r = note(c->inj,
				         "%s: package file '%s' has an invalid "
				         "name",
				         in->inf_name, *p);
				return r < 0 ? r : -EINVAL;
			}
			base = strrchr(rel, '\\');
			base = base ? base + 1 : rel;
			if (strcaseeq(base, in->inf_name))
				have_inf = true;
			if (in->catalog_file &&
			    strcaseeq(base, in->catalog_file))
				have_cat = true;
			host = util_path_join(in->package_dir, *p);
			if (!host ||
			    util_asprintf(&dst, "%s\\%s", stage, rel) < 0)
				return -ENOMEM;
			r = add_copy(c->inj, host, dst);
			if (r < 0)
				return r;
		}
		if (!have_cat) {
			r = note(c->inj,
			         "%s: catalog '%s' is not in the package: "
			         "Windows will treat the driver as unsigned",
			         in->inf_name, in->catalog_file);
			if (r < 0)
				return r;
		}
		if (have_inf)
			return 0;
	} else {
		for (size_t i = 0; i < in->n_files; i++) {
			const struct drivers_file *f = &in->files[i];
			const char *src = f->source ? f->source : f->name;
			_cleanup_free_ char *dst = NULL;

			/* the source may name a SourceDisksNames subdir */
			src = strrchr(src, '/') ? strrchr(src, '/') + 1 : src;
			src = strrchr(src, '\\') ? strrchr(src, '\\') + 1 : src;
			if (!valid_component(src, true)) {
				r = note(c->inj,
				         "%s: package file '%s' has an invalid "
				         "name",
				         in->inf_name, src);
				return r < 0 ? r : -EINVAL;
			}
			if (util_asprintf(&dst, "%s\\%s", stage, src) < 0)
				return -ENOMEM;
			r = add_copy(c->inj, f->host_path, dst);
			if (r < 0)
				return r;
		}
	}
	{
		_cleanup_free_ char *dst = NULL;

		if (util_asprintf(&dst, "%s\\%s", stage, in->inf_name) < 0)
			return -ENOMEM;
		return add_copy(c->inj, in->inf_path, dst);
	}
}

/* Marks the edit just added as no-clobber. */
static void
last_no_clobber(struct hive_edits *l)
{
	if (l->n > 0)
		l->v[l->n - 1].no_clobber = true;
}

/* One AddReg/DelReg entry relative to base (HKR). */
static int
reg_edit(struct inject *c, struct hive_edits *l, const char *base,
         const struct drivers_reg *reg, const char *what)
{
	_cleanup_free_ char *key = NULL;
	int r;

	if (!valid_rel_path(reg->subkey ? reg->subkey : "", false, true)) {
		r = note(c->inj, "%s: %s: invalid registry subkey",
		         c->in->inf_name, what);
		return r < 0 ? r : -EINVAL;
	}
	if (reg->name && strlen(reg->name) > HIVE_MAX_NAME)
		return -E2BIG;
	if (reg->len > HIVE_MAX_VALUE_SIZE)
		return -E2BIG;
	if (reg->len > 0 && !reg->data)
		return -EINVAL;
	if (reg->subkey && *reg->subkey)
		r = util_asprintf(&key, "%s\\%s", base, reg->subkey);
	else
		r = util_asprintf(&key, "%s", base);
	if (r < 0)
		return -ENOMEM;

	if (reg->del) {
		if (reg->name && reg->type == HIVE_T_MULTI_SZ && reg->data) {
			/* DelReg FLG_DELREG_MULTI_SZ_DELSTRING: the item is
			 * the SZ-encoded string in data */
			_cleanup_free_ char *item = NULL;

			if (reg->len < 2 || reg->len % 2)
				return -EINVAL;
			r = util_utf16le_to_utf8(reg->data, reg->len - 2, &item,
			                         NULL);
			if (r < 0)
				return r;
			return hive_edits_multi_sz_remove(l, key, reg->name,
			                                  item);
		}
		if (reg->name)
			return hive_edits_delete_value(l, key, reg->name);
		if (!reg->subkey || !*reg->subkey) {
			/* Deleting HKR itself would undo the install. */
			return note(c->inj,
			            "%s: %s: DelReg of the whole key "
			            "ignored",
			            c->in->inf_name, what);
		}
		return hive_edits_delete_key(l, key);
	}
	if (reg->key_only || !reg->name)
		return hive_edits_create_key(l, key);
	if (reg->append) {
		_cleanup_strv_free_ char **items = NULL;

		if (reg->type != HIVE_T_MULTI_SZ) {
			r = note(c->inj,
			         "%s: %s: append to a value that is not "
			         "MULTI_SZ",
			         c->in->inf_name, what);
			return r < 0 ? r : -EINVAL;
		}
		r = hive_decode_multi_sz(reg->data, reg->len, &items);
		if (r < 0)
			return r;
		STRV_FOREACH (it, items) {
			r = hive_edits_multi_sz_add(l, key, reg->name, *it);
			if (r < 0)
				return r;
		}
		return 0;
	}
	r = hive_edits_set(l, key, reg->name, reg->type, reg->data, reg->len);
	if (r < 0)
		return r;
	if (reg->no_clobber)
		last_no_clobber(l);
	return 0;
}

/* An AddReg entry of a service-install section: HKR = the service key;
 * HKLM\SYSTEM\CurrentControlSet\... and HKLM\SOFTWARE\... are mapped to the
 * offline hives; other roots cannot be written offline and are noted. */
static int
service_reg(struct inject *c, const char *svc_key,
            const struct drivers_reg *reg)
{
	const char *cs = c->guest->control_set;
	const char *sub = reg->subkey ? reg->subkey : "", *rest;
	struct drivers_reg mapped = *reg;
	_cleanup_free_ char *base = NULL;

	if (reg->root && strcaseeq(reg->root, "HKR"))
		return reg_edit(c, &c->inj->system, svc_key, reg, "AddReg");
	if (reg->root && strcaseeq(reg->root, "HKLM")) {
		rest = util_startswith_case(sub, "SYSTEM\\CurrentControlSet\\");
		if (rest) {
			if (util_asprintf(&base, "%s", cs) < 0)
				return -ENOMEM;
			mapped.subkey = (char *)rest;
			return reg_edit(c, &c->inj->system, base, &mapped,
			                "AddReg");
		}
		rest = util_startswith_case(sub, "SOFTWARE\\");
		if (rest && *rest) {
			size_t n;
			const char *slash = strchr(rest, '\\');

			/* base = first component, subkey = the rest */
			n = slash ? (size_t)(slash - rest) : strlen(rest);
			base = util_strndup0(rest, n);
			if (!base)
				return -ENOMEM;
			mapped.subkey = (char *)(slash ? slash + 1 : "");
			return reg_edit(c, &c->inj->software, base, &mapped,
			                "AddReg");
		}
	}
	return note(c->inj,
	            "%s: AddReg entry under %s\\%s skipped: not writable "
	            "offline",
	            c->in->inf_name, reg->root ? reg->root : "(none)", sub);
}

static int
image_path(const struct drivers_service *s, char **ret)
{
	const char *b = s->binary ? s->binary : "";

	if (util_startswith(b, "%11%\\"))
		return util_asprintf(ret, "system32\\%s", s->binary_file) < 0
		               ? -ENOMEM
		               : 0;
	/* %12%, %13% (see dirid_dir) and anything else a kernel driver
	 * names: the boot loader loads it from system32\drivers. */
	return util_asprintf(ret, "system32\\drivers\\%s", s->binary_file) < 0
	               ? -ENOMEM
	               : 0;
}

static int
write_services(struct inject *c)
{
	const struct drivers_install *in = c->in;
	const struct drivers_guest *g = c->guest;
	struct hive_edits *l = &c->inj->system;
	int r;

	for (size_t i = 0; i < in->n_services; i++) {
		const struct drivers_service *s = &in->services[i];
		_cleanup_free_ char *key = NULL, *ip = NULL, *so = NULL;
		bool boot = g->boot_critical && s == c->fn;

		if (util_asprintf(&key, "%s\\Services\\%s", g->control_set,
		                  s->name) < 0)
			return -ENOMEM;
		if ((r = hive_edits_set_dword(l, key, "Type", s->type)) < 0 ||
		    (r = hive_edits_set_dword(l, key, "Start",
		                              boot ? 0 : s->start)) < 0 ||
		    (r = hive_edits_set_dword(l, key, "ErrorControl",
		                              s->error_control)) < 0)
			return r;
		if (s->load_order_group && *s->load_order_group) {
			r = hive_edits_set_sz(l, key, "Group", HIVE_T_SZ,
			                      s->load_order_group);
			if (r < 0)
				return r;
		}
		r = image_path(s, &ip);
		if (r < 0)
			return r;
		r = hive_edits_set_sz(l, key, "ImagePath", HIVE_T_EXPAND_SZ,
		                      ip);
		if (r < 0)
			return r;
		if (s->n_reg > DRIVERS_INJECT_MAX_REG)
			return -E2BIG;
		for (size_t k = 0; k < s->n_reg; k++) {
			r = service_reg(c, key, &s->reg[k]);
			if (r < 0)
				return r;
		}
		if (boot && g->driver_database) {
			if (util_asprintf(&so, "%s\\StartOverride", key) < 0)
				return -ENOMEM;
			r = hive_edits_delete_key(l, so);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

/* Pushes s unless a case-insensitive duplicate is there (takes s). */
static int
push_unique(char ***l, char *s)
{
	if (util_strv_contains_case(*l, s)) {
		free(s);
		return 0;
	}
	return util_strv_consume(l, s);
}

/* IDs to key on: every hardware ID, then its VEN&DEV&REV short form and,
 * with_ven_dev, its VEN&DEV short form. */
static int
key_ids(struct inject *c, bool with_ven_dev, char ***ret)
{
	_cleanup_strv_free_ char **out = NULL;
	int r;

	STRV_FOREACH (id, c->ids) {
		char *vd = NULL, *vdr = NULL, *dup;

		dup = strdup(*id);
		if (!dup)
			return -ENOMEM;
		r = push_unique(&out, dup);
		if (r < 0)
			return r;
		if (drivers_pci_short_ids(*id, &vd, &vdr) < 0)
			continue;
		r = vdr ? push_unique(&out, vdr) : 0;
		if (r < 0) {
			free(vd);
			return r;
		}
		if (with_ven_dev)
			r = push_unique(&out, vd);
		else
			free(vd);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

static int
write_cddb(struct inject *c)
{
	struct hive_edits *l = &c->inj->system;
	_cleanup_strv_free_ char **ids = NULL;
	int r;

	r = key_ids(c, true, &ids);
	if (r < 0)
		return r;
	STRV_FOREACH (id, ids) {
		_cleanup_free_ char *key = NULL;

		if (util_asprintf(&key,
		                  "%s\\Control\\CriticalDeviceDatabase\\%s",
		                  c->guest->control_set, *id) < 0)
			return -ENOMEM;
		/* the ID part: lower-case, '\' -> '#' */
		for (char *p = key + strlen(key) - strlen(*id); *p; p++)
			*p = *p == '\\' ? '#'
			                : (char)tolower((unsigned char)*p);
		if ((r = hive_edits_set_sz(l, key, "Service", HIVE_T_SZ,
		                           c->fn->name)) < 0 ||
		    (r = hive_edits_set_sz(l, key, "ClassGUID", HIVE_T_SZ,
		                           c->in->class_guid)) < 0)
			return r;
	}
	return 0;
}

/*
 * The §1.3 registration.  The configuration name is the resolved DDInstall
 * section name as the INF spells it ("scsi_inst", "LSI_U3_Inst"): that is
 * what Windows itself writes (a real 19041 hive has Configurations\
 * Stornvme_Inst for stornvme.inf, PNPXIGD.NT for a decorated one).  Device
 * IDs keep the INF's spelling too (DeviceIds\PCI\VEN_1AF4&DEV_1001...).
 */
static int
write_driver_database(struct inject *c)
{
	static const uint8_t devid[4] = {0x01, 0xff, 0x00, 0x00};
	const struct drivers_install *in = c->in;
	struct hive_edits *l = &c->inj->system;
	_cleanup_strv_free_ char **ids = NULL;
	_cleanup_free_ char *inf_key = NULL, *pkg = NULL, *conf_key = NULL;
	uint8_t version[DRIVERS_VERSION_BLOB_SIZE];
	char *label_v[2] = {c->label, NULL};
	char *conf_v[2] = {in->ddinstall, NULL};
	int r;

	r = drivers_version_blob(in->class_guid, in->driver_date,
	                         in->driver_version, version);
	if (r < 0) {
		int k = note(c->inj,
		             "%s: cannot encode DriverVer '%s,%s' (expected "
		             "MM/DD/YYYY,a.b.c.d)",
		             in->inf_name,
		             in->driver_date ? in->driver_date : "",
		             in->driver_version ? in->driver_version : "");
		return k < 0 ? k : r;
	}
	if (!in->driver_date || !in->driver_version) {
		r = note(c->inj,
		         "%s: no DriverVer date/version; zero in the package "
		         "Version value",
		         in->inf_name);
		if (r < 0)
			return r;
	}

	if (util_asprintf(&inf_key, "DriverDatabase\\DriverInfFiles\\%s",
	                  in->inf_name) < 0 ||
	    util_asprintf(&pkg, "DriverDatabase\\DriverPackages\\%s",
	                  c->label) < 0 ||
	    util_asprintf(&conf_key, "%s\\Configurations\\%s", pkg,
	                  in->ddinstall) < 0)
		return -ENOMEM;
	if ((r = hive_edits_set_multi_sz(l, inf_key, "", label_v)) < 0 ||
	    (r = hive_edits_set_sz(l, inf_key, "Active", HIVE_T_SZ, c->label)) <
	            0 ||
	    (r = hive_edits_set_multi_sz(l, inf_key, "Configurations",
	                                 conf_v)) < 0)
		return r;

	r = key_ids(c, false, &ids);
	if (r < 0)
		return r;
	STRV_FOREACH (id, ids) {
		_cleanup_free_ char *key = NULL;

		if (util_asprintf(&key, "DriverDatabase\\DeviceIds\\%s", *id) <
		    0)
			return -ENOMEM;
		r = hive_edits_set(l, key, in->inf_name, HIVE_T_BINARY, devid,
		                   sizeof(devid));
		if (r < 0)
			return r;
	}

	if ((r = hive_edits_set(l, pkg, "Version", HIVE_T_BINARY, version,
	                        sizeof(version))) < 0 ||
	    (r = hive_edits_set_dword(l, conf_key, "ConfigFlags", 0)) < 0 ||
	    (r = hive_edits_set_sz(l, conf_key, "Service", HIVE_T_SZ,
	                           c->fn->name)) < 0)
		return r;
	STRV_FOREACH (id, ids) {
		_cleanup_free_ char *key = NULL;

		if (util_asprintf(&key, "%s\\Descriptors\\%s", pkg, *id) < 0)
			return -ENOMEM;
		r = hive_edits_set_sz(l, key, "Configuration", HIVE_T_SZ,
		                      in->ddinstall);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
write_device_path(struct inject *c)
{
	_cleanup_free_ char *folder = NULL, *v = NULL;
	int r;

	if (util_asprintf(&folder, "%%SystemRoot%%\\Drivers\\%s",
	                  c->guest->store_name) < 0)
		return -ENOMEM;
	r = drivers_device_path_append(c->guest->device_path, folder, &v);
	if (r < 0)
		return r;
	if (r == 0)
		return 0; /* already listed: nothing to change */
	return hive_edits_set_sz(&c->inj->software,
	                         "Microsoft\\Windows\\CurrentVersion",
	                         "DevicePath", HIVE_T_EXPAND_SZ, v);
}

/* Checks everything taken from the install and the guest before use. */
static int
validate(struct inject *c)
{
	const struct drivers_install *in = c->in;
	const struct drivers_guest *g = c->guest;
	const char *inf = in->inf_name ? in->inf_name : "(unnamed INF)";
	const char *garch;
	size_t n_ids;
	int r;

#define REFUSE(err, ...)                            \
	do {                                        \
		int _k = note(c->inj, __VA_ARGS__); \
		return _k < 0 ? _k : (err);         \
	} while (0)

	if (!valid_component(in->inf_name, true) ||
	    !util_endswith_case(in->inf_name, ".inf") || !in->inf_path)
		REFUSE(-EINVAL, "%s: invalid INF name or path", inf);
	c->arch = norm_arch(in->arch);
	garch = norm_arch(g->target.arch);
	if (!c->arch)
		REFUSE(-EINVAL, "%s: unknown package architecture '%s'", inf,
		       in->arch ? in->arch : "");
	if (!garch)
		REFUSE(-EINVAL, "%s: unknown guest architecture '%s'", inf,
		       g->target.arch ? g->target.arch : "");
	if (!streq(c->arch, garch))
		REFUSE(-EXDEV,
		       "%s: the package is for %s but the guest is %s; "
		       "choose the %s build of the driver",
		       inf, c->arch, garch, garch);
	if (!valid_rel_path(g->systemroot, true, false) ||
	    !valid_component(g->control_set, false))
		REFUSE(-EINVAL, "%s: invalid guest systemroot/control set",
		       inf);
	if (!valid_component(g->store_name, true))
		REFUSE(-EINVAL, "%s: invalid driver folder name '%s'", inf,
		       g->store_name ? g->store_name : "");
	if (!in->class_guid ||
	    drivers_parse_guid(in->class_guid, (uint8_t[16]){0}) < 0)
		REFUSE(-EINVAL, "%s: invalid ClassGuid '%s'", inf,
		       in->class_guid ? in->class_guid : "");
	if (!valid_component(in->ddinstall, false))
		REFUSE(-EINVAL, "%s: invalid DDInstall section name", inf);

	if (in->n_services == 0 || !in->services)
		REFUSE(-EINVAL,
		       "%s: DDInstall section %s has no AddService: nothing "
		       "would load the driver",
		       inf, in->ddinstall);
	if (in->n_services > DRIVERS_INJECT_MAX_SERVICES)
		REFUSE(-E2BIG, "%s: too many services", inf);
	for (size_t i = 0; i < in->n_services; i++) {
		const struct drivers_service *s = &in->services[i];

		if (!valid_component(s->name, false) ||
		    !valid_component(s->binary_file, true))
			REFUSE(-EINVAL,
			       "%s: AddService %zu has an invalid service or "
			       "binary name",
			       inf, i + 1);
		if (s->load_order_group &&
		    strlen(s->load_order_group) > DRIVERS_INJECT_MAX_NAME)
			REFUSE(-EINVAL, "%s: LoadOrderGroup too long", inf);
		if ((s->add_flags & DRIVERS_SPSVCINST_ASSOCSERVICE) && !c->fn)
			c->fn = s;
	}
	if (!c->fn) {
		if (in->n_services > 1)
			REFUSE(-EINVAL,
			       "%s: no AddService is marked as the device's "
			       "service (SPSVCINST_ASSOCSERVICE)",
			       inf);
		c->fn = &in->services[0];
	}

	n_ids = util_strv_length(in->hardware_ids);
	if (n_ids == 0)
		REFUSE(-EINVAL, "%s: the install matches no hardware ID", inf);
	if (n_ids > DRIVERS_INJECT_MAX_IDS)
		REFUSE(-E2BIG, "%s: too many hardware IDs (%zu)", inf, n_ids);
	STRV_FOREACH (id, in->hardware_ids) {
		if (!valid_hardware_id(*id))
			REFUSE(-EINVAL, "%s: invalid hardware ID '%.64s'", inf,
			       *id);
		char *dup = strdup(*id);

		if (!dup)
			return -ENOMEM;
		r = push_unique(&c->ids, dup);
		if (r < 0)
			return r;
	}
#undef REFUSE
	return 0;
}

static int
make_label(struct inject *c)
{
	char hex[UTIL_SHA256_HEX_LEN + 1];
	int r;

	/* <inf>_<arch>_<16 hex>: the first 8 bytes of the SHA-256 of the INF
	 * bytes, so the same package always gets the same label. */
	r = util_sha256_file(c->in->inf_path, hex);
	if (r < 0) {
		int k = note(c->inj, "%s: cannot read the INF %s",
		             c->in->inf_name, c->in->inf_path);
		return k < 0 ? k : r;
	}
	return util_asprintf(&c->label, "%s_%s_%.16s", c->in->inf_name, c->arch,
	                     hex) < 0
	               ? -ENOMEM
	               : 0;
}

static int
inject(struct inject *c)
{
	_cleanup_free_ char *origin = NULL;
	int r;

	r = validate(c);
	if (r < 0)
		return r;
	if (util_asprintf(&origin, "driver:%s", c->in->inf_name) < 0)
		return -ENOMEM;
	if ((r = hive_edits_set_origin(&c->inj->system, origin)) < 0 ||
	    (r = hive_edits_set_origin(&c->inj->software, origin)) < 0)
		return r;
	r = plan_files(c);
	if (r < 0)
		return r;
	r = write_services(c);
	if (r < 0)
		return r;
	if (c->guest->driver_database) {
		r = make_label(c);
		if (r < 0)
			return r;
		r = write_driver_database(c);
	} else if (c->guest->boot_critical)
		r = write_cddb(c);
	if (r < 0)
		return r;
	r = write_device_path(c);
	if (r < 0)
		return r;
	if (c->in->n_reg > 0) {
		r = note(c->inj,
		         "%s: %zu device AddReg/DelReg entries are left to "
		         "Plug and Play at first boot",
		         c->in->inf_name, c->in->n_reg);
		if (r < 0)
			return r;
	}
	return 0;
}

/*
 * Contract beyond drivers.h: *ret is always (re)initialised, so it must not
 * hold a previous result.  On failure it holds only notes saying why (the
 * edits and copies are empty); release it with drivers_injection_done() in
 * both cases.  DevicePath is computed from guest->device_path: a caller
 * injecting several packages into one guest passes the value the previous
 * injection wrote.
 */
int
drivers_inject(const struct drivers_install *in,
               const struct drivers_guest *guest, struct drivers_injection *ret)
{
	struct drivers_injection inj = {0};
	struct inject c = {
	        .in = in,
	        .guest = guest,
	        .inj = &inj,
	};
	int r;

	if (!in || !guest || !ret)
		return -EINVAL;
	r = inject(&c);
	free(c.label);
	util_strv_free(c.ids);
	if (r < 0) {
		/* Only the notes saying why survive a failure. */
		char **notes = TAKE_PTR(inj.notes);

		drivers_injection_done(&inj);
		*ret = (struct drivers_injection){.notes = notes};
		return r;
	}
	*ret = inj;
	return 0;
}

void
drivers_injection_done(struct drivers_injection *inj)
{
	if (!inj)
		return;
	hive_edits_done(&inj->system);
	hive_edits_done(&inj->software);
	for (size_t i = 0; i < inj->n_copies; i++) {
		free(inj->copies[i].host_path);
		free(inj->copies[i].guest_path);
	}
	free(inj->copies);
	util_strv_free(inj->notes);
	*inj = (struct drivers_injection){0};
}

/* ---- .reg rendering ----------------------------------------------------- */

/* SZ/EXPAND_SZ data as a printable UTF-8 string (one terminating NUL, no
 * embedded NUL or control characters), else NULL. */
static char *
printable_sz(const uint8_t *data, size_t len)
{
	char *s = NULL;
	size_t n;

	if (len < 2 || len % 2 || data[len - 1] || data[len - 2])
		return NULL;
	if (util_utf16le_to_utf8(data, len - 2, &s, &n) < 0)
		return NULL;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			free(s);
			return NULL;
		}
	return s;
}

static void
put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void
put_name(FILE *f, const char *name)
{
	if (!name || !*name)
		fputc('@', f);
	else
		put_quoted(f, name);
}

/* hex bytes, wrapped like regedit with "\" continuation lines. */
static void
put_hex(FILE *f, const uint8_t *data, size_t len, size_t col)
{
	for (size_t i = 0; i < len; i++) {
		if (col > 76 && i + 1 < len) {
			fputs("\\\n  ", f);
			col = 2;
		}
		col += (size_t)fprintf(f, "%02x%s", data[i],
		                       i + 1 < len ? "," : "");
	}
	fputc('\n', f);
}

/* Width of a value name as put_name() prints it. */
static size_t
name_width(const char *name)
{
	size_t n = 2;

	if (!name || !*name)
		return 1;
	for (; *name; name++)
		n += (*name == '"' || *name == '\\') ? 2 : 1;
	return n;
}

static void
put_value(FILE *f, const struct hive_edit *e)
{
	_cleanup_free_ char *s = NULL;
	char type[16];

	put_name(f, e->name);
	fputc('=', f);
	if (e->type == HIVE_T_DWORD && e->len == 4) {
		fprintf(f, "dword:%08x\n", util_le32(e->data));
		return;
	}
	if ((e->type == HIVE_T_SZ || e->type == HIVE_T_EXPAND_SZ) &&
	    (s = printable_sz(e->data, e->len))) {
		/* "..." is SZ; str(2):"..." is hivexregedit's EXPAND_SZ */
		if (e->type == HIVE_T_EXPAND_SZ)
			fputs("str(2):", f);
		put_quoted(f, s);
		fputc('\n', f);
		return;
	}
	if (e->type == HIVE_T_BINARY)
		snprintf(type, sizeof(type), "hex:");
	else
		snprintf(type, sizeof(type), "hex(%x):", e->type);
	fputs(type, f);
	put_hex(f, e->data, e->len, name_width(e->name) + 1 + strlen(type));
}

/* Comment lines describing a group's edits that .reg cannot say (or says
 * in hex): they come before the [key] line, where hivexregedit --merge
 * allows comments. */
static void
put_annotations(FILE *f, const struct hive_edit *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct hive_edit *e = &v[i];
		const char *nm = e->name && *e->name ? e->name : "(default)";

		switch (e->kind) {
		case HIVE_EDIT_SET_VALUE:
			if (e->type == HIVE_T_MULTI_SZ) {
				_cleanup_strv_free_ char **items = NULL;

				fprintf(f, "; %s = MULTI_SZ [", nm);
				if (hive_decode_multi_sz(e->data, e->len,
				                         &items) >= 0)
					STRV_FOREACH (it, items) {
						put_quoted(f, *it);
						if (it[1])
							fputs(", ", f);
					}
				fputs("]\n", f);
			}
			if (e->no_clobber)
				fprintf(f,
				        "; %s: no-clobber (an existing value "
				        "is kept)\n",
				        nm);
			break;
		case HIVE_EDIT_MULTI_SZ_ADD:
			fprintf(f, "; %s: add MULTI_SZ item ", nm);
			put_quoted(f, e->item ? e->item : "");
			fputs(" unless present\n", f);
			break;
		case HIVE_EDIT_MULTI_SZ_REMOVE:
			fprintf(f, "; %s: remove MULTI_SZ item ", nm);
			put_quoted(f, e->item ? e->item : "");
			fputc('\n', f);
			break;
		default:
			break;
		}
	}
}

static void
format_edits(FILE *f, const struct hive_edits *l, const char *prefix,
             const char **origin)
{
	size_t i = 0;

	while (i < l->n) {
		const struct hive_edit *e = &l->v[i];
		size_t j = i + 1;

		if (!streq_ptr(e->origin, *origin) && e->origin) {
			fprintf(f, "; origin: %s\n", e->origin);
			*origin = e->origin;
		}
		if (e->kind == HIVE_EDIT_DELETE_KEY) {
			fprintf(f, "[-%s\\%s]\n\n", prefix, e->key);
			i++;
			continue;
		}
		/* a group: consecutive edits of one key (same origin) */
		while (j < l->n && l->v[j].kind != HIVE_EDIT_DELETE_KEY &&
		       strcaseeq(l->v[j].key, e->key) &&
		       streq_ptr(l->v[j].origin, e->origin))
			j++;
		put_annotations(f, e, j - i);
		fprintf(f, "[%s\\%s]\n", prefix, e->key);
		for (size_t k = i; k < j; k++) {
			const struct hive_edit *x = &l->v[k];

			if (x->kind == HIVE_EDIT_SET_VALUE)
				put_value(f, x);
			else if (x->kind == HIVE_EDIT_DELETE_VALUE) {
				put_name(f, x->name);
				fputs("=-\n", f);
			}
		}
		fputc('\n', f);
		i = j;
	}
}

int
drivers_injection_format(const struct drivers_injection *inj, FILE *out)
{
	const char *origin = NULL;

	if (!inj || !out)
		return -EINVAL;
	fputs("Windows Registry Editor Version 5.00\n\n", out);
	format_edits(out, &inj->system, "HKEY_LOCAL_MACHINE\\SYSTEM", &origin);
	origin = NULL;
	format_edits(out, &inj->software, "HKEY_LOCAL_MACHINE\\SOFTWARE",
	             &origin);
	if (inj->n_copies > 0) {
		fputs("; ---- file copies: guest path <- host path ----\n",
		      out);
		for (size_t i = 0; i < inj->n_copies; i++)
			fprintf(out, "; %s <- %s\n", inj->copies[i].guest_path,
			        inj->copies[i].host_path);
	}
	STRV_FOREACH (n, inj->notes)
		fprintf(out, "; note: %s\n", *n);
	if (fflush(out) != 0 || ferror(out))
		return -EIO;
	return 0;
}
