#!/usr/bin/env python3
"""Edits an `mdb_dump -a` text dump of a jit-ssh store, to prove that
`audit verify` notices: change a byte of one event, drop one, swap two, or
drop the last.  Usage: tamper.py MODE SEQ < dump > dump2"""
import sys

mode, seq = sys.argv[1], int(sys.argv[2])
# mdb_dump 0.9.24 writes keywords its own mdb_load does not read back:
# "duplicates=1" means dupsort, and db_pagesize is informational.
lines = [("dupsort=1" if l == "duplicates=1" else l)
         for l in sys.stdin.read().split("\n")
         if not l.startswith("db_pagesize=")]
out, i, in_events = [], 0, False
records = []  # (key_line, value_line) of the events database
while i < len(lines):
    line = lines[i]
    if line.startswith("database="):
        in_events = line == "database=events"
    if in_events and line.startswith(" ") and i + 1 < len(lines):
        records.append((line, lines[i + 1]))
        i += 2
        if not (i < len(lines) and lines[i].startswith(" ")):
            # end of this database's records: write the edited set
            recs = records
            idx = {int(k.strip(), 16): n for n, (k, v) in enumerate(recs)}
            n = idx[seq]
            if mode == "edit":
                k, v = recs[n]
                # flip one hex digit well inside the hashed bytes
                pos = 1 + 2 * (32 + 40)
                d = "0" if v[pos] != "0" else "1"
                recs[n] = (k, v[:pos] + d + v[pos + 1:])
            elif mode == "drop":
                del recs[n]
            elif mode == "swap":
                (k1, v1), (k2, v2) = recs[n], recs[n + 1]
                recs[n], recs[n + 1] = (k1, v2), (k2, v1)
            elif mode != "none":
                sys.exit("unknown mode " + mode)
            for k, v in recs:
                out += [k, v]
            records = []
        continue
    out.append(line)
    i += 1
sys.stdout.write("\n".join(out))
