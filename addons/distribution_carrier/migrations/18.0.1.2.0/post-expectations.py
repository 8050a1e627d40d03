"""18.0.1.2.0: the scan SLA of a booked shipment moves from its own columns
(``carrier_scan_overdue``, ``carrier_scan_exception_id``) and scheduled action
to an ``integration.expectation`` of kind ``carrier_scan``, watched by the
kernel's monitor. Shipments on their way keep their deadline (last scan, else
booking, plus the account's SLA); an overdue one keeps its open exception,
which the next scan still closes.

Runs before Odoo drops the removed columns (at the end of the update).
"""

from odoo import SUPERUSER_ID, api
from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("distribution_carrier.ir_cron_carrier_scan_sla", False)
    if cron:
        cron.unlink()
    if not column_exists(cr, "stock_picking", "carrier_scan_overdue"):
        return
    cr.execute(
        """
        INSERT INTO integration_expectation
               (description, kind, category, severity, state, state_sequence,
                res_model, res_id, message_id, endpoint_id, company_id, due_at,
                late_at, exception_id, create_uid, create_date, write_uid,
                write_date)
        SELECT picking.name || ': no carrier scan for ' || account.scan_sla_hours
                   || ' hours (tracking ' || COALESCE(picking.carrier_tracking_ref, '')
                   || '). Ask the carrier whether it picked the shipment up; the '
                   || 'next scan closes this exception.',
               'carrier_scan', 'sla', 'high',
               CASE WHEN picking.carrier_scan_overdue THEN 'late' ELSE 'open' END,
               CASE WHEN picking.carrier_scan_overdue THEN 0 ELSE 1 END,
               'stock.picking', picking.id, picking.carrier_booking_message_id,
               account.endpoint_id, picking.company_id,
               COALESCE(picking.carrier_last_event_at, message.processed_at,
                        picking.write_date)
                   + account.scan_sla_hours * interval '1 hour',
               CASE WHEN picking.carrier_scan_overdue
                    THEN now() at time zone 'UTC' END,
               (SELECT exception.id FROM integration_exception exception
                 WHERE exception.id = picking.carrier_scan_exception_id
                   AND exception.state IN ('new', 'in_progress')),
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM stock_picking picking
          JOIN delivery_carrier carrier ON carrier.id = picking.carrier_id
          JOIN carrier_account account ON account.id = carrier.carrier_account_id
          LEFT JOIN integration_message message
                 ON message.id = picking.carrier_booking_message_id
         WHERE picking.carrier_booking_state = 'booked'
           AND COALESCE(picking.delivery_state, '') NOT IN
               ('customer_delivered', 'canceled_shipment', 'no_update')
           AND account.scan_sla_hours > 0
           AND NOT EXISTS (
                SELECT 1 FROM integration_expectation expectation
                 WHERE expectation.res_model = 'stock.picking'
                   AND expectation.res_id = picking.id
                   AND expectation.kind = 'carrier_scan'
                   AND expectation.state IN ('open', 'late'))
        """
    )
