#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# compare-inspector.py VIRT-INSPECTOR.xml... NAME=IMGFIX.json...: compares,
# fact by fact, what imgfix found on each fixture NAME (`imgfix inspect
# --json`, its first guest) with libguestfs's own inspection of the same
# disks (virt-inspector's XML, from one or more runs; operating systems
# matched by hostname).  Every difference is printed;
# the ones listed in KNOWN below carry the reason they are expected.  Exit
# 1 when a difference is not listed.
import json
import sys
import xml.etree.ElementTree as ET

# os-release IDs (imgfix's os.distro) -> libguestfs's distro names
DISTRO = {
    "arch": "archlinux",
    "alpine": "alpinelinux",
    "opensuse-leap": "opensuse",
    "opensuse-tumbleweed": "opensuse",
    "ol": "oraclelinux",
    "scientific": "scientificlinux",
}

COREOS = ("libguestfs does not follow /etc/os-release -> ../usr/lib/"
          "os-release into the separate /usr partition; imgfix resolves "
          "symlinks across the guest's fstab mounts")
KNOWN = {
    ("arch", "version"): "rolling release without VERSION_ID: libguestfs "
    "says 0.0, imgfix sets no os.version (never a made-up version)",
    ("fedora14", "arch"): "no ELF binary in the guest: imgfix reads the "
    "modules directory name (2.6.35.6-45.fc14.i686), libguestfs gives up",
    ("fedora14", "hostname"): "libguestfs keeps the quotes of "
    "HOSTNAME=\"...\" in /etc/sysconfig/network; imgfix unquotes as the "
    "shell does",
    ("splitusr", "distro"): COREOS,
    ("splitusr", "version"): COREOS,
    ("splitusr", "product"): COREOS,
    ("splitusr", "arch"): COREOS + " (/bin/bash is /usr/bin/bash there)",
    ("splitusr", "package_format"): COREOS,
    ("splitusr", "package_manager"): COREOS,
    ("debian-luks", "product"): "Debian's os-release has no minor "
    "version: libguestfs then reads /etc/debian_version and takes its text "
    "(12.4) as the product name too; imgfix keeps os-release's PRETTY_NAME "
    "and reads only the minor version from debian_version",
    ("noarch", "*"): "libguestfs does not take a tree without /bin and "
    "binaries for a Linux root; imgfix goes by the release files",
}


def vi_systems(path):
    systems = []
    for os_ in ET.parse(path).getroot().findall("operatingsystem"):
        d = {c.tag: (c.text or "").strip() for c in os_ if len(c) == 0}
        d["mountpoints"] = sorted(
            (m.text or "") for m in os_.findall("mountpoints/mountpoint"))
        systems.append(d)
    return systems


def version_of(s):
    if not s:
        return None
    parts = s.split(".")
    return (int(parts[0]), int(parts[1]) if len(parts) > 1 else 0)


def main():
    args = sys.argv[1:]
    systems = []
    while args and "=" not in args[0]:
        systems += vi_systems(args.pop(0))
    unlisted = 0
    for arg in args:
        name, path = arg.split("=", 1)
        facts = json.load(open(path))["guests"][0]["facts"]
        host = facts.get("os.hostname")
        vi = [s for s in systems if s.get("hostname", "").strip('"') == host]
        if not vi:
            reason = KNOWN.get((name, "*"))
            print("%-12s %-16s imgfix finds it, virt-inspector does not%s"
                  % (name, "*", "  [listed: %s]" % reason if reason else ""))
            unlisted += reason is None
            continue
        v = vi[0]
        vmaj, vmin = v.get("major_version"), v.get("minor_version")
        vver = (int(vmaj), int(vmin)) if vmaj and vmin else None
        distro = facts.get("os.distro")
        pairs = [
            ("distro", DISTRO.get(distro, distro), v.get("distro") or None),
            ("version", version_of(facts.get("os.version")), vver),
            ("product", facts.get("os.product"),
             v.get("product_name") or None),
            ("arch", facts.get("os.arch"), v.get("arch") or None),
            ("hostname", host, v.get("hostname") or None),
            ("package_format", facts.get("linux.package_format"),
             v.get("package_format") or None),
            ("package_manager", facts.get("linux.package_manager"),
             v.get("package_management") or None),
            ("mountpoints", sorted(facts.get("linux.mountpoints",
                                             "").split()),
             v["mountpoints"]),
        ]
        for fact, mine, theirs in pairs:
            if mine == theirs:
                continue
            reason = KNOWN.get((name, fact))
            print("%-12s %-16s imgfix %r, virt-inspector %r%s"
                  % (name, fact, mine, theirs,
                     "  [listed: %s]" % reason if reason else "  UNLISTED"))
            unlisted += reason is None
    if unlisted:
        sys.exit("%d difference(s) not listed" % unlisted)
    print("every difference is listed")


main()
