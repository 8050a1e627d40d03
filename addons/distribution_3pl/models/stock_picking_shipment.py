"""What a shipping advice says about the shipment itself: the warehouse's
packages (with their tracking numbers) and the carrier it shipped with."""

from decimal import Decimal, InvalidOperation

from odoo import _, fields, models

# The 3PL names its carrier by SCAC: the kernel's cross-reference domain of
# carriers (one SCAC may stand for several delivery methods).
CARRIER_DOMAIN = "carrier"


class StockQuantPackage(models.Model):
    _inherit = "stock.quant.package"

    tpl_tracking_number = fields.Char(
        string="Tracking number",
        copy=False,
        index="btree_not_null",
        help="The carrier's tracking number of this package, as the 3PL "
        "warehouse reported it when it shipped the package.",
    )


class StockPicking(models.Model):
    _inherit = "stock.picking"

    def _tpl_packing(self, advice, account):
        """``{(line id, lot): [[package, quantity], ...]}``: where the advice
        packed each line and lot, in the unit of the line's move; the packages
        are found or created."""
        self.ensure_one()
        moves = {move.tpl_line_id or str(move.id): move for move in self.move_ids}
        packing = {}
        for shipped in advice.get("packages") or []:
            package = self._tpl_package(
                shipped.get("package_id"), shipped.get("tracking_number")
            )
            if not package:
                continue  # an anonymous package: its lines stay unpacked
            for content in shipped.get("contents") or []:
                try:
                    quantity = float(Decimal(content.get("quantity") or "0"))
                except InvalidOperation:
                    continue  # the plan refused it already
                move = moves.get(content.get("line_id") or "")
                if move:
                    quantity = account._tpl_from_warehouse(
                        move, content.get("uom") or "", quantity
                    )
                if quantity is None:
                    continue  # the plan refused its unit already
                key = (content.get("line_id") or "", content.get("lot") or "")
                packing.setdefault(key, []).append([package, quantity])
        return packing

    def _tpl_package(self, name, tracking_number):
        """The Odoo package the warehouse calls ``name``, of this company."""
        packages = self.env["stock.quant.package"].sudo()
        name = (name or "").strip()
        if not name:
            return packages
        package = packages.search(
            [("name", "=", name), ("company_id", "in", (self.company_id.id, False))],
            limit=1,
        )
        if not package:
            return packages.create(
                {
                    "name": name,
                    "company_id": self.company_id.id,
                    "tpl_tracking_number": tracking_number or False,
                }
            )
        if tracking_number and package.tpl_tracking_number != tracking_number:
            package.tpl_tracking_number = tracking_number
        return package

    def _tpl_packed(self, packing, move, shipped):
        """``[(lot name, quantity, package or None)]``: what ``move`` ships
        (``[(lot name, quantity)]``) split over the packages holding it."""
        line_id = move.tpl_line_id or str(move.id)
        rounding = move.product_uom.rounding
        return [
            (lot_name, part, package)
            for lot_name, quantity in shipped
            for package, part in self._tpl_take(
                packing, (line_id, lot_name), quantity, rounding
            )
        ]

    @staticmethod
    def _tpl_take(packing, key, quantity, rounding):
        """``[(package, quantity)]``: ``quantity`` of ``key`` split over the
        packages holding it (consumed); what none holds comes unpacked."""
        parts = []
        for entry in packing.get(key, []):
            if quantity <= rounding / 2:
                break
            taken = min(entry[1], quantity)
            if taken > rounding / 2:
                parts.append((entry[0], taken))
                entry[1] -= taken
                quantity -= taken
        if quantity > rounding / 2:
            parts.append((None, quantity))
        return parts

    def _tpl_apply_carrier(self, account, advice):
        """Put the carrier the warehouse shipped with on the delivery (its
        tracking link follows); an unmapped SCAC is noted, not refused."""
        self.ensure_one()
        scac = ((advice.get("carrier") or {}).get("scac") or "").strip()
        if not scac:
            return
        references = self.env["integration.cross.reference"].sudo()
        found = references._valid_references(
            account.endpoint_id, CARRIER_DOMAIN, [("code", "=", scac)], None, None
        )
        companies = (self.company_id.id, False)
        carriers = (
            self.env["delivery.carrier"]
            .sudo()
            .browse(found.mapped("res_id"))
            .exists()
            .filtered(lambda c: c.company_id.id in companies)
        )
        picking = self.sudo()
        if not carriers:
            picking.message_post(
                body=_(
                    "The 3PL shipped with carrier %(scac)s, which no "
                    "cross-reference of %(endpoint)s maps to a delivery method: "
                    "the carrier was left as it was. Map the SCAC in Integration "
                    "> Configuration > Cross-references (domain Carrier (SCAC)).",
                    scac=scac,
                    endpoint=account.endpoint_id.display_name,
                ),
                subtype_xmlid="mail.mt_note",
            )
            return
        if self.carrier_id in carriers:
            return  # one of the methods of that carrier: Odoo's choice stands
        previous = self.carrier_id
        picking.carrier_id = carriers[0]
        picking.message_post(
            body=_(
                "The 3PL shipped with %(carrier)s (SCAC %(scac)s) instead of "
                "%(previous)s.",
                carrier=carriers[0].display_name,
                scac=scac,
                previous=previous.display_name,
            )
            if previous
            else _(
                "The 3PL shipped with %(carrier)s (SCAC %(scac)s).",
                carrier=carriers[0].display_name,
                scac=scac,
            ),
            subtype_xmlid="mail.mt_note",
        )
