#!/usr/bin/env bash
# The folders are the architecture (common <- policy, store <- ca;
# common <- agent; inside ca: core <- remote <- server, core <- offline,
# docs/ARCHITECTURE.md), and the build enforces it: for every forbidden arrow, a
# probe that includes the other folder's public or private header does not
# compile with the flags the real sources of that folder are built with,
# while a probe with an allowed header does.  No source reaches around the
# include folders with a relative path.  libssh is linked by ca/server
# alone: no object of another ca/ room calls it.
. "$(dirname "$0")/lib.sh"
: "${BUILD_ROOT:?}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$BUILD_ROOT/compile_commands.json" ] || skip "no compile_commands.json in $BUILD_ROOT"
python3 - "$BUILD_ROOT/compile_commands.json" "$T" "$SRC" > "$T/out" <<'PY' || true
import json, os, shlex, subprocess, sys

db = json.load(open(sys.argv[1]))
tmp = sys.argv[2]

def flags_of(suffix):
    """The compile command of the source file ending in suffix."""
    for e in db:
        if e["file"].endswith(suffix):
            args = shlex.split(e["command"])
            out = []
            skip = False
            for a in args:
                if skip:
                    skip = False
                    continue
                if a in ("-o", "-c", "-MF", "-MQ", "-MD"):
                    skip = a != "-MD"
                    continue
                if a.endswith(suffix) or a == e["file"]:
                    continue
                out.append(a)
            return e["directory"], out
    raise SystemExit("no compile command for " + suffix)

def compiles(suffix, header):
    d, args = flags_of(suffix)
    probe = os.path.join(tmp, "probe.c")
    with open(probe, "w") as f:
        f.write('#include "%s"\nint probe_fn(void);\nint probe_fn(void) { return 0; }\n' % header)
    r = subprocess.run(args + ["-c", probe, "-o", os.devnull], cwd=d,
                       capture_output=True, text=True)
    return r.returncode == 0

CA_REMOTE = ["rpc.h", "rpc-impl.h", "svc.h", "cmdline.h"]
CA_SERVER = ["session.h", "server.h", "auth.h", "admit.h", "sweep.h",
             "notify.h"]
CA_OFFLINE = ["commands.h"]

# (source whose flags we borrow, folder, headers it may include, headers it may not)
cases = [
    ("common/jbuf.c", "common", ["jkey.h", "jkey-impl.h"],
     ["jpolicy.h", "policy-impl.h", "jstore.h", "store-impl.h", "jagent.h",
      "jitssh.h", "cadir.h", "rpc.h", "session.h"]),
    ("policy/eval.c", "policy", ["jkey.h", "jpolicy.h", "policy-impl.h"],
     ["jstore.h", "store-impl.h", "jkey-impl.h", "jagent.h", "jitssh.h",
      "cadir.h", "rpc.h", "session.h"]),
    ("store/event.c", "store", ["jkey.h", "jstore.h", "store-impl.h"],
     ["jpolicy.h", "policy-impl.h", "jkey-impl.h", "jagent.h", "jitssh.h",
      "cadir.h", "rpc.h", "session.h"]),
    ("agent/agentproto.c", "agent library", ["jkey.h", "jagent.h"],
     ["jpolicy.h", "policy-impl.h", "jstore.h", "store-impl.h",
      "jkey-impl.h", "cadir.h", "rpc.h", "session.h"]),
    ("agent/main.c", "jit-ssh", ["jkey.h", "jagent.h", "jitssh.h"],
     ["jpolicy.h", "policy-impl.h", "jstore.h", "store-impl.h",
      "jkey-impl.h", "cadir.h", "rpc.h", "session.h"]),
    ("ca/core/issue.c", "ca/core", ["jkey.h", "jpolicy.h", "jstore.h", "cadir.h",
      "issue.h"],
     ["policy-impl.h", "store-impl.h", "jkey-impl.h", "jagent.h", "jitssh.h"]
     + CA_REMOTE + CA_SERVER + CA_OFFLINE),
    ("ca/remote/rpc.c", "ca/remote", ["cadir.h", "issue.h", "rpc.h", "svc.h"],
     ["policy-impl.h", "store-impl.h", "jagent.h", "jitssh.h"]
     + CA_SERVER + CA_OFFLINE),
    ("ca/offline/cmd-sign.c", "ca/offline", ["cadir.h", "issue.h", "commands.h"],
     ["policy-impl.h", "store-impl.h", "jagent.h", "jitssh.h"]
     + CA_REMOTE + CA_SERVER),
    ("ca/server/session.c", "ca/server", ["cadir.h", "rpc.h", "svc.h",
      "session.h", "server.h"],
     ["policy-impl.h", "store-impl.h", "jagent.h", "jitssh.h"] + CA_OFFLINE),
    ("host/record.c", "host", ["jkey.h", "jkrl.h", "host.h", "cast.h"],
     ["jpolicy.h", "policy-impl.h", "jstore.h", "store-impl.h",
      "jkey-impl.h", "jagent.h", "jitssh.h", "cadir.h", "rpc.h"]),
]
bad = 0
for src, name, allowed, forbidden in cases:
    here = 0
    for h in allowed:
        if not compiles(src, h):
            print("not ok - %s: the allowed %s does not compile (alone)" % (name, h)); here += 1
    for h in forbidden:
        if compiles(src, h):
            print("not ok - %s can include %s" % (name, h)); here += 1
    if here == 0:
        print("ok - %s: %d allowed headers compile alone, %d forbidden ones are not found"
              % (name, len(allowed), len(forbidden)))
    bad += here

