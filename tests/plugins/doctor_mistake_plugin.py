#!/usr/bin/env python3
"""Test plugin: the example HTTP plugin with one mistake, chosen by the MISTAKE variable:
- string_id: responses carry the request's id as a string ("7"), so none pairs with its request;
- timeout_as_http_error: an exec that ran out of time is reported as http_error 504 instead of
  class timeout, so stress-action would count it as an HTTP error and retry it."""

import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "providers"))
import http_plugin  # noqa: E402

MISTAKE = os.environ["MISTAKE"]


class MistakenClient(http_plugin.Client):
    def call(self, *args, **kwargs):
        try:
            return super().call(*args, **kwargs)
        except http_plugin.PluginError as e:
            if MISTAKE == "timeout_as_http_error" and e.cls == "timeout" and e.status:
                raise http_plugin.PluginError("http_error", e.message, e.status)
            raise


class MistakenPlugin(http_plugin.Plugin):
    def reply(self, message):
        if MISTAKE == "string_id":
            message = dict(message, id=str(message["id"]))
        super().reply(message)


def main():
    MistakenPlugin(MistakenClient(sys.argv[1], None)).run(sys.stdin)


if __name__ == "__main__":
    main()
