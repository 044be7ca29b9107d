"""The operator extra link from a task instance to the labels page, filtered to the run's days."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from airflow.sdk import BaseOperatorLink

URL_PREFIX = "/arxiv-labeler"  # where the plugin mounts the labels app on the api-server
DAYS_XCOM_KEY = "arxiv_labels_days"


def labels_page_url(start: str, end: str) -> str:
    """The page filtered to [start, end] (``YYYY-MM-DD``), relative to the api-server's base URL."""
    return f"{URL_PREFIX}/?{urlencode({'from': start, 'until': end})}"


class ArxivLabelsLink(BaseOperatorLink):
    """The "arXiv labels" link on ``load_warehouse``: the days the run loaded, read back from its XCom."""

    name = "arXiv labels"

    def get_link(self, operator: Any, *, ti_key: Any) -> str:
        """The page for the task instance's days, or the unfiltered page before the task has run."""
        from airflow.sdk.execution_time.xcom import XCom

        days = XCom.get_value(ti_key=ti_key, key=DAYS_XCOM_KEY)
        if not days:
            return f"{URL_PREFIX}/"
        return labels_page_url(str(days["from"]), str(days["until"]))
