/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Tests of drivers/inject.c: driver installations built here exactly as the
 * INF parser resolves them from the real corpus INFs (viostor, vioscsi and
 * Microsoft's lsi_u3 sample), injected into every Windows generation
 * profile and compared byte-for-byte with the golden .reg files in
 * tests/drivers/golden/ (IMGFIX_UPDATE_GOLDEN=1 rewrites them); parity with
 * what virt-v2v 2.2 writes (VIRT-V2V-REFERENCE.md, encoded as data below);
 * the Version blob against values from a real Windows 10 hive; refusals.
 *
 * The packages are staged in the test's temp directory, which is the
 * working directory, so host paths in the goldens are relative and stable.
 */
#include <ctype.h>

#include "tests.h"
#include "drivers.h"
#include "hive.h"
#include "inject-internal.h"

#include "test-drivers-inject-fixtures.h"

static void
fx_reg_to(const struct fx_reg *f, struct drivers_reg *r)
{
	*r = (struct drivers_reg){
	        .root = xstrdup("HKR"),
	        .subkey = xstrdup(f->subkey ? f->subkey : ""),
	        .name = xstrdup(f->name),
	        .del = f->del,
	        .key_only = f->key_only,
	};
	if (f->del || f->key_only || !f->name)
		return;
	if (f->is_sz) {
		r->type = HIVE_T_SZ;
		r->flags = DRIVERS_FLG_ADDREG_TYPE_SZ;
		ASSERT_OK(hive_encode_sz(f->sz, &r->data, &r->len));
		return;
	}
	r->type = HIVE_T_DWORD;
	r->flags = DRIVERS_FLG_ADDREG_TYPE_DWORD;
	r->data = malloc(4);
	ASSERT_NOT_NULL(r->data);
	util_put_le32(r->data, f->dword);
	r->len = 4;
}

static size_t
fx_reg_count(const struct fx_reg *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n].subkey)
		n++;
	return n;
}

/* The install the parser resolves for d on arch (all models lines of the
 * DDInstall), with host paths filled in as the store does. */
static struct drivers_install
install_of(const struct fx_driver *d, const char *arch)
{
	struct drivers_install in = {0};
	struct drivers_service *s;
	size_t n;

	stage(d, arch);
	ASSERT_OK(util_asprintf(&in.package_dir, "%s/%s", arch, d->store));
	in.inf_path = util_path_join(in.package_dir, d->inf_name);
	in.inf_name = xstrdup(d->inf_name);
	in.class_name = xstrdup("SCSIAdapter");
	in.class_guid = xstrdup(SCSI_GUID);
	in.provider = xstrdup(d->provider);
	in.driver_date = xstrdup(d->date);
	in.driver_version = xstrdup(d->version);
	in.catalog_file = xstrdup(d->catalog);
	in.arch = xstrdup(arch);
	in.ddinstall = xstrdup(d->ddinstall);
	in.description = xstrdup(d->description);
	for (size_t i = 0; i < ELEMENTSOF(d->ids) && d->ids[i]; i++)
		ASSERT_OK(util_strv_push(&in.hardware_ids, d->ids[i]));

	in.services = s = calloc(1, sizeof(*s));
	ASSERT_NOT_NULL(s);
	in.n_services = 1;
	s->name = xstrdup(d->service);
	s->add_flags = d->add_flags;
	s->type = 1;
	s->start = 0;
	s->error_control = 1;
	s->binary = xstrdup(d->binary);
	s->binary_file = xstrdup(d->sys);
	s->load_order_group = xstrdup(d->group);
	n = fx_reg_count(d->svc_reg, ELEMENTSOF(d->svc_reg));
	s->reg = calloc(n, sizeof(*s->reg));
	ASSERT_NOT_NULL(s->reg);
	s->n_reg = n;
	for (size_t i = 0; i < n; i++)
		fx_reg_to(&d->svc_reg[i], &s->reg[i]);

	in.files = calloc(1, sizeof(*in.files));
	ASSERT_NOT_NULL(in.files);
	in.n_files = 1;
	in.files[0].name = xstrdup(d->sys);
	in.files[0].source = xstrdup(d->sys);
	in.files[0].dirid = 12;
	in.files[0].host_path = util_path_join(in.package_dir, d->sys);

	ASSERT_OK(util_strv_push(&in.package_files, d->inf_name));
	ASSERT_OK(util_strv_push(&in.package_files, d->catalog));
	ASSERT_OK(util_strv_push(&in.package_files, d->sys));
	return in;
}

static void
reg_free(struct drivers_reg *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].root);
		free(r[i].subkey);
		free(r[i].name);
		free(r[i].data);
	}
	free(r);
}

static void
install_free(struct drivers_install *in)
{
	free(in->inf_path);
	free(in->inf_name);
	free(in->package_dir);
	free(in->class_name);
	free(in->class_guid);
	free(in->provider);
	free(in->driver_date);
	free(in->driver_version);
	free(in->catalog_file);
	free(in->arch);
	free(in->ddinstall);
	free(in->description);
	util_strv_free(in->hardware_ids);
	for (size_t i = 0; i < in->n_services; i++) {
		free(in->services[i].name);
		free(in->services[i].binary);
		free(in->services[i].binary_file);
		free(in->services[i].load_order_group);
		reg_free(in->services[i].reg, in->services[i].n_reg);
	}
	free(in->services);
	reg_free(in->reg, in->n_reg);
	for (size_t i = 0; i < in->n_files; i++) {
		free(in->files[i].name);
		free(in->files[i].source);
		free(in->files[i].subdir);
		free(in->files[i].host_path);
	}
	free(in->files);
	util_strv_free(in->package_files);
	*in = (struct drivers_install){0};
}

/* ---- looking at edits --------------------------------------------------- */

/* The last SET_VALUE of key/name (case-insensitive), or NULL. */
static const struct hive_edit *
find_set(const struct hive_edits *l, const char *key, const char *name)
{
	const struct hive_edit *found = NULL;

	for (size_t i = 0; i < l->n; i++) {
		const struct hive_edit *e = &l->v[i];

		if (e->kind == HIVE_EDIT_SET_VALUE && strcaseeq(e->key, key) &&
		    e->name && strcaseeq(e->name, name))
			found = e;
	}
	return found;
}

static bool
has_key(const struct hive_edits *l, const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < l->n; i++) {
		const struct hive_edit *e = &l->v[i];

		if (e->kind == HIVE_EDIT_DELETE_KEY)
			continue;
		if (strncasecmp(e->key, key, n) == 0 &&
		    (e->key[n] == '\0' || e->key[n] == '\\'))
			return true;
	}
	return false;
}

