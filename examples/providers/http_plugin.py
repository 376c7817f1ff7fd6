#!/usr/bin/env python3
"""A stress-action command-provider plugin that forwards every request to an HTTP provider.

Run by stress-action as `--provider command --provider-cmd "python3 http_plugin.py --endpoint URL"`.
It reads one JSON request per line on stdin and writes one JSON response per line on stdout, pairing
them by `id`; each request is handled on its own thread, so many can be in flight at once. Replace
the `Client` calls with your platform's SDK to wrap any vendor. Python 3 standard library only.
The token is read from the environment variable named by --token-env (default STRESS_ACTION_TOKEN).
"""

import argparse
import base64
import json
import os
import socket
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request


# Each call gives up before stress-action stops waiting for it (60 s; an exec: its timeout_ms plus
# 15 s), so the plugin says what happened instead of stress-action reporting "no answer".
CALL_TIMEOUT = 30.0
EXEC_MARGIN = 10.0


class PluginError(Exception):
    """A classified failure: class is timeout, http_error, network_error or provider_error."""

    def __init__(self, cls, message, status=None):
        super().__init__(message)
        self.cls, self.message, self.status = cls, message, status


class Client:
    """Protocol v1 of docs/provider-protocol.md over urllib."""

    def __init__(self, endpoint, token):
        self.endpoint = endpoint.rstrip("/")
        self.token = token
        # A proxy from the environment must not intercept a server on this machine.
        host = urllib.parse.urlsplit(self.endpoint).hostname
        handlers = [urllib.request.ProxyHandler({})] if host in ("127.0.0.1", "localhost", "::1") else []
        self.opener = urllib.request.build_opener(*handlers)

    def call(self, method, path, query=None, body=None, content_type=None, timeout=CALL_TIMEOUT):
        url = self.endpoint + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, data=body, method=method)
        if self.token:
            req.add_header("Authorization", "Bearer " + self.token)
        if content_type:
            req.add_header("Content-Type", content_type)
        try:
            with self.opener.open(req, timeout=timeout) as resp:
                return resp.read()
        except urllib.error.HTTPError as e:
            code, message = "", "HTTP %d" % e.code
            try:
                detail = json.loads(e.read())["error"]
                code, message = detail.get("code", ""), detail.get("message", message)
            except Exception:
                pass
            cls = "timeout" if code == "timeout" else "http_error"
            raise PluginError(cls, message, e.code)
        except (socket.timeout, TimeoutError) as e:
            raise PluginError("timeout", "no answer in time: %s" % e)
        except (urllib.error.URLError, ConnectionError, OSError) as e:
            raise PluginError("network_error", str(e))

    def json(self, method, path, payload=None, timeout=CALL_TIMEOUT):
        # POSTs always carry a JSON body, `{}` when there is nothing to send, as stress-action does.
        body = json.dumps(payload).encode() if payload is not None else None
        raw = self.call(method, path, body=body, content_type="application/json" if body else None, timeout=timeout)
        try:
            return json.loads(raw)
        except ValueError as e:
            raise PluginError("provider_error", "malformed response: %s" % e)


def q(segment):
    return urllib.parse.quote(segment, safe="")


def handle(client, req):
    """Performs one request and returns its result object (raises PluginError on failure)."""
    op = req.get("op")
    sb, cp = req.get("sandbox", ""), req.get("checkpoint", "")
    if op == "health":
        return client.json("GET", "/v1/health")
    if op == "create":
        return {"id": client.json("POST", "/v1/sandboxes", {})["id"]}
    if op == "exec":
        timeout_ms = int(req["timeout_ms"])
        payload = {"argv": req["argv"], "timeout_ms": timeout_ms}
        return client.json("POST", "/v1/sandboxes/%s/exec" % q(sb), payload, timeout=timeout_ms / 1000 + EXEC_MARGIN)
    if op == "write_file":
        data = base64.b64decode(req["data_b64"])
        client.call("PUT", "/v1/sandboxes/%s/files" % q(sb), {"path": req["path"]}, data, "application/octet-stream")
        return {}
    if op == "read_file":
        data = client.call("GET", "/v1/sandboxes/%s/files" % q(sb), {"path": req["path"]})
        return {"data_b64": base64.b64encode(data).decode()}
    if op == "checkpoint":
        return client.json("POST", "/v1/sandboxes/%s/checkpoints" % q(sb), {})
    if op == "checkpoint_status":
        return client.json("GET", "/v1/checkpoints/%s" % q(cp))
    if op == "restore":
        return {"id": client.json("POST", "/v1/checkpoints/%s/restore" % q(cp), {})["id"]}
    if op == "destroy":
        client.call("DELETE", "/v1/sandboxes/%s" % q(sb))
        return {}
    if op == "delete_checkpoint":
        client.call("DELETE", "/v1/checkpoints/%s" % q(cp))
        return {}
    raise PluginError("provider_error", "unknown op %r" % op)


class Plugin:
    def __init__(self, client, out=sys.stdout):
        self.client, self.out, self.lock = client, out, threading.Lock()

    def reply(self, message):
        line = json.dumps(message, separators=(",", ":"))
        with self.lock:
            self.out.write(line + "\n")
            self.out.flush()

    def serve_one(self, req):
        rid = req.get("id")
        try:
            self.reply({"id": rid, "ok": True, "result": handle(self.client, req)})
        except PluginError as e:
            error = {"class": e.cls, "message": e.message}
            if e.status is not None:
                error["status"] = e.status
            self.reply({"id": rid, "ok": False, "error": error})
        except Exception as e:  # a bug here must still answer, or the caller waits for its timeout
            self.reply({"id": rid, "ok": False, "error": {"class": "provider_error", "message": repr(e)}})

    def run(self, lines):
        threads = []
        for line in lines:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
            except ValueError:
                continue
            t = threading.Thread(target=self.serve_one, args=(req,), daemon=True)
            t.start()
            threads.append(t)
            threads = [t for t in threads if t.is_alive()]
        for t in threads:  # stdin closed: finish what is in flight, then exit
            t.join()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", default=os.environ.get("STRESS_ACTION_ENDPOINT"))
    parser.add_argument("--token-env", default="STRESS_ACTION_TOKEN")
    args = parser.parse_args(argv)
    if not args.endpoint:
        parser.error("--endpoint (or STRESS_ACTION_ENDPOINT) is required")
    Plugin(Client(args.endpoint, os.environ.get(args.token_env))).run(sys.stdin)


if __name__ == "__main__":
    main()
