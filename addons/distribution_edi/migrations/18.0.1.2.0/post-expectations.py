"""18.0.1.2.0: the invoice window of a purchase order moves from its own
columns (``edi_invoice_due_at``, ``edi_invoice_overdue``) to an
``integration.expectation`` of kind ``edi_invoice``. Windows still running keep
their deadline; an overdue one keeps its open exception, which the invoice
still closes.

Runs before Odoo drops the removed columns (at the end of the update).
"""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "purchase_order", "edi_invoice_due_at"):
        return
    cr.execute(
        """
        INSERT INTO integration_expectation
               (description, kind, category, severity, state, state_sequence,
                res_model, res_id, message_id, endpoint_id, company_id, due_at,
                late_at, exception_id, create_uid, create_date, write_uid,
                write_date)
        SELECT 'No invoice from ' || COALESCE(partner.name, supplier.name)
                   || ' for the goods received on ' || po.name || ' within '
                   || COALESCE(partner.invoice_window_minutes, 0) || ' minutes',
               'edi_invoice', 'sla', 'high',
               CASE WHEN po.edi_invoice_overdue THEN 'late' ELSE 'open' END,
               CASE WHEN po.edi_invoice_overdue THEN 0 ELSE 1 END,
               'purchase.order', po.id,
               (SELECT document.message_id FROM edi_document document
                 WHERE document.purchase_id = po.id
                   AND document.kind IN ('despatch', 'order')
                   AND document.message_id IS NOT NULL
                 ORDER BY document.kind = 'despatch' DESC, document.id DESC
                 LIMIT 1),
               partner.endpoint_id, po.company_id, po.edi_invoice_due_at,
               CASE WHEN po.edi_invoice_overdue THEN po.edi_invoice_due_at END,
               (SELECT exception.id FROM integration_exception exception
                 WHERE exception.problem_key = 'edi-invoice-missing:' || po.id
                   AND exception.state IN ('new', 'in_progress')
                 ORDER BY exception.id DESC LIMIT 1),
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM purchase_order po
          JOIN res_partner supplier ON supplier.id = po.partner_id
          LEFT JOIN edi_trading_partner partner
                 ON partner.id = po.edi_trading_partner_id
         WHERE po.edi_invoice_due_at IS NOT NULL
           AND NOT EXISTS (
                SELECT 1 FROM integration_expectation expectation
                 WHERE expectation.res_model = 'purchase.order'
                   AND expectation.res_id = po.id
                   AND expectation.kind = 'edi_invoice'
                   AND expectation.state IN ('open', 'late'))
        """
    )
