"""An Alibaba FC custom-runtime server (standard library only) for the
emulate tests.

    python3 fc_server.py WANT

Each `POST /invoke` waits (up to 10 s) until WANT requests are in flight at
once, then answers {"together": N}: with WANT=2 it proves the platform sent
two requests to this one instance concurrently. `/initialize` and
`/pre-stop` answer 200 and say so on stdout; SIGTERM is printed and ends the
server with status 0.
"""

import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WANT = int(sys.argv[1])
TOGETHER = threading.Barrier(WANT, timeout=10)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def answer(self, body):
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("content-length", 0))
        self.rfile.read(length)
        if self.path == "/initialize":
            print("initialize", flush=True)
            return self.answer({})
        # All WANT requests meet here, or the wait breaks after 10 s.
        try:
            TOGETHER.wait()
            together = WANT
        except threading.BrokenBarrierError:
            together = 1
        print("invoke", self.headers.get("x-fc-request-id"), flush=True)
        self.answer({"together": together})

    def do_GET(self):
        if self.path == "/pre-stop":
            print("pre-stop", flush=True)
        self.answer({})


def stop(signum, frame):
    print("got SIGTERM", flush=True)
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
port = int(os.environ["FC_CUSTOM_LISTEN_PORT"])
ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()
