"""The CSV of extensions: each malformed row refused with its line and why, the export never
carries a SIP password and quotes what a spreadsheet would run as a formula."""

from __future__ import annotations

from orpheus.web import extensions_csv


def test_each_malformed_row_is_refused_with_its_line() -> None:
    rows = list(extensions_csv.parse(
        "number,name,password,remote\n"
        "201,Alice,Good-pass-201,yes\n"
        "202,too,many,cells,here\n"
        "\n"
        "203,Bob,Good-pass-203,maybe\n"
        ",Nobody,x,no\n"
    ))  # fmt: skip
    assert rows[0].record == {"number": "201", "name": "Alice", "password": "Good-pass-201",
                              "remote": True}  # fmt: skip
    assert [(row.line, row.record) for row in rows[1:]] == [(3, None), (5, None), (6, None)]
    assert "5 cells where the header names 4" in rows[1].error
    assert "remote" in rows[2].error and "number is empty" in rows[3].error


def test_a_bad_header_refuses_the_file() -> None:
    (only,) = extensions_csv.parse("number,secret\n201,x\n")
    assert only.record is None and "unknown column(s) secret" in only.error
    (only,) = extensions_csv.parse("name\nAlice\n")
    assert "missing column(s) number, password" in only.error
    (only,) = extensions_csv.parse("")
    assert "empty file" in only.error


def test_the_export_has_no_password_and_defuses_formulas() -> None:
    text = extensions_csv.export([
        {"number": "201", "name": "=HYPERLINK(\"x\")", "password": "secret", "remote": False,
         "call_class": "national"},
    ])  # fmt: skip
    header, row = text.splitlines()
    assert header == "number,name,remote,call_class"
    assert "secret" not in text and row.startswith("201,\"'=HYPERLINK")
