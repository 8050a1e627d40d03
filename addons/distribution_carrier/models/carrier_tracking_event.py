from odoo import fields, models

from .carrier_shipment_package import TRACKING_STATUS_SELECTION


class CarrierTrackingEvent(models.Model):
    """One carrier scan of a picking's shipment, stored once."""

    _name = "carrier.tracking.event"
    _description = "Carrier Tracking Event"
    _order = "event_at desc, id desc"
    _rec_name = "description"

    picking_id = fields.Many2one(
        "stock.picking", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(
        related="picking_id.company_id", store=True, index=True
    )
    package_id = fields.Many2one(
        "carrier.shipment.package", string="Package", ondelete="set null"
    )
    tracking_number = fields.Char(required=True, index=True)
    event_at = fields.Datetime(string="Time")
    code = fields.Char()
    description = fields.Char()
    location = fields.Char()
    status = fields.Selection(TRACKING_STATUS_SELECTION, required=True)
    message_id = fields.Many2one(
        "integration.message",
        string="Received in",
        ondelete="set null",
        help="The kernel message (webhook or poll) that brought this event.",
    )
    event_key = fields.Char(
        required=True,
        help="Digest of tracking number, time, code, description and location: "
        "a webhook delivered twice stores its events once.",
    )

    _sql_constraints = [
        (
            "event_key_unique",
            "unique(picking_id, event_key)",
            "This tracking event is already stored for this transfer.",
        )
    ]
