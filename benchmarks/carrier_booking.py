"""Carrier booking: N pickings booked through the kernel against a real Karrio,
versus the same N shipments bought by a plain script with the same adapter, in the
same run; and the rate-request latency the suite adds.

Booking. Baseline: a plain Python script calling Karrio's REST API with
``KarrioAdapter.ship`` (the carrier channel's own client), on ``--workers``
threads, each with its own HTTP session. Measured: N outgoing pickings validated
in one transaction (each queues a ``carrier-book`` kernel message); the real
queue_job runner of a multi-worker Odoo server, on an endpoint job channel of
capacity ``--workers``, books them and stores the labels (default 2 on both
sides, like the governance benchmark; ``--workers 1`` is an endpoint's default
capacity, sequential). Karrio runs from the tests' cached environment on a
PostgreSQL database of its own, migrated in the same run: on SQLite (the tests'
peer, ``--karrio-db sqlite``) it answers concurrent purchases with HTTP 500
"database is locked", so that peer is for ``--workers 1`` only.
Both sides send the same ShipmentRequests (dumped from the pickings before
validation, checked against the booking messages' payloads afterwards); the
baseline's idempotency keys and parcel references get a prefix so Karrio keeps
the two sets apart, and both sides make the adapter's idempotency look-up
before buying. Suite time runs from the commit of the validating transaction
(jobs queued) to the last booking job done (labels stored, queue_job's own
``date_done``). Target: direct time / suite time >= 0.8x.

Rate latency: ``delivery.carrier.rate_shipment`` on a draft sale order, called
in-process in ``odoo shell`` with the ORM cache cleared before every call (as a
fresh request would start), against ``KarrioAdapter.rate`` on the same request
from the same process, interleaved call by call so both see the same noise.
In-process isolates what the suite adds (request building, credential
decryption, quote filtering, currency conversion, Odoo's margins); a JSON-RPC
round trip would add Odoo's web stack, which every RPC pays whatever it calls.

    python benchmarks/carrier_booking.py [--n 200] [--workers 2] [--rates 200]
    python benchmarks/carrier_booking.py --workers 1 [--karrio-db sqlite]
"""

import argparse
import concurrent.futures
import getpass
import importlib.util
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

from odoo_bench import REPO, BenchEnvironment, ensure_odoo_python, machine_line

ensure_odoo_python()

from tests.integration.odoo_server import OdooServer  # noqa: E402

ADDON = REPO / "addons" / "distribution_carrier"
sys.path.insert(0, str(ADDON))  # the adapters are plain Python: import as `carrier`

from carrier.codec import request_from_dict  # noqa: E402
from carrier.karrio import KarrioAdapter  # noqa: E402

ENDPOINT_CODE = "karrio-bench"
SERVICE = "standard_service"


