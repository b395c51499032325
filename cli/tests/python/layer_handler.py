"""A function as a Python user writes it for AWS Lambda, on awslambdaric and
nothing else, for the cloud-layer tests (cli/tests/cloud_layer_runs.rs): it
knows nothing of light-runtime, which the layer puts in front of it."""


def handle(event, context):
    if isinstance(event, dict) and event.get("fail"):
        raise ValueError("asked to fail")
    return {"echo": event, "request_id": context.aws_request_id}
