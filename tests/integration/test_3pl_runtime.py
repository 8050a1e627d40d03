"""The 3PL channel (X12 profile) on a real 2-worker Odoo server with the
queue_job runner, against the repository's sandbox warehouse started here on
127.0.0.1: one warehouse over HTTP (940 POSTed, the warehouse's 945 pushed,
signed, to the kernel's inbound gateway, our 997 POSTed back), one over
folders (940 written to its pickup folder, its 945 and 997 collected from its
drop folder by the kernel's collector).

Every cycle is release → ship → confirm, committed step by step as users and
the runner do it: a short pick makes a backorder, a lot substitution goes to
the exception queue with nothing validated, a repeated confirmation has no
second effect, and a warehouse that confirms late raises the expectation's
exception (its deadline is read back from the record, never from today's
date) which the late 945 then closes.
"""

import json
import secrets
import sys
import urllib.request
from pathlib import Path
from urllib.parse import quote

import pytest

from .odoo_shell import odoo_shell
from .polling import wait_for

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from sandbox.warehouse_3pl import (  # noqa: E402
    SANDBOX_API_KEY,
    SANDBOX_SECRET,
    SandboxWarehouseServer,
)

# Codes of this run: the module may run again on the same database.
RUN = secrets.token_hex(2).upper()
TRANSPORTS = ("http", "folder")
FINAL_STATES = ("sent", "acknowledged", "dead", "done", "rejected", "cancelled")


def admin(sandbox, path, body=None):
    """A call to the sandbox's admin routes, over HTTP like any client."""
    request = urllib.request.Request(
        sandbox.url + path,
        data=json.dumps(body or {}).encode(),
        method="POST",
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read() or b"null")


@pytest.fixture(scope="module")
def sandboxes(tmp_path_factory):
    """One sandbox per transport: a sandbox writes every confirmation to its
    drop folder and pushes it to its callback, so one shared by both accounts
    would confirm each order to the other warehouse too."""
    root = tmp_path_factory.mktemp("tpl-runtime")
    pickup, drop = root / "pickup", root / "drop"
    pickup.mkdir()
    drop.mkdir()
    http = SandboxWarehouseServer(
        port=0, profile="x12", signature_style="timestamped"
    ).start()
    folder = SandboxWarehouseServer(
        port=0, profile="x12", drop_dir=str(drop), pickup_dir=str(pickup)
    ).start()
    try:
        yield {"http": http, "folder": folder, "pickup": pickup, "drop": drop}
    finally:
        http.stop()
        folder.stop()


