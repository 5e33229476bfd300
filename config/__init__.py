"""Project wiring: settings, URLs, the Celery app and its schedules, navigation, wsgi/asgi.

The apps depend on each other one way only (provisioning → approvals → catalog → portal); this
package is the only place that names them all.
"""

from config.celery import app as celery_app

__all__ = ["celery_app"]
