"""Outbound EDI throughput: the suite against OCA's EDI framework (18.0), the same
workload on the same server in the same run.

Workload: N confirmed purchase orders (5 lines each) -> one X12 850 interchange
each -> HTTP POST to a partner that accepts them (a small HTTP server this
script starts on 127.0.0.1, which checks that each body is an 850 interchange).

- suite: ``purchase.order._edi_send_order`` (what confirming an order runs at
  commit): the 850 is written in the caller's transaction and handed to
  ``integration.dispatch._send`` (message log, payload attachment, idempotency
  key, one queue job); the job runs the ``edi-order-out`` flow's handler, which
  posts through the kernel's HTTP transport.
- oca: OCA edi_core_oca + edi_queue_oca; ``edi.backend.create_record`` then
  ``action_exchange_generate_send_chained`` (OCA's queued "generate and send":
  a generate job, then a send job chained on it). The exchange type's generator
  and sender are models of benchmarks/addons/dis_benchmark_edi_oca; the
  generator writes the 850 with the suite's plain-Python codec, so both sides
  do the same formatting work and post interchanges of the same size.
- oca-inline: the same OCA records, generated in the caller's transaction and
  sent by one queued job: the suite's shape, OCA's code.

Jobs: every side runs its jobs through queue_job's runner on a 2-worker Odoo
server with channel capacity root:2 (OCA's channel root.edi.edi_exchange and the
suite's root.integration.* both sit under root). Queued on both sides, as both
frameworks are meant to run in production; running them synchronously would
measure neither. Throughput counts from the start of the enqueuing
transaction (timed in the shell) to the moment every job it created is done
(polled every 50 ms), so the suite's in-transaction writing and OCA's generate
jobs are both inside the figure. Orders are created and confirmed beforehand,
outside the timing, and the sides take turns first from round to round.

OCA's modules are not part of the suite: they are installed from PyPI with
``pip install --no-deps --target`` into a temporary folder at run time (pinned
below) and added to the addons path; only edi_core_oca, edi_queue_oca and
base_edi are needed (the meta-package edi_oca 18.0.1.5.2 also pulls in
edi_component_oca and component, which model-based handlers do not use).
edi_queue_oca 18.0.1.1+ needs queue_job >= 18.0.2 (``on_fail_method``): with
an older queue_job the script takes edi_queue_oca 18.0.1.0.2 (see RESULTS.md).

    python benchmarks/edi_vs_oca.py [--count 150] [--rounds 3] [--lines 5] [--warmup 10]
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from odoo_bench import REPO, BenchEnvironment, ensure_odoo_python, machine_line

ensure_odoo_python()

import psycopg2  # noqa: E402

from tests.integration.odoo_server import OdooServer  # noqa: E402

OCA_ADDONS = [
    "odoo-addon-base_edi==18.0.1.0.2.1",
    "odoo-addon-edi_core_oca==18.0.1.10.0",
]
# edi_queue_oca from 18.0.1.1 on declares queue_job's ``on_fail_method``, which
# queue_job has only from 18.0.2: with an older queue_job, take the last
# release without it (the same job delaying and chaining).
EDI_QUEUE = {True: "18.0.1.2.0", False: "18.0.1.0.2"}
# edi_core_oca's external dependencies, missing from Odoo's own requirements.
OCA_PYTHON = ["PyYAML==6.0.2", "openupgradelib==3.13.7"]
SIDES = ("suite", "oca", "oca-inline")
JOBS_PER_ORDER = {"suite": 1, "oca": 2, "oca-inline": 1}

SETUP = """
from odoo import Command
endpoint = env["integration.endpoint"].create({{
    "name": "Bench supplier", "code": "bench-edi", "kind": "supplier_edi",
    "environment": "test", "base_url": "{partner}/suite",
    "connect_timeout": 2.0, "read_timeout": 10.0}})
vendors = {{
    side: env["res.partner"].create(
        {{"name": "Bench supplier " + side, "is_company": True}})
    for side in ("suite", "oca")
}}
for index in range({lines}):
    env["product.product"].create({{
        "name": "Bench item %d" % index, "default_code": "BENCH-%d" % index,
        "is_storable": True, "standard_price": 10 + index,
        "seller_ids": [Command.create({{
            "partner_id": vendor.id, "product_code": "SUP-%d" % index,
            "price": 10 + index}}) for vendor in vendors.values()],
    }})
env["edi.trading.partner"].create({{
    "partner_id": vendors["suite"].id, "endpoint_id": endpoint.id, "dialect": "X12",
    "our_interchange_id": "BENCHBUYER", "our_qualifier": "ZZ",
    "partner_interchange_id": "BENCHSUPPLIER", "partner_qualifier": "ZZ"}})
