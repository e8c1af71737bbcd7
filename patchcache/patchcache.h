/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * patchcache/ — the files a Windows fix-up may need but the guest does not
 * carry (HAL and kernel variants, IDE drivers, storport) and the updates a
 * guest must have before current signed drivers load.
 *
 * Four parts, all plain data in and out:
 *  - the PE reader: machine, subsystem and VS_FIXEDFILEINFO versions;
 *  - manifests (patchcache/manifests/, RELAX NG checked): per Windows
 *    version / service pack / arch / product type, the files with roles,
 *    version ranges and where-to-get hints, and the required updates;
 *  - the cache: a directory the admin owns, filled from files, folders,
 *    install media (I386/, AMD64/), *.XX_ files and CABs, content-addressed
 *    and indexed by name, arch, version and sha256;
 *  - the check report (needed vs present in guest / cache / missing) and the
 *    NT5 HAL/kernel swap plan.
 *
 * Versions are packed as (MS << 32) | LS: 5.1.2600.5512 = 0x0005000100a21588.
 * Library functions return 0 (or a count) or -errno and never print; where a
 * message helps the user, a ret_error string ("file:line: what") is given.
 */
#ifndef IMGFIX_PATCHCACHE_H
#define IMGFIX_PATCHCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hive.h"
#include "util.h"

/* Limits for anything read from a PE file, manifest, CAB or index. */
#define PCACHE_MAX_PE_SIZE (256u * 1024 * 1024)
#define PCACHE_MAX_PE_SECTIONS 96
#define PCACHE_MAX_RSRC_ENTRIES 4096
#define PCACHE_MAX_MANIFEST_SIZE (4u * 1024 * 1024)
#define PCACHE_MAX_MANIFEST_ITEMS 4096
#define PCACHE_MAX_INDEX_SIZE (64u * 1024 * 1024)
#define PCACHE_MAX_INDEX_ENTRIES 500000
#define PCACHE_MAX_NAME 255
#define PCACHE_MAX_INGEST_FILE (512u * 1024 * 1024)
#define PCACHE_MAX_TREE_DEPTH 32
#define PCACHE_MAX_SETUP_LOG (16u * 1024 * 1024)

/* ---- versions ----------------------------------------------------------- */

#define PCACHE_VERSION(a, b, c, d)                       \
	(((uint64_t)(a) << 48) | ((uint64_t)(b) << 32) | \
	 ((uint64_t)(c) << 16) | (uint64_t)(d))
#define PCACHE_VERSION_STRLEN 24 /* "65535.65535.65535.65535" + NUL */

/* "5.1.2600.5512" (1 to 4 parts, each <= 65535) -> packed.  -EINVAL. */
int pcache_version_parse(const char *s, uint64_t *ret);
/* Writes "a.b.c.d" into buf; returns buf. */
char *pcache_version_format(uint64_t v, char buf[PCACHE_VERSION_STRLEN]);

/* ---- architectures and roles -------------------------------------------- */

enum pcache_arch {
	PCACHE_ARCH_UNKNOWN = 0,
	PCACHE_ARCH_I386,
	PCACHE_ARCH_AMD64,
	PCACHE_ARCH_ANY, /* manifests only: any architecture */
};
/* "i386", "amd64" (and "any", "unknown"). */
const char *pcache_arch_to_string(enum pcache_arch a);
/* Accepts i386/x86/i686 and amd64/x86_64/x64 (case-insensitive). */
enum pcache_arch pcache_arch_from_string(const char *s);

enum pcache_role {
	PCACHE_ROLE_OTHER = 0,
	PCACHE_ROLE_HAL,
	PCACHE_ROLE_KERNEL,
	PCACHE_ROLE_IDE_DRIVER,
	PCACHE_ROLE_STORAGE_PORT,
};
/* "hal", "kernel", "ide-driver", "storage-port", "other". */
const char *pcache_role_to_string(enum pcache_role r);
/* -EINVAL for an unknown name. */
int pcache_role_from_string(const char *s, enum pcache_role *ret);

/* ---- PE reader (pe.c) --------------------------------------------------- */

#define PCACHE_PE_MACHINE_I386 0x014c
#define PCACHE_PE_MACHINE_AMD64 0x8664

struct pcache_pe_info {
	uint16_t machine; /* IMAGE_FILE_HEADER.Machine */
	enum pcache_arch arch;
	uint16_t subsystem;       /* IMAGE_OPTIONAL_HEADER.Subsystem */
	bool has_version;         /* a VS_FIXEDFILEINFO was found */
	uint64_t file_version;    /* dwFileVersionMS << 32 | LS */
	uint64_t product_version; /* dwProductVersionMS << 32 | LS */
};

