#!/usr/bin/env python3
"""fake_idp.py: an identity provider that misbehaves, for the faults a real
one will not stage.  python3 fake_idp.py PORT MODE
  slow      accepts connections and never answers
  bigjwks   a discovery document, then a key set of 100 KiB
  issuer    a discovery document naming another issuer
  none      an ID token with alg none (claims otherwise right)"""
import base64, http.server, json, socket, sys, time

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
        if self.path.startswith("/.well-known/openid-configuration"):
            self.send({"issuer": "http://127.0.0.1:1" if mode == "issuer" else base,
                       "device_authorization_endpoint": base + "/device/auth",
                       "token_endpoint": base + "/token", "jwks_uri": base + "/jwks"})
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
        elif mode == "none":
            b = lambda o: base64.urlsafe_b64encode(json.dumps(o).encode()).decode().rstrip("=")
            now = int(time.time())
            claims = {"iss": base, "aud": "jit-ssh", "sub": "sub-alice", "preferred_username": "alice",
                      "groups": ["dev"], "iat": now, "exp": now + 300}
            self.send({"id_token": b({"alg": "none", "typ": "JWT"}) + "." + b(claims) + ".", "token_type": "Bearer"})
        else:
            self.send({"id_token": "x.y.z", "token_type": "Bearer"})

print("listening", flush=True)
http.server.ThreadingHTTPServer(("127.0.0.1", port), H).serve_forever()
