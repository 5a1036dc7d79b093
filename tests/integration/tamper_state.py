#!/usr/bin/env python3
"""Edits the state beside the log in an `mdb_dump -a` text dump of a
jit-ssh store (not the log: its chain still verifies), to prove that
`audit verify` re-derives that state.  Usage: tamper_state.py MODE [ARG]
< dump > dump2, MODE one of
  reqstate N     every request record gets state byte N (2: approved)
  drop DB        the first record of database DB is removed
  hwm N          meta serial_hwm becomes N
  totp OLDDUMP   the totp database is replaced by the one in OLDDUMP
  dropkey DB K   the records of database DB whose key starts with K go
  reqexpires D   every request record's deadline moves D seconds later
  flipchunk N    byte N of the first recording chunk gets its low bit flipped"""
import sys

mode = sys.argv[1]
arg = sys.argv[2] if len(sys.argv) > 2 else ""


def read(text):
    """[(name, header_lines, [(key, value)])] in dump order."""
    lines = [("dupsort=1" if l == "duplicates=1" else l)
             for l in text.split("\n") if not l.startswith("db_pagesize=")]
    dbs, i = [], 0
    while i < len(lines):
        if lines[i] == "VERSION=3":
            head, name = [], ""
            while lines[i] != "HEADER=END":
                if lines[i].startswith("database="):
                    name = lines[i][len("database="):]
                head.append(lines[i])
                i += 1
            head.append(lines[i])
            i += 1
            recs = []
            while lines[i] != "DATA=END":
                recs.append((lines[i], lines[i + 1]))
                i += 2
            dbs.append([name, head, recs])
        i += 1
    return dbs


def hexs(s):
    return " " + s.encode().hex()


dbs = read(sys.stdin.read())
byname = {d[0]: d for d in dbs}
if mode == "reqstate":
    byname["requests"][2] = [(k, v[:3] + "%02x" % int(arg) + v[5:])
                             for k, v in byname["requests"][2]]
elif mode == "drop":
    del byname[arg][2][0]
elif mode == "dropkey":
    db, prefix = arg, sys.argv[3]
    byname[db][2] = [(k, v) for k, v in byname[db][2]
                     if not k.startswith(hexs(prefix))]
elif mode == "reqexpires":
    # The fixed tail: expires(8) serial(8) quorum(4) pickup_ttl(8) flags(4).
    def later(v):
        h = v[1:]
        at = len(h) - 2 * 32
        e = int(h[at:at + 16], 16) + int(arg)
        return " " + h[:at] + "%016x" % e + h[at + 16:]
    byname["requests"][2] = [(k, later(v)) for k, v in byname["requests"][2]]
elif mode == "flipchunk":
    k, v = byname["chunks"][2][0]
    h = bytearray(bytes.fromhex(v[1:]))
    h[int(arg)] ^= 1
    byname["chunks"][2][0] = (k, " " + h.hex())
elif mode == "hwm":
    recs = byname["meta"][2]
    byname["meta"][2] = [(k, " %016x" % int(arg) if k == hexs("serial_hwm")
                          else v) for k, v in recs]
elif mode == "totp":
    old = {d[0]: d for d in read(open(arg).read())}
    byname["totp"][2] = old["totp"][2]
else:
    sys.exit("unknown mode " + mode)
out = []
for name, head, recs in dbs:
    out += head
    for k, v in recs:
        out += [k, v]
    out.append("DATA=END")
sys.stdout.write("\n".join(out) + "\n")