static bool
has_delete_key(const struct hive_edits *l, const char *key)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i].kind == HIVE_EDIT_DELETE_KEY &&
		    strcaseeq(l->v[i].key, key))
			return true;
	return false;
}

static char *
edit_string(const struct hive_edit *e)
{
	char *s = NULL;

	ASSERT_TRUE(e->len >= 2 && e->len % 2 == 0);
	ASSERT_OK(util_utf16le_to_utf8(e->data, e->len - 2, &s, NULL));
	return s;
}

static uint32_t
edit_dword(const struct hive_edit *e)
{
	ASSERT_EQ(e->type, HIVE_T_DWORD);
	ASSERT_EQ(e->len, 4);
	return util_le32(e->data);
}

TEST(golden_every_generation)
{
	enter_tmpdir();
	for (size_t p = 0; p < ELEMENTSOF(fx_profiles); p++)
		for (size_t d = 0; d < ELEMENTSOF(fx_drivers); d++) {
			const struct fx_profile *pr = &fx_profiles[p];
			const struct fx_driver *dr = fx_drivers[d];
			struct drivers_install in = install_of(dr, pr->arch);
			struct drivers_guest g = guest_of(pr, dr->store);
			struct drivers_injection inj;
			_cleanup_free_ char *text = NULL, *name = NULL;

			ASSERT_OK(drivers_inject(&in, &g, &inj));
			text = format(&inj);
			ASSERT_OK(util_asprintf(&name, "%s-%s", pr->name,
			                        dr->name));
			check_golden(name, text);
			/* the formatter is pure */
			{
				_cleanup_free_ char *again = format(&inj);

				ASSERT_STREQ(again, text);
			}
			drivers_injection_done(&inj);
			install_free(&in);
		}
}

/* ---- parity with virt-v2v ----------------------------------------------- */

/* VIRT-V2V-REFERENCE.md, verbatim: what virt-v2v 2.2 writes for viostor. */
struct ref_row {
	const char *key, *name, *type, *data;
};

static const struct ref_row ref_win10[] = {
        {"controlset001\\control\\crashcontrol", "autoreboot", "dword", "0"},
        {"controlset001\\services\\firstboot", "displayname", "sz",
         "Virt tools firstboot service"},
        {"controlset001\\services\\firstboot", "errorcontrol", "dword", "1"},
        {"controlset001\\services\\firstboot", "imagepath", "sz",
         "C:\\Program Files\\Guestfs\\Firstboot\\rhsrvany.exe -s firstboot"},
        {"controlset001\\services\\firstboot", "objectname", "sz",
         "LocalSystem"},
        {"controlset001\\services\\firstboot", "start", "dword", "2"},
        {"controlset001\\services\\firstboot", "type", "dword", "16"},
        {"controlset001\\services\\firstboot\\parameters", "commandline", "sz",
         "cmd /c \"C:\\Program Files\\Guestfs\\Firstboot\\firstboot.bat\""},
        {"controlset001\\services\\firstboot\\parameters", "pwd", "sz",
         "C:\\Program Files\\Guestfs\\Firstboot"},
        {"controlset001\\services\\viostor", "errorcontrol", "dword", "1"},
        {"controlset001\\services\\viostor", "group", "sz", "SCSI miniport"},
        {"controlset001\\services\\viostor", "imagepath", "expand_sz",
         "system32\\drivers\\viostor.sys"},
        {"controlset001\\services\\viostor", "start", "dword", "0"},
        {"controlset001\\services\\viostor", "type", "dword", "1"},
        {"driverdatabase\\deviceids\\pci\\ven_1af4&dev_1001&subsys_00021af4&"
         "rev_00",
         "guestor.inf", "binary", "01 ff 00 00"},
        {"driverdatabase\\deviceids\\pci\\ven_1af4&dev_1042&subsys_11001af4&"
         "rev_01",
         "guestor.inf", "binary", "01 ff 00 00"},
        {"driverdatabase\\driverinffiles\\guestor.inf", "(default)", "multi_sz",
         "['guestor.inf_tmp']"},
        {"driverdatabase\\driverinffiles\\guestor.inf", "active", "sz",
         "guestor.inf_tmp"},
        {"driverdatabase\\driverinffiles\\guestor.inf", "configurations",
         "multi_sz", "['guestor_conf']"},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp", "version", "binary",
         "00 ff 09 00 00 00 00 00 7b e9 36 4d 25 e3 ce 11 bf c1 08 00 2b e1 "
         "03 18 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 "
         "00 00 00 00"},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp\\configurations", "",
         "key", ""},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp\\configurations\\"
         "guestor_conf",
         "configflags", "dword", "0"},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp\\configurations\\"
         "guestor_conf",
         "service", "sz", "viostor"},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp\\descriptors", "",
         "key", ""},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp\\descriptors\\pci",
         "", "key", ""},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp\\descriptors\\pci\\"
         "ven_1af4&dev_1001&subsys_00021af4&rev_00",
         "configuration", "sz", "guestor_conf"},
        {"driverdatabase\\driverpackages\\guestor.inf_tmp\\descriptors\\pci\\"
         "ven_1af4&dev_1042&subsys_11001af4&rev_01",
         "configuration", "sz", "guestor_conf"},
};

