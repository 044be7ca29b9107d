"""The arxiv-labeler Airflow DAGs: defined in the package (``arxiv_labeler/example_dags/``), declared here.

This file is all a dags folder needs, in this project and wherever ``pip install arxiv-labeler``
put the package: Airflow finds both DAG objects in its globals.
"""

from arxiv_labeler.example_dags.arxiv_label_summary import dag as arxiv_label_summary
from arxiv_labeler.example_dags.arxiv_labeling import dag as arxiv_labeling

__all__ = ["arxiv_label_summary", "arxiv_labeling"]
