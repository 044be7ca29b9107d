"""How the project's errors fail a task: an error a retry cannot fix fails it at once, any other keeps its retries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from airflow.sdk.exceptions import AirflowFailException

from arxiv_labeler.errors import PermanentError


@contextmanager
def permanent_errors_fail_fast() -> Iterator[None]:
    """Turn a :class:`PermanentError` raised inside into ``AirflowFailException`` (no retries), message unchanged.

    Every other exception passes through, so Airflow retries it as the task's ``retries`` say.
    """
    try:
        yield
    except PermanentError as exc:
        raise AirflowFailException(str(exc)) from exc
