"""The warehouse load, shared by DuckDB and PostgreSQL: one transaction per run.

Papers are upserted (a row only changes when its content does), labels are
upserted per (paper, model) the same way, deletions mark papers withdrawn,
and the run is recorded. A rerun of an interval therefore changes no paper or
label row; a failure anywhere rolls the whole load back.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any, TypeAlias

import pyarrow as pa
import pyarrow.compute as pc

from arxiv_labeler.classify.confidence_policy import ConfidencePolicy
from arxiv_labeler.classify.landed_papers import LATEST_ROW_FIRST, has_unique_ids
from arxiv_labeler.run.record import RunRecord
from arxiv_labeler.warehouse.migrations import MIGRATIONS_TABLE, migrations, split_statements

log = logging.getLogger(__name__)

PAPER_COLUMNS = [
    "arxiv_id",
    "version",
    "created",
    "updated",
    "datestamp",
    "title",
    "abstract",
    "authors",
    "affiliations",
    "categories",
    "primary_category",
    "arxiv_group",
    "comments",
    "doi",
    "journal_ref",
    "license",
    "text_sha256",
    "withdrawn",
    "harvested_in_run",
]
LABEL_COLUMNS = [
    "arxiv_id",
    "model_id",
    "label",
    "raw_label",
    "threshold",
    "score",
    "scores",
    "text_sha256",
    "text_source",
    "labeled_at",
    "run_id",
]
# The papers' staging table adds the landed day: of an id landed on several days, the latest day's row is loaded.
PAPER_STAGE_COLUMNS = [*PAPER_COLUMNS, "harvest_day"]
# What the load reads from the classify stage's labeled output.
LABEL_INPUT_COLUMNS = ["arxiv_id", "model_id", "label", "score", "scores", "text_sha256", "text_source", "labeled_at"]
# Columns whose change counts as a new version of the paper (harvested_in_run is bookkeeping).
_PAPER_CONTENT = [c for c in PAPER_COLUMNS if c not in ("arxiv_id", "harvested_in_run")]


@dataclass(frozen=True)
class ModelInfo:
    """The model row recorded with each load."""

    model_id: str
    name: str
    sha256: str
    labels: list[str]


@dataclass
class LoadResult:
    """What a load changed."""

    papers_inserted: int
    papers_updated: int
    papers_withdrawn: int
    labels_written: int

    def to_xcom(self) -> dict[str, Any]:
        """JSON-able form."""
        return asdict(self)

    def rows_per_table(self) -> dict[str, int]:
        """Rows the load wrote per table (OpenLineage's output statistics)."""
        return {
            "arxiv_papers": self.papers_inserted + self.papers_updated + self.papers_withdrawn,
            "arxiv_paper_labels": self.labels_written,
            "arxiv_pipeline_runs": 1,
        }

    def asset_extra(self, start: dt.date, end: dt.date, model_id: str) -> dict[str, Any]:
        """The extra of the load's asset events (what a downstream DAG reads; quality is checked after the load)."""
        return {
            "interval": f"{start}..{end}",
            "model_id": model_id,
            "labels_written": self.labels_written,
            "days": [start.isoformat(), end.isoformat()],
            "papers_loaded": self.papers_inserted + self.papers_updated,
            "quality": "pending: check_labels records it in arxiv_quality_checks",
        }


# Rows travel in batches: a month's backfill is staged without holding every row as Python objects.
BATCH_ROWS = 5_000
Rows: TypeAlias = pa.Table | Iterable[pa.RecordBatch]


def record_batches(rows: Rows) -> Iterator[pa.RecordBatch]:
    """``rows`` as record batches of at most ``BATCH_ROWS`` (a table is sliced, an iterator passed through)."""
    if isinstance(rows, pa.Table):
        yield from rows.to_batches(max_chunksize=BATCH_ROWS)
    else:
        yield from rows


def paper_batches(papers: Rows, run_id: str, deletions: list[tuple[str, dt.date]]) -> Iterator[pa.RecordBatch]:
    """Batches of ``PAPER_STAGE_COLUMNS`` to upsert from landed harvest records; OAI deletions are appended to ``deletions``.

    Arrow from end to end: a month's papers never become Python objects on the DuckDB path. A table is
    sorted ``LATEST_ROW_FIRST`` (a streamed run comes latest day first): the load keeps an id's first row.
    """
    if isinstance(papers, pa.Table) and {key for key, _ in LATEST_ROW_FIRST} <= set(papers.column_names):
        papers = papers.sort_by(LATEST_ROW_FIRST)
    for batch in record_batches(papers):
        deleted = pc.fill_null(batch.column("deleted"), False)
        gone = batch.filter(deleted)
        deletions.extend(zip(gone.column("arxiv_id").to_pylist(), gone.column("datestamp").to_pylist(), strict=True))
        kept = batch.filter(pc.invert(deleted))
        columns = {name: kept.column(name) for name in kept.schema.names}
        columns["arxiv_group"] = columns["group"]
        columns["harvested_in_run"] = pa.array([run_id] * kept.num_rows, pa.string())
        # null (a format that cannot tell) loads as not withdrawn; a landed file from before affiliations has none
        withdrawn = columns.get("withdrawn", pa.nulls(kept.num_rows, pa.bool_()))
        columns["withdrawn"] = pc.fill_null(withdrawn, False)
        columns.setdefault("affiliations", pa.nulls(kept.num_rows, pa.list_(pa.string())))
        yield pa.RecordBatch.from_arrays([columns[c] for c in PAPER_STAGE_COLUMNS], names=PAPER_STAGE_COLUMNS)


def batch_rows(batch: pa.RecordBatch) -> Iterator[tuple[Any, ...]]:
    """The rows of ``batch`` as tuples (for a driver that takes rows, as COPY does)."""
    return zip(*(column.to_pylist() for column in batch.columns), strict=True)


def label_rows(labels: Rows, run_id: str, policy: ConfidencePolicy | None = None) -> Iterator[tuple[Any, ...]]:
    """Rows for ``arxiv_paper_labels`` from the classify stage's output, batch by batch (unlabeled rows dropped).

    The confidence policy stores ``unclassified`` below a label's threshold; ``raw_label`` keeps the model's top label.
    """
    policy = policy or ConfidencePolicy()
    for batch in record_batches(labels):
        for row in batch.select(LABEL_INPUT_COLUMNS).to_pylist():
            if row["label"] is None:
                continue
            scores = dict(row["scores"]) if row["scores"] is not None else {}
            row["scores"] = json.dumps({k: float(v) for k, v in sorted(scores.items())}, sort_keys=True)
            row["run_id"] = run_id
            row["raw_label"] = row["label"]
            row["threshold"] = policy.threshold_for(row["label"])  # what the page shows for an unclassified paper
            row["label"] = policy.apply(row["label"], float(row["score"]))
            yield tuple(row[c] for c in LABEL_COLUMNS)


def _changed(columns: Sequence[str], table: str) -> str:
    return " OR ".join(f"{table}.{c} IS DISTINCT FROM excluded.{c}" for c in columns)


STAGED_PAPERS = "stage_papers"
_SQL_ORDER = {"ascending": "ASC", "descending": "DESC"}
# Of an id staged more than once, the row the classify stage labeled (LATEST_ROW_FIRST, nulls last in every dialect).
LATEST_STAGED_PAPERS = (
    f"(SELECT {', '.join(PAPER_COLUMNS)} FROM (SELECT {', '.join(PAPER_COLUMNS)}, row_number() OVER (PARTITION BY arxiv_id "
    f"ORDER BY {', '.join(f'{c} {_SQL_ORDER[order]} NULLS LAST' for c, order in LATEST_ROW_FIRST)}) AS row_rank "
    "FROM stage_papers) ranked WHERE row_rank = 1)"
)


def upsert_papers(source: str) -> str:
    """The papers' upsert from ``source`` (the staging table, or ``LATEST_STAGED_PAPERS`` when an id repeats)."""
    return f"""
INSERT INTO arxiv_papers AS p ({", ".join(PAPER_COLUMNS)})
SELECT {", ".join(PAPER_COLUMNS)} FROM {source} staged
ON CONFLICT (arxiv_id) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in PAPER_COLUMNS[1:])}
WHERE {_changed(_PAPER_CONTENT, "p")}
"""


# The run's papers seen so far (an id's first row is the one loaded): whether each was stored, and differs.
SEEN_PAPERS = "stage_seen"
SEEN_PAPERS_DEFINITION = "arxiv_id TEXT PRIMARY KEY, existed BOOLEAN NOT NULL, changed BOOLEAN NOT NULL"
# Rows of the batch whose id an earlier batch (a later landed day) already loaded.
DROP_SEEN_PAPERS = f"DELETE FROM stage_papers WHERE arxiv_id IN (SELECT arxiv_id FROM {SEEN_PAPERS})"


def record_seen_papers(source: str) -> str:
    """Note in ``stage_seen`` each id of ``source``, whether the warehouse held it, and whether the upsert changes it."""
    changed = " OR ".join(f"p.{c} IS DISTINCT FROM s.{c}" for c in _PAPER_CONTENT)
    return (
        f"INSERT INTO {SEEN_PAPERS} (arxiv_id, existed, changed) SELECT s.arxiv_id, p.arxiv_id IS NOT NULL, "
        f"p.arxiv_id IS NULL OR {changed} FROM {source} s LEFT JOIN arxiv_papers p ON p.arxiv_id = s.arxiv_id"
    )


UPSERT_LABELS = f"""
INSERT INTO arxiv_paper_labels AS l ({", ".join(LABEL_COLUMNS)})
SELECT {", ".join(LABEL_COLUMNS)} FROM stage_labels
ON CONFLICT (arxiv_id, model_id) DO UPDATE SET
    {", ".join(f"{c} = excluded.{c}" for c in LABEL_COLUMNS[2:])}
WHERE l.text_sha256 IS DISTINCT FROM excluded.text_sha256 OR l.label IS DISTINCT FROM excluded.label
    OR l.score IS DISTINCT FROM excluded.score OR l.raw_label IS DISTINCT FROM excluded.raw_label
"""


# OAI deletions: the paper stays, marked withdrawn, its label history kept.
MARK_DELETIONS = """
UPDATE arxiv_papers SET withdrawn = TRUE, datestamp = d.datestamp
FROM stage_deletions d WHERE arxiv_papers.arxiv_id = d.arxiv_id AND NOT arxiv_papers.withdrawn
"""


class Warehouse(ABC):
    """A SQL warehouse the pipeline loads into. Subclasses provide connection and staging."""

    dialect: str

    @abstractmethod
    def _connect(self) -> Any: ...

    @abstractmethod
    def _stage(self, cursor: Any, table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
        """Create temp ``table`` holding ``rows`` (same column types as the target), consuming them as they come."""

    @abstractmethod
    def _temp_table(self, cursor: Any, table: str, definition: str) -> None:
        """Create (or empty) temp ``table`` with the column ``definition``, dropped when the transaction ends."""

    def _upsert_paper_batch(self, cursor: Any, batch: pa.RecordBatch) -> None:
        """Stage one batch of papers, drop the ids the run already loaded, note the rest as seen, and upsert them."""
        self._stage_batch(cursor, "stage_papers", batch)
        cursor.execute(DROP_SEEN_PAPERS)
        source = STAGED_PAPERS if has_unique_ids(pa.Table.from_batches([batch])) else LATEST_STAGED_PAPERS
        cursor.execute(record_seen_papers(source))
        cursor.execute(upsert_papers(source))

    def _stage_batch(self, cursor: Any, table: str, batch: pa.RecordBatch) -> None:
        """Create temp ``table`` holding ``batch`` of ``PAPER_STAGE_COLUMNS``; a driver that takes Arrow overrides this."""
        self._stage(cursor, table, PAPER_STAGE_COLUMNS, batch_rows(batch))

    @abstractmethod
    def _json(self, placeholder: str) -> str:
        """SQL for a JSON value bound to ``placeholder``."""

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor inside BEGIN ... COMMIT; rolled back on any exception."""
        connection = self._connect()
        try:
            cursor = connection.cursor()
            cursor.execute("BEGIN")
            try:
                yield cursor
            except BaseException:
                self._rollback(cursor)
                raise
            cursor.execute("COMMIT")
        finally:
            connection.close()

    @staticmethod
    def _rollback(cursor: Any) -> None:
        """ROLLBACK, without hiding the original error when the connection is already gone."""
        try:
            cursor.execute("ROLLBACK")
        except Exception as exc:  # a dead connection: the server discards the open transaction itself
            log.warning("rollback failed (%s): the server discards the uncommitted transaction", str(exc).strip()[:200])

    def migrate(self) -> list[int]:
        """Apply pending migrations, each in its own transaction; returns the versions applied."""
        applied: list[int] = []
        with self.transaction() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {MIGRATIONS_TABLE} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
                "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP)"
            )
            cursor.execute(f"SELECT version FROM {MIGRATIONS_TABLE}")
            done = {row[0] for row in cursor.fetchall()}
        for migration in migrations(self.dialect):
            if migration.version in done:
                continue
            with self.transaction() as cursor:
                for statement in split_statements(migration.sql):
                    cursor.execute(statement)
                cursor.execute(
                    f"INSERT INTO {MIGRATIONS_TABLE} (version, name) VALUES (?, ?)".replace("?", self._param()),
                    (migration.version, migration.name),
                )
            applied.append(migration.version)
            log.info("warehouse %s: applied migration %03d %s", self.dialect, migration.version, migration.name)
        return applied

    def _param(self) -> str:
        return "?"

    def labeled_hashes(self, model_id: str, arxiv_ids: Sequence[str]) -> set[tuple[str, str]]:
        """(arxiv_id, text_sha256) already labeled by ``model_id`` among ``arxiv_ids``."""
        if not arxiv_ids:
            return set()
        found: set[tuple[str, str]] = set()
        with self.transaction() as cursor:
            self._stage(cursor, "stage_ids", ["arxiv_id"], [(i,) for i in arxiv_ids])
            p = self._param()
            cursor.execute(
                "SELECT l.arxiv_id, l.text_sha256 FROM arxiv_paper_labels l JOIN stage_ids s USING (arxiv_id) "
                f"WHERE l.model_id = {p}",
                (model_id,),
            )
            found.update((row[0], row[1]) for row in cursor.fetchall())
        return found

    def load(
        self,
        papers: Rows,
        labels: Rows | None,
        model: ModelInfo | None,
        run: RunRecord,
        policy: ConfidencePolicy | None = None,
    ) -> LoadResult:
        """Write one run in one transaction: papers, withdrawals, model, labels (after the confidence policy), the run row.

        ``papers`` and ``labels`` are tables or iterators of record batches (streamed from their Parquet files).
        """
        deletions: list[tuple[str, dt.date]] = []
        p = self._param()
        with self.transaction() as cursor:
            self._temp_table(cursor, SEEN_PAPERS, SEEN_PAPERS_DEFINITION)
            for batch in paper_batches(papers, run.run_id, deletions):
                if batch.num_rows:
                    self._upsert_paper_batch(cursor, batch)
            cursor.execute(
                "SELECT count(*) FILTER (WHERE changed AND NOT existed), count(*) FILTER (WHERE changed AND existed) "
                f"FROM {SEEN_PAPERS}"
            )
            inserted, updated = cursor.fetchone()
            self._stage(cursor, "stage_deletions", ["arxiv_id", "datestamp"], deletions)
            cursor.execute(MARK_DELETIONS)
            withdrawn = max(cursor.rowcount, 0)
            if model is not None:
                cursor.execute(
                    f"INSERT INTO arxiv_models (model_id, name, sha256, labels, registered_at) VALUES ({p}, {p}, {p}, {p}, {p}) "
                    "ON CONFLICT (model_id) DO NOTHING",
                    (model.model_id, model.name, model.sha256, model.labels, dt.datetime.now(dt.UTC).replace(tzinfo=None)),
                )
            labels_written = 0
            for batch in record_batches(labels) if labels is not None else ():
                self._stage(cursor, "stage_labels", LABEL_COLUMNS, label_rows([batch], run.run_id, policy))
                cursor.execute("SELECT count(*) FROM stage_labels")
                labels_written += cursor.fetchone()[0]
                cursor.execute(UPSERT_LABELS)
            self._record_run(cursor, run)
        log.info(
            "warehouse %s: run %s: %d papers inserted, %d updated, %d withdrawn, %d labels written",
            self.dialect,
            run.run_id,
            inserted,
            updated,
            withdrawn,
            labels_written,
        )
        return LoadResult(inserted, updated, withdrawn, labels_written)

    def _record_run(self, cursor: Any, run: RunRecord) -> None:
        p = self._param()
        columns = [
            "run_id",
            "run_type",
            "interval_start",
            "interval_end",
            "model_id",
            "engine",
            "harvested",
            "new_papers",
            "replaced",
            "deleted",
            "classified",
            "skipped_unchanged",
            "failed",
            "withdrawn",
            "stage_seconds",
            "status",
            "finished_at",
        ]
        values = [getattr(run, c) for c in columns[:14]] + [
            json.dumps(run.stage_seconds, sort_keys=True),
            run.status,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
        ]
        placeholders = [p] * len(columns)
        placeholders[14] = self._json(p)
        cursor.execute(f"DELETE FROM arxiv_pipeline_runs WHERE run_id = {p}", (run.run_id,))
        cursor.execute(f"INSERT INTO arxiv_pipeline_runs ({', '.join(columns)}) VALUES ({', '.join(placeholders)})", values)

    def query(self, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Run a read query; returns (column names, rows)."""
        with self.transaction() as cursor:
            cursor.execute(sql.replace("?", self._param()), tuple(params))
            names = [d[0] for d in cursor.description]
            return names, [tuple(r) for r in cursor.fetchall()]
