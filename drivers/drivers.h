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

/*
 * Renders an injection as .reg text: the SYSTEM then SOFTWARE edits in edit
 * order under HKEY_LOCAL_MACHINE\SYSTEM / \SOFTWARE, in notation that
 * `hivexregedit --merge` reads (strings as "...", EXPAND_SZ as str(2):"...",
 * dword:, hex:, hex(N):), with comment lines for what .reg cannot express
 * (no-clobber, MULTI_SZ item edits, decoded MULTI_SZ), then the file copies
 * and notes as comments.  Pure: the output depends only on inj.
 */
int drivers_injection_format(const struct drivers_injection *inj, FILE *out);

/* ---- INF parser (drivers/inf.c, inf-models.c, inf-reg.c, install.c) ---- */

/* FLG_ADDREG_* (setupapi.h), as written in AddReg lines. */
#define DRIVERS_FLG_ADDREG_BINVALUETYPE 0x00000001u
#define DRIVERS_FLG_ADDREG_NOCLOBBER 0x00000002u
#define DRIVERS_FLG_ADDREG_DELVAL 0x00000004u
#define DRIVERS_FLG_ADDREG_APPEND 0x00000008u
#define DRIVERS_FLG_ADDREG_KEYONLY 0x00000010u
#define DRIVERS_FLG_ADDREG_OVERWRITEONLY 0x00000020u
#define DRIVERS_FLG_ADDREG_64BITKEY 0x00001000u
#define DRIVERS_FLG_ADDREG_KEYONLY_COMMON 0x00002000u
#define DRIVERS_FLG_ADDREG_32BITKEY 0x00004000u
#define DRIVERS_FLG_ADDREG_TYPE_MASK 0xffff0001u
#define DRIVERS_FLG_ADDREG_TYPE_SZ 0x00000000u
#define DRIVERS_FLG_ADDREG_TYPE_MULTI_SZ 0x00010000u
#define DRIVERS_FLG_ADDREG_TYPE_EXPAND_SZ 0x00020000u
#define DRIVERS_FLG_ADDREG_TYPE_BINARY 0x00000001u
#define DRIVERS_FLG_ADDREG_TYPE_DWORD 0x00010001u
#define DRIVERS_FLG_ADDREG_TYPE_NONE 0x00020001u
/* FLG_DELREG_MULTI_SZ_DELSTRING: remove one item from a MULTI_SZ. */
#define DRIVERS_FLG_DELREG_MULTI_SZ_DELSTRING 0x00018002u

/* A parsed INF: sections of lines, %strkey% already substituted. */
struct drivers_inf;

struct drivers_inf_options {
	/* [Strings.LLLL] that overrides [Strings]; NULL = "0409". */
	const char *locale;
	/* Stamp a template (.inx, or any text holding $ARCH$): replace
	 * $ARCH$ with this ("amd64", "x86", or with an OS decoration as
	 * stampinf writes it: "amd64.10.0...17763").  NULL: templates are
	 * refused with -ENOEXEC ("template, needs stamping"). */
	const char *stamp_arch;
	/* NULL-terminated list of TOKEN, VALUE pairs replaced verbatim in
	 * the text before parsing (virtio-win INX_* placeholders, cmake
	 * @VAR@ placeholders). */
	char *const *stamp_vars;
	/* Replaces [Version] DriverVer ("MM/DD/YYYY,a.b.c.d") as stampinf
	 * does; NULL keeps what the file says. */
	const char *stamp_driver_ver;
};

/* One logical line of a section.  Fields are unquoted and substituted;
 * empty fields are kept as "". */
struct drivers_inf_line {
	char *key; /* text before '=', NULL when the line has none */
	char **fields;
	size_t n_fields;
	unsigned lineno;
};

/*
 * Parses an INF (UTF-16LE/BE with BOM, UTF-8 with or without BOM, else
 * Windows-1252).  On failure returns -errno and, when ret_error is not
 * NULL, a message "FILE:LINE: what is wrong" (malloc'd).  -ENOEXEC: a
 * template that needs stamping; -EBADMSG: malformed; -E2BIG/-EFBIG: a
 * DRIVERS_MAX_* limit was exceeded.
 */
int drivers_inf_parse_file(const char *path,
                           const struct drivers_inf_options *opts,
                           struct drivers_inf **ret, char **ret_error);
/* name is used in messages only. */
int drivers_inf_parse_buffer(const char *name, const void *buf, size_t len,
                             const struct drivers_inf_options *opts,
                             struct drivers_inf **ret, char **ret_error);
