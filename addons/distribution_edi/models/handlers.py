"""The EDI channel's handlers (found by the kernel's flow catalog):

* ``edi_handler_send``: ``integration.handler.edi_send`` delivers interchanges;
* ``edi_handler_interchange``: ``integration.handler.edi_interchange`` reads a
  received interchange, acknowledges it and splits it into documents;
* ``edi_handler_documents``: one handler per inbound document flow, applying
  each document through the business model it changes;
* here, ``integration.handler.edi_poll``: the batch flow's collect step, picking
  up files from folder and SFTP partners.
"""

from odoo import models

INTERCHANGE_FLOW = "edi-interchange-in"


class EdiPollHandler(models.AbstractModel):
    _name = "integration.handler.edi_poll"
    _inherit = "integration.handler"
    _description = "EDI: collect files from folder and SFTP partners"

    def _collect(self, flow, endpoint):
        collected = 0
        trading_partners = (
            self.env["edi.trading.partner"]
            .sudo()
            .search(
                [
                    ("endpoint_id", "=", endpoint.id),
                    ("transport", "in", ("folder", "sftp")),
                ]
            )
        )
        for trading_partner in trading_partners:
            collected += self._collect_from(trading_partner)
        return collected

    def _collect_from(self, trading_partner):
        """Log every settled file of the partner's inbox as an inbound message.

        A file is claimed (renamed) first; it moves to processed/ only once
        the message is committed, and goes back to its name on a rollback,
        so nothing is lost and nothing is read twice.
        """
        cr = self.env.cr
        exchange = trading_partner._transport()
        try:
            # A poller that crashed between claim and commit left its files
            # claimed: give them back before claiming, so this run takes them.
            exchange.recover_stale(self._stale_claim_seconds())
        except Exception:
            exchange.close()
            raise
        claimed = exchange.claim()
        if not claimed:
            exchange.close()
            return 0
        done, failed = [], []
        try:
            self._log_files(trading_partner, exchange, claimed, done, failed)
        except Exception:
            # The savepoint around the collect step rolls the messages back:
            # put the files back too, for the next run.
            for inbound in claimed:
                exchange.release(inbound)
            exchange.close()
            raise
        count = len(done)

        def finish():
            try:
                for inbound in done:
                    exchange.done(inbound)
                for inbound, reason in failed:
                    exchange.failed(inbound, reason)
            finally:
                exchange.close()

        def give_back():
            try:
                for inbound in claimed:
                    exchange.release(inbound)
            finally:
                exchange.close()

        cr.postcommit.add(finish)
        cr.postrollback.add(give_back)
        return count

    def _stale_claim_seconds(self):
        """How old a claim is before it counts as left by a crashed poller.

        A claim lives for one transaction, which Odoo's time limits end long
        before this.
        """
        minutes = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("distribution_edi.stale_claim_minutes", 15)
        )
        return max(int(minutes), 1) * 60

    def _log_files(self, trading_partner, exchange, claimed, done, failed):
        dispatch = self.env["integration.dispatch"]
        for inbound in claimed:
            try:
                payload = exchange.read(inbound)
            except Exception as exc:  # unreadable: keep it aside for a person
                failed.append((inbound, str(exc)))
                continue
            if not payload.strip():
                failed.append((inbound, "empty file"))
                continue
            dispatch._receive(
                INTERCHANGE_FLOW,
                trading_partner.endpoint_id,
                payload,
                partner=trading_partner.partner_id,
                idempotency_key=f"file:{trading_partner._payload_digest(payload)}",
                content_type=trading_partner._content_type(),
                filename=inbound.name,
                external_ref=inbound.name,
            )
            done.append(inbound)


def _float(value, default):
    if value in (None, ""):
        return default
    return float(value)
