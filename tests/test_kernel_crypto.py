import base64
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from kernel import crypto
from kernel.crypto import (
    MASTER_KEY_ENV,
    MASTER_KEY_OPTION,
    MasterKeyError,
    MasterKeyInvalid,
    MasterKeyMissing,
    SecretBox,
    SecretDecryptionError,
)

CONTEXT = "integration.credential:7:password"
ADDON_DIR = Path(crypto.__file__).resolve().parents[1]


@pytest.fixture
def key():
    return crypto.parse_master_key(crypto.generate_master_key())


@pytest.fixture
def box(key):
    return SecretBox(key)


def _flip_payload_byte(token, index):
    prefix, key_id, payload = token.split("$")
    raw = bytearray(base64.urlsafe_b64decode(payload))
    raw[index] ^= 0x01
    return f"{prefix}${key_id}${base64.urlsafe_b64encode(bytes(raw)).decode()}"


# -- master keys -------------------------------------------------------------


def test_generated_key_is_44_char_urlsafe_base64_of_32_random_bytes():
    first, second = crypto.generate_master_key(), crypto.generate_master_key()
    assert len(first) == 44
    assert len(base64.urlsafe_b64decode(first)) == 32
    assert first != second


def test_parse_accepts_urlsafe_standard_unpadded_and_whitespace():
    raw = bytes(range(250, 256)) + bytes(range(26))  # yields '+' '/' or '-' '_'
    urlsafe = base64.urlsafe_b64encode(raw).decode()
    standard = base64.b64encode(raw).decode()
    assert urlsafe != standard
    assert crypto.parse_master_key(urlsafe) == raw
    assert crypto.parse_master_key(standard) == raw
    assert crypto.parse_master_key(urlsafe.rstrip("=")) == raw
    assert crypto.parse_master_key(f"  {urlsafe[:20]}\n{urlsafe[20:]}\n") == raw


@pytest.mark.parametrize(
    "text",
    [
        "",
        "not base64 at all!",
        base64.urlsafe_b64encode(os.urandom(16)).decode(),  # AES-128 sized
        base64.urlsafe_b64encode(os.urandom(33)).decode(),
        None,
        12345,
    ],
)
def test_parse_refuses_malformed_keys_and_says_what_to_do(text):
    with pytest.raises(MasterKeyInvalid) as caught:
        crypto.parse_master_key(text)
    message = str(caught.value)
    assert MASTER_KEY_OPTION in message
    assert MASTER_KEY_ENV in message
    if isinstance(text, str) and len(text) > 8:
        assert text not in message  # never echo key material


def test_parse_error_names_wrong_length():
    short = base64.urlsafe_b64encode(os.urandom(16)).decode()
    with pytest.raises(MasterKeyInvalid, match="16 bytes, 32 are required"):
        crypto.parse_master_key(short)


def test_config_value_wins_over_environment():
    config_key, env_key = crypto.generate_master_key(), crypto.generate_master_key()
    loaded = crypto.load_master_key(config_key, environ={MASTER_KEY_ENV: env_key})
    assert loaded == crypto.parse_master_key(config_key)


@pytest.mark.parametrize("unset", [None, False, "", "   "])
def test_environment_used_when_config_unset(unset):
    env_key = crypto.generate_master_key()
    loaded = crypto.load_master_key(unset, environ={MASTER_KEY_ENV: env_key})
    assert loaded == crypto.parse_master_key(env_key)


def test_load_defaults_to_os_environ(monkeypatch):
    env_key = crypto.generate_master_key()
    monkeypatch.setenv(MASTER_KEY_ENV, env_key)
    assert crypto.load_master_key(None) == crypto.parse_master_key(env_key)


def test_missing_key_message_names_option_env_and_command():
    with pytest.raises(MasterKeyMissing) as caught:
        crypto.load_master_key(None, environ={})
    message = str(caught.value)
    assert "No integration master key is configured" in message
    assert f"`{MASTER_KEY_OPTION}`" in message
    assert MASTER_KEY_ENV in message
    assert "python3 -c" in message
    assert isinstance(caught.value, MasterKeyError)


