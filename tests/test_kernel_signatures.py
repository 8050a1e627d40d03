import hashlib
import hmac

import pytest
from kernel import signatures
from kernel.signatures import (
    DEFAULT_TOLERANCE_SECONDS,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    SignatureError,
)

SECRET = "whsec-current"
OLD_SECRET = "whsec-previous"
BODY = b'{"order": "PO-0042", "lines": [{"sku": "A-1", "qty": 3}]}'
NOW = 1_764_170_000.0


def _headers(secret=SECRET, body=BODY, now=NOW):
    return signatures.sign(secret, body, now=now)


def _verify(headers, *, secrets=(SECRET,), body=BODY, now=NOW, **kwargs):
    signatures.verify(
        secrets,
        body,
        headers.get(SIGNATURE_HEADER),
        headers.get(TIMESTAMP_HEADER),
        now=now,
        **kwargs,
    )


def _reason(headers, **kwargs):
    with pytest.raises(SignatureError) as caught:
        _verify(headers, **kwargs)
    return caught.value


def test_compute_signature_is_hmac_sha256_of_timestamp_dot_body():
    expected = hmac.new(b"k", b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert signatures.compute_signature("k", "1700000000", BODY) == expected
    assert signatures.compute_signature(b"k", "1700000000", BODY) == expected


def test_sign_returns_both_headers():
    headers = _headers(now=NOW + 0.9)
    assert headers[TIMESTAMP_HEADER] == str(int(NOW))
    digest = signatures.compute_signature(SECRET, str(int(NOW)), BODY)
    assert headers[SIGNATURE_HEADER] == "sha256=" + digest


def test_sign_defaults_to_current_time():
    import time

    before = int(time.time())
    stamp = int(signatures.sign(SECRET, BODY)[TIMESTAMP_HEADER])
    assert before <= stamp <= int(time.time())


def test_valid_signature_passes():
    assert _verify(_headers()) is None


def test_bare_hex_and_upper_case_and_spaces_accepted():
    headers = _headers()
    digest = headers[SIGNATURE_HEADER].split("=", 1)[1]
    _verify({**headers, SIGNATURE_HEADER: digest})
    _verify({**headers, SIGNATURE_HEADER: " SHA256=" + digest.upper() + " "})


def test_mismatch_with_wrong_secret():
    error = _reason(_headers(secret="someone-else"))
    assert error.reason == "mismatch"
    assert SIGNATURE_HEADER in str(error)


def test_body_altered_by_one_byte_is_refused():
    headers = _headers()
    altered = bytearray(BODY)
    altered[BODY.index(b"3")] = ord("4")
    assert _reason(headers, body=bytes(altered)).reason == "mismatch"


def test_reserialised_body_is_refused():
    import json

    reserialised = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert reserialised != BODY
    assert _reason(_headers(), body=reserialised).reason == "mismatch"


def test_timestamp_is_covered_by_signature():
    headers = _headers()
    moved = {**headers, TIMESTAMP_HEADER: str(int(NOW) + 1)}
    assert _reason(moved).reason == "mismatch"


def test_rotation_accepts_both_secrets():
    _verify(_headers(secret=OLD_SECRET), secrets=(SECRET, OLD_SECRET))
    _verify(_headers(secret=SECRET), secrets=(SECRET, OLD_SECRET))
    _verify(_headers(secret=SECRET), secrets=iter([OLD_SECRET, SECRET]))
    error = _reason(_headers(secret="retired"), secrets=(SECRET, OLD_SECRET))
    assert error.reason == "mismatch"


def test_every_secret_is_compared(monkeypatch):
    """No early exit: all rotated secrets are checked even when the first matches."""
    calls = []
    real = signatures.compute_signature

    def counting(secret, timestamp, raw_body):
        calls.append(secret)
        return real(secret, timestamp, raw_body)

    headers = _headers(secret=SECRET)
    monkeypatch.setattr(signatures, "compute_signature", counting)
    _verify(headers, secrets=(SECRET, OLD_SECRET, "third"))
    assert calls == [SECRET, OLD_SECRET, "third"]


def test_empty_secrets_never_validate():
    headers = _headers(secret="")
    error = _reason(headers, secrets=("", None))
    assert error.reason == "mismatch"
    assert "No signing secret" in str(error)
    assert _reason(headers, secrets=()).reason == "mismatch"
    assert _reason(headers, secrets=("", SECRET)).reason == "mismatch"


def test_expired_timestamp():
    headers = _headers(now=NOW - DEFAULT_TOLERANCE_SECONDS - 1)
    error = _reason(headers)
    assert error.reason == "expired"
    assert TIMESTAMP_HEADER in str(error)
    assert "old" in str(error)


def test_timestamp_at_tolerance_edge_passes():
    _verify(_headers(now=NOW - DEFAULT_TOLERANCE_SECONDS))
    _verify(_headers(now=NOW + DEFAULT_TOLERANCE_SECONDS))


def test_future_timestamp_beyond_tolerance_is_expired():
    error = _reason(_headers(now=NOW + DEFAULT_TOLERANCE_SECONDS + 1))
    assert error.reason == "expired"
    assert "future" in str(error)


def test_custom_tolerance():
    headers = _headers(now=NOW - 20)
    _verify(headers, tolerance=30)
    assert _reason(headers, tolerance=10).reason == "expired"
    with pytest.raises(ValueError):
        _verify(headers, tolerance=-1)


def test_verify_defaults_to_current_time():
    headers = signatures.sign(SECRET, BODY)
    signatures.verify(
        [SECRET], BODY, headers[SIGNATURE_HEADER], headers[TIMESTAMP_HEADER]
    )
    old = signatures.sign(SECRET, BODY, now=NOW - 10 * 365 * 86400)
    with pytest.raises(SignatureError):
        signatures.verify([SECRET], BODY, old[SIGNATURE_HEADER], old[TIMESTAMP_HEADER])


@pytest.mark.parametrize(
    "missing_header,value",
    [(SIGNATURE_HEADER, None), (SIGNATURE_HEADER, "  ")]
    + [(TIMESTAMP_HEADER, None), (TIMESTAMP_HEADER, "")],
)
def test_missing_headers(missing_header, value):
    headers = {**_headers(), missing_header: value}
    error = _reason(headers)
    assert error.reason == "missing"
    assert missing_header in str(error)


@pytest.mark.parametrize(
    "signature",
    [
        "sha256=xyz",
        "sha256=" + "a" * 63,
        "sha256=" + "a" * 65,
        "sha1=" + "a" * 64,
        "md5=" + "a" * 32,
        "not a signature",
        "sha256=" + "é" * 64,
    ],
)
def test_malformed_signature(signature):
    error = _reason({**_headers(), SIGNATURE_HEADER: signature})
    assert error.reason == "malformed"
    assert SIGNATURE_HEADER in str(error)


@pytest.mark.parametrize(
    "timestamp", ["yesterday", "1764170000.5", "-1764170000", "１７６４", "1e9"]
)
def test_malformed_timestamp(timestamp):
    error = _reason({**_headers(), TIMESTAMP_HEADER: timestamp})
    assert error.reason == "malformed"
    assert TIMESTAMP_HEADER in str(error)


def test_str_body_is_refused():
    with pytest.raises(TypeError, match="raw"):
        signatures.sign(SECRET, BODY.decode())
    with pytest.raises(TypeError, match="raw"):
        _verify(_headers(), body=BODY.decode())


def test_signature_error_reasons_are_closed():
    assert SignatureError("expired", "x").reason == "expired"
    with pytest.raises(ValueError):
        SignatureError("other", "x")


@pytest.mark.parametrize(
    "a,b,expected",
    [
        ("abc", "abc", True),
        (b"abc", "abc", True),
        ("abc", "abd", False),
        ("abc", "abcd", False),
        ("", "", True),
    ],
)
def test_constant_time_equals(a, b, expected):
    assert signatures.constant_time_equals(a, b) is expected


def test_constant_time_equals_uses_compare_digest(monkeypatch):
    seen = []

    def spy(a, b):
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(signatures.hmac, "compare_digest", spy)
    assert signatures.constant_time_equals("x", b"x")
    assert seen == [(b"x", b"x")]
