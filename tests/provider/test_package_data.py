"""Everything the installed package reads lives inside it, once: migrations, replay data, the demo head, the page."""

from __future__ import annotations

import tomllib
from pathlib import Path

from arxiv_labeler import settings

PROJECT = Path(__file__).resolve().parents[2]
PACKAGE = PROJECT / "plugins" / "arxiv_labeler"


def package_data_patterns() -> list[str]:
    return tomllib.loads((PROJECT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]["arxiv_labeler"]


def test_the_old_include_folders_are_gone() -> None:
    # A file added there (a new migration merged from another branch) would be a second copy no wheel carries.
    for old in ("include/sql", "include/replay", "include/demo-model"):
        assert not (PROJECT / old).exists(), f"{old} moved into the package (see README: Install as a provider)"


def test_the_migrations_are_read_from_the_package() -> None:
    sql = settings.sql_dir()
    assert sql == PACKAGE / "warehouse" / "sql"
    for dialect in ("duckdb", "postgres"):
        assert sorted(p.name for p in (sql / dialect).glob("*.sql"))[0] == "001_init.sql"


def test_every_data_file_is_declared_package_data() -> None:
    data = {p for p in PACKAGE.rglob("*") if p.is_file() and p.suffix not in (".py", ".pyc") and "__pycache__" not in p.parts}
    declared = {p for pattern in package_data_patterns() for p in PACKAGE.glob(pattern) if p.is_file()}
    assert data - declared == set(), "add these to [tool.setuptools.package-data] in pyproject.toml"
    assert any(p.name == "index.html" for p in declared) and any(p.suffix == ".jsonl" for p in declared)