static const struct ref_row ref_win7[] = {
        {"controlset001\\control\\crashcontrol", "autoreboot", "dword", "0"},
        {"controlset001\\control\\criticaldevicedatabase\\pci#ven_1af4&dev_"
         "1001&subsys_00021af4&rev_00",
         "classguid", "sz", "{4D36E97B-E325-11CE-BFC1-08002BE10318}"},
        {"controlset001\\control\\criticaldevicedatabase\\pci#ven_1af4&dev_"
         "1001&subsys_00021af4&rev_00",
         "service", "sz", "viostor"},
        {"controlset001\\control\\criticaldevicedatabase\\pci#ven_1af4&dev_"
         "1042&subsys_11001af4&rev_01",
         "classguid", "sz", "{4D36E97B-E325-11CE-BFC1-08002BE10318}"},
        {"controlset001\\control\\criticaldevicedatabase\\pci#ven_1af4&dev_"
         "1042&subsys_11001af4&rev_01",
         "service", "sz", "viostor"},
        {"controlset001\\services\\firstboot", "displayname", "sz",
         "Virt tools firstboot service"},
        {"controlset001\\services\\firstboot", "errorcontrol", "dword", "1"},
        {"controlset001\\services\\firstboot", "imagepath", "sz",
         "C:\\Program Files\\Guestfs\\Firstboot\\rhsrvany.exe -s firstboot"},
        {"controlset001\\services\\firstboot", "objectname", "sz",
         "LocalSystem"},
        {"controlset001\\services\\firstboot", "start", "dword", "2"},
        {"controlset001\\services\\firstboot", "type", "dword", "16"},
        {"controlset001\\services\\firstboot\\parameters", "commandline", "sz",
         "cmd /c \"C:\\Program Files\\Guestfs\\Firstboot\\firstboot.bat\""},
        {"controlset001\\services\\firstboot\\parameters", "pwd", "sz",
         "C:\\Program Files\\Guestfs\\Firstboot"},
        {"controlset001\\services\\viostor", "errorcontrol", "dword", "1"},
        {"controlset001\\services\\viostor", "group", "sz", "SCSI miniport"},
        {"controlset001\\services\\viostor", "imagepath", "expand_sz",
         "system32\\drivers\\viostor.sys"},
        {"controlset001\\services\\viostor", "start", "dword", "0"},
        {"controlset001\\services\\viostor", "type", "dword", "1"},
};

/* Not part of driver injection: virt-v2v's own first-boot service and the
 * AutoReboot setting (a rule of its own in imgfix). */
static bool
ref_out_of_scope(const struct ref_row *r)
{
	return util_startswith(r->key, "controlset001\\services\\firstboot") ||
	       streq(r->key, "controlset001\\control\\crashcontrol");
}

/* The corrections: virt-v2v's temporary names -> ours. */
static char *
ref_correct(const char *s, const char *label, const char *conf)
{
	char *a = replace_all(s, "guestor.inf_tmp", label);
	char *b = replace_all(a, "guestor_conf", conf);
	char *c = replace_all(b, "guestor.inf", "viostor.inf");

	free(a);
	free(b);
	return c;
}

static void
parse_hex_bytes(const char *s, uint8_t *out, size_t *n)
{
	*n = 0;
	for (const char *p = s; *p;) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		ASSERT_EQ(sscanf(p, "%2x", &v), 1);
		out[(*n)++] = (uint8_t)v;
		p += 2;
	}
}

/* "['a', 'b']" -> list */
static char **
parse_py_list(const char *s)
{
	_cleanup_free_ char *t = xstrdup(s);
	char **l = NULL;
	char *save = NULL;

	ASSERT_TRUE(t[0] == '[' && t[strlen(t) - 1] == ']');
	t[strlen(t) - 1] = '\0';
	for (char *it = strtok_r(t + 1, ",", &save); it;
	     it = strtok_r(NULL, ",", &save)) {
		while (*it == ' ')
			it++;
		ASSERT_TRUE(it[0] == '\'' && it[strlen(it) - 1] == '\'');
		it[strlen(it) - 1] = '\0';
		ASSERT_OK(util_strv_push(&l, it + 1));
	}
	return l;
}

static void
check_parity(const struct ref_row *rows, size_t n_rows,
             const struct drivers_injection *inj, const char *label,
             const char *conf, size_t expect_out_of_scope)
{
	size_t skipped = 0, checked = 0;

	for (size_t i = 0; i < n_rows; i++) {
		const struct ref_row *r = &rows[i];
		_cleanup_free_ char *key = NULL, *name = NULL, *data = NULL;
		const struct hive_edit *e;

		if (ref_out_of_scope(r)) {
			skipped++;
			continue;
		}
		key = ref_correct(r->key, label, conf);
		name = ref_correct(streq(r->name, "(default)") ? "" : r->name,
		                   label, conf);
		data = ref_correct(r->data, label, conf);
		checked++;
		if (streq(r->type, "key")) {
			if (!has_key(&inj->system, key))
				TEST_FAIL("parity: key %s missing", key);
			continue;
		}
		e = find_set(&inj->system, key, name);
		if (!e)
			TEST_FAIL("parity: %s\\%s missing", key, name);
		if (streq(r->type, "dword")) {
			ASSERT_EQ(edit_dword(e), strtoul(data, NULL, 10));
		} else if (streq(r->type, "sz") ||
		           streq(r->type, "expand_sz")) {
			_cleanup_free_ char *s = edit_string(e);

			ASSERT_EQ(e->type, streq(r->type, "sz")
			                           ? HIVE_T_SZ
			                           : HIVE_T_EXPAND_SZ);
			ASSERT_STREQ(s, data);
		} else if (streq(r->type, "multi_sz")) {
			_cleanup_strv_free_ char **want = parse_py_list(data),
			                         **got = NULL;

			ASSERT_EQ(e->type, HIVE_T_MULTI_SZ);
			ASSERT_OK(hive_decode_multi_sz(e->data, e->len, &got));
			ASSERT_EQ(util_strv_length(got),
			          util_strv_length(want));
			for (size_t k = 0; want[k]; k++)
				ASSERT_STREQ(got[k], want[k]);
		} else if (streq(r->type, "binary")) {
			uint8_t want[64];
			size_t wn;

			parse_hex_bytes(data, want, &wn);
			ASSERT_EQ(e->type, HIVE_T_BINARY);
			ASSERT_EQ(e->len, wn);
			if (strcaseeq(name, "version")) {
				uint8_t ours[DRIVERS_VERSION_BLOB_SIZE];

				/* corrected: real DriverVer in bytes 24..39 */
				ASSERT_MEMEQ(e->data, want, 24);
				ASSERT_OK(drivers_version_blob(
				        SCSI_GUID, fx_viostor.date,
				        fx_viostor.version, ours));
				ASSERT_MEMEQ(e->data, ours, sizeof(ours));
				ASSERT_TRUE(util_le64(e->data + 24) != 0);
			} else
				ASSERT_MEMEQ(e->data, want, wn);
		} else
			TEST_FAIL("unknown reference type %s", r->type);
	}
	ASSERT_EQ(skipped, expect_out_of_scope);
	ASSERT_EQ(checked + skipped, n_rows);
}