@pytest.fixture(scope="module")
def tpl(odoo_env, odoo_server, sandboxes):
    """Two 3PL warehouses (HTTP, folder) with stock, committed; their ids."""
    (result,) = odoo_shell(
        odoo_env,
        f"""
        import json
        run = "{RUN}"
        profile = env["edi.interchange.profile"].create({{
            "dialect": "X12", "x12_version": "004010",
            "our_qualifier": "ZZ", "our_interchange_id": "RUNTIME" + run,
            "partner_qualifier": "ZZ", "partner_interchange_id": "SANDBOX3PL",
        }})
        http = env["integration.endpoint"].create({{
            "name": "Runtime 3PL HTTP " + run, "code": "tpl-rt-http-" + run.lower(),
            "kind": "warehouse_3pl", "protocol": "edi_http", "environment": "test",
            "base_url": "{sandboxes["http"].url}", "connect_timeout": 5.0,
            "read_timeout": 20.0, "inbound_auth": "hmac",
            "inbound_rate_limit_per_minute": 0, "inbound_failure_limit": 0,
        }})
        api_key = env["integration.credential"].create({{
            "name": "Sandbox API key", "endpoint_id": http.id, "kind": "api_key",
            "header_name": "Authorization", "secret": "Bearer {SANDBOX_API_KEY}",
        }})
        http.inbound_credential_id = env["integration.credential"].create({{
            "name": "Sandbox webhook secret", "endpoint_id": http.id,
            "kind": "hmac_secret", "secret": "{SANDBOX_SECRET}",
        }})
        folder = env["integration.endpoint"].create({{
            "name": "Runtime 3PL folder " + run,
            "code": "tpl-rt-folder-" + run.lower(), "kind": "warehouse_3pl",
            "protocol": "folder", "environment": "test",
            "outbox_path": "{sandboxes["pickup"]}",
            "inbox_path": "{sandboxes["drop"]}", "file_settle_seconds": 0,
        }})
        reviewer = env.ref("base.user_admin")
        panel = env["product.product"].create({{
            "name": "Runtime panel " + run, "default_code": "RT-PANEL-" + run,
            "is_storable": True,
        }})
        bracket = env["product.product"].create({{
            "name": "Runtime bracket " + run, "default_code": "RT-BRKT-" + run,
            "is_storable": True, "tracking": "lot",
        }})
        lot = env["stock.lot"].create(
            {{"name": "RT-LOT-" + run, "product_id": bracket.id}})
        out = {{"customers": env.ref("stock.stock_location_customers").id,
                "uom": panel.uom_id.id,
                "panel": panel.id, "bracket": bracket.id,
                "collect_flow": env.ref("distribution_3pl.flow_tpl_collect").id}}
        for transport, endpoint, credential in (
            ("http", http, api_key), ("folder", folder, False)
        ):
            warehouse = env["stock.warehouse"].create({{
                "name": "Runtime 3PL " + transport + " " + run,
                "code": transport[0].upper() + run,
            }})
            account = env["tpl.warehouse.account"].create({{
                "name": "Runtime 3PL " + transport + " " + run,
                "endpoint_id": endpoint.id,
                "credential_id": credential and credential.id,
                "warehouse_id": warehouse.id,
                "interchange_profile_id": profile.id,
                "confirmation_hours": 6, "reviewer_id": reviewer.id,
            }})
            stock = warehouse.lot_stock_id
            env["stock.quant"]._update_available_quantity(panel, stock, 100)
            env["stock.quant"]._update_available_quantity(
                bracket, stock, 50, lot_id=lot)
            out[transport] = {{
                "account": account.id, "endpoint": endpoint.id,
                "code": endpoint.code, "warehouse": warehouse.id,
                "out_type": warehouse.out_type_id.id, "stock": stock.id,
            }}
        print("RESULT:", json.dumps(out))
        """,
    )
    ids = json.loads(result)
    ids["lot"] = f"RT-LOT-{RUN}"
    # The warehouse pushes its X12 to the gateway's route of our inbound flow.
    admin(
        sandboxes["http"],
        "/_sandbox/config",
        {
            "callback_url": f"{odoo_server.url}/integration/inbound/"
            f"{ids['http']['code']}/tpl-x12-in"
        },
    )
    yield ids
    # Later runs on this database must neither collect from folders gone by
    # then nor release this run's backorders to a sandbox gone by then.
    odoo_server.execute_kw(
        "tpl.warehouse.account",
        "write",
        [[ids["http"]["account"], ids["folder"]["account"]], {"active": False}],
    )
    odoo_server.execute_kw(
        "integration.endpoint",
        "write",
        [[ids["http"]["endpoint"], ids["folder"]["endpoint"]], {"active": False}],
    )


@pytest.fixture
def cycle(tpl, odoo_server, sandboxes, request):
    transport = request.param
    sandbox = sandboxes[transport]
    admin(sandbox, "/_sandbox/reset")
    return Cycle(odoo_server, tpl, sandbox, transport)


