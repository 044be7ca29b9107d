"""The Airflow plugin: the "arXiv labels" page on the api-server, its place in the navigation, the task link, the deadline.

Loaded through the distribution's ``airflow.plugins`` entry point when arxiv-labeler is
pip-installed, or through ``plugins/arxiv_labeler_plugin.py`` in an Astro-style project.
Airflow imports it in every component: it imports neither PySpark nor onnxruntime (tested),
only FastAPI, the warehouse readers and the alerts' deadline reference.
"""

from __future__ import annotations

from importlib.metadata import distributions

from airflow.plugins_manager import AirflowPlugin

from arxiv_labeler.alerts.deadline import ScheduledRunDay
from arxiv_labeler.ui.app import create_app
from arxiv_labeler.ui.links import URL_PREFIX, ArxivLabelsLink

PLUGIN_ENTRY_POINT = "arxiv_labeler.airflow_plugin:ArxivLabelerPlugin"  # pyproject's [project.entry-points."airflow.plugins"]


class ArxivLabelerPlugin(AirflowPlugin):
    """Registers the labels app, a navigation entry for it, the ``load_warehouse`` extra link and the deadline reference."""

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
    deadline_references = [ScheduledRunDay]  # the scheduler evaluates the DAG's deadline with it


def registered_by_entry_point() -> bool:
    """Whether an installed distribution registers this plugin through ``airflow.plugins`` (pip install, editable too).

    Every distribution is asked, as Airflow's plugin loader asks them (no de-duplication by name).
    """
    return any(
        point.group == "airflow.plugins" and point.value == PLUGIN_ENTRY_POINT
        for distribution in distributions()
        for point in distribution.entry_points
    )
