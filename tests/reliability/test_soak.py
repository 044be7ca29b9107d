"""Soak: 30 consecutive days through the operators, with faults sprinkled at random (fixed seed), against the
local stack (moto S3, the OAI replay server, local Spark, DuckDB). The warehouse must end equal to a fault-free run's."""

from __future__ import annotations

import collections
import datetime as dt
import json
import random
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from arxiv_labeler.devstack.demo import DEFAULT_REPLAY_DATA
from arxiv_labeler.devstack.local_stack import LocalStack
from arxiv_labeler.devstack.oai_replay import Faults
from arxiv_labeler.operators import ClassifyPapersOperator, FetchModelOperator, HarvestArxivOperator, LoadWarehouseOperator
from arxiv_labeler.operators.check_labels import CheckLabelsOperator
from arxiv_labeler.run.config import RunConfig
from arxiv_labeler.warehouse import open_warehouse

from tests.reliability.test_classify_faults import WorkerKiller
from tests.reliability.test_warehouse_faults import duckdb_held_by_another_process

pytestmark = [pytest.mark.slow, pytest.mark.spark]
FIRST_DAY, DAYS = dt.date(2008, 11, 1), 30
SEED = 20261125
TASK_ATTEMPTS = 4  # what Airflow's retries would give each task


def thirty_days(path: Path) -> Path:
    """The 276 real records of 2008-11-26, announced over 30 consecutive days (about 9 a day)."""
    entries = [json.loads(line) for line in DEFAULT_REPLAY_DATA.open()]
    with path.open("w") as out:
        for n, entry in enumerate(sorted(entries, key=lambda e: e["id"])):
            out.write(json.dumps(dict(entry, update_date=(FIRST_DAY + dt.timedelta(days=n % DAYS)).isoformat())) + "\n")
    return path


def sprinkled_faults(rng: random.Random) -> Faults:
    """Harvest faults at random request numbers (about 110 requests in 30 days at 4 records a page)."""
    numbers = rng.sample(range(2, 110), 30)
    return Faults(
        status_503_on=set(numbers[0:8]),
        status_429_on=set(numbers[8:13]),
        retry_after="0",
        reset_on=set(numbers[13:20]),
        malformed_on=set(numbers[20:26]),
        expired_token_on=set(numbers[26:30]),
    )


