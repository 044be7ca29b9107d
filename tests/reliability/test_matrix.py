"""The README's fault matrix is the registry's, and every row names a test that exists."""

from __future__ import annotations

import re
from pathlib import Path

from tests.reliability.matrix import END, FAULTS, START, render

PROJECT = Path(__file__).resolve().parents[2]


def test_every_row_names_an_existing_test() -> None:
    for fault in FAULTS:
        path, name = fault.test.split("::")
        source = (PROJECT / path).read_text(encoding="utf-8")
        assert re.search(rf"^def {re.escape(name)}\(", source, re.MULTILINE), fault.test


def test_readme_table_is_the_registry() -> None:
    readme = (PROJECT / "README.md").read_text(encoding="utf-8")
    assert START in readme and END in readme, "README lacks the fault-matrix markers"
    table = readme.split(START, 1)[1].split(END, 1)[0]
    assert table == render(), "regenerate with: python -m tests.reliability.matrix --write"
