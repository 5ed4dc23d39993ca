"""orpheusctl's printing (orpheus.cli.output): JSON, aligned tables, sizes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orpheus.cli.client import AgentError
from orpheus.cli.output import human_bytes, print_json, print_table, written_whole


def test_json_is_sorted_and_indented(capsys: pytest.CaptureFixture[str]) -> None:
    print_json({"b": 1, "a": [True, None]})
    out = capsys.readouterr().out
    assert out.startswith('{\n  "a": [')
    assert json.loads(out) == {"a": [True, None], "b": 1}


def test_table_aligns_the_values(capsys: pytest.CaptureFixture[str]) -> None:
    print_table([("Tier", "Mini"), ("Update support", "-")])
    assert capsys.readouterr().out == "Tier            Mini\nUpdate support  -\n"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "-"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1024, "1.0 KiB"),
        (1536, "1.5 KiB"),
        (5 * 1024**3, "5.0 GiB"),
        (3 * 1024**5, "3072.0 TiB"),
    ],
)
def test_human_bytes(value: int | None, text: str) -> None:
    assert human_bytes(value) == text


def test_a_download_appears_under_its_name_only_once_whole(tmp_path: Path) -> None:
    output = tmp_path / "call.wav"
    with written_whole(output) as out:
        out.write(b"RIFF")
        assert not output.exists() and (tmp_path / "call.wav.part").is_file()
    assert output.read_bytes() == b"RIFF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["call.wav"]


def test_a_download_that_fails_leaves_no_part_and_no_file(tmp_path: Path) -> None:
    output = tmp_path / "call.wav"
    with pytest.raises(AgentError, match="wrong privacy password"), written_whole(output) as out:
        out.write(b"RIFF")
        raise AgentError("wrong privacy password")
    assert not list(tmp_path.iterdir())


def test_an_output_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    output = tmp_path / "no such folder" / "call.wav"
    with pytest.raises(AgentError) as raised, written_whole(output):
        raise AssertionError("never reached: the file cannot be opened")
    assert str(raised.value) == f"{output}: No such file or directory"