class Cycle:
    """One delivery's way through the 3PL, driven as users and the warehouse
    drive it; every read goes through RPC on the running server."""

    def __init__(self, server, ids, sandbox, transport):
        self.server = server
        self.ids = ids
        self.sandbox = sandbox
        self.transport = transport
        self.wh = ids[transport]
        # The sandbox numbers its shipments from 1 again after each reset: this
        # test's messages are the ones after this.
        last = server.execute_kw(
            "integration.message", "search", [[]], {"order": "id desc", "limit": 1}
        )
        self.since = last[0] if last else 0

    def read(self, model, ids, fields):
        return self.server.execute_kw(model, "read", [ids, fields])

    def picking(self, picking_id, fields=()):
        (row,) = self.read(
            "stock.picking",
            [picking_id],
            [
                "name",
                "state",
                "tpl_release_state",
                "tpl_shipment_id",
                "carrier_tracking_ref",
                "backorder_ids",
                "move_ids",
                *fields,
            ],
        )
        return row

    def release(self, product, quantity):
        """A ready delivery released by a stock user (RPC), then sent by the
        runner; the delivery once its 940 left."""
        server = self.server
        picking_id = server.execute_kw(
            "stock.picking",
            "create",
            [
                {
                    "picking_type_id": self.wh["out_type"],
                    "partner_id": server.execute_kw(
                        "res.partner",
                        "create",
                        [{"name": f"Runtime customer {RUN}", "city": "Austin"}],
                    ),
                    "origin": f"SO-RT-{RUN}",
                    "move_ids": [
                        (0, 0, {
                            "name": "3PL runtime",
                            "product_id": self.ids[product],
                            "product_uom_qty": quantity,
                            "product_uom": self.ids["uom"],
                            "location_id": self.wh["stock"],
                            "location_dest_id": self.ids["customers"],
                        })
                    ],
                }
            ],
        )  # fmt: skip
        server.execute_kw("stock.picking", "action_confirm", [[picking_id]])
        server.execute_kw("stock.picking", "action_assign", [[picking_id]])
        assert self.picking(picking_id)["state"] == "assigned"
        assert server.execute_kw("stock.picking", "action_tpl_release", [[picking_id]])
        picking = wait_for(
            lambda: (
                (row := self.picking(picking_id))["tpl_release_state"] == "released"
                and row
            ),
            "the runner to send the 940",
        )
        # The warehouse has the order: at once over HTTP, once its poller
        # read the pickup folder otherwise.
        orders = self.sandbox.warehouse.orders
        wait_for(lambda: picking["name"] in orders, "the sandbox to take the 940")
        assert orders[picking["name"]]["status"] == "open"
        return picking

    def ship(self, picking):
        """The warehouse ships: its admin route, the order number (Odoo's
        "WH/OUT/00001") %2F-encoded in one path segment."""
        shipments = admin(
            self.sandbox, f"/_sandbox/ship/{quote(picking['name'], safe='')}"
        )
        self.collect()
        return shipments

    def collect(self):
        """Folder: an Inventory user runs the collection now (the schedule
        would); HTTP: the warehouse pushed, nothing to do."""
        if self.transport == "folder":
            assert self.server.execute_kw(
                "integration.flow", "action_run_batch_now", [[self.ids["collect_flow"]]]
            )

    def advices(self, shipment):
        """The inbound messages that brought ``shipment`` (over folders, the
        warehouse's 997s to our 940s are inbound messages of their own)."""
        return self.server.execute_kw(
            "integration.message",
            "search_read",
            [
                [
                    ("flow_id.code", "=", "tpl-x12-in"),
                    ("endpoint_id", "=", self.wh["endpoint"]),
                    ("external_ref", "=", shipment["shipment_id"]),
                    ("id", ">", self.since),
                ]
            ],
            {"fields": ["state", "external_ref", "exception_ids", "last_error"]},
        )

    def settled(self):
        """Every message of this warehouse finished; them."""

        def finished():
            rows = self.server.execute_kw(
                "integration.message",
                "search_read",
                [[("endpoint_id", "=", self.wh["endpoint"])]],
                {"fields": ["flow_id", "state", "last_error", "parent_id"]},
            )
            return rows if all(r["state"] in FINAL_STATES for r in rows) else None

        return wait_for(finished, "every message of the warehouse to finish")

    def exceptions(self, picking_id):
        return self.server.execute_kw(
            "integration.exception",
            "search_read",
            [[("res_model", "=", "stock.picking"), ("res_id", "=", picking_id)]],
            {"fields": ["category", "name", "details", "state", "user_id"]},
        )

    def expectation(self, picking_id):
        (row,) = self.server.execute_kw(
            "integration.expectation",
            "search_read",
            [[("res_model", "=", "stock.picking"), ("res_id", "=", picking_id)]],
            {"fields": ["state", "due_at", "exception_id"]},
        )
        return row

    def failed_jobs(self):
        return self.server.execute_kw(
            "queue.job",
            "search_read",
            [[("state", "=", "failed")]],
            {"fields": ["name", "exc_info"]},
        )


