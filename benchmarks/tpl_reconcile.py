"""P4: reconcile a 3PL stock snapshot of 100,000 SKUs with lots against Odoo's
quants of the warehouse, in the same database and run as a naive baseline.

Measured: ``account._tpl_apply("inventory_advice", snapshot, ...)`` — the
applier the 846 / JSON / CSV handlers call: it creates the reconciliation,
compares the full snapshot with the warehouse's quants set-based in SQL
(including the quants the snapshot lacks), writes a line per difference with
its value and probable cause, and decides (above tolerance: to review).
Caches are cleared first.

Baseline ("naive ORM loop"): what a straightforward implementation does per
snapshot row — ``_product_of`` the item, ``search`` its lot, ``search`` the
quants of product + lot ``child_of`` the warehouse, sum them in Python, and
``create`` a line through the ORM when they differ. It runs on the first
``--naive-sample`` rows (default 2,000) and is extrapolated linearly to the
snapshot size; it also skips the second half of a full comparison (finding
Odoo's quants the snapshot lacks), so the extrapolation flatters the baseline.

Memory: growth of the process's peak RSS during the measured call, and the
peak of Python allocations (tracemalloc) during a second, untimed call on
another report of the same size; the snapshot dict itself, the input every
profile's reader produces, is built before and not counted. Rows are streamed
to the database in pages of 5,000, so neither grows with the report.

    python benchmarks/tpl_reconcile.py [--skus 100000] [--naive-sample 2000]
        [--drift-every 100]

Fixture: SKUs (one lot-tracked product per SKU, one lot each, one quant in the
warehouse's stock location) are inserted with SQL, then ANALYZEd; every
``--drift-every``-th SKU differs in the snapshot.
"""

import argparse

from odoo_bench import BenchEnvironment, ensure_odoo_python, machine_line

ensure_odoo_python()

SETUP = """
import tempfile
folder = tempfile.mkdtemp(prefix="bench-3pl-")
endpoint = env["integration.endpoint"].create({
    "name": "Bench 3PL", "code": "bench-3pl", "kind": "warehouse_3pl",
    "protocol": "folder", "outbox_path": folder, "inbox_path": folder})
profile = env["edi.interchange.profile"].create({
    "dialect": "X12", "x12_version": "004010", "our_qualifier": "ZZ",
    "our_interchange_id": "BENCHDEP", "partner_qualifier": "ZZ",
    "partner_interchange_id": "BENCH3PL"})
warehouse = env["stock.warehouse"].create({"name": "Bench 3PL", "code": "BNCH"})
env["tpl.warehouse.account"].create({
    "name": "Bench 3PL", "endpoint_id": endpoint.id, "warehouse_id": warehouse.id,
    "interchange_profile_id": profile.id, "variance_tolerance_qty": 0})
"""

FILL = """
warehouse = env["stock.warehouse"].search([("code", "=", "BNCH")])
company = warehouse.company_id.id
uom = env.ref("uom.product_uom_unit").id
category = env.ref("product.product_category_all").id
env.cr.execute(
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_name = 'product_template'")
columns = {{row[0] for row in env.cr.fetchall()}}
extra = {{c: "'no-message'" for c in ("purchase_line_warn", "sale_line_warn")
          if c in columns}}
if "service_tracking" in columns:
    extra["service_tracking"] = "'no'"
names = "".join(", " + c for c in extra)
values = "".join(", " + v for v in extra.values())
env.cr.execute(f'''
    INSERT INTO product_template
        (name, type, is_storable, tracking, uom_id, uom_po_id, categ_id, active,
         sale_ok, purchase_ok, create_uid, write_uid, create_date, write_date
         {{names}})
    SELECT jsonb_build_object('en_US', 'BENCH-' || g), 'consu', true, 'lot',
           %s, %s, %s, true, true, true, 1, 1, now(), now() {{values}}
      FROM generate_series(1, {skus}) g''', [uom, uom, category])
env.cr.execute('''
    INSERT INTO product_product
        (product_tmpl_id, default_code, active, standard_price,
         create_uid, write_uid, create_date, write_date)
    SELECT id, name->>'en_US', true, jsonb_build_object(%s, 2.5), 1, 1, now(), now()
      FROM product_template WHERE name->>'en_US' LIKE 'BENCH-%%' ''',
    [str(company)])
env.cr.execute('''
    INSERT INTO stock_lot (name, product_id, company_id, create_uid, write_uid,
                           create_date, write_date)
    SELECT 'LOT-' || substr(default_code, 7), id, %s, 1, 1, now(), now()
      FROM product_product WHERE default_code LIKE 'BENCH-%%' ''', [company])
env.cr.execute('''
    INSERT INTO stock_quant (product_id, location_id, lot_id, company_id, quantity,
                             reserved_quantity, in_date, create_uid, write_uid,
                             create_date, write_date)
    SELECT l.product_id, %s, l.id, %s, 100, 0, now(), 1, 1, now(), now()
      FROM stock_lot l WHERE l.name LIKE 'LOT-%%' ''',
    [warehouse.lot_stock_id.id, company])
env.cr.commit()
for table in ("product_template", "product_product", "stock_lot", "stock_quant"):
    env.cr.execute(f"ANALYZE {{table}}")
env.cr.execute("SELECT count(*) FROM stock_quant WHERE location_id = %s",
               [warehouse.lot_stock_id.id])
print("RESULT:", env.cr.fetchone()[0])
"""

