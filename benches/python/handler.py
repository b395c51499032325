"""The echo of the proxy-mode benchmark (`proxy-overhead`): run by
`python3 -m awslambdaric handler.echo` from this folder, talking to the
Lambda emulator directly or behind `light-runtime proxy`."""


def echo(event, context):
    """Answers the event itself, as the Rust echoes of the benches do."""
    return event
