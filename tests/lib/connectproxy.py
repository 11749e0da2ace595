#!/usr/bin/env python3
"""connectproxy.py PORT BACKEND_PORT LOG: an HTTP CONNECT proxy on
127.0.0.1:PORT for tests. Whatever host a CONNECT names, the tunnel goes
to 127.0.0.1:BACKEND_PORT, so a name that resolves nowhere is reachable
only through this proxy. Each request line goes to LOG; anything but
CONNECT gets 405."""
import select, socket, sys, threading

port, backend, logpath = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
lock = threading.Lock()

def pipe(a, b):
    socks = [a, b]
    while True:
        for s in select.select(socks, [], [])[0]:
            data = s.recv(65536)
            if not data:
                return
            (b if s is a else a).sendall(data)

def serve(c):
    try:
        head = b""
        while b"\r\n\r\n" not in head and len(head) < 65536:
            got = c.recv(4096)
            if not got:
                return
            head += got
        line = head.split(b"\r\n", 1)[0].decode(errors="replace")
        with lock, open(logpath, "a") as log:
            log.write(line + "\n")
        if not line.startswith("CONNECT "):
            c.sendall(b"HTTP/1.1 405 Method Not Allowed\r\nContent-Length: 0\r\n\r\n")
            return
        b = socket.create_connection(("127.0.0.1", backend))
        c.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
        rest = head.split(b"\r\n\r\n", 1)[1]
        if rest:
            b.sendall(rest)
        pipe(c, b)
        b.close()
    except OSError:
        pass
    finally:
        c.close()

srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", port))
srv.listen(16)
while True:
    conn, _ = srv.accept()
    threading.Thread(target=serve, args=(conn,), daemon=True).start()
