"""3PL release throughput (issue 10, P4): ready deliveries released through the
kernel per second, against the same 940s written and sent without it, in the
same run.

Suite: N ready deliveries of a 3PL warehouse released in one transaction
(``stock.picking._tpl_release``: the 940 order dict of each delivery, one kernel
message and one queue_job job each), committed; then the real queue_job runner
of a 2-worker Odoo server runs the jobs on the endpoint's job channel (capacity
``--workers``): each writes the 940 with the EDI codec (envelope and control
numbers from the interchange profile), POSTs it to the sandbox warehouse, reads
its 997, marks the delivery released and records the 945 expectation. Time:
the release transaction plus commit → last job done (queue_job's own
``date_done``).

Baseline ("direct"): the same deliveries turned into the same order dicts by the
same ORM method (``_tpl_order``) in one process, timed; then a plain script
writes each 940 with the same codec and envelope parameters and POSTs it to the
sandbox, on ``--workers`` threads with an HTTP session each, and reads the 997
for rejections. No message, no job, no state on the delivery.

The sandbox warehouse (``python -m sandbox.warehouse_3pl``) runs as a process of
its own, one per side, so neither side sees the other's orders; both sides'
documents are compared (the suite's 940 payloads must equal the baseline's
order dicts). A few untimed releases on each side warm up workers and
connections first.

    python benchmarks/tpl_release.py [--n 300] [--workers 2] [--warmup 4]
    python benchmarks/tpl_release.py --database DB --config odoo.conf  # reuse
"""

import argparse
import concurrent.futures
import json
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from odoo_bench import REPO, BenchEnvironment, ensure_odoo_python, machine_line

ensure_odoo_python()

import requests  # noqa: E402

from tests.integration.odoo_server import OdooServer, free_port  # noqa: E402
from tests.integration.odoo_shell import odoo_shell  # noqa: E402

sys.path.insert(0, str(REPO / "addons" / "distribution_edi"))  # the plain codec

from edi import warehouse  # noqa: E402
from edi.writer import X12Envelope, write_x12  # noqa: E402

ENDPOINT_CODE = "tpl-bench"
API_KEY = "sandbox-api-key"
OUR_ID, PARTNER_ID = "BENCHDEPOSIT", "SANDBOX3PL"

SETUP = """
import json, time
env = env(context=dict(env.context, tracking_disable=True))
run = {run!r}
identity = {{
    "dialect": "X12", "x12_version": "004010", "our_qualifier": "ZZ",
    "our_interchange_id": {our_id!r}, "partner_qualifier": "ZZ",
    "partner_interchange_id": {partner_id!r}}}
profiles = env["edi.interchange.profile"]
profile = profiles.search(  # a reused database has it from an earlier run
    [(key, "=", value) for key, value in identity.items()], limit=1
) or profiles.create(identity)
endpoint = env["integration.endpoint"].create({{
    "name": "3PL bench " + run, "code": {code!r} + "-" + run, "kind": "warehouse_3pl",
    "protocol": "edi_http", "environment": "test", "base_url": {url!r},
    "connect_timeout": 5.0, "read_timeout": 30.0,
    "job_channel_capacity": {workers}}})
credential = env["integration.credential"].create({{
    "name": "Sandbox key", "endpoint_id": endpoint.id, "kind": "api_key",
    "header_name": "Authorization", "secret": "Bearer " + {api_key!r}}})
warehouse = env["stock.warehouse"].create(
    {{"name": "3PL bench " + run, "code": "B" + run[:4]}})
env["tpl.warehouse.account"].create({{
    "name": "3PL bench " + run, "endpoint_id": endpoint.id,
    "credential_id": credential.id, "warehouse_id": warehouse.id,
    "interchange_profile_id": profile.id}})
customer = env["res.partner"].create({{
    "name": "Bench customer", "street": "1 Dock Rd", "city": "Austin",
    "zip": "73301", "country_id": env.ref("base.us").id}})
products = env["product.product"].create([
    {{"name": "Bench item %d" % index, "default_code": "BENCH-%s-%d" % (run, index),
      "is_storable": True}} for index in range(3)])
stock = warehouse.lot_stock_id
for product in products:
    env["stock.quant"]._update_available_quantity(product, stock, 10 * {count})
customers = env.ref("stock.stock_location_customers")
pickings = env["stock.picking"].create([{{
    "picking_type_id": warehouse.out_type_id.id, "partner_id": customer.id,
    "origin": "SO-BENCH-%05d" % index,
    "move_ids": [(0, 0, {{
        "name": product.name, "product_id": product.id,
        "product_uom_qty": 1 + line, "product_uom": product.uom_id.id,
        "location_id": stock.id, "location_dest_id": customers.id,
    }}) for line, product in enumerate(products)],
}} for index in range({count})])
pickings.action_confirm()
pickings.action_assign()
assert all(p.state == "assigned" for p in pickings), "deliveries not reserved"
account = pickings[0].tpl_account_id
assert account, "no 3PL account found for the bench warehouse"
env.cr.commit()
# The baseline's input, built as the release builds it (timed: the baseline
# pays for reading the deliveries too).
env.invalidate_all()
started = time.perf_counter()
orders = [p._tpl_order(account, "original") for p in pickings]
built = time.perf_counter() - started
with open({orders_path!r}, "w") as handle:
    json.dump(orders, handle)
print("RESULT:", json.dumps({{
    "pickings": pickings.ids, "endpoint": endpoint.id, "code": endpoint.code,
    "build_seconds": built}}))
"""

