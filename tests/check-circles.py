#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Import circles between source files, measured on the object files.

A file A *calls* a file B when A's object file has an undefined symbol that
B's object file defines as a function (nm: `U` in A, `T` in B).  A *circle*
is a pair of files that call each other: A calls B and B calls A.  Longer
cycles (A calls B calls C calls A) are reported too, as the strongly
connected components of the "calls" graph that hold more than two files.

Global variables count as well, reported apart: a pair where one direction
is only a read or write of the other's global variable (nm: `D`, `B`, `R`
or `C` in the defining file) is a circle "through data".  Enforcement
counts both kinds.

Static functions and inline helpers in headers are not symbols and do not
count: only what one .c file really calls or reads in another.

The objects come from the build tree's compile_commands.json (every object
built from a source file of the modules below; tests and generated sources
are left out).  Run it after a build:

    tests/check-circles.py BUILDDIR            # report every circle
    tests/check-circles.py --symbols BUILDDIR  # ... and the symbols behind it
    tests/check-circles.py --enforce BUILDDIR  # exit 1 on a circle or cycle
                                           # outside the exceptions below

The `circles` test of the `format` suite runs the last form.
"""


import argparse
import json
import os
import subprocess
import sys

# Modules of the tree, in dependency order (a module may use the ones
# before it).  fixup/ is split in folders; each folder counts as a module
# for the report, and the whole of fixup/ for enforcement.
MODULES = ["util", "hive", "rules", "drivers", "patchcache", "fixup"]

# Modules where circles are allowed for now, with the reason.  Enforcement
# covers every module not listed here.
EXCEPTIONS = {}

# nm types of a global definition: functions, and everything else (data).
FUNCTION_TYPES = set("TWi")
DATA_TYPES = set("DBRCVGSu")


def objects(builddir):
    """(source path relative to the source root, object path) pairs."""
    with open(os.path.join(builddir, "compile_commands.json")) as f:
        commands = json.load(f)
    try:
        with open(os.path.join(builddir, "meson-info",
                               "meson-info.json")) as f:
            root = json.load(f)["directories"]["source"]
    except (OSError, ValueError, KeyError):
        root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    root = os.path.realpath(root)
    res = []
    for c in commands:
        src = os.path.realpath(os.path.join(c["directory"], c["file"]))
        rel = os.path.relpath(src, root)
        if rel.startswith("..") or rel.split(os.sep)[0] not in MODULES:
            continue  # generated sources, tests, anything outside
        res.append((rel, os.path.join(c["directory"], c["output"])))
    return sorted(res)


def symbols(objs):
    """{object: ({defined name: is a function}, {undefined names})}, read
    with one nm run over every object (nm -A names the file on each
    line)."""
    try:
        text = subprocess.run(["nm", "-A", "-P", "-g"] + objs, check=True,
                              capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError) as e:
        sys.exit(f"circles: cannot read the symbols of the objects: {e}")
    out = {o: ({}, set()) for o in objs}
    for line in text.splitlines():
        obj, sep, rest = line.partition(": ")
        parts = rest.split()
        if not sep or obj not in out or len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        defined, undefined = out[obj]
        if kind == "U":
            undefined.add(name)
        elif kind in FUNCTION_TYPES or kind in DATA_TYPES:
            defined[name] = kind in FUNCTION_TYPES
    return out


def graph(pairs):
    """uses[a][b] = sorted [(symbol, is a function)] of b that a uses."""
    by_obj = symbols([obj for _, obj in pairs])
    syms = {src: by_obj[obj] for src, obj in pairs}
    owner = {}
    for src, (defined, _) in syms.items():
        for name, is_func in defined.items():
            owner.setdefault(name, (src, is_func))
    uses = {src: {} for src in syms}
    for src, (_, undefined) in syms.items():
        for name in undefined:
            b, is_func = owner.get(name, (None, False))
            if b is not None and b != src:
                uses[src].setdefault(b, []).append((name, is_func))
    for a in uses:
        for b in uses[a]:
            uses[a][b].sort()
    return uses


def calls(uses, a, b):
    return any(is_func for _, is_func in uses[a].get(b, ()))


def components(uses):
    """Strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(uses[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(uses):
        if v not in index:
            visit(v)
    return sorted(out)


def module(path):
    return path.split(os.sep)[0]


def names(syms):
    return ", ".join(n if f else n + " (data)" for n, f in syms)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("builddir")
    p.add_argument("--enforce", action="store_true",
                   help="exit 1 on a circle in a module not in EXCEPTIONS")
    p.add_argument("--symbols", action="store_true",
                   help="list the symbols behind each direction")
    args = p.parse_args()

    pairs = objects(args.builddir)
    if not pairs:
        sys.exit("circles: no objects of the tree in " + args.builddir)
    for _, obj in pairs:
        if not os.path.exists(obj):
            sys.exit(f"circles: {obj} is not built (run ninja first)")
    uses = graph(pairs)

    circles = sorted((a, b) for a in uses for b in uses[a]
                     if a < b and a in uses[b])
    through_data = {(a, b) for a, b in circles
                    if not (calls(uses, a, b) and calls(uses, b, a))}
    comps = [c for c in components(uses) if len(c) > 2]

    print(f"circles: {len(pairs)} files, {len(circles) - len(through_data)} "
          f"circles of calls, {len(through_data)} more through data, "
          f"{len(comps)} longer cycles")
    for m in MODULES:
        mine = [(a, b) for a, b in circles if module(a) == m]
        n = len([c for c in mine if c not in through_data])
        print(f"  {m}: {n} of calls, {len(mine) - n} through data")
        for a, b in mine:
            tag = " (through data)" if (a, b) in through_data else ""
            print(f"    {a} <-> {b}{tag}")
            if args.symbols:
                print(f"      {a} uses {names(uses[a][b])}")
                print(f"      {b} uses {names(uses[b][a])}")
    for c in comps:
        print(f"  longer cycle among {{{', '.join(c)}}}")

    if not args.enforce:
        return 0
    bad = [(a, b) for a, b in circles
           if module(a) not in EXCEPTIONS or module(b) not in EXCEPTIONS]
    bad_comps = [c for c in components(uses)
                 if any(module(f) not in EXCEPTIONS for f in c)]
    for m, why in EXCEPTIONS.items():
        print(f"circles: not enforced in {m}/: {why}")
    for a, b in bad:
        print(f"circles: FAIL: {a} and {b} use each other ({a} uses "
              f"{names(uses[a][b])}; {b} uses {names(uses[b][a])})",
              file=sys.stderr)
    for c in bad_comps:
        print(f"circles: FAIL: cycle among {', '.join(c)}", file=sys.stderr)
    if bad or bad_comps:
        return 1
    print("circles: none outside the exceptions")
    return 0


if __name__ == "__main__":
    sys.exit(main())
