import contextlib
import random

import pytest
from kernel import inbound
from kernel.inbound import InboundRefusal


def test_loggable_escapes_every_control_character():
    for code in list(range(0x20)) + [0x7F, 0x85, 0x2028, 0x2029]:
        text = inbound.loggable(f"a{chr(code)}b")
        assert all(ch.isprintable() for ch in text), (code, text)


def test_loggable_cuts_long_values_and_says_how_long():
    assert inbound.loggable("x" * 1000, limit=10).endswith("…(1000 chars)")


@pytest.mark.parametrize("value", ["evt-1", "a b", "~" * 255, "x"])
def test_clean_header_values_pass(value):
    assert inbound.header_value({"K": value}, "K") == value


@pytest.mark.parametrize("value", ["a\x00b", "\r\n", "\x7f", "é", "k" * 256, "\u2028"])
def test_header_values_with_control_or_non_ascii_characters_are_400(value):
    with pytest.raises(InboundRefusal) as refusal:
        inbound.header_value({"K": value}, "K")
    assert (refusal.value.status, refusal.value.code) == (400, "bad_header")


def test_missing_header_is_none():
    assert inbound.header_value({}, "K") is None


@pytest.mark.parametrize(
    ("content_type", "declared", "accepted"),
    [
        ("application/json", "application/json", True),
        ("Application/JSON; charset=UTF-8", "application/json", True),
        ("text/csv", "text/*", True),
        ("image/png", "*/*", True),
        ("application/vnd.x+json", "application/*+json", False),
        ("text/plain", "application/json", False),
        (None, "application/json", False),
        ("json", "application/json", False),
        ("*/*", "*/*", False),
        ("application/json; charset=utf-16", "application/json", False),
        ("application/edi-x12", inbound.EDI_TYPES, True),
        ("application/edifact", inbound.EDI_TYPES, True),
    ],
)
def test_content_type_against_the_flow_declaration(content_type, declared, accepted):
    if accepted:
        assert inbound.check_content_type(content_type, declared)
    else:
        with pytest.raises(InboundRefusal) as refusal:
            inbound.check_content_type(content_type, declared)
        assert refusal.value.status == 415


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 5000 + b"1" + b"}" * 5000,
        b"[" * 65 + b"]" * 65,
        '{"a": "é"}'.encode("utf-16"),
        b"\xff",
        b"NaN",
        b"[-Infinity]",
        b"9" * 5000,
        b"",
    ],
)
def test_bodies_that_are_not_acceptable_json_are_400(body):
    with pytest.raises(InboundRefusal) as refusal:
        inbound.check_json(body)
    assert refusal.value.status == 400


def test_json_up_to_the_depth_limit_passes():
    inbound.check_json(b"[" * 64 + b"]" * 64)
    inbound.check_json(b'{"list": [' + b"[1]," * 5000 + b"[2]]}")


def test_random_input_only_ever_raises_a_refusal():
    rng = random.Random(13)
    alphabet = b'[]{}":,0123456789.eE-+ \\untrfalsNIy\x00\xff\xc3\xa9'
    for _round in range(3000):
        raw = bytes(rng.choice(alphabet) for _ in range(rng.randrange(0, 60)))
        text = raw.decode("latin-1")
        calls = (
            (inbound.check_json, raw),
            (lambda value: inbound.check_content_type(value, "text/*"), text),
            (lambda value: inbound.header_value({"K": value}, "K"), text),
            (inbound.loggable, raw),
            (inbound.is_code, text),
        )
        for function, value in calls:
            with contextlib.suppress(InboundRefusal):
                function(value)
