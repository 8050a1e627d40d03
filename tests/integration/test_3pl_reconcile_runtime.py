"""3PL inventory reconciliation on a real, committed database with the
queue_job runner.

The sandbox warehouse (started here, on 127.0.0.1) holds the same stock as the
Odoo warehouse, then drifts; its 846 lands in its drop folder; the collect flow
reads it and the runner reconciles it: one difference above tolerance, to
review. Over RPC the integration user's approval is refused, an inventory
manager's applies it as an inventory adjustment. A 947 from the warehouse
follows the same way.
"""

import sys
from pathlib import Path

import pytest

from .odoo_server import OdooRpcError
from .odoo_shell import odoo_shell
from .polling import wait_for

REPOSITORY = Path(__file__).resolve().parents[2]
if str(REPOSITORY) not in sys.path:
    sys.path.insert(0, str(REPOSITORY))

from sandbox.warehouse_3pl import SandboxWarehouseServer  # noqa: E402

ENDPOINT = "runtime-3pl-reconcile"
MANAGER = ("rt_3pl_stock_manager", "rt-3pl-manager-pw")
INTEGRATION = ("rt_3pl_integration", "rt-3pl-integration-pw")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    root = tmp_path_factory.mktemp("3pl-reconcile")
    pickup, drop = root / "pickup", root / "drop"
    pickup.mkdir()
    drop.mkdir()
    with SandboxWarehouseServer(
        port=0, profile="x12", pickup_dir=str(pickup), drop_dir=str(drop)
    ) as server:
        yield server, drop


@pytest.fixture(scope="module")
def configured(odoo_env, sandbox):
    _server, drop = sandbox
    odoo_shell(
        odoo_env,
        f"""
        profile = env["edi.interchange.profile"].create({{
            "dialect": "X12", "x12_version": "004010", "our_qualifier": "ZZ",
            "our_interchange_id": "RUNTIMEREC", "partner_qualifier": "ZZ",
            "partner_interchange_id": "SANDBOX3PL",
        }})
        endpoint = env["integration.endpoint"].create({{
            "name": "Runtime 3PL reconciliation", "code": "{ENDPOINT}",
            "kind": "warehouse_3pl", "environment": "test", "protocol": "folder",
            "outbox_path": "{drop.parent / "pickup"}", "inbox_path": "{drop}",
            "file_settle_seconds": 0,
        }})
        warehouse = env["stock.warehouse"].create(
            {{"name": "Runtime 3PL reconciliation", "code": "R3PC"}}
        )
        users = env["res.users"].with_context(no_reset_password=True)
        manager = users.create({{
            "name": "Runtime stock manager", "login": "{MANAGER[0]}",
            "password": "{MANAGER[1]}",
            "groups_id": [(6, 0, [env.ref("stock.group_stock_manager").id])],
        }})
        users.create({{
            "name": "Runtime integration user", "login": "{INTEGRATION[0]}",
            "password": "{INTEGRATION[1]}",
            "groups_id": [(6, 0, [
                env.ref("stock.group_stock_user").id,
                env.ref("distribution_integration_base.group_integration_user").id,
            ])],
        }})
        env["tpl.warehouse.account"].create({{
            "name": "Runtime 3PL reconciliation", "endpoint_id": endpoint.id,
            "warehouse_id": warehouse.id, "interchange_profile_id": profile.id,
            "release_orders": False, "variance_tolerance_qty": 1,
            "variance_tolerance_value": 10, "variance_reviewer_id": manager.id,
        }})
        products = env["product.product"]
        quants = env["stock.quant"]
        stock = warehouse.lot_stock_id
        references = env["integration.cross.reference"]
        # The fresh sandbox's stock (its README). Odoo's own codes differ: the
        # warehouse's item codes are the endpoint's cross-references (and
        # other tests' products with the sandbox's codes are not these).
        panel = products.create({{"name": "Runtime panel", "default_code": "RC-PANEL",
                                  "is_storable": True, "standard_price": 12}})
        references._set_external(endpoint, "product", panel, "PANEL-A3")
        quants._update_available_quantity(panel, stock, 100)
        for code, lots in (("BRKT-050", [("L2026A", 40), ("L2026B", 20)]),
                           ("BOLT-M8", [("L-BOLT-7", 500)])):
            product = products.create({{"name": "Runtime " + code,
                "default_code": "RC-" + code, "is_storable": True,
                "tracking": "lot", "standard_price": 2}})
            references._set_external(endpoint, "product", product, code)
            for name, quantity in lots:
                lot = env["stock.lot"].create(
                    {{"name": name, "product_id": product.id}}
                )
                quants._update_available_quantity(
                    product, stock, quantity, lot_id=lot
                )
        """,
    )
    return odoo_env