def shipped(cycle, picking_id):
    row = cycle.picking(picking_id)
    return row if row["state"] == "done" else None


def acknowledged(cycle):
    """Our 997 for each advice was sent, and the warehouse read it."""
    rows = cycle.settled()
    acks = [r for r in rows if r["flow_id"][1].startswith("3PL: acknowledgements")]
    assert acks and all(r["state"] == "sent" for r in acks), rows
    wait_for(lambda: cycle.sandbox.acknowledged, "the warehouse to read our 997", 60)


@pytest.mark.parametrize("cycle", TRANSPORTS, indirect=True)
def test_a_short_pick_validates_what_shipped_and_backorders_the_rest(cycle):
    admin(cycle.sandbox, "/_sandbox/behaviours", {"short_pick": 2})
    picking = cycle.release("panel", 10)
    expectation = cycle.expectation(picking["id"])
    assert expectation["state"] == "open"
    (shipment,) = cycle.ship(picking)
    done = wait_for(lambda: shipped(cycle, picking["id"]), "the 945 to be applied")
    assert done["tpl_release_state"] == "shipped"
    assert done["tpl_shipment_id"] == shipment["shipment_id"]
    assert done["carrier_tracking_ref"] == (shipment["packages"][0]["tracking_number"])
    (move,) = cycle.read("stock.move", done["move_ids"], ["quantity", "state"])
    assert (move["quantity"], move["state"]) == (8, "done")
    (backorder,) = cycle.read(
        "stock.picking",
        done["backorder_ids"],
        ["state", "tpl_release_state", "move_ids"],
    )
    (rest,) = cycle.read("stock.move", backorder["move_ids"], ["product_uom_qty"])
    assert rest["product_uom_qty"] == 2
    assert backorder["tpl_release_state"] == "none"
    assert cycle.expectation(picking["id"])["state"] == "met"
    (advice,) = cycle.advices(shipment)
    assert advice["state"] == "done", advice["last_error"]
    assert not advice["exception_ids"]
    acknowledged(cycle)
    assert cycle.failed_jobs() == []


@pytest.mark.parametrize("cycle", TRANSPORTS, indirect=True)
def test_a_lot_substitution_goes_to_the_exception_queue(cycle):
    admin(cycle.sandbox, "/_sandbox/behaviours", {"lot_substitution": True})
    picking = cycle.release("bracket", 5)
    (shipment,) = cycle.ship(picking)

    def refused():
        row = cycle.picking(picking["id"])
        return row if row["tpl_release_state"] == "exception" else None

    row = wait_for(refused, "the substitution to be refused")
    assert row["state"] == "assigned"  # nothing validated
    (exception,) = cycle.exceptions(picking["id"])
    assert exception["category"] == "business_rule"
    assert "lot substitution" in exception["details"]
    assert f"SUB-{cycle.ids['lot']}" in exception["details"]
    assert exception["user_id"][0] == cycle.server.login()
    # The 945 was read and answered; it is the delivery that waits for review.
    (advice,) = cycle.advices(shipment)
    assert advice["state"] == "done", advice["last_error"]
    assert advice["exception_ids"] == [exception["id"]]
    # The warehouse answered in time: the exception is what to follow, and no
    # late 945 is raised on top of it (as for a refused 944).
    assert cycle.expectation(picking["id"])["state"] == "met"
    acknowledged(cycle)


