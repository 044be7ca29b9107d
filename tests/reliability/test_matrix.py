"""The README's fault matrix is the registry's, and every row names a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

from tests.reliability.matrix import FAULTS, render

PROJECT = Path(__file__).resolve().parents[2]


def test_every_row_names_an_existing_test() -> None:
    for fault in FAULTS:
        path, name = fault.test.split("::")
        source = (PROJECT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, re.MULTILINE), fault.test


def test_readme_table_is_the_registry() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    start, end = "<!-- fault-matrix:start -->\n", "\n<!-- fault-matrix:end -->"
    assert start in readme and end in readme, "README lacks the fault-matrix markers"
    table = readme.split(start, 1)[1].split(end, 1)[0]
    assert table == render(), "regenerate with: python -m tests.reliability.matrix"
