#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# check-facts.py JSON [--guest N] [name=value | name=- | @FACTS.json]...:
# the guest N (default: the only one) of `imgfix inspect --json` output
# has every fact with that value; "name=-" means the fact must be absent;
# @FACTS.json adds every name/value of that file.  Prints one line per
# difference and exits 1 when there is one.
import json
import sys

args = sys.argv[1:]
out = json.load(open(args.pop(0)))
guests = out["guests"]
index = None
if args[:1] == ["--guest"]:
    index = int(args[1])
    args = args[2:]
if index is None:
    if len(guests) != 1:
        sys.exit("expected 1 guest, got %d" % len(guests))
    index = 0
facts = guests[index]["facts"]
expected = {}
for a in args:
    if a.startswith("@"):
        expected.update(json.load(open(a[1:])))
    else:
        k, v = a.split("=", 1)
        expected[k] = v
bad = []
for k, v in sorted(expected.items()):
    got = facts.get(k)
    if (v == "-" and got is not None) or (v != "-" and got != v):
        bad.append("%s: expected %r, got %r" % (k, None if v == "-" else v, got))
if bad:
    sys.exit("\n".join(bad))
