"""Peers of the carrier tests: a real Karrio server and the sandbox LTL service.

One Karrio (gunicorn on a copy of the cached migrated database) and one sandbox
serve the whole session. Karrio's environment is built once by
``scripts/karrio_env.sh``; if it cannot be built (no network on the first run),
the Karrio tests are skipped with that reason.
"""

import importlib.util
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

ADDON_DIR = Path(__file__).resolve().parents[2] / "addons" / "distribution_carrier"
if str(ADDON_DIR) not in sys.path:
    sys.path.insert(0, str(ADDON_DIR))


def _load_test_module(name):
    # The peers live with the addon's Odoo tests; load them by path (the addon's
    # tests package imports Odoo) and register them so ``import <name>`` works.
    path = ADDON_DIR / "tests" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_karrio_peer = _load_test_module("karrio_peer")
_load_test_module("fault_proxy")
KarrioPeer = _karrio_peer.KarrioPeer
KarrioUnavailable = _karrio_peer.KarrioUnavailable
build_karrio_env = _karrio_peer.build_karrio_env

from carrier import Address, Parcel, ShipmentRequest  # noqa: E402
from carrier.sandbox_ltl import SandboxLtlServer  # noqa: E402


@pytest.fixture(scope="session")
def karrio():
    """A started :class:`KarrioPeer` (url, api_key, carrier_id, helpers)."""
    try:
        peer = KarrioPeer(build_karrio_env()).start()
    except KarrioUnavailable as exc:
        pytest.skip(f"Karrio peer unavailable: {exc}")
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture
def karrio_adapter(karrio):
    from carrier.karrio import KarrioAdapter

    with KarrioAdapter(
        karrio.url, karrio.api_key, carrier_ids=[karrio.carrier_id], timeout=(3, 20)
    ) as adapter:
        yield adapter


@pytest.fixture(scope="session")
def sandbox_server():
    server = SandboxLtlServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sandbox(sandbox_server):
    """The sandbox, reset (no shipments, up, fast) for each test."""
    requests.post(sandbox_server.url + "/_sandbox/reset", timeout=5).raise_for_status()
    return sandbox_server


@pytest.fixture
def make_request():
    """A ShipmentRequest Newark → Chicago; keyword arguments override fields."""

    def build(parcels=None, **overrides):
        values = dict(
            shipper=Address(
                name="Dock Manager",
                company="DIS Distribution",
                street="1 Dock Street",
                city="Newark",
                state_code="NJ",
                postal_code="07102",
                country_code="US",
                phone="+15555550100",
            ),
            recipient=Address(
                name="Jane Doe",
                street="2 Main Street",
                city="Chicago",
                state_code="IL",
                postal_code="60601",
                country_code="US",
                phone="+15555550199",
            ),
            parcels=parcels
            or [Parcel(weight_kg=2.5, length_cm=30, width_cm=20, height_cm=10)],
            service_code="standard_service",
        )
        values.update(overrides)
        return ShipmentRequest(**values)

    return build


class _Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.condition:
            self.server.deliveries.append((dict(self.headers), body))
            self.server.condition.notify_all()
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler API
        pass


class WebhookReceiver:
    """A tiny HTTP server that records every POST (headers, body)."""

    def __init__(self):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Receiver)
        self.httpd.daemon_threads = True
        self.httpd.deliveries = []
        self.httpd.condition = threading.Condition()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/karrio-webhook"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def deliveries(self):
        return list(self.httpd.deliveries)

    def wait_for(self, predicate, timeout=15):
        """The first delivery whose decoded JSON body satisfies ``predicate``."""

        def found():
            for headers, body in self.httpd.deliveries:
                if predicate(json.loads(body)):
                    return headers, body
            return None

        with self.httpd.condition:
            self.httpd.condition.wait_for(found, timeout=timeout)
            result = found()
        if result is None:
            events = [json.loads(body).get("event") for _h, body in self.deliveries]
            raise AssertionError(f"no matching webhook delivery; got {events}")
        return result

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def webhook_receiver():
    receiver = WebhookReceiver()
    try:
        yield receiver
    finally:
        receiver.stop()
