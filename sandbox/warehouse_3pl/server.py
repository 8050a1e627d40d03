"""SANDBOX 3PL warehouse over HTTP (standard library only). Not a real warehouse.

Partner endpoints (``Authorization: Bearer <api key>``):

- X12 profile: ``POST /x12`` (or a file in ``pickup_dir``) takes an
  interchange of 940s and 943s and answers with a 997 (a 997 sent to it marks
  the warehouse's own documents acknowledged); the warehouse's 945, 944, 846
  and 947 are pushed to the callback URL, dropped in ``drop_dir`` and kept for
  pull at
  ``GET /x12/outbox`` (list), ``GET /x12/outbox/<id>`` (the interchange) and
  ``DELETE /x12/outbox/<id>`` (picked up).
- JSON profile: ``POST /api/v1/orders``, ``PUT /api/v1/orders/<number>``,
  ``POST /api/v1/orders/<number>/cancel``, ``GET /api/v1/orders/<number>``,
  ``POST /api/v1/receipts``, ``GET /api/v1/receipts/<number>``,
  ``GET /api/v1/inventory`` (``/api/v1/inventory.csv``: as a CSV file);
  confirmations are webhooks to the callback URL,
  signed ``X-Warehouse-Signature: sha256=<hex HMAC-SHA256 of the raw body
  with the shared secret>`` (or, ``signature_style`` ``timestamped``, the
  suite gateway's ``X-Integration-Timestamp``/``X-Integration-Signature`` over
  ``"<unix seconds>." + body``), and can be pulled at ``GET /api/v1/events?after=N``.

Admin endpoints (no auth; a sandbox on loopback) under ``/_sandbox/``: see
the README next to this file.
"""

import hashlib
import hmac
import itertools
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from . import x12
from .warehouse import (
    DEFAULT_BEHAVIOURS,
    Refused,
    Warehouse,
    order_from_940,
    receipt_from_943,
    snapshot_csv,
)

_logger = logging.getLogger(__name__)

SANDBOX_API_KEY = "sandbox-api-key"
SANDBOX_SECRET = "sandbox-webhook-secret"
SIGNATURE_HEADER = "X-Warehouse-Signature"
EVENT_HEADER = "X-Warehouse-Event"
MAX_BODY = 5 * 1024 * 1024


# The suite's inbound gateway scheme: the timestamp is signed with the body,
# so a captured request cannot be replayed once its window closed.
TIMESTAMP_HEADER = "X-Integration-Timestamp"
TIMESTAMPED_SIGNATURE_HEADER = "X-Integration-Signature"
SIGNATURE_STYLES = ("body", "timestamped")


