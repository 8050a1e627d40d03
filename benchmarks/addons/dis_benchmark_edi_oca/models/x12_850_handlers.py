"""The OCA side of benchmarks/edi_vs_oca.py: an exchange type's generator
(purchase order -> X12 850, written by the suite's plain-Python codec so both
sides do the same formatting work) and its sender (HTTP POST).

Written the way an OCA EDI integrator would: the generator reads the order
itself (it does not call the suite's models), the control numbers come from
the exchange record, and the sender raises on an HTTP error so that
edi_queue_oca retries or marks the record as errored.
"""

import datetime
import threading
from decimal import Decimal

import requests

from odoo import fields, models
from odoo.addons.distribution_edi.edi import X12, documents
from odoo.addons.distribution_edi.edi.writer import X12Envelope, write_x12
from odoo.exceptions import UserError

# One HTTP session per URL and worker thread, as the suite's HTTP handler keeps
# one per endpoint: neither side pays a TCP handshake per document.
_LOCAL = threading.local()
UOM_CODES = {"Units": "EA", "Dozens": "DZ", "kg": "KG"}


def _exchange_record(env, exchange_record, operation):
    """The exchange record (a record, or ids over RPC) once the caller may
    ``operation`` it: these handler methods are public, as OCA names them."""
    ids = getattr(exchange_record, "ids", exchange_record)
    if not isinstance(ids, (int, list, tuple)):
        raise UserError(env._("An exchange record is expected."))
    record = env["edi.exchange.record"].browse(ids).exists()
    if len(record) != 1:
        raise UserError(env._("One existing exchange record is expected."))
    record.check_access(operation)
    return record


def _decimal(value):
    return Decimal(format(Decimal(repr(round(value, 6))).normalize(), "f"))


class X12PurchaseOrderGenerator(models.AbstractModel):
    _name = "dis.benchmark.edi.oca.x12_850.generate"
    _inherit = "edi.oca.handler.generate"
    _description = "Benchmark: X12 850 of a purchase order (OCA EDI generator)"

    def generate(self, exchange_record):
        exchange_record = _exchange_record(self.env, exchange_record, "read")
        order = exchange_record.record
        backend = exchange_record.backend_id
        supplier = order.partner_id.commercial_partner_id
        ship_to = (
            order.picking_type_id.warehouse_id.partner_id or order.company_id.partner_id
        )
        lines = []
        for line in order.order_line.filtered(
            lambda line: not line.display_type and line.product_id
        ):
            product = line.product_id
            seller = product.seller_ids.filtered(lambda s: s.partner_id == supplier)[:1]
            lines.append(
                {
                    "line_id": line.id,
                    "vendor_code": seller.product_code or product.default_code or "",
                    "gtin": product.barcode or "",
                    "description": (line.name or "").splitlines()[0][:80]
                    if line.name
                    else "",
                    "quantity": _decimal(line.product_qty),
                    "uom": UOM_CODES.get(line.product_uom.name, "EA"),
                    "price": _decimal(line.price_unit),
                    "date": fields.Date.to_string(line.date_planned.date())
                    if line.date_planned
                    else None,
                }
            )
        content = {
            "number": order.name,
            "purpose": "original",
            "date": fields.Date.to_string(
                fields.Date.context_today(order, order.date_approve)
            ),
            "currency": order.currency_id.name,
            "requested_date": fields.Date.to_string(order.date_planned.date())
            if order.date_planned
            else None,
            "buyer": {
                "name": order.company_id.name,
                "id": backend.dis_benchmark_sender_id,
            },
            "supplier": {
                "name": supplier.name,
                "id": backend.dis_benchmark_receiver_id,
            },
            "ship_to": {
                "name": ship_to.name or "",
                "code": order.picking_type_id.warehouse_id.code or "",
                "street": ship_to.street or "",
                "city": ship_to.city or "",
                "state": ship_to.state_id.code or "",
                "zip": ship_to.zip or "",
                "country": ship_to.country_id.code or "",
            },
            "lines": lines,
        }
        # The exchange record's id is unique and increasing: it serves as the
        # interchange, group and set control numbers.
        number = exchange_record.id
        envelope = X12Envelope(
            sender_id=backend.dis_benchmark_sender_id,
            receiver_id=backend.dis_benchmark_receiver_id,
            control_number=number,
            group_control_number=number,
            timestamp=datetime.datetime.now().replace(microsecond=0),
        )
        transaction_set = documents.order_set(content, X12, str(number).zfill(4))
        # A newline after each segment, as the suite's interchange profiles
        # write by default: the same bytes on the wire.
        return write_x12(envelope, [transaction_set], newline=True)


class X12PurchaseOrderSender(models.AbstractModel):
    _name = "dis.benchmark.edi.oca.http.send"
    _inherit = "edi.oca.handler.send"
    _description = "Benchmark: HTTP POST of an exchange record (OCA EDI sender)"

    def send(self, exchange_record):
        exchange_record = _exchange_record(self.env, exchange_record, "write")
        url = exchange_record.backend_id.dis_benchmark_url
        sessions = _LOCAL.__dict__.setdefault("sessions", {})
        session = sessions.get(url) or sessions.setdefault(url, requests.Session())
        response = session.post(
            url,
            data=exchange_record._get_file_content(as_bytes=True),
            headers={"Content-Type": "application/edi-x12"},
            timeout=(2.0, 10.0),
        )
        # A refusal is a ValueError: edi_core_oca marks the record as errored.
        if response.status_code >= 400:
            raise ValueError(f"partner answered HTTP {response.status_code}")
        return f"sent ({response.status_code})"
