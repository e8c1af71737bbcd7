/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * drivers/ — Windows driver packages: the INF parser, driver stores
 * (directories or ISO images of packages) scanned into a catalog, selection
 * of the right package for a guest, and injection of a boot storage driver
 * into an offline guest as plain data (hive edits + file copies).
 *
 * The seam between the parser/selection half and the injection half is
 * struct drivers_install: everything the injection needs to know about one
 * device's installation, resolved for one guest OS/arch.
 */
#ifndef IMGFIX_DRIVERS_H
#define IMGFIX_DRIVERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hive.h"

/* Limits for anything read from an INF or a store (hostile input). */
#define DRIVERS_MAX_INF_SIZE (8u * 1024 * 1024)
#define DRIVERS_MAX_LINE 65536
#define DRIVERS_MAX_FIELDS 1024
#define DRIVERS_MAX_SECTIONS 100000
#define DRIVERS_MAX_STORE_FILES 200000
#define DRIVERS_MAX_SUBST_DEPTH 8

/* The guest a package is chosen for / injected into. */
struct drivers_target {
	unsigned major, minor; /* 5.1, 6.1, 10.0 ... */
	unsigned build;        /* 0 = unknown */
	const char *arch;      /* "x86" or "amd64" (INF spelling) */
	bool server;           /* product type: server (3) vs client (1) */
};

/* One registry entry of an AddReg/DelReg section, decoded. */
struct drivers_reg {
	char *root;     /* "HKR", "HKLM", "HKCR", "HKCU", "HKU" */
	char *subkey;   /* relative to root; "" = the root key itself */
	char *name;     /* value name; NULL = key only; "" = default value */
	uint32_t flags; /* FLG_ADDREG_* as written in the INF */
	uint32_t type;  /* registry type (enum hive_type), from the flags */
	uint8_t *data;  /* encoded bytes as they will be stored */
	size_t len;
	bool del;        /* from a DelReg section (or FLG_ADDREG_DELVAL) */
	bool no_clobber; /* FLG_ADDREG_NOCLOBBER */
	bool append;     /* FLG_ADDREG_APPEND (MULTI_SZ item add) */
	bool key_only;   /* FLG_ADDREG_KEYONLY */
};

/* AddService line + its service-install section. */
struct drivers_service {
	char *name;
	uint32_t add_flags; /* SPSVCINST_* flags of the AddService line */
	uint32_t type, start, error_control;
	char *binary;            /* ServiceBinary as written, e.g.
	                            "%12%\\viostor.sys" after substitution */
	char *binary_file;       /* its file name: "viostor.sys" */
	char *load_order_group;  /* may be NULL */
	struct drivers_reg *reg; /* AddReg of the service-install section */
	size_t n_reg;
};

/* A file the installation copies (CopyFiles), with where it goes. */
struct drivers_file {
	char *name;      /* target file name */
	char *source;    /* source name in the package (may differ) */
	unsigned dirid;  /* DestinationDirs dirid (12 = drivers, ...) */
	char *subdir;    /* DestinationDirs subdirectory, may be NULL */
	char *host_path; /* where the source is on the host; NULL = missing */
};

/* Everything needed to install one device of a package on one target. */
struct drivers_install {
	char *inf_path;    /* host path of the INF */
	char *inf_name;    /* its file name, lower case: "viostor.inf" */
	char *package_dir; /* host directory holding the package */
	char *class_name;  /* "SCSIAdapter" */
	char *class_guid;  /* "{4D36E97B-E325-11CE-BFC1-08002BE10318}" */
	char *provider;
	char *driver_date;    /* DriverVer date as written: "MM/DD/YYYY" */
	char *driver_version; /* DriverVer version: "a.b.c.d" */
	char *catalog_file;   /* may be NULL */
	char *arch;           /* "x86" / "amd64" */
	char *ddinstall;      /* resolved DDInstall section name */
	char **hardware_ids;  /* the device IDs this install matches */
	char *description;    /* device description */
	struct drivers_service *services; /* the .Services section */
	size_t n_services;
	struct drivers_reg *reg; /* DDInstall AddReg/DelReg (HKR=device key) */
	size_t n_reg;
	struct drivers_file *files; /* CopyFiles of the DDInstall */
	size_t n_files;
	char **package_files; /* every file of the package folder (relative) */
};
void drivers_install_done(struct drivers_install *in);

/* Injection result: hive edits per hive and file copies. */
struct drivers_copy {
	char *host_path;  /* source on the host */
	char *guest_path; /* destination, Windows path relative to the
	                     volume root, e.g.
	                     "Windows\\System32\\drivers\\x.sys" */
};

struct drivers_injection {
	struct hive_edits system;   /* edits of the SYSTEM hive */
	struct hive_edits software; /* edits of the SOFTWARE hive */
	struct drivers_copy *copies;
	size_t n_copies;
	char **notes; /* human-readable remarks for the report */
};
void drivers_injection_done(struct drivers_injection *inj);

/* What the injection needs to know about the guest. */
struct drivers_guest {
	struct drivers_target target;
	const char *systemroot;  /* "Windows" (volume-relative) */
	const char *control_set; /* "ControlSet001" */
	bool driver_database;    /* SYSTEM has DriverDatabase (6.2+) */
	const char *device_path; /* current SOFTWARE DevicePath, may be NULL */
	bool boot_critical;      /* Start=0 and critical-device registration */
	const char *store_name;  /* folder under <systemroot>\Drivers */
};

/*
 * Turns one resolved installation into hive edits and file copies for the
 * guest (WINDOWS.md §1).  Refuses an arch mismatch with -EXDEV.
 */
int drivers_inject(const struct drivers_install *in,
                   const struct drivers_guest *guest,
                   struct drivers_injection *ret);

#endif
