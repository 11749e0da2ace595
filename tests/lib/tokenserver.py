#!/usr/bin/env python3
"""tokenserver.py DIR PORT USER:PASS: a registry token server as Docker Hub's
auth.docker.io works (the distribution token spec), for tests. Serves
https://127.0.0.1:PORT/token with DIR/pki/server.{crt,key}; signs RS256 JWTs
with DIR/token.key (openssl dgst), its certificate DIR/token.crt in the
header's x5c, which the registry trusts through auth.token.rootcertbundle.

Anonymous requests get pull of the repositories asked for; requests with
USER:PASS as Basic credentials get every action asked for; wrong ones get
401 {"details": "incorrect username or password"}, as Docker Hub answers.
Each request is one line of DIR/token.log: "USER SCOPE..." ("-" for
anonymous and for no scope), so tests can count token requests."""
import base64, json, os, ssl, subprocess, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

d, port, cred = sys.argv[1], int(sys.argv[2]), sys.argv[3]
ISSUER, lock = "ocibox-token", threading.Lock()

def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()

with open(os.path.join(d, "token.crt")) as f:
    pem = f.read()
der = base64.b64decode("".join(l for l in pem.splitlines() if l and "-----" not in l))

def sign(claims):
    head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
    data = (b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())).encode()
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", os.path.join(d, "token.key")],
                         input=data, stdout=subprocess.PIPE, check=True).stdout
    return data.decode() + "." + b64url(sig)

class Token(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        u = urlparse(self.path)
        q = parse_qs(u.query)
        if u.path != "/token":
            return self.reply(404, {"details": "not found"})
        user = None
        h = self.headers.get("Authorization", "")
        if h.startswith("Basic "):
            given = base64.b64decode(h[6:]).decode(errors="replace")
            if given != cred:
                with lock, open(os.path.join(d, "token.log"), "a") as log:
                    log.write("%s refused\n" % given.split(":")[0])
                return self.reply(401, {"details": "incorrect username or password"})
            user = given.split(":")[0]
        scopes = q.get("scope", [])
        access = []
        for s in " ".join(scopes).split():
            typ, _, rest = s.partition(":")
            name, _, actions = rest.rpartition(":")
            acts = [a for a in actions.split(",") if user or a == "pull"]
            access.append({"type": typ, "name": name, "actions": acts})
        with lock, open(os.path.join(d, "token.log"), "a") as log:
            log.write("%s %s\n" % (user or "-", " ".join(scopes) or "-"))
        now = int(time.time())
        tok = sign({"iss": ISSUER, "sub": user or "", "aud": q.get("service", [""])[0],
                    "exp": now + 300, "nbf": now - 10, "iat": now, "jti": os.urandom(8).hex(),
                    "access": access})
        self.reply(200, {"token": tok, "access_token": tok, "expires_in": 300})

    def log_message(self, *a):
        pass

srv = ThreadingHTTPServer(("127.0.0.1", port), Token)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(d, "pki", "server.crt"), os.path.join(d, "pki", "server.key"))
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