SNAPSHOT = """
def build_snapshot(report, skus, drift_every):
    return {{
        "report_id": report, "date": "2026-11-29", "snapshot": "full",
        "items": [
            {{"item": f"BENCH-{{g}}", "gtin": "", "lot": f"LOT-{{g}}",
              "status": "available",
              "quantity": "97" if g % drift_every == 0 else "100", "uom": "EA"}}
            for g in range(1, skus + 1)
        ],
    }}
account = env["tpl.warehouse.account"].search([("name", "=", "Bench 3PL")])
handler = env["integration.handler.tpl_x12_in"]
message = env["integration.message"].create({{
    "name": "bench-846", "direction": "inbound",
    "flow_id": env.ref("distribution_3pl.flow_tpl_x12_in").id,
    "endpoint_id": account.endpoint_id.id, "company_id": account.company_id.id,
    "state": "received", "idempotency_key": "bench-846-{tag}",
    "correlation_id": "bench-846-{tag}"}})
"""

MEASURE = (
    SNAPSHOT
    + """
import resource, time
snapshot = build_snapshot("BENCH-{tag}", {skus}, {drift_every})
env.invalidate_all()
rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
reconciliation = account._tpl_apply("inventory_advice", snapshot, message, handler)
env.flush_all()
elapsed = time.perf_counter() - started
rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
assert reconciliation.state == "to_review", reconciliation.state
assert reconciliation.line_count == {skus} // {drift_every}, reconciliation.line_count
# The same once more (another report) under tracemalloc: the Python memory
# the reconciliation itself allocates at its peak, the input excluded.
import tracemalloc
again = build_snapshot("BENCH-{tag}-mem", {skus}, {drift_every})
env.invalidate_all()
tracemalloc.start()
account._tpl_apply("inventory_advice", again, message, handler)
env.flush_all()
traced_peak = tracemalloc.get_traced_memory()[1]
tracemalloc.stop()
print("RESULT:", elapsed, reconciliation.line_count,
      (rss_after - rss_before) / 1024, traced_peak / 2**20)
"""
)

NAIVE = (
    SNAPSHOT
    + """
import time
snapshot = build_snapshot("NAIVE-{tag}", {skus}, {drift_every})
rows = snapshot["items"][:{sample}]  # the first rows: the same 1-in-N drift
reconciliation = env["tpl.reconciliation"].create({{
    "name": "naive", "account_id": account.id, "report_id": "NAIVE-{tag}"}})
view = account.warehouse_id.view_location_id
stock = account.warehouse_id.lot_stock_id
Quant, Lot, Line = env["stock.quant"], env["stock.lot"], env["tpl.reconciliation.line"]
env.invalidate_all()
started = time.perf_counter()
created = 0
for row in rows:
    product = account._product_of(row["item"], row["gtin"])
    lot = Lot.search([("product_id", "=", product.id), ("name", "=", row["lot"])],
                     limit=1)
    quants = Quant.search([("product_id", "=", product.id), ("lot_id", "=", lot.id),
                           ("location_id", "child_of", view.id)])
    odoo_qty = sum(quants.mapped("quantity"))
    tpl_qty = float(row["quantity"])
    if tpl_qty != odoo_qty:
        Line.create({{
            "reconciliation_id": reconciliation.id, "product_id": product.id,
            "lot_id": lot.id, "lot_name": row["lot"], "status": row["status"],
            "location_id": stock.id, "odoo_qty": odoo_qty, "tpl_qty": tpl_qty,
            "difference": tpl_qty - odoo_qty,
            "unit_cost": product.standard_price,
            "value": (tpl_qty - odoo_qty) * product.standard_price}})
        created += 1
env.flush_all()
elapsed = time.perf_counter() - started
print("RESULT:", elapsed, len(rows), created)
"""
)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--skus", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=2000)
    parser.add_argument("--drift-every", type=int, default=100)
    args = parser.parse_args()
    print(machine_line())
    with BenchEnvironment(["distribution_3pl"]) as env:
        env.shell(SETUP)
        (quants,) = env.shell(FILL.format(skus=args.skus))
        print(f"# fixture: {quants} quants (one lot each) in the 3PL warehouse")
        (line,) = env.shell(
            NAIVE.format(
                tag="naive",
                skus=args.skus,
                sample=args.naive_sample,
                drift_every=args.drift_every,
            )
        )
        naive_seconds, naive_rows, naive_lines = line.split()
        naive_seconds, naive_rows = float(naive_seconds), int(naive_rows)
        per_row = naive_seconds / naive_rows
        naive_total = per_row * args.skus
        print(
            f"baseline naive ORM loop: {naive_rows} rows in {naive_seconds:.2f} s "
            f"({per_row * 1000:.2f} ms/row, {naive_lines} lines) -> extrapolated "
            f"to {args.skus} SKUs: {naive_total:.0f} s"
        )
        (line,) = env.shell(
            MEASURE.format(tag="sql", skus=args.skus, drift_every=args.drift_every)
        )
        seconds, lines, rss, traced = line.split()
        seconds, rss, traced = float(seconds), float(rss), float(traced)
        print(
            f"set-based reconciliation: {args.skus} SKUs in {seconds:.2f} s, "
            f"{lines} difference lines, peak RSS growth {rss:.0f} MiB, "
            f"peak Python allocations (tracemalloc, input excluded) {traced:.1f} MiB"
        )
        print(
            f"ratio naive (extrapolated) / set-based: {naive_total / seconds:.1f}x "
            f"(target >= 10x); time target <= 60 s: "
            f"{'met' if seconds <= 60 else 'NOT met'}"
        )


if __name__ == "__main__":
    main()
