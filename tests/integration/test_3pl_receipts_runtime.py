"""3PL receipts on a real, committed database with the queue_job runner.

A purchase order into the 3PL warehouse is confirmed; its receipt is announced
over RPC; the runner writes the 943 into the sandbox warehouse's pickup folder;
the sandbox (started here, on 127.0.0.1) receives it with a damaged unit and
delivers its 944 twice; the collect flow reads the drop folder and the runner
applies the advice once: the receipt is validated, the damaged unit booked in
the damaged location, the 944 acknowledged with a 997. A customer return goes
the same way (943 ``W0601`` ``C``, 944 ``W1701`` ``C`` with its condition), and
a receipt the warehouse finds short beyond tolerance lands in the exception
queue with nothing validated.
"""

import sys
from pathlib import Path

import pytest

from .odoo_shell import odoo_shell
from .polling import wait_for

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from sandbox.warehouse_3pl import SandboxWarehouseServer  # noqa: E402

ENDPOINT = "runtime-3pl-receipts"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("3pl-receipts")
    pickup, drop = root / "pickup", root / "drop"
    pickup.mkdir()
    drop.mkdir()
    with SandboxWarehouseServer(
        port=0, profile="x12", pickup_dir=str(pickup), drop_dir=str(drop)
    ) as server:
        server.warehouse.behaviours.update(
            damaged_on_receipt=1, duplicate_confirmations=True
        )
        yield server, pickup, drop


@pytest.fixture(scope="module")
def configured(odoo_env, sandbox):
    _server, pickup, drop = sandbox
    (picking_id,) = odoo_shell(
        odoo_env,
        f"""
        from odoo import Command
        profile = env["edi.interchange.profile"].create({{
            "dialect": "X12", "x12_version": "004010", "our_qualifier": "ZZ",
            "our_interchange_id": "RUNTIMEDEP", "partner_qualifier": "ZZ",
            "partner_interchange_id": "SANDBOX3PL",
        }})
        endpoint = env["integration.endpoint"].create({{
            "name": "Runtime 3PL receipts", "code": "{ENDPOINT}",
            "kind": "warehouse_3pl", "environment": "test", "protocol": "folder",
            "outbox_path": "{pickup}", "inbox_path": "{drop}",
            "file_settle_seconds": 0,
        }})
        warehouse = env["stock.warehouse"].create(
            {{"name": "Runtime 3PL receipts", "code": "R3PR"}}
        )
        damaged = env["stock.location"].create({{
            "name": "Damaged", "usage": "internal",
            "location_id": warehouse.view_location_id.id,
        }})
        env["tpl.warehouse.account"].create({{
            "name": "Runtime 3PL receipts", "endpoint_id": endpoint.id,
            "warehouse_id": warehouse.id, "interchange_profile_id": profile.id,
            "release_orders": False, "announce_receipts": True,
            "damaged_location_id": damaged.id,
        }})
        supplier = env["res.partner"].create({{"name": "Runtime 3PL supplier"}})
        product = env["product.product"].create({{
            "name": "Runtime pallet", "default_code": "RT-PALLET-1",
            "is_storable": True,
        }})
        order = env["purchase.order"].create({{
            "partner_id": supplier.id,
            "picking_type_id": warehouse.in_type_id.id,
            "order_line": [Command.create({{
                "product_id": product.id, "product_qty": 6, "price_unit": 4.0,
            }})],
        }})
        order.button_confirm()
        print("RESULT:", order.picking_ids.id)
        """,
    )
    return odoo_env, int(picking_id)


def shell_picking(odoo_env, code):
    """Run ``code`` (which leaves the picking to use in ``picking``) in an
    Odoo shell on the runtime warehouse; the picking's id."""
    (picking_id,) = odoo_shell(
        odoo_env,
        """
        from odoo import Command
        warehouse = env["stock.warehouse"].search([("code", "=", "R3PR")])
        product = env["product.product"].search(
            [("default_code", "=", "RT-PALLET-1")]
        )
        """
        + code
        + """
        print("RESULT:", picking.id)
        """,
    )
    return int(picking_id)


