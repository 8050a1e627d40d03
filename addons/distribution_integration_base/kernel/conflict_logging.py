"""Log expected, retried database conflicts below ERROR.

Odoo's SQL layer logs every failed statement as ERROR ``bad query``. Inside the
suite's jobs some failures are expected and handled: a serialization failure, a
deadlock or a lock timeout is retried by the job runner, and a unique violation
caused by concurrent work is retried by the kernel (``ConflictError``). Logged
as ERROR they trip log-based alerting on every busy cycle.
:class:`ExpectedConflictFilter` lowers exactly those records, and only while
:func:`expect_retried_conflicts` is active in the current thread (the kernel
wraps each job attempt in it); the same failures anywhere else keep their ERROR.

>>> class SerializationFailure(Exception):
...     pgcode = "40001"  # as psycopg2 sets it from the server's answer
>>> def bad_query():
...     return logging.makeLogRecord({
...         "levelno": logging.ERROR, "levelname": "ERROR",
...         "msg": "bad query: %s\\nERROR: %s",
...         "args": ("UPDATE x", SerializationFailure("could not serialize"))})
>>> record = bad_query()
>>> ExpectedConflictFilter().filter(record), record.levelname
(True, 'ERROR')
>>> with expect_retried_conflicts():
...     record = bad_query()
...     ExpectedConflictFilter().filter(record), record.levelname
(True, 'INFO')
"""

import contextlib
import contextvars
import logging

# SQLSTATE of the failures retried inside a job, and the level they get there.
# Serialization failures and unique violations are the normal outcome of two
# workers touching the same rows; deadlocks and lock timeouts are retried too but
# deserve a look when frequent.
RETRIED_SQLSTATES = {
    "40001": logging.INFO,  # serialization_failure
    "23505": logging.INFO,  # unique_violation (kernel ConflictError)
    "40P01": logging.WARNING,  # deadlock_detected
    "55P03": logging.WARNING,  # lock_not_available
}
SQL_LOGGER = "odoo.sql_db"

_expected = contextvars.ContextVar("dis_expect_retried_conflicts", default=False)


@contextlib.contextmanager
def expect_retried_conflicts():
    """Within this block (one thread), retried conflicts are logged below ERROR."""
    token = _expected.set(True)
    try:
        yield
    finally:
        _expected.reset(token)


class ExpectedConflictFilter(logging.Filter):
    """Lower Odoo's ``bad query`` record for a retried conflict (never drops it)."""

    def filter(self, record):
        if record.levelno < logging.ERROR or not _expected.get():
            return True
        if not str(record.msg).startswith("bad query"):
            return True
        args = record.args if isinstance(record.args, tuple) else ()
        error = args[-1] if args else None
        level = RETRIED_SQLSTATES.get(getattr(error, "pgcode", None))
        if level is not None:
            record.levelno = level
            record.levelname = logging.getLevelName(level)
        return True


def install(logger_name=SQL_LOGGER):
    """Attach the filter to Odoo's SQL logger once per process."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, ExpectedConflictFilter) for f in logger.filters):
        logger.addFilter(ExpectedConflictFilter())
    return logger
