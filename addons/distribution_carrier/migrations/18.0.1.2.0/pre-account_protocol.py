"""Carrier accounts no longer name an adapter: their endpoint's protocol does
(REST: Karrio, SOAP: LTL freight). Carry each account's former adapter over to
its endpoint, then drop the column."""

import logging

_logger = logging.getLogger(__name__)

PROTOCOL_OF_ADAPTER = {"karrio": "rest", "ltl_soap": "soap"}


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'carrier_account' AND column_name = 'adapter'
        """
    )
    if not cr.fetchone():
        return
    # An endpoint serving accounts of both adapters cannot take both protocols:
    # leave it as it is and say so (the account form then asks for a choice).
    cr.execute(
        """
        SELECT endpoint_id, array_agg(DISTINCT adapter)
          FROM carrier_account
         GROUP BY endpoint_id
        HAVING count(DISTINCT adapter) > 1
        """
    )
    mixed = dict(cr.fetchall())
    for endpoint_id, adapters in mixed.items():
        _logger.warning(
            "Endpoint %s serves carrier accounts of adapters %s: its protocol was "
            "left unchanged; give each adapter its own endpoint.",
            endpoint_id,
            ", ".join(adapters),
        )
    for adapter, protocol in PROTOCOL_OF_ADAPTER.items():
        cr.execute(
            """
            UPDATE integration_endpoint endpoint
               SET protocol = %s
              FROM carrier_account account
             WHERE account.endpoint_id = endpoint.id
               AND account.adapter = %s
               AND endpoint.protocol IS DISTINCT FROM %s
               AND NOT (endpoint.id = ANY(%s))
            """,
            (protocol, adapter, protocol, list(mixed) or [0]),
        )
        if cr.rowcount:
            _logger.info(
                "%s endpoint(s) of %s carrier accounts now use protocol %s.",
                cr.rowcount,
                adapter,
                protocol,
            )
    # Endpoints of carrier accounts are carrier endpoints (the account checks it).
    cr.execute(
        """
        UPDATE integration_endpoint endpoint
           SET kind = 'carrier'
          FROM carrier_account account
         WHERE account.endpoint_id = endpoint.id AND endpoint.kind = 'other'
        """
    )
    # The LTL service pushes no tracking: such accounts were silently never
    # tracked; they are polled from now on.
    cr.execute(
        """
        UPDATE carrier_account
           SET tracking_by_webhook = FALSE
         WHERE adapter = 'ltl_soap' AND tracking_by_webhook
        """
    )
    cr.execute("ALTER TABLE carrier_account DROP COLUMN adapter")
