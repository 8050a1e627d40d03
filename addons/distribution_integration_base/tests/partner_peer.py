"""A scripted HTTP partner on 127.0.0.1 (plain Python: also used by the
repository's integration tests, which load this file by path)."""

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class PartnerServer:
    """A real HTTP peer on 127.0.0.1 playing the partner system.

    Each request is recorded; answers come from ``script`` (a list of dicts with
    ``status``, ``body``, ``headers``, ``delay``) and then from ``default``.
    """

    def __init__(self):
        self.requests = []
        self.script = []
        self.default = {"status": 200, "body": {"id": "EXT-1"}}
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                with server._lock:
                    server.requests.append(
                        {
                            "method": self.command,
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "at": time.monotonic(),
                        }
                    )
                    answer = server.script.pop(0) if server.script else server.default
                if answer.get("delay"):
                    time.sleep(answer["delay"])
                payload = answer.get("body", b"")
                if not isinstance(payload, bytes | str):
                    payload = json.dumps(payload)
                if isinstance(payload, str):
                    payload = payload.encode()
                try:
                    self.send_response(answer.get("status", 200))
                    self.send_header("Content-Type", "application/json")
                    for name, value in (answer.get("headers") or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = _answer

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()
