/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/inject.c — turns one resolved driver installation (struct
 * drivers_install, from the INF) into plain data for an offline Windows
 * guest: SYSTEM/SOFTWARE hive edits and file copies (WINDOWS.md §1).  This
 * file checks the install and the guest and runs the steps: the file
 * copies are inject-files.c, the registry layout per generation
 * inject-registry.c, the .reg rendering for plans and golden files
 * inject-format.c.
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
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "drivers.h"
#include "inject-internal.h"
#include "util.h"

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

#define REFUSE(err, ...)                                               \
	do {                                                           \
		int _k = util_strv_pushf(&c->inj->notes, __VA_ARGS__); \
		return _k < 0 ? _k : (err);                            \
	} while (0)

	if (!drivers_inject_valid_component(in->inf_name, true) ||
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
	if (!drivers_inject_valid_rel_path(g->systemroot, true, false) ||
	    !drivers_inject_valid_component(g->control_set, false))
		REFUSE(-EINVAL, "%s: invalid guest systemroot/control set",
		       inf);
	if (!drivers_inject_valid_component(g->store_name, true))
		REFUSE(-EINVAL, "%s: invalid driver folder name '%s'", inf,
		       g->store_name ? g->store_name : "");
	if (!in->class_guid ||
	    drivers_parse_guid(in->class_guid, (uint8_t[16]){0}) < 0)
		REFUSE(-EINVAL, "%s: invalid ClassGuid '%s'", inf,
		       in->class_guid ? in->class_guid : "");
	if (!drivers_inject_valid_component(in->ddinstall, false))
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

		if (!drivers_inject_valid_component(s->name, false) ||
		    !drivers_inject_valid_component(s->binary_file, true))
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
		if (!drivers_inject_valid_hardware_id(*id))
			REFUSE(-EINVAL, "%s: invalid hardware ID '%.64s'", inf,
			       *id);
		char *dup = strdup(*id);

		if (!dup)
			return -ENOMEM;
		r = drivers_inject_push_unique(&c->ids, dup);
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
		int k = util_strv_pushf(&c->inj->notes,
		                        "%s: cannot read the INF %s",
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
	r = drivers_inject_plan_files(c);
	if (r < 0)
		return r;
	r = drivers_inject_write_services(c);
	if (r < 0)
		return r;
	if (c->guest->driver_database) {
		r = make_label(c);
		if (r < 0)
			return r;
		r = drivers_inject_write_driver_database(c);
	} else if (c->guest->boot_critical)
		r = drivers_inject_write_cddb(c);
	if (r < 0)
		return r;
	r = drivers_inject_write_device_path(c);
	if (r < 0)
		return r;
	if (c->in->n_reg > 0) {
		r = util_strv_pushf(
		        &c->inj->notes,
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