def collect(odoo_env):
    odoo_shell(
        odoo_env,
        'env.ref("distribution_3pl.flow_tpl_collect").action_run_batch_now()',
    )


def reconciliation(server, report_id):
    rows = server.execute_kw(
        "tpl.reconciliation",
        "search_read",
        [[("report_id", "=", report_id)]],
        {"fields": ["state", "line_count", "variance_value", "move_ids"]},
    )
    return rows[0] if rows else None


def stock(server, code, lot):
    quants = server.execute_kw(
        "stock.quant",
        "search_read",
        [
            [
                ("product_id.default_code", "=", "RC-" + code),
                ("lot_id.name", "=", lot),
                ("location_id.warehouse_id.code", "=", "R3PC"),
                ("location_id.usage", "=", "internal"),
            ]
        ],
        {"fields": ["quantity"]},
    )
    return sum(q["quantity"] for q in quants)


def test_snapshot_review_and_adjustment_through_the_runner(
    configured, sandbox, odoo_server
):
    odoo_env = configured
    warehouse_server, drop = sandbox
    # The first available key (BOLT-M8 / L-BOLT-7) drifts by -6 units.
    warehouse_server.warehouse.behaviours.update(inventory_drift=-6)
    report = warehouse_server.warehouse.snapshot("full", profile="x12")
    wait_for(lambda: list(drop.glob("846_*.x12")), "the 846 file")

    collect(odoo_env)
    row = wait_for(
        lambda: reconciliation(odoo_server, report["report_id"]),
        "the reconciliation made by the runner",
    )
    assert row["state"] == "to_review", row
    assert row["line_count"] == 1
    assert row["variance_value"] == 12.0
    assert stock(odoo_server, "BOLT-M8", "L-BOLT-7") == 500

    with pytest.raises(OdooRpcError) as refused:
        odoo_server.execute_kw(
            "tpl.reconciliation",
            "action_approve",
            [[row["id"]]],
            user=INTEGRATION[0],
            password=INTEGRATION[1],
        )
    assert refused.value.data.get("name") == "odoo.exceptions.AccessError"
    assert reconciliation(odoo_server, report["report_id"])["state"] == "to_review"

    odoo_server.execute_kw(
        "tpl.reconciliation",
        "action_approve",
        [[row["id"]]],
        user=MANAGER[0],
        password=MANAGER[1],
    )
    row = reconciliation(odoo_server, report["report_id"])
    assert row["state"] == "applied"
    assert len(row["move_ids"]) == 1
    assert stock(odoo_server, "BOLT-M8", "L-BOLT-7") == 494

    # A 947 within tolerance: applied by the runner without review.
    warehouse_server.warehouse.behaviours.update(inventory_drift=0)
    advice = warehouse_server.warehouse.adjust(
        {"item": "BRKT-050", "lot": "L2026B", "quantity": "-1", "reason_code": "AU"},
        profile="x12",
    )
    wait_for(lambda: list(drop.glob("947_*.x12")), "the 947 file")
    collect(odoo_env)
    row = wait_for(
        lambda: (
            (r := reconciliation(odoo_server, advice["adjustment_number"]))
            and r["state"] == "applied"
            and r
        ),
        "the 947 applied by the runner",
    )
    assert stock(odoo_server, "BRKT-050", "L2026B") == 19

    messages = odoo_server.execute_kw(
        "integration.message",
        "search_read",
        [[("endpoint_id.code", "=", ENDPOINT), ("flow_id.code", "=", "tpl-x12-in")]],
        {"fields": ["state", "last_error", "external_ref"]},
    )
    assert len(messages) == 2, messages  # the 846 and the 947
    assert all(m["state"] == "done" for m in messages), messages
