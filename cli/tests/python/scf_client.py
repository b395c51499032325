"""A Tencent SCF custom runtime written by hand (standard library only),
breaking SCF's contract on purpose for the emulate breach tests.

    python3 scf_client.py MODE

MODE is one of:
- no-ready: never posts /runtime/init/ready, then serves.
- ready: posts /runtime/init/ready first, as SCF asks, then serves.

Serving answers each event with the event itself; an event
{"do": "twice"} is answered twice (SCF keeps the first answer).
"""

import http.client
import json
import os
import sys

API = (os.environ["SCF_RUNTIME_API"], int(os.environ["SCF_RUNTIME_API_PORT"]))


def call(method, path, body=None):
    connection = http.client.HTTPConnection(*API, timeout=None)
    connection.request(method, path, body=body)
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, response.headers, data


def main():
    if sys.argv[1] == "ready":
        call("POST", "/runtime/init/ready", b" ")
    while True:
        _, headers, body = call("GET", "/runtime/invocation/next")
        print("handling", headers["request_id"], flush=True)
        event = json.loads(body)
        call("POST", "/runtime/invocation/response", body)
        if isinstance(event, dict) and event.get("do") == "twice":
            call("POST", "/runtime/invocation/response", b'"again"')


main()
