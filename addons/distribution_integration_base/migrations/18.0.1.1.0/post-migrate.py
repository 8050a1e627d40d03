"""Exceptions raised by batch flows before 18.0.1.1.0 could be stored without a
company; record rules then hid them from everyone while the dashboard counted
them. Give each its endpoint's company (else its message's)."""


def migrate(cr, version):
    if not version:
        return
    cr.execute(
        """
        UPDATE integration_exception exception
           SET company_id = COALESCE(endpoint.company_id, message.company_id)
          FROM integration_exception base
          LEFT JOIN integration_endpoint endpoint ON endpoint.id = base.endpoint_id
          LEFT JOIN integration_message message ON message.id = base.message_id
         WHERE exception.id = base.id
           AND exception.company_id IS NULL
           AND COALESCE(endpoint.company_id, message.company_id) IS NOT NULL
        """
    )
