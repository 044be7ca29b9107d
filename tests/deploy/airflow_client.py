"""The deployed api-server's REST API as the deploy test uses it: sign in, trigger, poll states."""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import requests

DAG_ID = "arxiv_labeling"
FINISHED = frozenset({"success", "failed"})


class RunNotFinishedError(AssertionError):
    """A run or task stayed out of the awaited states past its deadline."""


@dataclass
class AirflowClient:
    """Bearer-token calls to ``base_url`` (SimpleAuthManager's ``POST /auth/token``)."""

    base_url: str
    username: str
    password: str
    _token: str | None = field(default=None, repr=False)

    def token(self) -> str:
        """A JWT for the admin user, fetched once."""
        if self._token is None:
            response = requests.post(
                f"{self.base_url}/auth/token", json={"username": self.username, "password": self.password}, timeout=60
            )
            response.raise_for_status()
            self._token = str(response.json()["access_token"])
        return self._token

    def get(self, path: str, authenticated: bool = True) -> requests.Response:
        """GET ``path`` with (or without) the bearer token."""
        headers = {"Authorization": f"Bearer {self.token()}"} if authenticated else {}
        return requests.get(f"{self.base_url}{path}", headers=headers, timeout=60)

    def api(self, method: str, path: str, body: Any = None) -> Any:
        """Call the REST API v2 and return its JSON.

        Raises:
            AssertionError: the status is not 2xx (with the body).
        """
        response = requests.request(
            method, f"{self.base_url}{path}", json=body, headers={"Authorization": f"Bearer {self.token()}"}, timeout=60
        )
        assert response.ok, f"{method} {path}: {response.status_code} {response.text[:1000]}"
        return response.json() if response.content else None

    def unpause(self, dag_id: str = DAG_ID) -> None:
        """Unpause the DAG (new DAGs start paused)."""
        assert self.api("PATCH", f"/api/v2/dags/{dag_id}", {"is_paused": False})["is_paused"] is False

    def trigger(self, conf: dict[str, Any], dag_id: str = DAG_ID) -> str:
        """A manual run without logical date, as the UI's Trigger form makes it; returns its run id."""
        run = self.api("POST", f"/api/v2/dags/{dag_id}/dagRuns", {"logical_date": None, "conf": conf})
        return str(run["dag_run_id"])

    def run(self, run_id: str, dag_id: str = DAG_ID) -> dict[str, Any]:
        """The run as the API lists it."""
        return dict(self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted(run_id)}"))

    def task_instances(self, run_id: str, dag_id: str = DAG_ID) -> dict[str, dict[str, Any]]:
        """The run's task instances by task id."""
        listing = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted(run_id)}/taskInstances")
        return {ti["task_id"]: ti for ti in listing["task_instances"]}

    def tries(self, run_id: str, task_id: str, dag_id: str = DAG_ID) -> list[dict[str, Any]]:
        """Every try of one task instance, the abandoned ones included."""
        listing = self.api("GET", f"/api/v2/dags/{dag_id}/dagRuns/{quoted(run_id)}/taskInstances/{task_id}/tries")
        return list(listing["task_instances"])

    def wait_run(self, run_id: str, timeout: float = 900, dag_id: str = DAG_ID) -> dict[str, Any]:
        """Poll until the run is success or failed; returns it.

        Raises:
            RunNotFinishedError: still running after ``timeout`` seconds (with its task states).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.run(run_id, dag_id)
            if run["state"] in FINISHED:
                return run
            time.sleep(2)
        raise RunNotFinishedError(f"run {run_id} not finished after {timeout:.0f} s: {self.task_states(run_id, dag_id)}")

    def wait_task_state(self, run_id: str, task_id: str, states: Collection[str], timeout: float = 900) -> str:
        """Poll one task instance until its state is one of ``states``; returns it.

        Raises:
            RunNotFinishedError: it never got there (its run finished first, or time ran out).
        """
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.task_instances(run_id)[task_id]["state"]
            if state in states:
                return str(state)
            if self.run(run_id)["state"] in FINISHED:
                break
            time.sleep(0.5)
        raise RunNotFinishedError(f"{task_id} of {run_id} never reached {sorted(states)}: {self.task_states(run_id)}")

    def task_states(self, run_id: str, dag_id: str = DAG_ID) -> dict[str, str]:
        """Task id -> state (what a failure message should show)."""
        return {task_id: str(ti["state"]) for task_id, ti in self.task_instances(run_id, dag_id).items()}


def quoted(run_id: str) -> str:
    """A run id in a URL path (manual ids hold ``:`` and ``+``)."""
    return urllib.parse.quote(run_id, safe="")
