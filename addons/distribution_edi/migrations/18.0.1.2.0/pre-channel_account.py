"""Trading partners are channel accounts now: their endpoint must be a
supplier (EDI) endpoint speaking a protocol EDI speaks. Mark the endpoints of
existing partners so, from their transport, where they say otherwise."""

import logging

_logger = logging.getLogger(__name__)

EDI_PROTOCOLS = ("edi_http", "rest", "folder", "sftp")
PROTOCOL_OF_TRANSPORT = {"http": "edi_http", "folder": "folder", "sftp": "sftp"}


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE integration_endpoint endpoint
           SET kind = 'supplier_edi'
          FROM edi_trading_partner partner
         WHERE partner.endpoint_id = endpoint.id AND endpoint.kind = 'other'
        """
    )
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'edi_trading_partner' AND column_name = 'transport'
        """
    )
    if not cr.fetchone():
        return
    for transport, protocol in PROTOCOL_OF_TRANSPORT.items():
        cr.execute(
            """
            UPDATE integration_endpoint endpoint
               SET protocol = %s
              FROM edi_trading_partner partner
             WHERE partner.endpoint_id = endpoint.id
               AND partner.transport = %s
               AND NOT (endpoint.protocol = ANY(%s))
            """,
            (protocol, transport, list(EDI_PROTOCOLS)),
        )
        if cr.rowcount:
            _logger.info(
                "%s endpoint(s) of %s trading partners now use protocol %s.",
                cr.rowcount,
                transport,
                protocol,
            )
