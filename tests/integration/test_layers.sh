#!/usr/bin/env bash
# The folders are the architecture (common <- policy, store <- ca;
# common <- agent), and the build enforces it: for every forbidden arrow, a
# probe that includes the other folder's public or private header does not
# compile with the flags the real sources of that folder are built with,
# while a probe with an allowed header does.  No source reaches around the
# include folders with a relative path.
. "$(dirname "$0")/lib.sh"
: "${BUILD_ROOT:?}"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$BUILD_ROOT/compile_commands.json" ] || skip "no compile_commands.json in $BUILD_ROOT"
python3 - "$BUILD_ROOT/compile_commands.json" "$T" > "$T/out" <<'PY' || true
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

# (source whose flags we borrow, folder, headers it may include, headers it may not)
cases = [
    ("common/jbuf.c", "common", ["jkey.h", "jkey-impl.h"],
     ["jpolicy.h", "policy-impl.h", "jstore.h", "store-impl.h", "jagent.h",
      "jitssh.h", "ca.h", "serve.h"]),
    ("policy/eval.c", "policy", ["jkey.h", "jpolicy.h", "policy-impl.h"],
     ["jstore.h", "store-impl.h", "jkey-impl.h", "jagent.h", "jitssh.h",
      "ca.h", "serve.h"]),
    ("store/event.c", "store", ["jkey.h", "jstore.h", "store-impl.h"],
     ["jpolicy.h", "policy-impl.h", "jkey-impl.h", "jagent.h", "jitssh.h",
      "ca.h", "serve.h"]),
    ("agent/agentproto.c", "agent library", ["jkey.h", "jagent.h"],
     ["jpolicy.h", "policy-impl.h", "jstore.h", "store-impl.h",
      "jkey-impl.h", "ca.h", "serve.h"]),
    ("agent/main.c", "jit-ssh", ["jkey.h", "jagent.h", "jitssh.h"],
     ["jpolicy.h", "policy-impl.h", "jstore.h", "store-impl.h",
      "jkey-impl.h", "ca.h", "serve.h"]),
    ("ca/issue.c", "ca", ["jkey.h", "jpolicy.h", "jstore.h", "ca.h"],
     ["policy-impl.h", "store-impl.h", "jkey-impl.h", "jagent.h", "jitssh.h"]),
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
sys.exit(1 if bad else 0)
PY
cat "$T/out"
grep -q "^not ok" "$T/out" && bad "a forbidden arrow compiles" || ok "every forbidden arrow fails to compile"
n=$(grep -c "^ok - \|^not ok - " "$T/out" || true)
[ "$n" -ge 6 ] && ok "all six folders' flags were probed" || bad "probed $n of 6"
# No source reaches around the include folders.
if grep -rnE '#include "(\.\./|[a-z]+/)' "$SRC"/common "$SRC"/policy "$SRC"/store "$SRC"/ca "$SRC"/agent \
	--include=*.c --include=*.h > "$T/rel"; then
	bad "relative includes: $(cat "$T/rel")"
else
	ok "no include names another folder by path"
fi
finish
