"""Each secret pattern the system report redacts, and the report's size bounds."""

from __future__ import annotations

import io
import json
import tarfile

import pytest

from orpheus.diagnostics.archive import CUT_NOTE, Archive
from orpheus.diagnostics.collect import config_files
from orpheus.diagnostics.redaction import REDACTED, Redactor


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("password = Sip-Secret-101", "Sip-Secret-101"),
        ("secret=AmiSecret99", "AmiSecret99"),
        ("    auth_pass HaPass42", "HaPass42"),
        ("rocommunity Comm-Unity-7 default", "Comm-Unity-7"),
        ("rwcommunity6 RwComm-8", "RwComm-8"),
        ('createUser monitor SHA "AuthKey-v3-1" AES "PrivKey-v3-2"', "PrivKey-v3-2"),
        ('createUser monitor SHA "AuthKey-v3-1" AES "PrivKey-v3-2"', "AuthKey-v3-1"),
        ("trap2sink 10.0.0.1 TrapComm-9", "TrapComm-9"),
        ("token: tok_abcdef123456", "tok_abcdef123456"),
        ("hash $argon2id$v=19$m=65536$c2FsdA$aGFzaA", "$argon2id$v=19$m=65536$c2FsdA$aGFzaA"),
    ],
)
def test_a_configuration_line_loses_its_secret(line: str, secret: str) -> None:
    assert secret not in Redactor().lines(line)


@pytest.mark.parametrize(
    "key", ["password", "password_hash", "secret", "token", "session_id", "seal", "community",
            "auth_key", "priv_key", "auth_pass"],
)  # fmt: skip
def test_a_secret_json_key_is_redacted_at_any_depth(key: str) -> None:
    document = json.dumps({"users": [{"name": "admin", key: "Hidden-Value-1"}]})
    out = Redactor().document(document)
    assert "Hidden-Value-1" not in out
    assert REDACTED in out and "admin" in out


def test_a_remembered_secret_is_scrubbed_from_other_text() -> None:
    redactor = Redactor()
    redactor.document(json.dumps({"trunk": {"password": "Trunk-Pass-55"}}))
    journal = "asterisk[1]: registration with Trunk-Pass-55 failed"
    assert "Trunk-Pass-55" not in redactor.scrub(journal)


def test_a_private_key_block_is_removed_whole() -> None:
    pem = "a\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----\nb"
    out = Redactor().lines(pem)
    assert "MIIEvQIBADANBg" not in out and out.startswith("a\n") and out.endswith("\nb")


def test_ordinary_lines_stay() -> None:
    assert (
        Redactor().lines("type = endpoint\ncontext=internal") == "type = endpoint\ncontext=internal"
    )


def test_key_files_are_never_collected(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    for name in (
        "privacy-key.json",
        "server.pem",
        "tls.key",
        "initial-admin-password",
        "users.json",
    ):
        (root / name).write_text("{}")
    assert [p.name for p in config_files([root])] == ["users.json"]


def test_a_part_over_its_limit_is_cut_with_a_note() -> None:
    archive = Archive(part_limit=100, total_limit=1000)
    archive.add("big.txt", b"x" * 500)
    assert len(archive.parts["big.txt"]) == 100
    assert archive.parts["big.txt"].endswith(CUT_NOTE)


def test_parts_beyond_the_total_are_listed_missing() -> None:
    archive = Archive(part_limit=100, total_limit=250)
    for index in range(4):
        archive.add(f"p{index}.txt", b"y" * 100)
    assert archive.size() <= 250
    assert set(archive.missing) == {"p2.txt", "p3.txt"}
    with tarfile.open(fileobj=io.BytesIO(archive.tar())) as tar:
        names = tar.getnames()
        missing = tar.extractfile("report/MISSING.txt")
        assert missing is not None and b"p3.txt: left out" in missing.read()
    assert "report/p0.txt" in names and "report/p3.txt" not in names


def test_compression_leaves_nothing_in_its_scratch_directory(tmp_path: object) -> None:
    from pathlib import Path

    from orpheus.diagnostics.archive import compress

    scratch = Path(str(tmp_path)) / "report"
    archive = Archive()
    archive.add("a.txt", b"hello")
    packed = compress(archive.tar(), scratch)
    assert packed[:4] == b"\x28\xb5\x2f\xfd"  # the zstd frame's magic number
    assert list(scratch.iterdir()) == []