# Every header compiles alone (it includes what it uses), with the flags
# of its folder's sources.
src_root = sys.argv[3]
folders = {"common": "common/jbuf.c", "policy": "policy/eval.c",
           "store": "store/event.c", "agent/include": "agent/agentproto.c",
           "agent/internal": "agent/main.c", "ca/core": "ca/core/issue.c",
           "ca/remote": "ca/remote/rpc.c", "ca/offline": "ca/offline/cmd-sign.c",
           "ca/server": "ca/server/session.c"}
nh = 0
for folder, src in sorted(folders.items()):
    for root, dirs, files in os.walk(os.path.join(src_root, folder)):
        for fn in sorted(files):
            if fn.endswith(".h"):
                nh += 1
                if not compiles(src, fn):
                    print("not ok - header %s does not compile alone" %
                          os.path.relpath(os.path.join(root, fn), src_root))
                    bad += 1
print("headers checked: %d" % nh)

# No include cycles among a folder's own headers.
import re
def cycles(folder):
    hs = {}
    for root, dirs, files in os.walk(os.path.join(src_root, folder)):
        for fn in files:
            if fn.endswith(".h"):
                txt = open(os.path.join(root, fn)).read()
                hs[fn] = re.findall(r'#include "([^"]+)"', txt)
    state = {}
    def visit(h, path):
        if state.get(h) == 1:
            return path[path.index(h):] + [h]
        if state.get(h) == 2 or h not in hs:
            return None
        state[h] = 1
        for d in hs[h]:
            c = visit(d, path + [h])
            if c:
                return c
        state[h] = 2
        return None
    for h in sorted(hs):
        c = visit(h, [])
        if c:
            return c
    return None
for folder in ("common", "policy", "store", "agent", "ca"):
    c = cycles(folder)
    if c:
        print("not ok - include cycle in %s: %s" % (folder, " -> ".join(c)))
        bad += 1
print("include graphs checked: 5 folders")
sys.exit(1 if bad else 0)
PY
sed 's/^/# /' "$T/out"	# (details, as TAP comments)
grep -q "^not ok - .*\(can include\|allowed\)" "$T/out" && bad "a forbidden arrow compiles" || ok "every forbidden arrow fails to compile"
n=$(grep -c "^ok - .*headers compile alone\|^not ok - .*can include\|^not ok - .*allowed" "$T/out" || true)
[ "$n" -ge 9 ] && ok "all nine folders' flags were probed" || bad "probed $n of 9"
if grep -q "^headers checked: [1-9]" "$T/out" && ! grep -q "^not ok - header" "$T/out"; then
	ok "every header compiles alone"
else
	bad "a header does not compile alone (or none was checked)"
fi
if grep -q "^include graphs checked" "$T/out" && ! grep -q "include cycle" "$T/out"; then
	ok "no include cycles"
else
	bad "an include cycle (or the check did not run)"
fi
# No call cycles among ca/'s files: from the objects' symbols (nm), which
# file calls into which; a cycle is a strongly connected component.
python3 - "$BUILD_ROOT/ca" > "$T/calls" <<'PY' || true
import glob, os, subprocess, sys
defs, uses = {}, {}
for o in sorted(glob.glob(os.path.join(sys.argv[1], "*", "lib*.a.p", "*.o"))):
    n = os.path.basename(os.path.dirname(os.path.dirname(o))) + "/" + \
        os.path.basename(o).replace(".c.o", ".c")
    uses[n] = set()
    for line in subprocess.run(["nm", o], capture_output=True, text=True).stdout.splitlines():
        p = line.split()
        if len(p) == 3 and p[1] in "TDBRC":
            defs[p[2]] = n
        elif len(p) == 2 and p[0] == "U":
            uses[n].add(p[1])