def load_karrio_peer():
    """The carrier tests' Karrio peer, loaded by path (its package imports Odoo)."""
    spec = importlib.util.spec_from_file_location(
        "karrio_peer", ADDON / "tests" / "karrio_peer.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


karrio_peer = load_karrio_peer()


class PostgresKarrioPeer(karrio_peer.KarrioPeer):
    """The tests' Karrio peer on a PostgreSQL database of its own.

    On SQLite, Karrio answers concurrent purchases with HTTP 500 "database is
    locked"; on PostgreSQL (its production setup) it takes them in parallel.
    :meth:`prepare` creates and migrates the database (about 40 s here) in the
    background, so it can overlap the Odoo install; :meth:`stop` drops it.
    """

    def __init__(self, database, **kwargs):
        super().__init__(**kwargs)
        self.database = database
        self._migration = None

    def _environ(self):
        environ = super()._environ()
        environ.update(
            DATABASE_ENGINE="postgresql",
            DATABASE_NAME=self.database,
            DATABASE_HOST=os.environ.get("PGHOST", "/var/run/postgresql"),
            DATABASE_PORT=os.environ.get("PGPORT", "5432"),
            DATABASE_USERNAME=os.environ.get("PGUSER", getpass.getuser()),
            DATABASE_PASSWORD=os.environ.get("PGPASSWORD", ""),
        )
        return environ

    def prepare(self):
        subprocess.run(["createdb", self.database], check=True)
        self.work_dir = tempfile.mkdtemp(prefix="dis-karrio-migrate-")
        self._migration = subprocess.Popen(
            [self.env["KARRIO_BIN"], "migrate", "--noinput"],
            env=self._environ(),
            cwd=self.work_dir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def start(self, timeout=60):
        _out, error = self._migration.communicate(timeout=600)
        shutil.rmtree(self.work_dir, ignore_errors=True)
        if self._migration.returncode:
            raise karrio_peer.KarrioUnavailable(
                f"karrio migrate failed: {error.decode(errors='replace')[-2000:]}"
            )
        return super().start(timeout)

    def stop(self):
        if self._migration is not None and self._migration.poll() is None:
            self._migration.kill()
            self._migration.wait()
        super().stop()
        subprocess.run(["dropdb", "--if-exists", self.database], check=False)


# The carrier tests' set-up (tests/common.py): a Newark warehouse shipping to
# Chicago, a Karrio account on a kernel endpoint, a rate-and-ship method.
SETUP = """
import json
from odoo import Command
from odoo.addons.distribution_carrier.carrier.codec import request_to_dict

env = env(context=dict(env.context, tracking_disable=True))
company = env.company
us = env.ref("base.us")
company.partner_id.write({{
    "street": "1 Dock Street", "city": "Newark", "zip": "07102",
    "state_id": env.ref("base.state_us_25").id, "country_id": us.id,
    "phone": "+15555550100"}})
company.stock_move_sms_validation = False  # no "send an SMS?" wizard on validation
warehouse = env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
warehouse.partner_id = company.partner_id
customer = env["res.partner"].create({{
    "name": "Jane Doe", "street": "2 Main Street", "city": "Chicago", "zip": "60601",
    "state_id": env.ref("base.state_us_14").id, "country_id": us.id,
    "phone": "+15555550199", "email": "jane@example.com"}})
product = env["product.product"].create(
    {{"name": "Bracket box", "is_storable": True, "weight": 2.5}})
env["stock.quant"]._update_available_quantity(
    product, warehouse.lot_stock_id, {count} + 10)
delivery_product = env["product.product"].create(
    {{"name": "Carrier delivery", "type": "service", "list_price": 0.0}})
endpoint = env["integration.endpoint"].create({{
    "name": "Karrio bench", "code": {code!r}, "kind": "carrier",
    "base_url": {url!r}, "connect_timeout": 5.0, "read_timeout": 30.0,
    "job_channel_capacity": {workers}}})
token = env["integration.credential"].create({{
    "name": "Karrio token", "endpoint_id": endpoint.id, "kind": "api_key",
    "header_name": "Authorization", "secret": {api_key!r}}})
account = env["carrier.account"].create({{
    "name": "Karrio bench", "endpoint_id": endpoint.id,
    "credential_id": token.id, "karrio_carrier_ids": {carrier_id!r},
    "label_format": "PDF", "rate_timeout": 5.0}})
method = env["delivery.carrier"].create({{
    "name": "Karrio standard", "delivery_type": "karrio",
    "integration_level": "rate_and_ship", "product_id": delivery_product.id,
    "carrier_account_id": account.id, "carrier_service_code": {service!r}}})
order = env["sale.order"].create({{
    "partner_id": customer.id,
    "order_line": [
        Command.create({{"product_id": product.id, "product_uom_qty": 2}})]}})

out_type = warehouse.out_type_id
source = out_type.default_location_src_id
destination = env.ref("stock.stock_location_customers")
pickings = env["stock.picking"].create([{{
    "picking_type_id": out_type.id, "partner_id": customer.id,
    "carrier_id": method.id, "origin": "BENCH-%04d" % index,
    "location_id": source.id, "location_dest_id": destination.id,
    "move_ids": [Command.create({{
        "name": product.name, "product_id": product.id, "product_uom_qty": 1,
        "product_uom": product.uom_id.id, "location_id": source.id,
        "location_dest_id": destination.id}})],
}} for index in range({count})])
pickings.action_confirm()
pickings.action_assign()
pickings.move_line_ids.write({{"quantity": 1, "picked": True}})
assert all(p.state == "assigned" for p in pickings), "pickings not reserved"
with open({requests_path!r}, "w") as handle:
    json.dump([request_to_dict(p._carrier_request()) for p in pickings], handle)
print("RESULT:", json.dumps({{
    "pickings": pickings.ids, "order": order.id, "method": method.id}}))
"""

RATES = """
import json, time
from odoo.addons.distribution_carrier.carrier.karrio import KarrioAdapter

order = env["sale.order"].browse({order})
method = env["delivery.carrier"].browse({method})
request = method._carrier_order_request(order)
direct = KarrioAdapter({url!r}, {api_key!r}, carrier_ids=[{carrier_id!r}],
                       timeout=(5.0, 5.0))
prices = set()


def suite():
    env.invalidate_all()  # a real request starts with an empty cache
    started = time.perf_counter()
    result = method.rate_shipment(order)
    elapsed = time.perf_counter() - started
    assert result["success"], result
    prices.add(("suite", round(result["price"], 2)))
    return elapsed


def plain():
    started = time.perf_counter()
    quotes = direct.rate(request)
    elapsed = time.perf_counter() - started
    quote = min((q for q in quotes if q.service_code == {service!r}),
                key=lambda q: q.amount)
    prices.add(("direct", round(quote.amount, 2)))
    return elapsed


for _warm in range(10):
    suite(), plain()
timings = {{"suite": [], "direct": []}}
for index in range({count}):
    # Alternate who goes first so neither always follows the other.
    pair = (("suite", suite), ("direct", plain))
    for name, call in pair if index % 2 == 0 else pair[::-1]:
        timings[name].append(call())
direct.close()
print("RESULT:", json.dumps({{"timings": timings, "prices": sorted(prices)}}))
"""

VALIDATE = """
import json, time
pickings = env["stock.picking"].browse({pickings})
started = time.perf_counter()
result = pickings.button_validate()
assert result is True, result
queued = pickings.filtered(lambda p: p.carrier_booking_state == "queued")
assert len(queued) == len(pickings), f"{{len(queued)}} of {{len(pickings)}} queued"
env.cr.commit()
print("RESULT:", json.dumps({{
    "committed_at": time.time(), "seconds": time.perf_counter() - started}}))
"""

CHECK_PAYLOADS = """
import json
with open({requests_path!r}) as handle:
    expected = json.load(handle)
pickings = env["stock.picking"].browse({pickings})
same = sum(
    json.loads(picking.carrier_booking_message_id._get_payload()) == request
    for picking, request in zip(pickings, expected)
)
print("RESULT:", same)
"""


def percentile(values, fraction):
    """Nearest-rank percentile (p99 of 200 values is the 198th smallest)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def direct_requests(requests_path):
    """The pickings' requests, with keys and parcel references of their own."""
    with open(requests_path) as handle:
        dumped = json.load(handle)
    requests = []
    for data in dumped:
        data["idempotency_key"] = "direct-" + data["idempotency_key"]
        for parcel in data["parcels"]:
            parcel["reference"] = "D" + parcel["reference"]
        requests.append(request_from_dict(data))
    return requests


def book_direct(peer, requests, workers):
    """Buy every shipment with KarrioAdapter.ship on ``workers`` threads."""
    local = threading.local()
    adapters = []

    def ship(request):
        if not hasattr(local, "adapter"):
            local.adapter = KarrioAdapter(
                peer.url, peer.api_key, carrier_ids=[peer.carrier_id]
            )
            adapters.append(local.adapter)
        started = time.perf_counter()
        result = local.adapter.ship(request)
        assert result.label and result.tracking_numbers, result
        return time.perf_counter() - started

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        latencies = list(pool.map(ship, requests))
    elapsed = time.perf_counter() - started
    for adapter in adapters:
        adapter.close()
    return elapsed, latencies


def book_suite(env, picking_ids, timeout):
    """Validate the pickings (queues the bookings); wait for every label."""
    since = int(env.sql("SELECT coalesce(max(id), 0) FROM queue_job"))
    (line,) = env.shell(VALIDATE.format(pickings=picking_ids))
    validated = json.loads(line)
    ids = ",".join(map(str, picking_ids))
    jobs = f"FROM queue_job WHERE id > {since} AND model_name = 'integration.message'"
    deadline = time.monotonic() + timeout
    while True:
        booked = int(
            env.sql(
                f"SELECT count(*) FROM stock_picking WHERE id IN ({ids}) "
                "AND carrier_booking_state = 'booked'"
            )
        )
        failed = env.sql(
            "SELECT count(*) FROM integration_message WHERE res_model = "
            f"'stock.picking' AND res_id IN ({ids}) AND state = 'dead'"
        )
        if int(failed or 0):
            raise SystemExit(f"{failed} booking messages failed: see the server log")
        if booked == len(picking_ids):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"only {booked} of {len(picking_ids)} booked in time")
        time.sleep(0.25)
    first_started, last_done, mean_job, retries = (
        float(value)
        for value in env.sql(
            "SELECT extract(epoch FROM min(date_started)), "
            "extract(epoch FROM max(date_done)), "
            "extract(epoch FROM avg(date_done - date_started)), "
            f"sum(retry - 1) {jobs}"
        ).split("|")
    )
    labels = int(
        env.sql(
            "SELECT count(*) FROM ir_attachment WHERE res_model = 'stock.picking' "
            f"AND res_id IN ({ids}) AND name LIKE 'LabelShipping-%'"
        )
    )
    assert labels >= len(picking_ids), f"only {labels} labels stored"
    return {
        "validate": validated["seconds"],
        "elapsed": last_done - validated["committed_at"],
        "pickup": first_started - validated["committed_at"],
        "mean_job": mean_job,
        "retries": int(retries),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200, help="pickings (shipments)")
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="endpoint channel capacity = baseline threads",
    )
    parser.add_argument("--rates", type=int, default=200, help="rate calls per side")
    parser.add_argument("--karrio-workers", type=int, default=2)
    parser.add_argument(
        "--karrio-db",
        choices=("postgres", "sqlite"),
        default="postgres",
        help="Karrio's database (sqlite: the tests' peer, sequential only)",
    )
    parser.add_argument(
        "--warmup", type=int, default=4, help="untimed bookings first, each side"
    )
    args = parser.parse_args()
    if args.karrio_db == "sqlite" and args.workers > 1:
        parser.error("Karrio on SQLite refuses concurrent purchases: --workers 1")
    print(machine_line())
    # Karrio throttles each user to 600 calls a minute (300 for carrier calls)
    # by default; a booking is two calls (idempotency look-up, purchase), so
    # both sides would hit 429s. The peer inherits these from our environment.
    os.environ.setdefault("USER_RATE_LIMIT", "100000/minute")
    os.environ.setdefault("CARRIER_REQUEST_RATE_LIMIT", "100000/minute")
    channels = (
        f"root:{args.workers},root.integration:{args.workers},"
        f"root.integration.{ENDPOINT_CODE}:{args.workers}"
    )
    bench = BenchEnvironment(["distribution_carrier", "sale_stock"], channels=channels)
    bench.db = f"dis_bench_carrier_{int(time.time())}"
    odoo_workers = max(2, args.workers)
    if args.karrio_db == "postgres":
        peer = PostgresKarrioPeer(f"{bench.db}_karrio", workers=args.karrio_workers)
        peer.prepare()
    else:
        peer = karrio_peer.KarrioPeer(workers=args.karrio_workers)
    try:
        with bench as env:
            peer.start()
            print(
                f"# Karrio {peer.env.get('KARRIO_VERSION')} on {args.karrio_db} "
                f"at {peer.url}"
            )
            results = measure(env, peer, args, channels, odoo_workers)
    finally:
        peer.stop()
    report(args, odoo_workers, *results)