backend_type = env["edi.backend.type"].create(
    {{"name": "Bench X12", "code": "bench_x12"}})
backend = env["edi.backend"].create({{
    "name": "Bench supplier (OCA)", "backend_type_id": backend_type.id,
    "dis_benchmark_url": "{partner}/oca"}})
env["edi.exchange.type"].create({{
    "name": "X12 850 (benchmark)", "code": "bench_x12_850", "direction": "output",
    "backend_type_id": backend_type.id, "backend_id": backend.id,
    "exchange_file_ext": "x12",
    "generate_model_id": env["ir.model"]._get_id(
        "dis.benchmark.edi.oca.x12_850.generate"),
    "send_model_id": env["ir.model"]._get_id("dis.benchmark.edi.oca.http.send"),
}})
"""

MAKE_ORDERS = """
from odoo import Command
products = env["product.product"].search(
    [("default_code", "like", "BENCH-")], order="id")
for side in {sides!r}:
    vendor = env["res.partner"].search(
        [("name", "=", "Bench supplier " + ("suite" if side == "suite" else "oca"))])
    orders = env["purchase.order"].create([{{
        "partner_id": vendor.id,
        "order_line": [Command.create({{
            "product_id": product.id, "product_qty": 3 + index,
            "price_unit": 10 + index}}) for index, product in enumerate(products)],
    }} for _ in range({count})])
    # Hold the suite's send until the timed run (confirming would queue it).
    orders.with_context(edi_applying_partner_document=True).button_confirm()
    print("RESULT:", side, ",".join(map(str, orders.ids)))
"""

SEND = {
    "suite": """
orders._edi_send_order()
""",
    "oca": """
backend = env["edi.backend"].search([("name", "=", "Bench supplier (OCA)")])
for order in orders:
    record = backend.create_record(
        "bench_x12_850", {"model": "purchase.order", "res_id": order.id})
    record.action_exchange_generate_send_chained()
""",
    "oca-inline": """
backend = env["edi.backend"].search([("name", "=", "Bench supplier (OCA)")])
for order in orders:
    record = backend.create_record(
        "bench_x12_850", {"model": "purchase.order", "res_id": order.id})
    record.with_context(queue_job__no_delay=True).action_exchange_generate()
    record.action_exchange_send()
""",
}

TIMED = """
import time
orders = env["purchase.order"].browse([{ids}])
started = time.time()
{body}
env.cr.commit()
print("RESULT:", started, time.time())
"""


class Partner:
    """The supplier's side: accepts X12 850 interchanges over HTTP, counts them
    per path prefix (/suite, /oca) and refuses anything else with a 400."""

    def __init__(self):
        self.received = {}
        self.refused = 0
        self.lock = threading.Lock()
        partner = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                good = body.startswith(b"ISA") and b"ST*850*" in body
                side = self.path.strip("/").split("/")[0]
                with partner.lock:
                    if good:
                        partner.received.setdefault(side, []).append(len(body))
                    else:
                        partner.refused += 1
                answer = json.dumps({"accepted": good}).encode()
                self.send_response(200 if good else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            do_PUT = do_POST

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self):
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc_info):
        self.server.shutdown()
        self.server.server_close()

    def take(self, side):
        with self.lock:
            return self.received.pop(side, [])


def queue_job_version():
    output = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "lib" / "odoo_paths.py")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    found = dict(line.split("=", 1) for line in output.splitlines() if "=" in line)
    return found.get("QUEUE_JOB_VERSION", "")


def install_oca(folder):
    """pip-install OCA's EDI modules and their Python dependencies into
    ``folder``; return (addons folder, python folder, the modules installed) or
    raise SystemExit with pip's reason."""
    addons = folder / "oca"
    python_deps = folder / "python"
    version = queue_job_version()
    recent = int((version.split(".") + ["0"] * 3)[2]) >= 2  # 18.0.<major>.x.y
    modules = [*OCA_ADDONS, f"odoo-addon-edi_queue_oca=={EDI_QUEUE[recent]}"]
    for target, requirements in ((addons, modules), (python_deps, OCA_PYTHON)):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--no-deps",
                "--target",
                str(target),
                *requirements,
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode:
            raise SystemExit(
                f"cannot install {' '.join(requirements)}:\n{result.stderr[-2000:]}"
            )
    return addons / "odoo" / "addons", python_deps, modules