def collect(odoo_env):
    odoo_shell(
        odoo_env,
        'env.ref("distribution_3pl.flow_tpl_collect").action_run_batch_now()',
    )


def picking(server, picking_id):
    (row,) = server.execute_kw(
        "stock.picking",
        "read",
        [[picking_id], ["name", "state", "tpl_receipt_state", "tpl_receipt_id"]],
    )
    return row


def messages(server):
    return server.execute_kw(
        "integration.message",
        "search_read",
        [[("endpoint_id.code", "=", ENDPOINT)]],
        {"fields": ["flow_id", "state", "last_error", "external_ref"]},
    )


def test_announce_and_receive_through_the_runner(configured, sandbox, odoo_server):
    odoo_env, picking_id = configured
    warehouse_server, pickup, drop = sandbox
    warehouse_server.warehouse.behaviours.update(
        damaged_on_receipt=1, duplicate_confirmations=True, short_receipt=0
    )
    name = picking(odoo_server, picking_id)["name"]
    odoo_server.execute_kw("stock.picking", "action_tpl_announce", [[picking_id]])
    # The runner writes the 943; the sandbox takes it from its pickup folder.
    wait_for(
        lambda: warehouse_server.warehouse.receipts.get(name), "the sandbox's receipt"
    )
    wait_for(
        lambda: picking(odoo_server, picking_id)["tpl_receipt_state"] == "announced",
        "the receipt announced",
    )
    confirmation = warehouse_server.warehouse.receive(name)
    assert confirmation["lines"][0]["damaged_quantity"] == "1"
    # The 944 twice (duplicate confirmations) and the 997 of our 943.
    wait_for(lambda: len(list(drop.glob("944_*.x12"))) == 2 or None, "two 944 files")

    collect(odoo_env)

    def received():
        row = picking(odoo_server, picking_id)
        return row if row["state"] == "done" else None

    row = wait_for(received, "the receipt validated by the runner", timeout=180)
    assert row["tpl_receipt_state"] == "received"
    assert row["tpl_receipt_id"] == confirmation["receipt_number"]

    def finished():
        rows = messages(odoo_server)
        pending = ("queued", "sending", "retrying", "received", "processing")
        return rows if all(r["state"] not in pending for r in rows) else None

    rows = wait_for(finished, "every message to finish")
    flows = sorted(r["flow_id"][1] for r in rows)
    assert all(r["state"] in ("done", "sent") for r in rows), rows
    # One 943 out; in: the 997 of it and ONE 944 (the same bytes twice are one
    # message); out: one 997 per interchange applied.
    assert flows.count("3PL: announce receipts and returns (943)") == 1
    assert flows.count("3PL: warehouse documents received (945)") == 2, flows
    quants = odoo_server.execute_kw(
        "stock.quant",
        "search_read",
        [
            [
                ("product_id.default_code", "=", "RT-PALLET-1"),
                ("location_id.usage", "=", "internal"),
            ]
        ],
        {"fields": ["location_id", "quantity"]},
    )
    by_location = {q["location_id"][1].split("/")[-1]: q["quantity"] for q in quants}
    assert by_location == {"Stock": 5.0, "Damaged": 1.0}, by_location
    (order,) = odoo_server.execute_kw(
        "purchase.order",
        "search_read",
        [[("picking_ids", "in", [picking_id])]],
        {"fields": ["order_line"]},
    )
    (line,) = odoo_server.execute_kw(
        "purchase.order.line", "read", [order["order_line"], ["qty_received"]]
    )
    assert line["qty_received"] == 6.0
    # Our 997 of the 944 went back through the pickup folder.
    wait_for(lambda: list(pickup.rglob("997*")), "our 997 in the pickup folder", 60)
    expectations = odoo_server.execute_kw(
        "integration.expectation",
        "search_read",
        [[("res_model", "=", "stock.picking"), ("res_id", "=", picking_id)]],
        {"fields": ["kind", "state"]},
    )
    assert [(e["kind"], e["state"]) for e in expectations] == [("tpl_944", "met")]


