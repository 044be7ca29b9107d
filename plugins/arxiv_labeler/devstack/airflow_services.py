"""The real Airflow services on one machine: api-server, scheduler, dag-processor, triggerer (LocalExecutor).

``make airflow`` runs them in the foreground for people; the scheduler end-to-end
test runs them with its own database and port. The metadata database is the local
PostgreSQL; every process is started here, in its own process group, and only
those are stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

from arxiv_labeler.devstack.airflow_objects import pool_args
from arxiv_labeler.devstack.dag_runs import PROJECT_ROOT, airflow_env
from arxiv_labeler.errors import DevstackError

SERVICES = ("api-server", "scheduler", "dag-processor", "triggerer")
ADMIN_USER = "admin"
JWT_SECRET_FILE = "jwt_secret"  # noqa: S105 - a file name, the secret is random per deployment


def postgres_admin_dsn(host: str = "127.0.0.1", port: int = 5432, user: str = "postgres") -> str:
    """The maintenance database's DSN on the local PostgreSQL."""
    return f"postgresql://{user}@{host}:{port}/postgres"


def ensure_database(name: str, admin_dsn: str) -> None:
    """Create database ``name`` if absent.

    Raises:
        DevstackError: PostgreSQL is not reachable (with how to start it).
    """
    import psycopg
    from psycopg import sql

    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as connection:
            if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        raise DevstackError(
            f"PostgreSQL is not reachable at {admin_dsn.split('@')[-1]} ({str(exc).strip()[:200]}). Start it with:\n"
            "  pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
        ) from None


