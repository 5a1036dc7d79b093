#!/usr/bin/env python3
"""fake_idp.py: an identity provider that misbehaves, for the faults a real
one will not stage.  python3 fake_idp.py PORT MODE
  slow      accepts connections and never answers
  bigjwks   a discovery document, then a key set of 100 KiB
  issuer    a discovery document naming another issuer
  none      an ID token with alg none (claims otherwise right)
  rotate    a rightly signed ID token whose key (kid k2) the key set has
            only from its second fetch on: an issuer that rotated keys
  nokid     the same token, and a key set that never has k2
GET /count says how many times the key set was fetched."""
import base64, http.server, json, os, socket, subprocess, sys, tempfile, time

port, mode = int(sys.argv[1]), sys.argv[2]
base = "http://127.0.0.1:%d" % port
if mode == "slow":
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(16)
    print("listening", flush=True)
    held = []
    while True:
        c, _ = s.accept()
        held.append(c)

class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def send(self, obj):
        b = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def do_GET(self):
        global fetches
        if self.path.startswith("/.well-known/openid-configuration"):
            self.send({"issuer": "http://127.0.0.1:1" if mode == "issuer" else base,
                       "device_authorization_endpoint": base + "/device/auth",
                       "token_endpoint": base + "/token", "jwks_uri": base + "/jwks"})
        elif self.path == "/count":
            self.send({"jwks_fetches": fetches})
        elif self.path == "/jwks" and mode in ("rotate", "nokid"):
            fetches += 1
            self.send({"keys": [jwk()] if mode == "rotate" and fetches > 1 else []})
        elif self.path == "/jwks" and mode == "none":
            self.send({"keys": []})
        elif self.path == "/jwks":
            self.send({"keys": [{"kty": "oct", "k": "A" * 1024, "kid": str(i)} for i in range(100)]})
    def do_POST(self):
        n = int(self.headers.get("content-length", 0))
        self.rfile.read(n)
        if self.path == "/device/auth":
            self.send({"device_code": "d", "user_code": "U-1", "verification_uri": base + "/device",
                       "expires_in": 60, "interval": 1})
        elif mode in ("rotate", "nokid"):
            self.send({"id_token": signed_token(), "token_type": "Bearer"})
        elif mode == "none":
            b = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
            now = int(time.time())
            claims = {"iss": base, "aud": "jit-ssh", "sub": "sub-alice", "preferred_username": "alice",
                      "groups": ["dev"], "iat": now, "exp": now + 300}
            self.send({"id_token": b({"alg": "none", "typ": "JWT"}) + "." + b(claims) + ".", "token_type": "Bearer"})
        else:
            self.send({"id_token": "x.y.z", "token_type": "Bearer"})

fetches = 0
key = os.path.join(tempfile.mkdtemp(), "k.pem")
if mode in ("rotate", "nokid"):
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", key], check=True, capture_output=True)
    mod = subprocess.run(["openssl", "rsa", "-in", key, "-noout", "-modulus"], check=True,
                         capture_output=True, text=True).stdout.strip().split("=")[1]

def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")

def signed_token():
    now = int(time.time())
    head = b64(json.dumps({"alg": "RS256", "kid": "k2", "typ": "JWT"}).encode())
    body = b64(json.dumps({"iss": base, "aud": "jit-ssh", "sub": "sub-alice", "preferred_username": "alice",
                           "groups": ["dev"], "iat": now, "exp": now + 300}).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=(head + "." + body).encode(),
                         check=True, capture_output=True).stdout
    return head + "." + body + "." + b64(sig)

def jwk():
    return {"kty": "RSA", "kid": "k2", "alg": "RS256", "use": "sig",
            "n": b64(bytes.fromhex(mod)), "e": b64((65537).to_bytes(3, "big"))}

print("listening", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
