from odoo import fields, models

from ..carrier import TRACKING_STATUSES

TRACKING_STATUS_SELECTION = [
    (status, status.replace("_", " ").capitalize()) for status in TRACKING_STATUSES
]


class CarrierShipmentPackage(models.Model):
    """One booked parcel: its tracking number, label and tracking status.

    Multi-package pickings get one record per package — the picking's
    ``carrier_tracking_ref`` only repeats the numbers for Odoo's own screens.
    """

    _name = "carrier.shipment.package"
    _description = "Carrier Shipment Package"
    _order = "picking_id, sequence, id"
    _rec_name = "tracking_number"

    picking_id = fields.Many2one(
        "stock.picking", required=True, ondelete="cascade", index=True
    )
    # Precomputed: set in the INSERT, not by an UPDATE after it.
    company_id = fields.Many2one(
        related="picking_id.company_id", store=True, index=True, precompute=True
    )
    sequence = fields.Integer(default=10)
    package_id = fields.Many2one(
        "stock.quant.package", string="Package", ondelete="set null"
    )
    parcel_reference = fields.Char(
        help="The reference sent to the carrier for this parcel."
    )
    carrier_account_id = fields.Many2one("carrier.account", ondelete="restrict")
    carrier_shipment_id = fields.Char(
        string="Carrier shipment", index=True, help="The carrier's id of the shipment."
    )
    tracking_number = fields.Char(required=True, index=True)
    tracking_url = fields.Char(string="Tracking URL")
    label_attachment_id = fields.Many2one(
        "ir.attachment", string="Label", ondelete="set null"
    )
    weight_kg = fields.Float(string="Weight (kg)")
    price = fields.Float(
        string="Carrier price",
        help="The carrier's price of the whole shipment, on its first package; "
        "carriers here price shipments, not parcels.",
    )
    currency_id = fields.Many2one("res.currency")
    state = fields.Selection(
        [("booked", "Booked"), ("cancelled", "Cancelled"), ("return", "Return")],
        default="booked",
        required=True,
    )
    tracking_status = fields.Selection(
        TRACKING_STATUS_SELECTION, default="pending", required=True
    )
    last_event_at = fields.Datetime(string="Last scan")