def drop_database(name: str, admin_dsn: str) -> None:
    """Drop database ``name`` (tests clean up after themselves)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=5) as connection:
        connection.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@dataclass
class LocalAirflow:
    """Airflow 3's four services on 127.0.0.1 with a private ``AIRFLOW_HOME`` and a PostgreSQL metadata DB."""

    home: Path
    database: str
    port: int
    extra_env: Mapping[str, str] = field(default_factory=dict)
    password: str = "admin"  # noqa: S105 - a local, loopback-only deployment; make airflow generates one
    pg_host: str = "127.0.0.1"
    pg_port: int = 5432
    config: Mapping[str, str] = field(default_factory=dict)
    # How to run Airflow: this venv's `airflow`, or e.g. (python, "-m", "airflow") of another environment
    # (the provider test's venv with the installed wheel); cwd: where its services start.
    airflow_command: tuple[str, ...] = (str(Path(sys.executable).with_name("airflow")),)
    cwd: Path = PROJECT_ROOT
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def url(self) -> str:
        """The api-server's base URL (the UI and the REST API)."""
        return f"http://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment every Airflow process of this deployment runs with."""
        home = self.home
        secret_file = home / JWT_SECRET_FILE
        if not secret_file.exists():
            home.mkdir(parents=True, exist_ok=True)
            secret_file.write_text(os.urandom(24).hex())
        settings = {
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": (
                f"postgresql+psycopg2://postgres@{self.pg_host}:{self.pg_port}/{self.database}"
            ),
            "AIRFLOW__CORE__EXECUTOR": "LocalExecutor",
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{self.url}/execution/",
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(self.port),
            "AIRFLOW__API__BASE_URL": self.url,
            # One secret for every service: tasks' execution-API tokens must verify on the api-server.
            "AIRFLOW__API_AUTH__JWT_SECRET": secret_file.read_text().strip(),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": f"{ADMIN_USER}:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "passwords.json"),
            "AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION": "True",
            "AIRFLOW__SCHEDULER__ENABLE_HEALTH_CHECK": "True",
            "AIRFLOW__LOGGING__BASE_LOG_FOLDER": str(home / "logs"),
        }
        settings.update(self.config)
        settings.update(self.extra_env)
        return airflow_env(home, settings)

    def prepare(self) -> None:
        """Database, password file, migrations, the OAI pool, the DAGs parsed once."""
        self.home.mkdir(parents=True, exist_ok=True)
        ensure_database(self.database, postgres_admin_dsn(self.pg_host, self.pg_port))
        passwords = self.home / "passwords.json"
        passwords.write_text(json.dumps({ADMIN_USER: self.password}))
        self.airflow("db", "migrate")
        self.airflow(*pool_args())
        self.airflow("dags", "reserialize")

    def airflow(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run an ``airflow`` CLI command against this deployment.

        Raises:
            DevstackError: it failed (with its output).
        """
        command = [*self.airflow_command, *args]
        result = subprocess.run(
            command, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False, cwd=self.cwd
        )
        if result.returncode != 0:
            raise DevstackError(f"airflow {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result

    def start(self, timeout: float = 180) -> None:
        """Start the four services and wait until the api-server answers and the scheduler is healthy."""
        logs = self.home / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            args = [*self.airflow_command, service]
            args += ["--port", str(self.port), "--host", "127.0.0.1"] if service == "api-server" else []
            with (logs / f"{service}.log").open("ab") as log_file:
                self.processes[service] = subprocess.Popen(
                    args, env=self.env(), stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True, cwd=self.cwd
                )
        self._wait_healthy(timeout)

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            for service, process in self.processes.items():
                if process.poll() is not None:
                    raise DevstackError(
                        f"airflow {service} exited with {process.returncode}; see {self.home / 'logs' / (service + '.log')}"
                    )
            try:
                health = requests.get(f"{self.url}/api/v2/monitor/health", timeout=5).json()
                if (
                    health.get("metadatabase", {}).get("status") == "healthy"
                    and health.get("scheduler", {}).get("status") == "healthy"
                ):
                    return
                last = json.dumps(health)
            except (requests.RequestException, ValueError) as exc:
                last = str(exc)
            time.sleep(1)
        raise DevstackError(f"Airflow at {self.url} not healthy after {timeout:.0f} s (last: {last[:300]})")

    def token(self) -> str:
        """A JWT for the REST API (SimpleAuthManager's ``POST /auth/token``)."""
        response = requests.post(f"{self.url}/auth/token", json={"username": ADMIN_USER, "password": self.password}, timeout=30)
        response.raise_for_status()
        return str(response.json()["access_token"])

    def api(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        """Call the REST API v2; returns (status, decoded JSON or text)."""
        headers = {"Authorization": f"Bearer {token or self.token()}"}
        response = requests.request(method, f"{self.url}{path}", json=body, headers=headers, timeout=60)
        try:
            return response.status_code, response.json() if response.content else None
        except ValueError:
            return response.status_code, response.text

    def stop(self) -> None:
        """SIGTERM each service's process group, then SIGKILL what is left; only what ``start`` started."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)
        self.processes.clear()

    def __enter__(self) -> LocalAirflow:
        self.prepare()
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def run_foreground(
    data_dir: Path, model_zip: Path, replay_data: Path, port: int = 8080, database: str = "arxiv_labeler_airflow"
) -> int:
    """``make airflow``: the services plus the local stack, in the foreground until Ctrl-C.

    A second run reuses the metadata database (``database``) and the warehouse under ``data_dir``.
    """
    from arxiv_labeler.devstack.local_stack import LocalStack

    if not model_zip.exists():
        raise DevstackError(f"model zip {model_zip} not found: run `make demo-model` first")
    data_dir = data_dir.resolve()
    home = data_dir / "home"
    password_file = data_dir / "admin-password"
    if not password_file.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        password_file.write_text(os.urandom(9).hex())
    password = password_file.read_text().strip()
    stop = {"requested": False}

    def request_stop(signum: int, frame: Any) -> None:
        stop["requested"] = True

    with LocalStack(model_zip, replay_data) as stack:
        deployment = LocalAirflow(
            home,
            database,
            port,
            extra_env=stack.env(data_dir / "pipeline"),
            password=password,
            config={"AIRFLOW__CORE__PARALLELISM": "4"},
        )
        print(f"airflow: preparing {home} (metadata database {database!r} on the local PostgreSQL)", flush=True)
        deployment.prepare()
        previous = signal.signal(signal.SIGINT, request_stop)
        signal.signal(signal.SIGTERM, request_stop)
        try:
            deployment.start()
            print(
                f"\nAirflow UI: {deployment.url}   (user {ADMIN_USER}, password {password}; stored in {password_file})\n"
                f"arXiv labels page: {deployment.url}/arxiv-labeler/\n"
                f"local S3 (model {stack.model_uri}) at {stack.s3_endpoint}; OAI-PMH replay of {replay_data.name} at "
                f"{stack.oai.url if stack.oai else ''}\n"
                f"warehouse: {data_dir / 'pipeline' / 'warehouse.duckdb'}; service logs: {home / 'logs'}\n"
                "Unpause arxiv_labeling, or Trigger it with from_date/until_date (the replay serves "
                f"{', '.join(ReplayDays.of(replay_data))}). Ctrl-C stops everything started here.",
                flush=True,
            )
            while not stop["requested"]:
                for service, process in deployment.processes.items():
                    if process.poll() is not None:
                        print(f"airflow {service} exited ({process.returncode}); stopping", file=sys.stderr)
                        stop["requested"] = True
                time.sleep(1)
        finally:
            print("airflow: stopping the services", flush=True)
            deployment.stop()
            signal.signal(signal.SIGINT, previous)
    return 0


class ReplayDays:
    """The days the replay data has records for (what a person can trigger)."""

    @staticmethod
    def of(replay_data: Path) -> list[str]:
        """Days with records, as ``YYYY-MM-DD``."""
        from arxiv_labeler.devstack.oai_replay import ReplayArchive

        return [str(d) for d in ReplayArchive.from_file(replay_data).days_with_records()][-5:]