def test_malformed_key_message_names_its_source():
    with pytest.raises(MasterKeyInvalid, match="environment variable"):
        crypto.load_master_key(None, environ={MASTER_KEY_ENV: "short"})
    with pytest.raises(MasterKeyInvalid, match="option `integration_master_key`"):
        crypto.load_master_key("short", environ={})


def test_key_id_is_12_hex_stable_and_distinct(key):
    assert crypto.key_id(key) == crypto.key_id(bytes(key))
    assert len(crypto.key_id(key)) == 12
    int(crypto.key_id(key), 16)
    assert crypto.key_id(key) != crypto.key_id(os.urandom(32))


def test_key_id_is_domain_separated_sha256():
    import hashlib

    key = b"\x00" * 32
    expected = hashlib.sha256(b"distribution-integration-key-id:" + key).hexdigest()
    assert crypto.key_id(key) == expected[:12]
    assert crypto.key_id(key) != hashlib.sha256(key).hexdigest()[:12]


def test_secret_box_refuses_wrong_key_length():
    with pytest.raises(MasterKeyInvalid):
        SecretBox(b"x" * 16)
    with pytest.raises(MasterKeyInvalid):
        SecretBox(crypto.generate_master_key())  # text, not bytes


def test_box_repr_does_not_reveal_key(key):
    box = SecretBox(key)
    assert repr(box) == f"<SecretBox key_id={crypto.key_id(key)}>"
    assert key.hex() not in repr(box)


def test_from_config():
    text = crypto.generate_master_key()
    box = SecretBox.from_config(None, environ={MASTER_KEY_ENV: text})
    assert box.key_id == crypto.key_id(crypto.parse_master_key(text))


# -- tokens ------------------------------------------------------------------


@pytest.mark.parametrize("plaintext", ["s3cret", "", "pässwörd ✓ 🔑", "x" * 10000])
def test_round_trip(box, plaintext):
    token = box.encrypt(plaintext, CONTEXT)
    assert box.decrypt(token, CONTEXT) == plaintext


def test_token_format(box):
    token = box.encrypt("s3cret")
    version, key_id, payload = token.split("$")
    assert version == "dis1"
    assert key_id == box.key_id
    raw = base64.urlsafe_b64decode(payload)
    assert len(raw) == 12 + len("s3cret") + 16  # nonce + ciphertext + tag
    assert "s3cret" not in token
    assert crypto.token_key_id(token) == box.key_id
    assert crypto.is_token(token)


def test_token_matches_plain_aesgcm_with_context_as_associated_data(key, box):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    raw = base64.urlsafe_b64decode(box.encrypt("s3cret", CONTEXT).split("$")[2])
    plain = AESGCM(key).decrypt(raw[:12], raw[12:], CONTEXT.encode())
    assert plain == b"s3cret"


def test_nonce_is_random_per_encryption(box):
    first, second = box.encrypt("same", CONTEXT), box.encrypt("same", CONTEXT)
    assert first != second
    assert first.split("$")[2][:16] != second.split("$")[2][:16]


@pytest.mark.parametrize("index", [0, 11, 12, -1])  # nonce, ciphertext, tag
def test_flipped_byte_is_detected(box, index):
    token = box.encrypt("s3cret", CONTEXT)
    tampered = _flip_payload_byte(token, index)
    assert tampered != token
    with pytest.raises(SecretDecryptionError, match="tampered"):
        box.decrypt(tampered, CONTEXT)


def test_every_altered_token_character_is_refused(box):
    token = box.encrypt("s3cret", CONTEXT)
    start = token.rindex("$") + 1
    for position in range(start, len(token)):
        replacement = "A" if token[position] != "A" else "B"
        altered = token[:position] + replacement + token[position + 1 :]
        with pytest.raises(SecretDecryptionError):
            box.decrypt(altered, CONTEXT)


