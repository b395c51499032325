"""An order function with a bug, and the same function fixed, for the
capture-and-replay test (cli/tests/replay.rs): `orders.handle` rejects the
SKU `BAD-1`; `orders.handle_fixed` accepts it."""

import logging

logging.getLogger().setLevel(logging.INFO)


class OrderRejected(Exception):
    """The function's own error: its name is the errorType Lambda reports."""


def handle(event, context):
    logging.info("checking sku %s", event.get("sku"))
    if event.get("sku") == "BAD-1":
        raise OrderRejected("sku BAD-1 is not sold")
    return {"ok": True, "sku": event.get("sku")}


def handle_fixed(event, context):
    return {"ok": True, "sku": event.get("sku")}