struct drivers_inf *drivers_inf_free(struct drivers_inf *inf);
static inline void
drivers_inf_freep(struct drivers_inf **inf)
{
	if (*inf)
		drivers_inf_free(*inf);
}
const char *drivers_inf_name(const struct drivers_inf *inf);
/* Sections in file order of first appearance (duplicates merged). */
size_t drivers_inf_n_sections(const struct drivers_inf *inf);
const char *drivers_inf_section_name(const struct drivers_inf *inf, size_t i);
/* Lines of a section, case-insensitive; NULL (and *ret_n 0) when absent. */
const struct drivers_inf_line *
drivers_inf_section(const struct drivers_inf *inf, const char *name,
                    size_t *ret_n);
bool drivers_inf_has_section(const struct drivers_inf *inf, const char *name);
/* First field of the first line whose key matches (case-insensitive). */
const char *drivers_inf_value(const struct drivers_inf *inf,
                              const char *section, const char *key);
/* A numeric field: decimal or 0x hex, surrounding blanks allowed. */
int drivers_inf_number(const char *field, uint32_t *ret);

/* [Version], pointers into the parsed INF (valid while it lives). */
struct drivers_inf_version {
	const char *signature;
	const char *class_name;
	const char *class_guid;
	const char *provider;
	const char *catalog_file; /* CatalogFile.NT<arch>, .NT, plain */
	const char *driver_date;  /* NULL when DriverVer is absent */
	const char *driver_version;
};
/* -EBADMSG (with a message) when Signature is missing or unknown. */
int drivers_inf_get_version(const struct drivers_inf *inf, const char *arch,
                            struct drivers_inf_version *ret, char **ret_error);

/* A TargetOSVersion decoration: NT[arch][.major[.minor[.ptype[.suite
 * [.build]]]]]. */
struct drivers_os_decoration {
	char arch[16]; /* "amd64", "x86", "arm64", ... "" = none */
	bool has_version;
	unsigned major, minor;
	unsigned product_type; /* 0 = any, 1 workstation, 2 DC, 3 server */
	uint32_t suite_mask;   /* 0 = any (not checked: unknown offline) */
	unsigned build;        /* 0 = any */
};
/* s without the leading '.', e.g. "NTamd64.10.0...16299". */
int drivers_parse_decoration(const char *s, struct drivers_os_decoration *ret);
/* The rules Windows applies to choose a models section. */
bool drivers_decoration_applies(const struct drivers_os_decoration *d,
                                const struct drivers_target *t);
/* > 0 when a is more specific than b (higher version, then build, then
 * product type set, then suite set). */
int drivers_decoration_compare(const struct drivers_os_decoration *a,
                               const struct drivers_os_decoration *b);

/* One models line. */
struct drivers_model {
	char *manufacturer;
	char *models_section; /* the section name, decoration included */
	char *decoration;     /* "NTamd64.6.1", "" for the plain section */
	struct drivers_os_decoration os;
	char *description;
	char *install_section; /* DDInstall as written (undecorated) */
	char **ids;            /* [0] hardware ID, then compatible IDs */
	unsigned lineno;
};
void drivers_models_free(struct drivers_model *m, size_t n);
/*
 * Models lines.  target NULL: every decorated models section of every
 * manufacturer.  Otherwise only the best section that applies to target,
 * per manufacturer (none applying: no lines, not an error).
 */
int drivers_inf_models(const struct drivers_inf *inf,
                       const struct drivers_target *target,
                       struct drivers_model **ret, size_t *ret_n,
                       char **ret_error);

/*
 * Resolves the DDInstall of a models line for arch (.NT<arch>, .NT,
 * plain), its .Services (AddService + service-install sections), AddReg/
 * DelReg and CopyFiles with DestinationDirs.  Fills everything of ret that
 * the INF alone determines (host paths and package_files stay NULL);
 * hardware_ids = m->ids.
 */
int drivers_inf_resolve_install(const struct drivers_inf *inf,
                                const struct drivers_model *m, const char *arch,
                                struct drivers_install *ret, char **ret_error);
/* Decodes one AddReg (del=false) or DelReg (del=true) line. */
int drivers_inf_decode_reg(const struct drivers_inf *inf,
                           const struct drivers_inf_line *l, bool del,
                           struct drivers_reg *ret, char **ret_error);
void drivers_reg_done(struct drivers_reg *r);

/* ---- driver stores (drivers/store.c) ------------------------------------ */

