"""The paper list (filters, search, sort, keyset pages, total) and a paper's detail, read-only on DuckDB or PostgreSQL.

The list has one row per paper and model that labeled it, as the summary counts them; the order always ends on
(arxiv_id, model_id), unique, so pages never skip or repeat a row.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from arxiv_labeler.classify.confidence_policy import UNCLASSIFIED
from arxiv_labeler.errors import ConfigError
from arxiv_labeler.ui.days import DayRange
from arxiv_labeler.ui.reader import Dialect, ReadSession

SORTS = ("day", "score", "id")
ORDERS = ("desc", "asc")
FIRST_AUTHORS = 3  # authors shown in the list; the detail has them all
# The list's columns, in order: the JSON rows, the CSV header and the Parquet schema all use these.
LIST_COLUMNS = (
    "arxiv_id",
    "title",
    "first_authors",
    "authors_total",
    "primary_category",
    "day",
    "label",
    "raw_label",
    "score",
    "runner_up_label",
    "runner_up_score",
    "model_id",
    "text_source",
)
_SORT_CAST = {"day": "CAST(? AS DATE)", "score": "CAST(? AS REAL)"}  # REAL: a float4 compares equal only to a float4
_AUTHOR_COUNT: dict[Dialect, str] = {"duckdb": "len(p.authors)", "postgres": "cardinality(p.authors)"}


class CursorError(ConfigError):
    """A page cursor that is not one, or that belongs to another sort."""


@dataclass(frozen=True)
class PageCursor:
    """Where the next page starts: the last row's sort value and its (arxiv_id, model_id)."""

    sort: str
    order: str
    value: Any
    arxiv_id: str
    model_id: str

    def encode(self) -> str:
        """An opaque, URL-safe token."""
        raw = json.dumps([self.sort, self.order, self.value, self.arxiv_id, self.model_id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, sort: str, order: str) -> PageCursor:
        """The cursor in ``token``, checked against the sort it is used with.

        Raises:
            CursorError: not a cursor of this API, or one made for another sort or order.
        """
        try:
            raw = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            c_sort, c_order, value, arxiv_id, model_id = raw
        except (binascii.Error, UnicodeDecodeError, json.JSONDecodeError, ValueError, TypeError):
            raise CursorError("is not a page cursor of this list") from None
        if (c_sort, c_order) != (sort, order):
            raise CursorError(f"belongs to sort={c_sort}&order={c_order}, not sort={sort}&order={order}")
        if not (isinstance(arxiv_id, str) and isinstance(model_id, str)) or not _valid_sort_value(sort, value):
            raise CursorError("is not a page cursor of this list")
        return cls(sort, order, value, arxiv_id, model_id)


def _valid_sort_value(sort: str, value: Any) -> bool:
    if sort == "id":
        return value is None
    if sort == "score":
        return isinstance(value, int | float) and not isinstance(value, bool)
    try:
        dt.date.fromisoformat(value)
    except (TypeError, ValueError):
        return False
    return True


@dataclass(frozen=True)
class PaperQuery:
    """What the list shows: the filters, the search words, the order and the page."""

    days: DayRange
    model_id: str | None = None
    label: str | None = None
    category: str | None = None
    search: tuple[str, ...] = ()
    sort: str = "day"
    order: str = "desc"
    limit: int = 50
    after: PageCursor | None = None


@dataclass
class PapersPage:
    """One page of the list, the total matching the filters and the cursor of the next page (None on the last)."""

    rows: list[dict[str, Any]]
    total: int
    next_cursor: str | None = None
    columns: tuple[str, ...] = field(default=LIST_COLUMNS)


def like_pattern(word: str) -> str:
    """``%word%`` with LIKE's wildcards in the word escaped (searching ``50%`` finds 50%, not 50 and anything)."""
    return "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _search_clause(dialect: Dialect, word: str) -> tuple[str, list[str]]:
    pattern = like_pattern(word)
    if dialect == "postgres":
        # the very expression the pg_trgm index of migration 004 is built on, so the planner can use it
        return "(p.title || ' ' || p.abstract) ILIKE ?", [pattern]
    if pattern == f"%{word}%":  # DuckDB runs ILIKE with an ESCAPE clause about 3 times slower: only when needed
        return "(p.title ILIKE ? OR p.abstract ILIKE ?)", [pattern, pattern]
    return "(p.title ILIKE ? ESCAPE '\\' OR p.abstract ILIKE ? ESCAPE '\\')", [pattern, pattern]


def _filters(q: PaperQuery, dialect: Dialect) -> tuple[list[str], list[Any]]:
    clauses = ["NOT p.withdrawn", "p.datestamp BETWEEN ? AND ?"]
    params: list[Any] = [q.days.start, q.days.end]
    for column, value in (("l.model_id", q.model_id), ("l.label", q.label), ("p.primary_category", q.category)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    for word in q.search:
        clause, values = _search_clause(dialect, word)
        clauses.append(clause)
        params += values
    return clauses, params


def _order_columns(sort: str, table: str | None = None) -> list[str]:
    columns = {"day": ["p.datestamp"], "score": ["l.score"], "id": []}[sort] + ["p.arxiv_id", "l.model_id"]
    return [f"{table}.{c.split('.')[1]}" for c in columns] if table else columns


def _order_by(q: PaperQuery, table: str | None = None) -> str:
    direction = " DESC" if q.order == "desc" else ""
    return ", ".join(c + direction for c in _order_columns(q.sort, table))


def _after(cursor: PageCursor, table: str) -> tuple[str, list[Any]]:
    columns = _order_columns(cursor.sort, table)
    values: list[Any] = [cursor.arxiv_id, cursor.model_id]
    placeholders = ["?", "?"]
    if cursor.sort != "id":
        values.insert(0, cursor.value)
        placeholders.insert(0, _SORT_CAST[cursor.sort])
    comparison = "<" if cursor.order == "desc" else ">"
    return f"({', '.join(columns)}) {comparison} ({', '.join(placeholders)})", values


_FROM = "FROM arxiv_paper_labels l JOIN arxiv_papers p ON p.arxiv_id = l.arxiv_id"


def page_keys_sql(q: PaperQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """The total and the page's keys in the list's order, from the cursor: ``limit`` + 1 rows (the extra one: a next page).

    One pass over the matching rows, materialized (narrow columns only) and then counted and sorted: a LIMIT over
    the join lets PostgreSQL walk a primary key in id order through a million rows to find a recent week's papers.
    """
    clauses, params = _filters(q, dialect)
    keyset, keyset_params = _after(q.after, "m") if q.after is not None else ("TRUE", [])
    sql = f"""
        WITH matched AS MATERIALIZED (
            SELECT p.arxiv_id, l.model_id, p.datestamp, l.score {_FROM} WHERE {" AND ".join(clauses)}
        )
        SELECT t.total, k.arxiv_id, k.model_id, k.datestamp, k.score
        FROM (SELECT count(*) AS total FROM matched) t
        LEFT JOIN (SELECT * FROM matched m WHERE {keyset} ORDER BY {_order_by(q, "m")} LIMIT ?) k ON TRUE
        ORDER BY {_order_by(q, "k")}"""
    return sql, [*params, *keyset_params, q.limit + 1]


def _row_columns(dialect: Dialect) -> str:
    return (
        f"p.arxiv_id, p.title, p.authors[1:{FIRST_AUTHORS}] AS first_authors, {_AUTHOR_COUNT[dialect]} AS authors_total, "
        "p.primary_category, p.datestamp AS day, l.label, l.raw_label, l.score, CAST(l.scores AS VARCHAR) AS scores, "
        "l.model_id, l.text_source"
    )


def export_sql(q: PaperQuery, dialect: Dialect) -> tuple[str, list[Any]]:
    """Every row the filters match with the list's columns, in the list's order (what the export streams)."""
    clauses, params = _filters(q, dialect)
    return f"SELECT {_row_columns(dialect)} {_FROM} WHERE {' AND '.join(clauses)} ORDER BY {_order_by(q)}", params


def _page_rows(session: ReadSession, keys: list[tuple[str, str]]) -> list[tuple[Any, ...]]:
    """The list's columns (as :func:`export_sql` has them) for the page's (arxiv_id, model_id) keys, in their order."""
    if not keys:
        return []
    ids = sorted({arxiv_id for arxiv_id, _ in keys})
    marks = ", ".join("?" * len(ids))
    # two lookups by id (primary keys; DuckDB prunes by zone maps) are cheaper in DuckDB than the same lookups joined
    paper_columns = (
        f"p.arxiv_id, p.title, p.authors[1:{FIRST_AUTHORS}], {_AUTHOR_COUNT[session.dialect]}, p.primary_category, p.datestamp"
    )
    _, paper_rows = session.query(f"SELECT {paper_columns} FROM arxiv_papers p WHERE p.arxiv_id IN ({marks})", ids)
    papers = {r[0]: r for r in paper_rows}
    label_columns = "l.arxiv_id, l.model_id, l.label, l.raw_label, l.score, CAST(l.scores AS VARCHAR), l.text_source"
    _, label_rows = session.query(f"SELECT {label_columns} FROM arxiv_paper_labels l WHERE l.arxiv_id IN ({marks})", ids)
    by_key = {(r[0], r[1]): r for r in label_rows}
    rows = []
    for key in keys:
        if key in by_key and key[0] in papers:
            _, model_id, label, raw_label, score, scores, source = by_key[key]
            rows.append((*papers[key[0]], label, raw_label, score, scores, model_id, source))
    return rows


def sorted_scores(scores_json: str | None) -> list[tuple[str, float]]:
    """(label, score) from a label row's scores JSON, highest first (ties by label)."""
    scores = json.loads(scores_json) if scores_json else {}
    return sorted(((str(k), float(v)) for k, v in scores.items()), key=lambda item: (-item[1], item[0]))


def list_row(row: tuple[Any, ...]) -> dict[str, Any]:
    """A row of :func:`export_sql` as the list shows it (``LIST_COLUMNS``), with the runner-up from the scores."""
    arxiv_id, title, first_authors, authors_total, category, day, label, raw_label, score, scores, model_id, source = row
    ranked = sorted_scores(scores)
    runner_up = ranked[1] if len(ranked) > 1 else (None, None)
    return {
        "arxiv_id": arxiv_id,
        "title": title,
        "first_authors": list(first_authors or []),
        "authors_total": int(authors_total or 0),
        "primary_category": category,
        "day": str(day),
        "label": label,
        "raw_label": raw_label,
        "score": round(float(score), 6),
        "runner_up_label": runner_up[0],
        "runner_up_score": round(runner_up[1], 6) if runner_up[1] is not None else None,
        "model_id": model_id,
        "text_source": source,
    }


def list_papers(session: ReadSession, q: PaperQuery) -> PapersPage:
    """One page of the list and the total, from one read-only session."""
    _, found = session.query(*page_keys_sql(q, session.dialect))
    total = int(found[0][0]) if found else 0
    keys = [(arxiv_id, model_id, day, score) for _, arxiv_id, model_id, day, score in found if arxiv_id is not None]
    page = [(arxiv_id, model_id) for arxiv_id, model_id, _, _ in keys[: q.limit]]
    next_cursor = None
    if len(keys) > q.limit:
        arxiv_id, model_id, day, score = keys[q.limit - 1]
        value = {"day": str(day), "score": float(score), "id": None}[q.sort]
        next_cursor = PageCursor(q.sort, q.order, value, arxiv_id, model_id).encode()
    return PapersPage([list_row(r) for r in _page_rows(session, page)], total, next_cursor)


def iter_list_rows(session: ReadSession, q: PaperQuery, batch_rows: int) -> Iterator[list[dict[str, Any]]]:
    """Every row the filters match, in the list's order, in batches (what the export streams)."""
    sql, params = export_sql(q, session.dialect)
    for batch in session.batches(sql, params, batch_rows):
        yield [list_row(r) for r in batch]


_PAPER = """
SELECT arxiv_id, version, created, updated, datestamp, title, abstract, authors, affiliations, categories, primary_category,
       arxiv_group, comments, doi, journal_ref, license, withdrawn, harvested_in_run
FROM arxiv_papers WHERE arxiv_id = ?
"""
_RUN_COLUMNS = (
    "run_id, run_type, interval_start, interval_end, model_id, engine, harvested, new_papers, classified, "
    "skipped_unchanged, failed, CAST(stage_seconds AS VARCHAR) AS stage_seconds, status, quality_status, finished_at"
)


def _labels_sql(with_threshold: bool) -> str:
    threshold = "l.threshold" if with_threshold else "CAST(NULL AS REAL)"
    # newest model first, the order of the arxiv_current_labels view: the first row is the paper's current label
    return f"""
        SELECT l.model_id, m.name AS model_name, m.registered_at, l.label, l.raw_label, l.score,
               CAST(l.scores AS VARCHAR) AS scores, {threshold} AS threshold, l.text_source, l.text_sha256, l.labeled_at, l.run_id
        FROM arxiv_paper_labels l LEFT JOIN arxiv_models m ON m.model_id = l.model_id
        WHERE l.arxiv_id = ?
        ORDER BY m.registered_at DESC NULLS LAST, l.model_id DESC
    """


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def unclassified_reason(label: str, raw_label: str | None, score: float, threshold: float | None) -> str | None:
    """Why a row is ``unclassified`` (None for a labeled one): the raw label, its score and the threshold it missed."""
    if label != UNCLASSIFIED:
        return None
    top = f"the model's top label {raw_label or '?'} scored {score:.4f}"
    if threshold is not None:
        return f"{top}, below the confidence threshold {threshold:.4f} for {raw_label}"
    return (
        f"{top}, below the run's confidence threshold for {raw_label} (min_score or label_thresholds); "
        "the threshold is not recorded for this load, only that it was above the score"
    )


def _label(row: dict[str, Any], runs: dict[str, dict[str, Any]], current: bool) -> dict[str, Any]:
    score = float(row["score"])
    threshold = float(row["threshold"]) if row["threshold"] is not None else None
    return {
        "model_id": row["model_id"],
        "model_name": row["model_name"],
        "model_registered_at": _jsonable(row["registered_at"]),
        "current": current,
        "label": row["label"],
        "raw_label": row["raw_label"],
        "score": round(score, 6),
        "scores": [{"label": k, "score": round(v, 6)} for k, v in sorted_scores(row["scores"])],
        "threshold": round(threshold, 6) if threshold is not None else None,
        "threshold_recorded": threshold is not None,
        "unclassified_reason": unclassified_reason(row["label"], row["raw_label"], score, threshold),
        "text_source": row["text_source"],
        "text_sha256": row["text_sha256"],
        "labeled_at": _jsonable(row["labeled_at"]),
        "run_id": row["run_id"],
        "run": runs.get(row["run_id"]),
    }


def paper_detail(session: ReadSession, arxiv_id: str) -> dict[str, Any] | None:
    """A paper, its label under every model that labeled it (newest model first) and the runs that labeled it; None if unknown."""
    papers = session.rows(_PAPER, [arxiv_id])
    if not papers:
        return None
    paper = {k: _jsonable(v) for k, v in papers[0].items()}
    paper["url"] = f"https://arxiv.org/abs/{arxiv_id}"
    label_rows = session.rows(_labels_sql(session.has_column("arxiv_paper_labels", "threshold")), [arxiv_id])
    run_ids = sorted({r["run_id"] for r in label_rows})
    runs: dict[str, dict[str, Any]] = {}
    if run_ids:
        marks = ", ".join("?" * len(run_ids))
        for run in session.rows(f"SELECT {_RUN_COLUMNS} FROM arxiv_pipeline_runs WHERE run_id IN ({marks})", run_ids):
            run["stage_seconds"] = json.loads(run["stage_seconds"]) if run["stage_seconds"] else {}
            runs[run["run_id"]] = {k: _jsonable(v) for k, v in run.items()}
    return {"paper": paper, "labels": [_label(r, runs, i == 0) for i, r in enumerate(label_rows)]}