static bool
is_label(const char *s, const char *inf, const char *arch)
{
	const char *p = util_startswith(s, inf);

	if (!p || *p++ != '_' || !(p = util_startswith(p, arch)) ||
	    *p++ != '_' || strlen(p) != 16)
		return false;
	for (; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return false;
	return true;
}

TEST(parity_virt_v2v_windows10)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;
	const struct hive_edit *e;
	_cleanup_free_ char *label = NULL, *text = NULL;

	enter_tmpdir();
	in = install_of(&fx_viostor, "amd64");
	g = guest_of(profile("10"), "viostor");
	ASSERT_OK(drivers_inject(&in, &g, &inj));

	e = find_set(&inj.system, "DriverDatabase\\DriverInfFiles\\viostor.inf",
	             "Active");
	ASSERT_NOT_NULL(e);
	label = edit_string(e);
	ASSERT_TRUE(is_label(label, "viostor.inf", "amd64"));
	check_parity(ref_win10, ELEMENTSOF(ref_win10), &inj, label, "scsi_inst",
	             9);

	/* corrected: the REV-only device IDs are registered as well */
	for (size_t i = 0; i < 2; i++) {
		static const char *const rev[] = {
		        "PCI\\VEN_1AF4&DEV_1001&REV_00",
		        "PCI\\VEN_1AF4&DEV_1042&REV_01"};
		_cleanup_free_ char *k1 = NULL, *k2 = NULL;

		ASSERT_OK(util_asprintf(&k1, "DriverDatabase\\DeviceIds\\%s",
		                        rev[i]));
		ASSERT_OK(util_asprintf(
		        &k2,
		        "DriverDatabase\\DriverPackages\\%s\\Descriptors\\%s",
		        label, rev[i]));
		ASSERT_NOT_NULL(find_set(&inj.system, k1, "viostor.inf"));
		ASSERT_NOT_NULL(find_set(&inj.system, k2, "Configuration"));
	}
	/* never the temporary label, never a CDDB on 6.2+ */
	text = format(&inj);
	ASSERT_NULL(strstr(text, "_tmp"));
	ASSERT_NULL(strstr(text, "CriticalDeviceDatabase"));
	ASSERT_TRUE(has_delete_key(&inj.system, "ControlSet001\\Services\\"
	                                        "viostor\\StartOverride"));
	drivers_injection_done(&inj);
	install_free(&in);
}

static void
parity7(const char *arch)
{
	const struct fx_profile *p7 = profile("7-x64");
	struct fx_profile p = *p7;
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;

	p.arch = arch;
	in = install_of(&fx_viostor, arch);
	g = guest_of(&p, "viostor");
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	check_parity(ref_win7, ELEMENTSOF(ref_win7), &inj, "", "", 9);

	/* the short forms too */
	ASSERT_NOT_NULL(
	        find_set(&inj.system,
	                 "ControlSet001\\Control\\CriticalDeviceDatabase"
	                 "\\pci#ven_1af4&dev_1001&rev_00",
	                 "Service"));
	ASSERT_NOT_NULL(
	        find_set(&inj.system,
	                 "ControlSet001\\Control\\CriticalDeviceDatabase"
	                 "\\pci#ven_1af4&dev_1042",
	                 "ClassGUID"));
	ASSERT_TRUE(!has_key(&inj.system, "DriverDatabase"));
	ASSERT_TRUE(!has_delete_key(&inj.system, "ControlSet001\\Services\\"
	                                         "viostor\\StartOverride"));
	drivers_injection_done(&inj);
	install_free(&in);
}

TEST(parity_virt_v2v_windows7)
{
	enter_tmpdir();
	parity7("x86"); /* the reference guest is 7 SP1 x86 */
	parity7("amd64");
}

/* ---- details ------------------------------------------------------------ */

TEST(service_key_and_addreg)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;
	const struct hive_edit *e;
	const char *svc = "ControlSet001\\Services\\LSI_U3";
	_cleanup_free_ char *ip = NULL;

	enter_tmpdir();
	in = install_of(&fx_lsi, "amd64");
	in.services[0].start = 3; /* demand in the INF ... */
	g = guest_of(profile("2019"), "lsi_u3");
	g.boot_critical = false;
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_EQ(edit_dword(find_set(&inj.system, svc, "Start")), 3);
	ASSERT_TRUE(!has_delete_key(&inj.system, "ControlSet001\\Services\\"
	                                         "LSI_U3\\StartOverride"));
	drivers_injection_done(&inj);

	g.boot_critical = true; /* ... boot when the guest boots from it */
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_EQ(edit_dword(find_set(&inj.system, svc, "Start")), 0);
	ASSERT_EQ(edit_dword(find_set(&inj.system, svc, "Type")), 1);
	ASSERT_EQ(edit_dword(find_set(&inj.system, svc, "ErrorControl")), 1);
	e = find_set(&inj.system, svc, "ImagePath");
	ASSERT_EQ(e->type, HIVE_T_EXPAND_SZ);
	ip = edit_string(e);
	ASSERT_STREQ(ip, "system32\\drivers\\lsi_u3.sys");
	ASSERT_EQ(edit_dword(find_set(&inj.system,
	                              "ControlSet001\\Services\\LSI_U3\\"
	                              "Parameters",
	                              "BusType")),
	          1);
	ASSERT_EQ(edit_dword(find_set(&inj.system,
	                              "ControlSet001\\Services\\LSI_U3\\"
	                              "Parameters\\PnpInterface",
	                              "5")),
	          1);
	/* Descriptors on the INF's own spelling, conf = DDInstall name */
	{
		_cleanup_free_ char *conf = NULL, *label = NULL, *k = NULL;

		label = edit_string(
		        find_set(&inj.system,
		                 "DriverDatabase\\DriverInfFiles\\lsi_u3.inf",
		                 "Active"));
		ASSERT_TRUE(is_label(label, "lsi_u3.inf", "amd64"));
		ASSERT_OK(util_asprintf(&k,
		                        "DriverDatabase\\DriverPackages\\%s\\"
		                        "Descriptors\\PCI\\VEN_1000&DEV_0021",
		                        label));
		conf = edit_string(find_set(&inj.system, k, "Configuration"));
		ASSERT_STREQ(conf, "LSI_U3_Inst");
	}
	ASSERT_NULL(inj.notes);
	drivers_injection_done(&inj);

	/* a DDInstall AddReg (HKR = the device key) is not written, but said */
	in.reg = calloc(1, sizeof(*in.reg));
	ASSERT_NOT_NULL(in.reg);
	in.n_reg = 1;
	fx_reg_to(&(struct fx_reg){.subkey = "Scsiport",
	                           .name = "BusNumber",
	                           .del = true},
	          in.reg);
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_EQ(util_strv_length(inj.notes), 1);
	ASSERT_NOT_NULL(strstr(inj.notes[0], "1 device AddReg/DelReg"));
	for (size_t i = 0; i < inj.system.n; i++)
		ASSERT_NULL(strstr(inj.system.v[i].key, "Scsiport"));
	drivers_injection_done(&inj);
	install_free(&in);
}

