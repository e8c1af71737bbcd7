/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/inject-registry.c — the registry layout of an injection per
 * Windows generation (see inject.c for the list): Services\<svc> with the
 * service-install AddReg, the CriticalDeviceDatabase (5.0-6.1), the
 * DriverDatabase registration (6.2+) and the DevicePath append; and the
 * pure encoders they use (PCI short IDs, GUIDs, DriverVer date/version,
 * the DriverPackages "Version" blob), exposed in inject-internal.h.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "inject-internal.h"
#include "util.h"

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

	if (!drivers_inject_valid_rel_path(reg->subkey ? reg->subkey : "",
	                                   false, true)) {
		r = util_strv_pushf(&c->inj->notes,
		                    "%s: %s: invalid registry subkey",
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
			return util_strv_pushf(
			        &c->inj->notes,
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
			r = util_strv_pushf(
			        &c->inj->notes,
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
	return util_strv_pushf(
	        &c->inj->notes,
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

int
drivers_inject_write_services(struct inject *c)
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
		r = drivers_inject_push_unique(&out, dup);
		if (r < 0)
			return r;
		if (drivers_pci_short_ids(*id, &vd, &vdr) < 0)
			continue;
		r = vdr ? drivers_inject_push_unique(&out, vdr) : 0;
		if (r < 0) {
			free(vd);
			return r;
		}
		if (with_ven_dev)
			r = drivers_inject_push_unique(&out, vd);
		else
			free(vd);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(out);
	return 0;
}

int
drivers_inject_write_cddb(struct inject *c)
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
int
drivers_inject_write_driver_database(struct inject *c)
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
		int k = util_strv_pushf(
		        &c->inj->notes,
		        "%s: cannot encode DriverVer '%s,%s' (expected "
		        "MM/DD/YYYY,a.b.c.d)",
		        in->inf_name, in->driver_date ? in->driver_date : "",
		        in->driver_version ? in->driver_version : "");
		return k < 0 ? k : r;
	}
	if (!in->driver_date || !in->driver_version) {
		r = util_strv_pushf(
		        &c->inj->notes,
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

int
drivers_inject_write_device_path(struct inject *c)
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
