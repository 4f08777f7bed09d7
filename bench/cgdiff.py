#!/usr/bin/env python3
"""cgdiff.py A.callgrind B.callgrind REQS_A REQS_B [TOP]

Self cost (Ir) per function of callgrind dump B minus dump A, divided by
the difference in requests: instructions per request by function, free of
what both runs share (start-up, warm-up handshakes). Used by profile.sh.
Note: valgrind counts every iteration of "rep stosb" (glibc's memset for
large sizes) as an instruction, so memset is over-counted against real
time; its line is shown apart.
"""
import collections
import re
import sys


def selfcost(path):
    names = {}
    cost = collections.Counter()
    fn = None
    skip_next = False
    for line in open(path, errors="replace"):
        line = line.rstrip("\n")
        m = re.match(r"^(c?)fn=\((\d+)\)(?: (.*))?$", line)
        if m:
            if m.group(3):
                names[m.group(2)] = m.group(3)
            if not m.group(1):
                fn = names.get(m.group(2), m.group(2))
            continue
        if line.startswith("calls="):
            skip_next = True    # the next cost line is inclusive call cost
            continue
        if line and (line[0].isdigit() or line[0] in "+-*"):
            if skip_next:
                skip_next = False
                continue
            parts = line.split()
            if len(parts) >= 2 and fn is not None:
                cost[fn] += int(parts[1])
    return cost


def main():
    a, b = selfcost(sys.argv[1]), selfcost(sys.argv[2])
    n = int(sys.argv[4]) - int(sys.argv[3])
    top = int(sys.argv[5]) if len(sys.argv) > 5 else 15
    diff = {f: (b[f] - a.get(f, 0)) / n for f in b}
    total = sum(diff.values())
    memset = sum(v for f, v in diff.items() if "memset" in f)
    print("    %.0f instructions per request; %.0f without memset "
          "(memset: %.0f, over-counted by valgrind)" % (total, total - memset,
                                                       memset))
    if total <= 0:
        print("    UNRELIABLE: the longer run counted fewer instructions; "
              "the dumps did not bracket the runs")
        return
    for f, v in sorted(diff.items(), key=lambda x: -x[1])[:top]:
        print("    %7.0f  %5.1f%%  %s" % (v, 100 * v / total if total else 0,
                                          f[:90]))


main()