TEST(addreg_flags)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;
	struct drivers_service *s;
	struct drivers_reg *r;
	char *items[] = {"one", "two", NULL};
	const char *par = "ControlSet001\\Services\\viostor\\Parameters";
	size_t n_add = 0;
	bool del_val = false, del_key = false, created = false;
	bool del_item = false;

	enter_tmpdir();
	in = install_of(&fx_viostor, "amd64");
	s = &in.services[0];
	r = realloc(s->reg, (s->n_reg + 6) * sizeof(*r));
	ASSERT_NOT_NULL(r);
	s->reg = r;
	r = &s->reg[s->n_reg];
	s->n_reg += 6;
	memset(r, 0, 6 * sizeof(*r));
	/* no-clobber SZ */
	r[0] = (struct drivers_reg){.root = xstrdup("HKR"),
	                            .subkey = xstrdup("Parameters"),
	                            .name = xstrdup("Keep"),
	                            .type = HIVE_T_SZ,
	                            .no_clobber = true};
	ASSERT_OK(hive_encode_sz("mine", &r[0].data, &r[0].len));
	/* MULTI_SZ append */
	r[1] = (struct drivers_reg){.root = xstrdup("HKR"),
	                            .subkey = xstrdup("Parameters"),
	                            .name = xstrdup("List"),
	                            .type = HIVE_T_MULTI_SZ,
	                            .append = true};
	ASSERT_OK(hive_encode_multi_sz(items, &r[1].data, &r[1].len));
	/* DelReg value, DelReg key, key only */
	r[2] = (struct drivers_reg){.root = xstrdup("HKR"),
	                            .subkey = xstrdup("Parameters"),
	                            .name = xstrdup("Old"),
	                            .del = true};
	r[3] = (struct drivers_reg){.root = xstrdup("HKR"),
	                            .subkey = xstrdup("Legacy"),
	                            .del = true};
	r[4] = (struct drivers_reg){.root = xstrdup("HKR"),
	                            .subkey = xstrdup("Empty"),
	                            .name = xstrdup(""),
	                            .key_only = true};
	/* DelReg FLG_DELREG_MULTI_SZ_DELSTRING, as the parser decodes it */
	r[5] = (struct drivers_reg){.root = xstrdup("HKR"),
	                            .subkey = xstrdup("Parameters"),
	                            .name = xstrdup("List"),
	                            .type = HIVE_T_MULTI_SZ,
	                            .del = true};
	ASSERT_OK(hive_encode_sz("stale", &r[5].data, &r[5].len));
	g = guest_of(profile("7-x64"), "viostor");
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_TRUE(find_set(&inj.system, par, "Keep")->no_clobber);
	ASSERT_TRUE(!find_set(&inj.system, par, "BusType")->no_clobber);
	for (size_t i = 0; i < inj.system.n; i++) {
		const struct hive_edit *e = &inj.system.v[i];

		if (e->kind == HIVE_EDIT_MULTI_SZ_ADD && streq(e->key, par) &&
		    streq(e->name, "List"))
			ASSERT_STREQ(e->item, n_add++ ? "two" : "one");
		if (e->kind == HIVE_EDIT_DELETE_VALUE && streq(e->key, par) &&
		    streq(e->name, "Old"))
			del_val = true;
		if (e->kind == HIVE_EDIT_MULTI_SZ_REMOVE) {
			ASSERT_STREQ(e->key, par);
			ASSERT_STREQ(e->name, "List");
			ASSERT_STREQ(e->item, "stale");
			del_item = true;
		}
		if (e->kind == HIVE_EDIT_DELETE_KEY &&
		    streq(e->key, "ControlSet001\\Services\\viostor\\Legacy"))
			del_key = true;
		if (e->kind == HIVE_EDIT_CREATE_KEY &&
		    streq(e->key, "ControlSet001\\Services\\viostor\\Empty"))
			created = true;
		ASSERT_STREQ(e->origin, "driver:viostor.inf");
	}
	ASSERT_EQ(n_add, 2);
	ASSERT_TRUE(del_val && del_key && created && del_item);
	{
		_cleanup_free_ char *text = format(&inj);

		ASSERT_NOT_NULL(strstr(text, "; Keep: no-clobber"));
		ASSERT_NOT_NULL(
		        strstr(text, "; List: add MULTI_SZ item \"two\""));
		ASSERT_NOT_NULL(strstr(text, "\"Old\"=-\n"));
		ASSERT_NOT_NULL(strstr(
		        text, "; List: remove MULTI_SZ item \"stale\"\n"));
		ASSERT_NOT_NULL(strstr(text,
		                       "[-HKEY_LOCAL_MACHINE\\SYSTEM\\"
		                       "ControlSet001\\Services\\viostor\\"
		                       "Legacy]\n"));
	}
	drivers_injection_done(&inj);
	install_free(&in);
}

TEST(files_and_package)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;
	static const char *const want[][2] = {
	        {"amd64/viostor/viostor.sys",
	         "Windows\\System32\\drivers\\viostor.sys"},
	        {"amd64/viostor/viostor.inf",
	         "Windows\\Drivers\\virtio\\viostor.inf"},
	        {"amd64/viostor/viostor.cat",
	         "Windows\\Drivers\\virtio\\viostor.cat"},
	        {"amd64/viostor/viostor.sys",
	         "Windows\\Drivers\\virtio\\viostor.sys"},
	};

	enter_tmpdir();
	in = install_of(&fx_viostor, "amd64");
	g = guest_of(profile("2022"), "virtio");
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_EQ(inj.n_copies, ELEMENTSOF(want));
	for (size_t i = 0; i < ELEMENTSOF(want); i++) {
		ASSERT_STREQ(inj.copies[i].host_path, want[i][0]);
		ASSERT_STREQ(inj.copies[i].guest_path, want[i][1]);
	}
	drivers_injection_done(&inj);

	/* without a package list: the CopyFiles files and the INF */
	util_strv_free(in.package_files);
	in.package_files = NULL;
	free(in.files[0].source);
	in.files[0].source = xstrdup("amd64/viostor.sys");
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_EQ(inj.n_copies, 3);
	ASSERT_STREQ(inj.copies[1].guest_path,
	             "Windows\\Drivers\\virtio\\viostor.sys");
	ASSERT_STREQ(inj.copies[2].guest_path,
	             "Windows\\Drivers\\virtio\\viostor.inf");
	ASSERT_STREQ(inj.copies[2].host_path, "amd64/viostor/viostor.inf");
	drivers_injection_done(&inj);

	/* DIRID 11 and 10, a subdirectory */
	in.files[0].dirid = 11;
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_STREQ(inj.copies[0].guest_path,
	             "Windows\\System32\\viostor.sys");
	drivers_injection_done(&inj);
	in.files[0].dirid = 10;
	in.files[0].subdir = xstrdup("Sub\\Dir");
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_STREQ(inj.copies[0].guest_path,
	             "Windows\\Sub\\Dir\\viostor.sys");
	drivers_injection_done(&inj);
	in.files[0].dirid = 24; /* not supported offline */
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EOPNOTSUPP);
	ASSERT_EQ(inj.system.n, 0);
	ASSERT_NOT_NULL(strstr(inj.notes[0], "DIRID 24"));
	drivers_injection_done(&inj);
	install_free(&in);
}