/*
 * Parses a PE image held in buf.  Not a PE (no MZ/PE signature): -EBADMSG;
 * any offset or size pointing outside the buffer, a resource loop or too many
 * entries: -EBADMSG.  A valid PE without a version resource is 0 with
 * has_version false.
 */
int pcache_pe_parse(const void *buf, size_t len, struct pcache_pe_info *ret);
/* Reads path (at most PCACHE_MAX_PE_SIZE) and parses it. */
int pcache_pe_read_file(const char *path, struct pcache_pe_info *ret);

/* ---- manifests (manifest.c) --------------------------------------------- */

struct pcache_manifest_file {
	char *name; /* lower case, "halmacpi.dll" */
	enum pcache_role role;
	char *hal;        /* HAL hardware ID this file implements, or NULL */
	char *guest_path; /* relative to systemroot: "system32\\hal.dll" ... */
	uint64_t min_version;
	uint64_t below_version; /* exclusive upper bound; 0 = none */
	char **hints;           /* where to find it, in order */
	char *note;             /* free text (uncertainty), may be NULL */
};

struct pcache_manifest_update {
	char *kb; /* "KB4474419" */
	char *title;
	char **hints;
};

struct pcache_manifest {
	char *path; /* file it came from */
	char *id;   /* "xp-sp3-x86" */
	char *title;
	unsigned os_major, os_minor;
	unsigned sp_min, sp_max; /* inclusive */
	enum pcache_arch arch;   /* or PCACHE_ARCH_ANY */
	char *product_type;      /* "client", "server" or NULL = any */
	struct pcache_manifest_file *files;
	size_t n_files;
	struct pcache_manifest_update *updates;
	size_t n_updates;
};

struct pcache_manifest_set {
	struct pcache_manifest *v;
	size_t n;
};

/*
 * Loads one manifest and appends it to set.  The document is parsed with
 * XML_PARSE_NONET and no entity substitution and validated against the
 * RELAX NG schema at schema_path.  On a parse, schema or semantic error the
 * result is -EBADMSG and *ret_error (if given) is "file:line: message".
 */
int pcache_manifest_load_file(struct pcache_manifest_set *set, const char *path,
                              const char *schema_path, char **ret_error);
/* Loads every *.xml of dir (sorted).  Same error contract. */
int pcache_manifest_load_dir(struct pcache_manifest_set *set, const char *dir,
                             const char *schema_path, char **ret_error);
void pcache_manifest_set_done(struct pcache_manifest_set *set);

/*
 * Guest facts used to pick manifests: os.version ("5.1"), os.service_pack
 * ("Service Pack 3", "3" or absent = 0), os.arch (i386|x86_64),
 * os.product_type (client/server, or WinNT/ServerNT/LanmanNT).
 */
struct pcache_guest {
	unsigned os_major, os_minor;
	unsigned sp;
	enum pcache_arch arch;
	char *product_type; /* "client", "server" or NULL */
	char *hal;          /* windows.hal: a HAL hardware ID or NULL */
};
/* -EINVAL (with *ret_error) when os.version or os.arch is missing/bad. */
int pcache_guest_from_facts(const struct util_strmap *facts,
                            struct pcache_guest *ret, char **ret_error);
void pcache_guest_done(struct pcache_guest *g);

/* The manifests that apply to guest (borrowed pointers into set), in order. */
int pcache_manifest_select(const struct pcache_manifest_set *set,
                           const struct pcache_guest *guest,
                           const struct pcache_manifest ***ret, size_t *ret_n);

/* ---- the cache (cache.c, ingest.c) -------------------------------------- */

/*
 * Layout of a cache directory:
 *   CACHE/index        the index, one line per (name, object):
 *                      "imgfix-patchcache 1" header line, then
 *                      sha256 TAB arch TAB version TAB size TAB name
 *                      (name lower case, no TAB/newline/slash)
 *   CACHE/objects/ab/abcdef...   file content, named by its sha256
 */
struct pcache_entry {
	char *name; /* lower case */
	enum pcache_arch arch;
	uint64_t version; /* 0 = no version resource */
	uint64_t size;
	char sha256[UTIL_SHA256_HEX_LEN + 1];
};

struct pcache;

/* Opens (create: creates if missing) the cache at dir and reads its index. */
int pcache_open(const char *dir, bool create, struct pcache **ret,
                char **ret_error);
struct pcache *pcache_free(struct pcache *c);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct pcache *, pcache_free)
const char *pcache_dir(const struct pcache *c);

/* Entries sorted by name, arch, version. */
size_t pcache_n_entries(const struct pcache *c);
const struct pcache_entry *pcache_entry(const struct pcache *c, size_t i);
/* Host path of an entry's content (malloc'd). */
char *pcache_entry_path(const struct pcache *c, const struct pcache_entry *e);
/* Entries with this name (case-insensitive) and arch (ANY = all), in
 * version order: *ret is a malloc'd array (free() it) of pointers into c
 * (valid until c changes); returns the count (0 = none) or -ENOMEM. */
