from odoo import models

from ..kernel.inbound import DEFAULT_JSON_TYPES


class IntegrationHandler(models.AbstractModel):
    """Base of every flow handler.

    A channel adds a handler by inheriting this model under its own name
    (e.g. ``_name = "integration.handler.edi_850_out"``); it then appears in the
    flow catalog's *Handler* list. The dispatcher calls:

    * :meth:`_send` for outbound messages (deliver ``message`` to its endpoint),
    * :meth:`_process` for inbound messages (apply the business effect),
    * :meth:`_collect` when a batch flow's schedule is due (e.g. poll a folder).

    Handlers raise :mod:`kernel.errors` exceptions (``TransientError`` is retried,
    ``PermanentError`` goes to the exception queue); any other exception is
    treated as permanent. Each call runs in a savepoint, so a failed call leaves
    no partial business change behind.
    """

    _name = "integration.handler"
    _description = "Integration Handler"

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
        """Deliver an outbound message. May return a dict of message values to
        record (e.g. ``external_ref``, ``response_payload``)."""
        raise NotImplementedError(f"{self._name} cannot send outbound messages")

    def _process(self, message):
        """Apply an inbound message. May return a dict of message values."""
        raise NotImplementedError(f"{self._name} cannot process inbound messages")

    def _collect(self, flow, endpoint):
        """Pull what waits at ``endpoint`` for a batch ``flow`` (usually by calling
        ``integration.dispatch._receive``). Returns the number of items collected."""
        return 0
