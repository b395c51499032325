"""A web app made with the Python standard library only, for web mode's tests.

It listens on 127.0.0.1:$PORT, as web mode tells it, and knows nothing of
any platform. Routes:

  .../echo...      any method: the request as JSON (method, path, query,
                   headers, cookies, body as text and base64, and the
                   variables web mode sets or takes away)
  /status/<code>   answers <code>
  /slow?ms=N       answers after N milliseconds
  /crash           the process exits at once with status 1
  /crash-mid-body  the same, after the head and 10 of 100 bytes
  /big?bytes=N     N bytes of `x` (with Content-Length); &chunked=1 without it
  /binary          a few bytes of PNG, image/png
  /cookies         two Set-Cookie headers
  /health          200, or 503 while $NEVER_READY is set
  /events          POST: the event and the context headers, as JSON
  /ws              a websocket echo server (text and binary frames)

$START_DELAY_MS delays listening, for slow-start tests. On SIGTERM it
writes "stopped" to $STOP_MARKER (if set) and exits 0.
"""

import base64
import hashlib
import json
import os
import signal
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
# The variables web mode sets or takes away, shown by the echo routes.
ENV_SHOWN = ["PORT", "AWS_LAMBDA_RUNTIME_API", "LIGHT_RUNTIME_PLATFORM",
             "LIGHT_RUNTIME_PLUGINS", "LIGHT_RUNTIME_LAYERS", "AWS_LAMBDA_FUNCTION_NAME"]
PNG = bytes([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0xFF])


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        # Head and body go in separate writes: without this, Nagle's
        # algorithm holds the body for the client's delayed ACK (40 ms).
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format, *args):
        sys.stderr.write("web_app: " + (format % args) + "\n")

    def body(self):
        length = int(self.headers.get("content-length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, body, content_type="application/json", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def route(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query, keep_blank_values=True)
        path = url.path
        if path == "/ws" and self.headers.get("upgrade", "").lower() == "websocket":
            return self.websocket()
        body = self.body()
        if "/echo" in path or path == "/events":
            headers = {}
            for name, value in self.headers.items():
                headers.setdefault(name.lower(), []).append(value)
            cookies = [c.strip() for h in headers.get("cookie", []) for c in h.split(";")]
            return self.answer(200, json.dumps({
                "method": self.command,
                "path": path,
                "query": query,
                "rawQuery": url.query,
                "headers": headers,
                "cookies": [c for c in cookies if c],
                "body": body.decode("utf-8", "replace"),
                "bodyBase64": base64.b64encode(body).decode(),
                "env": {name: os.environ.get(name) for name in ENV_SHOWN},
            }))
        if path.startswith("/status/"):
            code = int(path.rsplit("/", 1)[1])
            return self.answer(code, "status %d" % code, "text/plain")
        if path == "/slow":
            time.sleep(int(query.get("ms", ["1000"])[0]) / 1000)
            return self.answer(200, "slow done", "text/plain")
        if path == "/crash":
            sys.stderr.write("web_app: crashing on purpose\n")
            sys.stderr.flush()
            os._exit(1)
        if path == "/crash-mid-body":
            self.send_response(200)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", "100")
            self.end_headers()
            self.wfile.write(b"the first ")
            self.wfile.flush()
            time.sleep(0.1)
            os._exit(1)
        if path == "/big":
            size = int(query.get("bytes", ["0"])[0])
            if query.get("chunked"):
                return self.chunked(b"x" * size)
            return self.answer(200, b"x" * size, "text/plain")
        if path == "/binary":
            return self.answer(200, PNG, "image/png")
        if path == "/cookies":
            return self.answer(200, "cookies set", "text/plain", [
                ("set-cookie", "session=abc; Path=/; HttpOnly"),
                ("set-cookie", "theme=dark; Path=/"),
            ])
        if path == "/health":
            if os.environ.get("NEVER_READY"):
                return self.answer(503, "not ready", "text/plain")
            return self.answer(200, "ok", "text/plain")
        return self.answer(404, "no route for %s" % path, "text/plain")

    def chunked(self, data):
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        step = 64 * 1024
        for start in range(0, len(data), step):
            piece = data[start:start + step]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def websocket(self):
        key = self.headers["sec-websocket-key"]
        accept = base64.b64encode(
            hashlib.sha1((key + WEBSOCKET_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header("upgrade", "websocket")
        self.send_header("connection", "Upgrade")
        self.send_header("sec-websocket-accept", accept)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        while True:
            frame = self.read_frame()
            if frame is None:
                return
            opcode, payload = frame
            if opcode == 0x8:
                self.send_frame(0x8, payload[:2])
                return
            if opcode == 0x9:
                self.send_frame(0xA, payload)
            elif opcode in (0x1, 0x2):
                self.send_frame(opcode, payload)

    def read_exact(self, n):
        data = b""
        while len(data) < n:
            piece = self.rfile.read(n - len(data))
            if not piece:
                return None
            data += piece
        return data

    def read_frame(self):
        head = self.read_exact(2)
        if head is None:
            return None
        opcode = head[0] & 0x0F
        masked = head[1] & 0x80
        length = head[1] & 0x7F
        if length == 126:
            length = struct.unpack("!H", self.read_exact(2))[0]
        elif length == 127:
            length = struct.unpack("!Q", self.read_exact(8))[0]
        mask = self.read_exact(4) if masked else b"\0\0\0\0"
        payload = self.read_exact(length) if length else b""
        if payload is None:
            return None
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(payload))

    def send_frame(self, opcode, payload):
        head = bytes([0x80 | opcode])
        if len(payload) < 126:
            head += bytes([len(payload)])
        elif len(payload) < 65536:
            head += bytes([126]) + struct.pack("!H", len(payload))
        else:
            head += bytes([127]) + struct.pack("!Q", len(payload))
        self.wfile.write(head + payload)
        self.wfile.flush()

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = route


def exit_with_parent():
    """Tests stop by themselves: when web mode is gone, so is the app."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.2)
    os._exit(0)


def stop(signum, frame):
    marker = os.environ.get("STOP_MARKER")
    if marker:
        with open(marker, "w") as f:
            f.write("stopped")
    os._exit(0)


def main():
    signal.signal(signal.SIGTERM, stop)
    threading.Thread(target=exit_with_parent, daemon=True).start()
    delay = int(os.environ.get("START_DELAY_MS", "0"))
    if delay:
        time.sleep(delay / 1000)
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ["PORT"])), Handler)
    server.daemon_threads = True
    sys.stderr.write("web_app: listening on %s\n" % os.environ["PORT"])
    sys.stderr.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