TEST(missing_file_reported)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;

	enter_tmpdir();
	in = install_of(&fx_vioscsi, "amd64");
	free(in.files[0].host_path);
	in.files[0].host_path = NULL; /* the store did not find it */
	g = guest_of(profile("10"), "vioscsi");
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -ENOENT);
	ASSERT_EQ(inj.system.n, 0);
	ASSERT_EQ(inj.software.n, 0);
	ASSERT_EQ(inj.n_copies, 0);
	ASSERT_EQ(util_strv_length(inj.notes), 1);
	ASSERT_NOT_NULL(strstr(inj.notes[0], "vioscsi.inf"));
	ASSERT_NOT_NULL(strstr(inj.notes[0], "'vioscsi.sys'"));
	ASSERT_NOT_NULL(strstr(inj.notes[0], "missing"));
	drivers_injection_done(&inj);

	/* a missing catalog is a warning, not a failure */
	util_strv_free(in.package_files);
	in.package_files = NULL;
	ASSERT_OK(util_strv_push(&in.package_files, "vioscsi.sys"));
	in.files[0].host_path = util_path_join(in.package_dir, "vioscsi.sys");
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_TRUE(util_strv_contains(inj.notes,
	                               "vioscsi.inf: catalog 'vioscsi.cat' is "
	                               "not in the package: Windows will "
	                               "treat the driver as unsigned"));
	/* the INF is staged even when the list lacks it */
	ASSERT_STREQ(inj.copies[inj.n_copies - 1].guest_path,
	             "Windows\\Drivers\\vioscsi\\vioscsi.inf");
	drivers_injection_done(&inj);
	install_free(&in);
}

TEST(arch_mismatch_refused)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;

	enter_tmpdir();
	in = install_of(&fx_viostor, "x86");
	g = guest_of(profile("10"), "viostor"); /* amd64 */
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EXDEV);
	ASSERT_EQ(inj.system.n + inj.software.n + inj.n_copies, 0);
	ASSERT_NOT_NULL(strstr(inj.notes[0], "for x86 but the guest is amd64"));
	drivers_injection_done(&inj);
	install_free(&in);

	in = install_of(&fx_lsi, "amd64");
	g = guest_of(profile("xp"), "lsi_u3"); /* x86 */
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EXDEV);
	drivers_injection_done(&inj);
	install_free(&in);
}

static const struct hive_edit *
device_path_edit(const struct drivers_injection *inj)
{
	return find_set(&inj->software, "Microsoft\\Windows\\CurrentVersion",
	                "DevicePath");
}

TEST(device_path_append_idempotent)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;
	_cleanup_free_ char *v1 = NULL;
	char *v = NULL;

	enter_tmpdir();
	in = install_of(&fx_viostor, "amd64");
	g = guest_of(profile("11"), "viostor");
	g.device_path = NULL; /* the Windows default */
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_EQ(device_path_edit(&inj)->type, HIVE_T_EXPAND_SZ);
	v1 = edit_string(device_path_edit(&inj));
	ASSERT_STREQ(v1, "%SystemRoot%\\inf;%SystemRoot%\\Drivers\\viostor");
	drivers_injection_done(&inj);

	/* a second run sees the value the first wrote: nothing to add */
	g.device_path = v1;
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_NULL(device_path_edit(&inj));
	drivers_injection_done(&inj);
	g.device_path = "%systemroot%\\inf; %SYSTEMROOT%\\drivers\\VIOSTOR ;";
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	ASSERT_NULL(device_path_edit(&inj));
	drivers_injection_done(&inj);
	install_free(&in);

	/* the pure helper */
	ASSERT_EQ(drivers_device_path_append("C:\\a;;", "X", &v), 1);
	ASSERT_STREQ(v, "C:\\a;X");
	free(v);
	ASSERT_EQ(drivers_device_path_append("", "X", &v), 1);
	ASSERT_STREQ(v, "%SystemRoot%\\inf;X");
	free(v);
	v = NULL;
	ASSERT_EQ(drivers_device_path_append("X;Y", "x", &v), 0);
	ASSERT_NULL(v);
	ASSERT_EQ(drivers_device_path_append("XY", "X", &v), 1);
	ASSERT_STREQ(v, "XY;X");
	free(v);
}

TEST(short_ids)
{
	char *vd = NULL, *vdr = NULL;

	ASSERT_OK(drivers_pci_short_ids(
	        "PCI\\VEN_1AF4&DEV_1042&SUBSYS_11001AF4&REV_01", &vd, &vdr));
	ASSERT_STREQ(vd, "PCI\\VEN_1AF4&DEV_1042");
	ASSERT_STREQ(vdr, "PCI\\VEN_1AF4&DEV_1042&REV_01");
	free(vd);
	free(vdr);
	ASSERT_OK(drivers_pci_short_ids("pci\\ven_8086&dev_7010&cc_0101", &vd,
	                                &vdr));
	ASSERT_STREQ(vd, "pci\\ven_8086&dev_7010");
	ASSERT_NULL(vdr);
	free(vd);
	ASSERT_ERR(drivers_pci_short_ids("ACPI\\PNP0A03", &vd, &vdr), -EINVAL);
	ASSERT_ERR(drivers_pci_short_ids("PCI\\VEN_1AF4", &vd, &vdr), -EINVAL);
	ASSERT_ERR(drivers_pci_short_ids("PCI\\VEN_1AF&DEV_1001", &vd, &vdr),
	           -EINVAL);
}

