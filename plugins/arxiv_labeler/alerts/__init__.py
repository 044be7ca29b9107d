"""Alerts: a task that failed for good, ``check_labels`` warnings, and a day whose labels are late.

Sent by Airflow's SMTP notifier to ``ARXIV_LABELER_ALERT_EMAIL``, or by any notifier that
``ARXIV_LABELER_ALERT_NOTIFIER`` names (``notify.py``); what they say is in ``messages.py``.
"""

from arxiv_labeler.alerts.callbacks import on_labels_checked, on_task_failure
from arxiv_labeler.alerts.deadline import ScheduledRunDay, labels_deadline, on_deadline_missed
from arxiv_labeler.alerts.messages import Alert

__all__ = ["Alert", "ScheduledRunDay", "labels_deadline", "on_deadline_missed", "on_labels_checked", "on_task_failure"]
