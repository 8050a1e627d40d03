"""The picking side of the carrier channel: queue bookings, apply results.

Validation of an outgoing picking never waits for the carrier: it queues a
``carrier-book`` kernel message (one idempotency key per picking and booking
round) and returns. The job's handler books through the adapter and calls
:meth:`StockPicking._carrier_apply_booking`; tracking messages (webhook or
poll) call :meth:`StockPicking._carrier_apply_tracking`.
"""

import base64
import hashlib
import re
from datetime import timedelta

from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.addons.distribution_integration_base.kernel.errors import IntegrationError
from odoo.addons.distribution_integration_base.models.entry_point import entry_point
from odoo.exceptions import UserError

from ..carrier.base import (
    DELIVERED,
    EXCEPTION,
    IN_TRANSIT,
    LABEL_MIMETYPES,
    OUT_FOR_DELIVERY,
    PENDING,
    RETURNED,
    ShipmentRequest,
)
from ..carrier.codec import request_to_dict
from .carrier_shipment_package import TRACKING_STATUS_SELECTION
from .delivery_carrier import CARRIER_TYPES

FLOW_BOOK = "carrier-book"
FLOW_CANCEL = "carrier-cancel"
FLOW_RETURN = "carrier-return"
FLOW_TRACKING_IN = "carrier-tracking-in"
FLOW_TRACKING_POLL = "carrier-tracking-poll"

# Our tracking status → OCA delivery_state's value on the picking.
DELIVERY_STATE = {
    PENDING: "shipping_recorded_in_carrier",
    IN_TRANSIT: "in_transit",
    OUT_FOR_DELIVERY: "in_transit",
    DELIVERED: "customer_delivered",
    EXCEPTION: "incident",
    RETURNED: "warehouse_delivered",
}
FINAL_DELIVERY_STATES = ("customer_delivered", "canceled_shipment", "no_update")
# How far along a shipment is: at one event time, a status never steps back.
STATUS_RANK = {
    PENDING: 0,
    IN_TRANSIT: 1,
    EXCEPTION: 1,
    OUT_FOR_DELIVERY: 2,
    DELIVERED: 3,
    RETURNED: 4,
}
# A delivered or returned shipment stays so unless a later scan says otherwise,
# and only these may say it (a late "in transit" scan is an old one replayed).
TERMINAL_STATUSES = (DELIVERED, RETURNED)
LEAVE_TERMINAL_STATUSES = (EXCEPTION, RETURNED)
EXTENSIONS = {"PDF": "pdf", "ZPL": "zpl"}
_REFERENCE_RE = re.compile(r"[^A-Za-z0-9-]")


def event_key(tracking_number, event):
    """The digest that identifies one scan across webhook or poll deliveries."""
    stamp = event.timestamp.isoformat() if event.timestamp else ""
    text = "|".join(
        [tracking_number, stamp, event.code, event.description, event.location]
    )
    return hashlib.sha256(text.encode()).hexdigest()[:40]


