"""The generic collect step: files of an endpoint's inbox become inbound messages.

A batch flow whose handler is ``integration.handler.collect`` collects, for
each of its endpoints, every settled file of the inbox and receives it into
the flow's ``collect_into_flow_id``, whose own handler then processes it.
"""

import hashlib
import mimetypes

from odoo import _, api, fields, models
from odoo.exceptions import ValidationError

from ..kernel import errors, inbound, transports

COLLECT_HANDLER = "integration.handler.collect"


class IntegrationFlow(models.Model):
    _inherit = "integration.flow"

    collect_into_flow_id = fields.Many2one(
        "integration.flow",
        string="Collect into",
        ondelete="restrict",
        tracking=True,
        domain="[('direction', '=', 'inbound'), ('id', '!=', id)]",
        help="The inbound flow each collected file is received into (a collect "
        "flow's handler only fetches files; this flow's handler reads them).",
    )

    @api.constrains("handler", "collect_into_flow_id")
    def _check_collect_into_flow(self):
        for flow in self:
            target = flow.collect_into_flow_id
            if flow.handler == COLLECT_HANDLER and not target:
                raise ValidationError(
                    _(
                        "Flow %s collects files: choose the inbound flow they are "
                        "received into ('Collect into').",
                        flow.display_name,
                    )
                )
            if target and (target == flow or target.direction != "inbound"):
                raise ValidationError(
                    _(
                        "Flow %(flow)s can only collect into another, inbound "
                        "flow, not into %(target)s.",
                        flow=flow.display_name,
                        target=target.display_name,
                    )
                )


class IntegrationCollectHandler(models.AbstractModel):
    _name = COLLECT_HANDLER
    _inherit = "integration.handler.collector"
    _description = "Collect files from a folder or SFTP inbox into an inbound flow"

    def _collect(self, flow, endpoint):
        """Log every settled file of the endpoint's inbox as an inbound message.

        A file is claimed (renamed) first; it moves to processed/ only once
        the message is committed, and goes back to its name on a rollback, so
        nothing is lost and nothing is read twice. Files a crashed collector
        left claimed are given back by a scheduled action.
        """
        target = flow.collect_into_flow_id
        if not target:
            raise errors.PermanentError(
                _(
                    "Flow %s collects files but names no flow to receive them into: "
                    "set 'Collect into' on it.",
                    flow.code,
                ),
                category="mapping",
            )
        if not endpoint._has_file_transport():
            return 0  # nothing waits in files at an HTTP endpoint
        exchange = endpoint._transport()
        try:
            claimed = exchange.claim()
        except Exception:
            exchange.close()
            raise
        if not claimed:
            exchange.close()
            return 0
        done, failed = [], []
        try:
            self._receive_files(target, endpoint, exchange, claimed, done, failed)
        except Exception:
            # The savepoint around the collect step rolls the messages back:
            # put the files back too, for the next run.
            try:
                for claimed_file in claimed:
                    exchange.release(claimed_file)
            finally:
                exchange.close()
            raise

        def finish():
            try:
                for claimed_file in done:
                    exchange.done(claimed_file)
                for claimed_file, reason in failed:
                    exchange.failed(claimed_file, reason)
            finally:
                exchange.close()

        def give_back():
            try:
                for claimed_file in claimed:
                    exchange.release(claimed_file)
            finally:
                exchange.close()

        self.env.cr.postcommit.add(finish)
        self.env.cr.postrollback.add(give_back)
        return len(done)

    def _receive_files(self, target, endpoint, exchange, claimed, done, failed):
        dispatch = self.env["integration.dispatch"]
        for claimed_file in claimed:
            try:
                payload = exchange.read(claimed_file)
            except transports.TransportError as exc:
                if exc.transient:
                    raise  # the connection went away: all files go back
                failed.append((claimed_file, str(exc)))  # kept aside for a person
                continue
            if not payload.strip():
                failed.append((claimed_file, "empty file"))
                continue
            dispatch._receive(
                target,
                endpoint,
                payload,
                # The same bytes collected twice (a partner resending a file)
                # have one business effect.
                idempotency_key=f"file:{hashlib.sha256(payload).hexdigest()}",
                content_type=self._collected_content_type(
                    target, claimed_file.name, payload
                ),
                filename=claimed_file.name,
                external_ref=claimed_file.name,
            )
            done.append(claimed_file)

    def _collected_content_type(self, target, name, payload):
        """The media type a collected file is logged with.

        The file name's type when the receiving flow accepts it, else the
        first type the flow accepts. Channels that can tell their formats
        apart by content extend this.
        """
        declared = [
            kind
            for kind in inbound.accepted_types(target.inbound_content_types)
            if "*" not in kind
        ]
        guessed = mimetypes.guess_type(name)[0]
        if guessed and (not declared or guessed in declared):
            return guessed
        return declared[0] if declared else "application/octet-stream"
