#!/usr/bin/env python3
"""Test plugin: the example HTTP plugin, except that
- the first call of each op named in FAIL_ONCE (comma-separated) fails with class network_error;
  a failed `destroy` did destroy the sandbox first (its answer was lost), the others did nothing;
- with CHECKPOINT_FAILS=1, a checkpoint_status answers `failed` where the server says `ready` (the
  checkpoint itself is made, so whether stress-action deletes it shows on the server)."""

import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "providers"))
import http_plugin  # noqa: E402

FAIL_ONCE = set(filter(None, os.environ.get("FAIL_ONCE", "").split(",")))
CHECKPOINT_FAILS = os.environ.get("CHECKPOINT_FAILS") == "1"
failed = set()
lock = threading.Lock()
forward = http_plugin.handle


def first_time(op):
    with lock:
        if op in FAIL_ONCE and op not in failed:
            failed.add(op)
            return True
        return False


def handle(client, req):
    op = req.get("op")
    if first_time(op):
        if op == "destroy":
            forward(client, req)
        raise http_plugin.PluginError("network_error", "connection reset by peer (injected)")
    result = forward(client, req)
    if op == "checkpoint_status" and CHECKPOINT_FAILS and result.get("status") == "ready":
        return {"id": req["checkpoint"], "status": "failed", "error": "disk full (injected)"}
    return result


http_plugin.handle = handle  # Plugin.serve_one calls the module's handle


def main():
    http_plugin.Plugin(http_plugin.Client(sys.argv[1], None)).run(sys.stdin)


if __name__ == "__main__":
    main()