def sign(secret, body):
    """The signature header's value for ``body`` (bytes)."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def signature_headers(style, secret, body, now=None):
    """The headers signing ``body``: ``body`` style or ``timestamped`` style."""
    if style == "body":
        return {SIGNATURE_HEADER: sign(secret, body)}
    timestamp = str(int(time.time() if now is None else now))
    message = timestamp.encode() + b"." + body
    digest = hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
    return {
        TIMESTAMP_HEADER: timestamp,
        TIMESTAMPED_SIGNATURE_HEADER: f"sha256={digest}",
    }


class SandboxWarehouseServer:
    """The sandbox on a ThreadingHTTPServer; ``start()`` serves in a thread."""

    def __init__(
        self,
        host="127.0.0.1",
        port=0,
        *,
        profile="json",
        api_key=SANDBOX_API_KEY,
        secret=SANDBOX_SECRET,
        callback_url="",
        drop_dir="",
        pickup_dir="",
        signature_style="body",
    ):
        if profile not in ("x12", "json"):
            raise ValueError("profile is x12 or json")
        if signature_style not in SIGNATURE_STYLES:
            raise ValueError("signature_style is body or timestamped")
        self.config = {
            "profile": profile,
            "api_key": api_key,
            "secret": secret,
            "callback_url": callback_url,
            "drop_dir": drop_dir,
            "pickup_dir": pickup_dir,
            "signature_style": signature_style,
        }
        self.lock = threading.RLock()
        self.events = []  # every confirmation made available, in order
        self.held = []  # confirmations held back by late_confirmations
        self.deliveries = []  # push attempts: url, status or error
        self.acknowledged = set()  # our group control numbers a 997 accepted
        self.sequence = itertools.count(1)
        self.warehouse = Warehouse(self._deliver)
        handler = type("Handler", (_Handler,), {"sandbox": self})
        self.httpd = ThreadingHTTPServer((host, port), handler)
        self.httpd.daemon_threads = True
        self.thread = None
        self.stopping = threading.Event()
        self.poller = None

    @property
    def url(self):
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self):
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self._start_poller()
        return self

    def serve_forever(self):
        self._start_poller()
        self.httpd.serve_forever()

    def stop(self):
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.poller is not None:
            self.poller.join(timeout=5)

    # -- the folder profile: interchanges dropped in pickup_dir --------------------

    def _start_poller(self):
        self.poller = threading.Thread(target=self._poll, daemon=True)
        self.poller.start()

    def _poll(self):
        while not self.stopping.wait(0.2):
            folder = self.config["pickup_dir"]
            if folder:
                try:
                    self.pick_up(Path(folder))
                except OSError as error:  # a folder that vanished: try again
                    _logger.warning("pickup folder %s: %s", folder, error)

    def pick_up(self, folder):
        """Process every complete ``*.x12``/``*.edi`` file; how many.

        A file is taken by renaming it (so two pollers never take it twice),
        processed like ``POST /x12``, and moved to ``processed/``; its 997 is
        written to ``drop_dir`` (or next to it when there is none).
        """
        done = 0
        for path in sorted(folder.iterdir()):
            if not path.is_file() or path.suffix not in (".x12", ".edi"):
                continue
            taken = path.with_name(path.name + ".taken")
            try:
                path.rename(taken)
            except FileNotFoundError:
                continue
            archive = folder / "processed"
            archive.mkdir(exist_ok=True)
            try:
                answer = self.receive_x12(taken.read_bytes())
            except x12.X12Error as error:
                (archive / (path.name + ".error.txt")).write_text(str(error))
                answer = None
            taken.rename(archive / path.name)
            if answer is not None:
                out = Path(self.config["drop_dir"] or folder / "acknowledgements")
                out.mkdir(parents=True, exist_ok=True)
                name = f"997_{path.stem}.x12"
                (out / (name + ".part")).write_bytes(answer)
                (out / (name + ".part")).rename(out / name)
            done += 1
        return done

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def reset(self):
        with self.lock:
            self.events, self.held, self.deliveries = [], [], []
            self.acknowledged = set()
            self.warehouse.reset()

    # -- confirmations ----------------------------------------------------------

    def _deliver(self, event):
        behaviours = self.warehouse.behaviours
        with self.lock:
            event["id"] = f"evt_{next(self.sequence):06d}"
            event["created_at"] = datetime.now(timezone.utc).isoformat(
                timespec="seconds"
            )
            if behaviours["late_confirmations"]:
                self.held.append(event)
                return
        self._publish(event)

    def flush(self):
        """Publish the confirmations held back (late); how many."""
        with self.lock:
            held, self.held = self.held, []
        for event in held:
            self._publish(event)
        return len(held)

    def _publish(self, event):
        copies = 2 if self.warehouse.behaviours["duplicate_confirmations"] else 1
        for _copy in range(copies):
            with self.lock:
                record = dict(event, seq=len(self.events) + 1, picked_up=False)
                self.events.append(record)
            if event["profile"] == "x12" and self.config["drop_dir"]:
                folder = Path(self.config["drop_dir"])
                folder.mkdir(parents=True, exist_ok=True)
                name = f"{event['code']}_{record['seq']:06d}.x12"
                (folder / (name + ".part")).write_bytes(event["x12"])
                # Renamed when complete, so a collector never reads half a file.
                (folder / (name + ".part")).rename(folder / name)
            if self.config["callback_url"]:
                self._push(record)

    def webhook_body(self, record):
        return json.dumps(
            {
                "id": record["id"],
                "type": record["type"],
                "created_at": record["created_at"],
                "sandbox": True,
                "data": record["data"],
            },
            sort_keys=True,
        ).encode()

    def _push(self, record):
        if record["profile"] == "x12":
            body, content_type = record["x12"], "application/edi-x12"
        else:
            body, content_type = self.webhook_body(record), "application/json"
        request = urllib.request.Request(
            self.config["callback_url"],
            data=body,
            method="POST",
            headers={
                "Content-Type": content_type,
                **signature_headers(
                    self.config["signature_style"], self.config["secret"], body
                ),
                EVENT_HEADER: record["type"],
                "X-Warehouse-Event-Id": record["id"],
                # The same event delivered again carries the same key.
                "Idempotency-Key": record["id"],
            },
        )
        attempt = {"event": record["id"], "url": self.config["callback_url"]}
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                attempt["status"] = answer.status
                reply = answer.read(MAX_BODY)
            if record["profile"] == "x12" and reply.lstrip().startswith(b"ISA"):
                self._read_acknowledgement(reply)
        except urllib.error.HTTPError as error:
            attempt["status"] = error.code
        except OSError as error:  # refused, timed out: stays for pull
            attempt["error"] = str(error)
        with self.lock:
            self.deliveries.append(attempt)

    def _read_acknowledgement(self, data):
        try:
            _isa, sets = x12.parse(data)
        except x12.X12Error:
            return
        for read_set in sets:
            if read_set.code != "997":
                continue
            for segment in read_set.segments:
                if segment[0] == "AK1" and len(segment) > 2:
                    with self.lock:
                        self.acknowledged.add(segment[2])

    # -- the X12 profile ----------------------------------------------------------

    def receive_x12(self, data):
        """Process an interchange; the 997 interchange (bytes) or None."""
        isa, sets = x12.parse(data)
        answered = []
        for read_set in sets:
            if read_set.code == "997":
                for segment in read_set.segments:
                    if segment[0] == "AK1" and len(segment) > 2:
                        with self.lock:
                            self.acknowledged.add(segment[2])
                continue
            answered.append(read_set)
            if read_set.problems:
                continue
            try:
                if read_set.code == "940":
                    order = order_from_940(read_set)
                    if not read_set.problems:
                        self.warehouse.release(order, "x12")
                elif read_set.code == "943":
                    receipt = receipt_from_943(read_set)
                    if not read_set.problems:
                        self.warehouse.announce(receipt, "x12")
                else:
                    read_set.problems.append(f"{read_set.code} is not taken here")
            except Refused as refusal:
                if refusal.status == 422:  # the set's content is unusable
                    read_set.problems.append(str(refusal))
                # A 997 answers syntax; a refused release is reported in the
                # sandbox state (a real 3PL would call or send a note).
                _logger.info("refused %s: %s", read_set.code, refusal)
        if not answered:
            return None
        control = next(self.warehouse.interchange_counter)
        bodies = x12.acknowledgement(answered, isa)
        sender = isa[6].strip() or "DEPOSITOR"
        return x12.interchange(
            self.warehouse.sender,
            sender,
            control,
            [("997", f"{control:04d}", body) for body in bodies],
        )


def _json_default(value):
    return str(value)


class _Handler(BaseHTTPRequestHandler):
    sandbox = None  # set on the subclass
    protocol_version = "HTTP/1.1"
    server_version = "Sandbox3PL/1.0"

    def log_message(self, fmt, *args):
        _logger.debug("%s " + fmt, self.address_string(), *args)

    # -- plumbing ------------------------------------------------------------------

    def _send(self, status, body=b"", content_type="application/json", headers=()):
        if not isinstance(body, bytes):
            body = json.dumps(body, default=_json_default, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Sandbox", "SANDBOX 3PL warehouse - not a real warehouse")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _error(self, status, message):
        self._send(status, {"error": message})

    def _body(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length < 0:
            raise Refused("Content-Length is negative", 400)
        if length > MAX_BODY:
            raise Refused("the body is too large", 413)
        return self.rfile.read(length) if length else b""

    def _json(self):
        raw = self._body()
        try:
            value = json.loads(raw or b"{}")
        except ValueError as exc:
            raise Refused(f"the body is not JSON: {exc}", 400) from exc
        if not isinstance(value, dict):
            raise Refused("the body must be a JSON object", 400)
        return value

    def _partner_gate(self):
        """Auth, down and slow for partner endpoints; True when answered."""
        behaviours = self.sandbox.warehouse.behaviours
        if behaviours["down"]:
            self._body()
            self._send(
                503,
                {"error": "sandbox warehouse is down"},
                headers=[("Retry-After", "30")],
            )
            return True
        if behaviours["slow"]:
            time.sleep(float(behaviours["slow"]))
        expected = f"Bearer {self.sandbox.config['api_key']}"
        given = self.headers.get("Authorization") or ""
        if not hmac.compare_digest(given.encode(), expected.encode()):
            self._body()
            self._error(401, "missing or wrong API key")
            return True
        return False

    def _dispatch(self, method):
        path = urlsplit(self.path)
        # Split before decoding: an order number holding "/" (Odoo's
        # "WH/OUT/00001") travels as one %2F-encoded path segment.
        parts = [unquote(part) for part in path.path.split("/") if part]
        try:
            if parts[:1] == ["_sandbox"]:
                return self._admin(method, parts[1:])
            if path.path == "/health":
                return self._send(200, {"status": "ok", "sandbox": True})
            if parts[:1] in (["x12"], ["api"]):
                if self._partner_gate():
                    return None
                if parts[0] == "x12":
                    return self._x12(method, parts[1:])
                return self._api(method, parts[1:], parse_qs(path.query))
            return self._error(404, f"no route {method} {path.path}")
        except Refused as refusal:
            return self._error(refusal.status, str(refusal))
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # Shapes the checks above did not foresee (a list where an object
            # belongs...): the request is wrong, not the sandbox.
            return self._error(422, f"invalid request: {error!r}")

    def do_GET(self):
        self._dispatch("GET")

    def do_POST(self):
        self._dispatch("POST")

    def do_PUT(self):
        self._dispatch("PUT")

    def do_DELETE(self):
        self._dispatch("DELETE")

    # -- X12 -------------------------------------------------------------------------

    def _x12(self, method, parts):
        sandbox = self.sandbox
        if method == "POST" and not parts:
            try:
                answer = sandbox.receive_x12(self._body())
            except x12.X12Error as error:
                return self._send(400, str(error).encode(), "text/plain")
            if answer is None:
                return self._send(204)
            return self._send(200, answer, "application/edi-x12")
        if parts[:1] == ["outbox"]:
            with sandbox.lock:
                waiting = [
                    e
                    for e in sandbox.events
                    if e["profile"] == "x12" and not e["picked_up"]
                ]
            if method == "GET" and len(parts) == 1:
                return self._send(
                    200,
                    [
                        {
                            "id": f"{e['seq']:06d}",
                            "code": e["code"],
                            "type": e["type"],
                            "control_number": e["control_number"],
                            "created_at": e["created_at"],
                        }
                        for e in waiting
                    ],
                )
            if len(parts) == 2:
                match = [e for e in waiting if f"{e['seq']:06d}" == parts[1]]
                if not match:
                    return self._error(404, f"no document {parts[1]} in the outbox")
                if method == "GET":
                    return self._send(200, match[0]["x12"], "application/edi-x12")
                if method == "DELETE":
                    match[0]["picked_up"] = True
                    return self._send(204)
        return self._error(404, "no such X12 route")

    # -- JSON API ---------------------------------------------------------------------

    def _api(self, method, parts, query):
        warehouse = self.sandbox.warehouse
        if parts[:1] != ["v1"]:
            return self._error(404, "the API lives under /api/v1")
        parts = parts[1:]
        if parts == ["orders"] and method == "POST":
            order = self._json()
            known = order.get("number") in warehouse.orders
            record = warehouse.release(order, "json")
            return self._send(200 if known else 201, _public(record))
        if parts[:1] == ["orders"] and len(parts) >= 2:
            number = parts[1]
            if method == "GET" and len(parts) == 2:
                record = warehouse.orders.get(number)
                if record is None:
                    return self._error(404, f"order {number} is unknown")
                return self._send(200, _public(record))
            if method == "PUT" and len(parts) == 2:
                order = dict(self._json(), number=number, purpose="replace")
                if number not in warehouse.orders:
                    return self._error(404, f"order {number} is unknown")
                return self._send(200, _public(warehouse.release(order, "json")))
            if method == "POST" and parts[2:] == ["cancel"]:
                self._body()
                return self._send(200, _public(warehouse.cancel(number)))
        if parts == ["receipts"] and method == "POST":
            receipt = self._json()
            known = receipt.get("number") in warehouse.receipts
            record = warehouse.announce(receipt, "json")
            return self._send(200 if known else 201, _public(record))
        if parts[:1] == ["receipts"] and len(parts) == 2 and method == "GET":
            record = warehouse.receipts.get(parts[1])
            if record is None:
                return self._error(404, f"receipt {parts[1]} is unknown")
            return self._send(200, _public(record))
        if parts == ["inventory"] and method == "GET":
            return self._send(200, warehouse.state()["stock"])
        if parts == ["inventory.csv"] and method == "GET":
            report = warehouse.snapshot("full", publish=False)
            return self._send(200, snapshot_csv(report).encode(), "text/csv")
        if parts == ["events"] and method == "GET":
            try:
                after = int((query.get("after") or ["0"])[0])
            except ValueError:
                return self._error(400, "after must be a number")
            with self.sandbox.lock:
                events = [
                    {
                        "seq": e["seq"],
                        "id": e["id"],
                        "type": e["type"],
                        "created_at": e["created_at"],
                        "data": e["data"],
                    }
                    for e in self.sandbox.events
                    if e["profile"] == "json" and e["seq"] > after
                ]
                # The newest sequence it has, even when below ``after``:
                # how a client sees that the numbering started again.
                last = max(
                    (e["seq"] for e in self.sandbox.events if e["profile"] == "json"),
                    default=0,
                )
            return self._send(200, {"events": events, "last": last})
        return self._error(404, f"no route {method} /api/v1/{'/'.join(parts)}")

    # -- admin ----------------------------------------------------------------

    def _admin(self, method, parts):
        sandbox, warehouse = self.sandbox, self.sandbox.warehouse
        profile = sandbox.config["profile"]
        if parts == ["state"] and method == "GET":
            state = warehouse.state()
            with sandbox.lock:
                state.update(
                    config={k: v for k, v in sandbox.config.items() if k != "secret"},
                    held=len(sandbox.held),
                    deliveries=list(sandbox.deliveries),
                    acknowledged=sorted(sandbox.acknowledged),
                    events=[
                        {k: v for k, v in e.items() if k != "x12"}
                        for e in sandbox.events
                    ],
                )
            return self._send(200, state)
        if parts == ["behaviours"]:
            if method == "POST":
                changes = self._json()
                unknown = set(changes) - set(DEFAULT_BEHAVIOURS)
                if unknown:
                    return self._error(422, f"unknown behaviours {sorted(unknown)}")
                warehouse.behaviours.update(changes)
            return self._send(200, warehouse.behaviours)
        if method != "POST":
            return self._error(404, "admin endpoints take POST")
        if parts == ["config"]:
            changes = self._json()
            unknown = set(changes) - set(sandbox.config)
            if unknown:
                return self._error(422, f"unknown settings {sorted(unknown)}")
            if changes.get("profile", profile) not in ("x12", "json"):
                return self._error(422, "profile is x12 or json")
            style = changes.get("signature_style", "body")
            if style not in SIGNATURE_STYLES:
                return self._error(422, "signature_style is body or timestamped")
            sandbox.config.update(changes)
            return self._send(200, {"ok": True})
        if parts == ["reset"]:
            self._body()
            sandbox.reset()
            return self._send(200, {"ok": True})
        if parts == ["flush"]:
            self._body()
            return self._send(200, {"published": sandbox.flush()})
        if parts[:1] == ["ship"] and len(parts) == 2:
            self._body()
            return self._send(200, warehouse.ship(parts[1]))
        if parts[:1] == ["receive"] and len(parts) == 2:
            self._body()
            return self._send(200, warehouse.receive(parts[1]))
        if parts == ["snapshot"]:
            options = self._json()
            kind = options.get("snapshot") or "full"
            if kind not in ("full", "delta"):
                return self._error(422, "snapshot is full or delta")
            if options.get("format") == "csv":
                if not sandbox.config["drop_dir"]:
                    return self._error(422, "a CSV snapshot needs drop_dir")
                report = warehouse.snapshot(kind, publish=False)
                folder = Path(sandbox.config["drop_dir"])
                folder.mkdir(parents=True, exist_ok=True)
                name = f"inventory_{report['report_id']}.csv"
                (folder / (name + ".part")).write_text(snapshot_csv(report))
                (folder / (name + ".part")).rename(folder / name)
                return self._send(200, dict(report, file=name))
            return self._send(
                200, warehouse.snapshot(kind, options.get("profile") or profile)
            )
        if parts == ["adjust"]:
            entry = self._json()
            return self._send(
                200, warehouse.adjust(entry, entry.pop("profile", None) or profile)
            )
        if parts == ["stock"]:
            entries = self._json().get("stock") or []
            warehouse.set_stock(entries)
            return self._send(200, warehouse.state()["stock"])
        return self._error(404, f"no admin route {'/'.join(parts)}")


def _public(record):
    return {k: v for k, v in record.items() if k != "request"}
