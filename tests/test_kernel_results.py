import pytest
from kernel import errors
from kernel.results import HandlerResult


def test_result_has_no_field_for_what_the_kernel_owns():
    names = HandlerResult.field_names()
    for owned in ("state", "attempt_count", "last_error", "processed_at", "res_id"):
        assert owned not in names
    with pytest.raises(TypeError):
        HandlerResult(state="done")


def test_dict_with_allowed_keys_is_converted():
    result = HandlerResult.from_value(
        {"external_ref": "SHP-1", "response_payload": b"{}", "ack_window_minutes": 30}
    )
    assert result == HandlerResult(
        external_ref="SHP-1", response_payload=b"{}", ack_window_minutes=30
    )


@pytest.mark.parametrize("key", ["state", "error_category", "job_uuid", "name"])
def test_dict_with_a_kernel_field_is_refused_naming_it(key):
    with pytest.raises(errors.PermanentError, match=repr(key)) as caught:
        HandlerResult.from_value({key: "x", "external_ref": "A"})
    assert caught.value.category == "mapping"


def test_other_return_values_are_refused():
    assert HandlerResult.from_value(None) == HandlerResult()
    result = HandlerResult(external_ref="Z")
    assert HandlerResult.from_value(result) is result
    with pytest.raises(errors.PermanentError, match="list"):
        HandlerResult.from_value([("state", "done")])
