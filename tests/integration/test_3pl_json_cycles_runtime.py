"""The 3PL channel's JSON API profile beyond shipping, on a real, committed
database with the queue_job runner and the real inbound gateway:

- a purchase receipt into the 3PL warehouse is announced over REST (the
  runner sends the ASN), the warehouse receives it with a damaged unit and
  delivers its signed ``receipt.confirmed`` webhook twice: the receipt is
  validated once, the damaged unit in the damaged-goods location;
- the warehouse's count then drifts, its ``inventory.snapshot`` webhook makes
  a reconciliation beyond tolerance that waits for review; an inventory
  manager approves it over RPC and Odoo's stock follows the warehouse's.
"""

import sys
import time
from pathlib import Path

import pytest

from .odoo_shell import odoo_shell
from .polling import wait_for

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sandbox.warehouse_3pl import (  # noqa: E402
    SANDBOX_API_KEY,
    SandboxWarehouseServer,
)

SECRET = "runtime-3pl-json-cycles-secret"
ITEM = "RT-JBOX"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxWarehouseServer(
        port=0, profile="json", secret=SECRET, signature_style="timestamped"
    ) as server:
        with server.warehouse.lock:
            # Only this test's item: the snapshot below reports what changed.
            server.warehouse.stock.clear()
            server.warehouse.changed.clear()
        yield server


@pytest.fixture(scope="module")
def announced(odoo_env, odoo_server, sandbox):
    """A JSON account that announces receipts and reconciles stock, and a
    ready purchase receipt announced in a committed transaction; returns
    (endpoint code, receipt name)."""
    code = f"rt-3pl-jcy-{time.time_ns()}"
    (name,) = odoo_shell(
        odoo_env,
        f"""
        from odoo import Command
        endpoint = env["integration.endpoint"].create({{
            "name": "Runtime 3PL JSON cycles", "code": "{code}",
            "kind": "warehouse_3pl", "protocol": "rest", "base_url": "{sandbox.url}",
            "inbound_auth": "hmac", "connect_timeout": 2.0, "read_timeout": 10.0,
        }})
        credentials = env["integration.credential"]
        api_key = credentials.create({{
            "name": "Runtime 3PL API key", "endpoint_id": endpoint.id,
            "kind": "api_key", "header_name": "Authorization",
            "secret": "Bearer {SANDBOX_API_KEY}",
        }})
        endpoint.inbound_credential_id = credentials.create({{
            "name": "Runtime 3PL webhook secret", "endpoint_id": endpoint.id,
            "kind": "hmac_secret", "secret": "{SECRET}",
        }})
        used = set(env["stock.warehouse"].with_context(active_test=False)
                   .search([]).mapped("code"))
        short = next(f"RC{{n}}" for n in range(100) if f"RC{{n}}" not in used)
        warehouse = env["stock.warehouse"].create(
            {{"name": f"Runtime 3PL JSON cycles {{short}}", "code": short}})
        damaged = env["stock.location"].create({{
            "name": "Damaged", "usage": "internal",
            "location_id": warehouse.view_location_id.id,
        }})
        env["tpl.warehouse.account"].create({{
            "name": "Runtime 3PL (JSON cycles)", "endpoint_id": endpoint.id,
            "credential_id": api_key.id, "warehouse_id": warehouse.id,
            "profile": "json", "release_orders": False, "announce_receipts": True,
            "damaged_location_id": damaged.id, "reconcile_inventory": True,
            "variance_tolerance_qty": 0, "variance_tolerance_value": 0,
        }})
        product = env["product.product"].search([("default_code", "=", "{ITEM}")])
        product = product or env["product.product"].create({{
            "name": "Runtime box", "default_code": "{ITEM}", "is_storable": True,
            "standard_price": 4.0,
        }})
        supplier = env["res.partner"].create({{"name": "Runtime JSON supplier"}})
        receipt = env["stock.picking"].create({{
            "picking_type_id": warehouse.in_type_id.id,
            "partner_id": supplier.id, "origin": "PO-RT-JSON",
            "move_ids": [Command.create({{
                "name": product.name, "product_id": product.id,
                "product_uom_qty": 10, "product_uom": product.uom_id.id,
                "location_id": env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": warehouse.lot_stock_id.id,
            }})],
        }})
        receipt.action_confirm()
        assert receipt.state == "assigned", receipt.state
        receipt.action_tpl_announce()
        print("RESULT:", receipt.name)
        """,
    )
    return code, name


def read_one(server, model, domain, fields):
    records = server.execute_kw(model, "search_read", [domain], {"fields": fields})
    return records[0] if len(records) == 1 else None


def quantity(server, domain):
    quants = server.execute_kw(
        "stock.quant", "search_read", [domain], {"fields": ["quantity"]}
    )
    return sum(quant["quantity"] for quant in quants)


def test_announce_receive_then_reconcile_through_the_runner(
    odoo_server, sandbox, announced
):
    code, name = announced
    receipt_at_3pl = wait_for(
        lambda: sandbox.warehouse.receipts.get(name), "the ASN at the warehouse"
    )
    assert receipt_at_3pl["profile"] == "json"
    assert receipt_at_3pl["status"] == "announced"
    sandbox.config["callback_url"] = (
        f"{odoo_server.url}/integration/inbound/{code}/tpl-json-in"
    )
    sandbox.warehouse.behaviours.update(
        damaged_on_receipt=1, duplicate_confirmations=True
    )
    sandbox.warehouse.receive(name)
    # Both deliveries of the event reached the gateway: stored once.
    assert [d.get("status") for d in sandbox.deliveries] == [202, 200]

    def received():
        receipt = read_one(
            odoo_server,
            "stock.picking",
            [("name", "=", name)],
            ["state", "tpl_receipt_state", "location_dest_id"],
        )
        return receipt if receipt and receipt["state"] == "done" else None

    receipt = wait_for(received, "the receipt to be validated by the runner")
    assert receipt["tpl_receipt_state"] == "received"
    product = [("product_id.default_code", "=", ITEM)]
    stock = receipt["location_dest_id"][0]
    assert quantity(odoo_server, product + [("location_id", "=", stock)]) == 9
    assert quantity(odoo_server, product + [("location_id.name", "=", "Damaged")]) == 1

    # The warehouse finds 3 boxes fewer than it received, without any 947.
    sandbox.warehouse.behaviours.update(
        inventory_drift=-3, duplicate_confirmations=False
    )
    report = sandbox.warehouse.snapshot("delta", profile="json")

    def to_review():
        return read_one(
            odoo_server,
            "tpl.reconciliation",
            [("report_id", "=", report["report_id"])],
            ["state", "line_ids"],
        )

    reconciliation = wait_for(
        lambda: (r := to_review()) and r["state"] != "draft" and r,
        "the reconciliation of the snapshot",
    )
    assert reconciliation["state"] == "to_review"
    (line,) = odoo_server.execute_kw(
        "tpl.reconciliation.line",
        "read",
        [reconciliation["line_ids"], ["difference"]],
    )
    assert line["difference"] == -3
    # Nothing changes in Odoo before an inventory manager decides.
    assert quantity(odoo_server, product + [("location_id", "=", stock)]) == 9

    odoo_server.execute_kw(
        "tpl.reconciliation", "action_approve", [[reconciliation["id"]]]
    )
    assert to_review()["state"] == "applied"
    assert quantity(odoo_server, product + [("location_id", "=", stock)]) == 6
