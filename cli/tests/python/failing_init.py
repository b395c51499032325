"""A module whose import fails: awslambdaric reports it on /init/error."""

raise ImportError("the database is unreachable")


def handler(event, context):
    return event
