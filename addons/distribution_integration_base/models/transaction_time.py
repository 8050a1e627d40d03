"""The transaction's clock, read once per hot-path transaction."""

from odoo import sql_db


def adopt_transaction_time(cr, transaction_time):
    """Give ``cr`` the transaction's ``now()`` read by an earlier statement, so
    that the ORM's create does not ask for it in a round trip of its own.

    PostgreSQL's ``now()`` is fixed for a transaction: the value is the one
    ``cr.now()`` would read. Only on a real cursor: a test cursor keeps its
    own clock.
    """
    if type(cr) is sql_db.Cursor and getattr(cr, "_now", False) is None:
        cr._now = transaction_time
