"""Airflow operators: thin wiring over harvest/, model/, engines/ and warehouse/."""

from arxiv_labeler.operators.check_labels import CheckLabelsOperator
from arxiv_labeler.operators.classify import ClassifyPapersOperator
from arxiv_labeler.operators.fetch_model import FetchModelOperator
from arxiv_labeler.operators.harvest import HarvestArxivOperator
from arxiv_labeler.operators.load_warehouse import LoadWarehouseOperator
from arxiv_labeler.operators.resolve_run import ResolveRunOperator

__all__ = [
    "CheckLabelsOperator",
    "ClassifyPapersOperator",
    "FetchModelOperator",
    "HarvestArxivOperator",
    "LoadWarehouseOperator",
    "ResolveRunOperator",
]
