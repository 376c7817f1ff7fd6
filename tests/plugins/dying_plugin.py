#!/usr/bin/env python3
"""Test plugin: the example HTTP plugin, except that the process exits abruptly after answering
EXIT_AFTER requests while later requests are still in flight (a crashing vendor SDK)."""

import os
import sys
import threading

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "providers"))
import http_plugin  # noqa: E402

EXIT_AFTER = int(os.environ["EXIT_AFTER"])
count = 0
count_lock = threading.Lock()


class DyingPlugin(http_plugin.Plugin):
    def serve_one(self, req):
        global count
        with count_lock:
            count += 1
            mine = count
        if mine > EXIT_AFTER:
            # Leave the in-flight requests unanswered, as a crash would.
            os._exit(3)
        super().serve_one(req)


def main():
    endpoint = sys.argv[1]
    DyingPlugin(http_plugin.Client(endpoint, None)).run(sys.stdin)


if __name__ == "__main__":
    main()
