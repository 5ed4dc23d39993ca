"""Records are appended encrypted to the privacy key, one file a day, one line each; a line
a crash cut is skipped and the next record still reads; without a key nothing is stored;
each line decrypts with Debian's `age` and the identity."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import pytest

from orpheus.cdr.records import CdrFilter, parse_event
from orpheus.cdr.store import CdrStore
from orpheus.privacy import age
from tests.unit.cdr.test_records import START, event

IDENTITY = age.generate_identity()


def store(tmp_path: Path, key: bytes | None = IDENTITY) -> CdrStore:
    public = None if key is None else age.public_of(key)
    return CdrStore(tmp_path / "cdr", lambda: public)


def test_appended_encrypted_and_read_back(tmp_path: Path) -> None:
    cdr = store(tmp_path)
    first = parse_event(event())
    second = parse_event(
        event(UniqueID="1764892800.1", StartEpoch=str(START + 86400), EndEpoch=str(START + 86465))
    )
    assert cdr.append(first) and cdr.append(second) and cdr.append(first)
    files = sorted(p.name for p in (tmp_path / "cdr").iterdir())
    assert files == ["2025-12-04.cdr", "2025-12-05.cdr"]
    day = tmp_path / "cdr/2025-12-04.cdr"
    assert (day.stat().st_mode & 0o777, (tmp_path / "cdr").stat().st_mode & 0o777) == (0o600, 0o700)
    on_disk = b"".join(p.read_bytes() for p in (tmp_path / "cdr").iterdir())
    assert b"0301234567" not in on_disk
    assert b"0301234567" not in b"".join(base64.b64decode(x) for x in on_disk.split())
    read = cdr.read(IDENTITY, CdrFilter())
    assert (read.records, read.damaged) == ([first, first, second], 0)
    only = cdr.read(IDENTITY, CdrFilter.from_query({"from": "2025-12-05"}))
    assert only.records == [second]
    assert cdr.read(age.generate_identity(), CdrFilter()).damaged == 3  # another key


def test_a_cut_line_is_skipped_and_appending_goes_on(tmp_path: Path) -> None:
    cdr = store(tmp_path)
    record = parse_event(event())
    cdr.append(record)
    day = tmp_path / "cdr/2025-12-04.cdr"
    day.write_bytes(day.read_bytes()[:-40])  # a crash mid-write
    before = day.read_bytes()
    cdr.append(record)
    assert day.read_bytes().startswith(before)  # appended, never rewritten
    read = cdr.read(IDENTITY, CdrFilter())
    assert (read.records, read.damaged) == ([record], 1)
    with day.open("ab") as out:
        out.write(b"A" * 40000 + b"\n")  # a line longer than any record
    assert cdr.read(IDENTITY, CdrFilter()).damaged == 2


def test_without_a_privacy_key_nothing_is_stored(tmp_path: Path) -> None:
    cdr = store(tmp_path, key=None)
    assert not cdr.append(parse_event(event()))
    assert not (tmp_path / "cdr").exists()
    assert cdr.lost == 1 and "no privacy password" in cdr.alarms()[0]


@pytest.mark.host_tools
def test_a_line_decrypts_with_debian_age(tmp_path: Path) -> None:
    tool = shutil.which("age")
    assert tool is not None, "the host tool `age` is missing (apt age)"
    cdr = store(tmp_path)
    cdr.append(parse_event(event()))
    line = (tmp_path / "cdr/2025-12-04.cdr").read_bytes().splitlines()[0]
    identity = tmp_path / "identity.txt"
    identity.write_text(age.identity_text(IDENTITY) + "\n")
    sealed = tmp_path / "record.age"
    sealed.write_bytes(base64.b64decode(line))
    plain = subprocess.run(
        [tool, "-d", "-i", str(identity), str(sealed)], capture_output=True, check=True
    ).stdout
    assert b'"dst": "0301234567"' in plain and b'"disposition": "answered"' in plain
