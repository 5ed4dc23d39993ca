"""Board declarations (builder/boards.py)."""

from __future__ import annotations

from builder.boards import known_boards, load_board, size_bytes


def test_every_board_is_declared_with_valid_sizes() -> None:
    assert known_boards() == ["lite", "mini", "v4r", "v4rplus", "vm"]
    for name in known_boards():
        board = load_board(name)
        assert size_bytes(board.esp_size) >= 128 * 1024**2
        assert board.tier == name
    assert load_board("vm").virtual_disk
