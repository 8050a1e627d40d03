import json

import psycopg2
from psycopg2 import sql

from odoo import _, models
from odoo.tools import mute_logger

from ..kernel import errors
from ..kernel.inbound import DEFAULT_JSON_TYPES

# The bases themselves handle nothing: the flow catalog does not offer them.
HANDLER_BASES = frozenset(
    {
        "integration.handler",
        "integration.handler.outbound",
        "integration.handler.inbound",
        "integration.handler.collector",
    }
)


class IntegrationHandler(models.AbstractModel):
    """Base of every flow handler.

    A channel adds a handler by inheriting one of the role bases under its own
    name (e.g. ``_name = "integration.handler.edi_850_out"``, ``_inherit =
    "integration.handler.outbound"``); it then appears in the flow catalog's
    *Handler* list, and only on flows of its role's direction. The dispatcher
    calls:

    * :meth:`_send` for outbound messages (``integration.handler.outbound``:
      deliver ``message`` to its endpoint),
    * :meth:`_process` for inbound messages (``integration.handler.inbound``:
      apply the business effect, which lives on the business model),
    * :meth:`_collect` when a batch flow's schedule is due
      (``integration.handler.collector``: e.g. poll a folder).

    ``_send`` and ``_process`` return a :class:`~..kernel.results.HandlerResult`
    (or None): the kernel decides which message fields it sets.

    Handlers raise :mod:`kernel.errors` exceptions (``TransientError`` is retried,
    ``PermanentError`` goes to the exception queue); any other exception is
    treated as permanent. Each call runs in a savepoint, so a failed call leaves
    no partial business change behind.
    """

    _name = "integration.handler"
    _description = "Integration Handler"

    # The flow direction this handler's role serves; None: no role declared
    # (then any direction, as before roles existed).
    _handler_direction = None

    # Media types the gateway accepts for inbound flows run by this handler
    # (the flow's default; ``type/*`` and ``*/*`` are wildcards).
    _inbound_content_types = DEFAULT_JSON_TYPES

    def init(self):
        # Flows stored before this handler's module was loaded (or before flows
        # had content types) got the kernel's JSON default: give them this
        # handler's types. Idempotent, so it may run on every update.
        if (
            self._inbound_content_types != DEFAULT_JSON_TYPES
            and "integration.flow" in self.env
        ):
            flows = self.env["integration.flow"].sudo().with_context(active_test=False)
            flows.search(
                [
                    ("handler", "=", self._name),
                    ("inbound_content_types", "=", DEFAULT_JSON_TYPES),
                ]
            ).write({"inbound_content_types": self._inbound_content_types})

    def _send(self, message):
        """Deliver an outbound message; return a ``HandlerResult`` or None."""
        raise NotImplementedError(f"{self._name} cannot send outbound messages")

    def _process(self, message):
        """Apply an inbound message; return a ``HandlerResult`` or None."""
        raise NotImplementedError(f"{self._name} cannot process inbound messages")

    def _collect(self, flow, endpoint):
        """Pull what waits at ``endpoint`` for a batch ``flow`` (usually by calling
        ``integration.dispatch._receive``). Returns the number of items collected."""
        return 0

    # -- helpers shared by every handler ------------------------------------------

    def _payload_json(self, message):
        """The message's payload read as JSON; a clear validation error if it is
        not JSON."""
        try:
            return json.loads(message._get_payload())
        except ValueError as exc:
            raise errors.PermanentError(
                _(
                    "Payload of %(ref)s is not JSON: %(error)s",
                    ref=message.name,
                    error=exc,
                ),
                category="validation",
            ) from exc

    def _related_record(self, message, model):
        """The existing ``model`` record the message concerns, or a clear error."""
        record = message._related_record()
        if not record or record._name != model:
            raise errors.PermanentError(
                _(
                    "%(ref)s concerns no existing %(model)s.",
                    ref=message.name,
                    model=self.env[model]._description,
                ),
                category="mapping",
            )
        return record

    def _lock_for_update(self, records):
        """Take the rows of ``records`` for this transaction, or fail transiently.

        Two workers applying documents of one record at once would each miss
        what the other does. The first takes the rows; the second gets a
        ``TransientError`` and is retried on the committed state. Rows a
        concurrent transaction changed since this one began also give a
        ``TransientError`` rather than acting on a stale picture: the rows are
        rewritten, so a later contender fails the same way.
        """
        if not records:
            return records
        records.flush_recordset()
        table = sql.Identifier(records._table)
        ids = tuple(records.ids)
        try:
            # Contention is expected here: not a "bad query" in the log.
            with mute_logger("odoo.sql_db"), self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    sql.SQL(
                        "SELECT id FROM {} WHERE id IN %s ORDER BY id FOR UPDATE NOWAIT"
                    ).format(table),
                    [ids],
                )
                self.env.cr.execute(
                    sql.SQL("UPDATE {} SET id = id WHERE id IN %s").format(table),
                    [ids],
                )
        except (
            psycopg2.errors.LockNotAvailable,
            psycopg2.errors.SerializationFailure,
        ) as exc:
            raise errors.TransientError(
                _(
                    "%(records)s is being changed by another job; retried on its "
                    "result.",
                    records=", ".join(records.mapped("display_name"))[:200],
                ),
                category="transport",
                details=(exc.diag.message_primary or str(exc)).strip(),
                retry_after=5,
            ) from exc
        return records

    def _raise_exception(
        self,
        message,
        category,
        title,
        details=None,
        *,
        assignee=None,
        severity="medium",
        record=None,
        problem_key=None,
    ):
        """Put a problem into the exception queue, assigned to ``assignee``
        (a ``res.users`` record) when given; returns the exception."""
        exception = self.env["integration.dispatch"]._raise_exception(
            message,
            category,
            title,
            details=details,
            severity=severity,
            record=record,
            problem_key=problem_key,
        )
        if assignee:
            exception.user_id = assignee
        return exception


class IntegrationHandlerOutbound(models.AbstractModel):
    """Base of handlers that deliver outbound messages (:meth:`_send`)."""

    _name = "integration.handler.outbound"
    _inherit = "integration.handler"
    _description = "Integration Handler: outbound"
    _handler_direction = "outbound"

    def _send(self, message):
        raise NotImplementedError(f"{self._name} must implement _send")


class IntegrationHandlerInbound(models.AbstractModel):
    """Base of handlers that apply inbound messages (:meth:`_process`).

    The business effect belongs on the business model (e.g.
    ``purchase.order._edi_apply_order_response``); the handler reads the
    message, finds the record and calls it.
    """

    _name = "integration.handler.inbound"
    _inherit = "integration.handler"
    _description = "Integration Handler: inbound"
    _handler_direction = "inbound"

    def _process(self, message):
        raise NotImplementedError(f"{self._name} must implement _process")


class IntegrationHandlerCollector(models.AbstractModel):
    """Base of handlers that collect what waits at an endpoint (:meth:`_collect`)
    for a batch inbound flow."""

    _name = "integration.handler.collector"
    _inherit = "integration.handler"
    _description = "Integration Handler: collector"
    _handler_direction = "inbound"

    def _collect(self, flow, endpoint):
        raise NotImplementedError(f"{self._name} must implement _collect")