TEST(version_blob_matches_real_windows)
{
	/* DriverDatabase\DriverPackages\pvscsi.inf_amd64_9e7bfe6e33172952
	 * "Version" in the corpus' Windows 10 19041 SYSTEM hive
	 * (pvscsi.inf DriverVer=04/26/2021,1.3.17.0). */
	static const uint8_t pvscsi[48] = {
	        0x00, 0xff, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x7b, 0xe9,
	        0x36, 0x4d, 0x25, 0xe3, 0xce, 0x11, 0xbf, 0xc1, 0x08, 0x00,
	        0x2b, 0xe1, 0x03, 0x18, 0x00, 0xc0, 0xb6, 0x19, 0x2f, 0x3a,
	        0xd7, 0x01, 0x00, 0x00, 0x11, 0x00, 0x03, 0x00, 0x01, 0x00,
	        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	/* ... and stornvme.inf 10.0.19041.1266 (06/21/2006), past the
	 * inbox-only first bytes "ff ff". */
	static const uint8_t stornvme_tail[40] = {
	        0x7b, 0xe9, 0x36, 0x4d, 0x25, 0xe3, 0xce, 0x11, 0xbf, 0xc1,
	        0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18, 0x00, 0x80, 0x8c, 0xa3,
	        0xc5, 0x94, 0xc6, 0x01, 0xf2, 0x04, 0x61, 0x4a, 0x00, 0x00,
	        0x0a, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
	uint8_t b[DRIVERS_VERSION_BLOB_SIZE];
	uint64_t v;

	ASSERT_OK(drivers_version_blob(SCSI_GUID, "04/26/2021", "1.3.17.0", b));
	ASSERT_MEMEQ(b, pvscsi, sizeof(pvscsi));
	ASSERT_OK(drivers_version_blob(SCSI_GUID, "6/21/2006",
	                               "10.0.19041.1266", b));
	ASSERT_MEMEQ(b + 8, stornvme_tail, sizeof(stornvme_tail));

	ASSERT_OK(drivers_parse_driver_date("01/01/1601", &v));
	ASSERT_EQ(v, 0);
	ASSERT_OK(drivers_parse_driver_date("02/29/2024", &v));
	ASSERT_ERR(drivers_parse_driver_date("02/29/2023", &v), -EINVAL);
	ASSERT_ERR(drivers_parse_driver_date("13/01/2020", &v), -EINVAL);
	ASSERT_ERR(drivers_parse_driver_date("1/1/20201", &v), -EINVAL);
	ASSERT_ERR(drivers_parse_driver_date("01/01/2020x", &v), -EINVAL);
	ASSERT_OK(drivers_parse_driver_version("5.09.10.04", &v));
	ASSERT_EQ(v, 0x00050009000a0004ull);
	ASSERT_OK(drivers_parse_driver_version("7", &v));
	ASSERT_EQ(v, 0x0007000000000000ull);
	ASSERT_ERR(drivers_parse_driver_version("1.2.3.4.5", &v), -EINVAL);
	ASSERT_ERR(drivers_parse_driver_version("65536.0", &v), -EINVAL);
	ASSERT_ERR(drivers_parse_driver_version("1..2", &v), -EINVAL);
	ASSERT_ERR(
	        drivers_parse_guid("{4D36E97B-E325-11CE-BFC1-08002BE1031}", b),
	        -EINVAL);
	ASSERT_ERR(
	        drivers_parse_guid("{4D36E97B-E325-11CE-BFC1-08002BE1031G}", b),
	        -EINVAL);
}

TEST(label_deterministic)
{
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection a, b;
	_cleanup_free_ char *la = NULL, *lb = NULL, *lc = NULL;
	const char *k = "DriverDatabase\\DriverInfFiles\\viostor.inf";

	enter_tmpdir();
	in = install_of(&fx_viostor, "amd64");
	g = guest_of(profile("2016"), "viostor");
	ASSERT_OK(drivers_inject(&in, &g, &a));
	ASSERT_OK(drivers_inject(&in, &g, &b));
	la = edit_string(find_set(&a.system, k, "Active"));
	lb = edit_string(find_set(&b.system, k, "Active"));
	ASSERT_STREQ(la, lb);
	drivers_injection_done(&a);
	drivers_injection_done(&b);
	/* other INF bytes, other label */
	write_file(in.inf_path, "; changed\n");
	ASSERT_OK(drivers_inject(&in, &g, &a));
	lc = edit_string(find_set(&a.system, k, "Active"));
	ASSERT_TRUE(is_label(lc, "viostor.inf", "amd64"));
	ASSERT_TRUE(!streq(la, lc));
	drivers_injection_done(&a);
	install_free(&in);
}

TEST(hostile_install_refused)
{
	static const char *const bad_ids[] = {"PCI\\..\\..\\Services\\x",
	                                      "PCI\\\\VEN_1",
	                                      "PCI\\VEN 1",
	                                      "\\PCI",
	                                      "PCI\\a\nb",
	                                      ""};
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;
	char *save;

	enter_tmpdir();
	in = install_of(&fx_viostor, "amd64");
	g = guest_of(profile("10"), "viostor");

	/* key paths must stay inside DeviceIds: no empty, "..", blank or
	 * control-character components */
	for (size_t i = 0; i < ELEMENTSOF(bad_ids); i++) {
		save = in.hardware_ids[0];
		in.hardware_ids[0] = (char *)bad_ids[i];
		ASSERT_ERR(drivers_inject(&in, &g, &inj), -EINVAL);
		ASSERT_NOT_NULL(strstr(inj.notes[0], "invalid hardware ID"));
		drivers_injection_done(&inj);
		in.hardware_ids[0] = save;
	}

	save = in.services[0].name;
	in.services[0].name = (char *)"a\\b";
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EINVAL);
	drivers_injection_done(&inj);
	in.services[0].name = save;

	save = in.package_files[0];
	in.package_files[0] = (char *)"../../etc/passwd";
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EINVAL);
	ASSERT_NOT_NULL(strstr(inj.notes[0], "invalid name"));
	drivers_injection_done(&inj);
	in.package_files[0] = save;

	save = in.class_guid;
	in.class_guid = (char *)"{not-a-guid}";
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EINVAL);
	drivers_injection_done(&inj);
	in.class_guid = save;

	save = in.driver_date;
	in.driver_date = (char *)"2024-08-06";
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EINVAL);
	ASSERT_NOT_NULL(strstr(inj.notes[0], "DriverVer"));
	drivers_injection_done(&inj);
	in.driver_date = save;

	g.store_name = "..";
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EINVAL);
	drivers_injection_done(&inj);
	g.store_name = "viostor";

	save = in.services[0].reg[0].subkey;
	in.services[0].reg[0].subkey = (char *)"Parameters\\\\x";
	ASSERT_ERR(drivers_inject(&in, &g, &inj), -EINVAL);
	drivers_injection_done(&inj);
	in.services[0].reg[0].subkey = save;

	/* still fine after all that */
	ASSERT_OK(drivers_inject(&in, &g, &inj));
	drivers_injection_done(&inj);
	install_free(&in);
}

