/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Fuzz target: the INF parser (drivers_inf_parse_buffer) and what runs on
 * a parsed INF — [Version], the models sections, DDInstall resolution and
 * the injection built from it.  Property: whatever the INF says, no file
 * copy of the injection may leave the Windows directory (no "..", no
 * absolute path, no drive letter in a guest path).
 */
#include <string.h>

#include "drivers.h"
#include "fuzz.h"

#define FUZZ_INF_MAX_MODELS 64

static const struct drivers_target fuzz_target = {
        .major = 10,
        .minor = 0,
        .build = 19045,
        .arch = "amd64",
};

/* A guest path must stay below the system root. */
static void
check_guest_path(const char *p)
{
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	FUZZ_CHECK(p && *p);
	FUZZ_CHECK(p[0] != '\\' && p[0] != '/');
	FUZZ_CHECK(!strchr(p, ':'));
	copy = strdup(p);
	FUZZ_CHECK(copy);
	for (char *t = strtok_r(copy, "\\/", &save); t;
	     t = strtok_r(NULL, "\\/", &save))
		FUZZ_CHECK(!streq(t, "..") && !streq(t, "."));
}

static void
fuzz_inject(const struct drivers_inf *inf, const struct drivers_model *m)
{
	_cleanup_(drivers_install_done) struct drivers_install in = {0};
	_cleanup_free_ char *error = NULL;
	struct drivers_guest g = {
	        .target = fuzz_target,
	        .systemroot = "Windows",
	        .control_set = "ControlSet001",
	        .driver_database = true,
	        .device_path = "%SystemRoot%\\inf",
	        .boot_critical = true,
	        .store_name = "imgfix",
	};
	struct drivers_injection inj;
	int r;

	r = drivers_inf_resolve_install(inf, m, "amd64", &in, &error);
	if (r < 0)
		return;
	/* as the store would: every file "present" under the package */
	in.inf_path = strdup("pkg/fuzz.inf");
	in.inf_name = strdup("fuzz.inf");
	in.package_dir = strdup("pkg");
	FUZZ_CHECK(in.inf_path && in.inf_name && in.package_dir);
	for (size_t i = 0; i < in.n_files; i++) {
		free(in.files[i].host_path);
		in.files[i].host_path = strdup("pkg/file");
		FUZZ_CHECK(in.files[i].host_path);
	}
	r = drivers_inject(&in, &g, &inj);
	if (r >= 0) {
		FILE *null = fopen("/dev/null", "we");

		for (size_t i = 0; i < inj.n_copies; i++)
			check_guest_path(inj.copies[i].guest_path);
		if (null) {
			(void)drivers_injection_format(&inj, null);
			fclose(null);
		}
	}
	drivers_injection_done(&inj);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	_cleanup_(drivers_inf_freep) struct drivers_inf *inf = NULL;
	_cleanup_free_ char *error = NULL;
	struct drivers_inf_options opts = {.stamp_arch = "amd64"};
	struct drivers_inf_version v;
	struct drivers_model *models = NULL;
	size_t n_models = 0;

	if (drivers_inf_parse_buffer("fuzz.inf", data, size, &opts, &inf,
	                             &error) < 0)
		return 0;

	for (size_t i = 0; i < drivers_inf_n_sections(inf); i++) {
		const char *name = drivers_inf_section_name(inf, i);
		const struct drivers_inf_line *lines;
		size_t n = 0;

		FUZZ_CHECK(name);
		lines = drivers_inf_section(inf, name, &n);
		for (size_t j = 0; lines && j < n; j++) {
			uint32_t num;

			FUZZ_CHECK(lines[j].n_fields == 0 || lines[j].fields);
			for (size_t k = 0; k < lines[j].n_fields; k++)
				FUZZ_CHECK(lines[j].fields[k]);
			if (lines[j].n_fields > 0)
				(void)drivers_inf_number(lines[j].fields[0],
				                         &num);
		}
	}

	{
		_cleanup_free_ char *e = NULL;

		(void)drivers_inf_get_version(inf, "amd64", &v, &e);
	}

	for (int pass = 0; pass < 2; pass++) {
		_cleanup_free_ char *e = NULL;

		if (drivers_inf_models(inf, pass ? &fuzz_target : NULL, &models,
		                       &n_models, &e) < 0)
			continue;
		for (size_t i = 0; i < n_models && i < FUZZ_INF_MAX_MODELS;
		     i++) {
			struct drivers_os_decoration d;

			if (drivers_parse_decoration(models[i].decoration,
			                             &d) >= 0)
				(void)drivers_decoration_applies(&d,
				                                 &fuzz_target);
			if (pass)
				fuzz_inject(inf, &models[i]);
		}
		drivers_models_free(models, n_models);
		models = NULL;
		n_models = 0;
	}
	return 0;
}
