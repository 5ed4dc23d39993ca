"""The agent's age code against Debian's `age` command, both ways (a missing `age` fails;
`make test` installs it, `make test-unit` leaves these host-tool tests out)."""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from orpheus.privacy import age

pytestmark = pytest.mark.host_tools


@pytest.fixture(scope="module")
def age_tool() -> str:
    path = shutil.which("age")
    assert path is not None, "the host tool `age` is missing (make image installs it: apt age)"
    return path


@pytest.fixture
def identity(tmp_path: Path) -> tuple[bytes, Path]:
    key = age.generate_identity()
    path = tmp_path / "identity.txt"
    path.write_text(age.identity_text(key) + "\n")
    return key, path


def encrypt(data: bytes, public: bytes, piece: int = 5000) -> bytes:
    out = io.BytesIO()
    encryptor = age.Encryptor(out, public)
    for start in range(0, len(data), piece):
        encryptor.write(data[start : start + piece])
    encryptor.finish()
    return out.getvalue()


SIZES = [0, 1, age.CHUNK - 1, age.CHUNK, age.CHUNK + 1, 3 * age.CHUNK, 200_000]


def test_recipient_matches_age_keygen(identity: tuple[bytes, Path], age_tool: str) -> None:
    key, path = identity
    shown = subprocess.run(
        ["age-keygen", "-y", str(path)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert shown == age.recipient_text(age.public_of(key))
    assert age.parse_recipient(shown) == age.public_of(key)
    assert age.parse_identity(path.read_text()) == key


@pytest.mark.parametrize("size", SIZES)
def test_agent_file_decrypts_with_age(
    size: int, identity: tuple[bytes, Path], age_tool: str, tmp_path: Path
) -> None:
    key, path = identity
    data = os.urandom(size)
    sealed = tmp_path / "file.age"
    sealed.write_bytes(encrypt(data, age.public_of(key)))
    result = subprocess.run([age_tool, "-d", "-i", str(path), str(sealed)], capture_output=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout == data


@pytest.mark.parametrize("size", SIZES)
def test_age_file_decrypts_with_agent(
    size: int, identity: tuple[bytes, Path], age_tool: str, tmp_path: Path
) -> None:
    key, _ = identity
    data = os.urandom(size)
    (tmp_path / "plain").write_bytes(data)
    recipient = age.recipient_text(age.public_of(key))
    sealed = tmp_path / "file.age"
    subprocess.run([age_tool, "-r", recipient, "-o", str(sealed), str(tmp_path / "plain")],
                   check=True)  # fmt: skip
    with sealed.open("rb") as source:
        assert b"".join(age.decrypt(source, key)) == data
    with sealed.open("rb") as source:
        age.read_header(source)
        assert age.plaintext_size(sealed.stat().st_size - source.tell()) == size


def test_one_byte_changed_is_detected_and_names_its_chunk(
    identity: tuple[bytes, Path], age_tool: str
) -> None:
    key, _ = identity
    data = os.urandom(3 * age.CHUNK + 10)
    sealed = bytearray(encrypt(data, age.public_of(key)))
    sealed[-(10 + age.TAG + 100)] ^= 0x01  # inside chunk 2 of 0..3
    source = io.BytesIO(bytes(sealed))
    chunks = age.decrypt(source, key)
    assert next(chunks) == data[: age.CHUNK]  # the chunks before are unaffected
    assert next(chunks) == data[age.CHUNK : 2 * age.CHUNK]
    with pytest.raises(age.AgeError, match="chunk 2 fails its authentication tag") as error:
        next(chunks)
    assert "\n" not in str(error.value)


def test_truncated_and_header_changes_are_refused(identity: tuple[bytes, Path]) -> None:
    key, _ = identity
    sealed = encrypt(os.urandom(2 * age.CHUNK + 5), age.public_of(key))
    cut = sealed[: -(age.CHUNK // 2)]  # a cut that leaves a full middle chunk last
    with pytest.raises(age.AgeError, match="chunk"):
        b"".join(age.decrypt(io.BytesIO(cut), key))
    at_boundary = sealed[: len(sealed) - (5 + age.TAG)]  # the last chunk dropped whole
    with pytest.raises(age.AgeError, match="chunk 1"):
        b"".join(age.decrypt(io.BytesIO(at_boundary), key))
    lines = sealed.split(b"\n")
    lines[1] = lines[1] + b" extra"  # an argument added to the stanza
    with pytest.raises(age.AgeError):
        b"".join(age.decrypt(io.BytesIO(b"\n".join(lines)), key))


def test_other_identity_and_bad_keys_are_refused(identity: tuple[bytes, Path]) -> None:
    key, _ = identity
    sealed = encrypt(b"hello", age.public_of(key))
    with pytest.raises(age.AgeError, match="not encrypted to this identity"):
        b"".join(age.decrypt(io.BytesIO(sealed), age.generate_identity()))
    text = age.identity_text(key)
    for bad in (text[:-1] + ("Q" if text[-1] != "Q" else "P"), text.lower()[:20], "age1xyz"):
        with pytest.raises(age.AgeError):
            age.parse_identity(bad)
    with pytest.raises(age.AgeError):
        age.parse_recipient(text)  # an identity is not a recipient


def test_encryptor_holds_at_most_one_chunk(identity: tuple[bytes, Path]) -> None:
    out = io.BytesIO()
    encryptor = age.Encryptor(out, age.public_of(identity[0]))
    header = out.tell()
    encryptor.write(os.urandom(age.CHUNK))
    assert out.tell() == header  # a full chunk waits: it may be the last
    encryptor.write(b"x")
    assert out.tell() == header + age.CHUNK + age.TAG
    assert encryptor.held == 1
