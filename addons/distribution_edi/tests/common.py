"""Test base of the EDI channel: a real mock-edi plays the supplier.

mock-edi (PyPI) is an independent EDI trading partner. Each test class starts
one on a free loopback port; orders go to it over HTTP (or a folder, or SFTP),
and what it answers comes back into Odoo as the kernel would receive it.
"""

from odoo import Command
from odoo.addons.distribution_integration_base.tests.common import (
    IntegrationTestMixin,
)
from odoo.addons.distribution_integration_base.tests.loopback import (
    LoopbackPeersMixin,
)
from odoo.tests import TransactionCase

try:
    from mockedi.testing import Mock
except ImportError:  # the suite's requirements-test.txt installs it
    Mock = None

# The mock's catalogue: (supplier code, UPC, list price, stock).
CATALOGUE = {
    "BRKT-050": ("076123400041", 4.15),
    "CABLE-2M": ("076123400065", 3.95),
    "PANEL-A3": ("076123400096", 124.50),
    "GEAR-200": ("076123400034", 14.25),
}


class EdiCase(IntegrationTestMixin, LoopbackPeersMixin, TransactionCase):
    """A supplier traded with over EDI, played by a real mock-edi."""

    mock_options = {}
    # A received interchange queues its documents, which may queue answers.
    job_rounds = 10
    jobs_must_settle = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if Mock is None:
            cls.skipTest(cls, "mock-edi is not installed")
        cls.patch_master_key()
        cls.mock = Mock.start(**cls.mock_options)
        cls.addClassCleanup(cls.mock.close)
        # The demo supplier uses the same interchange IDs: these tests own them.
        cls.env["edi.trading.partner"].with_context(active_test=False).search(
            [("partner_interchange_id", "=", "MOCKEDI")]
        ).unlink()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.dispatch = cls.env["integration.dispatch"]
        cls.supplier = cls.env["res.partner"].create(
            {"name": "Mock EDI Supply Co", "is_company": True}
        )
        cls.endpoint = cls.env["integration.endpoint"].create(
            {
                "name": "Mock EDI supplier",
                "code": "mock-edi-test",
                "kind": "supplier_edi",
                "environment": "test",
                "base_url": cls.mock.base,
                "connect_timeout": 2.0,
                "read_timeout": 5.0,
            }
        )
        # Demo products carry the catalogue's barcodes: these tests own them.
        cls.env["product.product"].with_context(active_test=False).search(
            [("barcode", "in", [upc for upc, _price in CATALOGUE.values()])]
        ).write({"barcode": False})
        cls.products = {}
        for code, (upc, price) in CATALOGUE.items():
            product = cls.env["product.product"].create(
                {
                    "name": f"Catalogue {code}",
                    "default_code": f"OUR-{code}",
                    "barcode": upc,
                    "is_storable": True,
                    "standard_price": price,
                    # The mock bills no tax: keep the three-way match about
                    # prices and quantities.
                    "supplier_taxes_id": [Command.clear()],
                    "seller_ids": [
                        Command.create(
                            {
                                "partner_id": cls.supplier.id,
                                "product_code": code,
                                "price": price,
                            }
                        )
                    ],
                }
            )
            cls.products[code] = product
        cls.trading_partner = cls.make_trading_partner("ACME")

    @classmethod
    def make_trading_partner(cls, our_id, dialect="X12", **values):
        vals = {
            "partner_id": cls.supplier.id,
            "endpoint_id": cls.endpoint.id,
            "dialect": dialect,
            "our_interchange_id": our_id,
            "our_qualifier": "ZZ",
            "partner_interchange_id": "MOCKEDI",
            "partner_qualifier": "ZZ",
            "receipt_policy": "validate",
        }
        if dialect == "EDIFACT":
            vals.update(
                segment_terminator="'",
                element_separator="+",
                component_separator=":",
                repetition_separator="",
                release_character="?",
            )
        vals.update(values)
        return cls.env["edi.trading.partner"].create(vals)

    def use_partner(self, trading_partner):
        """Make ``trading_partner`` the one orders to the supplier use."""
        (
            self.env["edi.trading.partner"].search(
                [("partner_id", "=", self.supplier.id)]
            )
            - trading_partner
        ).write({"send_orders": False})
        trading_partner.send_orders = True

    def setUp(self):
        super().setUp()
        self.mock.expect("POST", "/_mock/reset")

    # -- helpers ---------------------------------------------------------------

    def assert_clean_for_mock(self, payload):
        """mock-edi's validator finds nothing to say about ``payload``."""
        answer = self.mock.expect("POST", "/_mock/validate", payload)
        self.assertTrue(answer["clean"], "\n".join(answer.get("explain", [])))

    def create_order(self, lines, confirm=True):
        order = self.env["purchase.order"].create(
            {
                "partner_id": self.supplier.id,
                "order_line": [
                    Command.create(
                        {
                            "product_id": self.products[code].id,
                            "product_qty": quantity,
                            "price_unit": price
                            if price is not None
                            else CATALOGUE[code][1],
                        }
                    )
                    for code, quantity, *rest in lines
                    for price in [rest[0] if rest else None]
                ],
            }
        )
        if confirm:
            order.button_confirm()
            self.env.cr.precommit.run()  # what the commit would do: queue the 850
        return order

    def messages(self, flow_code, **domain):
        search = [("flow_id.code", "=", flow_code)]
        search += [(key, "=", value) for key, value in domain.items()]
        return self.env["integration.message"].search(search, order="id")

    def receive_answers(self, partner_id):
        """Log what the mock sent ``partner_id`` as the gateway does, in its order."""
        self.mock.expect("POST", "/_mock/advance?all")
        received = self.env["integration.message"]
        for row in self.mock.mailbox(partner=partner_id, leave=False):
            received |= self.dispatch._receive(
                "edi-interchange-in",
                self.endpoint,
                row["payload"].encode("latin-1"),
                idempotency_key=f"mock:{row['message_id']}",
                filename=f"{row['code']}-{row['control']}.edi",
            )
        return received

    def deliver_answers(self, trap, partner_id, expect_answers=True):
        """Hand what the mock sent ``partner_id`` to Odoo, and apply it."""
        received = self.receive_answers(partner_id)
        if expect_answers:
            self.assertTrue(
                received, f"{partner_id} got nothing back: {self.mock.outbox()[-3:]}"
            )
        self.run_jobs(trap)
        self.assert_applied(received)
        return received

    def assert_applied(self, received):
        """Every received interchange was read whole, and every document split
        from it is done."""
        for message in received:
            problems = message.exception_ids.filtered(
                lambda e: e.category == "validation"
            )
            self.assertFalse(problems, "\n".join(problems.mapped("details")))
        for message in received | received.child_ids.filtered(
            lambda m: m.direction == "inbound"
        ):
            self.assertEqual(
                message.state,
                "done",
                f"{message.name} ({message.flow_id.code}): {message.last_error}",
            )

    def open_exceptions(self, category=None, **domain):
        # Only this channel's: the kernel's demo data holds exceptions too.
        search = [
            ("state", "in", ("new", "in_progress")),
            ("flow_id.code", "=like", "edi-%"),
        ]
        if category:
            search.append(("category", "=", category))
        search += [(key, "=", value) for key, value in domain.items()]
        return self.env["integration.exception"].search(search)