def announce(server, warehouse_server, picking_id):
    name = picking(server, picking_id)["name"]
    server.execute_kw("stock.picking", "action_tpl_announce", [[picking_id]])
    wait_for(lambda: warehouse_server.warehouse.receipts.get(name), "the receipt")
    wait_for(
        lambda: picking(server, picking_id)["tpl_receipt_state"] == "announced",
        "the receipt announced",
    )
    return name


def test_a_customer_return_through_the_runner(configured, sandbox, odoo_server):
    odoo_env, _receipt_id = configured
    warehouse_server, _pickup, drop = sandbox
    warehouse_server.warehouse.behaviours.update(
        damaged_on_receipt=1, duplicate_confirmations=False, short_receipt=0
    )
    return_id = shell_picking(
        odoo_env,
        """
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 3
        )
        customer = env["res.partner"].create({"name": "Runtime 3PL customer"})
        delivery = env["stock.picking"].create({
            "picking_type_id": warehouse.out_type_id.id,
            "partner_id": customer.id,
            "move_ids": [Command.create({
                "name": product.name, "product_id": product.id,
                "product_uom_qty": 3, "product_uom": product.uom_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
            })],
        })
        delivery.action_confirm()
        delivery.action_assign()
        delivery.move_ids.picked = True
        delivery.button_validate()
        wizard = env["stock.return.picking"].with_context(
            active_id=delivery.id, active_model="stock.picking"
        ).create({"picking_id": delivery.id})
        wizard.product_return_moves.quantity = 2
        picking = env["stock.picking"].browse(
            wizard.action_create_returns()["res_id"]
        )
        """,
    )
    before = len(list(drop.glob("944_*.x12")))
    name = announce(odoo_server, warehouse_server, return_id)
    assert warehouse_server.warehouse.receipts[name]["return"] is True  # W0601 C
    confirmation = warehouse_server.warehouse.receive(name)
    assert confirmation["return"] is True
    wait_for(
        lambda: len(list(drop.glob("944_*.x12"))) > before or None, "the return's 944"
    )
    collect(odoo_env)

    def received():
        (row,) = odoo_server.execute_kw(
            "stock.picking",
            "read",
            [[return_id], ["state", "tpl_receipt_state", "tpl_receipt_condition"]],
        )
        return row if row["state"] == "done" else None

    row = wait_for(received, "the return validated by the runner", timeout=180)
    assert row["tpl_receipt_state"] == "received"
    assert row["tpl_receipt_condition"] == "partly_damaged"


def test_a_short_receipt_goes_to_the_exception_queue(configured, sandbox, odoo_server):
    odoo_env, _receipt_id = configured
    warehouse_server, _pickup, drop = sandbox
    warehouse_server.warehouse.behaviours.update(
        damaged_on_receipt=0, duplicate_confirmations=False, short_receipt=1
    )
    picking_id = shell_picking(
        odoo_env,
        """
        supplier = env["res.partner"].search([("name", "=", "Runtime 3PL supplier")])
        order = env["purchase.order"].create({
            "partner_id": supplier.id,
            "picking_type_id": warehouse.in_type_id.id,
            "order_line": [Command.create({
                "product_id": product.id, "product_qty": 4, "price_unit": 4.0,
            })],
        })
        order.button_confirm()
        picking = order.picking_ids
        """,
    )
    before = len(list(drop.glob("944_*.x12")))
    name = announce(odoo_server, warehouse_server, picking_id)
    warehouse_server.warehouse.receive(name)
    wait_for(lambda: len(list(drop.glob("944_*.x12"))) > before or None, "the 944")
    collect(odoo_env)

    def refused():
        row = picking(odoo_server, picking_id)
        return row if row["tpl_receipt_state"] == "exception" else None

    row = wait_for(refused, "the receipt in the exception queue", timeout=180)
    assert row["state"] == "assigned"  # nothing validated
    exceptions = odoo_server.execute_kw(
        "integration.exception",
        "search_read",
        [[("res_model", "=", "stock.picking"), ("res_id", "=", picking_id)]],
        {"fields": ["category", "details", "state"]},
    )
    assert [e["category"] for e in exceptions] == ["business_rule"]
    assert "short by 1" in exceptions[0]["details"]
