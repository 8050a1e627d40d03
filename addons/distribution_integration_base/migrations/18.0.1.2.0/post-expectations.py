"""18.0.1.2.0: the acknowledgement window of a sent message moves from its own
columns (``ack_due_at``, ``ack_window_minutes``, ``ack_overdue``) to an
``integration.expectation``. Messages still waiting for their acknowledgement
keep waiting, with the same deadline; an overdue one keeps its open exception.

Runs before Odoo drops the removed columns (at the end of the update).
"""

from odoo.tools.sql import column_exists


def migrate(cr, version):
    if not version or not column_exists(cr, "integration_message", "ack_due_at"):
        return
    cr.execute(
        """
        INSERT INTO integration_expectation
               (description, kind, category, severity, state, state_sequence,
                res_model, res_id, message_id, endpoint_id, company_id, due_at,
                late_at, exception_id, create_uid, create_date, write_uid,
                write_date)
        SELECT 'No acknowledgement for ' || message.name || ' within '
                   || COALESCE(NULLIF(message.ack_window_minutes, 0),
                               flow.ack_timeout_minutes, 0) || ' minutes',
               'acknowledgement', 'acknowledgement', 'high',
               CASE WHEN message.ack_overdue THEN 'late' ELSE 'open' END,
               CASE WHEN message.ack_overdue THEN 0 ELSE 1 END,
               'integration.message', message.id, message.id,
               message.endpoint_id, message.company_id, message.ack_due_at,
               CASE WHEN message.ack_overdue THEN message.ack_due_at END,
               (SELECT exception.id FROM integration_exception exception
                 WHERE exception.message_id = message.id
                   AND exception.category = 'acknowledgement'
                   AND exception.state IN ('new', 'in_progress')
                 ORDER BY exception.id DESC LIMIT 1),
               1, now() at time zone 'UTC', 1, now() at time zone 'UTC'
          FROM integration_message message
          JOIN integration_flow flow ON flow.id = message.flow_id
         WHERE message.direction = 'outbound'
           AND message.state = 'sent'
           AND message.ack_due_at IS NOT NULL
           AND NOT EXISTS (
                SELECT 1 FROM integration_expectation expectation
                 WHERE expectation.message_id = message.id
                   AND expectation.kind = 'acknowledgement')
        """
    )