def measure(env, peer, args, channels, odoo_workers):
    """Rates, then the direct side, then the suite; return what report prints."""
    requests_path = str(env.work_dir / "requests.json")
    values = dict(
        url=peer.url,
        api_key=peer.api_key,
        carrier_id=peer.carrier_id,
        service=SERVICE,
        code=ENDPOINT_CODE,
        workers=args.workers,
    )
    (setup,) = env.shell(
        SETUP.format(count=args.n + args.warmup, requests_path=requests_path, **values)
    )
    setup = json.loads(setup)

    (rates,) = env.shell(
        RATES.format(
            order=setup["order"],
            method=setup["method"],
            count=args.rates,
            **values,
        )
    )
    rates = json.loads(rates)

    # A few bookings first on each side, untimed: Karrio's workers, Odoo's
    # workers (each loads the registry on its first request) and the
    # connections are then warm, and the timed part measures steady state.
    requests = direct_requests(requests_path)
    book_direct(peer, requests[: args.warmup], args.workers)
    direct_elapsed, latencies = book_direct(peer, requests[args.warmup :], args.workers)
    pickings = setup["pickings"]
    with OdooServer(
        env.python, env.config, env.db, workers=odoo_workers, channels=channels
    ):
        book_suite(env, pickings[: args.warmup], timeout=300)
        suite = book_suite(env, pickings[args.warmup :], timeout=max(600, 5 * args.n))
    (same,) = env.shell(
        CHECK_PAYLOADS.format(pickings=setup["pickings"], requests_path=requests_path)
    )
    assert int(same) == len(pickings), f"{same} payloads match the baseline's"
    return direct_elapsed, latencies, suite, rates


