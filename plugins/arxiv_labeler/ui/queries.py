"""Read-only, parameterised queries behind the labels page (DuckDB or PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from arxiv_labeler.errors import WarehouseBusyError


@dataclass(frozen=True)
class Filters:
    """Validated query parameters: an inclusive day range, optionally one model and one group."""

    start: dt.date
    end: dt.date
    model_id: str | None = None
    group: str | None = None


class LabelsReader:
    """Opens the warehouse read-only for each request and runs the page's queries."""

    def __init__(self, url: str) -> None:
        self.url = url

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        if self.url.startswith("duckdb://"):
            return self._duckdb_rows(sql, params)
        return self._postgres_rows(sql.replace("?", "%s"), params)

    def _duckdb_rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        import duckdb

        path = Path(self.url.removeprefix("duckdb://"))
        if not path.exists():
            return []  # nothing loaded yet: an empty page, not an error
        try:
            connection = duckdb.connect(str(path), read_only=True)
        except duckdb.IOException as exc:
            raise WarehouseBusyError(f"the warehouse {path} is being written ({str(exc)[:120]}); retry in a moment") from None
        try:
            if not connection.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_name = 'arxiv_pipeline_runs'"
            ).fetchone()[0]:  # type: ignore[index]
                return []
            result = connection.execute(sql, params)
            names = [d[0] for d in result.description]
            return [dict(zip(names, row, strict=True)) for row in result.fetchall()]
        finally:
            connection.close()

    def _postgres_rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        import psycopg
        from psycopg.rows import dict_row

        with psycopg.connect(self.url, connect_timeout=10, row_factory=dict_row) as connection:
            connection.execute("SET TRANSACTION READ ONLY")
            return list(connection.execute(sql, params).fetchall())

    def labels_per_day(self, f: Filters) -> list[dict[str, Any]]:
        """Papers per day, paper group and label (current label of each paper for the model, or of the latest model)."""
        return self._rows(
            """
            SELECT p.datestamp AS day, p.arxiv_group AS paper_group, l.label AS label, count(*) AS papers
            FROM arxiv_papers p JOIN arxiv_paper_labels l ON l.arxiv_id = p.arxiv_id
            WHERE NOT p.withdrawn AND p.datestamp BETWEEN ? AND ?
              AND (CAST(? AS VARCHAR) IS NULL OR l.model_id = ?)
              AND (CAST(? AS VARCHAR) IS NULL OR l.label = ?)
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """,
            [f.start, f.end, f.model_id, f.model_id, f.group, f.group],
        )

    def models(self, f: Filters) -> list[dict[str, Any]]:
        """The models with label rows in the range and how many papers each labeled."""
        return self._rows(
            """
            SELECT m.model_id, m.name, count(l.arxiv_id) AS papers, max(l.labeled_at) AS last_labeled
            FROM arxiv_models m JOIN arxiv_paper_labels l ON l.model_id = m.model_id
            JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id
            WHERE p.datestamp BETWEEN ? AND ? AND (CAST(? AS VARCHAR) IS NULL OR m.model_id = ?)
            GROUP BY 1, 2 ORDER BY 3 DESC, 1
            """,
            [f.start, f.end, f.model_id, f.model_id],
        )

    def runs(self, f: Filters, limit: int = 20) -> list[dict[str, Any]]:
        """Recent pipeline runs overlapping the range, with per-stage counts and seconds."""
        rows = self._rows(
            """
            SELECT run_id, run_type, interval_start, interval_end, model_id, engine, harvested, new_papers,
                   classified, skipped_unchanged, failed, CAST(stage_seconds AS VARCHAR) AS stage_seconds, status, finished_at
            FROM arxiv_pipeline_runs
            WHERE interval_end >= ? AND interval_start <= ? AND (CAST(? AS VARCHAR) IS NULL OR model_id = ?)
            ORDER BY finished_at DESC LIMIT ?
            """,
            [f.start, f.end, f.model_id, f.model_id, limit],
        )
        for row in rows:
            row["stage_seconds"] = json.loads(row["stage_seconds"]) if row["stage_seconds"] else {}
        return rows


def group_shares(per_day: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each day's share of papers per label (what the chart draws)."""
    totals: dict[str, int] = {}
    counts: dict[tuple[str, str], int] = {}
    for row in per_day:
        day = str(row["day"])
        totals[day] = totals.get(day, 0) + int(row["papers"])
        counts[(day, row["label"])] = counts.get((day, row["label"]), 0) + int(row["papers"])
    return [
        {"day": day, "label": label, "papers": n, "share": round(n / totals[day], 4)}
        for (day, label), n in sorted(counts.items())
    ]
