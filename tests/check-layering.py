#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The layering rules of fixup/ (docs/HACKING.md), checked on the sources.

A "reference" from file A to file B is an identifier in A (comments and
string literals stripped) that names a function or a global object that B
defines without "static" (house style: the name of a definition starts its
line).  Includes are the #include "..." lines.  Tests (tests/) are not
looked at: they may open any backend by name.

Rules (each violation is printed; the exit status is 1 when there is one):

 1. Backends: every file of a volume backend (BACKENDS below) may include
    and reference only its own backend's files and the generic layer, and
    no file outside the backend may include its headers or reference its
    symbols -- except the backend table (image/backends.c), which names
    every backend's ops tables.
 2. OS modules: nothing in fixup/engine/ includes a header of windows/ or
    linux/ or references a symbol defined there; only the family table
    (fixup/families.c) names them.  windows/ and linux/ never reach each
    other.
 3. No circle: among the .c files of fixup/, references form no cycle, and
    among the headers of fixup/, includes form no cycle.
 4. The command line is the top: no file outside fixup/cli/ includes a
    header of fixup/cli/ or references a symbol defined there (what the
    engine and the CLI share, such as the exit codes, is in
    fixup/engine/runtime.h).

--report prints every reference circle of the tree (not just fixup/) and
the longest files, and never fails.
"""
import importlib.util
import os
import re
import subprocess
import sys

BACKENDS = {
    "ntfs3g": r"image/(volume-)?ntfs3g[^/]*\.[ch]$",
    "dir": r"image/(volume-)?dir[^/]*\.[ch]$",
    "ext": r"image/(volume-)?ext[^/]*\.[ch]$",
    "guestfs": r"image/(volume-)?guestfs[^/]*\.[ch]$",
}
BACKEND_TABLE = "fixup/image/backends.c"
FAMILY_TABLE = "fixup/families.c"
CLI_DIR = "fixup/cli/"
OS_DIRS = ("fixup/windows/", "fixup/linux/")

DEF_FUNC = re.compile(r"^([A-Za-z_]\w*)\(")
DEF_OBJ = re.compile(
    r"^(?:const\s+)?(?:struct\s+\w+|\w+)\s+(?:const\s+)?\**\s*"
    r"(?:const\s+)?([A-Za-z_]\w*)\s*(?:\[[^\]]*\]\s*)*=")
DEF_TENTATIVE = re.compile(
    r"^(?:struct\s+\w+|[a-z_]\w*)\s+\**([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?;")
INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
STRIP = re.compile(
    r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', re.S)
IDENT = re.compile(r"(?<![\w.>])(?<!struct )(?<!enum )(?<!union )"
                   r"[A-Za-z_]\w*\b")


def tracked(root):
    try:
        out = subprocess.run(["git", "ls-files", "*.c", "*.h"], cwd=root,
                             capture_output=True, text=True, check=True)
        files = out.stdout.split()
    except (OSError, subprocess.CalledProcessError):
        files = []
        for d, _, names in os.walk(root):
            for n in names:
                if n.endswith((".c", ".h")):
                    files.append(os.path.relpath(os.path.join(d, n), root))
    return sorted(f for f in files
                  if not f.startswith(("tests/", "build")) and
                  os.path.exists(os.path.join(root, f)))


def definitions(text):
    """(extern names, all names) defined at file scope in text."""
    ext, every = set(), set()
    prev = ""
    for line in text.split("\n"):
        m = DEF_FUNC.match(line)
        if m:
            every.add(m.group(1))
            if not re.search(r"\bstatic\b", prev):
                ext.add(m.group(1))
        m = DEF_OBJ.match(line)
        if m and not line.startswith(("extern", "typedef", "return")):
            every.add(m.group(1))
            if not line.startswith("static"):
                ext.add(m.group(1))
        m = DEF_TENTATIVE.match(line)
        if m and not line.startswith(("extern", "typedef", "return",
                                      "struct " + m.group(1) + ";")):
            every.add(m.group(1))
            ext.add(m.group(1))
        if line.strip():
            prev = line
    return ext, every


def resolve(inc, src, files):
    """The tracked file an #include "inc" of src names, or None."""
    cands = [os.path.normpath(os.path.join(os.path.dirname(src), inc)),
             os.path.normpath(os.path.join(src.split("/")[0], inc)), inc]
    for c in cands:
        if c in files:
            return c
    return None


