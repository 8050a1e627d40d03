"""Carrier tracking on a real, committed database: two workers, one shipment.

A transfer is booked with a real Karrio; Karrio plays the carrier's scans and
sends its webhooks to the kernel gateway of a 2-worker Odoo whose job runner
applies them two at a time. The same webhooks then arrive again, repeated and
shuffled, all at once: the shipment must end delivered, with one delivery
notice and one delivery email, and every message applied (a conflict between
the two workers is a serialization error the runner retries).
"""

import importlib.util
import json
import random
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from .odoo_server import OdooServer
from .odoo_shell import odoo_shell
from .polling import wait_for

ENDPOINT_CODE = "karrio-rt"
PEER_PATH = (
    Path(__file__).resolve().parents[2]
    / "addons"
    / "distribution_carrier"
    / "tests"
    / "karrio_peer.py"
)


def _karrio_peer_module():
    # The peer lives with the addon's Odoo tests; load it by path (that package
    # imports Odoo).
    if "karrio_peer" not in sys.modules:
        spec = importlib.util.spec_from_file_location("karrio_peer", PEER_PATH)
        module = importlib.util.module_from_spec(spec)
        sys.modules["karrio_peer"] = module
        spec.loader.exec_module(module)
    return sys.modules["karrio_peer"]


@pytest.fixture(scope="module")
def karrio():
    peer_module = _karrio_peer_module()
    try:
        peer = peer_module.KarrioPeer(peer_module.build_karrio_env()).start()
    except peer_module.KarrioUnavailable as exc:
        pytest.skip(f"Karrio peer unavailable: {exc}")
    try:
        yield peer
    finally:
        peer.stop()


@pytest.fixture(scope="module")
def booked(odoo_env, karrio):
    """A transfer booked with Karrio (inline, committed): its id and shipment."""
    (result,) = odoo_shell(
        odoo_env,
        f"""
        import json
        from odoo import Command
        company = env.company
        us = env.ref("base.us")
        company.partner_id.write({{
            "street": "1 Dock Street", "city": "Newark", "zip": "07102",
            "state_id": env.ref("base.state_us_25").id, "country_id": us.id,
            "phone": "+15555550100",
        }})
        company.write({{
            "delivery_state_delivered_email_validation": True,
            "delivery_state_delivered_mail_template_id": env.ref(
                "delivery_state.delivery_state_delivered_notification").id,
        }})
        warehouse = env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1)
        warehouse.partner_id = company.partner_id
        customer = env["res.partner"].create({{
            "name": "Runtime Customer", "street": "2 Main Street",
            "city": "Chicago", "zip": "60601", "country_id": us.id,
            "state_id": env.ref("base.state_us_14").id, "phone": "+15555550199",
            "email": "runtime.customer@example.com",
        }})
        endpoint = env["integration.endpoint"].create({{
            "name": "Karrio runtime", "code": "{ENDPOINT_CODE}", "kind": "carrier",
            "base_url": "{karrio.url}", "connect_timeout": 2.0,
            "read_timeout": 20.0, "inbound_auth": "shared_secret",
            "inbound_secret_header": "X-Event-Id",
            "inbound_rate_limit_per_minute": 0, "circuit_failure_threshold": 50,
            "job_channel_capacity": 2,
        }})
        token = env["integration.credential"].create({{
            "name": "Karrio token", "endpoint_id": endpoint.id, "kind": "api_key",
            "header_name": "Authorization", "secret": "{karrio.api_key}",
        }})
        account = env["carrier.account"].create({{
            "name": "Karrio runtime",
            "endpoint_id": endpoint.id, "credential_id": token.id,
            "karrio_carrier_ids": "{karrio.carrier_id}", "scan_sla_hours": 0,
        }})
        method = env["delivery.carrier"].create({{
            "name": "Karrio runtime standard", "delivery_type": "karrio",
            "integration_level": "rate_and_ship",
            "product_id": env["product.product"].create(
                {{"name": "Runtime shipping", "type": "service"}}).id,
            "carrier_account_id": account.id,
            "carrier_service_code": "standard_service",
        }})
        product = env["product.product"].create(
            {{"name": "Runtime bracket", "is_storable": True, "weight": 2.5}})
        env["stock.quant"]._update_available_quantity(
            product, warehouse.lot_stock_id, 10)
        picking = env["stock.picking"].create({{
            "picking_type_id": warehouse.out_type_id.id,
            "partner_id": customer.id,
            "carrier_id": method.id,
            "move_ids": [Command.create({{
                "name": product.name, "product_id": product.id,
                "product_uom_qty": 1, "product_uom": product.uom_id.id,
                "location_id": warehouse.lot_stock_id.id,
                "location_dest_id": env.ref("stock.stock_location_customers").id,
            }})],
        }})
        picking.action_confirm()
        picking.action_assign()
        picking.move_line_ids.write({{"quantity": 1, "picked": True}})
        validated = picking.with_context(
            queue_job__no_delay=True, skip_sms=True
        ).button_validate()
        assert validated is True, validated
        assert picking.carrier_booking_state == "booked", (
            picking.state, picking.carrier_booking_state,
            picking.picking_type_id.print_label,
            picking.carrier_booking_message_id.state,
            picking.carrier_booking_message_id.last_error)
        print("RESULT:", json.dumps({{
            "picking": picking.id, "shipment": picking.carrier_shipment_ref,
        }}))
        """,
    )
    return json.loads(result)


