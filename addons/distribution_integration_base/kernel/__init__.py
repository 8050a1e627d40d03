"""Plain-Python core of the integration kernel.

Nothing in this package imports ``odoo``: it holds the decisions (encryption of
secrets, request signatures, error taxonomy, retry delays, circuit breaking)
that the Odoo models store and apply, so they can be tested with plain pytest.
"""

from . import circuit, crypto, errors, retry, signatures

__all__ = ["circuit", "crypto", "errors", "retry", "signatures"]