class Pipeline:
    """The DAG's tasks for one day, called through the operators, each retried as Airflow would."""

    def __init__(self, stack: LocalStack, root: Path, monkeypatch: pytest.MonkeyPatch, max_oai_retries: int) -> None:
        self.root = root
        self.stack = stack
        self.failures: collections.Counter[str] = collections.Counter()
        env = stack.env(root / "data")
        oai = json.loads(env["AIRFLOW_CONN_ARXIV_OAI"])
        oai["extra"] = {"delay_seconds": 0.0, "backoff_seconds": 0.05, "max_retries": max_oai_retries}
        env["AIRFLOW_CONN_ARXIV_OAI"] = json.dumps(oai)
        self.env = env
        self.monkeypatch = monkeypatch

    def task(self, name: str, call: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        for attempt in range(1, TASK_ATTEMPTS + 1):
            try:
                return call()
            except Exception:
                self.failures[name] += 1
                if attempt == TASK_ATTEMPTS:
                    raise
        raise AssertionError("unreachable")

    def day(self, day: dt.date, kill_a_worker: bool = False, lock_the_warehouse: bool = False) -> None:
        for key, value in self.env.items():
            self.monkeypatch.setenv(key, value)
        config = RunConfig(day, day, self.stack.model_uri, engine="onnx").to_xcom()
        data = self.root / "data"
        model = self.task(
            "fetch_model",
            lambda: FetchModelOperator(task_id="fetch_model", run_config=config, cache_dir=str(data / "models")).execute({}),
        )
        harvest = self.task(
            "harvest",
            lambda: HarvestArxivOperator(task_id="harvest", run_config=config, landing_dir=str(data / "landing")).execute({}),
        )
        classify = ClassifyPapersOperator(
            task_id="classify", run_config=config, model=model, harvest=harvest, output_dir=str(data / "labeled")
        )
        if kill_a_worker:
            with WorkerKiller():
                classified = self.task("classify", lambda: classify.execute({}))
        else:
            classified = self.task("classify", lambda: classify.execute({}))
        context = {
            "run_id": f"scheduled__{day}",
            "dag_run": SimpleNamespace(run_type="scheduled"),
            "ti": SimpleNamespace(xcom_push=lambda **_: None),
            "outlet_events": {},
        }
        load = LoadWarehouseOperator(
            task_id="load_warehouse", run_config=config, model=model, harvest=harvest, classify=classified
        )
        if lock_the_warehouse:
            with duckdb_held_by_another_process(data / "warehouse.duckdb", 1.5):
                self.task("load_warehouse", lambda: load.execute(context))
        else:
            self.task("load_warehouse", lambda: load.execute(context))
        self.task(
            "check_labels", lambda: CheckLabelsOperator(task_id="check_labels", run_config=config, model=model).execute(context)
        )

    def tables(self) -> dict[str, list[tuple[Any, ...]]]:
        """The warehouse without what differs between two runs by nature (run ids, timestamps)."""
        warehouse = open_warehouse(f"duckdb://{self.root / 'data' / 'warehouse.duckdb'}")
        queries = {
            "papers": "SELECT * EXCLUDE (harvested_in_run) FROM arxiv_papers ORDER BY arxiv_id",
            "labels": "SELECT * EXCLUDE (labeled_at, run_id) FROM arxiv_paper_labels ORDER BY arxiv_id, model_id",
            "runs": "SELECT interval_start, harvested, new_papers, deleted, classified, skipped_unchanged, withdrawn, status, quality_status "
            "FROM arxiv_pipeline_runs ORDER BY interval_start",
            "checks": "SELECT r.interval_start, q.check_name, q.status, q.value FROM arxiv_quality_checks q "
            "JOIN arxiv_pipeline_runs r USING (run_id) ORDER BY 1, 2",
        }
        return {name: warehouse.query(sql)[1] for name, sql in queries.items()}


def test_thirty_days_with_random_faults_end_with_the_fault_free_warehouse(
    tiny_zip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(SEED)
    data = thirty_days(tmp_path / "thirty-days.jsonl")
    faults = sprinkled_faults(rng)
    killed_days = set(rng.sample(range(DAYS), 3))
    locked_days = set(rng.sample(range(DAYS), 2))
    days = [FIRST_DAY + dt.timedelta(days=n) for n in range(DAYS)]

    with LocalStack(tiny_zip, data, page_size=4) as clean_stack:
        clean = Pipeline(clean_stack, tmp_path / "fault-free", monkeypatch, max_oai_retries=5)
        for day in days:
            clean.day(day)
    with LocalStack(tiny_zip, data, page_size=4, faults=faults) as faulty_stack:
        faulty = Pipeline(faulty_stack, tmp_path / "faulty", monkeypatch, max_oai_retries=1)
        for n, day in enumerate(days):
            faulty.day(day, kill_a_worker=n in killed_days, lock_the_warehouse=n in locked_days)
        assert faulty_stack.oai is not None
        requests = len(faulty_stack.oai.log.queries)

    expected, got = clean.tables(), faulty.tables()
    print(f"\nsoak: {DAYS} days, {requests} OAI requests, task failures retried: {dict(faulty.failures)}")
    assert clean.failures == {}
    assert faulty.failures["harvest"] > 0  # the faults reached the tasks, and the retries absorbed them
    assert len(expected["papers"]) == 276 and len(expected["labels"]) > 250
    for table in expected:
        assert got[table] == expected[table], f"{table} differs from the fault-free run"
