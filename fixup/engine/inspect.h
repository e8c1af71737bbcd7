/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Inspection: find every OS root on an image and describe it as guest
 * *facts* — a struct util_strmap of flat names ("os.version" -> "10.0"),
 * the names the rule engine matches on.  Read-only: inspection never
 * writes to the image (hives are copied out to a private temp dir).
 *
 * Facts of a Windows guest (all values strings):
 *   os.family=windows  os.distro=windows  os.product (ProductName)
 *   os.version (major.minor: CurrentMajor/MinorVersionNumber on 10+, else
 *   CurrentVersion)  os.build (CurrentBuildNumber)  os.service_pack (the
 *   number in CSDVersion, "0" without one)  os.product_type (client|server:
 *   InstallationType, else ProductName containing "Server", else SYSTEM
 *   ProductOptions\ProductType WinNT=client)  os.arch (i386|x86_64|aarch64:
 *   PE Machine of System32\ntoskrnl.exe, else of cmd.exe, hal.dll ...,
 *   else PROCESSOR_ARCHITECTURE of the control set's Session
 *   Manager\Environment; absent when none says)  os.hostname
 *   (Tcpip\Parameters\Hostname, else ComputerName)
 *   windows.drive.<LETTER> ("partition 2": MountedDevices, this image's
 *   partitions only: inspect-drives.c)
 *   windows.systemroot ("\Windows", real case)  windows.control_set
 *   ("ControlSet001")  windows.hal (first HardwareID of Enum\Root\ACPI_HAL
 *   or PCI_HAL \0000, lower case)  windows.driver_database (true|false)
 *   windows.hive_dirty (true|false: the SYSTEM primary file in the guest
 *   is dirty)  windows.hive_recovered (true|false, only when dirty: its
 *   transaction logs were replayed into the copy every fact comes from)
 *   windows.hive_logs (when recovered: which logs, how many entries)
 *   windows.boot_driver (see
 *   inspect-windows.c for the heuristic)  source.platform
 *   (vmware|virtualbox|xen|parallels|hyperv|physical)
 *   service.<Name>.start for every service key of the control set (the
 *   Start DWORD, "none" for a key without one).
 * Facts of a Linux guest (linux/linux-release.h, inspect-linux.c):
 *   os.family=linux  os.distro (os-release ID spelling)  os.version
 *   (major.minor; absent for rolling releases)  os.product (as the
 *   distribution spells it)  linux.family (rhel|debian|suse|arch|alpine|
 *   <ID>)  os.arch (ELF header of /bin/bash, /bin/ls ..., else the kernel
 *   image, else the modules directories; absent when none says)
 *   os.hostname  linux.root_device (the "/" entry of etc/fstab)
 *   linux.mountpoints ("/ /boot /home")  linux.package_format (rpm|deb|
 *   pacman|apk ...)  linux.package_manager (dnf|yum|apt|zypper|pacman|
 *   apk ...)  linux.initramfs_tool.
 * Set by the road choice (road.h): image.road (direct|guestfs),
 *   image.road_reason.
 * Both: disk.style (mbr|gpt; absent for directories and bare
 *   filesystems), firmware (uefi when an EFI system partition exists, else
 *   bios; absent for directories).
 */
#ifndef IMGFIX_FIXUP_INSPECT_H
#define IMGFIX_FIXUP_INSPECT_H

#include <stddef.h>

#include "util.h"
#include "image/volume.h"

/* Hives larger than this are refused (they are copied into memory). */
#define FIXUP_HIVE_MAX (512u * 1024 * 1024)

struct hive;

struct fixup_guest {
	char *root;                  /* "partition 2", "disk" or "dir" */
	struct fixup_volume *volume; /* the root volume, owned by the image */
	char *systemroot;            /* Windows: real-case "/Windows"; "/" */
	struct util_strmap *facts;
	char **warnings; /* things the user should know (missing SOFTWARE) */
	/* Windows: the private host copy of the SYSTEM hive inspection read
	 * (in tmpdir) and its read-only handle, kept for the plan so that the
	 * 10+ MiB hive is fetched and parsed once.  The copy is the hive as
	 * it was when inspected. */
	char *tmpdir;
	char *system_copy;
	struct hive *system_hive;
};

/*
 * Opens every partition of img that a backend can read (read-only unless
 * img was opened for writing) and inspects it.  *ret is an array of *ret_n
 * guests (at least one).  Errors: FIXUP_E_NO_FILESYSTEM (nothing openable),
 * FIXUP_E_NO_OS (volumes open but hold no OS), any error of
 * fixup_image_open_volume() (BitLocker, hibernated, unclean), -EBADMSG for
 * a SYSTEM/SOFTWARE hive that cannot be read, FIXUP_E_SYMLINK_ESCAPE;
 * fixup_error_detail() names the file and the problem.
 */
int fixup_inspect(struct fixup_image *img, struct fixup_guest **ret,
                  size_t *ret_n);
void fixup_guests_free(struct fixup_guest *g, size_t n);

/* {"guests":[{"root":..., "facts":{name: value, ...}}, ...]} as a
 * NUL-terminated string (report-json.c). */
int fixup_guests_to_json(const struct fixup_guest *g, size_t n, char **ret);

#endif
