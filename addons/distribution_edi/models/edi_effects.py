"""Small helpers shared by the EDI effects on business models (the purchase
order, its receipts and bills, the EDI document)."""


def as_float(value, default):
    """A document's number as a float; ``default`` when it is absent."""
    if value in (None, ""):
        return default
    return float(value)


def edi_raise(env, message, category, title, details, *, assignee=None):
    """Put what a supplier's document needs from a person into the exception
    queue (high severity), assigned to ``assignee`` (usually the buyer)."""
    return env["integration.handler"]._raise_exception(
        message, category, title, details, assignee=assignee, severity="high"
    )
