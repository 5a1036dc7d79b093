#!/usr/bin/env bash
# The access review over a history made with the real commands: logins at
# the real `jit-ssh-ca serve` with stock ssh and `sign` offline (a
# certificate never used, a user holding a role through back-to-back
# certificates, break-glass),
# requests approved at once and after a pause, failed logins, sessions the
# real `jit-ssh-host ship` reports (one that outlived its certificate, one
# that began after the revocation), a user never active, a role never asked
# for.  Each finding kind appears exactly where it should in text, JSON and
# HTML; business hours that leave out "now" give out-of-hours, hours that
# take it in do not.  The HTML passes an XML parser and html5lib's strict
# HTML5 parser, holds no script or external resource, and headless
# Chromium draws its three charts (each shown alone is not blank, and has
# its colours; all hidden is blank).  The run is a report event whose
# digest is the JSON's; a past period reproduces byte for byte; bad
# options change nothing.
. "$(dirname "$0")/lib.sh"
: "${JIT_SSH_CA:?}" "${JIT_SSH:?}" "${JIT_SSH_HOST:?}"
command -v oathtool > /dev/null || skip "oathtool missing (apt-get install oathtool)"
J=$JIT_SSH_CA
PY=/usr/bin/python3
CHROMIUM=$(command -v chromium || true)

