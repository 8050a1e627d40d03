"""Message-log scale: latency of the idempotency check + message insert with
10 k and with 1 M messages already logged, in the same database and run.

Baseline: the same operation at 10 k existing messages.
Measured: at 1 M existing messages (rows bulk-inserted with SQL, then ANALYZEd).
One sample = ``_find_duplicate`` (the idempotency look-up every send/receive
does) + ``create`` of the message row + flush, as ``_send`` does it, without the
payload attachment (filestore cost does not depend on the log size).
Targets: p99 < 10 ms at both sizes; 1 M no more than 1.5x slower than 10 k.

    python benchmarks/message_log_scale.py [--small 10000] [--large 1000000]
        [--samples 2000]
"""

import argparse

from odoo_bench import BenchEnvironment, ensure_odoo_python, machine_line

ensure_odoo_python()

SETUP = """
endpoint = env["integration.endpoint"].create({"name": "Scale", "code": "scale"})
env["integration.flow"].create({"name": "Scale", "code": "scale-in",
    "direction": "inbound", "handler": "integration.handler.partner_upsert"})
"""

FILL = """
endpoint = env["integration.endpoint"].search([("code", "=", "scale")])
flow = env["integration.flow"].search([("code", "=", "scale-in")])
env.cr.execute('''
    INSERT INTO integration_message
        (name, direction, flow_id, endpoint_id, company_id, state, idempotency_key,
         correlation_id, attempt_count, create_uid, write_uid, create_date, write_date)
    SELECT 'BULK-' || g, 'inbound', %s, %s, %s, 'done', 'bulk-' || g, md5(g::text), 1,
           1, 1, now() - (g || ' seconds')::interval, now()
      FROM generate_series(%s, %s) AS g''',
    [flow.id, endpoint.id, endpoint.company_id.id, {start}, {stop}])
env.cr.commit()
env.cr.execute("ANALYZE integration_message")
"""

MEASURE = """
import time
endpoint = env["integration.endpoint"].search([("code", "=", "scale")])
flow = env["integration.flow"].search([("code", "=", "scale-in")])
messages = env["integration.message"].sudo()
timings = []
for index in range({samples}):
    key = "{tag}-%d" % index
    started = time.perf_counter()
    duplicate = messages._find_duplicate("inbound", flow, endpoint, key)
    assert not duplicate
    messages.create({{
        "name": key, "direction": "inbound", "flow_id": flow.id,
        "endpoint_id": endpoint.id, "company_id": endpoint.company_id.id,
        "state": "received", "idempotency_key": key, "correlation_id": key,
    }})
    env.flush_all()
    timings.append((time.perf_counter() - started) * 1000)
# A duplicate must still be found at this size.
assert messages._find_duplicate("inbound", flow, endpoint, "{tag}-0")
env.cr.commit()
timings.sort()
print("RESULT:", timings[len(timings) // 2], timings[int(len(timings) * 0.99) - 1])
"""


def measure(env, samples, tag):
    (line,) = env.shell(MEASURE.format(samples=samples, tag=tag))
    p50, p99 = (float(value) for value in line.split())
    return p50, p99


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    print(machine_line())
    with BenchEnvironment(["distribution_integration_base"]) as env:
        env.shell(SETUP)
        env.shell(FILL.format(start=1, stop=args.small))
        small = measure(env, args.samples, "small")
        count = int(env.sql("SELECT count(*) FROM integration_message"))
        print(f"{count:>9} messages: p50 {small[0]:.2f} ms, p99 {small[1]:.2f} ms")
        env.shell(FILL.format(start=args.small + 1, stop=args.large))
        large = measure(env, args.samples, "large")
        count = int(env.sql("SELECT count(*) FROM integration_message"))
        print(f"{count:>9} messages: p50 {large[0]:.2f} ms, p99 {large[1]:.2f} ms")
    print(f"baseline: {args.small} existing messages; samples {args.samples}")
    print(
        f"p99 at {args.large} / p99 at {args.small}: {large[1] / small[1]:.2f}x "
        f"(target <= 1.5x); p99 target < 10 ms"
    )


if __name__ == "__main__":
    main()