def report(args, odoo_workers, direct_elapsed, latencies, suite, rates):
    print(
        f"baseline: plain script, KarrioAdapter.ship on {args.workers} threads; "
        f"suite: {odoo_workers} Odoo workers, channel capacity {args.workers}; "
        f"Karrio: {args.karrio_workers} gunicorn workers; N={args.n}"
    )
    print(
        f"   direct: {direct_elapsed:6.1f} s, {args.n / direct_elapsed:5.2f} "
        f"shipments/s, {statistics.mean(latencies) * 1000:5.0f} ms/ship"
    )
    print(
        f"    suite: {suite['elapsed']:6.1f} s, {args.n / suite['elapsed']:5.2f} "
        f"shipments/s, {suite['mean_job'] * 1000:5.0f} ms/job in the worker, "
        f"first job started {suite['pickup']:.2f} s after the commit, "
        f"{suite['retries']} retries; "
        f"validating {args.n} pickings took {suite['validate']:.1f} s "
        f"({suite['validate'] * 1000 / args.n:.0f} ms each, not counted)"
    )
    print(
        f"suite/direct booking throughput: {direct_elapsed / suite['elapsed']:.2f}x "
        "(target >= 0.8x)"
    )
    timings = rates["timings"]
    summary = {
        name: (
            percentile(timings[name], 0.5) * 1000,
            percentile(timings[name], 0.99) * 1000,
        )
        for name in ("direct", "suite")
    }
    for name in ("direct", "suite"):
        p50, p99 = summary[name]
        print(f"rate {name:>6}: p50 {p50:6.1f} ms, p99 {p99:6.1f} ms")
    print(
        f"rate added by the suite ({args.rates} calls each, interleaved): "
        f"p50 +{summary['suite'][0] - summary['direct'][0]:.1f} ms, "
        f"p99 +{summary['suite'][1] - summary['direct'][1]:.1f} ms "
        f"(prices {rates['prices']})"
    )


if __name__ == "__main__":
    main()
