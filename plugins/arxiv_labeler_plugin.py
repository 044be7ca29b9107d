"""The Airflow plugin for Astro-style projects (this plugins/ folder copied into Airflow's): see ``arxiv_labeler.airflow_plugin``.

When arxiv-labeler is also pip-installed (a provider install, or ``make venv``'s editable one),
Airflow loads the same plugin through the distribution's ``airflow.plugins`` entry point; this
file then defines nothing, so the plugin is registered once and no "already registered" import
error shows in the UI.
"""

from __future__ import annotations

from arxiv_labeler.airflow_plugin import registered_by_entry_point

if not registered_by_entry_point():
    from arxiv_labeler.airflow_plugin import ArxivLabelerPlugin

    __all__ = ["ArxivLabelerPlugin"]
