import doctest

import pytest
from kernel import (
    circuit,
    conflict_logging,
    crypto,
    errors,
    inbound,
    payload_view,
    results,
    retry,
    signatures,
)


@pytest.mark.parametrize(
    "module",
    [
        circuit,
        conflict_logging,
        crypto,
        errors,
        inbound,
        payload_view,
        results,
        retry,
        signatures,
    ],
)
def test_module_doctests_pass(module):
    result = doctest.testmod(module)
    assert result.attempted > 0, f"{module.__name__} has no doctest"
    assert result.failed == 0, f"{module.__name__}: {result.failed} doctest(s) failed"
