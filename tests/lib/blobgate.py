#!/usr/bin/env python3
# blobgate.py: a plain-HTTP front for a test registry (TLS, on 127.0.0.1)
# that shows how many layer downloads a client runs at once, without
# timing: each blob response over 4 KiB is held until N of them are open
# together, or T seconds passed (after which nothing more is held).
#
#   blobgate.py PORT UPSTREAM_PORT CA_FILE DIR
#
# DIR/want holds "N T" (read again while waiting: writing "1 0" releases
# all; a new file starts a new count); DIR/now is the number of such
# responses open, DIR/max the most ever open together, DIR/gets has a line
# per blob GET. Serves until killed.
import http.client, http.server, os, ssl, sys, threading, time

port, upstream, ca, state = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
ctx = ssl.create_default_context(cafile=ca)
lock = threading.Condition()
count = {"now": 0, "max": 0, "gave_up": False, "want": None}


def put(name, value):
    with open(os.path.join(state, name + ".new"), "w") as f:
        f.write("%d\n" % value)
    os.replace(os.path.join(state, name + ".new"), os.path.join(state, name))


def want():
    try:
        with open(os.path.join(state, "want")) as f:
            n, t = f.read().split()
            mtime = os.fstat(f.fileno()).st_mtime_ns
    except (OSError, ValueError):
        return 1, 0.0
    if count["want"] != mtime:  # a new test
        count.update(want=mtime, max=count["now"], gave_up=False)
    return int(n), float(t)


class Gate(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        up = http.client.HTTPSConnection("127.0.0.1", upstream, context=ctx)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "connection")}
        up.request("GET", self.path, headers=headers)
        r = up.getresponse()
        length = r.getheader("Content-Length")
        body = None if length is not None else r.read()
        held = "/blobs/" in self.path and length is not None and int(length) > 4096
        if "/blobs/" in self.path:
            with lock, open(os.path.join(state, "gets"), "a") as f:
                f.write(self.path + "\n")
        if held:
            with lock:
                want()
                count["now"] += 1
                count["max"] = max(count["max"], count["now"])
                put("now", count["now"])
                put("max", count["max"])
                lock.notify_all()
                start = time.monotonic()
                while not count["gave_up"]:
                    n, t = want()
                    if count["now"] >= n:
                        break
                    if time.monotonic() - start >= t:
                        count["gave_up"] = True
                        break
                    lock.wait(0.05)
        try:
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("connection", "transfer-encoding", "keep-alive", "content-length"):
                    self.send_header(k, v)
            self.send_header("Content-Length", length if body is None else str(len(body)))
            self.end_headers()
            if body is not None:
                self.wfile.write(body)
            else:
                while True:
                    chunk = r.read(65536)
                    if not chunk:
                        break
                    self.wfile.write(chunk)
        finally:
            up.close()
            if held:
                with lock:
                    count["now"] -= 1
                    put("now", count["now"])


http.server.ThreadingHTTPServer.daemon_threads = True
http.server.ThreadingHTTPServer(("127.0.0.1", port), Gate).serve_forever()