def wait_jobs(db, since_id, expected, timeout):
    """When every job after ``since_id`` is done (at least ``expected`` of
    them): polled every 50 ms on one connection."""
    deadline = time.monotonic() + timeout
    connection = psycopg2.connect(dbname=db)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            while time.monotonic() < deadline:
                cursor.execute(
                    "SELECT count(*) FILTER (WHERE state = 'done'), "
                    "count(*) FILTER (WHERE state = 'failed'), count(*) "
                    "FROM queue_job WHERE id > %s",
                    [since_id],
                )
                done, failed, total = cursor.fetchone()
                if failed:
                    raise SystemExit(f"{failed} jobs failed")
                if total >= expected and done == total:
                    return time.time(), total
                time.sleep(0.05)
    finally:
        connection.close()
    raise SystemExit(f"not all {expected} jobs done within {timeout} s")


def run_side(env, partner, side, ids, count):
    since = int(env.sql("SELECT coalesce(max(id), 0) FROM queue_job"))
    started, committed = (
        float(value)
        for value in env.shell(TIMED.format(ids=",".join(ids), body=SEND[side]))[
            0
        ].split()
    )
    finished, jobs = wait_jobs(
        env.db, since, count * JOBS_PER_ORDER[side], timeout=max(600, 2 * count)
    )
    received = partner.take("suite" if side == "suite" else "oca")
    if len(received) != count:
        raise SystemExit(f"{side}: the partner accepted {len(received)} of {count}")
    span = finished - started
    # queue_job's exec_time: a job's time in the worker (its own clock).
    in_worker = "; ".join(
        f"{method} {float(ms):.1f} ms"
        for method, ms in (
            line.split("|")
            for line in env.sql(
                "SELECT method_name, 1000 * avg(exec_time) FROM queue_job "
                f"WHERE id > {since} GROUP BY method_name ORDER BY 1"
            ).splitlines()
        )
    )
    print(
        f"{side:>10}: {count / span:6.1f} orders/s ({span:5.1f} s; enqueue "
        f"{(committed - started) * 1000 / count:5.1f} ms/order; {jobs} jobs; "
        f"{statistics.mean(received):.0f} bytes/interchange; "
        f"load {os.getloadavg()[0]:.1f})\n{'':>12}per job in the worker: {in_worker}"
    )
    return count / span


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--lines", type=int, default=5)
    parser.add_argument("--warmup", type=int, default=10)
    args = parser.parse_args()
    print(machine_line())
    print(
        "# uptime:",
        subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    )
    folder = Path(tempfile.mkdtemp(prefix="dis-bench-oca-"))
    try:
        oca_addons, oca_python, oca_modules = install_oca(folder)
        print("# OCA:", ", ".join(oca_modules), "with queue_job", queue_job_version())
        # The install, the shells and the server all need edi_core_oca's
        # Python dependencies.
        os.environ["PYTHONPATH"] = os.pathsep.join(
            filter(None, [str(oca_python), os.environ.get("PYTHONPATH")])
        )
        with (
            Partner() as partner,
            BenchEnvironment(
                ["dis_benchmark_edi_oca"], channels="root:2", extra_addons=[oca_addons]
            ) as env,
        ):
            env.shell(SETUP.format(partner=partner.url, lines=args.lines))
            results = {side: [] for side in SIDES}
            with OdooServer(
                env.python, env.config, env.db, workers=2, channels="root:2"
            ):
                # Round 0 warms the workers up (registry, code paths); not counted.
                for round_index in range(args.rounds + 1):
                    shift = round_index % len(SIDES)
                    order = SIDES[shift:] + SIDES[:shift]
                    count = args.count if round_index else args.warmup
                    made = dict(
                        line.split(" ", 1)
                        for line in env.shell(
                            MAKE_ORDERS.format(sides=order, count=count)
                        )
                    )
                    print(f"# round {round_index or 'warm-up'}: {', '.join(order)}")
                    for side in order:
                        throughput = run_side(
                            env, partner, side, made[side].split(","), count
                        )
                        if round_index:
                            results[side].append(throughput)
                    time.sleep(1)
            if partner.refused:
                raise SystemExit(f"the partner refused {partner.refused} bodies")
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    best = {side: max(values) for side, values in results.items()}
    median = {side: statistics.median(values) for side, values in results.items()}
    print(
        f"baseline: OCA {' + '.join(oca_modules)}, "
        f"N={args.count} orders x {args.lines} lines, {args.rounds} rounds"
    )
    for side in SIDES:
        print(
            f"{side:>10}: best {best[side]:6.1f} orders/s, median {median[side]:6.1f}"
        )
    for oca_side in ("oca", "oca-inline"):
        print(
            f"suite/{oca_side}: best {best['suite'] / best[oca_side]:.2f}x, "
            f"median {median['suite'] / median[oca_side]:.2f}x (goal >= 2x)"
        )
    print(
        "# uptime:",
        subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip(),
    )


if __name__ == "__main__":
    main()