def load_circles():
    """check-circles.py (beside this file), for its components()."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "check-circles.py")
    spec = importlib.util.spec_from_file_location("check_circles", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def sccs(nodes, edges):
    """Strongly connected components with more than one node."""
    nodes = set(nodes)
    return load_circles().components(
        {v: {w for w in edges.get(v, ()) if w in nodes} for v in nodes})


def backend_of(path):
    if not path.startswith("fixup/"):
        return None
    rel = path[len("fixup/"):]
    for name, rx in BACKENDS.items():
        if re.match(rx, rel):
            return name
    return None


def main():
    report = "--report" in sys.argv
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = args[0] if args else os.environ.get("MESON_SOURCE_ROOT", ".")
    files = tracked(root)
    fileset = set(files)
    text, includes, ext_defs, all_defs = {}, {}, {}, {}
    for f in files:
        with open(os.path.join(root, f), encoding="utf-8",
                  errors="replace") as fh:
            t = fh.read()
        text[f] = t
        includes[f] = {r for r in (resolve(i, f, fileset)
                                   for i in INCLUDE.findall(t)) if r}
        if f.endswith(".c"):
            ext_defs[f], all_defs[f] = definitions(t)
    owner = {}
    for f, names in ext_defs.items():
        for n in names:
            owner.setdefault(n, set()).add(f)
    refs = {}  # (a, b) -> names
    for f in ext_defs:
        idents = set(IDENT.findall(STRIP.sub(" ", text[f])))
        for n in idents - all_defs[f]:
            for b in owner.get(n, ()):
                refs.setdefault((f, b), set()).add(n)
    edges = {}
    for (a, b) in refs:
        edges.setdefault(a, set()).add(b)

    errors = []

    def err(msg):
        errors.append(msg)

    # 1. backends
    for f in files:
        if not f.startswith("fixup/"):
            continue
        mine = backend_of(f)
        for h in includes[f]:
            other = backend_of(h)
            if other and other != mine and f != BACKEND_TABLE:
                err(f"{f} includes {h} (backend {other}): backends are "
                    f"reached through their ops table only")
    for (a, b), names in sorted(refs.items()):
        if not a.startswith("fixup/"):
            continue
        mine, other = backend_of(a), backend_of(b)
        if other and other != mine and a != BACKEND_TABLE:
            err(f"{a} calls {', '.join(sorted(names))} of {b} (backend "
                f"{other}): go through the ops table")

    # 2. OS modules
    for f in files:
        if f.startswith("fixup/engine/"):
            for h in includes[f]:
                if h.startswith(OS_DIRS):
                    err(f"{f} includes {h}: the engine reaches OS modules "
                        f"through the family table ({FAMILY_TABLE}) only")
        for d in OS_DIRS:
            if f.startswith(d):
                for h in includes[f]:
                    if h.startswith(OS_DIRS) and not h.startswith(d):
                        err(f"{f} includes {h}: windows/ and linux/ do not "
                            f"reach each other")
    for (a, b), names in sorted(refs.items()):
        if a.startswith("fixup/engine/") and b.startswith(OS_DIRS):
            err(f"{a} calls {', '.join(sorted(names))} of {b}: the engine "
                f"reaches OS modules through {FAMILY_TABLE} only")
        for d in OS_DIRS:
            if a.startswith(d) and b.startswith(OS_DIRS) and \
                    not b.startswith(d):
                err(f"{a} calls {', '.join(sorted(names))} of {b}: "
                    f"windows/ and linux/ do not reach each other")

    # 3. circles
    fixup_c = [f for f in ext_defs if f.startswith("fixup/")]
    for comp in sccs(fixup_c, {a: {b for b in bs if b.startswith("fixup/")}
                               for a, bs in edges.items()
                               if a.startswith("fixup/")}):
        detail = "; ".join(
            f"{a} -> {b} ({', '.join(sorted(refs[(a, b)])[:3])})"
            for a in comp for b in comp if (a, b) in refs)
        err(f"reference circle: {' <-> '.join(comp)}: {detail}")
    fixup_h = [f for f in files if f.startswith("fixup/") and
               f.endswith(".h")]
    for comp in sccs(fixup_h, {h: {i for i in includes[h] if i in fixup_h}
                               for h in fixup_h}):
        err(f"include circle: {' <-> '.join(comp)}")

    # 4. the command line on top
    for f in files:
        if f.startswith(CLI_DIR):
            continue
        for h in includes[f]:
            if h.startswith(CLI_DIR):
                err(f"{f} includes {h}: only fixup/cli/ includes the "
                    f"command line's headers")
    for (a, b), names in sorted(refs.items()):
        if not a.startswith(CLI_DIR) and b.startswith(CLI_DIR):
            err(f"{a} calls {', '.join(sorted(names))} of {b}: nothing "
                f"below the command line calls into fixup/cli/")

    if report:
        print("reference circles (all .c files outside tests/):")
        for comp in sccs(list(ext_defs), edges):
            print("  " + " <-> ".join(comp))
        print("longest files of fixup/ (lines):")
        lens = sorted(((text[f].count("\n"), f) for f in files
                       if f.startswith("fixup/")), reverse=True)
        for n, f in lens[:8]:
            print(f"  {n:6d} {f}")
        print(f"{len(errors)} layering violation(s)")
        for e in errors:
            print("  " + e)
        return 0
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
