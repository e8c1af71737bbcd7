#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""imgfix(1) and `imgfix ... --help` agree (as libguestfs checks its tools).

- every command `imgfix --help` lists has a section "## imgfix CMD" or
  "## imgfix CMD SUB" in docs/imgfix.1.scd, and every documented command
  and subcommand exists (its --help exits 0);
- every subcommand a command's --help names (`imgfix CMD SUB` or, when the
  help speaks of a COMMAND, an indented "  SUB ..." line) is documented,
  unless its --help is the command's own;
- every long option a --help lists (in its Usage lines or on lines that
  start with an option, not in prose) is documented in the matching man
  section (or the command's), and every option the man page documents
  there (a definition line "*-x*, *--opt* ...") is in that --help (or the
  command's);
- the global options of `imgfix --help` and "# GLOBAL OPTIONS" agree.

--help itself is accepted everywhere and documented once.
"""
import os
import re
import subprocess
import sys

SRC = os.environ.get("IMGFIX_SOURCE_ROOT") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("IMGFIX_BUILD_ROOT")
if not BUILD:
    sys.exit("IMGFIX_BUILD_ROOT not set")
IMGFIX = os.environ.get("IMGFIX_BIN") or os.path.join(BUILD, "fixup", "imgfix")
MAN = os.path.join(SRC, "docs", "imgfix.1.scd")

LONG_OPT = re.compile(r"--[a-z][a-z0-9-]*")
failures = []


def fail(msg):
    failures.append(msg)
    print("FAIL: " + msg, file=sys.stderr)


def help_text(*args):
    p = subprocess.run([IMGFIX, *args, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True,
                       env=dict(os.environ, LC_ALL="C"))
    return p.returncode, p.stdout


def help_options(text):
    """Long options in Usage lines and on lines that start with '-'."""
    opts = set()
    usage = False
    for line in text.splitlines():
        if line.startswith("Usage:"):
            usage = True
        elif not line.strip():
            usage = False
        if usage or line.lstrip().startswith("-"):
            opts.update(LONG_OPT.findall(line))
    opts.discard("--help")
    return opts


def help_commands(text):
    cmds, on = [], False
    for line in text.splitlines():
        if line.startswith("Commands:"):
            on = True
        elif on and not line.strip():
            break
        elif on:
            cmds.append(line.split()[0])
    return cmds


def help_subcommands(cmd, text):
    subs = set()
    for line in text.splitlines():
        w = line.split()
        for i in range(len(w) - 2):
            if w[i] == "imgfix" and w[i + 1] == cmd and \
                    re.fullmatch(r"[a-z]+", w[i + 2]):
                subs.add(w[i + 2])
    if "COMMAND" in text:
        for line in text.splitlines():
            m = re.match(r"^  ([a-z]+) ", line)
            if m:
                subs.add(m.group(1))
    return subs


def man_sections():
    """{(): global options, (cmd,): ..., (cmd, sub): ...} -> set of options."""
    sections, key = {}, None
    with open(MAN, encoding="utf-8") as f:
        lines = f.read().split("\n")
    fence = False
    for i, line in enumerate(lines):
        if line.startswith("```"):
            fence = not fence
            continue
        if fence:
            continue
        if line.startswith("# "):
            key = () if line == "# GLOBAL OPTIONS" else None
            if key is not None:
                sections.setdefault(key, set())
            continue
        m = re.match(r"^## imgfix ([a-z]+)(?: ([a-z]+))?\s*$", line)
        if m:
            key = (m.group(1),) + ((m.group(2),) if m.group(2) else ())
            if key in sections:
                fail("imgfix.1: section '## imgfix %s' appears twice"
                     % " ".join(key))
            sections.setdefault(key, set())
            continue
        if line.startswith("## "):
            key = None
            continue
        # A definition: "*-x*, *--opt* ARG" then a tab-indented line.
        if key is not None and line.startswith("*-") and \
                i + 1 < len(lines) and lines[i + 1].startswith("\t"):
            sections[key].update(LONG_OPT.findall(line))
    for opts in sections.values():
        opts.discard("--help")
    return sections


def main():
    if not os.access(IMGFIX, os.X_OK):
        print("SKIP: %s not built" % IMGFIX)
        return 77
    man = man_sections()
    rc, top = help_text()
    if rc != 0:
        fail("imgfix --help exited %d" % rc)
    commands = help_commands(top)
    if not commands:
        fail("imgfix --help lists no commands")

    # Global options.
    g_help, g_man = help_options(top), man.get((), set())
    for o in sorted(g_help - g_man):
        fail("global option %s (imgfix --help) is not in imgfix.1 "
             "GLOBAL OPTIONS" % o)
    for o in sorted(g_man - g_help):
        fail("global option %s is documented but not in imgfix --help" % o)

    checked = 0
    documented_cmds = {k[0] for k in man if k}
    for cmd in commands:
        rc, text = help_text(cmd)
        if rc != 0:
            fail("imgfix %s --help exited %d" % (cmd, rc))
            continue
        if cmd not in documented_cmds:
            fail("command '%s' is not documented in imgfix.1" % cmd)
            continue
        units = {(cmd,): text}
        subs = help_subcommands(cmd, text)
        # Documented subcommands must exist even if the help forgets them.
        for k in man:
            if len(k) == 2 and k[0] == cmd and k[1] not in subs:
                fail("imgfix.1 documents 'imgfix %s %s' but 'imgfix %s "
                     "--help' does not name it" % (cmd, k[1], cmd))
                subs.add(k[1])
        for sub in sorted(subs):
            rc, stext = help_text(cmd, sub)
            if rc != 0:
                fail("'imgfix %s %s --help' exited %d: no such subcommand"
                     % (cmd, sub, rc))
                continue
            if stext == text:
                continue  # shares the command's help and section
            units[(cmd, sub)] = stext
            if (cmd, sub) not in man:
                fail("subcommand 'imgfix %s %s' has no section in imgfix.1"
                     % (cmd, sub))
        parent_help = help_options(text)
        parent_man = man.get((cmd,), set())
        for key, t in units.items():
            h = help_options(t)
            m = man.get(key, set())
            m_fwd = m
            if len(key) == 1:
                # A command's help may sum up its subcommands' usage.
                for k2, o2 in man.items():
                    if len(k2) == 2 and k2[0] == cmd:
                        m_fwd = m_fwd | o2
            name = " ".join(key)
            for o in sorted(h - m_fwd - parent_man):
                fail("'imgfix %s --help' lists %s, imgfix.1 does not "
                     "document it there" % (name, o))
            for o in sorted(m - h - parent_help):
                fail("imgfix.1 documents %s under 'imgfix %s', its --help "
                     "does not list it" % (o, name))
            checked += len(h)
    for k in sorted(man):
        if k and k[0] not in commands:
            fail("imgfix.1 documents 'imgfix %s' but imgfix --help has no "
                 "such command" % " ".join(k))
    print("%d commands, %d options checked against %s"
          % (len(commands), checked, os.path.relpath(MAN, SRC)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
