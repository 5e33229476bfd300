"""The Celery app. Periodic schedules are declared in one place: ``config.schedules``."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("config")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect  # type: ignore[untyped-decorator]  # celery ships no type hints
def _install_schedules(sender: Celery, **kwargs: object) -> None:
    from config.schedules import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
