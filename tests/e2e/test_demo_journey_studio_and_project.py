"""The second half of issue 9's journey (see ``test_demo_journey.py``): a Studio user profile
(the project lead approves; opened) and a SageMaker project (the project lead, then the platform
team), as ``scripts/demo_journey.py`` drives ``make demo``, against the live portal, the dev IdP
and a real Celery worker on the fake AWS's demo catalog."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from catalog.models import Product
from provisioning.models import Environment
from scripts.demo_journey import Journey, run_studio_and_project
from tests.provisioning.worker import WorkerProcess

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_studio_profile_and_a_sagemaker_project_through_their_approvers(
        page: Any, demo_portal: str, demo_worker: WorkerProcess, tmp_path: Path) -> None:
    journey = Journey(page, demo_portal, tmp_path)
    try:
        run_studio_and_project(journey, "e2e")
    except Exception as exc:
        raise AssertionError(f"{exc}\nworker:\n{demo_worker.output()}") from exc
    statuses = dict(Environment.objects.values_list("product__kind", "status"))
    assert statuses == {Product.Kind.STUDIO_USER_PROFILE: Environment.Status.AVAILABLE,
                        Product.Kind.SAGEMAKER_PROJECT: Environment.Status.AVAILABLE}
