"""Test base of the carrier channel: a real Karrio and the LTL sandbox.

Karrio (its own virtualenv, built once by ``scripts/karrio_env.sh``) runs for
the whole test run; every test class talks to it through a :class:`FaultProxy`
that can play an unreachable or slow network. Karrio delivers its tracking
webhooks to this Odoo's HTTP server, through the kernel's gateway.
"""

import atexit
import unittest

from odoo import Command
from odoo.addons.distribution_integration_base.tests.common import (
    IntegrationTestMixin,
)
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.tests import HttpCase
from odoo.tools import config

from .fault_proxy import FaultProxy
from .karrio_peer import KarrioPeer, KarrioUnavailable, build_karrio_env

_KARRIO = {"peer": None, "error": None}


def karrio_peer():
    """The run's Karrio server, started on first use; SkipTest if it cannot run."""
    if _KARRIO["peer"] is None and _KARRIO["error"] is None:
        try:
            peer = KarrioPeer(build_karrio_env()).start()
        except (KarrioUnavailable, OSError, RuntimeError) as exc:
            _KARRIO["error"] = str(exc)
        else:
            _KARRIO["peer"] = peer
            atexit.register(peer.stop)
    if _KARRIO["error"]:
        raise unittest.SkipTest(f"Karrio peer unavailable: {_KARRIO['error']}")
    return _KARRIO["peer"]


class CarrierCase(IntegrationTestMixin, LoopbackPeersMixin, HttpCase):
    """A warehouse in Newark shipping to Chicago; subclasses add the carrier."""

    job_rounds = 5

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.patch_master_key()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env.company
        us = cls.env.ref("base.us")
        cls.company.partner_id.write(
            {
                "street": "1 Dock Street",
                "city": "Newark",
                "zip": "07102",
                "state_id": cls.env.ref("base.state_us_25").id,
                "country_id": us.id,
                "phone": "+15555550100",
            }
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        cls.warehouse.partner_id = cls.company.partner_id
        cls.customer = cls.env["res.partner"].create(
            {
                "name": "Jane Doe",
                "street": "2 Main Street",
                "city": "Chicago",
                "zip": "60601",
                "state_id": cls.env.ref("base.state_us_14").id,
                "country_id": us.id,
                "phone": "+15555550199",
                "email": "jane@example.com",
            }
        )
        cls.products = cls.env["product.product"].create(
            [
                {"name": "Bracket box", "is_storable": True, "weight": 2.5},
                {"name": "Cable reel", "is_storable": True, "weight": 1.0},
            ]
        )
        stock = cls.warehouse.lot_stock_id
        for product in cls.products:
            cls.env["stock.quant"]._update_available_quantity(product, stock, 100)
        cls.delivery_product = cls.env["product.product"].create(
            {"name": "Carrier delivery", "type": "service", "list_price": 0.0}
        )

    @classmethod
    def make_endpoint(cls, code, base_url, **values):
        return cls.env["integration.endpoint"].create(
            dict(
                {
                    "name": code,
                    "code": code,
                    "kind": "carrier",
                    "base_url": base_url,
                    "connect_timeout": 2.0,
                    "read_timeout": 5.0,
                    "inbound_rate_limit_per_minute": 0,
                    "circuit_failure_threshold": 50,
                },
                **values,
            )
        )

    @classmethod
    def make_delivery_method(cls, name, delivery_type, account, service):
        return cls.env["delivery.carrier"].create(
            {
                "name": name,
                "delivery_type": delivery_type,
                "integration_level": "rate_and_ship",
                "product_id": cls.delivery_product.id,
                "carrier_account_id": account.id,
                "carrier_service_code": service,
            }
        )

    # -- the sales and warehouse side -------------------------------------------

    def sell(self, method, partner=None):
        """A confirmed order of both products, shipping added with the wizard."""
        order = self.env["sale.order"].create(
            {
                "partner_id": (partner or self.customer).id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": 1})
                    for product in self.products
                ],
            }
        )
        wizard = self.add_shipping(order, method)
        wizard.update_price()  # "Get rate": a UserError with the reason on failure
        wizard.button_confirm()
        order.action_confirm()
        return order

    def add_shipping(self, order, method):
        """Open "Add shipping" as the user does, with ``method`` chosen."""
        action = order.action_open_delivery_wizard()
        wizard = (
            self.env[action["res_model"]]
            .with_context(**action["context"])
            .create({"carrier_id": method.id, "order_id": order.id})
        )
        wizard._onchange_carrier_id()
        return wizard

    def pack_and_validate(self, picking, packages=2):
        """Put each move line in its own package (or all in one), validate."""
        picking.action_assign()
        lines = picking.move_line_ids
        for index, line in enumerate(lines):
            if packages and (index < packages):
                package = self.env["stock.quant.package"].create(
                    {"name": f"{picking.name.replace('/', '')}-PK{index + 1}"}
                )
                line.result_package_id = package
            line.write({"quantity": line.move_id.product_uom_qty, "picked": True})
        result = picking.button_validate()
        self.assertIs(result, True, result)
        self.assertEqual(picking.state, "done")
        return picking

    def labels(self, picking):
        return self.env["ir.attachment"].search(
            [
                ("res_model", "=", "stock.picking"),
                ("res_id", "=", picking.id),
                ("name", "=like", "LabelShipping-%"),
            ],
            order="name",
        )


class KarrioCase(CarrierCase):
    """A Karrio carrier account, through a fault proxy, with a webhook to us."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.karrio = karrio_peer()
        cls.proxy = FaultProxy(cls.karrio.url).start()
        cls.addClassCleanup(cls.proxy.stop)
        cls.endpoint = cls.make_endpoint(
            "karrio-test",
            cls.proxy.url,
            inbound_auth="shared_secret",
            inbound_secret_header="X-Event-Id",
        )
        cls.token = cls.env["integration.credential"].create(
            {
                "name": "Karrio token",
                "endpoint_id": cls.endpoint.id,
                "kind": "api_key",
                "header_name": "Authorization",
                "secret": cls.karrio.api_key,
            }
        )
        cls.webhook_url = (
            f"http://127.0.0.1:{config['http_port']}/integration/inbound/"
            f"{cls.endpoint.code}/carrier-tracking-in"
        )
        webhook = cls.karrio.create_webhook(
            cls.webhook_url, events=("tracker_created", "tracker_updated")
        )
        cls.addClassCleanup(cls.karrio.delete_webhook, webhook["id"])
        cls.webhook_secret = webhook["secret"]
        cls.endpoint.inbound_credential_id = cls.env["integration.credential"].create(
            {
                "name": "Karrio webhook secret",
                "endpoint_id": cls.endpoint.id,
                "kind": "hmac_secret",
                "secret": cls.webhook_secret,
            }
        )
        cls.account = cls.env["carrier.account"].create(
            {
                "name": "Karrio test",
                "endpoint_id": cls.endpoint.id,
                "credential_id": cls.token.id,
                "karrio_carrier_ids": cls.karrio.carrier_id,
                "label_format": "PDF",
                "rate_timeout": 3.0,
            }
        )
        cls.method = cls.make_delivery_method(
            "Karrio standard", "karrio", cls.account, "standard_service"
        )

    def setUp(self):
        super().setUp()
        self.proxy.reset()
