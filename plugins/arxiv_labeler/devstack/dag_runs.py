"""Run the ``arxiv_labeling`` DAG through Airflow itself (``airflow dags test``) on a private AIRFLOW_HOME.

Used by ``make demo`` and the end-to-end tests: every run goes through the real
scheduler-side code paths (serialization, params validation, XCom, pools).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from arxiv_labeler import settings
from arxiv_labeler.devstack.airflow_objects import pool_args
from arxiv_labeler.errors import DevstackError

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DAG_ID = "arxiv_labeling"


def airflow_env(airflow_home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for an isolated Airflow: SQLite metadata DB, this project's dags/ and plugins/."""
    env = dict(os.environ)
    env.update(
        {
            "AIRFLOW_HOME": str(airflow_home),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__CORE__DAGS_FOLDER": str(PROJECT_ROOT / "dags"),
            "AIRFLOW__CORE__PLUGINS_FOLDER": str(PROJECT_ROOT / "plugins"),
            "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(PROJECT_ROOT / "plugins"), env.get("PYTHONPATH")])),
        }
    )
    env.update(extra or {})
    return env


def _airflow(
    args: list[str], env: Mapping[str, str], check: bool = True, log_file: Path | None = None, timeout: float = 1800
) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("airflow")), *args]
    if log_file is not None:
        # Streamed to a file so a long or stuck run can be followed while it runs.
        with log_file.open("a") as handle:
            returncode = subprocess.run(
                command, env=dict(env), stdout=handle, stderr=subprocess.STDOUT, timeout=timeout, check=False
            ).returncode
        text = log_file.read_text()
        return subprocess.CompletedProcess(command, returncode, text, "")
    result = subprocess.run(command, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)
    if check and result.returncode != 0:
        raise DevstackError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    return result


def prepare_airflow_home(env: Mapping[str, str]) -> None:
    """Migrate the metadata DB, create the one-slot OAI pool, parse the DAGs."""
    _airflow(["db", "migrate"], env)
    _airflow(pool_args(), env)
    _airflow(["dags", "reserialize"], env)


def logical_date_for(day: dt.date) -> str:
    """The logical date of the scheduled run that covers ``day`` (its data interval ends D+1 06:00 UTC)."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(6), dt.UTC).isoformat()


def run_dag(
    env: Mapping[str, str], day: dt.date | None = None, conf: Mapping[str, Any] | None = None, log_file: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``airflow dags test`` for the scheduled run covering ``day``, or with ``conf`` params.

    The DAG's deadline alert is off for these runs unless ``env`` sets ``ARXIV_LABELER_DEADLINE_UTC``:
    Airflow 3.3's ``dags test`` runs a copy of the DAG whose ``deadline`` holds the encoded alerts
    instead of their ids in the metadata DB, so the run's success handler fails after every task
    succeeded; and a ``dags test`` run is never a scheduled one, the only kind the deadline applies to.
    """
    env = {settings.ENV_DEADLINE_UTC: ""} | dict(env)
    args = ["dags", "test", DAG_ID]
    if day is not None:
        args.append(logical_date_for(day))
    if conf:
        args += ["-c", json.dumps(dict(conf))]
    return _airflow(args, env, check=False, log_file=log_file, timeout=900)
