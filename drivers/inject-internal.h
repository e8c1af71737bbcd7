/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/inject-internal.h — what the files of the injection share (the
 * state of one injection, name checks, the steps inject.c runs),
 * (inject-common.c), and the pure helpers of inject-registry.c, exposed for the
 * unit tests: PCI short-form IDs, DriverVer date/version decoding, the
 * DriverPackages "Version" blob and the DevicePath append.
 */
#ifndef IMGFIX_DRIVERS_INJECT_INTERNAL_H
#define IMGFIX_DRIVERS_INJECT_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "drivers.h"

/* Limits for what an install hands to the injection (hostile input). */
#define DRIVERS_INJECT_MAX_ID_LEN 200 /* MAX_DEVICE_ID_LEN */
#define DRIVERS_INJECT_MAX_IDS 1024
#define DRIVERS_INJECT_MAX_NAME 255 /* one key / file name component */
#define DRIVERS_INJECT_MAX_PATH_DEPTH 32
#define DRIVERS_INJECT_MAX_REG 4096 /* AddReg entries per service */
#define DRIVERS_INJECT_MAX_SERVICES 64
#define DRIVERS_INJECT_MAX_DEVICE_PATH 32768
#define DRIVERS_INJECT_MAX_COPIES 4096u /* files of one package */

/* SPSVCINST_ASSOCSERVICE: the AddService that is the device's driver. */
#define DRIVERS_SPSVCINST_ASSOCSERVICE 0x00000002u

/* Size of DriverDatabase\DriverPackages\<label> "Version". */
#define DRIVERS_VERSION_BLOB_SIZE 48

/* The Windows default DevicePath when the guest has none. */
#define DRIVERS_DEFAULT_DEVICE_PATH "%SystemRoot%\\inf"

/* One injection in progress (inject.c, inject-files.c, inject-registry.c). */
struct inject {
	const struct drivers_install *in;
	const struct drivers_guest *guest;
	struct drivers_injection *inj;
	const char *arch;                 /* normalised */
	const struct drivers_service *fn; /* the device's service */
	char *label;                      /* DriverDatabase package label */
	char **ids;                       /* validated hardware IDs */
};

/* One key or file name component: non-empty, bounded, no separators or
 * control characters. */
bool drivers_inject_valid_component(const char *s, bool file);
/* A backslash-separated relative path of valid components. */
bool drivers_inject_valid_rel_path(const char *s, bool file, bool allow_empty);
/* A hardware ID usable as a CDDB key name and a DriverDatabase path. */
bool drivers_inject_valid_hardware_id(const char *id);

/* Appends s (taken) to *l unless already there (case-insensitive). */
int drivers_inject_push_unique(char ***l, char *s);

/* The steps of an injection, in the order inject.c runs them. */
int drivers_inject_plan_files(struct inject *c);     /* inject-files.c */
int drivers_inject_write_services(struct inject *c); /* inject-registry.c */
int drivers_inject_write_cddb(struct inject *c);     /* 5.0-6.1 */
int drivers_inject_write_driver_database(struct inject *c); /* 6.2+ */
int drivers_inject_write_device_path(struct inject *c);

/*
 * For a PCI hardware ID "PCI\VEN_v&DEV_d[&SUBSYS_s][&REV_r]" returns the
 * short forms "PCI\VEN_v&DEV_d" and (when the ID has a REV_) "PCI\VEN_v&
 * DEV_d&REV_r", spelled as in the ID.  *ret_ven_dev_rev is NULL without a
 * REV_.  Not a PCI VEN/DEV ID: -EINVAL.
 */
int drivers_pci_short_ids(const char *id, char **ret_ven_dev,
                          char **ret_ven_dev_rev);

/* "{4D36E97B-E325-11CE-BFC1-08002BE10318}" -> 16 bytes as Windows stores a
 * GUID (Data1..3 little-endian, Data4 as is).  Malformed: -EINVAL. */
int drivers_parse_guid(const char *s, uint8_t ret[16]);

/* DriverVer date "MM/DD/YYYY" -> FILETIME (100 ns since 1601-01-01 UTC) at
 * midnight UTC.  Malformed or impossible date: -EINVAL. */
int drivers_parse_driver_date(const char *s, uint64_t *ret);

/* DriverVer version "a[.b[.c[.d]]]" (each 0..65535) -> a<<48|b<<32|c<<16|d.
 * Malformed: -EINVAL. */
int drivers_parse_driver_version(const char *s, uint64_t *ret);

/*
 * The 48-byte DriverPackages "Version" value (see inject.c for the layout).
 * date/version may be NULL (zero fields).
 */
int drivers_version_blob(const char *class_guid, const char *date,
                         const char *version,
                         uint8_t ret[DRIVERS_VERSION_BLOB_SIZE]);

/*
 * Appends folder to a ';'-separated DevicePath value (NULL or empty = the
 * Windows default).  Returns 1 and the new value in *ret when it was added,
 * 0 and *ret untouched when the value already lists the folder (compared
 * case-insensitively, surrounding blanks ignored).
 */
int drivers_device_path_append(const char *current, const char *folder,
                               char **ret);

#endif
