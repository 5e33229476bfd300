"""The Celery app. Periodic schedules are declared in one place: ``config.schedules``."""

from __future__ import annotations

import os

from celery import Celery
from celery.signals import before_task_publish, task_postrun, task_prerun

from portal.logs import task_context_end, task_context_start, task_headers_add

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The request id travels with each task in a message header (portal.logs); Celery keeps unknown
# headers of protocol 2 in the worker's task.request, where task_prerun reads it back.
before_task_publish.connect(task_headers_add)
task_prerun.connect(task_context_start)
task_postrun.connect(task_context_end)


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]  # celery ships no type hints
def _install_schedules(sender: Celery, **kwargs: object) -> None:
    from config.schedules import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
