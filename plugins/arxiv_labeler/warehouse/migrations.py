"""Versioned DDL from ``warehouse/sql/<dialect>/NNN_name.sql`` (package data), applied once each and recorded."""

from __future__ import annotations

import re
from dataclasses import dataclass

from arxiv_labeler import settings
from arxiv_labeler.errors import ConfigError

_MIGRATION_FILE = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")
MIGRATIONS_TABLE = "arxiv_schema_migrations"
_DOLLAR_QUOTE = re.compile(r"(\$[A-Za-z_]*\$)")


@dataclass(frozen=True)
class Migration:
    """One versioned SQL file."""

    version: int
    name: str
    sql: str


def migrations(dialect: str) -> list[Migration]:
    """The dialect's migrations in version order.

    Raises:
        ConfigError: the SQL directory for the dialect is missing.
    """
    folder = settings.sql_dir() / dialect
    if not folder.is_dir():
        raise ConfigError(f"no SQL migrations for {dialect!r} at {folder} (set {settings.ENV_SQL_DIR})")
    found = []
    for path in sorted(folder.iterdir()):
        match = _MIGRATION_FILE.match(path.name)
        if match:
            found.append(Migration(int(match.group(1)), path.stem, path.read_text(encoding="utf-8")))
    return found


def split_statements(sql: str) -> list[str]:
    """Statements of a migration file: split on semicolons, except inside a dollar-quoted body (a DO block's ``$$ ... $$``).

    Our DDL has no semicolons inside ordinary literals.
    """
    body = "\n".join(line for line in sql.splitlines() if not line.strip().startswith("--"))
    statements, current, quote = [], "", None
    for piece in _DOLLAR_QUOTE.split(body):
        if quote is not None or _DOLLAR_QUOTE.fullmatch(piece):
            current += piece
            quote = None if piece == quote else (quote or piece)
            continue
        first, *rest = piece.split(";")
        current += first
        for part in rest:
            statements.append(current)
            current = part
    return [s.strip() for s in [*statements, current] if s.strip()]
