"""Each board's declared hardware (board/<b>/board.toml [hardware]) and the check against it."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from orpheus.factory.board_hardware import BoardError, load_declared
from orpheus.factory.unit_hardware import Disk, Nic, UnitHardware
from testbed.paths import SOURCE_DIR

BOARD_DIR = SOURCE_DIR / "board"
GIB = 1 << 30
MINI = UnitHardware(
    product_uuid="4c4c4544-0042-3510-8052-b4c04f4e3232",
    disk=Disk("sda", "SSD 16G", 16_013_942_784, "SSD-1"),
    nics=(Nic("eth0", "52:54:00:12:34:56"), Nic("eth1", "52:54:00:12:34:57")),
    ram_bytes=2 * GIB - (64 << 20),
    cpus=2,
    mac="52:54:00:12:34:56",
    fingerprint="0" * 32,
)


@pytest.mark.parametrize("board", ["mini", "lite", "v4r", "v4rplus"])
def test_every_factory_board_declares_its_hardware(board: str) -> None:
    declared = load_declared(board, BOARD_DIR)
    assert declared.ram.least < declared.ram.most and declared.disk.least < declared.disk.most


def test_a_mini_as_built_passes_and_a_v4r_sized_one_is_flagged() -> None:
    mini = load_declared("mini", BOARD_DIR)
    assert mini.problems(MINI) == []
    bigger = replace(
        MINI, ram_bytes=4 * GIB - (64 << 20), disk=Disk("sda", "SSD 60G", 60_022_480_896, "S")
    )
    assert mini.problems(bigger) == [
        "RAM 3.94 GiB (declared 1.50 GiB to 2.00 GiB)",
        "disk 55.90 GiB (declared 14.00 GiB to 16.00 GiB)",
    ]
    # the V4R's declaration takes the same unit
    v4r = load_declared("v4r", BOARD_DIR)
    assert v4r.problems(replace(bigger, cpus=4)) == []


def test_a_unit_without_the_facts_of_its_fingerprint_is_flagged() -> None:
    unit = replace(MINI, product_uuid=None, disk=Disk("sda", None, 16_013_942_784, None))
    assert load_declared("mini", BOARD_DIR).problems(unit) == [
        "no DMI product UUID (the fingerprint needs it)",
        "the disk reports no serial (the fingerprint needs it)",
    ]


def test_the_vm_and_unknown_boards_are_not_made_on_the_line() -> None:
    with pytest.raises(BoardError, match="'vm' declares no \\[hardware\\]"):
        load_declared("vm", BOARD_DIR)
    with pytest.raises(BoardError, match=r"unknown board '\.\./mini'"):
        load_declared("../mini", BOARD_DIR)


@pytest.mark.parametrize(
    ("table", "reason"),
    [
        ('ram = ["1G", "2G"]\ndisk = ["1G", "2G"]\ncpus = [2, 2]\nnics = [1, 2]\nrma = 1\n',
         "unknown keys: rma"),
        ('ram = ["1G", "2G"]\ndisk = ["1G", "2G"]\ncpus = [2, 2]\n', "hardware.nics: needs"),
        ('ram = ["2 GB", "2G"]\ndisk = ["1G", "2G"]\ncpus = [2, 2]\nnics = [1, 2]\n',
         "bad size '2 GB'"),
        ('ram = ["3G", "2G"]\ndisk = ["1G", "2G"]\ncpus = [2, 2]\nnics = [1, 2]\n',
         "least is above most"),
        ('ram = ["1G", "2G"]\ndisk = ["1G", "2G"]\ncpus = [true, 2]\nnics = [1, 2]\n',
         "not a count"),
    ],
)  # fmt: skip
def test_a_malformed_declaration_is_an_error_naming_the_file(
    tmp_path: Path, table: str, reason: str
) -> None:
    (tmp_path / "mini").mkdir()
    (tmp_path / "mini/board.toml").write_text(f'description = "x"\n[hardware]\n{table}')
    with pytest.raises(BoardError, match=reason):
        load_declared("mini", tmp_path)
