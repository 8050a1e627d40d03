from odoo import models

INTERCHANGE_HANDLER = "integration.handler.edi_interchange"


class IntegrationCollectHandler(models.AbstractModel):
    _inherit = "integration.handler.collect"

    def _collected_content_type(self, target, name, payload):
        """An interchange file is logged as X12 or EDIFACT by its first segment
        (the file name says nothing reliable), so that an edited payload is
        checked by the right codec before a replay."""
        if target.handler == INTERCHANGE_HANDLER:
            head = payload.lstrip()[:3].upper()
            if head == b"ISA":
                return "application/edi-x12"
            if head in (b"UNA", b"UNB"):
                return "application/edifact"
        return super()._collected_content_type(target, name, payload)