class StockPicking(models.Model):
    _name = "stock.picking"
    _inherit = ["stock.picking", "integration.consumer.mixin"]

    carrier_account_id = fields.Many2one(
        related="carrier_id.carrier_account_id", string="Carrier account"
    )
    carrier_booking_message_id = fields.Many2one(
        "integration.message",
        string="Booking message",
        readonly=True,
        copy=False,
        ondelete="set null",
    )
    carrier_booking_round = fields.Integer(
        readonly=True,
        copy=False,
        help="Incremented when a booked shipment is cancelled, so a new booking "
        "gets a new idempotency key.",
    )
    carrier_booking_state = fields.Selection(
        [
            ("none", "Not booked"),
            ("queued", "Booking queued"),
            ("booked", "Booked"),
            ("cancelling", "Cancellation queued"),
            ("cancelled", "Cancelled"),
        ],
        default="none",
        readonly=True,
        copy=False,
        string="Carrier booking",
    )
    carrier_booking_message_state = fields.Selection(
        related="carrier_booking_message_id.state", string="Booking message state"
    )
    carrier_shipment_ref = fields.Char(
        string="Carrier shipment",
        readonly=True,
        copy=False,
        help="The carrier's shipment id (Karrio shipment, LTL PRO number).",
    )
    carrier_package_ids = fields.One2many(
        "carrier.shipment.package", "picking_id", string="Carrier packages"
    )
    carrier_tracking_event_ids = fields.One2many(
        "carrier.tracking.event", "picking_id", string="Tracking events"
    )
    carrier_tracking_status = fields.Selection(
        TRACKING_STATUS_SELECTION,
        string="Tracking status",
        readonly=True,
        copy=False,
        help="The carrier's latest status, finer than the delivery state "
        "(out for delivery, returned).",
    )
    carrier_shipment_status = fields.Selection(
        [
            ("booking", "Booking queued"),
            ("booking_failed", "Booking failed"),
            ("booked", "Booked, awaiting pickup"),
            ("in_transit", "In transit"),
            ("out_for_delivery", "Out for delivery"),
            ("delivered", "Delivered"),
            ("exception", "Carrier exception"),
            ("returned", "Returned"),
            ("cancelling", "Cancellation queued"),
            ("cancelled", "Cancelled"),
        ],
        string="Shipment",
        compute="_compute_carrier_shipment_status",
        help="Where the shipment stands, from the booking to the last carrier scan.",
    )
    carrier_last_event_at = fields.Datetime(
        string="Last scan", readonly=True, copy=False
    )
    carrier_signed_by = fields.Char(string="Signed by", readonly=True, copy=False)
    carrier_notified = fields.Char(
        readonly=True,
        copy=False,
        help="Notifications already sent for this shipment (one per state), "
        "comma-separated: a repeated or replayed scan does not notify again.",
    )

    # -- booking -------------------------------------------------------------------

    def _carrier_is_ours(self):
        self.ensure_one()
        return self.carrier_id.delivery_type in CARRIER_TYPES

    @entry_point("write")
    def send_to_shipper(self):
        self._carrier_check_shipping_method()
        if not self._carrier_is_ours():
            return super().send_to_shipper()
        self._carrier_queue_booking()

    def _carrier_check_shipping_method(self, carrier=None):
        """Refuse pickings with no shipping method (or another one than
        ``carrier``) plainly: Odoo's own code would fail on an empty carrier."""
        wrong = self.filtered(
            lambda p: (
                not p.carrier_id or (carrier is not None and p.carrier_id != carrier)
            )
        )
        if wrong:
            raise UserError(
                _(
                    "%(pickings)s: not shipped with %(carrier)s. Set the shipping "
                    "method on the transfer first.",
                    pickings=", ".join(wrong.mapped("name")),
                    carrier=carrier.name if carrier is not None else _("a carrier"),
                )
            )

    def _carrier_idempotency_key(self, kind="book"):
        self.ensure_one()
        # Unique across databases sharing one carrier account (Karrio stores it).
        db = (self.env["ir.config_parameter"].sudo().get_param("database.uuid", ""))[:8]
        return f"{db}-{kind}-picking-{self.id}-{self.carrier_booking_round}"

    def _carrier_parcel_reference(self, package):
        """The parcel reference of ``package`` (a stock package) in requests."""
        base = _REFERENCE_RE.sub("", self.name)
        return f"{base}-{_REFERENCE_RE.sub('', package.name)}"

    def _carrier_parcels(self):
        """(package, Parcel) per physical package, bulk content as one more."""
        self.ensure_one()
        carrier = self.carrier_id
        base = _REFERENCE_RE.sub("", self.name)
        parcels = []
        for package in self.move_line_ids.result_package_id:
            weight = carrier._carrier_weight_kg(
                package.shipping_weight or package.weight
            )
            parcels.append(
                (
                    package,
                    carrier._carrier_parcel(
                        weight,
                        package.package_type_id,
                        reference=self._carrier_parcel_reference(package),
                        description=package.name,
                    ),
                )
            )
        if self.weight_bulk or not parcels:
            weight = carrier._carrier_weight_kg(
                self.weight_bulk or self.shipping_weight
            )
            parcels.append(
                (
                    self.env["stock.quant.package"],
                    carrier._carrier_parcel(
                        weight,
                        reference=f"{base}-{len(parcels) + 1}",
                        description=_("Bulk content"),
                    ),
                )
            )
        return parcels

    def _carrier_check_limits(self, parcels=None):
        """Refuse to book parcels their package type or the service cannot take.

        Checked before anything is queued: validating the transfer fails with
        the reasons, so nothing is booked or labelled and the warehouse repacks
        or picks another delivery method.
        """
        self.ensure_one()
        carrier = self.carrier_id
        parcels = parcels if parcels is not None else self._carrier_parcels()
        reasons = []
        weight_uom = self.env[
            "product.template"
        ]._get_weight_uom_name_from_ir_config_parameter()
        for package, _parcel in parcels:
            package_type = package.package_type_id
            weight = package.shipping_weight or package.weight
            if package_type.max_weight and weight > package_type.max_weight:
                reasons.append(
                    _(
                        "%(package)s weighs %(weight)s %(uom)s, over the maximum of "
                        "its package type %(type)s (%(max)s %(uom)s)",
                        package=package.name,
                        weight=round(weight, 3),
                        uom=weight_uom,
                        type=package_type.name,
                        max=package_type.max_weight,
                    )
                )
        reasons += carrier._carrier_limits().violations(
            [parcel for _package, parcel in parcels]
        )
        if reasons:
            raise UserError(
                _(
                    "%(picking)s cannot be booked with %(carrier)s:\n- %(reasons)s\n"
                    "Split the goods into more packages, use a larger package "
                    "type, or choose a delivery method for heavier freight. "
                    "Nothing was booked.",
                    picking=self.name,
                    carrier=carrier.name,
                    reasons="\n- ".join(reasons),
                )
            )

    def _carrier_packages_by_reference(self):
        """Stock package per parcel reference, as :meth:`_carrier_parcels` names
        them, without computing the parcels again (weights, dimensions).

        The booking already sent those parcels: mapping the carrier's answer
        back only needs the names. The bulk parcel has no package.
        """
        self.ensure_one()
        packages = self.move_line_ids.result_package_id
        by_reference = {
            self._carrier_parcel_reference(package): package for package in packages
        }
        base = _REFERENCE_RE.sub("", self.name)
        if f"{base}-{len(packages) + 1}" in by_reference:
            # A package named like the bulk parcel: let the parcels decide.
            return {
                parcel.reference: package for package, parcel in self._carrier_parcels()
            }
        return by_reference

    def _carrier_request(self, is_return=False):
        self.ensure_one()
        carrier = self.carrier_id
        account = carrier._carrier_account()
        warehouse_address = carrier._carrier_address_obj(
            carrier._carrier_shipper(self.picking_type_id.warehouse_id, self.company_id)
        )
        customer_address = carrier._carrier_address_obj(
            carrier._carrier_address(self.partner_id)
        )
        shipper, recipient = warehouse_address, customer_address
        options = {}
        if is_return:
            shipper, recipient = recipient, shipper
            original = self._carrier_returned_shipment_ref()
            if original:
                options["original_shipment_id"] = original
        return ShipmentRequest(
            shipper=shipper,
            recipient=recipient,
            parcels=[parcel for _package, parcel in self._carrier_parcels()],
            service_code=carrier.carrier_service_code or "",
            label_format=account.label_format,
            reference=self.origin or self.name,
            idempotency_key=self._carrier_idempotency_key(
                "return" if is_return else "book"
            ),
            options=options,
        )

    def _carrier_returned_shipment_ref(self):
        """The carrier's id of the outbound shipment a return comes back from.

        A return transfer points at its delivery through its moves; a delivery
        asking for its own return label (``return_label_on_delivery``) is it.
        """
        self.ensure_one()
        origin = self.move_ids.origin_returned_move_id.picking_id[:1]
        return (origin or self).carrier_shipment_ref or ""

    def _carrier_queue(self, flow, payload, key, record=None):
        self.ensure_one()
        return self.env["integration.dispatch"]._send(
            flow,
            self.carrier_id._carrier_account().endpoint_id,
            payload,
            record=record or self,
            idempotency_key=key,
            partner=self.partner_id,
            external_ref=self.name,
        )

    def _carrier_queue_booking(self):
        """Queue one booking message per picking; clicking twice queues once."""
        for picking in self:
            if picking.carrier_booking_state in ("queued", "booked"):
                continue
            picking._carrier_check_limits()
            request = picking._carrier_request()
            # "queued" first: a job run inline (queue_job__no_delay) books before
            # _carrier_queue returns, and its "booked" must stand.
            picking.carrier_booking_state = "queued"
            message = picking._carrier_queue(
                FLOW_BOOK, request_to_dict(request), request.idempotency_key
            )
            picking.carrier_booking_message_id = message
            picking._message_log(
                body=_(
                    "Booking with %(carrier)s queued (%(message)s); tracking numbers "
                    "and labels follow when the carrier answers.",
                    carrier=picking.carrier_id.name,
                    message=message.name,
                )
            )

    def _carrier_attach(self, name, content, mimetype):
        self.ensure_one()
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": name,
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": "stock.picking",
                    "res_id": self.id,
                    "company_id": self.company_id.id,
                }
            )
        )

    def _carrier_stored_packages(self, result, state):
        """Packages already stored for ``result`` (a replayed job finds them)."""
        return self.carrier_package_ids.filtered(
            lambda p: (
                p.carrier_shipment_id == result.carrier_shipment_id and p.state == state
            )
        )

    def _carrier_package_vals(
        self, result, account, currency, index, label, attachment, **extra
    ):
        """Values of the package row for the ``index``-th label of ``result``."""
        vals = {
            "picking_id": self.id,
            "sequence": index,
            "parcel_reference": label.parcel_reference,
            "carrier_account_id": account.id,
            "carrier_shipment_id": result.carrier_shipment_id,
            "tracking_number": label.tracking_number,
            "tracking_url": account._tracking_url(
                label.tracking_number, label.tracking_url or result.tracking_url
            ),
            "label_attachment_id": attachment.id if attachment else False,
            # The carrier prices the shipment, not each package.
            "price": (result.total_price or 0.0) if index == 0 else 0.0,
            "currency_id": currency.id,
        }
        vals.update(extra)
        return vals

    def _carrier_attach_documents(self, result, prefix):
        """Attach the shipment's documents (bill of lading...) as ``prefix-name``."""
        for document in result.documents:
            name = f"{prefix}-{document.name}"
            if document.mimetype == "application/pdf":
                name += ".pdf"
            self._carrier_attach(name, document.content, document.mimetype)

    def _carrier_apply_booking(self, result, request, message=None):
        """Store a booked shipment: packages, labels, documents, price."""
        self.ensure_one()
        carrier = self.carrier_id
        account = carrier._carrier_account()
        packages = self._carrier_stored_packages(result, "booked")
        if packages:
            return packages  # a replay found the shipment we already stored
        prefix = carrier._get_delivery_label_prefix()
        extension = EXTENSIONS.get(result.label_format, "bin")
        by_reference = self._carrier_packages_by_reference()
        numbers = [label.tracking_number for label in result.packages]
        shared_number = len(set(numbers)) < len(numbers)
        currency = self.env["res.currency"].search(
            [("name", "=", result.currency)], limit=1
        )
        whole_label = None
        if result.label and not all(label.label for label in result.packages):
            whole_label = self._carrier_attach(
                f"{prefix}-{numbers[0]}.{extension}",
                result.label,
                LABEL_MIMETYPES.get(result.label_format, "application/octet-stream"),
            )
        vals_list = []
        for index, label in enumerate(result.packages):
            attachment = whole_label
            if label.label:
                suffix = f"-{index + 1}" if shared_number else ""
                attachment = self._carrier_attach(
                    f"{prefix}-{label.tracking_number}{suffix}.{extension}",
                    label.label,
                    label.mimetype,
                )
            parcel = request.parcels[index] if index < len(request.parcels) else None
            package = by_reference.get(label.parcel_reference)
            vals_list.append(
                self._carrier_package_vals(
                    result,
                    account,
                    currency,
                    index,
                    label,
                    attachment,
                    package_id=package.id if package else False,
                    weight_kg=parcel.weight_kg if parcel else 0.0,
                )
            )
        packages = self.env["carrier.shipment.package"].sudo().create(vals_list)
        self._carrier_attach_documents(result, carrier._get_delivery_doc_prefix())
        price = 0.0
        if result.total_price is not None:
            source = currency or self.company_id.currency_id
            price = source._convert(
                float(result.total_price),
                self.company_id.currency_id,
                self.company_id,
                fields.Date.today(),
            )
        self.write(
            {
                "carrier_booking_state": "booked",
                "carrier_shipment_ref": result.carrier_shipment_id,
                "carrier_tracking_ref": ",".join(dict.fromkeys(numbers)),
                "carrier_price": carrier.with_context(
                    order=self.sale_id
                )._apply_margins(price),
                "carrier_tracking_status": PENDING,
                # A new shipment: its own scans and notices, none of a
                # cancelled one.
                "carrier_last_event_at": False,
                "carrier_notified": False,
                "delivery_state": "shipping_recorded_in_carrier",
                "date_shipped": fields.Date.today(),
            }
        )
        # A new shipment: the carrier's first scan is expected from now on.
        self._carrier_expect_scan(fields.Datetime.now())
        self._add_delivery_cost_to_so()
        if carrier.return_label_on_delivery and carrier.can_generate_return:
            # Odoo's "Generate Return Label": the label comes with the delivery.
            self._carrier_queue_return(automatic=True)
        # A note, not a notification: logging it skips the followers pass,
        # which is a tenth of a booking's own cost.
        self._integration_log_event(
            body=Markup("%s<br/>%s")
            % (
                _(
                    "Shipment booked with %(carrier)s: %(count)s package(s), "
                    "tracking %(numbers)s.",
                    carrier=carrier.name,
                    count=len(packages),
                    numbers=", ".join(dict.fromkeys(numbers)),
                ),
                _(
                    "Carrier price: %(price).2f %(currency)s",
                    price=result.total_price or 0.0,
                    currency=result.currency or self.company_id.currency_id.name,
                ),
            ),
        )
        return packages

    # -- cancel and returns --------------------------------------------------------

    @entry_point("write")
    def cancel_shipment(self):
        self._carrier_check_shipping_method()
        ours = self.filtered(lambda p: p._carrier_is_ours())
        if self - ours:
            super(StockPicking, self - ours).cancel_shipment()
        ours._carrier_queue_cancel()

    def _carrier_queue_cancel(self):
        for picking in self:
            if picking.carrier_booking_state != "booked":
                state = dict(
                    picking._fields["carrier_booking_state"]._description_selection(
                        picking.env
                    )
                ).get(picking.carrier_booking_state)
                raise UserError(
                    _(
                        "%(picking)s has no booked shipment to cancel (carrier "
                        "booking: %(state)s). Only a booked shipment can be "
                        "cancelled; a queued booking can be followed with the "
                        "'Integration messages' button of its Carrier tab.",
                        picking=picking.name,
                        state=state,
                    )
                )
            message = picking._carrier_queue(
                FLOW_CANCEL,
                {"shipment_id": picking.carrier_shipment_ref},
                picking._carrier_idempotency_key("cancel"),
            )
            picking.carrier_booking_state = "cancelling"
            picking._message_log(
                body=_(
                    "Cancellation of shipment %(ref)s queued (%(message)s).",
                    ref=picking.carrier_shipment_ref,
                    message=message.name,
                )
            )

    def _carrier_apply_cancel(self, shipment_id):
        self.ensure_one()
        packages = self.carrier_package_ids.filtered(
            lambda p: p.carrier_shipment_id == shipment_id and p.state == "booked"
        )
        packages.write({"state": "cancelled"})
        self.write(
            {
                "carrier_booking_state": "cancelled",
                "carrier_tracking_ref": False,
                "carrier_shipment_ref": False,
                "carrier_booking_round": self.carrier_booking_round + 1,
                "delivery_state": "canceled_shipment",
                "date_shipped": False,
                "date_delivered": False,
            }
        )
        self.env["integration.expectation"]._withdraw(
            self,
            "carrier_scan",
            note=_("Shipment %s cancelled with the carrier.", shipment_id),
        )
        self._integration_log_event(
            body=_("Shipment %s cancelled with the carrier.", shipment_id),
            subtype_xmlid="mail.mt_note",
        )

    def _carrier_queue_return(self, automatic=False):
        """Queue the purchase of a return label (one per transfer and round).

        ``automatic``: asked by the booking itself, not by a person's click.
        """
        for picking in self:
            if not picking.carrier_id:
                raise UserError(
                    _(
                        "%s has no delivery method: set the carrier's delivery "
                        "method on the transfer, then ask for the return label "
                        "again.",
                        picking.name,
                    )
                )
            request = picking._carrier_request(is_return=True)
            message = picking._carrier_queue(
                FLOW_RETURN, request_to_dict(request), request.idempotency_key
            )
            log = picking._integration_log_event if automatic else picking._message_log
            log(
                body=_(
                    "Return label with %(carrier)s requested (%(message)s); it is "
                    "attached here when the carrier answers.",
                    carrier=picking.carrier_id.name,
                    message=message.name,
                )
            )

    def _carrier_apply_return(self, result):
        """Store a bought return: packages (state 'return'), labels, documents."""
        self.ensure_one()
        packages = self._carrier_stored_packages(result, "return")
        if packages:
            return packages  # a replay found the return we already stored
        carrier = self.carrier_id
        account = carrier._carrier_account()
        prefix = carrier.get_return_label_prefix()
        extension = EXTENSIONS.get(result.label_format, "bin")
        numbers = [label.tracking_number for label in result.packages]
        shared_number = len(set(numbers)) < len(numbers)
        currency = self.env["res.currency"].search(
            [("name", "=", result.currency)], limit=1
        )
        vals_list = []
        for index, label in enumerate(result.packages):
            content = label.label or (result.label if index == 0 else b"")
            attachment = None
            if content:
                suffix = f"-{index + 1}" if shared_number else ""
                attachment = self._carrier_attach(
                    f"{prefix}-{label.tracking_number}{suffix}.{extension}",
                    content,
                    LABEL_MIMETYPES.get(result.label_format, "application/pdf"),
                )
            vals_list.append(
                self._carrier_package_vals(
                    result, account, currency, index, label, attachment, state="return"
                )
            )
        packages = self.env["carrier.shipment.package"].sudo().create(vals_list)
        self._carrier_attach_documents(result, prefix)
        self._integration_log_event(
            body=_(
                "Return label from %(carrier)s attached: return shipment %(ref)s, "
                "tracking %(numbers)s.",
                carrier=carrier.name,
                ref=result.carrier_shipment_id,
                numbers=", ".join(dict.fromkeys(numbers)),
            ),
            subtype_xmlid="mail.mt_note",
        )
        return packages

    # -- tracking ------------------------------------------------------------------

    def _carrier_lock_for_tracking(self):
        """Apply one tracking update at a time per transfer.

        Two workers may apply two webhooks of one shipment at once; each would
        decide from a state the other is changing. Writing the transfer's row
        first makes the later transaction wait, then fail with a serialization
        error, which the job runner retries on the committed state.
        """
        self.env.cr.execute(
            "UPDATE stock_picking SET write_date = write_date WHERE id IN %s",
            [tuple(self.ids)],
        )

    def _carrier_next_status(self, info, latest):
        """The status after ``info``: events are ordered by their own time.

        ``latest`` is the newest event time of ``info`` (naive UTC) or None.
        An update older than what was applied changes nothing; one as old only
        moves forward; a delivered or returned shipment is left only by a later
        exception or return.
        """
        current = self.carrier_tracking_status
        applied_at = self.carrier_last_event_at
        status = info.status
        if not current:
            return status
        if latest and applied_at:
            newer = latest > applied_at or (
                latest == applied_at
                and STATUS_RANK.get(status, 1) > STATUS_RANK.get(current, 1)
            )
        else:
            # Without event times, only progress tells old from new.
            newer = STATUS_RANK.get(status, 1) > STATUS_RANK.get(current, 1)
        if not newer:
            return current
        if current in TERMINAL_STATUSES and status not in LEAVE_TERMINAL_STATUSES:
            return current
        return status

    def _carrier_apply_tracking(self, info, message=None):
        """Store new events of ``info``, move the states, record delivery.

        Webhooks come repeated and out of order: events are stored once, the
        state follows the newest event (never backwards), and each state is
        notified once. Returns the number of new events (0 for a repeat).
        """
        self.ensure_one()
        self._carrier_lock_for_tracking()
        packages = self.carrier_package_ids.filtered(
            lambda p: p.tracking_number == info.tracking_number and p.state == "booked"
        )
        events = self.env["carrier.tracking.event"].sudo()
        known = set(self.carrier_tracking_event_ids.mapped("event_key"))
        new_vals = []
        for event in info.events:
            key = event_key(info.tracking_number, event)
            if key in known:
                continue
            known.add(key)
            new_vals.append(
                {
                    "picking_id": self.id,
                    "package_id": packages[:1].id,
                    "tracking_number": info.tracking_number,
                    "event_at": event.timestamp.replace(tzinfo=None)
                    if event.timestamp
                    else False,
                    "code": event.code,
                    "description": event.description,
                    "location": event.location,
                    "status": event.status,
                    "message_id": message.id if message else False,
                    "event_key": key,
                }
            )
        if new_vals:
            events.create(new_vals)
        stamps = [e.timestamp.replace(tzinfo=None) for e in info.events if e.timestamp]
        latest = max(stamps) if stamps else None
        for package in packages:
            if package.last_event_at and latest and latest < package.last_event_at:
                continue  # an older view of this parcel
            package_vals = {"tracking_status": info.status}
            if latest:
                package_vals["last_event_at"] = latest
            package.write(package_vals)
        status = self._carrier_next_status(info, latest)
        changed = status != self.carrier_tracking_status
        vals = {}
        if latest and (
            not self.carrier_last_event_at or latest > self.carrier_last_event_at
        ):
            vals["carrier_last_event_at"] = latest
        if changed:
            vals["carrier_tracking_status"] = status
            if status == info.status:
                vals["tracking_state"] = info.carrier_status or info.status
            delivery_state = DELIVERY_STATE.get(status, "in_transit")
            # Written only when it changes: OCA delivery_state emails the
            # customer on every write of "customer_delivered".
            if (
                self.delivery_state != "canceled_shipment"
                and delivery_state != self.delivery_state
            ):
                vals["delivery_state"] = delivery_state
        delivered_now = changed and status == DELIVERED
        if delivered_now:
            vals["date_delivered"] = (
                info.delivered_at.replace(tzinfo=None)
                if info.delivered_at
                else (latest or fields.Datetime.now())
            )
            vals["carrier_signed_by"] = info.signed_by or False
            if info.pod:
                vals["pod_file"] = base64.b64encode(info.pod)
                vals["pod_filename"] = f"POD-{info.tracking_number}.pdf"
        if vals:
            self.write(vals)
        if new_vals:
            # A new scan answers the wait (and closes its exception if late);
            # the same scans polled again do not. The next is due from this one.
            self.env["integration.expectation"]._fulfil(
                self,
                "carrier_scan",
                message=message,
                note=_("Carrier scan received for %s.", self.name),
            )
            self._carrier_expect_scan(
                self.carrier_last_event_at or fields.Datetime.now()
            )
        if delivered_now and self._carrier_first_notice("delivered"):
            self._carrier_notify_delivered(info)
        return len(new_vals)

    def _carrier_first_notice(self, name):
        """Record that notice ``name`` goes out; False when it already went."""
        self.ensure_one()
        sent = set(filter(None, (self.carrier_notified or "").split(",")))
        if name in sent:
            return False
        self.carrier_notified = ",".join(sorted(sent | {name}))
        return True

    def _send_delivery_state_delivered_email(self):
        # OCA delivery_state emails the customer on each write of
        # "customer_delivered"; a shipment of ours is announced once.
        repeated = self.filtered(
            lambda p: (
                p._carrier_is_ours()
                and p.company_id.delivery_state_delivered_email_validation
                and p.delivery_state == "customer_delivered"
                and not p._carrier_first_notice("delivered-email")
            )
        )
        return super(
            StockPicking, self - repeated
        )._send_delivery_state_delivered_email()

    def _carrier_notify_delivered(self, info):
        attachments = []
        if info.pod:
            mimetype = (
                "application/pdf" if info.pod.startswith(b"%PDF") else "image/png"
            )
            extension = "pdf" if mimetype == "application/pdf" else "png"
            attachments = [
                self._carrier_attach(
                    f"POD-{info.tracking_number}.{extension}", info.pod, mimetype
                ).id
            ]
        body = _(
            "Delivered on %(date)s (tracking %(number)s).",
            date=fields.Datetime.to_string(self.date_delivered),
            number=info.tracking_number,
        )
        if info.signed_by:
            body += " " + _("Signed by %s.", info.signed_by)
        if info.pod:
            body += " " + _("Proof of delivery attached.")
        # A comment, not a note: followers (sales person, customer service) hear it.
        self._integration_log_event(
            body=body, subtype_xmlid="mail.mt_comment", attachment_ids=attachments
        )

    @api.model
    def _carrier_pickings_for(self, tracking_number, endpoint):
        packages = (
            self.env["carrier.shipment.package"]
            .sudo()
            .search(
                [
                    ("tracking_number", "=", tracking_number),
                    ("carrier_account_id.endpoint_id", "=", endpoint.id),
                    ("state", "=", "booked"),
                ]
            )
        )
        return packages.picking_id

    def _carrier_open_for_tracking(self):
        """Pickings whose shipment still moves (not delivered, not cancelled)."""
        return self.filtered(
            lambda p: (
                p.carrier_booking_state == "booked"
                and p.delivery_state not in FINAL_DELIVERY_STATES
            )
        )

    @api.depends(
        "carrier_booking_state",
        "carrier_booking_message_state",
        "carrier_tracking_status",
    )
    def _compute_carrier_shipment_status(self):
        by_tracking = {
            PENDING: "booked",
            IN_TRANSIT: "in_transit",
            OUT_FOR_DELIVERY: "out_for_delivery",
            DELIVERED: "delivered",
            EXCEPTION: "exception",
            RETURNED: "returned",
        }
        for picking in self:
            booking = picking.carrier_booking_state
            if booking == "queued":
                status = (
                    "booking_failed"
                    if picking.carrier_booking_message_state in ("dead", "cancelled")
                    else "booking"
                )
            elif booking == "booked":
                status = by_tracking.get(picking.carrier_tracking_status, "booked")
            elif booking in ("cancelling", "cancelled"):
                status = booking
            else:
                status = False
            picking.carrier_shipment_status = status

    @entry_point("write")
    def tracking_state_update(self):
        """OCA delivery_state's button: ask the carrier now, and say what came of
        it (the button gave no feedback)."""
        ours = self.filtered(lambda p: p.delivery_type in CARRIER_TYPES)
        if not ours or self.env.context.get("cron_id"):
            return super().tracking_state_update()
        super(StockPicking, self - ours).tracking_state_update()
        lines = []
        failed = False
        for picking in ours.filtered("carrier_id"):
            # The carrier may not know the shipment yet (no scan): say so rather
            # than show the user a traceback.
            try:
                with self.env.cr.savepoint():
                    getattr(
                        picking.carrier_id,
                        f"{picking.delivery_type}_tracking_state_update",
                    )(picking)
            except IntegrationError as exc:
                failed = True
                lines.append(
                    _(
                        "%(picking)s: the carrier could not be asked (%(error)s)",
                        picking=picking.name,
                        error=str(exc),
                    )
                )
        ours.invalidate_recordset()
        for picking in ours:
            status = dict(
                picking._fields["carrier_shipment_status"]._description_selection(
                    self.env
                )
            ).get(picking.carrier_shipment_status) or _("not booked")
            lines.append(
                _(
                    "%(picking)s: %(status)s (last scan %(when)s)",
                    picking=picking.name,
                    status=status,
                    when=fields.Datetime.to_string(picking.carrier_last_event_at)
                    if picking.carrier_last_event_at
                    else _("none yet"),
                )
            )
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Tracking updated"),
                "message": "\n".join(lines),
                "type": "warning" if failed else "info",
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def _carrier_poll_tracking(self):
        """Ask the carrier now (OCA delivery_state's cron and button)."""
        handler = self.env["integration.handler.carrier_tracking_poll"]
        for picking in self._carrier_open_for_tracking():
            account = picking.carrier_id._carrier_account()
            handler._poll(account.endpoint_id, picking)

    def _carrier_expect_scan(self, since):
        """Expect the carrier's next scan within the account's scan SLA of
        ``since`` (the booking, or the last scan) while the shipment travels."""
        self.ensure_one()
        hours = self.carrier_account_id.scan_sla_hours
        if (
            not hours
            or self.carrier_booking_state != "booked"
            or self.delivery_state in FINAL_DELIVERY_STATES
        ):
            return self.env["integration.expectation"]
        return self.env["integration.expectation"]._expect(
            self,
            "carrier_scan",
            since + timedelta(hours=hours),
            message=self.carrier_booking_message_id or None,
            endpoint=self.carrier_account_id.endpoint_id,
            description=_(
                "%(picking)s: no carrier scan for %(hours)s hours "
                "(tracking %(ref)s). Ask the carrier whether it picked "
                "the shipment up; the next scan closes this exception.",
                picking=self.name,
                hours=hours,
                ref=self.carrier_tracking_ref,
            ),
        )
