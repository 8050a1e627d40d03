"""The payload viewer: readable for people, and never an error on odd input."""

import json

from kernel.payload_view import readable

X12 = (
    "ISA*00*          *00*          *ZZ*BUYER          *ZZ*SUPPLIER       "
    "*261129*1200*U*00401*000000001*0*T*>~GS*PO*BUYER*SUPPLIER*20261129*1200*1*X*004010~"
    "ST*850*0001~BEG*00*NE*PO1**20261129~SE*3*0001~GE*1*1~IEA*1*000000001~"
)


def test_x12_one_segment_a_line():
    lines = readable(X12.encode(), "application/edi-x12").splitlines()
    assert lines[0].startswith("ISA*00*") and lines[0].endswith("~")
    assert lines[1:4] == [
        "GS*PO*BUYER*SUPPLIER*20261129*1200*1*X*004010~",
        "ST*850*0001~",
        "BEG*00*NE*PO1**20261129~",
    ]
    assert lines[-1] == "IEA*1*000000001~"


def test_edifact_respects_the_release_character():
    payload = "UNA:+.? 'UNB+UNOA:2+A+B'FTX+AAI+++It?'s here'UNZ+1+1'"
    assert readable(payload.encode()).splitlines() == [
        "UNA:+.? '",
        "UNB+UNOA:2+A+B'",
        "FTX+AAI+++It?'s here'",
        "UNZ+1+1'",
    ]


def test_json_is_indented_and_odd_json_is_shown_as_text():
    assert readable(b'{"a":{"b":[1]}}', "application/json") == json.dumps(
        {"a": {"b": [1]}}, indent=2
    )
    deep = b"[" * 100_000 + b"]" * 100_000
    assert readable(deep, "application/json", limit=10**6).startswith("[[[")
    assert readable(b"{not json", "application/json") == "{not json"


def test_binary_and_large_payloads_are_cut_and_shown_safely():
    text = readable(b"\x00\xff" * 10, "application/octet-stream")
    assert "\x00" not in text and "\\x00" in text
    big = readable(b"x" * 1000, "text/plain", limit=100)
    assert big.startswith("x" * 100)
    assert "first 100 of 1,000 bytes shown" in big
    assert readable(b"", None) == ""