/* The edits are well-formed for the hive module: applied to hivex's empty
 * seed hive, committed and read back, they give the values of the plan. */
TEST(edits_apply_to_a_real_hive)
{
	_cleanup_free_ char *seed = tests_corpus("hives/seed/minimal");
	_cleanup_free_ char *copy = NULL, *out = NULL, *buf = NULL;
	_cleanup_free_ char *label = NULL, *pkg = NULL, *s = NULL;
	struct drivers_install in;
	struct drivers_guest g;
	struct drivers_injection inj;
	struct hive_value v = {0};
	struct hive *h = NULL;
	size_t len, failed = 0;
	uint32_t d;

	enter_tmpdir();
	in = install_of(&fx_viostor, "amd64");
	g = guest_of(profile("2019"), "viostor");
	ASSERT_OK(drivers_inject(&in, &g, &inj));

	ASSERT_OK(util_read_file(seed, HIVE_MAX_FILE_SIZE, &buf, &len));
	copy = util_path_join(tests_tmpdir(), "SYSTEM");
	out = util_path_join(tests_tmpdir(), "SYSTEM.new");
	ASSERT_OK(util_write_file_atomic(copy, buf, len));
	ASSERT_OK(hive_open(copy, HIVE_OPEN_WRITE, &h));
	ASSERT_OK(hive_apply_edits(h, inj.system.v, inj.system.n, &failed));
	ASSERT_OK(hive_commit(h, out));
	h = hive_free(h);

	ASSERT_OK(hive_open(out, 0, &h));
	ASSERT_OK(hive_get_dword(h, "ControlSet001\\Services\\viostor", "Start",
	                         &d));
	ASSERT_EQ(d, 0);
	ASSERT_OK(hive_get_string(h, "ControlSet001\\Services\\viostor",
	                          "ImagePath", &s));
	ASSERT_STREQ(s, "system32\\drivers\\viostor.sys");
	ASSERT_OK(hive_get_string(h,
	                          "DriverDatabase\\DriverInfFiles\\viostor.inf",
	                          "Active", &label));
	ASSERT_TRUE(is_label(label, "viostor.inf", "amd64"));
	ASSERT_OK(util_asprintf(&pkg, "DriverDatabase\\DriverPackages\\%s",
	                        label));
	ASSERT_OK(hive_get_value(h, pkg, "Version", &v));
	ASSERT_EQ(v.type, HIVE_T_BINARY);
	ASSERT_EQ(v.len, DRIVERS_VERSION_BLOB_SIZE);
	hive_value_done(&v);
	ASSERT_OK(hive_get_value(h,
	                         "DriverDatabase\\DeviceIds\\PCI\\VEN_1AF4&DEV_"
	                         "1042&REV_01",
	                         "viostor.inf", &v));
	ASSERT_EQ(v.len, 4);
	ASSERT_EQ(v.data[0], 0x01);
	ASSERT_EQ(v.data[1], 0xff);
	hive_value_done(&v);
	ASSERT_ERR(hive_key_exists(h, "ControlSet001\\Services\\viostor\\"
	                              "StartOverride"),
	           -ENOENT);
	h = hive_free(h);
	drivers_injection_done(&inj);
	install_free(&in);
}

#define HEX_AB_8 "ab,ab,ab,ab,ab,ab,ab,ab,"
#define HEX_AB_23 HEX_AB_8 HEX_AB_8 "ab,ab,ab,ab,ab,ab,ab,"
#define HEX_AB_17 HEX_AB_8 HEX_AB_8 "ab"

/* The .reg notation: escapes, strings that cannot be shown as text, key
 * and value deletions, wrapping of long hex. */
TEST(format_notation)
{
	struct drivers_injection inj = {0};
	static const uint8_t nl[] = {'a', 0, '\n', 0, 0, 0}; /* "a\n" */
	uint8_t big[40];
	_cleanup_free_ char *text = NULL;

	memset(big, 0xab, sizeof(big));
	ASSERT_OK(hive_edits_set_origin(&inj.system, "rule:x"));
	ASSERT_OK(hive_edits_set_sz(&inj.system, "K", "q\"b\\", HIVE_T_SZ,
	                            "say \"hi\" C:\\x"));
	ASSERT_OK(hive_edits_set(&inj.system, "K", "", HIVE_T_SZ, nl,
	                         sizeof(nl)));
	ASSERT_OK(hive_edits_set(&inj.system, "K", "B", HIVE_T_BINARY, big,
	                         sizeof(big)));
	ASSERT_OK(hive_edits_set(&inj.system, "K", "Q", HIVE_T_QWORD, big, 8));
	ASSERT_OK(hive_edits_delete_value(&inj.system, "K", "Gone"));
	ASSERT_OK(hive_edits_delete_key(&inj.system, "K\\Old"));
	ASSERT_OK(hive_edits_create_key(&inj.system, "K\\New"));
	text = format(&inj);
	ASSERT_STREQ(text, "Windows Registry Editor Version 5.00\n"
	                   "\n"
	                   "; origin: rule:x\n"
	                   "[HKEY_LOCAL_MACHINE\\SYSTEM\\K]\n"
	                   "\"q\\\"b\\\\\"=\"say \\\"hi\\\" C:\\\\x\"\n"
	                   "@=hex(1):61,00,0a,00,00,00\n"
	                   "\"B\"=hex:" HEX_AB_23 "\\\n"
	                   "  " HEX_AB_17 "\n"
	                   "\"Q\"=hex(b):ab,ab,ab,ab,ab,ab,ab,ab\n"
	                   "\"Gone\"=-\n"
	                   "\n"
	                   "[-HKEY_LOCAL_MACHINE\\SYSTEM\\K\\Old]\n"
	                   "\n"
	                   "[HKEY_LOCAL_MACHINE\\SYSTEM\\K\\New]\n"
	                   "\n");
	drivers_injection_done(&inj);
	ASSERT_NULL(inj.system.v);
	drivers_injection_done(NULL);
}
