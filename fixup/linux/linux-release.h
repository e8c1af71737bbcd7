/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which Linux distribution a guest tree holds, read the way libguestfs's
 * inspection reads it (lib/inspect-fs-unix in libguestfs 1.48): the
 * release files are tried in a fixed order and the first that names a
 * distribution wins — /etc/os-release, /usr/lib/os-release,
 * /etc/lsb-release (Ubuntu, Linux Mint ...), then the distribution files
 * (/etc/fedora-release, /etc/redhat-release, /etc/debian_version,
 * /etc/arch-release, /etc/SuSE-release, /etc/alpine-release ...).  An
 * os-release whose VERSION_ID is a bare major number on Debian and CentOS
 * takes the full version from the distribution file, as libguestfs does.
 *
 * Vocabulary: distro is the os-release ID spelling ("debian", "ubuntu",
 * "rhel", "centos", "rocky", "fedora", "opensuse-leap", "sles", "arch",
 * "alpine" ...); package format and manager use libguestfs's words.
 */
#ifndef IMGFIX_FIXUP_LINUX_RELEASE_H
#define IMGFIX_FIXUP_LINUX_RELEASE_H

#include "linux/guest-tree.h"

/* Release files are small; larger is refused. */
#define LINUX_RELEASE_MAX (64u * 1024)

struct linux_release {
	char *distro;  /* os-release ID spelling */
	char *like;    /* os-release ID_LIKE, or what the file implies */
	char *product; /* as the distribution spells it */
	char *version; /* "major.minor", NULL when none (rolling) */
	char *file;    /* the file that decided */
};

/*
 * 1 and *ret filled when t holds a Linux root, 0 when no release file
 * names a distribution, -errno (FIXUP_E_SYMLINK_ESCAPE on the dir road,
 * -EBADMSG for a file over LINUX_RELEASE_MAX) on failure.
 */
int linux_release_detect(struct linux_tree *t, struct linux_release *ret);
void linux_release_done(struct linux_release *r);

/* "rhel", "debian", "suse", "arch", "alpine", or distro itself. */
const char *linux_release_family(const struct linux_release *r);
/* rpm, deb, pacman, apk, ebuild, xbps, pisi; NULL when unknown. */
const char *linux_package_format(const struct linux_release *r);
/* dnf, yum, up2date, apt, zypper, pacman, apk, portage, urpmi, xbps, pisi;
 * NULL when unknown.  Fedora: dnf from 22 on when /usr/bin/dnf exists. */
const char *linux_package_manager(const struct linux_release *r,
                                  struct linux_tree *t);

#endif
