"""A forwarding HTTP proxy that plays network trouble in front of a real peer.

Requests go through to the real Karrio (or sandbox) unchanged; the switches
only add what a network does to them: ``down`` answers 503 without
forwarding, ``slow_after`` forwards (the peer does the work) and then holds
the answer back for some seconds, so the client times out on a request the
peer already served — the case an idempotency key exists for.
"""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import requests

HOP_HEADERS = {
    "connection",
    "keep-alive",
    "transfer-encoding",
    "content-length",
    "host",
}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _relay(self):
        proxy = self.server.proxy
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        proxy.requests.append((self.command, self.path))
        if proxy.down:
            self._answer(503, b'{"errors": [{"message": "proxy: carrier down"}]}', {})
            return
        response = requests.request(
            self.command,
            proxy.target + self.path,
            data=body or None,
            headers={
                k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS
            },
            timeout=60,
        )
        hold = proxy.slow_after.get((self.command, self.path.split("?")[0]))
        if hold:
            proxy.slow_after.pop((self.command, self.path.split("?")[0]), None)
            time.sleep(hold)
        headers = {
            k: v for k, v in response.headers.items() if k.lower() not in HOP_HEADERS
        }
        self._answer(response.status_code, response.content, headers)

    def _answer(self, status, body, headers):
        try:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() != "content-encoding":
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timed out): that is the point

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _relay

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler API
        pass


class FaultProxy:
    """``FaultProxy(target).start()``; ``url``, ``down``, ``slow_after``."""

    def __init__(self, target):
        self.target = target.rstrip("/")
        self.down = False
        self.slow_after = {}  # (method, path) -> seconds, once
        self.requests = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.proxy = self
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = None

    def start(self):
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="fault-proxy", daemon=True
        )
        self._thread.start()
        return self

    def reset(self):
        self.down = False
        self.slow_after.clear()
        self.requests.clear()

    def stop(self):
        self._httpd.shutdown()
        self._httpd.server_close()
