"""The EDI channel on a real, committed database with the queue_job runner.

A buyer confirms a purchase order; the runner writes the 850 into mock-edi's
drop folder; mock-edi answers into its pickup folder; the batch flow collects
the files (moved to processed/ only once the collecting transaction commits)
and the runner applies the 997, 855, 856 and 810. Everything crosses real
commits, so this is where the file hand-over is proven, not only its logic.
"""

import pytest

from .odoo_server import OdooRpcError
from .odoo_shell import odoo_shell
from .polling import wait_for

mock_testing = pytest.importorskip("mockedi.testing")

BUYER_ID = "RUNTIMEBUYER"


@pytest.fixture(scope="module")
def exchange(tmp_path_factory):
    root = tmp_path_factory.mktemp("edi-exchange")
    drop, pickup = root / "to-supplier", root / "from-supplier"
    drop.mkdir()
    pickup.mkdir()
    with mock_testing.Mock.start(
        drop_dir=str(drop), pickup_dir=str(pickup), drop_settle_ms=0
    ) as mock:
        mock.expect(
            "POST",
            "/_mock/partners",
            {
                "id": BUYER_ID,
                "name": "Runtime Buyer",
                "dialect": "X12",
                "version": "004010",
                "behaviour": "accept",
            },
            status=201,
        )
        yield mock, drop, pickup


@pytest.fixture(scope="module")
def edi_configured(odoo_env, exchange):
    _mock, drop, pickup = exchange
    odoo_shell(
        odoo_env,
        f"""
        from odoo import Command
        # The demo supplier trades over /tmp/mock-edi, which is not here.
        env.ref("distribution_edi.trading_partner_mock_edi").active = False
        env.ref("distribution_edi.endpoint_mock_edi").active = False
        supplier = env["res.partner"].create(
            {{"name": "Runtime EDI supplier", "is_company": True}}
        )
        endpoint = env["integration.endpoint"].create({{
            "name": "Runtime EDI", "code": "runtime-edi", "kind": "supplier_edi",
            "environment": "test", "protocol": "folder", "outbox_path": "{drop}",
            "inbox_path": "{pickup}", "file_settle_seconds": 0,
        }})
        env["edi.trading.partner"].create({{
            "partner_id": supplier.id, "endpoint_id": endpoint.id, "dialect": "X12",
            "our_interchange_id": "{BUYER_ID}", "partner_interchange_id": "MOCKEDI",
            "product_identification": "vendor_code", "receipt_policy": "validate",
        }})
        product = env["product.product"].create({{
            "name": "Runtime gear", "is_storable": True,
            "supplier_taxes_id": [Command.clear()],
            "seller_ids": [Command.create({{
                "partner_id": supplier.id, "product_code": "GEAR-100", "price": 8.90,
            }})],
        }})
        order = env["purchase.order"].create({{
            "partner_id": supplier.id,
            "order_line": [Command.create({{
                "product_id": product.id, "product_qty": 12, "price_unit": 8.90,
            }})],
        }})
        order.button_confirm()
        print("RESULT:", order.id)
        """,
    )
    return odoo_env


def order_state(server):
    (order,) = server.execute_kw(
        "purchase.order",
        "search_read",
        [[("partner_id.name", "=", "Runtime EDI supplier")]],
        {"fields": ["name", "edi_state", "invoice_ids", "picking_ids"]},
    )
    return order


def test_purchase_order_cycle_through_the_runner(edi_configured, exchange, odoo_server):
    mock, drop, pickup = exchange
    # The runner sends the 850 into the supplier's folder.
    wait_for(lambda: list(drop.rglob("*850*")), "the 850 in the drop folder")
    order = order_state(odoo_server)
    mock.expect("POST", "/_mock/drop/scan")
    mock.expect("POST", "/_mock/advance?all")
    answers = wait_for(lambda: sorted(pickup.glob("*.edi")), "the supplier's answers")
    assert len(answers) == 4  # 997, 855, 856, 810

    odoo_shell(
        edi_configured,
        'env.ref("distribution_edi.flow_edi_poll").action_run_batch_now()',
    )
    # Committed: the collected files moved aside, none left to read twice.
    assert len(list((pickup / "processed").glob("*.edi"))) == 4
    assert not list(pickup.glob("*.edi*"))

    def applied():
        current = order_state(odoo_server)
        return current if current["invoice_ids"] else None

    # The bill waits (retried with the flow's backoff) for the ship notice sent
    # before it; on a loaded machine that takes more than two minutes.
    order = wait_for(applied, "the invoice to be applied", timeout=300)

    def finished():
        rows = odoo_server.execute_kw(
            "integration.message",
            "search_read",
            [[("endpoint_id.code", "=", "runtime-edi")]],
            {"fields": ["flow_id", "state", "attempt_count"]},
        )
        # A document that met another of its order's documents is retried by
        # the runner after a serialization error: wait for it.
        pending = ("queued", "sending", "retrying", "received", "processing")
        return rows if all(row["state"] not in pending for row in rows) else None

    messages = wait_for(finished, "every message to finish")
    # Read once every document is applied: a bill created before its goods
    # were received is matched again when they are (possibly seconds later,
    # after a retry).
    order = order_state(odoo_server)
    assert order["edi_state"] == "confirmed"
    (bill,) = odoo_server.execute_kw(
        "account.move",
        "read",
        [order["invoice_ids"], ["state", "edi_match_state", "amount_total"]],
    )
    assert bill["state"] == "draft"
    assert bill["edi_match_state"] == "matched"
    assert bill["amount_total"] == pytest.approx(12 * 8.90)
    states = sorted((row["flow_id"][1], row["state"]) for row in messages)
    assert ("EDI purchase orders (850 / ORDERS)", "acknowledged") in states
    assert all(state in ("done", "sent", "acknowledged") for _flow, state in states), (
        states
    )
    # Our 997s for the 855, 856 and 810 went back through the folder.
    wait_for(lambda: len(list(drop.rglob("*997*"))) == 3 or None, "our three 997s", 60)
    jobs = odoo_server.execute_kw(
        "queue.job",
        "search_read",
        [[("model_name", "=", "integration.message"), ("state", "!=", "done")]],
        {"fields": ["uuid", "state", "exc_info"]},
    )
    assert jobs == []

    # The posting block holds over RPC: the bill edited to bill more than
    # arrived is refused, whichever posting method is called.
    (bill,) = odoo_server.execute_kw(
        "account.move", "read", [order["invoice_ids"], ["invoice_line_ids"]]
    )
    odoo_server.execute_kw(
        "account.move",
        "write",
        [
            order["invoice_ids"],
            {"invoice_line_ids": [(1, bill["invoice_line_ids"][0], {"quantity": 20})]},
        ],
    )
    with pytest.raises(OdooRpcError, match="does not match the purchase order"):
        odoo_server.execute_kw("account.move", "action_post", [order["invoice_ids"]])
    (bill,) = odoo_server.execute_kw(
        "account.move", "read", [order["invoice_ids"], ["state", "edi_match_state"]]
    )
    assert bill["state"] == "draft"