@pytest.mark.parametrize("cycle", TRANSPORTS, indirect=True)
def test_a_repeated_confirmation_has_no_second_effect(cycle):
    admin(cycle.sandbox, "/_sandbox/behaviours", {"duplicate_confirmations": True})
    picking = cycle.release("bracket", 5)
    (shipment,) = cycle.ship(picking)
    done = wait_for(lambda: shipped(cycle, picking["id"]), "the 945 to be applied")
    cycle.collect()  # the same files again: still one message each
    rows = cycle.settled()
    events = [e for e in cycle.sandbox.events if e["code"] == "945"]
    assert len(events) == 2 and events[0]["x12"] == events[1]["x12"]
    advices = cycle.advices(shipment)
    if cycle.transport == "folder":
        # Two identical files: one message (the collector's content key).
        assert len(advices) == 1
    else:
        # Two pushes: each stored or refused as a replay of the same signed
        # request; none applied twice.
        statuses = [d.get("status") for d in cycle.sandbox.deliveries]
        assert statuses[0] == 202 and statuses[1] in (200, 202, 409), statuses
        assert 1 <= len(advices) <= 2
    assert all(a["state"] == "done" and not a["exception_ids"] for a in advices), (
        advices,
        rows,
    )
    assert done["tpl_shipment_id"] == shipment["shipment_id"]
    assert not done["backorder_ids"]
    (move,) = cycle.read("stock.move", done["move_ids"], ["quantity", "state"])
    assert (move["quantity"], move["state"]) == (5, "done")
    lines = cycle.server.execute_kw(
        "stock.move.line",
        "search_read",
        [[("picking_id", "=", picking["id"])]],
        {"fields": ["quantity", "lot_name", "lot_id"]},
    )
    assert [(line["quantity"], line["lot_id"][1]) for line in lines] == [
        (5, cycle.ids["lot"])
    ]
    assert cycle.exceptions(picking["id"]) == []


@pytest.mark.parametrize("cycle", TRANSPORTS, indirect=True)
def test_a_late_warehouse_raises_the_expectation_then_its_945_closes_it(
    cycle, odoo_env
):
    admin(cycle.sandbox, "/_sandbox/behaviours", {"late_confirmations": True})
    picking = cycle.release("panel", 3)
    cycle.ship(picking)  # shipped, but the warehouse holds the 945 back
    expectation = cycle.expectation(picking["id"])
    assert expectation["state"] == "open"
    # The monitor runs a minute after this delivery's own deadline (read from
    # the record: the test never depends on today's date).
    odoo_shell(
        odoo_env,
        f"""
        import datetime
        expectation = env["integration.expectation"].browse({expectation["id"]})
        env["integration.expectation"]._cron_raise_late(
            now=expectation.due_at + datetime.timedelta(minutes=1))
        """,
    )
    late = cycle.expectation(picking["id"])
    assert late["state"] == "late"
    (exception,) = cycle.exceptions(picking["id"])
    assert exception["id"] == late["exception_id"][0]
    assert exception["category"] == "sla"
    assert exception["state"] == "new"
    assert cycle.picking(picking["id"])["state"] == "assigned"

    assert admin(cycle.sandbox, "/_sandbox/flush")["published"] == 1
    cycle.collect()
    done = wait_for(lambda: shipped(cycle, picking["id"]), "the late 945")
    assert done["tpl_release_state"] == "shipped"
    assert cycle.expectation(picking["id"])["state"] == "met"
    (exception,) = cycle.exceptions(picking["id"])
    assert exception["state"] == "resolved"
    acknowledged(cycle)
    assert cycle.failed_jobs() == []
