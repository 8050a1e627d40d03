"""The 3PL channel's JSON API profile on a real, committed database with the
queue_job runner: a delivery released in Odoo reaches the sandbox warehouse
over REST (sent by the runner), the warehouse ships it short and twice-delivers
its signed webhook to the real server's inbound gateway, and the runner applies
it once: the delivery is validated with a backorder. The scheduled pull then
reads the same events without a second message."""

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

SECRET = "runtime-3pl-json-secret"


@pytest.fixture(scope="module")
def sandbox():
    with SandboxWarehouseServer(
        port=0, profile="json", secret=SECRET, signature_style="timestamped"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def released(odoo_env, odoo_server, sandbox):
    """A JSON-profile account on the sandbox and a ready delivery released in a
    committed transaction; returns (endpoint code, delivery name)."""
    code = f"rt-3pl-json-{time.time_ns()}"
    (name,) = odoo_shell(
        odoo_env,
        f"""
        from odoo import Command
        endpoint = env["integration.endpoint"].create({{
            "name": "Runtime 3PL JSON", "code": "{code}", "kind": "warehouse_3pl",
            "protocol": "rest", "base_url": "{sandbox.url}", "inbound_auth": "hmac",
            "connect_timeout": 2.0, "read_timeout": 10.0,
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
        warehouse = env["stock.warehouse"].search([("name", "=", "Runtime 3PL JSON")])
        if not warehouse:
            used = set(env["stock.warehouse"].with_context(active_test=False)
                       .search([]).mapped("code"))
            short = next(f"RJ{{n}}" for n in range(100) if f"RJ{{n}}" not in used)
            warehouse = env["stock.warehouse"].create(
                {{"name": "Runtime 3PL JSON", "code": short}})
        env["tpl.warehouse.account"].search(
            [("warehouse_id", "=", warehouse.id)]).write({{"active": False}})
        env["tpl.warehouse.account"].create({{
            "name": "Runtime 3PL (JSON)", "endpoint_id": endpoint.id,
            "credential_id": api_key.id, "warehouse_id": warehouse.id,
            "profile": "json", "release_orders": True,
        }})
        product = env["product.product"].search([("default_code", "=", "RT-PANEL")])
        product = product or env["product.product"].create({{
            "name": "Runtime panel", "default_code": "RT-PANEL", "is_storable": True,
        }})
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 10)
        picking = env["stock.picking"].create({{
            "picking_type_id": warehouse.out_type_id.id,
            "partner_id": env.ref("base.res_partner_2").id,
            "move_ids": [Command.create({{
                "name": product.name, "product_id": product.id,
                "product_uom_qty": 10, "product_uom": product.uom_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
            }})],
        }})
        picking.action_confirm()
        picking.action_assign()
        assert picking.state == "assigned", picking.state
        picking.action_tpl_release()
        print("RESULT:", picking.name)
        """,
    )
    return code, name


def picking_of(server, name):
    (picking,) = server.execute_kw(
        "stock.picking",
        "search_read",
        [[("name", "=", name)]],
        {"fields": ["state", "tpl_release_state", "tpl_shipment_id", "backorder_ids"]},
    )
    return picking


def events_in(server, code):
    return server.execute_kw(
        "integration.message",
        "search_read",
        [[("endpoint_id.code", "=", code), ("flow_id.code", "=", "tpl-json-in")]],
        {"fields": ["state", "idempotency_key", "external_ref"]},
    )


def test_release_and_webhook_confirmation_through_the_runner(
    odoo_env, odoo_server, sandbox, released
):
    code, name = released
    order = wait_for(
        lambda: sandbox.warehouse.orders.get(name), "the order at the warehouse"
    )
    assert order["profile"] == "json"
    wait_for(
        lambda: picking_of(odoo_server, name)["tpl_release_state"] == "released",
        "the release to be recorded",
    )
    sandbox.config["callback_url"] = (
        f"{odoo_server.url}/integration/inbound/{code}/tpl-json-in"
    )
    sandbox.warehouse.behaviours.update(short_pick=2, duplicate_confirmations=True)
    (shipment,) = sandbox.warehouse.ship(name)
    # Both deliveries of the event were answered by the gateway: stored once.
    assert [d.get("status") for d in sandbox.deliveries] == [202, 200]

    def validated():
        picking = picking_of(odoo_server, name)
        return picking if picking["state"] == "done" else None

    picking = wait_for(validated, "the delivery to be validated by the runner")
    assert picking["tpl_shipment_id"] == shipment["shipment_id"]
    assert picking["tpl_release_state"] == "shipped"
    (backorder,) = odoo_server.execute_kw(
        "stock.picking", "read", [picking["backorder_ids"], ["move_ids"]]
    )
    (move,) = odoo_server.execute_kw(
        "stock.move", "read", [backorder["move_ids"], ["product_uom_qty"]]
    )
    assert move["product_uom_qty"] == 2
    (message,) = events_in(odoo_server, code)
    assert message["state"] == "done"
    assert message["idempotency_key"] == sandbox.events[0]["id"]
    assert message["external_ref"] == shipment["shipment_id"]

    # The scheduled pull reads the same two events: no new message.
    (cursor,) = odoo_shell(
        odoo_env,
        f"""
        account = env["tpl.warehouse.account"].search(
            [("endpoint_id.code", "=", "{code}")])
        account.pull_outbox = True
        env.cr.commit()
        env["integration.dispatch"]._run_batch_flows(
            env.ref("distribution_3pl.flow_tpl_json_events"),
            endpoints=account.endpoint_id)
        print("RESULT:", account.json_event_cursor)
        """,
    )
    assert cursor == "2"
    assert len(events_in(odoo_server, code)) == 1
