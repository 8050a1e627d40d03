"""Plain-Python X12 and EDIFACT codec of the EDI channel (no Odoo import).

- :mod:`.schema` and the ``*_dictionary`` modules: the dictionary that drives
  reading, writing and validation;
- :mod:`.syntax`: separators, segments and the streaming lexer;
- :mod:`.reader`: envelopes, counts, control numbers, located findings;
- :mod:`.writer`: interchanges from envelope parameters and segments;
- :mod:`.ack`: 997, TA1 and CONTRL for what was read.

Reading a large file, one transaction set at a time::

    with open(path, "rb") as stream:
        reader = EdiReader(stream)
        for transaction_set in reader:
            stage(transaction_set)  # act once the interchange's verdict is known
    for interchange in reader.interchanges:
        answer = ack.build_acknowledgement(interchange, our_envelope)
"""

from .errors import EdiError, EdiSyntaxError, EdiWriteError, ErrorKind, Finding
from .reader import (
    EdiReader,
    Group,
    GroupHeader,
    Interchange,
    InterchangeHeader,
    SetResult,
    TransactionSet,
    iter_transaction_sets,
    read,
)
from .syntax import (
    EDIFACT,
    EDIFACT_SEPARATORS,
    X12,
    X12_SEPARATORS,
    Segment,
    Separators,
)

__all__ = [
    "EDIFACT",
    "EDIFACT_SEPARATORS",
    "X12",
    "X12_SEPARATORS",
    "EdiError",
    "EdiReader",
    "EdiSyntaxError",
    "EdiWriteError",
    "ErrorKind",
    "Finding",
    "Group",
    "GroupHeader",
    "Interchange",
    "InterchangeHeader",
    "Segment",
    "Separators",
    "SetResult",
    "TransactionSet",
    "iter_transaction_sets",
    "read",
]
