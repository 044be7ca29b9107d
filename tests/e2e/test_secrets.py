"""A run with credentials on every connection: no password or secret key reaches a task log, an XCom or a lineage event."""

from __future__ import annotations

import json
import sqlite3
import uuid
from pathlib import Path

import pytest
from arxiv_labeler import settings
from arxiv_labeler.devstack.airflow_objects import connection_env
from arxiv_labeler.devstack.dag_runs import airflow_env, prepare_airflow_home, run_dag
from arxiv_labeler.devstack.local_stack import LocalStack

from tests.conftest import DEMO_JSONL

pytestmark = [pytest.mark.slow, pytest.mark.spark, pytest.mark.postgres]


def secret(kind: str) -> str:
    return f"{kind}-secret-{uuid.uuid4().hex}"


def test_no_credential_reaches_logs_xcoms_or_lineage(tiny_zip: Path, tmp_path: Path, postgres_dsn: str) -> None:
    secrets = {name: secret(name) for name in ("s3-key", "s3-token", "oai", "warehouse", "spark")}
    lineage_file = tmp_path / "lineage.jsonl"
    with LocalStack(tiny_zip, DEMO_JSONL, page_size=5) as stack:
        env = stack.env(tmp_path / "data")
        s3 = json.loads(env[f"AIRFLOW_CONN_{settings.MODEL_S3_CONN_ID.upper()}"])
        s3["password"] = secrets["s3-key"]  # moto signs with any key; the secret only has to be carried
        s3["extra"]["aws_session_token"] = secrets["s3-token"]
        oai = json.loads(env[f"AIRFLOW_CONN_{settings.OAI_CONN_ID.upper()}"])
        oai |= {"login": "harvester", "password": secrets["oai"]}
        warehouse = postgres_dsn.replace("postgresql://postgres@", f"postgresql://postgres:{secrets['warehouse']}@")  # trust auth
        spark = {"conn_type": "spark", "host": "local[2]", "login": "spark", "password": secrets["spark"]}
        env |= dict(
            [
                connection_env(settings.MODEL_S3_CONN_ID, s3),
                connection_env(settings.OAI_CONN_ID, oai),
                connection_env(settings.SPARK_CONN_ID, spark),
                (f"AIRFLOW_CONN_{settings.WAREHOUSE_CONN_ID.upper()}", warehouse),
            ]
        )
        env |= {
            "AIRFLOW__OPENLINEAGE__TRANSPORT": json.dumps({"type": "file", "log_file_path": str(lineage_file), "append": True}),
            "AIRFLOW__OPENLINEAGE__NAMESPACE": "arxiv-labeler-secrets",
            "AIRFLOW__OPENLINEAGE__DISABLED": "False",
        }
        home = tmp_path / "airflow"
        airflow = airflow_env(home, env)
        prepare_airflow_home(airflow)
        log = tmp_path / "run.log"
        result = run_dag(airflow, conf={"from_date": "2026-11-18", "until_date": "2026-11-20"}, log_file=log)
    assert result.returncode == 0 and "state=success" in result.stdout, result.stdout[-3000:]

    task_logs = [p for p in (home / "logs").rglob("*") if p.is_file()]
    with sqlite3.connect(home / "airflow.db") as metadata:
        xcoms = [str(value) for (value,) in metadata.execute("SELECT value FROM xcom")]
    events = lineage_file.read_text()
    assert len(xcoms) >= 6 and '"model_id"' in "".join(xcoms) and "COMPLETE" in events  # what is searched is there
    places = {"the run's output": log.read_text(), "XComs": "\n".join(xcoms), "OpenLineage events": events}
    places |= {str(p.relative_to(home)): p.read_text(errors="replace") for p in task_logs}
    leaks = {where: name for where, text in places.items() for name, value in secrets.items() if value in text}
    assert leaks == {}