int pcache_find(const struct pcache *c, const char *name, enum pcache_arch arch,
                const struct pcache_entry ***ret);

struct pcache_add_stats {
	unsigned files_seen;  /* candidate files looked at */
	unsigned added;       /* new index entries */
	unsigned duplicates;  /* already indexed (same name and content) */
	unsigned objects_new; /* new content objects written */
	unsigned skipped;     /* not PE files (no arch) and not wanted */
};

/*
 * Ingests path: a PE file, a folder (recursively, install media trees
 * included), an MS-compressed file (SZDD/KWAJ, "*.DL_") or a CAB archive.
 * Files inside CABs and compressed files are ingested the same way; only PE
 * files are indexed.  Updates the index on disk (atomically).  On a bad input
 * the result is -EBADMSG with *ret_error naming the file and the problem.
 */
int pcache_add(struct pcache *c, const char *path,
               struct pcache_add_stats *stats, char **ret_error);

/*
 * Re-hashes every object.  Calls cb (may be NULL) for each mismatch or
 * missing object; returns the number of bad entries (0 = all good).
 */
typedef void (*pcache_verify_cb)(const struct pcache_entry *e,
                                 const char *problem, void *userdata);
int pcache_verify(const struct pcache *c, pcache_verify_cb cb, void *userdata);

/* ---- requirements and the check report (report.c) ----------------------- */

/*
 * Reads the PE info of a guest file.  guest_path is relative to the
 * systemroot with backslashes ("system32\\drivers\\atapi.sys").  -ENOENT
 * when the file is absent, other -errno on failure.
 */
struct pcache_guest_reader {
	int (*read_pe)(void *userdata, const char *guest_path,
	               struct pcache_pe_info *ret);
	void *userdata;
};

/* An extra requirement, from a rule action (require-file, swap-hal). */
struct pcache_requirement {
	const char *name; /* file name, "halmacpi.dll" */
	enum pcache_role role;
	uint64_t min_version;   /* 0 = the manifest's, or any */
	const char *origin;     /* rule id that asked for it, may be NULL */
	const char *hint;       /* may be NULL: the manifest's hints are used */
	const char *guest_path; /* relative to systemroot; NULL: System32
	                           (System32\\drivers for drivers) */
};

/* The files a swap to target_hal (a HAL hardware ID or file) needs: the HAL
 * and the kernels (plain and PAE) for its processor count.  *ret is a
 * malloc'd array (free() it) of static strings; -EINVAL for an unknown HAL. */
int pcache_requirements_for_hal(const char *target_hal, const char *origin,
                                struct pcache_requirement **ret, size_t *ret_n);

enum pcache_status {
	PCACHE_STATUS_IN_GUEST,         /* the guest has it at a good version */
	PCACHE_STATUS_IN_CACHE,         /* the cache has a matching version */
	PCACHE_STATUS_VERSION_MISMATCH, /* the cache has it, wrong SP level */
	PCACHE_STATUS_MISSING,
};
const char *pcache_status_to_string(enum pcache_status s);

struct pcache_report_item {
	char *name;
	enum pcache_role role;
	enum pcache_arch arch;
	char *guest_path;
	char *manifest_id; /* or NULL for rule-only requirements */
	char *origin;      /* rule id, or NULL for manifest items */
	uint64_t min_version, below_version;
	enum pcache_status status;
	uint64_t guest_version; /* 0 = absent/unknown */
	uint64_t cache_version; /* best cache candidate, 0 = none */
	char *cache_path;       /* host path of the chosen cache object */
	char **hints;
	char *detail; /* human sentence for mismatch/missing */
};

struct pcache_report_update {
	char *kb;
	char *title;
	char *manifest_id;
	bool installed;
	char **hints;
};

struct pcache_report {
	char *os; /* "5.1 SP3 i386 client" */
	char **manifests;
	uint64_t guest_kernel_version; /* system32\ntoskrnl.exe, 0 = unknown */
	struct pcache_report_item *items;
	size_t n_items;
	struct pcache_report_update *updates;
	size_t n_updates;
	char **installed_updates; /* as read from the guest */
	unsigned n_missing;       /* MISSING + VERSION_MISMATCH + updates */
};

struct pcache_report_input {
	const struct pcache_guest *guest;
	const struct pcache_manifest_set *manifests;
	const struct pcache *cache; /* may be NULL: nothing cached */
	const struct pcache_guest_reader *reader; /* may be NULL */
	const struct pcache_requirement *extra;
	size_t n_extra;
	char *const *installed_updates; /* "KB…" list, may be NULL */
};

