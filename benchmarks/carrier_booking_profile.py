"""Where a carrier booking's time goes: bookings run in-process, sequentially.

A companion of ``carrier_booking.py`` (same set-up, the tests' SQLite Karrio
peer): N + 10 outgoing pickings are validated, then each booking job runs in
``odoo shell`` through queue_job's own ``RunJobController._try_perform_job``
(job load, 'started' commit with the kernel's claim, ``_job_run``, 'done'
commit), with the ORM cache cleared before each (a new job starts empty).
The first 10 are warm-up. Printed: wall time per booking, the part spent in
``KarrioAdapter.ship`` (the two HTTP calls a plain script makes too), what is
left (Odoo's own work per booking), and the SQL queries of one booking. With
``--profile FILE`` a second, separate set of N bookings runs under cProfile
and its stats go to FILE (``python -m pstats FILE``).

    python benchmarks/carrier_booking_profile.py [--n 100] [--profile /tmp/booking.prof]
"""

import argparse
import json
import os
import time

import carrier_booking as cb
from odoo_bench import BenchEnvironment, machine_line

WARMUP = 10

RUN = """
import cProfile, json, time
import odoo.sql_db
from odoo.addons.distribution_carrier.carrier.karrio import KarrioAdapter
from odoo.addons.queue_job.controllers.main import RunJobController
from odoo.addons.queue_job.job import Job

pickings = env["stock.picking"].browse({pickings})
assert pickings.button_validate() is True
env.cr.commit()
messages = pickings.carrier_booking_message_id
uuids = [m.job_uuid for m in messages]
env.cr.execute(
    "UPDATE queue_job SET state = 'enqueued' WHERE uuid IN %s", [tuple(uuids)])
env.cr.commit()

shipping = [0.0]
ship = KarrioAdapter.ship


def timed_ship(self, request):
    started = time.perf_counter()
    try:
        return ship(self, request)
    finally:
        shipping[0] += time.perf_counter() - started


KarrioAdapter.ship = timed_ship
controller = RunJobController()


def book(uuid):
    env.invalidate_all()
    env.cr.execute(
        "SELECT state FROM queue_job WHERE uuid = %s AND state = 'enqueued' "
        "FOR UPDATE", [uuid])
    assert env.cr.fetchone(), uuid
    controller._try_perform_job(env, Job.load(env, uuid))


for uuid in uuids[:{warmup}]:
    book(uuid)
timed = uuids[{warmup}:-1]
shipping[0] = 0.0
profile = cProfile.Profile() if {profile!r} else None
started = time.perf_counter()
if profile:
    profile.enable()
for uuid in timed:
    book(uuid)
if profile:
    profile.disable()
    profile.dump_stats({profile!r})
elapsed = time.perf_counter() - started

queries = []
execute = odoo.sql_db.Cursor.execute


def counting(self, query, params=None, log_exceptions=True):
    queries.append(query)
    return execute(self, query, params, log_exceptions)


odoo.sql_db.Cursor.execute = counting
book(uuids[-1])
odoo.sql_db.Cursor.execute = execute
booked = sum(p.carrier_booking_state == "booked" for p in pickings)
assert booked == len(pickings), f"{{booked}} of {{len(pickings)}} booked"
print("RESULT:", json.dumps({{
    "booking_ms": elapsed * 1000 / len(timed),
    "ship_ms": shipping[0] * 1000 / len(timed),
    "queries": len(queries)}}))
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100, help="timed bookings")
    parser.add_argument("--profile", help="also run N bookings under cProfile")
    args = parser.parse_args()
    print(machine_line())
    os.environ.setdefault("USER_RATE_LIMIT", "100000/minute")
    os.environ.setdefault("CARRIER_REQUEST_RATE_LIMIT", "100000/minute")
    bench = BenchEnvironment(["distribution_carrier", "sale_stock"])
    bench.db = f"dis_bench_carrier_profile_{int(time.time())}"
    peer = cb.karrio_peer.KarrioPeer(workers=2)
    runs = [("plain", "")] + ([("cProfile", args.profile)] if args.profile else [])
    size = args.n + WARMUP + 1  # + 1: the booking whose queries are counted
    try:
        with bench as env:
            peer.start()
            (setup,) = env.shell(
                cb.SETUP.format(
                    count=size * len(runs),
                    requests_path=str(env.work_dir / "requests.json"),
                    url=peer.url,
                    api_key=peer.api_key,
                    carrier_id=peer.carrier_id,
                    service=cb.SERVICE,
                    code=cb.ENDPOINT_CODE,
                    workers=1,
                )
            )
            pickings = json.loads(setup)["pickings"]
            for index, (name, profile) in enumerate(runs):
                chunk = pickings[index * size : (index + 1) * size]
                (line,) = env.shell(
                    RUN.format(pickings=chunk, warmup=WARMUP, profile=profile)
                )
                result = json.loads(line)
                print(
                    f"{name:>8}: {result['booking_ms']:6.1f} ms per booking, "
                    f"KarrioAdapter.ship {result['ship_ms']:6.1f} ms, Odoo "
                    f"{result['booking_ms'] - result['ship_ms']:5.1f} ms; "
                    f"{result['queries']} SQL queries per booking (N={args.n})"
                )
    finally:
        peer.stop()


if __name__ == "__main__":
    main()
