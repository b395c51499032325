"""Handlers for the proxy-mode tests, run by AWS's own Python runtime
client: `python3 -m awslambdaric handler.<name>` with PYTHONPATH set to
this folder and AWS_LAMBDA_RUNTIME_API pointing at `light-runtime proxy`.
"""

import os
import signal
import time


class OrderRejected(Exception):
    """A function's own error: its name is the errorType Lambda reports."""


def echo(event, context):
    """Returns the event; a few keys ask for misbehaviour instead."""
    if isinstance(event, dict):
        if "raise" in event:
            raise OrderRejected(event["raise"])
        if "sleep" in event:
            time.sleep(event["sleep"])
        if "exit" in event:
            os._exit(event["exit"])
        if "kill" in event:
            os.kill(os.getpid(), signal.SIGKILL)
        if "big" in event:
            # Over Lambda's 6 MiB limit for a buffered response.
            return "x" * (7 * 1024 * 1024)
        if "context" in event:
            return {
                "request_id": context.aws_request_id,
                "function_name": context.function_name,
                "function_version": context.function_version,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "invoked_function_arn": context.invoked_function_arn,
                "remaining_ms": context.get_remaining_time_in_millis(),
                "env": {
                    name: os.environ.get(name)
                    for name in (
                        "AWS_LAMBDA_FUNCTION_NAME",
                        "AWS_REGION",
                        "LAMBDA_TASK_ROOT",
                        "_HANDLER",
                        "LIGHT_RUNTIME_PLATFORM",
                        "FC_SERVER_PORT",
                        "SCF_RUNTIME_API",
                    )
                },
            }
    return event


def web(event, context):
    """Answers an API Gateway HTTP API event as API Gateway expects."""
    http = event["requestContext"]["http"]
    return {
        "statusCode": 201,
        "headers": {"content-type": "text/plain", "x-handler": "python"},
        "cookies": ["seen=1"],
        "body": "{} {}?{} {}".format(
            http["method"], event["rawPath"], event["rawQueryString"], event.get("body", "")
        ),
    }