/* One INF found in a store, with what the catalog shows about it. */
struct drivers_package {
	char *inf_path;    /* host path of the INF */
	char *inf_rel;     /* path relative to the store root ('/') */
	char *package_dir; /* host directory holding the INF */
	char *store;       /* the store it was found in (dir or ISO path) */
	char *error;       /* non-NULL: unusable INF, "file:line: why" */
	char *class_name, *class_guid, *provider;
	char *driver_date, *driver_version;
	char *catalog_file;   /* CatalogFile[.NT<arch>] of its first arch */
	bool catalog_present; /* that file exists next to the INF */
	char **archs;         /* archs its models sections target */
	char **os_targets;    /* decorations: "NTamd64.10.0...16299" */
	struct drivers_model *devices; /* models lines of every section */
	size_t n_devices;
	char **services;      /* AddService names of its DDInstalls */
	char **files_present; /* SourceDisksFiles[.arch] found (relative) */
	char **files_missing; /* SourceDisksFiles[.arch] absent */
	char **includes;      /* Include= of its DDInstalls (not followed) */
	char **needs;         /* Needs= of its DDInstalls (not followed) */
	char **warnings;      /* DDInstalls that do not resolve, etc. */
	/* IDs of the undecorated models sections of decorated [Manufacturer]
	 * lines: not in devices, chosen only for an x86 guest no decoration
	 * applies to.  With devices, every ID selection can match. */
	char **fallback_ids;
	/* The INF itself is not kept: selection parses the INFs whose IDs
	 * match again (the catalog may come from a cache). */
};

struct drivers_store;

int drivers_store_new(struct drivers_store **ret);
/*
 * The catalog cache (drivers/cache.c): a store remembers what its INFs
 * hold in .imgfix-catalog at its root when that is writable, else under
 * $XDG_CACHE_HOME/imgfix/drivers/, and parses again only the INFs whose
 * size, mtime, ctime or inode changed.  Only the catalog comes from it:
 * selection parses the INFs it chooses from again.  New stores take the
 * process default, off until drivers_store_cache_default(true) (the
 * imgfix command line turns it on unless --no-cache).
 */
void drivers_store_cache_default(bool enabled);
void drivers_store_set_cache(struct drivers_store *s, bool enabled);
struct drivers_store *drivers_store_free(struct drivers_store *s);
static inline void
drivers_store_freep(struct drivers_store **s)
{
	if (*s)
		drivers_store_free(*s);
}
/*
 * Scans a directory tree, or an ISO 9660 image (extracted into a private
 * temp dir that lives as long as the store), and adds every *.inf found to
 * the catalog.  An INF that cannot be parsed is a package with .error set,
 * not a failure.  Fails (-errno, message in *ret_error) when path cannot be
 * read or a DRIVERS_MAX_STORE_* limit is hit.
 */
int drivers_store_add(struct drivers_store *s, const char *path,
                      char **ret_error);
size_t drivers_store_n_packages(const struct drivers_store *s);
/* INFs the scans of s parsed (the other packages came from the cache). */
size_t drivers_store_n_parsed(const struct drivers_store *s);
/* Directories the scans of s listed (the others came from the cache). */
size_t drivers_store_n_listed(const struct drivers_store *s);
const struct drivers_package *
drivers_store_package(const struct drivers_store *s, size_t i);
/* Host path of a file, relative to the package's directory, matched
 * case-insensitively; NULL when the store does not hold it. */
char *drivers_store_find_file(const struct drivers_store *s,
                              const struct drivers_package *p, const char *rel);

/* ---- selection (drivers/select.c) --------------------------------------- */

struct drivers_query {
	struct drivers_target target;
	/* The device's IDs, most specific first (hardware IDs, then
	 * compatible IDs); NULL = any device. */
	char *const *device_ids;
	const char *class_name; /* class name or ClassGuid; NULL = any */
	/* INF name ("viostor" / "viostor.inf") or service name; NULL = any */
	const char *name;
	/* Accept a package whose best models section is for an older version
	 * of the same product line (e.g. 2k16 for 2k19 is exact, 6.3 for
	 * 10.0 is a fallback). */
	bool allow_fallback;
};

struct drivers_selection {
	struct drivers_install install;
	const struct drivers_package *package;
	char *decoration;      /* the models section decoration chosen */
	bool fallback;         /* chosen through allow_fallback */
	bool compatible_match; /* matched an INF compatible ID */
	char **rejected;       /* "<inf>: why", matching but unusable */
};
void drivers_selection_done(struct drivers_selection *sel);

/*
 * Chooses the package for the query: hardware ID beats compatible ID, then
 * the most specific OS decoration, then the newest DriverVer.  Packages
 * missing files the install needs are not candidates (listed in
 * ret->rejected).  -ENOENT when nothing fits; ret->rejected is filled then
 * too (and must be released with drivers_selection_done()).
 */
int drivers_select(const struct drivers_store *s, const struct drivers_query *q,
                   struct drivers_selection *ret);

#endif
