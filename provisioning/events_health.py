"""Whether events drive status now: a healthy events consumer, and environments events cover.

Lower than ``provisioning.services`` (which asks ``events_cover`` for the follow-up's delay) and
``provisioning.events`` (which handles the events): models and settings only.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from provisioning.models import Environment, EventsConsumerBeat

Status = Environment.Status


def events_consumer_beat(*, name: str) -> None:
    """An events consumer finished a receive (an empty one counts: the queue answered)."""
    EventsConsumerBeat.objects.update_or_create(name=name[:120],
                                                defaults={"beat_at": timezone.now()})


def events_consumer_healthy() -> bool:
    """Events are on and some consumer finished a receive within PORTAL_EVENTS_HEALTHY_SECONDS."""
    if not settings.PORTAL_EVENTS_ENABLED:
        return False
    since = timezone.now() - timedelta(seconds=settings.PORTAL_EVENTS_HEALTHY_SECONDS)
    return EventsConsumerBeat.objects.filter(beat_at__gte=since).exists()


def events_cover(environment: Environment) -> bool:
    """Whether an event will say when this followed environment's wait is over, so its follow-up
    may wait long: a Service Catalog record of a known provisioned product (its stack's status
    changes) or a notebook start/stop (the notebook's state changes). SageMaker projects, and a
    record AWS does not know yet (eventual consistency), keep the ordinary backoff."""
    if environment.is_sagemaker_project or environment.aws_missing_since is not None:
        return False
    if environment.status in (Status.STARTING, Status.STOPPING):
        covered = bool(environment.notebook_instance_name)
    elif environment.status in (Status.PROVISIONING, Status.UPDATING, Status.TERMINATING):
        covered = bool(environment.provisioned_product_id and environment.last_record_id)
    else:
        covered = False
    return covered and events_consumer_healthy()
