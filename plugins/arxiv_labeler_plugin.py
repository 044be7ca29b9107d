"""Airflow plugin: the "arXiv labels" page on the api-server, its place in the navigation, the task link.

Airflow's plugin loader imports this module in every component: it imports neither
PySpark nor onnxruntime (tested), only FastAPI and the warehouse readers.
"""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin
from arxiv_labeler.ui.app import create_app
from arxiv_labeler.ui.links import URL_PREFIX, ArxivLabelsLink


class ArxivLabelerPlugin(AirflowPlugin):
    """Registers the labels app, a navigation entry for it and the ``load_warehouse`` extra link."""

    name = "arxiv_labeler"
    fastapi_apps = [{"app": create_app(), "url_prefix": URL_PREFIX, "name": "arXiv labels"}]
    external_views = [
        {
            "name": "arXiv labels",
            "href": f"{URL_PREFIX}/",
            "destination": "nav",
            "category": "browse",
            "url_route": "arxiv-labels",
        }
    ]
    operator_extra_links = [ArxivLabelsLink()]