RELEASE = """
import json, time
pickings = env["stock.picking"].browse({pickings})
env.invalidate_all()
started = time.perf_counter()
messages = pickings._tpl_release()
env.cr.commit()
print("RESULT:", json.dumps({{
    "seconds": time.perf_counter() - started, "committed_at": time.time(),
    "messages": len(messages)}}))
"""

CHECK = """
import json
pickings = env["stock.picking"].browse({pickings})
with open({orders_path!r}) as handle:
    orders = {{order["number"]: order for order in json.load(handle)}}
same = 0
for message in env["integration.message"].search([
        ("res_model", "=", "stock.picking"), ("res_id", "in", pickings.ids),
        ("flow_id.code", "=", "tpl-940-out")]):
    payload = json.loads(message._get_payload())
    same += payload == orders[payload["number"]]
print("RESULT:", same)
"""


class SandboxProcess:
    """``python -m sandbox.warehouse_3pl`` on a free port, a process of its own."""

    def __init__(self, python):
        self.python = python
        self.port = free_port()
        self.process = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        self.process = subprocess.Popen(
            [self.python, "-m", "sandbox.warehouse_3pl", "--port", str(self.port),
             "--profile", "x12", "--api-key", API_KEY],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2):
                    return self
            except OSError:
                time.sleep(0.2)
        raise SystemExit("the sandbox warehouse did not start")

    def __exit__(self, *exc_info):
        self.process.terminate()
        self.process.wait(10)

    def orders(self):
        with urllib.request.urlopen(self.url + "/_sandbox/state", timeout=30) as answer:
            return json.loads(answer.read())["orders"]


