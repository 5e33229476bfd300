"""AWS's eventual consistency: a record or project that AWS has just returned may answer
ResourceNotFound for a while (the fake's FAKEAWS_CONSISTENCY_SECONDS window). The follow-up asks
again for PORTAL_AWS_CONSISTENCY_SECONDS (no failure e-mail for a provisioning going fine), and
past that bound fails with a clear message."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail

from catalog.models import Product
from fakeaws import clock
from fakeaws.baseline import Baseline
from portal.models import Project, User
from provisioning.follow import environment_follow_run
from provisioning.models import Environment
from provisioning.provision_run import environment_provision_run
from provisioning.services import environment_provision
from tests.provisioning import fake_portal
from tests.provisioning.fake_portal import approved, request_values

pytestmark = pytest.mark.django_db
fake_aws = fake_portal.fake_aws
shapes_catalog = fake_portal.shapes_catalog
NOTEBOOK = "demo/notebook-v2.yaml"
PROJECT = "fixtures/sagemaker-project-no-default.yaml"


def started(products: dict[str, Product], name: str, base: Baseline, user: User,
            project: Project) -> Environment:
    product = products[name]
    request = approved(requester=user, project=project, product=product,
                       parameters=request_values(product.versions.get(), base))
    environment = environment_provision(request=request)
    assert environment is not None
    assert environment_provision_run(environment_id=environment.pk) == "provisioning"
    return Environment.objects.get(pk=environment.pk)


@pytest.fixture
def check(django_capture_on_commit_callbacks: Any) -> Callable[[Environment], Environment]:
    """One follow-up check, its on-commit work (e-mails) run."""
    def run(environment: Environment) -> Environment:
        with django_capture_on_commit_callbacks(execute=True):
            environment_follow_run(environment_id=environment.pk,
                                   attempt=environment.follow_attempt)
        return Environment.objects.get(pk=environment.pk)
    return run


@pytest.mark.parametrize("name", [NOTEBOOK, PROJECT])
def test_a_record_or_project_aws_does_not_know_yet_is_asked_again_and_settles(
        name: str, shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project, settings: Any, check: Callable[[Environment], Environment]) -> None:
    settings.FAKEAWS_CONSISTENCY_SECONDS = 5
    settings.PORTAL_AWS_CONSISTENCY_SECONDS = 60
    environment = started(shapes_catalog, name, fake_aws, scientist, project)
    environment = check(environment)  # inside the fake's window: ResourceNotFound
    assert environment.status == Environment.Status.PROVISIONING
    assert environment.aws_missing_since is not None
    assert environment.status_message == "Provisioning in AWS."
    assert not environment.events.filter(kind="failed").exists()
    clock.advance(6)  # the fake's window is over
    environment = check(environment)
    assert environment.status == Environment.Status.AVAILABLE, environment.status_message
    assert environment.aws_missing_since is None
    assert [m.subject for m in mail.outbox] == [f"[ML portal] Ready: {shapes_catalog[name].name}"]


@pytest.mark.parametrize("name", [NOTEBOOK, PROJECT])
def test_past_the_bound_it_fails_with_a_clear_message(
        name: str, shapes_catalog: dict[str, Product], fake_aws: Baseline, scientist: User,
        project: Project, settings: Any, check: Callable[[Environment], Environment]) -> None:
    settings.FAKEAWS_CONSISTENCY_SECONDS = 3600
    settings.PORTAL_AWS_CONSISTENCY_SECONDS = 30
    environment = started(shapes_catalog, name, fake_aws, scientist, project)
    environment = check(environment)
    assert environment.status == Environment.Status.PROVISIONING
    first_seen = environment.aws_missing_since
    assert first_seen is not None
    environment = check(environment)  # still within the bound: still waiting, same start
    assert (environment.status, environment.aws_missing_since) == (
        Environment.Status.PROVISIONING, first_seen)
    Environment.objects.filter(pk=environment.pk).update(
        aws_missing_since=first_seen - timedelta(seconds=31))  # the bound has passed
    environment = check(Environment.objects.get(pk=environment.pk))
    assert environment.status == Environment.Status.FAILED
    what = "SageMaker project" if name == PROJECT else "Service Catalog record"
    assert environment.status_message.startswith(
        f"AWS still did not know the {what} it had accepted after 30 seconds")
    assert "111111111111" not in environment.status_message
    [failed] = [m for m in mail.outbox if "Provisioning failed" in m.subject]
    assert "did not know" in failed.body