def test_wrong_context_is_refused(box):
    token = box.encrypt("s3cret", "integration.credential:7:password")
    with pytest.raises(SecretDecryptionError, match="wrong context"):
        box.decrypt(token, "integration.credential:8:password")
    with pytest.raises(SecretDecryptionError):
        box.decrypt(token)


def test_wrong_key_names_both_key_ids_and_the_option(box):
    other = SecretBox(os.urandom(32))
    token = other.encrypt("s3cret", CONTEXT)
    with pytest.raises(SecretDecryptionError) as caught:
        box.decrypt(token, CONTEXT)
    message = str(caught.value)
    assert f"encrypted with master key {other.key_id}" in message
    assert f"the configured key is {box.key_id}" in message
    assert MASTER_KEY_OPTION in message
    assert MASTER_KEY_ENV in message


def test_token_relabelled_with_our_key_id_still_fails(box):
    other = SecretBox(os.urandom(32))
    token = other.encrypt("s3cret", CONTEXT)
    forged = token.replace(other.key_id, box.key_id, 1)
    with pytest.raises(SecretDecryptionError, match="tampered"):
        box.decrypt(forged, CONTEXT)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "s3cret",
        "dis1$abc$AAAA",
        "dis2$0123456789ab$" + "A" * 40,
        "dis1$0123456789AB$" + "A" * 40,  # key id must be lower-case hex
        "dis1$0123456789ab$" + "A" * 8,  # too short for nonce + tag
        "dis1$0123456789ab$!!!!" + "A" * 40,
        "dis1$0123456789ab$" + "A" * 40 + "$extra",
        None,
        b"dis1$0123456789ab$" + b"A" * 40,
    ],
)
def test_malformed_tokens(box, value):
    assert not crypto.is_token(value)
    with pytest.raises(SecretDecryptionError, match="not a secret token"):
        box.decrypt(value)
    with pytest.raises(SecretDecryptionError):
        crypto.token_key_id(value)


def test_encrypt_refuses_non_text(box):
    with pytest.raises(TypeError):
        box.encrypt(b"bytes")
    with pytest.raises(TypeError):
        box.encrypt("x", context=None)


def test_key_rotation_reencrypts(box):
    new_box = SecretBox(os.urandom(32))
    old_token = box.encrypt("s3cret", CONTEXT)
    new_token = box.reencrypt(old_token, new_box, CONTEXT)
    assert crypto.token_key_id(new_token) == new_box.key_id
    assert new_box.decrypt(new_token, CONTEXT) == "s3cret"
    with pytest.raises(SecretDecryptionError, match=box.key_id):
        box.decrypt(new_token, CONTEXT)
    with pytest.raises(SecretDecryptionError, match=new_box.key_id):
        new_box.decrypt(old_token, CONTEXT)


def test_reencrypt_refuses_token_of_another_key(box):
    stranger = SecretBox(os.urandom(32)).encrypt("s3cret")
    with pytest.raises(SecretDecryptionError):
        box.reencrypt(stranger, SecretBox(os.urandom(32)))


def test_crypto_imports_without_odoo_in_a_subprocess():
    """The kernel must not need Odoo: block `odoo` and use it in a fresh process."""
    script = textwrap.dedent(
        """
        import sys

        class BlockOdoo:
            def find_spec(self, name, path=None, target=None):
                if name == "odoo" or name.startswith("odoo."):
                    raise ImportError("odoo is blocked in this test")
                return None

        sys.meta_path.insert(0, BlockOdoo())
        try:
            import odoo  # noqa: F401
        except ImportError:
            pass
        else:
            raise SystemExit("the odoo blocker does not work")

        sys.path.insert(0, sys.argv[1])
        import kernel
        from kernel import crypto

        box = crypto.SecretBox(crypto.parse_master_key(crypto.generate_master_key()))
        assert box.decrypt(box.encrypt("s3cret", "c"), "c") == "s3cret"
        assert not [m for m in sys.modules if m == "odoo" or m.startswith("odoo.")]
        print("ok", kernel.__name__)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(ADDON_DIR)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok kernel"