$J init --dir "$T/ca" > /dev/null
for u in alice bob carol audra dave idle mallory hostkey new; do ssh-keygen -q -t ed25519 -N '' -C "$u" -f "$T/$u"; done
k() { cut -d' ' -f1,2 "$T/$1.pub"; }
# Business hours two hours from now, for an hour: now is outside them.
OUT_HOURS=$($PY -c 'import time; h=time.gmtime().tm_hour; a=(h+2)%24; b=a+1
print("daily %02d:00-%02d:00" % (a, b))')
policy() {	# HOURS
	cat > "$T/ca/policy.yaml" <<YAML
defaults: { mfa_grace: 10m }
users:
  alice: { keys: ["$(k alice)"], groups: [dev] }
  bob:   { keys: ["$(k bob)"], groups: [dev] }
  carol: { keys: ["$(k carol)"], groups: [leads, audit] }
  audra: { keys: ["$(k audra)"], groups: [audit] }
  dave:  { keys: ["$(k dave)"], groups: [dev] }
  idle:  { keys: ["$(k idle)"], groups: [dev] }
roles:
  dev:   { groups: [dev], principals: ["$LOGIN_USER"], mfa: optional, ttl: 1m, max_ttl: 1m }
  prod:
    groups: [dev]
    principals: ["$LOGIN_USER"]
    mfa: optional
    ttl: 1m
    max_ttl: 1m
    approval: { groups: [leads], quorum: 1 }
  emerg: { groups: [dev], principals: [root], mfa: optional, reason: required, break_glass: true }
  never: { groups: [dev], principals: [root], mfa: optional }
auditors: [audit]
review:
  business_hours: ["$1"]
  timezone: UTC
  min_review: 3s
  standing_after: 1m
  krl_refresh: 1s
  refused_spike: 5
YAML
}
policy "$OUT_HOURS"
$J policy check --dir "$T/ca" > /dev/null || { bad "test policy refused: $($J policy check --dir "$T/ca" 2>&1)"; finish; }
$J host enroll --dir "$T/ca" --name web1 "$T/hostkey.pub" > /dev/null
enroll_secret "$T/ca" carol
start_serve "$T/ca"
askpass_from_code
ca() {
	[ -f "$T/$1.secret" ] && oathtool --totp -b "$(cat "$T/$1.secret")" > "$T/code"
	ca_ssh "$@"
}
serial_of() { ssh-keygen -L -f "$1" | sed -n 's/.*Serial: //p'; }
keyid_of() { ssh-keygen -L -f "$1" | sed -n 's/.*Key ID: "\(.*\)"/\1/p'; }
vb_of() {	# the end of a certificate's validity, in seconds
	ssh-keygen -L -f "$1" | sed -n 's/.*Valid: from .* to \(.*\)$/\1/p' |
		xargs -I{} date -u -d {} +%s
}

# ---- the host that reports sessions: jit-ssh-host ship ----
mkdir -m 700 "$T/spool"
cat > "$T/host.yaml" <<YAML
ca: 127.0.0.1:$PORT
ca_host_key: "$(k ca/ssh_host_ed25519_key)"
host_key: $T/hostkey
name: web1
user_ca_keys: $T/ca/user_ca.pub
krl: $T/revoked.krl
spool: $T/spool
YAML
NSID=0
recorded() {	# CERT START END: a session of CERT, from START to END (host clock)
	NSID=$((NSID + 1))
	local sid
	sid=$(printf 's-%016x' $NSID)
	printf '{"version": 2, "width": 80, "height": 24, "timestamp": %s, "jit": {"session": "%s", "serial": %s, "key_id": "%s", "account": "%s", "host": "web1", "source": "127.0.0.1", "command": "", "mode": "pty"}}\n[0.5, "o", "hello\\r\\n"]\n' \
		"$2" "$sid" "$(serial_of "$1")" "$(keyid_of "$1")" "$LOGIN_USER" > "$T/spool/$sid.cast"
	printf '{"reason": "exit", "status": 0, "time": %s, "bytes_in": 0, "bytes_out": 7}' "$3" > "$T/spool/$sid.end"
	"$JIT_SSH_HOST" ship --once --config "$T/host.yaml" 2> "$T/ship.err" ||
		bad "ship: $(cat "$T/ship.err")"
}

# ---- the history ----
ca alice login --role dev < "$T/new.pub" > "$T/a1-cert.pub" 2> "$T/err" || bad "alice login: $(cat "$T/err")"
$J sign --dir "$T/ca" --user bob --role dev -o "$T/b1-cert.pub" "$T/new.pub" > /dev/null 2> "$T/err" ||
	bad "sign for bob: $(cat "$T/err")"
ca dave login --role dev < "$T/new.pub" > "$T/d1-cert.pub" 2> "$T/err" || bad "dave login: $(cat "$T/err")"
sleep 2
ca dave login --role dev < "$T/new.pub" > "$T/d2-cert.pub" 2> "$T/err" || bad "dave login 2: $(cat "$T/err")"
ca bob "login --role emerg --reason 'db down'" < "$T/new.pub" > "$T/b2-cert.pub" 2> "$T/err" || bad "break-glass: $(cat "$T/err")"
now=$(date +%s)
# alice's session ran two minutes past her certificate; dave's first was
# used; his second was revoked and then used (the host had not refreshed).
recorded "$T/a1-cert.pub" "$now" $(( $(vb_of "$T/a1-cert.pub") + 120 ))
recorded "$T/d1-cert.pub" "$now" $((now + 5))
$J revoke --dir "$T/ca" --serial "$(serial_of "$T/d2-cert.pub")" --reason "lost laptop" > /dev/null 2>&1 ||
	bad "revoke failed"
sleep 3
now=$(date +%s)
recorded "$T/d2-cert.pub" "$now" $((now + 5))
[ "$(ls "$T/spool")" = "" ] && ok "jit-ssh-host ship delivered the three sessions" || bad "spool: $(ls "$T/spool")"

request_id() {	# USER: the id of USER's pending request, as carol sees it
	local i id
	for i in $(seq 1 50); do
		id=$(ca carol requests --json < /dev/null 2> /dev/null | $PY -c 'import json,sys
for l in sys.stdin:
    o=json.loads(l)
    if o["user"]==sys.argv[1] and o.get("state","pending")=="pending": print(o["request_id"]); break' "$1")
		[ -n "$id" ] && { echo "$id"; return 0; }
		sleep 0.2
	done
	return 1
}
# alice's prod request approved at once; dave's after a pause.
ca alice login --role prod < "$T/new.pub" > "$T/p1-cert.pub" 2> "$T/err" &
W=$!
id=$(request_id alice) && ca carol approve "$id" < /dev/null > "$T/approve.out" 2>&1 ||
	{ bad "approving alice: $(cat "$T/approve.out")"; kill $W; }
wait $W || bad "alice's prod login: $(cat "$T/err")"
ca dave login --role prod < "$T/new.pub" > "$T/p2-cert.pub" 2> "$T/err" &
W=$!
id=$(request_id dave) || bad "no request of dave"
sleep 4
ca carol approve "$id" < /dev/null > "$T/approve.out" 2>&1 ||
	{ bad "approving dave: $(cat "$T/approve.out")"; kill $W; }
wait $W || bad "dave's prod login: $(cat "$T/err")"
# mallory is nobody: six refused logins.
for i in 1 2 3 4 5 6; do ca mallory whoami < /dev/null > /dev/null 2>&1 || true; done
# The certificates end before the review (unused-grant judges only ended
# ones).
last=$(vb_of "$T/p2-cert.pub")
while [ "$(date +%s)" -le "$((last + 1))" ]; do sleep 1; done

# ---- the review, outside business hours ----
EXPECT_OUT="break-glass bob emerg
closure alice dev
closure dave dev
standing-access dave dev
out-of-hours alice dev
out-of-hours alice prod
out-of-hours bob dev
out-of-hours bob emerg
out-of-hours dave dev
out-of-hours dave prod
refused 127.0.0.1 -
refused mallory -
rubber-stamp carol prod
inactive-user audra -
inactive-user idle -
unused-grant alice prod
unused-grant bob dev
unused-grant dave prod
unused-role - never"
json_keys() {	# the findings of a JSON report, "kind who role", sorted
	$PY -c 'import json,sys
m=json.load(sys.stdin)
for f in m["findings"]:
    who=(f["users"] or f["addresses"] or ["-"])[0]
    print(f["kind"], who, (f["roles"] or ["-"])[0])' | sort
}
text_keys() {
	awk '/^Findings/{on=1; next} on && /^  (high|medium|low) /{print $2, $3, $4} /^$/{on=0}' | sort
}
html_keys() {
	$PY -c 'import sys
from html.parser import HTMLParser
class P(HTMLParser):
    rows=[]; row=None; cell=None
    def handle_starttag(s, t, a):
        if t=="tr" and ("class","finding") in a: s.row=[]
        elif t=="td" and s.row is not None: s.cell=""
    def handle_data(s, d):
        if s.cell is not None: s.cell+=d
    def handle_endtag(s, t):
        if t=="td" and s.row is not None and s.cell is not None: s.row.append(s.cell.strip()); s.cell=None
        elif t=="tr" and s.row is not None: s.rows.append(s.row); s.row=None
p=P(); p.feed(sys.stdin.read())
for r in p.rows:
    print(r[1], (r[2].split(", ")[0] or "-"), (r[3].split(", ")[0] or "-"))' | sort
}
want=$(echo "$EXPECT_OUT" | sort)
$J report --dir "$T/ca" --format json > "$T/r.json" 2> "$T/err" || bad "report --format json: $(cat "$T/err")"
got=$(json_keys < "$T/r.json")
[ "$got" = "$want" ] && ok "JSON: each finding kind exactly where the history put it ($(echo "$got" | wc -l) findings)" ||
	bad "JSON findings differ: $(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"
$J report --dir "$T/ca" > "$T/r.txt" 2> "$T/err" || bad "report (text): $(cat "$T/err")"
got=$(text_keys < "$T/r.txt")
[ "$got" = "$want" ] && ok "text: the same findings" ||
	bad "text findings differ: $(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"
$J report --dir "$T/ca" --format html -o "$T/r.html" 2> "$T/err" || bad "report --format html: $(cat "$T/err")"
got=$(html_keys < "$T/r.html")
[ "$got" = "$want" ] && ok "HTML: the same findings in its table" ||
	bad "HTML findings differ: $(diff <(echo "$want") <(echo "$got") | tr '\n' ' ')"
$PY - "$T/r.json" <<'PY' && ok "the figures: 2 requests, 2 approvals, 7 certificates, 3 sessions, latency and first use" || bad "figures"
import json, sys
m = json.load(open(sys.argv[1])); s = m["summary"]
assert (s["requests"], s["approvals"], s["issuances"], s["sessions"], s["break_glass"], s["revocations"]) == (2, 2, 7, 3, 1, 1), s
lat = s["approval_latency"]
assert lat["count"] == 2 and lat["median"] < 3 and lat["max"] >= 4, lat
assert s["time_to_first_use"]["count"] == 3, s["time_to_first_use"]
assert m["verdict"]["text"].startswith("Action needed: 4 high-severity"), m["verdict"]
d = {f["kind"] + " " + (f["users"] or ["-"])[0]: f for f in m["findings"]}
assert "no session recorded" in d["break-glass bob"]["detail"] and "db down" in d["break-glass bob"]["detail"]
assert "outlived its certificate" in d["closure alice"]["detail"], d["closure alice"]
assert "after the revocation" in d["closure dave"]["detail"], d["closure dave"]
assert len(d["standing-access dave"]["seqs"]) == 2
assert d["rubber-stamp carol"]["requests"], d["rubber-stamp carol"]
PY
# Every cited event is in the audit log, as the report says.
$J audit --dir "$T/ca" --json > "$T/audit.json"
$PY - "$T/r.json" "$T/audit.json" <<'PY' && ok "each finding's seqs are audit events of its user" || bad "evidence seqs"
import json, sys
m = json.load(open(sys.argv[1]))
ev = {e["seq"]: e for e in map(json.loads, open(sys.argv[2]))}
for f in m["findings"]:
    for s in f["seqs"]:
        e = ev[s]
        if f["kind"] in ("out-of-hours", "standing-access", "unused-grant", "break-glass"):
            assert e["user"] == f["users"][0], (f, e)
PY

# ---- business hours that take "now" in: no out-of-hours ----
policy "daily 00:00-24:00"
$J report --dir "$T/ca" --format json > "$T/r2.json"
got=$(json_keys < "$T/r2.json")
[ "$got" = "$(echo "$want" | grep -v '^out-of-hours')" ] && ok "business hours around now: no out-of-hours, the rest unchanged" ||
	bad "in hours: $(diff <(echo "$want" | grep -v '^out-of-hours') <(echo "$got") | tr '\n' ' ')"
policy "$OUT_HOURS"

# ---- the page: strict HTML, self-contained, drawn by a browser ----
xmllint --noout "$T/r.html" 2> "$T/err" && ok "the page is well-formed XML" || bad "xmllint: $(head -3 "$T/err")"
if $PY -c 'import html5lib' 2> /dev/null; then
	$PY -c 'import html5lib, sys
html5lib.HTMLParser(strict=True).parse(open(sys.argv[1], "rb"))' "$T/r.html" 2> "$T/err" &&
		ok "html5lib parses the page strictly (no HTML5 parse error)" || bad "html5lib: $(tail -2 "$T/err")"
else
	bad "python3-html5lib missing (./setup installs it)"
fi
grep -Eiq '<script|<link|<img|<iframe|src=|url\(|href="(https?:)?//' "$T/r.html" &&
	bad "the page loads something or runs a script" || ok "no script, no external resource"
grep -q '@page { size: A4' "$T/r.html" && ok "the page prints on A4" || bad "no A4 print style"
for id in chart-days chart-heat chart-latency; do
	grep -q "<div class=\"chart\" id=\"$id\">" "$T/r.html" || bad "no $id in the page"
done
if [ -n "$CHROMIUM" ] && $PY -c 'import PIL' 2> /dev/null; then
	shot() {	# NAME CSS: a screenshot of the page with CSS added
		sed "s|</style>|$2</style>|" "$T/r.html" > "$T/$1.html"
		timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars \
			--user-data-dir="$T/chromium" --window-size=900,4200 --screenshot="$T/$1.png" \
			"file://$T/$1.html" > "$T/chromium.log" 2>&1
	}
	only() { echo "body * { visibility: hidden; } #$1, #$1 * { visibility: visible; }"; }
	shot full ""
	shot blank "$(only none)"
	for c in chart-days chart-heat chart-latency; do shot "$c" "$(only "$c")"; done
	$PY - "$T" <<'PY' > "$T/pixels" 2>&1 && ok "Chromium draws the page and each of its three charts: $(tr '\n' ' ' < "$T/pixels")" || bad "screenshots: $(tr '\n' ' ' < "$T/pixels")"
import sys
from PIL import Image
T = sys.argv[1]
def load(n):
    return Image.open("%s/%s.png" % (T, n)).convert("RGB")
def inked(im):    # pixels that are not (nearly) white
    return sum(1 for p in im.getdata() if min(p) < 245)
def has(im, hexes):
    want = {tuple(int(h[i:i + 2], 16) for i in (1, 3, 5)) for h in hexes}
    got = set(im.getdata())
    return all(any(max(abs(a - b) for a, b in zip(w, g)) <= 8 for g in got) for w in want)
full, blank = load("full"), load("blank")
assert inked(full) > 50000, ("full page", inked(full))
assert inked(blank) < 50, ("blank", inked(blank))
need = {"chart-days": ["#4e79a7", "#f28e2b"],    # dev, then prod stacked
        "chart-heat": ["#2e7d32", "#08519c"],    # business hours, the busiest hour
        "chart-latency": ["#e15759", "#4e79a7"]}  # under min_review, over it
for c, colours in need.items():
    im = load(c)
    n = inked(im)
    assert n > 3000, (c, n)
    assert has(im, colours), (c, "colours missing", colours)
    print("%s %d px" % (c, n))
PY
	cp "$T/full.png" "${REPORT_SHOT:-/dev/null}" 2> /dev/null || true
	timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chromium" \
		--no-pdf-header-footer --print-to-pdf="$T/r.pdf" "file://$T/r.html" > "$T/chromium.log" 2>&1
	$PY - "$T/r.pdf" <<'PY' > "$T/pdf" 2>&1 && ok "printed, it is $(cat "$T/pdf") A4 pages" || bad "print: $(cat "$T/pdf")"
import re, sys
d = open(sys.argv[1], "rb").read()
boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", d)
assert boxes and all(abs(float(w) - 595.3) < 2 and abs(float(h) - 841.9) < 2 for w, h in boxes), boxes
print(len(re.findall(rb"/Type\s*/Page[^s]", d)))
PY
else
	bad "chromium or python3-pil missing (./setup installs them)"
fi

# ---- over SSH, for auditors; the run on record ----
out=$(ca bob report < /dev/null 2>&1) && bad "a user ran report" ||
	{ echo "$out" | grep -q "auditors" && ok "report over SSH is for auditors only"; } || bad "non-auditor: $out"
ca carol report --format json < /dev/null > "$T/r3.json" 2> "$T/err" || bad "carol's report: $(cat "$T/err")"
got=$(json_keys < "$T/r3.json")
[ "$got" = "$want" ] && ok "an auditor's report over SSH has the same findings" || bad "remote findings: $got"
# jit-ssh report, as an auditor would run it.
printf 'ca: 127.0.0.1:%s\nuser: audra\nidentity: %s\nca_host_key: "%s"\n' "$PORT" "$T/audra" \
	"$(k ca/ssh_host_ed25519_key)" > "$T/audra.yaml"
JIT_SSH_CONFIG=$T/audra.yaml "$JIT_SSH" report --since 30d < /dev/null > "$T/r4.txt" 2> "$T/err" ||
	bad "jit-ssh report: $(cat "$T/err")"
[ "$(text_keys < "$T/r4.txt")" = "$want" ] && ok "jit-ssh report (the client) prints the same findings" ||
	bad "jit-ssh report: $(head -20 "$T/r4.txt")"
$J audit --dir "$T/ca" --event report --json > "$T/reports.json"
$PY - "$T/reports.json" "$T/r3.json" <<'PY' && ok "each run is a report event; carol's names her, the period, and the SHA-256 of the JSON she got" || bad "report events: $(tr '\n' ' ' < "$T/reports.json")"
import base64, hashlib, json, sys
evs = [json.loads(l) for l in open(sys.argv[1])]
assert len(evs) == 6, len(evs)   # json, text, html, json in hours, carol's, audra's
last = evs[-2]
digest = "SHA256:" + base64.b64encode(hashlib.sha256(open(sys.argv[2], "rb").read()).digest()).decode().rstrip("=")
assert last["user"] == "carol" and last["source"] == "127.0.0.1", last
assert last["fingerprint"] == digest, (last["fingerprint"], digest)
m = json.load(open(sys.argv[2]))
assert last["valid_after"] == m["period"]["since"] and last["valid_before"] == m["period"]["until"], last
assert evs[0]["user"] is None and evs[0]["source"] == "offline", evs[0]
PY
since=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["period"]["since"])' "$T/r.json")
until=$(date -u +%Y-%m-%dT%H:%M:%SZ)
sleep 1
$J report --dir "$T/ca" --since "$since" --until "$until" --format json > "$T/p1.json"
$J report --dir "$T/ca" --since "$since" --until "$until" --format json > "$T/p2.json"
cmp -s "$T/p1.json" "$T/p2.json" && ok "a past period gives the same bytes again (reports are not reviewed)" ||
	bad "not reproducible: $(diff "$T/p1.json" "$T/p2.json" | head -5)"

# ---- bad options: a clear error, nothing recorded ----
n0=$($J audit --dir "$T/ca" --json | wc -l)
for args in "--format pdf" "--since yesterday" "--until 2026-13-01T00:00:00Z" "--since 1d --until 2d" \
	"--since 2000-01-01T00:00:00Z" "-o $T/r.html"; do
	rc=0; $J report --dir "$T/ca" $args > /dev/null 2> "$T/err" || rc=$?
	[ $rc != 0 ] && [ -s "$T/err" ] || bad "report $args: rc=$rc $(cat "$T/err")"
done
[ "$($J audit --dir "$T/ca" --json | wc -l)" = "$n0" ] && ok "bad options (format, times, a period over ten years, an existing -o file) are refused and record nothing" ||
	bad "a refused report recorded something"
grep -q "text, json or html" <($J report --dir "$T/ca" --format pdf 2>&1) && ok "--format pdf says what formats there are" ||
	bad "format message"
finish
