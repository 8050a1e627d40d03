"""What a handler may tell the kernel about a message it sent or applied.

A handler returns a :class:`HandlerResult` (or ``None``); the kernel alone turns
it into message values. The state, the attempt counters, the error fields and
the timestamps are the kernel's: no field of the result reaches them, so a
handler cannot mark a message done or hide a failure.

Handlers written before this class returned a dict of message values;
:meth:`HandlerResult.from_value` still accepts the keys that have a field here
and refuses any other key with a message naming it.
"""

from dataclasses import dataclass, fields

from .errors import PermanentError


@dataclass(frozen=True)
class HandlerResult:
    """The outcome of a successful ``_send``, ``_process`` step.

    ``external_ref``: the partner's reference of the exchange (its shipment,
    interchange or document number).
    ``response_payload`` / ``response_content_type``: the partner's answer, kept
    with the message as its response.
    ``record``: the business record the message concerns (the kernel stores its
    model and id, so the record's smart buttons find the message).
    ``partner``: the business partner the message was exchanged with.
    ``ack_window_minutes``: for an outbound flow expecting an acknowledgement,
    the minutes this partner is given to acknowledge (default: the flow's).

    >>> HandlerResult(external_ref="SHP-1").external_ref
    'SHP-1'
    >>> try:
    ...     HandlerResult.from_value({"state": "done"})
    ... except PermanentError as error:
    ...     print(error)
    A handler returned 'state', which a handler may not set; it may return \
external_ref, response_payload, response_content_type, record, partner, \
ack_window_minutes.
    """

    external_ref: str | None = None
    response_payload: bytes | str | None = None
    response_content_type: str = "application/octet-stream"
    record: object = None
    partner: object = None
    ack_window_minutes: int | None = None

    @classmethod
    def from_value(cls, value):
        """The result a handler returned, as a :class:`HandlerResult`.

        ``None`` is an empty result; a dict (handlers written before this class)
        is converted key by key, and any key without a field here is refused
        (the Odoo side first turns ``res_model``/``res_id`` and ``partner_id``
        into ``record`` and ``partner``).

        >>> HandlerResult.from_value(None) == HandlerResult()
        True
        >>> HandlerResult.from_value({"external_ref": "X1"}).external_ref
        'X1'
        >>> try:
        ...     HandlerResult.from_value(42)
        ... except PermanentError as error:
        ...     print(error)
        A handler returned int; it must return a HandlerResult or None.
        """
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if not isinstance(value, dict):
            raise PermanentError(
                f"A handler returned {type(value).__name__}; it must return a "
                "HandlerResult or None.",
                category="mapping",
            )
        allowed = cls.field_names()
        for key in value:
            if key not in allowed:
                raise PermanentError(
                    f"A handler returned {key!r}, which a handler may not set; "
                    f"it may return {', '.join(allowed)}.",
                    category="mapping",
                )
        return cls(**value)

    @classmethod
    def field_names(cls):
        return tuple(field.name for field in fields(cls))