g = {n: sorted({defs[s] for s in u if s in defs and defs[s] != n}) for n, u in uses.items()}
index, low, stack, on, cycles = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index); stack.append(v); on.add(v)
    for w in g[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        if len(comp) > 1:
            cycles.append(sorted(comp))
for v in sorted(g):
    if v not in index:
        visit(v)
print("files %d edges %d" % (len(g), sum(len(e) for e in g.values())))
for c in cycles:
    print("cycle: " + " <-> ".join(c))
PY
if grep -q "^files [1-9]" "$T/calls" && ! grep -q "^cycle" "$T/calls"; then
	ok "no call cycles among ca/'s files ($(head -1 "$T/calls"))"
else
	bad "ca/ call graph: $(cat "$T/calls")"
fi
# libssh only in ca/server: the other rooms' objects call no ssh_* function.
ssh_users=$(for o in "$BUILD_ROOT"/ca/core/lib*.a.p/*.o "$BUILD_ROOT"/ca/remote/lib*.a.p/*.o \
	"$BUILD_ROOT"/ca/offline/lib*.a.p/*.o; do
	if nm -u "$o" | grep ' ssh_' > /dev/null; then echo "${o#"$BUILD_ROOT"/}"; fi
done)
# The remote commands' unit test runs them with no libssh linked at all.
rt=$BUILD_ROOT/tests/test_ca_remote
if [ -x "$rt" ] && ! ldd "$rt" | grep -q "libssh\.so" && ! nm -u "$rt" | grep ' ssh_' > /dev/null; then
	ok "test_ca_remote links the remote commands without libssh"
else
	bad "test_ca_remote: $( [ -x "$rt" ] && ldd "$rt" | grep "libssh\.so" || echo missing)"
fi
nobj=$(ls "$BUILD_ROOT"/ca/server/lib*.a.p/*.o | wc -l)
if [ -z "$ssh_users" ] && nm -u "$BUILD_ROOT"/ca/server/lib*.a.p/session.c.o | grep ' ssh_' > /dev/null; then
	ok "libssh is called from ca/server only ($nobj objects there)"
else
	bad "libssh outside ca/server: $ssh_users"
fi
# No C file grows past 900 lines (a file is one concern).
long=$(find "$SRC"/common "$SRC"/policy "$SRC"/store "$SRC"/ca "$SRC"/agent "$SRC"/tests -name '*.c' \
	-exec awk 'END { if (NR > 900) print FILENAME ": " NR }' {} \;)
[ -z "$long" ] && ok "no C file over 900 lines" || bad "C files over 900 lines: $long"
# No function in ca/ over 100 lines (its type line to its closing brace).
longf=$(find "$SRC"/ca -name '*.c' -exec awk '
	/^[a-zA-Z_][a-zA-Z0-9_]*\(/ { name = $0; start = FNR - 1 }
	/^}/ { if (start && FNR - start + 1 > 100) print FILENAME ": " name " " FNR - start + 1; start = 0 }' {} \;)
nf=$(grep -c '^[a-zA-Z_][a-zA-Z0-9_]*(' $(find "$SRC"/ca -name '*.c') | awk -F: '{ s += $2 } END { print s }')
[ -z "$longf" ] && [ "$nf" -gt 200 ] && ok "no function in ca/ over 100 lines ($nf functions)" ||
	bad "functions in ca/ over 100 lines: $longf ($nf seen)"
# Tests stop what they started by PID: no pkill or killall anywhere.
if grep -nE '(^|[^a-z_])(pkill|killall)([^a-z_]|$)' "$SRC"/tests/integration/*.sh "$SRC"/examples/*.sh \
	| grep -v 'test_layers.sh' > "$T/pk"; then
	bad "pkill/killall in tests: $(cat "$T/pk")"
else
	ok "no test calls pkill or killall"
fi
# No source reaches around the include folders.
if grep -rnE '#include "(\.\./|[a-z]+/)' "$SRC"/common "$SRC"/policy "$SRC"/store "$SRC"/ca "$SRC"/agent \
	--include=*.c --include=*.h > "$T/rel"; then
	bad "relative includes: $(cat "$T/rel")"
else
	ok "no include names another folder by path"
fi
finish
