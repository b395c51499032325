"""A Lambda runtime written against the Runtime API by hand (standard
library only), misbehaving on purpose for the proxy's fault tests.

    python3 raw_client.py MODE [FILE]

MODE is one of:
- init-error: posts /runtime/init/error, then exits 1.
- exit-early: exits 7 before asking for an invocation.
- never-next: sleeps, never asking for an invocation.
- serve: answers invocations by what the event asks ({"do": ...}):
  "twice" answers, answers again and answers for an unknown id;
  "big" answers 7 MiB; "stream" streams three chunks; an HTTP API event
  for /stream-http gets a streamed HTTP response; "exit-after-answer"
  answers and exits while the next invocation waits; "stall-after-answer"
  answers and never calls `next` again; "exit" exits without answering;
  "report" returns
  the status codes the Runtime API gave to the misbehaviour so far;
  anything else is echoed.
- serve-threads N: serves from N threads, each with its own `next`.
- sigterm FILE: serves, with an extension registered (exits 9 if it cannot
  be) whose SHUTDOWN and a SIGTERM handler each append a line to FILE.
"""

import http.client
import json
import os
import signal
import sys
import threading
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
STATUSES = {}


def call(method, path, body=None, headers=None):
    connection = http.client.HTTPConnection(API, timeout=None)
    connection.request(method, path, body=body, headers=headers or {})
    response = connection.getresponse()
    data = response.read()
    # Header names are case-insensitive (the proxy sends them lower-case).
    result = (response.status, response.headers, data)
    connection.close()
    return result


def respond(request_id, body):
    return call("POST", "/2018-06-01/runtime/invocation/%s/response" % request_id, body)[0]


def stream(request_id, content_type="text/plain", parts=(b"one,", b"two,", b"three")):
    def chunks():
        for part in parts:
            yield part

    connection = http.client.HTTPConnection(API, timeout=None)
    connection.request(
        "POST",
        "/2018-06-01/runtime/invocation/%s/response" % request_id,
        body=chunks(),
        headers={
            "Lambda-Runtime-Function-Response-Mode": "streaming",
            "Content-Type": content_type,
        },
        encode_chunked=True,
    )
    status = connection.getresponse().status
    connection.close()
    return status


def serve():
    while True:
        status, headers, body = call("GET", "/2018-06-01/runtime/invocation/next")
        request_id = headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(body)
        action = event.get("do") if isinstance(event, dict) else None
        if isinstance(event, dict) and event.get("rawPath") == "/stream-http":
            action = "stream-http"
        if action == "twice":
            respond(request_id, b'"first"')
            STATUSES["second"] = respond(request_id, b'"second"')
            STATUSES["unknown"] = respond("no-such-request", b'"stray"')
            STATUSES["late_init_error"] = call(
                "POST", "/2018-06-01/runtime/init/error", b'{"errorType":"Late"}'
            )[0]
        elif action == "big":
            STATUSES["big"] = respond(request_id, b'"' + b"x" * (7 * 1024 * 1024) + b'"')
        elif action == "stream":
            STATUSES["stream"] = stream(request_id)
        elif action == "wait":
            # Holds the invocation a while, so several are in flight at once.
            time.sleep(0.5)
            respond(request_id, body)
        elif action == "stream-http":
            # A streamed HTTP response as lambda_http sends one: a JSON
            # prelude, eight NUL bytes, then the body.
            prelude = b'{"statusCode":202,"headers":{"x-streamed":"yes"},"cookies":["c=1"]}'
            STATUSES["stream_http"] = stream(
                request_id,
                "application/vnd.awslambda.http-integration-response",
                (prelude, b"\0" * 8 + b"hello ", b"world"),
            )
        elif action == "exit-after-answer":
            # Answers, then dies while the next invocation waits for it.
            respond(request_id, body)
            time.sleep(0.3)
            os._exit(5)
        elif action == "stall-after-answer":
            # Answers, then never asks for another invocation.
            respond(request_id, body)
            time.sleep(120)
        elif action == "exit":
            os._exit(3)
        elif action == "report":
            respond(request_id, json.dumps(STATUSES).encode())
        else:
            respond(request_id, body)


def main():
    mode = sys.argv[1]
    if mode == "init-error":
        call(
            "POST",
            "/2018-06-01/runtime/init/error",
            b'{"errorType":"Config.Missing","errorMessage":"DB_URL is not set"}',
            {"Lambda-Runtime-Function-Error-Type": "Runtime.ConfigInvalid"},
        )
        sys.exit(1)
    if mode == "exit-early":
        sys.exit(7)
    if mode == "serve-threads":
        for _ in range(int(sys.argv[2]) - 1):
            threading.Thread(target=serve, daemon=True).start()
        serve()
        return
    if mode == "never-next":
        time.sleep(120)
        return
    if mode == "sigterm":
        path = sys.argv[2]

        def note(line):
            with open(path, "a") as out:
                out.write(line + "\n")

        def on_sigterm(_number, _frame):
            note("SIGTERM")
            # The extension's SHUTDOWN comes at the same time: let it
            # write its line before the process ends.
            listener.join(timeout=1)
            sys.exit(0)

        signal.signal(signal.SIGTERM, on_sigterm)
        status, headers, _ = call(
            "POST",
            "/2020-01-01/extension/register",
            b'{"events":["SHUTDOWN"]}',
            {"Lambda-Extension-Name": "notes"},
        )
        if status != 200:
            sys.exit(9)
        identifier = headers["Lambda-Extension-Identifier"]

        def extension():
            _, _, body = call(
                "GET",
                "/2020-01-01/extension/event/next",
                headers={"Lambda-Extension-Identifier": identifier},
            )
            note(json.loads(body)["eventType"])

        listener = threading.Thread(target=extension, daemon=True)
        listener.start()
    serve()


main()
