"""bench/ and testbed/ stand on their own: neither imports the tests package (the harnesses
they share with the tests live in testbed/)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from testbed.paths import SOURCE_DIR


def imported_modules(source: str) -> set[str]:
    """Absolute module names a source imports, with import_module("...") calls on literals."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


def imports_tests(source: str) -> list[str]:
    return sorted(n for n in imported_modules(source) if n == "tests" or n.startswith("tests."))


# What the benchmarks build and unpack (root filesystem trees among it), not their code.
OUTPUT_DIRS = ("work",)


def python_files(folder: str) -> list[Path]:
    root = SOURCE_DIR / folder
    files = sorted(
        path for path in root.rglob("*.py")
        if path.relative_to(root).parts[0] not in OUTPUT_DIRS
    )  # fmt: skip
    assert files, f"no Python files under {folder}/"
    return files


@pytest.mark.parametrize(
    "source",
    [
        "from tests.vm import Vm",
        "import tests.ha.lab",
        "import os, tests",
        "def f():\n    from tests.licensing import harness\n",
        "import importlib\nimportlib.import_module('tests.update.guest')",
    ],
)
def test_the_check_sees_an_import_of_tests(source: str) -> None:
    assert imports_tests(source)


def test_the_check_leaves_other_imports_alone() -> None:
    source = "from testbed.vm import Vm\nimport bench.ha\nfrom . import tests\nimport testsuite"
    assert imports_tests(source) == []


@pytest.mark.parametrize("folder", ["bench", "testbed"])
def test_no_module_imports_tests(folder: str) -> None:
    offenders = {
        str(path.relative_to(SOURCE_DIR)): found
        for path in python_files(folder)
        if (found := imports_tests(path.read_text()))
    }
    assert offenders == {}


@pytest.mark.parametrize(
    "path",
    python_files("bench") + python_files("testbed"),
    ids=lambda p: str(p.relative_to(SOURCE_DIR)),
)
def test_every_module_imports(path: Path) -> None:
    """Importing needs no root, QEMU or root filesystem: only running them does."""
    module = ".".join(path.relative_to(SOURCE_DIR).with_suffix("").parts)
    importlib.import_module(module.removesuffix(".__init__"))