@dataclass
class ExistingDatabase:
    """An installed database given with --database/--config (nothing dropped)."""

    python: str
    config: str
    db: str
    work_dir: Path

    def shell(self, code):
        return odoo_shell(self, code)

    def sql(self, query):
        return subprocess.run(
            ["psql", "-d", self.db, "-Atc", query],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()


def send_direct(url, orders, workers, first_control):
    """Write and POST each 940 on ``workers`` threads; elapsed s, latencies."""
    local = threading.local()
    sessions = []
    counter = iter(range(first_control, first_control + 10 * len(orders) + 10))
    lock = threading.Lock()

    def numbers():
        with lock:
            return next(counter), next(counter), next(counter)

    def send(order):
        if not hasattr(local, "session"):
            local.session = requests.Session()
            sessions.append(local.session)
        started = time.perf_counter()
        interchange, group, transaction = numbers()
        envelope = X12Envelope(
            sender_id=OUR_ID,
            receiver_id=PARTNER_ID,
            control_number=interchange,
            group_control_number=group,
            test=True,
        )
        data = write_x12(
            envelope,
            [warehouse.shipping_order_set(order, str(transaction).zfill(4))],
        )
        answer = local.session.post(
            f"{url}/x12",
            data=data,
            headers={
                "Content-Type": "application/edi-x12",
                "Authorization": f"Bearer {API_KEY}",
            },
            timeout=(5, 30),
        )
        answer.raise_for_status()
        assert b"AK5*R" not in answer.content, answer.content
        return time.perf_counter() - started

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        latencies = list(pool.map(send, orders))
    elapsed = time.perf_counter() - started
    for session in sessions:
        session.close()
    return elapsed, latencies


def release_suite(env, picking_ids, timeout):
    """Release the deliveries (queues the 940s); wait for every one to be sent."""
    since = int(env.sql("SELECT coalesce(max(id), 0) FROM queue_job"))
    (line,) = env.shell(RELEASE.format(pickings=picking_ids))
    released = json.loads(line)
    assert released["messages"] == len(picking_ids), released
    ids = ",".join(map(str, picking_ids))
    deadline = time.monotonic() + timeout
    while True:
        done = int(
            env.sql(
                f"SELECT count(*) FROM stock_picking WHERE id IN ({ids}) "
                "AND tpl_release_state = 'released'"
            )
        )
        dead = int(
            env.sql(
                "SELECT count(*) FROM integration_message WHERE res_model = "
                f"'stock.picking' AND res_id IN ({ids}) AND state = 'dead'"
            )
            or 0
        )
        if dead:
            raise SystemExit(f"{dead} release messages failed: see the server log")
        if done == len(picking_ids):
            break
        if time.monotonic() > deadline:
            raise SystemExit(f"only {done} of {len(picking_ids)} released in time")
        time.sleep(0.25)
    jobs = f"FROM queue_job WHERE id > {since} AND model_name = 'integration.message'"
    first_started, last_done, mean_job, retries = (
        float(value)
        for value in env.sql(
            "SELECT extract(epoch FROM min(date_started)), "
            "extract(epoch FROM max(date_done)), "
            "extract(epoch FROM avg(date_done - date_started)), "
            f"sum(retry - 1) {jobs}"
        ).split("|")
    )
    return {
        "release": released["seconds"],
        "processing": last_done - released["committed_at"],
        "elapsed": released["seconds"] + last_done - released["committed_at"],
        "pickup": first_started - released["committed_at"],
        "mean_job": mean_job,
        "retries": int(retries),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=300, help="deliveries released")
    parser.add_argument(
        "--workers", type=int, default=2, help="channel capacity = baseline threads"
    )
    parser.add_argument("--warmup", type=int, default=4, help="untimed, each side")
    parser.add_argument("--database", help="an installed database to reuse")
    parser.add_argument("--config", help="its Odoo configuration file")
    args = parser.parse_args()
    if bool(args.database) != bool(args.config):
        parser.error("--database and --config go together")
    print(machine_line())
    run = time.strftime("%H%M%S")
    channels = (
        f"root:{args.workers},root.integration:{args.workers},"
        f"root.integration.{ENDPOINT_CODE}-{run}:{args.workers}"
    )
    if args.database:
        import tempfile

        env = ExistingDatabase(
            sys.executable,
            args.config,
            args.database,
            Path(tempfile.mkdtemp(prefix="dis-bench-")),
        )
        results = measure(env, args, run, channels)
    else:
        with BenchEnvironment(["distribution_3pl"], channels=channels) as env:
            results = measure(env, args, run, channels)
    report(args, *results)


def measure(env, args, run, channels):
    orders_path = str(env.work_dir / "orders.json")
    count = args.n + args.warmup
    with (
        SandboxProcess(env.python) as direct_sandbox,
        SandboxProcess(env.python) as suite_sandbox,
    ):
        (setup,) = env.shell(
            SETUP.format(
                run=run,
                our_id=OUR_ID,
                partner_id=PARTNER_ID,
                code=ENDPOINT_CODE,
                url=suite_sandbox.url,
                workers=args.workers,
                api_key=API_KEY,
                count=count,
                orders_path=orders_path,
            )
        )
        setup = json.loads(setup)
        orders = json.loads(Path(orders_path).read_text())
        send_direct(direct_sandbox.url, orders[: args.warmup], args.workers, 1)
        direct_elapsed, latencies = send_direct(
            direct_sandbox.url, orders[args.warmup :], args.workers, 1000
        )
        assert len(direct_sandbox.orders()) == count
        build = setup["build_seconds"] * args.n / count
        pickings = setup["pickings"]
        with OdooServer(env.python, env.config, env.db, workers=2, channels=channels):
            release_suite(env, pickings[: args.warmup], timeout=300)
            suite = release_suite(
                env, pickings[args.warmup :], timeout=max(600, 5 * args.n)
            )
        assert len(suite_sandbox.orders()) == count
    (same,) = env.shell(CHECK.format(pickings=pickings, orders_path=orders_path))
    assert int(same) == count, f"only {same} of {count} 940 payloads match"
    return build, direct_elapsed, latencies, suite


def report(args, build, direct_elapsed, latencies, suite):
    n = args.n
    direct = build + direct_elapsed
    print(
        f"N={n} deliveries (3 lines each); baseline: _tpl_order in one process, "
        f"then codec + POST on {args.workers} threads; suite: 2 Odoo workers, "
        f"channel capacity {args.workers}; sandbox warehouse: a process per side"
    )
    print(
        f"   direct: {direct:6.2f} s, {n / direct:6.1f} deliveries/s "
        f"(order dicts {build:.2f} s, write + send {direct_elapsed:.2f} s, "
        f"{statistics.mean(latencies) * 1000:.1f} ms/940)"
    )
    print(
        f"    suite: {suite['elapsed']:6.2f} s, {n / suite['elapsed']:6.1f} "
        f"deliveries/s (release transaction {suite['release']:.2f} s, "
        f"{suite['release'] * 1000 / n:.1f} ms each; commit to last 940 sent "
        f"{suite['processing']:.2f} s, {suite['mean_job'] * 1000:.1f} ms/job in "
        f"the worker, first job {suite['pickup']:.2f} s after the commit, "
        f"{suite['retries']} retries)"
    )
    print(
        f"suite/direct release throughput: {direct / suite['elapsed']:.2f}x "
        "(reported, no target)"
    )


if __name__ == "__main__":
    main()