int pcache_report_build(const struct pcache_report_input *in,
                        struct pcache_report *ret);
void pcache_report_done(struct pcache_report *r);
/* Human text for an admin. */
int pcache_report_write_text(const struct pcache_report *r, FILE *out);
/* JSON for pipelines (report-json.c); malloc'd NUL-terminated string. */
int pcache_report_to_json(const struct pcache_report *r, char **ret);
/* The cache index as JSON (array of entries). */
int pcache_entries_to_json(const struct pcache *c, char **ret);

/* ---- installed updates from the guest's hives (updates.c) --------------- */

/*
 * Reads installed update ids ("KB4474419", upper case, sorted, unique) from
 * an open SOFTWARE hive: NT6+ Component Based Servicing\Packages\
 * Package_for_KB… (CurrentState 0x70, or no CurrentState), NT5
 * Microsoft\Updates\<product>\<level>\KB… and Windows NT\CurrentVersion\
 * Hotfix\KB….  Records are not definitive: file versions decide.
 */
int pcache_read_installed_updates(struct hive *software, char ***ret);
/* Adds KB ids found in folder names like "$NtUninstallKB835935$". */
int pcache_updates_from_names(char *const *names, char ***updates);

/* ---- HAL and kernel swap (hal.c) ---------------------------------------- */

struct pcache_hal_type {
	const char *hwid;  /* "acpiapic_mp" */
	const char *file;  /* "halmacpi.dll" */
	const char *title; /* "ACPI Multiprocessor PC" */
	bool acpi;
	bool mp;
};
/* Mapping table (WINDOWS.md 1.4); lookup by hardware ID or file name. */
const struct pcache_hal_type *pcache_hal_lookup(const char *hwid_or_file);
size_t pcache_hal_types(const struct pcache_hal_type **ret);

/*
 * Finds the HAL file named in a repair\setup.log text ([Files.WinNt] line
 * "\WINDOWS\system32\hal.dll = "halmacpi.dll","…"), lower case.  -ENOENT
 * when absent, -EBADMSG when the line is malformed.
 */
int pcache_setup_log_hal(const char *text, size_t len, char **ret_file);
/*
 * Current HAL hardware ID from SYSTEM: <control_set>\Enum\Root\ACPI_HAL\
 * 0000\HardwareID (or PCI_HAL), first MULTI_SZ item, lower case.
 */
int pcache_hal_read_current(struct hive *system, const char *control_set,
                            char **ret_hwid);

enum pcache_hal_mode {
	PCACHE_HAL_NONDESTRUCTIVE = 0, /* new 8.3 names + boot.ini entry */
	PCACHE_HAL_REPLACE,            /* journal + overwrite + registry */
};

struct pcache_hal_request {
	const struct pcache_guest *guest;
	const struct pcache *cache;
	const struct pcache_guest_reader *reader; /* to read the kernel */
	const char *current_hal; /* hardware ID or file; NULL = guest->hal */
	const char *target_hal;  /* hardware ID or file (swap-hal action) */
	const char *control_set; /* "ControlSet001" for the HardwareID edit */
	enum pcache_hal_mode mode;
	bool pae;                /* use the PAE kernel (ntkrnlpa/ntkrpamp) */
	uint64_t kernel_version; /* 0 = read system32\ntoskrnl.exe */
};

struct pcache_file_put {
	char *host_path;   /* cache object */
	char *guest_path;  /* relative to systemroot */
	char *source_name; /* media name, "ntkrnlmp.exe" */
	uint64_t version;
};

struct pcache_bootini_entry {
	char *title_suffix; /* appended to the copied entry's title */
	char *switches;     /* "/kernel=ntkrnlmp.exe /hal=halmacpi.dll" */
	bool make_default;
};

struct pcache_hal_plan {
	const struct pcache_hal_type *from, *to;
	enum pcache_hal_mode mode;
	uint64_t kernel_version;
	struct pcache_file_put *puts;
	size_t n_puts;
	struct hive_edits edits;             /* REPLACE: HAL HardwareID */
	struct pcache_bootini_entry bootini; /* NONDESTRUCTIVE */
	char **journal; /* REPLACE: guest paths whose originals to keep */
};

/*
 * Plans a HAL/kernel swap.  ACPI <-> non-ACPI (KB309283): -EXDEV; no HAL or
 * kernel in the cache at the guest kernel's version: -ENOENT; same HAL:
 * -EALREADY.  *ret_error (if given) says why in words.
 */
int pcache_hal_plan(const struct pcache_hal_request *req,
                    struct pcache_hal_plan *ret, char **ret_error);
void pcache_hal_plan_done(struct pcache_hal_plan *p);

#endif
