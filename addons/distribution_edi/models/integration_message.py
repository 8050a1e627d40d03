from odoo import _, api, models
from odoo.exceptions import UserError

from ..edi import EDIFACT, X12, read
from ..edi.ack import summary
from ..edi.reader import REJECTED

# The content types EDI messages carry (see edi.trading.partner._content_type).
EDI_CONTENT_TYPES = {"application/edi-x12": X12, "application/edifact": EDIFACT}
SUMMARY_LINES = 12


def _refused(interchange):
    """Whether a partner would refuse ``interchange`` (envelope, group or set)."""
    if not interchange.complete or interchange.rejected:
        return True
    return any(
        group.rejected or any(result.status == REJECTED for result in group.results)
        for group in interchange.groups
    )


class IntegrationMessage(models.Model):
    _inherit = "integration.message"

    @api.model
    def _validate_payload(self, payload, content_type):
        """An edited X12 or EDIFACT payload must be an interchange the codec
        reads without a rejection, or it is not replayed."""
        dialect = EDI_CONTENT_TYPES.get(
            (content_type or "").split(";")[0].strip().lower()
        )
        if dialect is None:
            return super()._validate_payload(payload, content_type)
        try:
            interchanges = read(payload)
        except ValueError as exc:  # the codec's EdiError, bad encodings
            raise UserError(
                _(
                    "The payload is not a readable %(dialect)s interchange: %(error)s",
                    dialect=dialect,
                    error=exc,
                )
            ) from exc
        if not interchanges:
            raise UserError(_("The payload holds no %s interchange.", dialect))
        for interchange in interchanges:
            if interchange.dialect != dialect:
                raise UserError(
                    _(
                        "The payload is an %(found)s interchange; this message "
                        "carries %(dialect)s.",
                        found=interchange.dialect,
                        dialect=dialect,
                    )
                )
            refused = _refused(interchange)
            if refused:
                lines = summary(interchange).splitlines()[:SUMMARY_LINES]
                raise UserError(
                    _(
                        "The edited %(dialect)s interchange would be refused:\n"
                        "%(summary)s",
                        dialect=dialect,
                        summary="\n".join(lines),
                    )
                )
        return None