def scan(code, description, status, hours):
    moment = datetime.now(timezone.utc) + timedelta(hours=hours)
    return {
        "date": moment.strftime("%Y-%m-%d"),
        "time": moment.strftime("%H:%M"),
        "code": code,
        "description": description,
        "location": "Chicago, IL",
        "status": status,
    }


def test_concurrent_repeated_out_of_order_webhooks_end_delivered_once(
    odoo_env, karrio, booked
):
    channels = f"root:2,root.integration:2,root.integration.{ENDPOINT_CODE}:2"
    with OdooServer(
        odoo_env.python, odoo_env.config, odoo_env.db, channels=channels
    ) as server:
        webhook_url = (
            f"{server.url}/integration/inbound/{ENDPOINT_CODE}/carrier-tracking-in"
        )
        webhook = karrio.create_webhook(
            webhook_url, events=("tracker_created", "tracker_updated")
        )
        odoo_shell(
            odoo_env,
            f"""
            endpoint = env["integration.endpoint"].search(
                [("code", "=", "{ENDPOINT_CODE}")])
            endpoint.inbound_credential_id = env["integration.credential"].create({{
                "name": "Karrio webhook secret", "endpoint_id": endpoint.id,
                "kind": "hmac_secret", "secret": "{webhook["secret"]}",
            }})
            """,
        )
        tracker = karrio.create_tracker(booked["shipment"])
        views = []  # the tracker as each of Karrio's webhooks carries it
        for status, event, delivered in (
            ("in_transit", scan("PU", "Picked up", "in_transit", 1), False),
            ("delivered", scan("DL", "Delivered", "delivered", 3), True),
            # The out-for-delivery scan reaches Karrio after the delivery.
            (
                "out_for_delivery",
                scan("OD", "Out for delivery", "out_for_delivery", 2),
                False,
            ),
        ):
            if delivered:
                karrio.set_proof_of_delivery(tracker["id"], "J. DOE")
            karrio.inject_events(tracker["id"], status, [event], delivered=delivered)
            views.append(karrio.api("GET", f"/v1/trackers/{tracker['id']}"))
        karrio.delete_webhook(webhook["id"])

        # Karrio retries: every view again, three times, shuffled, all at once.
        bodies = [
            json.dumps({"event": "tracker_updated", "data": view}).encode()
            for view in views * 3
        ]
        random.Random(11).shuffle(bodies)

        def post(body):
            return requests.post(
                webhook_url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Event-Id": webhook["secret"],
                },
                timeout=30,
            ).status_code

        with ThreadPoolExecutor(max_workers=6) as pool:
            assert set(pool.map(post, bodies)) == {202}

        def finished():
            rows = server.execute_kw(
                "integration.message",
                "search_read",
                [
                    [
                        ("endpoint_id.code", "=", ENDPOINT_CODE),
                        ("direction", "=", "inbound"),
                    ]
                ],
                {"fields": ["state", "last_error"]},
            )
            pending = ("received", "processing", "queued", "retrying")
            enough = len(rows) >= len(bodies) + len(views)
            return (
                rows
                if enough and all(r["state"] not in pending for r in rows)
                else None
            )

        messages = wait_for(finished, "every webhook to be applied")
        assert {row["state"] for row in messages} == {"done"}, messages
        (picking,) = server.execute_kw(
            "stock.picking",
            "read",
            [
                [booked["picking"]],
                ["carrier_tracking_status", "delivery_state", "carrier_signed_by"],
            ],
        )
        assert picking["carrier_tracking_status"] == "delivered"
        assert picking["delivery_state"] == "customer_delivered"
        assert picking["carrier_signed_by"] == "J. DOE"
        codes = server.execute_kw(
            "carrier.tracking.event",
            "search_read",
            [[("picking_id", "=", booked["picking"])]],
            {"fields": ["code"]},
        )
        assert sorted(row["code"] for row in codes) == ["CREATED", "DL", "OD", "PU"]
        notices = server.execute_kw(
            "mail.message",
            "search_read",
            [[("model", "=", "stock.picking"), ("res_id", "=", booked["picking"])]],
            {"fields": ["body"]},
        )
        bodies_text = [row["body"] or "" for row in notices]
        assert sum("Delivered on" in body for body in bodies_text) == 1
        assert sum("has been delivered" in body for body in bodies_text) == 1
        failed_jobs = server.execute_kw(
            "queue.job",
            "search_read",
            [[("model_name", "=", "integration.message"), ("state", "=", "failed")]],
            {"fields": ["exc_info"]},
        )
        assert failed_jobs == []
        conflicts = server.log_text().count("could not serialize access")
        print(f"serialization conflicts retried by the runner: {conflicts}")
